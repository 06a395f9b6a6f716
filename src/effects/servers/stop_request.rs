//! Stop requests: how a devtop that cannot take the state-file lock (another devtop — a
//! dashboard, a foreground `up` — holds it while it supervises) still stops the servers,
//! without the supervisor taking the stop for a crash and restarting them.
//!
//! The requester writes one file per server, `.devtop/stop-requests/NAME.json` (who asks,
//! when, and which run: the recorded PID and start time), each created atomically (a
//! temporary file, then `rename`): no lock is needed and no write of the lock holder can lose
//! it, as a field in `state.json` could be. Then it stops the servers itself (the same
//! pidfd-pinned, guarded [`super::stop`]). The supervisor, on seeing a server exit, looks for
//! a request naming that very run (same PID and start time) — or, for a server waiting out a
//! restart back-off, a request made after its exit — and treats it as a stop: reported
//! [`super::Event::Stopped`], not restarted, its state entry dropped, the request removed. A
//! request matches one run only, so a leftover one never stops a later run; a new supervisor
//! clears them all ([`clear`]).

use super::state::{Recorded, STATE_DIR};
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// Directory of the requests inside [`STATE_DIR`].
pub const REQUEST_DIR: &str = "stop-requests";
/// Largest request file read, in bytes.
const MAX_BYTES: u64 = 4096;

/// One request to stop a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopRequest {
    /// The server's name.
    pub name: String,
    /// PID of the devtop that asks (shown only).
    pub by_pid: u32,
    /// When it asked, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The run it stops: the recorded leader PID and start time (`None` when none was
    /// recorded, e.g. a server waiting out a restart back-off).
    pub run: Option<(u32, u64)>,
}

/// Milliseconds since the Unix epoch now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `<root>/.devtop/stop-requests/NAME.json`; `None` for a name that is not a plain file name
/// (configured names are letters, digits, `-`, `_` and `.`).
fn file(root: &Path, name: &str) -> Option<PathBuf> {
    let plain = !name.is_empty() && !name.contains('/') && name != "." && name != "..";
    plain.then(|| {
        root.join(STATE_DIR)
            .join(REQUEST_DIR)
            .join(format!("{name}.json"))
    })
}

/// Asks the supervisor holding the lock to let go of `name` (its run `run`, when recorded):
/// writes the request atomically.
///
/// # Errors
/// The directory or file cannot be written, or `name` is not a plain file name.
pub fn request(root: &Path, name: &str, run: Option<&Recorded>) -> io::Result<()> {
    let path = file(root, name).ok_or_else(|| io::Error::other(format!("bad name {name:?}")))?;
    let dir = path.parent().unwrap_or(root);
    std::fs::create_dir_all(dir)?;
    let req = StopRequest {
        name: name.to_owned(),
        by_pid: std::process::id(),
        at_ms: now_ms(),
        run: run.map(|r| (r.pid, r.start_ticks)),
    };
    let json = serde_json::to_string(&req).map_err(io::Error::other)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    io::Write::write_all(&mut tmp, json.as_bytes())?;
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

/// The request for `name`, if there is a readable one.
pub fn read(root: &Path, name: &str) -> Option<StopRequest> {
    let path = file(root, name)?;
    let text = crate::bounded_read::read_text(&path, MAX_BYTES).ok()?;
    serde_json::from_str::<StopRequest>(&text)
        .ok()
        .filter(|r| r.name == name)
}

/// Takes (reads and removes) the request that stops `record`'s run — same PID and start
/// time — or, with `since_ms`, any request for its name made at or after that time (a server
/// that had exited and waits to be restarted). `None` when there is none.
pub fn take(root: &Path, record: &Recorded, since_ms: Option<u64>) -> Option<StopRequest> {
    let req = read(root, &record.name)?;
    let this_run = req.run == Some((record.pid, record.start_ticks));
    let after = since_ms.is_some_and(|t| req.at_ms >= t);
    if !(this_run || after) {
        return None;
    }
    if let Some(path) = file(root, &record.name) {
        let _ = std::fs::remove_file(path);
    }
    Some(req)
}

/// Removes every request (a new supervisor: requests made to an earlier one are void).
pub fn clear(root: &Path) {
    let dir = root.join(STATE_DIR).join(REQUEST_DIR);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rec(pid: u32, ticks: u64) -> Recorded {
        Recorded::started("api", pid, ticks, None)
    }

    #[test]
    fn a_request_matches_its_run_or_a_later_exit_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        request(root, "api", Some(&rec(10, 5))).unwrap();
        assert_eq!(read(root, "api").unwrap().run, Some((10, 5)));
        // Another run of api (restarted since): not this request's.
        assert_eq!(take(root, &rec(11, 6), None), None);
        // Waiting since after the request: not this request's either.
        assert_eq!(take(root, &rec(11, 6), Some(now_ms() + 60_000)), None);
        // Its run: taken once.
        assert!(take(root, &rec(10, 5), None).is_some());
        assert_eq!(read(root, "api"), None);
        // No run recorded (waiting out a back-off that began before the request).
        request(root, "api", None).unwrap();
        assert!(take(root, &rec(11, 6), Some(0)).is_some());
        request(root, "api", None).unwrap();
        clear(root);
        assert_eq!(read(root, "api"), None);
        assert!(request(root, "../x", None).is_err());
    }
}
