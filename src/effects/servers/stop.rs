//! Stopping one server: its stop signal to every process of it (see [`crate::collect::server_members`]), a
//! grace, then `SIGKILL` to every process still left — also when the leader exited at once
//! and left members behind (process-compose issue 520) — reporting which PIDs are still
//! awaited while it waits (process-compose issue 354).
//!
//! Each process is pinned with a pidfd and re-checked (same start time) before it is
//! signalled through that pidfd, so a PID reused meanwhile is never hit. The members are
//! scanned again during the grace and before the `SIGKILL`, so a process forked meanwhile is
//! not missed; and every process pinned by any scan stays pinned to the end, so a descendant
//! that left the server's session is killed too after its parent died and it was reparented
//! (no longer linked to the server by any scan).

use super::Event;
use super::state::Recorded;
use crate::collect::server_members::{Member, scan};
use crate::effects::pidfd::AsyncPidfd;
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

/// One process pinned by a pidfd, with the start time the guards accepted.
struct Pin {
    pid: u32,
    start_ticks: u64,
    fd: AsyncPidfd,
}

/// Every process of the server pinned so far, in the order first seen.
#[derive(Default)]
struct Pinned(Vec<Pin>);

impl Pinned {
    /// Pins every member not pinned yet (a PID whose pinned process has exited may name a new
    /// member). A pidfd is opened for each and kept only if the kill guards accept it with the
    /// scanned start time (checked after the open, so the fd names that very process).
    /// Returns the PIDs newly pinned.
    fn add(&mut self, members: &[Member]) -> Vec<u32> {
        let mut added = Vec::new();
        for m in members {
            if self.0.iter().any(|p| p.pid == m.pid && !p.fd.has_exited()) {
                continue;
            }
            let Ok(fd) = AsyncPidfd::open(m.pid) else {
                continue;
            };
            if guards_allow(m.pid, m.start_ticks) {
                self.0.retain(|p| p.pid != m.pid);
                self.0.push(Pin {
                    pid: m.pid,
                    start_ticks: m.start_ticks,
                    fd,
                });
                added.push(m.pid);
            }
        }
        added
    }

    /// Sends `signal` to every pinned process still alive that the kill guards still accept
    /// (never PID 1, devtop or its ancestors, another user's process, a changed start time).
    fn send(&self, signal: Signal) {
        for p in self.0.iter().filter(|p| !p.fd.has_exited()) {
            if guards_allow(p.pid, p.start_ticks) {
                let _ = rustix::process::pidfd_send_signal(&p.fd, signal);
            }
        }
    }

    /// PIDs of the pinned processes still alive, in the order first seen.
    fn alive(&self) -> Vec<u32> {
        self.0
            .iter()
            .filter(|p| !p.fd.has_exited())
            .map(|p| p.pid)
            .collect()
    }

    /// Waits until every pinned process has exited or `deadline` passes.
    async fn wait(&self, deadline: Instant) {
        futures::future::join_all(self.0.iter().map(|p| p.fd.exited_by(deadline))).await;
    }
}

/// The guards of every kill (never PID 1, devtop or its ancestors, another user's process, a
/// reused PID), read through the pinned PID.
fn guards_allow(pid: u32, start_ticks: u64) -> bool {
    crate::effects::signal::check(pid, start_ticks).is_ok_and(|id| !id.exited())
}

/// Stops `server` with `signal` (a Linux signal number), `SIGKILL` after `grace`. Reports
/// [`Event::Stopping`], then [`Event::Waiting`] every second while processes remain, and
/// [`Event::Killed`] when the grace ran out. Every process pinned by any scan (the first, one
/// per second during the grace, one per `SIGKILL` round) that is still alive gets the
/// `SIGKILL`; the stop succeeds only when each of them ended. Must run inside a tokio
/// runtime.
pub async fn stop(
    server: &Recorded,
    signal: i32,
    grace: Duration,
    report: &mut dyn FnMut(Event),
) -> Stopped {
    let name = server.name.clone();
    let mut pinned = Pinned::default();
    pinned.add(&scan(server));
    let signal = Signal::from_named_raw(signal).unwrap_or(Signal::TERM);
    report(Event::Stopping {
        name: name.clone(),
        pids: pinned.alive(),
    });
    pinned.send(signal);
    let deadline = Instant::now() + grace;
    loop {
        let step = (Instant::now() + REPORT_EVERY).min(deadline);
        pinned.wait(step).await;
        // Pinned now, while their parents still link them to the server: children forked
        // meanwhile, also into sessions of their own.
        pinned.add(&scan(server));
        let left = pinned.alive();
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
        // Members left by an exited leader, anything forked meanwhile, and everything pinned
        // before that is still alive.
        pinned.add(&scan(server));
        let left = pinned.alive();
        if left.is_empty() {
            return Stopped {
                escalated,
                survivors: Vec::new(),
            };
        }
        escalated = true;
        report(Event::Killed {
            name: name.clone(),
            pids: left,
        });
        pinned.send(Signal::KILL);
        pinned.wait(Instant::now() + KILL_WAIT).await;
    }
    pinned.add(&scan(server));
    Stopped {
        escalated,
        survivors: pinned.alive(),
    }
}
