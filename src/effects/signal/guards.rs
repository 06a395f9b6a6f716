//! The guards run before every signal: devtop's own position in the process tree (read once
//! per operation) and the checks of one target against it.

use super::outcome::{KillOutcome, io_outcome};
use crate::collect::identity::{ProcIdentity, read_identity};
use crate::model::refusal::{Protected, RefuseReason};

/// Upper bound on the length of the ancestor walk (guards against a cyclic or corrupt view).
const MAX_ANCESTORS: usize = 4096;

/// devtop's own position in the process tree, read once per operation.
pub(super) struct SelfView {
    /// PID, effective uid and ancestors (the pure guards of [`Protected`]).
    pub(super) protected: Protected,
}

impl SelfView {
    /// Reads devtop's PID, effective uid, process group and ancestor chain from `/proc`.
    pub(super) fn current() -> Self {
        let me = std::process::id();
        let euid = rustix::process::geteuid().as_raw();
        let mut ancestors = Vec::new();
        let mut next = rustix::process::getppid()
            .and_then(|p| u32::try_from(p.as_raw_pid()).ok())
            .unwrap_or(0);
        while next > 1 && ancestors.len() < MAX_ANCESTORS {
            ancestors.push(next);
            match read_identity(next) {
                Ok(id) => next = id.ppid,
                // Not visible (other PID namespace): the PID itself is still protected.
                Err(_) => break,
            }
        }
        Self {
            protected: Protected {
                me,
                euid: Some(euid),
                ancestors,
            },
        }
    }

    /// True when `pid` is devtop or one of its ancestors.
    pub(super) fn is_self_or_ancestor(&self, pid: u32) -> bool {
        pid == self.protected.me || self.protected.ancestors.contains(&pid)
    }

    /// All guards; `Ok` carries the identity just read.
    pub(super) fn check(&self, pid: u32, shown_ticks: u64) -> Result<ProcIdentity, KillOutcome> {
        if let Some(reason) = self.protected.refuse_pid(pid) {
            return Err(KillOutcome::Refused(reason));
        }
        let id = read_identity(pid).map_err(|e| io_outcome(&e))?;
        if id.start_ticks != shown_ticks {
            return Err(KillOutcome::Refused(RefuseReason::StartTimeChanged {
                shown: shown_ticks,
                now: id.start_ticks,
            }));
        }
        // Real, effective and saved uid: a set-uid program started by this user keeps the
        // user's real uid (so kill(2) would let the signal through) but runs as another user.
        let owners = std::iter::once(id.uid).chain(id.other_uids);
        if let Some(reason) = owners
            .filter_map(|uid| self.protected.refuse_owner(Some(uid)))
            .next()
        {
            return Err(KillOutcome::Refused(reason));
        }
        if id.exited() {
            return Err(KillOutcome::AlreadyGone);
        }
        Ok(id)
    }
}

/// devtop's own position in the process tree now (its PID, effective uid and the PIDs of its
/// ancestors up to PID 1), for planning a kill with [`crate::model::kill_plan`].
pub fn protected() -> Protected {
    SelfView::current().protected
}

/// The guard run before every signal: may `pid`, shown with start time `start_ticks` (clock
/// ticks since boot), be signalled now?
///
/// Refuses PID 0 and PIDs above `i32::MAX` (not processes), PID 1, devtop itself, every
/// ancestor of devtop (the ppid chain from `std::process::id()` up to PID 1), a process whose
/// start time differs from `start_ticks` (the PID was reused) and a process whose real uid
/// differs from devtop's effective uid.
///
/// # Errors
/// The outcome a kill would report without signalling: [`KillOutcome::Refused`],
/// [`KillOutcome::AlreadyGone`] (no `/proc` entry, or a zombie), [`KillOutcome::PermissionDenied`]
/// or [`KillOutcome::Error`]. On success returns the identity just read.
///
/// Note that this check alone is racy; [`kill_targets`](super::kill_targets) runs it with a
/// pidfd already open.
pub fn check(pid: u32, start_ticks: u64) -> Result<ProcIdentity, KillOutcome> {
    SelfView::current().check(pid, start_ticks)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refuses_pid_1_and_0_by_name() {
        let ticks = read_identity(1).map(|i| i.start_ticks).unwrap_or(0);
        assert_eq!(
            check(1, ticks),
            Err(KillOutcome::Refused(RefuseReason::Init))
        );
        assert_eq!(
            check(0, 0),
            Err(KillOutcome::Refused(RefuseReason::InvalidPid { pid: 0 }))
        );
        assert_eq!(
            check(u32::MAX, 0),
            Err(KillOutcome::Refused(RefuseReason::InvalidPid {
                pid: u32::MAX
            }))
        );
    }

    #[test]
    fn refuses_self() {
        let me = read_identity(std::process::id()).unwrap();
        assert_eq!(
            check(me.pid, me.start_ticks),
            Err(KillOutcome::Refused(RefuseReason::Itself))
        );
    }

    #[test]
    fn refuses_parent_and_every_ancestor() {
        let mut pid = std::os::unix::process::parent_id();
        let mut seen = 0;
        while pid > 1 {
            let Ok(id) = read_identity(pid) else { break };
            assert_eq!(
                check(pid, id.start_ticks),
                Err(KillOutcome::Refused(RefuseReason::Ancestor)),
                "ancestor {pid}"
            );
            seen += 1;
            pid = id.ppid;
        }
        // Under a PID namespace whose init is the test runner's parent there is no ancestor
        // above PID 1 to check (PID 1 itself is refused by its own rule).
        if std::os::unix::process::parent_id() > 1 {
            assert!(seen >= 1, "the test runner has a parent");
        }
    }

    #[test]
    fn protected_names_me_and_my_ancestors() {
        let p = protected();
        assert_eq!(p.me, std::process::id());
        assert_eq!(p.euid, Some(rustix::process::geteuid().as_raw()));
        let parent = std::os::unix::process::parent_id();
        // PID 1 is never in the list (it is refused by its own rule).
        let expected = (parent > 1).then_some(&parent);
        assert_eq!(p.ancestors.first(), expected);
        assert!(!p.ancestors.contains(&1));
    }
}
