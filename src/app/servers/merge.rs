//! The one rule that merges the Servers pane's two sources: the supervisor's events (what this
//! devtop's `u` / `d` / `r` and its supervisor are doing) and the periodic poll of
//! `.devtop/state.json` and `/proc` ([`ServersPoll`]).
//!
//! - A run this devtop's supervisor owns ([`ServerRow::supervised`]: launched here, or
//!   handed to it to watch) gets its state from the supervisor's events only. The poll adds
//!   its numbers (PID, start, members, CPU, RSS) and whether its port listens (a ready
//!   server whose port stopped listening is unhealthy, and ready again when it listens); it
//!   never labels it adopted, and never says it exited: the supervisor reports the exit, with
//!   its code or signal. So a run launched here that crashed and whose leftover members are
//!   being stopped shows crashed, not adopted.
//! - Any other run (recorded by another devtop or `devtop up`, or the leftovers of a run the
//!   supervisor only watched) gets its state from the poll: found running between ops, it is
//!   adopted; no longer found, a running one has exited.
//! - A poll taken before a row's last event does not change its phase.
//!
//! The stop of what an exited leader left behind (its [`Event::Stopping`], `Waiting` and
//! `Killed`) keeps the row's exited or crashed phase: the server has ended; the stop cleans up.

use super::{Event, Phase, ServerRow, Servers, ServersPoll, event_name, signal_name};
use std::time::SystemTime;

impl Servers {
    /// Apply one supervisor event, seen at `at`.
    pub fn apply_event(&mut self, event: &Event, at: SystemTime) {
        let name = event_name(event);
        let Some(row) = self.row_mut(name) else {
            return;
        };
        row.changed_at = at;
        match event {
            Event::Dropped { .. } => {
                if row.phase.running() {
                    row.phase = Phase::Exited(None);
                }
                row.supervised = None;
                row.clear_run();
            }
            Event::AlreadyRunning { pid, .. } => {
                row.show_run(*pid);
                row.supervised = Some(*pid);
                if !matches!(row.phase, Phase::Ready | Phase::Unhealthy) {
                    row.phase = Phase::Adopted;
                }
            }
            Event::Held { reason, .. } => {
                row.phase = Phase::Held(reason.clone());
                row.last_error = None;
            }
            Event::Forced { .. } => {}
            Event::Starting { pid, .. } => {
                row.phase = Phase::Starting;
                row.pid = Some(*pid);
                row.ours = true;
                row.supervised = Some(*pid);
                row.ready_after = None;
                row.ready_how = None;
                row.last_error = None;
                row.failed_lines.clear();
                row.started_unix = at
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_secs());
            }
            Event::Ready { after, how, .. } => {
                row.phase = Phase::Ready;
                row.ready_after = Some(*after);
                row.ready_how = Some(how.clone());
            }
            Event::Failed {
                reason, last_lines, ..
            } => {
                row.phase = Phase::Failed;
                row.last_error = Some(reason.clone());
                row.failed_lines = last_lines.clone();
            }
            Event::Stopping { pids, .. }
            | Event::Waiting { pids, .. }
            | Event::Killed { pids, .. } => {
                // A failed start being stopped stays failed; the stop of what an exited
                // leader left stays exited or crashed (its end is not reported).
                if !matches!(
                    row.phase,
                    Phase::Failed | Phase::Exited(_) | Phase::Crashed(_)
                ) {
                    row.phase = Phase::Stopping;
                }
                row.waiting = pids.clone();
            }
            Event::Stopped { .. } => {
                if row.phase == Phase::Restarting {
                    // Stopped during its back-off: the pending restart is what is gone.
                    row.last_error = None;
                }
                if row.phase != Phase::Failed {
                    row.phase = Phase::Stopped;
                }
                row.ours = false;
                row.supervised = None;
                row.clear_run();
            }
            Event::PortTaken { .. } | Event::HolderEnded { .. } => {}
            Event::Adopted { pid, .. } => {
                row.phase = Phase::Adopted;
                row.show_run(*pid);
                row.supervised = Some(*pid);
                row.last_error = None;
            }
            Event::Exited { code, .. } => {
                row.phase = Phase::Exited(*code);
                row.let_go_unless_launched();
                row.clear_run();
            }
            Event::Crashed { signal, .. } => {
                row.phase = Phase::Crashed(signal_name(*signal));
                row.let_go_unless_launched();
                row.clear_run();
            }
            Event::Restarting {
                after,
                attempt,
                give_up_after,
                ..
            } => {
                row.phase = Phase::Restarting;
                row.last_error = Some(format!(
                    "restarting in {} (attempt {attempt} of {})",
                    humantime::format_duration(*after),
                    give_up_after.saturating_sub(1)
                ));
            }
            Event::GaveUp { failures, .. } => {
                row.last_error = Some(format!("gave up after {failures} failures in a row"));
                row.ours = false;
            }
            Event::StopFailed { pids, .. } => {
                row.last_error = Some(format!(
                    "PIDs {} survived SIGKILL",
                    pids.iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                ));
                row.waiting.clear();
            }
        }
    }

    /// Apply a poll (see the module docs): running servers get their PID, start, CPU, RSS and
    /// members; a ready server whose port stopped listening is unhealthy (and ready again when
    /// it listens); for a run this devtop's supervisor does not own, one found running between
    /// ops is adopted and a running one no longer found has exited on its own. A poll taken
    /// before a row's last event does not change its phase.
    pub fn apply_poll(&mut self, poll: ServersPoll) {
        let taken = poll.taken_at.unwrap_or(SystemTime::UNIX_EPOCH);
        let busy = self.busy;
        for row in &mut self.rows {
            let fresh = taken >= row.changed_at;
            match poll.running.iter().find(|p| p.name == row.name) {
                Some(p) => {
                    row.show_run(p.pid);
                    row.started_unix = Some(p.started_unix);
                    row.members = p.members.clone();
                    row.rss_bytes = Some(p.rss_bytes);
                    row.cpu_percent = Some(p.cpu_percent);
                    if row.ready_after.is_none() {
                        row.ready_after = p.ready_after;
                    }
                    if !fresh {
                        continue;
                    }
                    let supervised = row.supervised == Some(p.pid);
                    match (&row.phase, p.listening) {
                        (Phase::Ready, Some(false)) => row.phase = Phase::Unhealthy,
                        (Phase::Unhealthy, Some(true)) => row.phase = Phase::Ready,
                        // Only between ops: during one, its own events say what runs (a
                        // failed start is being stopped, not adopted).
                        (
                            Phase::Stopped
                            | Phase::Exited(_)
                            | Phase::Crashed(_)
                            | Phase::Held(_)
                            | Phase::Failed,
                            _,
                        ) if busy.is_none() && !supervised => {
                            row.phase = Phase::Adopted;
                            row.last_error = None;
                            row.ours = false;
                            row.supervised = None;
                        }
                        _ => {}
                    }
                }
                None if fresh => match row.phase {
                    // Launched here: the supervisor reports how it ended (its child's exit).
                    Phase::Ready | Phase::Unhealthy | Phase::Adopted if row.launched_here() => {}
                    Phase::Ready | Phase::Unhealthy | Phase::Adopted => {
                        row.phase = Phase::Exited(None);
                        row.ours = false;
                        row.clear_run();
                    }
                    Phase::Starting | Phase::Stopping => {}
                    _ => row.clear_run(),
                },
                None => {}
            }
        }
        self.poll = poll;
    }
}

impl ServerRow {
    /// True while the supervisor owns a run this devtop launched: its exit is always reported
    /// (the supervisor waits on its child).
    fn launched_here(&self) -> bool {
        self.ours && self.supervised.is_some()
    }

    /// After a reported exit: a run the supervisor only watched (not launched here) is let go
    /// at once (nothing of it is stopped or restarted); one launched here stays its own.
    fn let_go_unless_launched(&mut self) {
        if !self.ours {
            self.supervised = None;
        }
    }
}
