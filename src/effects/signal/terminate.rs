//! The kill sequence: pin every target with a pidfd and verify it, `SIGTERM` each through its
//! pidfd (never a process group, see [`super::group`]), wait out the grace, `SIGKILL`
//! survivors. Also the dry run of the same decisions.

use super::guards::SelfView;
use super::outcome::{KillOutcome, errno_outcome};
use crate::collect::identity::ProcIdentity;
use crate::effects::pidfd::{self, AsyncPidfd};
use crate::model::kill_plan::KillTarget;
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal};
use serde::Serialize;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// How long to wait for processes to disappear after `SIGKILL` before calling them survivors.
const KILL_WAIT: Duration = Duration::from_secs(2);

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

/// A target that has been sent `SIGTERM` and is being waited for, through its pidfd `F`
/// (an `OwnedFd` for the blocking wait, an [`AsyncPidfd`] for the async one).
struct Pending<F> {
    index: usize,
    fd: F,
    term_at: Instant,
    killed_at: Option<Instant>,
    exited: bool,
}

/// One run of the kill sequence, between its waits.
struct Sequence<F> {
    outcomes: Vec<Option<KillOutcome>>,
    pending: Vec<Pending<F>>,
}

impl<F: AsFd> Sequence<F> {
    /// Pins and verifies every target (see [`pin`]), turns each pidfd into an `F` with
    /// `wrap`, and sends `SIGTERM` to each verified target through its pidfd.
    fn start(targets: &[KillTarget], wrap: impl Fn(OwnedFd) -> io::Result<F>) -> Sequence<F> {
        let me = SelfView::current();
        let mut outcomes: Vec<Option<KillOutcome>> = vec![None; targets.len()];
        let mut pinned: Vec<(usize, F)> = Vec::new();
        for (index, target) in targets.iter().enumerate() {
            match pin(&me, target)
                .and_then(|(fd, _)| wrap(fd).map_err(|e| KillOutcome::Error(format!("pidfd: {e}"))))
            {
                Ok(fd) => pinned.push((index, fd)),
                Err(outcome) => outcomes[index] = Some(outcome),
            }
        }
        let mut pending = Vec::new();
        for (index, fd) in pinned {
            if let Err(e) = rustix::process::pidfd_send_signal(fd.as_fd(), Signal::TERM) {
                outcomes[index] = Some(errno_outcome("pidfd_send_signal(SIGTERM)", e));
                continue;
            }
            pending.push(Pending {
                index,
                fd,
                term_at: Instant::now(),
                killed_at: None,
                exited: false,
            });
        }
        Sequence { outcomes, pending }
    }

    /// The pidfds still waited for, with their places in `pending`.
    fn waiting(&self) -> Vec<usize> {
        (0..self.pending.len())
            .filter(|i| !self.pending[*i].exited)
            .collect()
    }

    /// Records which of `waiting` (as returned by [`Sequence::waiting`]) have exited.
    fn mark(&mut self, waiting: &[usize], exited: &[bool]) {
        for (i, done) in waiting.iter().zip(exited) {
            self.pending[*i].exited |= *done;
        }
    }

    /// `SIGKILL` through its pidfd to every target still alive after the grace.
    fn escalate(&mut self) {
        for p in self.pending.iter_mut().filter(|p| !p.exited) {
            p.killed_at = Some(Instant::now());
            match rustix::process::pidfd_send_signal(p.fd.as_fd(), Signal::KILL) {
                Ok(()) => {}
                Err(e) if e == Errno::SRCH => p.exited = true,
                Err(e) => {
                    self.outcomes[p.index] = Some(errno_outcome("pidfd_send_signal(SIGKILL)", e));
                    p.exited = true; // nothing more to wait for
                }
            }
        }
    }

    /// One outcome per target, in order, as `(pid, outcome)`.
    fn finish(mut self, targets: &[KillTarget]) -> Vec<(u32, KillOutcome)> {
        for p in &self.pending {
            if self.outcomes[p.index].is_some() {
                continue;
            }
            self.outcomes[p.index] = Some(match (p.exited, p.killed_at) {
                (true, None) => KillOutcome::Terminated,
                (true, Some(at)) => KillOutcome::Killed {
                    after_secs: at.duration_since(p.term_at).as_secs_f64(),
                },
                (false, _) => KillOutcome::Survived,
            });
        }
        targets
            .iter()
            .zip(self.outcomes)
            .map(|(t, o)| {
                let outcome = o.unwrap_or_else(|| KillOutcome::Error("no outcome recorded".into()));
                log::debug!("kill {} ({}): {}", t.pid, t.label, outcome);
                (t.pid, outcome)
            })
            .collect()
    }
}

impl Sequence<OwnedFd> {
    /// Blocks in `poll(2)` until every waited-for target has exited or `deadline` passes.
    fn wait_blocking(&mut self, deadline: Instant) {
        let waiting = self.waiting();
        let fds: Vec<BorrowedFd<'_>> = waiting
            .iter()
            .map(|i| self.pending[*i].fd.as_fd())
            .collect();
        let exited = pidfd::wait_all_blocking(&fds, deadline);
        self.mark(&waiting, &exited);
    }
}

impl Sequence<AsyncPidfd> {
    /// Awaits (on the tokio reactor) until every waited-for target has exited or `deadline`
    /// passes.
    async fn wait(&mut self, deadline: Instant) {
        let waiting = self.waiting();
        let all = futures::future::join_all(waiting.iter().map(|i| self.pending[*i].fd.exited()));
        let _ = tokio::time::timeout_at(deadline.into(), all).await;
        let exited: Vec<bool> = waiting
            .iter()
            .map(|i| self.pending[*i].fd.has_exited())
            .collect();
        self.mark(&waiting, &exited);
    }
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
/// reaped) counts as exited. Waiting is `poll(2)` on the pidfds: no sleeps, no polling.
///
/// Blocking: runs for up to `grace + 2 s`; async callers use [`kill_targets_async`]. Never
/// panics; every failure becomes an outcome (`ESRCH` → [`KillOutcome::AlreadyGone`], `EPERM`
/// → [`KillOutcome::PermissionDenied`]).
pub fn kill_targets(targets: &[KillTarget], grace: Duration) -> Vec<(u32, KillOutcome)> {
    let mut run = Sequence::start(targets, Ok);
    run.wait_blocking(Instant::now() + grace);
    run.escalate();
    run.wait_blocking(Instant::now() + KILL_WAIT);
    run.finish(targets)
}

/// [`kill_targets`] for async callers (the effects executor): the same guards, signals and
/// outcomes, waiting on the pidfds through the tokio reactor instead of blocking a thread.
/// Must run inside a tokio runtime with I/O and time enabled; the `/proc` reads of the guards
/// are short and done inline.
pub async fn kill_targets_async(
    targets: &[KillTarget],
    grace: Duration,
) -> Vec<(u32, KillOutcome)> {
    let mut run = Sequence::start(targets, AsyncPidfd::from_fd);
    run.wait(Instant::now() + grace).await;
    run.escalate();
    run.wait(Instant::now() + KILL_WAIT).await;
    run.finish(targets)
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
