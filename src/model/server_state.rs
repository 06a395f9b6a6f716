//! What `.devtop/state.json` holds: the servers devtop started and left running (so that
//! another devtop, `devtop down` or a restarted dashboard can find and stop them) and the last
//! outcome of each. Pure data: read by [`crate::collect::server_state`], written (under the
//! state-file lock) by [`crate::effects::servers::state`].

use serde::{Deserialize, Serialize};

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
