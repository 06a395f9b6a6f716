//! Reading `.devtop/state.json` (see [`crate::model::server_state`]) and judging each entry
//! against `/proc` ([`liveness`]): an entry is kept only while it provably still names the
//! process devtop started; everything else is left out and never signalled. Reads only: the
//! writers (under the state-file lock) are [`crate::effects::servers::state`].

use crate::model::server_state::{Liveness, Recorded, State};
use std::io;
use std::path::{Path, PathBuf};

/// Directory under the project root holding devtop's state and server logs.
pub const STATE_DIR: &str = ".devtop";
/// File name of the state file inside [`STATE_DIR`].
pub const STATE_FILE: &str = "state.json";
/// Largest state file read, in bytes (a few hundred servers fit in far less).
const MAX_STATE_BYTES: u64 = 1 << 20;

/// `<root>/.devtop/state.json`.
pub fn path(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(STATE_FILE)
}

/// Reads the state file as written; a missing file is an empty state.
///
/// # Errors
/// An unreadable file, one over 1 MiB, or one that is not valid state JSON.
pub fn read(root: &Path) -> io::Result<State> {
    let file = path(root);
    let text = match crate::bounded_read::read_text(&file, MAX_STATE_BYTES) {
        Ok(t) => t,
        Err(crate::bounded_read::ReadError::NotFound { .. }) => return Ok(State::default()),
        Err(e) => return Err(io::Error::other(e.to_string())),
    };
    serde_json::from_str(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", file.display()),
        )
    })
}

/// Checks `entry` against `/proc` now (see [`Liveness`]).
pub fn liveness(entry: &Recorded) -> Liveness {
    // devtop starts every server as the leader of its own session: anything else was not
    // written by it.
    if entry.pgid != entry.pid && !entry.adopted {
        return Liveness::Gone;
    }
    match crate::collect::identity::read_identity(entry.pid) {
        Ok(id) if id.start_ticks == entry.start_ticks && !id.exited() => Liveness::Running,
        // The PID names another process now: its session ID is not ours.
        Ok(id) if id.start_ticks != entry.start_ticks => Liveness::Gone,
        _ if !super::server_members::scan(entry).is_empty() => Liveness::LeaderGone,
        _ => Liveness::Gone,
    }
}

/// The recorded servers still alive (see [`Liveness`]), in start order, and the names of the
/// stale entries left out. Writes nothing (a reader without the lock; the lock holder prunes
/// the file: [`crate::effects::servers::state::prune`]).
///
/// # Errors
/// As [`read`].
pub fn read_live(root: &Path) -> io::Result<(Vec<Recorded>, Vec<String>)> {
    Ok(split_live(read(root)?.servers))
}

/// `entries` split into those still alive (see [`Liveness`]), in order, and the names of the
/// others.
pub fn split_live(entries: Vec<Recorded>) -> (Vec<Recorded>, Vec<String>) {
    let (live, gone): (Vec<Recorded>, Vec<Recorded>) = entries
        .into_iter()
        .partition(|e| liveness(e) != Liveness::Gone);
    (live, gone.into_iter().map(|e| e.name).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_empty_and_a_broken_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()).unwrap(), State::default());
        std::fs::create_dir_all(dir.path().join(STATE_DIR)).unwrap();
        std::fs::write(path(dir.path()), "{").unwrap();
        assert_eq!(
            read(dir.path()).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
