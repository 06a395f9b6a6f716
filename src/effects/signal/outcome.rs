//! What happened to one kill target, and how system errors map onto it.

use crate::model::refusal::RefuseReason;
use rustix::io::Errno;
use serde::Serialize;
use std::fmt;
use std::io;

/// What happened to one target of [`kill_targets`](super::kill_targets).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum KillOutcome {
    /// Exited within the grace period after `SIGTERM`.
    Terminated,
    /// Still alive after the grace period; exited after `SIGKILL`.
    Killed {
        /// Seconds between this target's `SIGTERM` and its `SIGKILL`.
        after_secs: f64,
    },
    /// Had already exited (no `/proc` entry, `ESRCH`, or a zombie) before it was signalled.
    AlreadyGone,
    /// Not signalled because a guard refused it (see [`check`](super::check)).
    Refused(RefuseReason),
    /// The kernel refused the signal (`EPERM`) or `/proc` hid the process.
    PermissionDenied,
    /// Still alive 2 s after `SIGKILL`, e.g. stuck in uninterruptible sleep (state `D`).
    Survived,
    /// Any other failure, with the system's message.
    Error(String),
}

impl KillOutcome {
    /// True when the process is gone: [`Terminated`](Self::Terminated),
    /// [`Killed`](Self::Killed) or [`AlreadyGone`](Self::AlreadyGone).
    pub fn ended(&self) -> bool {
        matches!(
            self,
            Self::Terminated | Self::Killed { .. } | Self::AlreadyGone
        )
    }
}

impl fmt::Display for KillOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Terminated => f.write_str("terminated (SIGTERM)"),
            Self::Killed { after_secs } => write!(f, "killed (SIGKILL after {after_secs:.1} s)"),
            Self::AlreadyGone => f.write_str("already gone"),
            Self::Refused(reason) => write!(f, "refused: {reason}"),
            Self::PermissionDenied => f.write_str("permission denied"),
            Self::Survived => {
                f.write_str("survived SIGKILL (still alive, probably in uninterruptible sleep)")
            }
            Self::Error(msg) => write!(f, "error: {msg}"),
        }
    }
}

/// The outcome for a failed `/proc` read of the target.
pub(super) fn io_outcome(e: &io::Error) -> KillOutcome {
    match e.kind() {
        io::ErrorKind::NotFound => KillOutcome::AlreadyGone,
        io::ErrorKind::PermissionDenied => KillOutcome::PermissionDenied,
        _ => KillOutcome::Error(e.to_string()),
    }
}

/// The outcome for a failed system call `what`.
pub(super) fn errno_outcome(what: &str, e: Errno) -> KillOutcome {
    if e == Errno::SRCH {
        KillOutcome::AlreadyGone
    } else if e == Errno::PERM {
        KillOutcome::PermissionDenied
    } else {
        KillOutcome::Error(format!("{what}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_texts() {
        assert_eq!(KillOutcome::Terminated.to_string(), "terminated (SIGTERM)");
        assert_eq!(
            KillOutcome::Killed { after_secs: 3.0 }.to_string(),
            "killed (SIGKILL after 3.0 s)"
        );
        assert_eq!(KillOutcome::AlreadyGone.to_string(), "already gone");
        assert_eq!(
            KillOutcome::Refused(RefuseReason::Itself).to_string(),
            "refused: that is devtop itself"
        );
        assert_eq!(
            KillOutcome::Refused(RefuseReason::InvalidPid { pid: 0 })
                .to_string()
                .split(" is ")
                .next(),
            Some("refused: PID 0")
        );
        assert_eq!(
            KillOutcome::PermissionDenied.to_string(),
            "permission denied"
        );
        assert!(!KillOutcome::Survived.ended());
        assert!(!KillOutcome::PermissionDenied.ended());
        assert!(!KillOutcome::Refused(RefuseReason::Init).ended());
        assert_eq!(errno_outcome("x", Errno::SRCH), KillOutcome::AlreadyGone);
        assert_eq!(
            errno_outcome("x", Errno::PERM),
            KillOutcome::PermissionDenied
        );
    }
}
