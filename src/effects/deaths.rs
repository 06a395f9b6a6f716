//! `.devtop/deaths.json`: the recent post-mortems (see [`crate::model::deaths`]) the dashboard
//! and `devtop guard` recorded, newest last, at most [`KEEP_DEATHS`]; `devtop status --json`
//! lists them. Written atomically (a temporary file in `.devtop/`, then `rename`).

use crate::model::deaths::{Death, KEEP_DEATHS};
use std::io;
use std::path::{Path, PathBuf};

/// Largest file read, bytes.
const MAX_BYTES: u64 = 1 << 20;

/// `<root>/.devtop/deaths.json`.
pub fn path(root: &Path) -> PathBuf {
    root.join(".devtop").join("deaths.json")
}

/// The recorded deaths, oldest first; empty when there is no file or it cannot be read.
pub fn read(root: &Path) -> Vec<Death> {
    crate::bounded_read::read_text(&path(root), MAX_BYTES)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// Appends `deaths`, keeping the newest [`KEEP_DEATHS`].
///
/// # Errors
/// `.devtop/` cannot be created or the file written.
pub fn append(root: &Path, deaths: &[Death]) -> io::Result<()> {
    if deaths.is_empty() {
        return Ok(());
    }
    let mut all = read(root);
    all.extend_from_slice(deaths);
    let drop = all.len().saturating_sub(KEEP_DEATHS);
    all.drain(..drop);
    let dir = root.join(".devtop");
    std::fs::create_dir_all(&dir)?;
    let json = serde_json::to_string_pretty(&all).map_err(io::Error::other)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    io::Write::write_all(&mut tmp, json.as_bytes())?;
    tmp.persist(path(root)).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::deaths::Cause;

    #[test]
    fn keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_empty());
        let d = |pid| Death {
            at_unix: 1,
            pid,
            name: "node".into(),
            role: "node".into(),
            last_rss_bytes: Some(1),
            cause: Cause::OomKiller,
            evidence: "kernel log".into(),
            available_bytes: None,
            psi_full_avg10: None,
            top_then: String::new(),
        };
        let many: Vec<Death> = (0..60).map(d).collect();
        append(dir.path(), &many).unwrap();
        append(dir.path(), &[d(99)]).unwrap();
        let all = read(dir.path());
        assert_eq!(all.len(), KEEP_DEATHS);
        assert_eq!(all.last().unwrap().pid, 99);
        assert_eq!(all[0].pid, 11);
    }
}
