//! A server's port found taken before its start, as the question to the user shows it: who
//! holds it ([`Holder`], read from `/proc` by [`crate::effects::servers::port_conflict`]),
//! what "end it" would signal, and the answer ([`PortDecision`]). Pure data.

use crate::model::server_state::Recorded;
use std::path::PathBuf;

/// The process holding a port, as read from `/proc/<pid>` (text fields raw: show them
/// sanitised and redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// PID of the process with the listening socket.
    pub pid: u32,
    /// Its start time, clock ticks since boot (`/proc/<pid>/stat` field 22).
    pub start_ticks: u64,
    /// Its role ("vite", "node", "npm", …; see [`crate::model::process::Role`]).
    pub role: String,
    /// Its argv (`/proc/<pid>/cmdline`).
    pub argv: Vec<String>,
    /// Its working directory (`/proc/<pid>/cwd`), when readable.
    pub cwd: Option<PathBuf>,
    /// The project it belongs to: the nearest directory at or above `cwd` holding
    /// `devtop.toml`, `package.json` or `.git`.
    pub project: Option<PathBuf>,
    /// The process running the server's own command in the server's cwd — the holder or one
    /// of its ancestors — when there is one: what adopting records. `None` = not adoptable.
    pub same_server: Option<Recorded>,
    /// What "end it" signals, as read when the conflict was found and shown in the question:
    /// [`same_server`](Self::same_server) (else the holder) and its descendants, children
    /// first, each with its start time. Nothing else is ever signalled for it: a process
    /// started after the question, or one whose start time changed, is left alone.
    pub to_end: Vec<EndTarget>,
}

/// One process "end it" would signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndTarget {
    /// PID.
    pub pid: u32,
    /// Start time, clock ticks since boot (`/proc/<pid>/stat` field 22).
    pub start_ticks: u64,
    /// Its name (`/proc/<pid>/comm`), raw: show it sanitised.
    pub name: String,
}

impl Holder {
    /// One line for messages: `PID 77 (vite) node /p/web/node_modules/.bin/vite in /p/web
    /// (project /p)`; argv joined by spaces, not sanitised.
    pub fn describe(&self) -> String {
        let mut s = format!("PID {} ({}) {}", self.pid, self.role, self.argv.join(" "));
        if let Some(cwd) = &self.cwd {
            s.push_str(&format!(" in {}", cwd.display()));
        }
        if let Some(p) = &self.project {
            s.push_str(&format!(" (project {})", p.display()));
        }
        s
    }
}

/// A server's port found taken before its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The port.
    pub port: u16,
    /// Its holder; `None` when not visible (another user's process, or it went away).
    pub holder: Option<Holder>,
}

/// What to do about a [`Conflict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortDecision {
    /// End the holder (and its descendants; from the adoptable ancestor when there is one)
    /// with the safe kill (SIGTERM, SIGKILL after 5 s; pidfd-pinned, never PID 1, devtop, its
    /// ancestors or another user's process), wait for the port to be released, then start.
    EndHolder,
    /// Treat the holder as the running server (only when [`Holder::same_server`] is set):
    /// recorded as `adopted` in the state file, not started.
    Adopt,
    /// Do not start it (the start fails naming the holder).
    Cancel,
}
