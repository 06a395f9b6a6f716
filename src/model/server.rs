//! A dev server devtop starts and stops (`[[server]]` of devtop.toml): what it runs, how it
//! tells it is ready, what it waits for, and how it is stopped. Plain data; the config layer
//! builds it, [`crate::model::server_order`] orders it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How long a server may take to become ready when `ready_timeout` is not set: 60 s.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Time between the stop signal and SIGKILL when `stop_grace` is not set: 5 s (as foreman,
/// honcho and overmind).
pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(5);

/// One configured dev server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSpec {
    /// Unique name ("api"), used by `depends_on` and shown in the panes.
    pub name: String,
    /// What to run.
    pub cmd: ServerCmd,
    /// Working directory relative to the project root; `None` = the root itself.
    pub cwd: Option<PathBuf>,
    /// Extra environment variables (name → value) on top of devtop's own environment.
    pub env: BTreeMap<String, String>,
    /// TCP port it listens on, when known (checked for conflicts before a start).
    pub port: Option<u16>,
    /// How readiness is detected; `None` = ready as soon as it started.
    pub ready: Option<ReadyProbe>,
    /// Longest wait for readiness before the start counts as failed.
    pub ready_timeout: Duration,
    /// Names of the servers that must be ready before this one starts.
    pub depends_on: Vec<String>,
    /// Database conditions that must hold before it starts.
    pub requires: Vec<Requirement>,
    /// Signal sent to its process group to stop it.
    pub stop_signal: StopSignal,
    /// Time between the stop signal and SIGKILL to every process still in its group.
    pub stop_grace: Duration,
    /// Whether it is restarted when it exits on its own.
    pub restart: RestartPolicy,
}

/// The command of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerCmd {
    /// Program and arguments, run directly (`cmd = ["npm", "run", "dev"]`); never empty.
    Argv(Vec<String>),
    /// A command line run by `sh -c` (`cmd = "PORT=3010 npm run dev"` with `shell = true`).
    Shell(String),
}

/// How a server shows it is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadyProbe {
    /// An HTTP GET of this URL answers 2xx or 3xx.
    Http(String),
    /// A TCP connect to 127.0.0.1 on this port succeeds.
    Tcp(u16),
    /// A line of its output (stdout or stderr) matches this regular expression (`regex` syntax).
    Log(String),
}

/// A database condition a server waits for (`requires` entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// `"db:NAME"`: environment NAME answers.
    Db(String),
    /// `"migrations:NAME"`: environment NAME has no pending or failed migration.
    Migrations(String),
}

impl Requirement {
    /// Parse `"db:NAME"` or `"migrations:NAME"` (NAME non-empty, surrounding spaces trimmed);
    /// `None` for anything else.
    pub fn parse(text: &str) -> Option<Requirement> {
        let (kind, env) = text.split_once(':')?;
        let env = env.trim();
        if env.is_empty() {
            return None;
        }
        match kind.trim() {
            "db" => Some(Requirement::Db(env.to_owned())),
            "migrations" => Some(Requirement::Migrations(env.to_owned())),
            _ => None,
        }
    }

    /// The environment it names ("local", "staging").
    pub fn env(&self) -> &str {
        match self {
            Requirement::Db(e) | Requirement::Migrations(e) => e,
        }
    }
}

/// What happens when a server exits on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    /// Leave it exited (`restart = "no"`, the default).
    #[default]
    No,
    /// Restart it when it exits with a failure, with back-off (`restart = "on-failure"`).
    OnFailure,
}

/// A signal devtop may send to stop a server: its name and its Linux number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopSignal {
    /// Canonical name ("SIGTERM").
    pub name: &'static str,
    /// Signal number on Linux (15 for SIGTERM).
    pub number: i32,
}

/// The signals accepted as `stop_signal`, by canonical name.
const SIGNALS: &[(&str, i32)] = &[
    ("SIGTERM", 15),
    ("SIGINT", 2),
    ("SIGHUP", 1),
    ("SIGQUIT", 3),
    ("SIGUSR1", 10),
    ("SIGUSR2", 12),
    ("SIGKILL", 9),
];

impl StopSignal {
    /// SIGTERM, the default.
    pub const TERM: StopSignal = StopSignal {
        name: "SIGTERM",
        number: 15,
    };

    /// Parse a signal name, with or without the `SIG` prefix, in any case ("SIGINT", "int");
    /// `None` for a signal not in [`StopSignal::names`].
    pub fn parse(text: &str) -> Option<StopSignal> {
        let upper = text.trim().to_ascii_uppercase();
        let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
        SIGNALS
            .iter()
            .find(|(name, _)| name.strip_prefix("SIG") == Some(bare))
            .map(|&(name, number)| StopSignal { name, number })
    }

    /// The accepted names, for messages.
    pub fn names() -> impl Iterator<Item = &'static str> {
        SIGNALS.iter().map(|(n, _)| *n)
    }
}

impl Default for StopSignal {
    fn default() -> Self {
        StopSignal::TERM
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_parse() {
        assert_eq!(
            Requirement::parse("db:local"),
            Some(Requirement::Db("local".into()))
        );
        assert_eq!(
            Requirement::parse("migrations: staging"),
            Some(Requirement::Migrations("staging".into()))
        );
        for bad in ["db", "db:", "cache:local", "", ":x"] {
            assert_eq!(Requirement::parse(bad), None, "{bad}");
        }
        assert_eq!(Requirement::Db("x".into()).env(), "x");
    }

    #[test]
    fn signals_parse_by_name_in_any_case() {
        assert_eq!(StopSignal::parse("SIGTERM"), Some(StopSignal::TERM));
        assert_eq!(StopSignal::parse("int").map(|s| s.number), Some(2));
        assert_eq!(
            StopSignal::parse("SigKill").map(|s| s.name),
            Some("SIGKILL")
        );
        for bad in ["SIGFOO", "", "SIG", "15", "TERMINATE"] {
            assert_eq!(StopSignal::parse(bad), None, "{bad}");
        }
        assert_eq!(StopSignal::default(), StopSignal::TERM);
        assert!(StopSignal::names().any(|n| n == "SIGUSR2"));
    }
}
