//! How a supervised child ended.

use std::fmt;
use std::time::Duration;

/// How the child process itself (not the rest of its group) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code (0–255).
    Code(i32),
    /// A signal ended it (signal number: 9 = `SIGKILL`, 15 = `SIGTERM`).
    Signal(i32),
    /// Its status could not be collected (it was reaped elsewhere).
    Unknown,
}

impl Exit {
    /// True for exit code 0.
    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }

    pub(super) fn from_status(status: std::process::ExitStatus) -> Exit {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(signal)) => Exit::Signal(signal),
            (None, None) => Exit::Unknown,
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "exit code {c}"),
            Exit::Signal(s) => write!(f, "killed by signal {s}"),
            Exit::Unknown => f.write_str("exit status unknown"),
        }
    }
}

/// Why the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndCause {
    /// On its own.
    Exited,
    /// Its time limit passed; devtop stopped its group.
    TimedOut,
    /// devtop stopped its group on request ([`super::Supervised::terminate`]).
    Terminated,
}

/// The end of a supervised child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// How the child process ended.
    pub exit: Exit,
    /// Why.
    pub cause: EndCause,
    /// True when the group had to be sent `SIGKILL`: a member was still alive when the grace
    /// after `SIGTERM` ran out.
    pub escalated: bool,
    /// Time from the spawn to the end.
    pub runtime: Duration,
}
