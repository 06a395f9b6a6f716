//! Which processes devtop never signals, and why: the guards shared by the kill planner (which
//! leaves a refused process and everything below it out of the plan) and the signal layer (which
//! runs them again, with a pidfd open, right before each signal). Pure: devtop's own position in
//! the process tree is read by the effects layer and passed in as [`Protected`].

use serde::Serialize;
use std::fmt;

/// devtop's own position in the process tree: what may never be signalled whatever the user
/// selects. Read from `/proc` by `effects::signal::protected`; the default knows nothing (only
/// the PID-value guards apply).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protected {
    /// devtop's own PID; 0 when unknown.
    pub me: u32,
    /// devtop's effective uid; `None` when unknown (the owner guard then waits for signal time).
    pub euid: Option<u32>,
    /// PIDs of devtop's parent, grandparent, ... up to (excluding) PID 1.
    pub ancestors: Vec<u32>,
}

impl Protected {
    /// The guards that need nothing but the PID: PID 0 and values above `i32::MAX` (not
    /// processes), PID 1, devtop itself, devtop's ancestors.
    pub fn refuse_pid(&self, pid: u32) -> Option<RefuseReason> {
        if pid == 0 || i32::try_from(pid).is_err() {
            Some(RefuseReason::InvalidPid { pid })
        } else if pid == 1 {
            Some(RefuseReason::Init)
        } else if self.me != 0 && pid == self.me {
            Some(RefuseReason::Itself)
        } else if self.ancestors.contains(&pid) {
            Some(RefuseReason::Ancestor)
        } else {
            None
        }
    }

    /// The owner guard: a process whose real uid is not devtop's effective uid. `None` when
    /// either uid is unknown.
    pub fn refuse_owner(&self, uid: Option<u32>) -> Option<RefuseReason> {
        match (uid, self.euid) {
            (Some(uid), Some(euid)) if uid != euid => Some(RefuseReason::OtherUser { uid }),
            _ => None,
        }
    }
}

/// Why a process is not signalled at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RefuseReason {
    /// PID 0 (in `kill(2)` it addresses the caller's own process group) or a value above
    /// `i32::MAX` (in `kill(2)` a negative number: a process group, or -1 for everything).
    InvalidPid {
        /// The value given.
        pid: u32,
    },
    /// PID 1 (init).
    Init,
    /// The target is devtop's own process.
    Itself,
    /// The target is devtop's parent, grandparent, ... (its shell, terminal, tmux, ...).
    Ancestor,
    /// The target runs under another real user ID than devtop's effective one.
    OtherUser {
        /// The target's real uid.
        uid: u32,
    },
    /// The process now behind the PID started at another time than the one shown: the PID
    /// was reused. Both values are clock ticks since boot.
    StartTimeChanged {
        /// Start time that was shown to the user.
        shown: u64,
        /// Start time of the process behind the PID now.
        now: u64,
    },
    /// The process descends from a refused one: a refused process's whole subtree is left
    /// alone.
    BelowRefused {
        /// The refused process it descends from (the topmost refused one).
        pid: u32,
    },
}

impl fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidPid { pid: 0 } => f.write_str(
                "PID 0 is not a process (to kill(2) it means devtop's own process group) and is never signalled",
            ),
            Self::InvalidPid { pid } => write!(
                f,
                "PID {pid} is out of range (to kill(2) it would name a process group) and is never signalled"
            ),
            Self::Init => f.write_str("PID 1 (init) is never signalled"),
            Self::Itself => f.write_str("that is devtop itself"),
            Self::Ancestor => f.write_str(
                "that is an ancestor of devtop (its shell or terminal) and is never signalled",
            ),
            Self::OtherUser { uid } => write!(f, "owned by another user (uid {uid})"),
            Self::StartTimeChanged { shown, now } => write!(
                f,
                "start time changed since it was shown (PID reused; ticks {shown} -> {now})"
            ),
            Self::BelowRefused { pid } => write!(
                f,
                "below PID {pid}, which is refused: nothing under a refused process is signalled"
            ),
        }
    }
}

impl std::error::Error for RefuseReason {}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Protected {
        Protected {
            me: 500,
            euid: Some(1000),
            ancestors: vec![400, 300],
        }
    }

    #[test]
    fn pid_guards() {
        let p = me();
        assert_eq!(p.refuse_pid(0), Some(RefuseReason::InvalidPid { pid: 0 }));
        assert_eq!(
            p.refuse_pid(u32::MAX),
            Some(RefuseReason::InvalidPid { pid: u32::MAX })
        );
        assert_eq!(p.refuse_pid(1), Some(RefuseReason::Init));
        assert_eq!(p.refuse_pid(500), Some(RefuseReason::Itself));
        assert_eq!(p.refuse_pid(300), Some(RefuseReason::Ancestor));
        assert_eq!(p.refuse_pid(501), None);
        // Knowing nothing still refuses 0 and 1, and never mistakes PID 0 for "itself".
        let unknown = Protected::default();
        assert_eq!(unknown.refuse_pid(1), Some(RefuseReason::Init));
        assert_eq!(
            unknown.refuse_pid(0),
            Some(RefuseReason::InvalidPid { pid: 0 })
        );
        assert_eq!(unknown.refuse_pid(2), None);
    }

    #[test]
    fn owner_guard() {
        let p = me();
        assert_eq!(p.refuse_owner(Some(1000)), None);
        assert_eq!(
            p.refuse_owner(Some(0)),
            Some(RefuseReason::OtherUser { uid: 0 })
        );
        assert_eq!(p.refuse_owner(None), None);
        assert_eq!(Protected::default().refuse_owner(Some(0)), None);
    }

    #[test]
    fn texts_name_the_pid() {
        assert!(
            RefuseReason::InvalidPid { pid: 0 }
                .to_string()
                .starts_with("PID 0 is not a process")
        );
        assert_eq!(
            RefuseReason::Init.to_string(),
            "PID 1 (init) is never signalled"
        );
        assert!(
            RefuseReason::BelowRefused { pid: 42 }
                .to_string()
                .starts_with("below PID 42, which is refused")
        );
        assert_eq!(
            RefuseReason::OtherUser { uid: 0 }.to_string(),
            "owned by another user (uid 0)"
        );
    }
}
