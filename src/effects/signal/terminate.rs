//! The kill sequence: pin every target with a pidfd and verify it, `SIGTERM` each through its
//! pidfd (never a process group, see [`super::group`]), wait out the grace, `SIGKILL`
//! survivors. Also the dry run of the same decisions.

use super::guards::SelfView;
use super::identity::{ProcIdentity, read_identity};
use super::outcome::{KillOutcome, errno_outcome};
use crate::model::kill_plan::KillTarget;
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal};
use serde::Serialize;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// How long to wait for processes to disappear after `SIGKILL` before calling them survivors.
const KILL_WAIT: Duration = Duration::from_secs(2);

/// How often exit is re-checked while waiting.
pub(super) const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// What [`plan`] would do with an accepted target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// The target as it is now (start time already verified).
    pub identity: ProcIdentity,
    /// Live members of the process group the target leads that are not listed, ascending.
    /// They receive no signal (devtop signals each target alone, never a group).
    pub unlisted: Vec<u32>,
}

impl fmt::Display for Planned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unlisted.as_slice() {
            [] => write!(
                f,
                "SIGTERM to PID {}, then SIGKILL after grace",
                self.identity.pid
            ),
            others => {
                let list: Vec<String> = others.iter().map(u32::to_string).collect();
                write!(
                    f,
                    "SIGTERM to PID {} alone, then SIGKILL after grace (its process group {} also \
                     holds PID {}, not listed, which get no signal)",
                    self.identity.pid,
                    self.identity.pgrp,
                    list.join(", ")
                )
            }
        }
    }
}

/// Dry run of [`kill_targets`] for `devtop kill --dry-run`: runs every guard and names the
/// unlisted members of each target's process group, signals nothing.
///
/// Returns one entry per target, in order: `Ok` with what would be signalled, or `Err` with the
/// outcome a real kill would report at once (`Refused`, `AlreadyGone`, ...).
pub fn plan(targets: &[KillTarget]) -> Vec<(u32, Result<Planned, KillOutcome>)> {
    let me = SelfView::current();
    let checked: Vec<(u32, Result<ProcIdentity, KillOutcome>)> = targets
        .iter()
        .map(|t| (t.pid, me.check(t.pid, t.start_ticks)))
        .collect();
    let listed = listed(checked.iter().filter_map(|(_, r)| r.as_ref().ok()));
    checked
        .into_iter()
        .map(|(pid, r)| {
            let planned = r.map(|identity| {
                let unlisted = me.unlisted_group_members(&identity, &listed);
                Planned { identity, unlisted }
            });
            (pid, planned)
        })
        .collect()
}

fn listed<'a>(ids: impl Iterator<Item = &'a ProcIdentity>) -> Vec<(u32, u64)> {
    ids.map(|id| (id.pid, id.start_ticks)).collect()
}

/// A target that has been sent `SIGTERM` and is being waited for.
struct Pending {
    index: usize,
    identity: ProcIdentity,
    fd: OwnedFd,
    term_at: Instant,
    killed_at: Option<Instant>,
    exited: bool,
}

/// Ends `targets` in the given order (callers pass children before parents) and reports one
/// outcome per target, in the same order, as `(pid, outcome)`.
///
/// First every target is pinned with a pidfd and verified by [`check`](super::check) (the open
/// pidfd makes the start-time check race-free: signals through it can only reach the verified
/// process). Then each verified target gets `SIGTERM` through its pidfd — only the target: a
/// process group is never signalled, so nothing the plan did not list receives a signal. Then
/// wait until every signalled process has exited or `grace` has passed; send
/// `SIGKILL` to the survivors the same way, and wait up to 2 s more. A zombie (exited, not yet
/// reaped) counts as exited.
///
/// Blocking: runs for up to `grace + 2 s`. Never panics; every failure becomes an outcome
/// (`ESRCH` → [`KillOutcome::AlreadyGone`], `EPERM` → [`KillOutcome::PermissionDenied`]).
pub fn kill_targets(targets: &[KillTarget], grace: Duration) -> Vec<(u32, KillOutcome)> {
    let me = SelfView::current();
    let mut outcomes: Vec<Option<KillOutcome>> = vec![None; targets.len()];

    let mut pinned: Vec<(usize, OwnedFd, ProcIdentity)> = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        match pin(&me, target) {
            Ok((fd, identity)) => pinned.push((index, fd, identity)),
            Err(outcome) => outcomes[index] = Some(outcome),
        }
    }

    let mut pending: Vec<Pending> = Vec::new();
    for (index, fd, identity) in pinned {
        match rustix::process::pidfd_send_signal(fd.as_fd(), Signal::TERM) {
            Ok(()) => {}
            Err(e) => {
                outcomes[index] = Some(errno_outcome("pidfd_send_signal(SIGTERM)", e));
                continue;
            }
        }
        pending.push(Pending {
            index,
            identity,
            fd,
            term_at: Instant::now(),
            killed_at: None,
            exited: false,
        });
    }

    wait_exited(&mut pending, Instant::now() + grace);

    for p in pending.iter_mut().filter(|p| !p.exited) {
        p.killed_at = Some(Instant::now());
        match rustix::process::pidfd_send_signal(p.fd.as_fd(), Signal::KILL) {
            Ok(()) => {}
            Err(e) if e == Errno::SRCH => p.exited = true,
            Err(e) => {
                outcomes[p.index] = Some(errno_outcome("pidfd_send_signal(SIGKILL)", e));
                p.exited = true; // nothing more to wait for
            }
        }
    }
    wait_exited(&mut pending, Instant::now() + KILL_WAIT);

    for p in &pending {
        if outcomes[p.index].is_some() {
            continue;
        }
        outcomes[p.index] = Some(match (p.exited, p.killed_at) {
            (true, None) => KillOutcome::Terminated,
            (true, Some(at)) => KillOutcome::Killed {
                after_secs: at.duration_since(p.term_at).as_secs_f64(),
            },
            (false, _) => KillOutcome::Survived,
        });
    }

    targets
        .iter()
        .zip(outcomes)
        .map(|(t, o)| {
            let outcome = o.unwrap_or_else(|| KillOutcome::Error("no outcome recorded".into()));
            log::debug!("kill {} ({}): {}", t.pid, t.label, outcome);
            (t.pid, outcome)
        })
        .collect()
}

/// Opens the pidfd and verifies the target through it. Returns the pidfd and the identity, or
/// the final outcome.
fn pin(me: &SelfView, target: &KillTarget) -> Result<(OwnedFd, ProcIdentity), KillOutcome> {
    if let Some(reason) = me.protected.refuse_pid(target.pid) {
        return Err(KillOutcome::Refused(reason));
    }
    let pid = i32::try_from(target.pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or(KillOutcome::AlreadyGone)?;
    let fd = rustix::process::pidfd_open(pid, PidfdFlags::empty()).map_err(|e| {
        if e == Errno::NOSYS {
            KillOutcome::Error("pidfd_open unsupported (needs Linux 5.3 or later)".into())
        } else {
            errno_outcome("pidfd_open", e)
        }
    })?;
    // The pidfd now pins the process: whatever is verified below is what gets signalled.
    let identity = me.check(target.pid, target.start_ticks)?;
    Ok((fd, identity))
}

/// Polls until every pending process has exited or `deadline` passes.
fn wait_exited(pending: &mut [Pending], deadline: Instant) {
    loop {
        for p in pending.iter_mut().filter(|p| !p.exited) {
            p.exited = has_exited(p.fd.as_fd(), p.identity.pid, p.identity.start_ticks);
        }
        if pending.iter().all(|p| p.exited) {
            return;
        }
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep(POLL_INTERVAL.min(deadline - now));
    }
}

/// True once the process behind `fd` has exited (zombie or reaped).
///
/// The pidfd's fdinfo shows `Pid: -1` once the process is reaped; a zombie is recognised by
/// its state in `/proc/<pid>/stat`, with the start time confirming it is still the same process
/// (a different start time means ours was reaped and the PID reused).
fn has_exited(fd: BorrowedFd<'_>, pid: u32, start_ticks: u64) -> bool {
    let fdinfo = format!("/proc/self/fdinfo/{}", fd.as_raw_fd());
    if let Ok(text) = std::fs::read_to_string(fdinfo) {
        let reaped = text
            .lines()
            .filter_map(|l| l.strip_prefix("Pid:"))
            .any(|v| v.trim().starts_with('-'));
        if reaped {
            return true;
        }
    }
    match read_identity(pid) {
        Ok(id) => id.start_ticks != start_ticks || id.exited(),
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    }
}
