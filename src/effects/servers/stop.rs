//! Stopping one server: its stop signal to every process of it (see [`crate::collect::server_members`]), a
//! grace, then `SIGKILL` to every process still left — also when the leader exited at once
//! and left members behind (process-compose issue 520) — reporting which PIDs are still
//! awaited while it waits (process-compose issue 354).
//!
//! Each process is pinned with a pidfd and re-checked (same start time) before it is
//! signalled through that pidfd, so a PID reused meanwhile is never hit. The members are
//! scanned again before the `SIGKILL`, so a process forked during the grace is not missed.

use super::Event;
use super::state::Recorded;
use crate::collect::server_members::{Member, scan};
use crate::effects::pidfd::{AsyncPidfd, wait_all};
use rustix::process::Signal;
use std::time::{Duration, Instant};

/// How long to wait for processes to disappear after `SIGKILL`.
const KILL_WAIT: Duration = Duration::from_secs(2);
/// How often the processes still awaited are reported during the grace.
const REPORT_EVERY: Duration = Duration::from_secs(1);
/// Rounds of scan + `SIGKILL` before giving up on survivors.
const KILL_ROUNDS: usize = 3;

/// How a stop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// True when something was still alive after the grace and got `SIGKILL`.
    pub escalated: bool,
    /// PIDs still alive after every `SIGKILL` round (empty on success).
    pub survivors: Vec<u32>,
}

/// Members pinned by pidfd: `pids[i]` is the process behind `fds[i]`.
#[derive(Default)]
struct Pinned {
    pids: Vec<u32>,
    fds: Vec<AsyncPidfd>,
}

impl Pinned {
    /// Opens a pidfd for each member and keeps it only if the kill guards accept it with the
    /// scanned start time (checked after the open, so the fd names that very process).
    fn pin(members: &[Member]) -> Pinned {
        let mut out = Pinned::default();
        for m in members {
            let Ok(fd) = AsyncPidfd::open(m.pid) else {
                continue;
            };
            // The guards of every kill (never PID 1, devtop or its ancestors, another user's
            // process, a reused PID), checked through the pinned PID.
            let allowed =
                crate::effects::signal::check(m.pid, m.start_ticks).is_ok_and(|id| !id.exited());
            if allowed {
                out.pids.push(m.pid);
                out.fds.push(fd);
            }
        }
        out
    }

    fn send(&self, signal: Signal) {
        for fd in &self.fds {
            let _ = rustix::process::pidfd_send_signal(fd, signal);
        }
    }

    fn alive(&self) -> Vec<u32> {
        self.pids
            .iter()
            .zip(&self.fds)
            .filter(|(_, fd)| !fd.has_exited())
            .map(|(pid, _)| *pid)
            .collect()
    }
}

/// Stops `server` with `signal` (a Linux signal number), `SIGKILL` after `grace`. Reports
/// [`Event::Stopping`], then [`Event::Waiting`] every second while processes remain, and
/// [`Event::Killed`] when the grace ran out. Must run inside a tokio runtime.
pub async fn stop(
    server: &Recorded,
    signal: i32,
    grace: Duration,
    report: &mut dyn FnMut(Event),
) -> Stopped {
    let name = server.name.clone();
    let first = Pinned::pin(&scan(server));
    let signal = Signal::from_named_raw(signal).unwrap_or(Signal::TERM);
    report(Event::Stopping {
        name: name.clone(),
        pids: first.pids.clone(),
    });
    first.send(signal);
    let deadline = Instant::now() + grace;
    loop {
        let step = (Instant::now() + REPORT_EVERY).min(deadline);
        wait_all(&first.fds, step).await;
        let left = first.alive();
        if left.is_empty() || Instant::now() >= deadline {
            break;
        }
        report(Event::Waiting {
            name: name.clone(),
            pids: left,
        });
    }
    let mut escalated = false;
    for _ in 0..KILL_ROUNDS {
        // Members left by an exited leader, and anything forked meanwhile.
        let rest = Pinned::pin(&scan(server));
        if rest.pids.is_empty() {
            return Stopped {
                escalated,
                survivors: Vec::new(),
            };
        }
        escalated = true;
        report(Event::Killed {
            name: name.clone(),
            pids: rest.pids.clone(),
        });
        rest.send(Signal::KILL);
        wait_all(&rest.fds, Instant::now() + KILL_WAIT).await;
    }
    Stopped {
        escalated,
        survivors: scan(server).iter().map(|m| m.pid).collect(),
    }
}
