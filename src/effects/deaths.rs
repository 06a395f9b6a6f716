//! `.devtop/deaths.json`: the recent post-mortems (see [`crate::model::deaths`]) the dashboard
//! and `devtop guard` recorded, newest last, at most [`KEEP_DEATHS`]; `devtop status --json`
//! lists them. Written atomically (a temporary file in `.devtop/`, then `rename`); the
//! dashboard writes through a [`Writer`], off the runtime thread.

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

/// Appends batches of post-mortems to one project's file on the blocking pool, one at a time
/// in the order given ([`append`] reads, then rewrites the file: two at once could lose one).
/// Its task ends once the writer is dropped and every batch given is written.
pub struct Writer {
    batches: tokio::sync::mpsc::UnboundedSender<Vec<Death>>,
}

impl Writer {
    /// Starts the writer for the project `root` on the current tokio runtime; `failed` is
    /// told each batch that could not be written, with why.
    pub fn spawn(root: PathBuf, failed: impl Fn(io::Error) + Send + 'static) -> Writer {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<Death>>();
        tokio::spawn(async move {
            while let Some(batch) = rx.recv().await {
                let root = root.clone();
                match tokio::task::spawn_blocking(move || append(&root, &batch)).await {
                    Ok(Err(e)) => failed(e),
                    Err(e) => failed(io::Error::other(e)),
                    Ok(Ok(())) => {}
                }
            }
        });
        Writer { batches: tx }
    }

    /// Queues `deaths` to be appended (after the batches queued before).
    pub fn append(&self, deaths: Vec<Death>) {
        if !deaths.is_empty() {
            let _ = self.batches.send(deaths);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::deaths::Cause;

    fn death(pid: u32) -> Death {
        Death {
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
        }
    }

    #[test]
    fn keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).is_empty());
        let many: Vec<Death> = (0..60).map(death).collect();
        append(dir.path(), &many).unwrap();
        append(dir.path(), &[death(99)]).unwrap();
        let all = read(dir.path());
        assert_eq!(all.len(), KEEP_DEATHS);
        assert_eq!(all.last().unwrap().pid, 99);
        assert_eq!(all[0].pid, 11);
    }

    /// Batches queued back to back are all written, in order, and a failure is told.
    #[tokio::test]
    async fn the_writer_appends_every_batch_in_order_and_tells_failures() {
        let dir = tempfile::tempdir().unwrap();
        let w = Writer::spawn(dir.path().to_owned(), |e| panic!("write failed: {e}"));
        for pid in 1..=5 {
            w.append(vec![death(pid), death(pid + 100)]);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while read(dir.path()).len() < 10 {
            assert!(
                std::time::Instant::now() < deadline,
                "{:?}",
                read(dir.path())
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let pids: Vec<u32> = read(dir.path()).iter().map(|d| d.pid).collect();
        assert_eq!(pids, [1, 101, 2, 102, 3, 103, 4, 104, 5, 105]);

        // `.devtop` is a file: the directory cannot be made.
        let blocked = tempfile::tempdir().unwrap();
        std::fs::write(blocked.path().join(".devtop"), "").unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let w = Writer::spawn(blocked.path().to_owned(), move |e| {
            let _ = tx.send(e.to_string());
        });
        w.append(vec![death(7)]);
        let told = tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv()).await;
        assert!(matches!(told, Ok(Some(_))), "{told:?}");
    }
}
