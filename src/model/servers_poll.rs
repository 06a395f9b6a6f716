//! What the periodic look at `.devtop/state.json` and `/proc` found
//! ([`crate::collect::servers_poll`]): the recorded servers that still run, with the numbers of
//! their whole process trees. Pure data, merged into the Servers pane by
//! [`crate::app::servers`].

use std::time::{Duration, SystemTime};

/// One server as the periodic poll found it running (see [`crate::collect::servers_poll`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PolledServer {
    /// Server name as recorded.
    pub name: String,
    /// Recorded leader PID.
    pub pid: u32,
    /// Recorded wall-clock start, seconds since the Unix epoch.
    pub started_unix: u64,
    /// False when the leader has exited but processes it started remain in its session.
    pub leader_alive: bool,
    /// Its live processes, ascending PIDs.
    pub members: Vec<u32>,
    /// Resident memory of all members, bytes.
    pub rss_bytes: u64,
    /// CPU of all members since the previous poll, % of one core (0 on the first poll).
    pub cpu_percent: f32,
    /// Whether its recorded port listens now (`None`: no port).
    pub listening: Option<bool>,
    /// Time from its start to ready, as recorded by the `up` that started it.
    pub ready_after: Option<Duration>,
}

/// What one poll of `.devtop/state.json` and `/proc` found.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServersPoll {
    /// When it was taken.
    pub taken_at: Option<SystemTime>,
    /// The recorded servers that still run (stale entries are left out, never signalled).
    pub running: Vec<PolledServer>,
    /// Why the state file could not be read, if it could not.
    pub error: Option<String>,
}
