//! Writing `.devtop/state.json` (see [`crate::model::server_state`]): the servers devtop
//! started and left running, so that another devtop (`devtop down`, a restarted dashboard)
//! can find and stop them.
//!
//! Written atomically (a temporary file in `.devtop/`, then `rename`). Read back through
//! [`read_live`] ([`crate::collect::server_state`], re-exported here), which keeps an entry
//! only while it provably still names the process devtop started (see [`Liveness`]);
//! everything else is dropped and never signalled.
//!
//! Only the holder of the state-file lock ([`super::lock`]) writes: every writer takes a
//! `&StateLock`, so the compiler refuses a write without it. Readers (`devtop status`, the
//! dashboard's poll) filter stale entries out without writing ([`read_live`]); the holder
//! prunes them from the file ([`prune`]).

use super::lock::StateLock;
pub use crate::collect::server_state::{
    STATE_DIR, STATE_FILE, liveness, path, read, read_live, split_live,
};
pub use crate::model::server_state::{Liveness, Outcome, Recorded, State};
use std::io;
use std::path::Path;

impl Recorded {
    /// A new entry for a process devtop just started as a session leader (`pid` = `pgid`),
    /// started now.
    pub fn started(name: &str, pid: u32, start_ticks: u64, port: Option<u16>) -> Recorded {
        Recorded {
            name: name.to_owned(),
            pid,
            pgid: pid,
            start_ticks,
            port,
            started_unix: unix_now(),
            adopted: false,
            ready_after_ms: None,
        }
    }
}

/// Seconds since the Unix epoch now (0 before 1970).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Writes `state` atomically: a temporary file in the same directory, then `rename` over the
/// old one, so a reader sees the old or the new file, never half of one.
///
/// # Errors
/// The directory cannot be created or the file written or renamed.
pub fn write(_lock: &StateLock, root: &Path, state: &State) -> io::Result<()> {
    let dir = root.join(STATE_DIR);
    std::fs::create_dir_all(&dir)?;
    let json = serde_json::to_string_pretty(state).map_err(io::Error::other)?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    io::Write::write_all(&mut tmp, json.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path(root)).map_err(|e| e.error)?;
    Ok(())
}

/// As [`read_live`], and the file rewritten without the stale entries when there are some
/// (for the lock holder).
///
/// # Errors
/// As [`read`] and [`write`].
pub fn prune(lock: &StateLock, root: &Path) -> io::Result<(Vec<Recorded>, Vec<String>)> {
    let state = read(root)?;
    let (live, dropped) = split_live(state.servers);
    if !dropped.is_empty() {
        let kept = State {
            version: 1,
            servers: live.clone(),
            outcomes: state.outcomes,
        };
        write(lock, root, &kept)?;
    }
    Ok((live, dropped))
}

/// Rewrites the state file with `keep(entry)` entries only.
///
/// # Errors
/// As [`read`] and [`write`].
pub fn retain(lock: &StateLock, root: &Path, keep: impl Fn(&Recorded) -> bool) -> io::Result<()> {
    let mut state = read(root)?;
    state.version = 1;
    state.servers.retain(|e| keep(e));
    write(lock, root, &state)
}

/// Adds (or replaces, by name) `entry` in the state file, and clears the server's held
/// reason (it runs now) and, for an adopted entry, its last error (the port conflict that
/// adopting it resolved).
///
/// # Errors
/// As [`read`] and [`write`].
pub fn record(lock: &StateLock, root: &Path, entry: Recorded) -> io::Result<()> {
    let mut state = read(root)?;
    state.version = 1;
    state.servers.retain(|e| e.name != entry.name);
    if let Some(o) = state.outcomes.iter_mut().find(|o| o.name == entry.name) {
        o.held_reason = None;
        if entry.adopted {
            o.last_error = None;
        }
    }
    state.servers.push(entry);
    write(lock, root, &state)
}

/// Sets the time to ready of the entry recorded for `name` with PID `pid` (nothing when it is
/// no longer recorded).
///
/// # Errors
/// As [`read`] and [`write`].
pub fn set_ready(
    lock: &StateLock,
    root: &Path,
    name: &str,
    pid: u32,
    after: std::time::Duration,
) -> io::Result<()> {
    let mut state = read(root)?;
    let Some(e) = state
        .servers
        .iter_mut()
        .find(|e| e.name == name && e.pid == pid)
    else {
        return Ok(());
    };
    e.ready_after_ms = Some(u64::try_from(after.as_millis()).unwrap_or(u64::MAX));
    write(lock, root, &state)
}

/// Records the last outcome of `name`: `held` replaces its held reason, `error` (when
/// `Some`) its last error.
///
/// # Errors
/// As [`read`] and [`write`].
pub fn note(
    lock: &StateLock,
    root: &Path,
    name: &str,
    held: Option<String>,
    error: Option<String>,
) -> io::Result<()> {
    let mut state = read(root)?;
    state.version = 1;
    let at = state.outcomes.iter().position(|o| o.name == name);
    let o = match at {
        Some(i) => &mut state.outcomes[i],
        None => {
            state.outcomes.push(Outcome {
                name: name.to_owned(),
                ..Outcome::default()
            });
            let last = state.outcomes.len() - 1;
            &mut state.outcomes[last]
        }
    };
    o.held_reason = held;
    if error.is_some() {
        o.last_error = error;
    }
    o.at_unix = unix_now();
    write(lock, root, &state)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// This test process, recorded as if it led its own session (the PID as group ID).
    fn me() -> Recorded {
        let id = crate::effects::signal::read_identity(std::process::id()).unwrap();
        Recorded {
            name: "self".into(),
            pid: id.pid,
            pgid: id.pid,
            start_ticks: id.start_ticks,
            port: Some(3010),
            started_unix: 1,
            adopted: false,
            ready_after_ms: None,
        }
    }

    #[test]
    fn round_trip_and_stale_entries_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let lock = super::super::lock::try_acquire(dir.path(), "test").unwrap();
        assert_eq!(read(dir.path()).unwrap(), State::default());
        record(&lock, dir.path(), me()).unwrap();
        let reused = Recorded {
            name: "reused".into(),
            start_ticks: me().start_ticks + 1,
            ..me()
        };
        record(&lock, dir.path(), reused.clone()).unwrap();
        let max = u32::try_from(i32::MAX).unwrap();
        let gone = Recorded {
            name: "gone".into(),
            pid: max,
            pgid: max,
            ..me()
        };
        record(&lock, dir.path(), gone).unwrap();
        let foreign_group = Recorded {
            name: "foreign".into(),
            pgid: 1,
            ..me()
        };
        record(&lock, dir.path(), foreign_group).unwrap();
        assert_eq!(read(dir.path()).unwrap().servers.len(), 4);
        assert_eq!(liveness(&me()), Liveness::Running);
        assert_eq!(liveness(&reused), Liveness::Gone);
        // A reader filters and writes nothing; the lock holder prunes.
        let (live, dropped) = read_live(dir.path()).unwrap();
        assert_eq!(live, vec![me()]);
        assert_eq!(dropped, ["reused", "gone", "foreign"]);
        assert_eq!(read(dir.path()).unwrap().servers.len(), 4);
        assert_eq!(prune(&lock, dir.path()).unwrap(), (live, dropped));
        assert_eq!(read(dir.path()).unwrap().servers, vec![me()]);
        retain(&lock, dir.path(), |_| false).unwrap();
        assert!(read(dir.path()).unwrap().servers.is_empty());
    }
}
