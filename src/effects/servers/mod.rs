//! Dev servers (`[[server]]`): started in dependency order with readiness probes, stopped in
//! reverse order with nothing left behind, recorded in `.devtop/state.json`.
//!
//! - [`up::up`] starts servers: a server starts once every server it `depends_on` is ready,
//!   independent ones at the same time; a configured port already listening is never started
//!   onto (the holder is named); readiness is probed every 50 ms ([`probe`]); a server that
//!   exits or is not ready within its `ready_timeout` fails the start with its last 20 log
//!   lines, and everything the call started is stopped again. Before a start, its
//!   `requires` are asked of a gate: one that does not hold keeps the server held (the call
//!   stops like a failed start), or, forced, is reported and the server started anyway.
//! - Servers run in a session of their own and outlive devtop ([`spawn`]); the state file
//!   ([`state`]) is the link to them for a later `devtop down`.
//! - [`down::down`] stops recorded servers in reverse order ([`stop`]).
//!
//! Progress is reported as [`Event`]s through a callback, so the headless commands print it
//! and the dashboard can show it.

pub mod down;
mod hold;
pub mod lock;
pub mod port_conflict;
mod pre_start;
pub mod probe;
pub mod rotate;
pub mod spawn;
pub mod state;
pub mod stop;
pub mod stop_request;
pub mod supervise;
pub mod up;

use std::time::Duration;

/// One step of starting or stopping servers. Text fields are raw (server names come from the
/// config); show them through the sanitiser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A stale state entry was dropped (its PID is gone or was reused): nothing signalled.
    Dropped {
        /// Server name.
        name: String,
    },
    /// Recorded as running already (by an earlier `up`): not started again, counted ready.
    AlreadyRunning {
        /// Server name.
        name: String,
        /// Its recorded PID.
        pid: u32,
    },
    /// Not started: a `requires` does not hold (the `up` stops there).
    Held {
        /// Server name.
        name: String,
        /// Why, ending with what to do: "local has 1 pending migration (X) — apply it".
        reason: String,
    },
    /// A `requires` does not hold, but it is started anyway (`--force`).
    Forced {
        /// Server name.
        name: String,
        /// The unmet requirement, as in [`Event::Held`].
        reason: String,
    },
    /// Started; readiness is being probed.
    Starting {
        /// Server name.
        name: String,
        /// Its PID (also its process group and session ID).
        pid: u32,
    },
    /// Ready.
    Ready {
        /// Server name.
        name: String,
        /// Time from the start to readiness.
        after: Duration,
        /// What showed it: "tcp 3010", "http http://…", "log /re/", "started".
        how: String,
    },
    /// The start failed.
    Failed {
        /// Server name.
        name: String,
        /// Why: "port 3010 is taken by PID 77", "exited with code 3 during start", "not ready
        /// after 60 s (tcp 3010)", "cannot start: No such file or directory".
        reason: String,
        /// Its last (up to 20) log lines, redacted and sanitised.
        last_lines: Vec<String>,
    },
    /// The stop signal was sent to these PIDs.
    Stopping {
        /// Server name.
        name: String,
        /// The processes signalled.
        pids: Vec<u32>,
    },
    /// Still waiting for these PIDs to exit (every second during the grace).
    Waiting {
        /// Server name.
        name: String,
        /// The processes still alive.
        pids: Vec<u32>,
    },
    /// `SIGKILL` sent to these PIDs (the grace ran out, or the leader left them behind).
    Killed {
        /// Server name.
        name: String,
        /// The processes killed.
        pids: Vec<u32>,
    },
    /// Every process of the server has ended.
    Stopped {
        /// Server name.
        name: String,
    },
    /// Processes survived `SIGKILL` (kept in the state file).
    StopFailed {
        /// Server name.
        name: String,
        /// The survivors.
        pids: Vec<u32>,
    },
    /// Its port is taken (before a start): what the [`port_conflict::PortConflicts`]
    /// decision is asked about; [`Event::Failed`], [`Event::Adopted`] or
    /// [`Event::HolderEnded`] follows.
    PortTaken {
        /// Server name.
        name: String,
        /// The port.
        port: u16,
        /// Who holds it; `None` when not visible (another user's process).
        holder: Option<port_conflict::Holder>,
    },
    /// The holder of its port was ended (decision `EndHolder`); the start follows.
    HolderEnded {
        /// Server name.
        name: String,
        /// The port, now free.
        port: u16,
        /// The processes signalled (the holder's stack, children first).
        pids: Vec<u32>,
    },
    /// The holder of its port runs its command in its cwd and was adopted: recorded (as
    /// `adopted`) and treated as running, not started.
    Adopted {
        /// Server name.
        name: String,
        /// The adopted process.
        pid: u32,
    },
    /// A supervised server exited on its own.
    Exited {
        /// Server name.
        name: String,
        /// Its exit code; `None` when unknown (devtop is not its parent: seen through a
        /// pidfd).
        code: Option<i32>,
    },
    /// A supervised server was killed by a signal devtop did not send.
    Crashed {
        /// Server name.
        name: String,
        /// The signal number (11 for SIGSEGV).
        signal: i32,
    },
    /// It will be started again (`restart = "on-failure"`).
    Restarting {
        /// Server name.
        name: String,
        /// Wait before the start (1 s, 2 s, 4 s, … 30 s).
        after: Duration,
        /// Restart number in the current streak of failures, 1-based.
        attempt: u32,
        /// Failures in a row that give up ([`crate::model::server_restart::Backoff`]).
        give_up_after: u32,
    },
    /// Too many failures in a row: left exited.
    GaveUp {
        /// Server name.
        name: String,
        /// Failures in a row.
        failures: u32,
    },
}
