//! The lock on `.devtop/state.json`: an exclusive `flock(2)` on `.devtop/lock`, held by the
//! `devtop up` / `devtop down` (or dashboard) that starts, supervises or stops servers, so two
//! of them cannot double-start a server or lose each other's writes to the state file.
//!
//! The holder writes `PID WHAT` ("4242 up") into the file after locking it, so a refused
//! caller can name it. The lock goes with the holder's file descriptor: a holder that dies,
//! even by `SIGKILL`, releases it (a stale PID in the file is harmless: it is only shown).
//! Readers (`devtop status`) take no lock and never write: the state file is replaced
//! atomically. Every writer of [`super::state`] takes a `&StateLock`.

use super::state::STATE_DIR;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// File name of the lock inside [`STATE_DIR`].
pub const LOCK_FILE: &str = "lock";
/// How often a waiting caller tries again.
const RETRY: Duration = Duration::from_millis(50);

/// The lock, held until dropped.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// Why the lock was not taken.
#[derive(Debug)]
pub enum LockError {
    /// Another devtop held it for the whole wait.
    Held {
        /// Its PID and what it does ("4242 up"), as it wrote them; `None` when unreadable.
        holder: Option<(u32, String)>,
    },
    /// The lock file could not be created or locked.
    Io(io::Error),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held {
                holder: Some((pid, what)),
            } => write!(
                f,
                "another devtop (PID {pid}, {what}) manages the servers of this project; \
                 stop it first (Ctrl-C in its terminal, or kill -TERM {pid})"
            ),
            LockError::Held { holder: None } => write!(
                f,
                "another devtop manages the servers of this project (it holds {STATE_DIR}/{LOCK_FILE})"
            ),
            LockError::Io(e) => write!(f, "cannot lock {STATE_DIR}/{LOCK_FILE}: {e}"),
        }
    }
}

/// `<root>/.devtop/lock`.
pub fn path(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(LOCK_FILE)
}

/// Takes the lock of `root`, trying every 50 ms for up to `wait`, and writes this process's
/// PID and `what` ("up", "down", "dashboard") into it.
///
/// # Errors
/// [`LockError::Held`] naming the holder when another process kept it for the whole wait;
/// [`LockError::Io`] when the file cannot be created or locked.
pub async fn acquire(root: &Path, what: &str, wait: Duration) -> Result<StateLock, LockError> {
    let deadline = Instant::now() + wait;
    loop {
        match try_acquire(root, what) {
            Err(LockError::Held { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(RETRY).await;
            }
            other => return other,
        }
    }
}

/// [`acquire`] without waiting: one try.
///
/// # Errors
/// As [`acquire`].
pub fn try_acquire(root: &Path, what: &str) -> Result<StateLock, LockError> {
    let file = path(root);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(LockError::Io)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&file)
        .map_err(LockError::Io)?;
    match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => {
            return Err(LockError::Held {
                holder: holder(&mut f),
            });
        }
        Err(e) => return Err(LockError::Io(e.into())),
    }
    let stamp = format!("{} {what}\n", std::process::id());
    let written = f
        .set_len(0)
        .and_then(|()| f.rewind())
        .and_then(|()| f.write_all(stamp.as_bytes()));
    written.map_err(LockError::Io)?;
    Ok(StateLock { _file: f })
}

/// The PID and activity written by the holder.
fn holder(f: &mut File) -> Option<(u32, String)> {
    let mut text = String::new();
    f.rewind().ok()?;
    f.take(256).read_to_string(&mut text).ok()?;
    let (pid, what) = text.trim().split_once(' ')?;
    Some((pid.parse().ok()?, what.to_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_taker_waits_then_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path(), "up", Duration::ZERO).await.unwrap();
        let err = acquire(dir.path(), "down", Duration::from_millis(120))
            .await
            .unwrap_err();
        let me = std::process::id();
        assert!(
            matches!(&err, LockError::Held { holder: Some((pid, what)) } if *pid == me && what == "up"),
            "{err:?}"
        );
        assert!(err.to_string().contains(&format!("PID {me}, up")), "{err}");
        drop(first);
        let again = acquire(dir.path(), "down", Duration::ZERO).await;
        assert!(again.is_ok());
    }
}
