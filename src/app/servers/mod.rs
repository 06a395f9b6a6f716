//! The Servers screen's state: one [`ServerRow`] per configured `[[server]]`, moved through its
//! phases by the supervisor's [`Event`]s (what this devtop's `u` / `d` / `r` and its supervisor
//! are doing) and by the periodic [`ServersPoll`] (what `.devtop/state.json` and `/proc` say:
//! servers another devtop or an earlier `devtop up` started, CPU and memory of each server's
//! whole process tree), merged by one rule ([`merge`]). Plus each server's log lines
//! ([`ServerLogs`]). Pure: applied by `update`, drawn by `ui::servers`.

pub mod event_text;
pub mod logs;
pub mod merge;

pub use crate::model::servers_poll::{PolledServer, ServersPoll};
pub use event_text::{event_name, event_text, signal_name};
pub use logs::ServerLogs;

use crate::effects::servers::Event;
use crate::model::server::ServerSpec;
use std::time::{Duration, SystemTime};

/// Where one server is in its life, as the Servers pane shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Not running (never started, or stopped).
    Stopped,
    /// Not started: a `requires` does not hold (the reason ends with what to do).
    Held(String),
    /// Started by this devtop; readiness is being probed.
    Starting,
    /// Started by this devtop and ready.
    Ready,
    /// Was ready, but its configured port no longer listens while its processes run.
    Unhealthy,
    /// Ended on its own after it was running: the exit code when known (only the devtop that
    /// started it can know it).
    Exited(Option<i32>),
    /// Ended by a signal on its own (the signal's name).
    Crashed(String),
    /// Exited or crashed with `restart = "on-failure"`: waiting out the back-off before the
    /// supervisor starts it again (`d` stops it for good).
    Restarting,
    /// Running, recorded in `.devtop/state.json` by another devtop or an earlier `devtop up`
    /// (not started by this one); `d` stops it like any other.
    Adopted,
    /// Its stop signal was sent; waiting for its processes to end.
    Stopping,
    /// The start failed (see [`ServerRow::last_error`] and [`ServerRow::failed_lines`]); what
    /// was started of it has been stopped again.
    Failed,
}

impl Phase {
    /// The word in the STATE column: "stopped", "held", "starting", "ready", "unhealthy",
    /// "exited(3)", "exited", "crashed(SIGSEGV)", "restarting", "adopted", "stopping", "failed".
    pub fn label(&self) -> String {
        match self {
            Phase::Stopped => "stopped".into(),
            Phase::Held(_) => "held".into(),
            Phase::Starting => "starting".into(),
            Phase::Ready => "ready".into(),
            Phase::Unhealthy => "unhealthy".into(),
            Phase::Exited(Some(code)) => format!("exited({code})"),
            Phase::Exited(None) => "exited".into(),
            Phase::Crashed(sig) => format!("crashed({sig})"),
            Phase::Restarting => "restarting".into(),
            Phase::Adopted => "adopted".into(),
            Phase::Stopping => "stopping".into(),
            Phase::Failed => "failed".into(),
        }
    }

    /// True while the server's processes are believed to run, or it waits to be restarted
    /// (a row `d` acts on).
    pub fn running(&self) -> bool {
        matches!(
            self,
            Phase::Starting
                | Phase::Ready
                | Phase::Unhealthy
                | Phase::Adopted
                | Phase::Stopping
                | Phase::Restarting
        )
    }
}

/// One server on the Servers pane.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerRow {
    /// Configured name (raw: shown through the sanitiser).
    pub name: String,
    /// Configured port.
    pub port: Option<u16>,
    /// Configured `depends_on`.
    pub depends_on: Vec<String>,
    /// Where it is.
    pub phase: Phase,
    /// Leader PID (also its process group and session ID) while running.
    pub pid: Option<u32>,
    /// Wall-clock start, seconds since the Unix epoch (from the state file), while running.
    pub started_unix: Option<u64>,
    /// Time from start to ready of the run shown (seen here or recorded); `None` once it ended.
    pub ready_after: Option<Duration>,
    /// What showed readiness ("tcp 3010", "http http://…", "started").
    pub ready_how: Option<String>,
    /// CPU of its whole tree over the last poll interval, % of one core (`/proc/<pid>/stat`
    /// utime + stime of every member).
    pub cpu_percent: Option<f32>,
    /// Resident memory of its whole tree, bytes (`/proc/<pid>/stat` rss × page size).
    pub rss_bytes: Option<u64>,
    /// Its processes (session, group and descendants that left them), from the last poll.
    pub members: Vec<u32>,
    /// While stopping: the PIDs still waited for.
    pub waiting: Vec<u32>,
    /// Why the last start or stop failed ("exited with code 3 during start", "not ready after
    /// 60 s (tcp 3010)", "port 3010 is taken by PID 77; not started", "PIDs 5 survived").
    pub last_error: Option<String>,
    /// The last (up to 20) log lines of a failed start, redacted and sanitised.
    pub failed_lines: Vec<String>,
    /// Started by this devtop (the quit question is about these).
    pub ours: bool,
    /// The leader PID of the run this devtop's supervisor owns: launched here
    /// ([`Event::Starting`]) or handed to it to watch ([`Event::AlreadyRunning`],
    /// [`Event::Adopted`]); kept through the exit of a run launched here (the supervisor
    /// stops what its leader left, then restarts it or leaves it), cleared when the supervisor
    /// lets go ([`Event::Stopped`], [`Event::Dropped`], the reported exit of a run it only
    /// watched). The state of that run comes from the supervisor's events only (see
    /// [`merge`]).
    pub supervised: Option<u32>,
    /// When the phase last changed by an event (a poll taken before it does not undo it).
    pub changed_at: SystemTime,
}

impl ServerRow {
    /// A stopped row for `spec`.
    pub fn new(spec: &ServerSpec) -> ServerRow {
        ServerRow {
            name: spec.name.clone(),
            port: spec.port,
            depends_on: spec.depends_on.clone(),
            phase: Phase::Stopped,
            pid: None,
            started_unix: None,
            ready_after: None,
            ready_how: None,
            cpu_percent: None,
            rss_bytes: None,
            members: Vec::new(),
            waiting: Vec::new(),
            last_error: None,
            failed_lines: Vec::new(),
            ours: false,
            supervised: None,
            changed_at: SystemTime::UNIX_EPOCH,
        }
    }

    /// The run shown is `pid`'s: another run's time to ready is dropped (its `ready_how`,
    /// the configured probe's label, is the same).
    fn show_run(&mut self, pid: u32) {
        if self.pid.replace(pid) != Some(pid) {
            self.ready_after = None;
        }
    }

    fn clear_run(&mut self) {
        self.ready_after = None;
        self.pid = None;
        self.started_unix = None;
        self.cpu_percent = None;
        self.rss_bytes = None;
        self.members.clear();
        self.waiting.clear();
    }
}

/// A servers operation under way (one at a time; `d` interrupts `u` and `r`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// `u`.
    Starting,
    /// `d`, or the stop before quitting.
    Stopping,
    /// `r`: stop, then start again.
    Restarting,
}

/// A request to the server supervisor (run by the executor's server worker, one at a time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerOp {
    /// Start every configured server in dependency order; `force` starts held ones anyway.
    Up {
        /// Start a server whose `requires` do not hold anyway.
        force: bool,
    },
    /// Stop the recorded servers in reverse order. Interrupts a start under way (what it
    /// started is recorded, so this stops it).
    Down {
        /// `None`: every recorded server; `Some`: only these (none for an empty list).
        only: Option<Vec<String>>,
    },
    /// Stop `names` (reverse order), then start them again with their dependencies.
    Restart {
        /// The servers to restart.
        names: Vec<String>,
    },
    /// Stop, in reverse order, every server the worker itself launched that still runs (also
    /// those of a start under way, which it interrupts), and forget every server: the stop
    /// before devtop ends. Servers it did not start are left running.
    StopOurs,
}

/// How a [`ServerOp`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpOutcome {
    /// Every server of the op is ready (up, restart) or every process ended (down).
    Done,
    /// The (first) named server failed to start or is held; the others the op started run on.
    Failed(String),
    /// Some processes survived SIGKILL (down).
    Survivors,
    /// Interrupted by a `d`.
    Interrupted,
    /// The state file could not be read or written, or no server is configured: the message.
    Error(String),
}

/// The Servers screen's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Servers {
    /// One row per configured server, in config order.
    pub rows: Vec<ServerRow>,
    /// Selected row.
    pub selected: usize,
    /// First row shown (kept where it was until the selection leaves the view).
    pub offset: usize,
    /// The operation under way, if any.
    pub busy: Option<Busy>,
    /// The last `u` ended with a server held: the next `u` starts it anyway.
    pub force_next: bool,
    /// Quit once the stop under way ends (the quit question's "stop them").
    pub quit_after_stop: bool,
    /// The quit question was answered "leave them running".
    pub leave_running: bool,
    /// Per-server log lines (bounded).
    pub logs: ServerLogs,
    /// The latest poll.
    pub poll: ServersPoll,
}

impl Servers {
    /// Rows for `specs` (config order), each log bounded to `log_lines` lines.
    pub fn new(specs: &[ServerSpec], log_lines: usize) -> Servers {
        Servers {
            rows: specs.iter().map(ServerRow::new).collect(),
            selected: 0,
            offset: 0,
            busy: None,
            force_next: false,
            quit_after_stop: false,
            leave_running: false,
            logs: ServerLogs::new(log_lines),
            poll: ServersPoll::default(),
        }
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&ServerRow> {
        self.rows.get(self.selected)
    }

    /// Names of the servers this devtop started that still run (the quit question's subject).
    pub fn ours_running(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.ours && r.phase.running())
            .map(|r| r.name.clone())
            .collect()
    }

    /// Names of the servers that depend on `name`, directly or not, in config order.
    pub fn dependents(&self, name: &str) -> Vec<String> {
        let pairs: Vec<(&str, &[String])> = (self.rows.iter())
            .map(|r| (r.name.as_str(), r.depends_on.as_slice()))
            .collect();
        let deps = crate::model::server_order::dependents_of(&pairs, &[name.to_owned()]);
        deps.into_iter().map(str::to_owned).collect()
    }

    fn row_mut(&mut self, name: &str) -> Option<&mut ServerRow> {
        self.rows.iter_mut().find(|r| r.name == name)
    }
}

#[cfg(test)]
mod tests;
