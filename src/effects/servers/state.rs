//! `.devtop/state.json`: the servers devtop started and left running, so that another devtop
//! (`devtop down`, a restarted dashboard) can find and stop them.
//!
//! Written atomically (a temporary file in `.devtop/`, then `rename`). Read back through
//! [`read_live`], which keeps an entry only while it provably still names the process devtop
//! started (see [`Liveness`]); everything else is dropped and never signalled.
//!
//! Only the holder of the state-file lock ([`super::lock`]) writes: every writer takes a
//! `&StateLock`, so the compiler refuses a write without it. Readers (`devtop status`, the
//! dashboard's poll) filter stale entries out without writing ([`read_live`]); the holder
//! prunes them from the file ([`prune`]).

use super::lock::StateLock;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// Directory under the project root holding devtop's state and server logs.
pub const STATE_DIR: &str = ".devtop";
/// File name of the state file inside [`STATE_DIR`].
pub const STATE_FILE: &str = "state.json";
/// Largest state file read, in bytes (a few hundred servers fit in far less).
const MAX_STATE_BYTES: u64 = 1 << 20;

/// One server devtop started, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The server's configured name.
    pub name: String,
    /// PID of the process devtop started (the leader of its session and process group).
    pub pid: u32,
    /// Its process group ID, equal to its session ID (it was started with `setsid`).
    pub pgid: u32,
    /// Its start time in clock ticks since boot (`/proc/<pid>/stat` field 22): with `pid`, its
    /// identity.
    pub start_ticks: u64,
    /// The configured port, if any.
    pub port: Option<u16>,
    /// Wall-clock start, seconds since the Unix epoch (for uptime; never used as identity).
    pub started_unix: u64,
    /// True for a server devtop did not start but adopted (it held the server's port with
    /// the server's cwd and command): `pid` is then the adopted process, `pgid` its process
    /// group as read, and only `pid` and its descendants are its members.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
    /// Time from its start to readiness, milliseconds, once ready (written by the `up` that
    /// started it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_after_ms: Option<u64>,
}

impl Recorded {
    /// A new entry for a process devtop just started as a session leader (`pid` = `pgid`).
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

/// The last outcome of a server that is not (or no longer) running as recorded: kept so that
/// `devtop status` can say why after the `up` that saw it has ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The server's configured name.
    pub name: String,
    /// Why its `requires` held it at its last start (raw text; shown sanitised); cleared when
    /// it starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_reason: Option<String>,
    /// Its last failure: a failed start ("port 3010 is taken by PID 77 …", "not ready after
    /// 60 s (tcp 3010)") or an exit while supervised ("exited with code 1", "killed by signal
    /// 11", "gave up after 5 failures in a row"). Kept until a later failure replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was written, seconds since the Unix epoch.
    pub at_unix: u64,
}

/// Seconds since the Unix epoch now (0 before 1970).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Format version, 1.
    pub version: u32,
    /// Recorded servers in start order.
    pub servers: Vec<Recorded>,
    /// Last held reason / error per server name (see [`Outcome`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcomes: Vec<Outcome>,
}

/// Whether a recorded entry still names what devtop started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// The leader runs with the recorded start time.
    Running,
    /// The leader has exited, but processes it started are still in its session (a session ID
    /// is never handed to a new process while a member still carries it, so they are its own).
    LeaderGone,
    /// Nothing of it is left, or the PID now belongs to another process (start time changed):
    /// the entry is dropped and nothing is signalled.
    Gone,
}

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

/// Checks `entry` against `/proc` now (see [`Liveness`]).
pub fn liveness(entry: &Recorded) -> Liveness {
    // devtop starts every server as the leader of its own session: anything else was not
    // written by it.
    if entry.pgid != entry.pid && !entry.adopted {
        return Liveness::Gone;
    }
    match crate::effects::signal::read_identity(entry.pid) {
        Ok(id) if id.start_ticks == entry.start_ticks && !id.exited() => Liveness::Running,
        // The PID names another process now: its session ID is not ours.
        Ok(id) if id.start_ticks != entry.start_ticks => Liveness::Gone,
        _ if !super::members::scan(entry).is_empty() => Liveness::LeaderGone,
        _ => Liveness::Gone,
    }
}

/// The recorded servers still alive (see [`Liveness`]), in start order, and the names of the
/// stale entries left out. Writes nothing (a reader without the lock; see [`prune`]).
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

    #[test]
    fn a_broken_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(STATE_DIR)).unwrap();
        std::fs::write(path(dir.path()), "{").unwrap();
        assert_eq!(
            read(dir.path()).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
    }
}
