//! The exit of a watched server: reported and counted at once, what its leader left behind
//! stopped by an owned future ([`Phase::Exiting`]), then the restart policy's decision
//! applied — unless another devtop asked for the stop ([`stop_request`]): then it is let go
//! as stopped.

use super::{ExitWatch, Phase, Supervisor};
use crate::effects::servers::Event;
use crate::effects::servers::down::stop_recorded;
use crate::effects::servers::{state, stop_request};
use crate::model::server_restart::{Decision, ExitKind};
use futures::FutureExt;
use std::time::Instant;

impl Supervisor<'_> {
    /// After the exit of watched server `i`: report it, take the policy's decision, and start
    /// the stop of what it left behind — all before any await, so a `run` cancelled later
    /// neither reports nor counts this exit again (the next `run` resumes the stop). One this
    /// devtop did not start (watched through a pidfd) is only reported and let go.
    pub(super) fn exited(&mut self, i: usize, how: ExitKind, report: &mut dyn FnMut(Event)) {
        if stop_request::take(self.root, &self.watched[i].record, None).is_some() {
            // Another devtop stops this run (and what it left behind): not a crash.
            self.let_go_stopped(i, report);
            return;
        }
        self.watched[i].exited_ms = stop_request::now_ms();
        let name = self.watched[i].record.name.clone();
        let (text, event) = match how {
            ExitKind::Code(c) => (
                format!("exited with code {c}"),
                Event::Exited {
                    name: name.clone(),
                    code: Some(c),
                },
            ),
            ExitKind::Signal(s) => (
                format!("killed by signal {s}"),
                Event::Crashed {
                    name: name.clone(),
                    signal: s,
                },
            ),
            ExitKind::Unknown => (
                "exited (code unknown: not started by this devtop)".to_owned(),
                Event::Exited {
                    name: name.clone(),
                    code: None,
                },
            ),
        };
        report(event);
        if matches!(
            self.watched[i].phase,
            Phase::Running {
                exit: ExitWatch::Pidfd(_),
                ..
            }
        ) {
            // Not started by this devtop (recorded by an earlier one, or adopted): its owner
            // stopped it. Reported only: not restarted, nothing signalled.
            self.watched.remove(i);
            return;
        }
        let spec = self.specs.iter().find(|s| s.name == name);
        let policy = spec.map(|s| s.restart).unwrap_or_default();
        let (root, lock, specs) = (self.root, self.lock, self.specs);
        let tx = self.stop_events.0.clone();
        let w = &mut self.watched[i];
        let ready_for = match &w.phase {
            Phase::Running { ready_at, .. } => ready_at.map(|t| t.elapsed()),
            Phase::Backoff { .. } | Phase::Exiting { .. } => None,
        };
        let decision = w.streak.on_exit(policy, how, ready_for, &self.backoff);
        let record = w.record.clone();
        // The leader is gone: what it left in its session is stopped, so nothing outlives it
        // and a restart finds its port free.
        let stop = async move {
            let _ = stop_recorded(root, lock, &record, specs, &mut |e| {
                let quiet = matches!(e, Event::Stopping { ref pids, .. } if pids.is_empty())
                    || matches!(e, Event::Stopped { .. });
                if !quiet {
                    let _ = tx.send(e);
                }
            })
            .await;
        };
        w.phase = Phase::Exiting {
            stop: stop.boxed_local().fuse(),
            decision,
            text,
            failure: how.is_failure(),
        };
    }

    /// Watched servers waiting out a restart back-off that another devtop asked to stop since
    /// they exited are let go as stopped (checked every second, and when the back-off ends).
    pub(super) fn honour_requests(&mut self, report: &mut dyn FnMut(Event)) {
        for i in (0..self.watched.len()).rev() {
            self.requested_stop(i, report);
        }
    }

    /// Whether watched server `i`, waiting out a back-off, was asked to stop since its exit:
    /// then it is let go (reported stopped) and true is returned.
    pub(super) fn requested_stop(&mut self, i: usize, report: &mut dyn FnMut(Event)) -> bool {
        let w = &self.watched[i];
        let asked = matches!(w.phase, Phase::Backoff { .. })
            && stop_request::take(self.root, &w.record, Some(w.exited_ms)).is_some();
        if asked {
            self.let_go_stopped(i, report);
        }
        asked
    }

    /// Lets go of watched server `i`, stopped by another devtop: its state entry dropped (by
    /// identity), reported [`Event::Stopped`]; no restart, nothing signalled from here.
    fn let_go_stopped(&mut self, i: usize, report: &mut dyn FnMut(Event)) {
        let r = self.watched.remove(i).record;
        let _ = state::retain(self.lock, self.root, |e| {
            !(e.name == r.name && e.pid == r.pid && e.start_ticks == r.start_ticks)
        });
        report(Event::Stopped { name: r.name });
    }

    /// The stop after the exit of watched server `i` ended: report its last events, then
    /// apply the decision taken at the exit.
    pub(super) fn stopped(&mut self, i: usize, report: &mut dyn FnMut(Event)) {
        while let Ok(e) = self.stop_events.1.try_recv() {
            report(e);
        }
        let placeholder = Phase::Backoff { at: Instant::now() };
        let Phase::Exiting {
            decision,
            text,
            failure,
            ..
        } = std::mem::replace(&mut self.watched[i].phase, placeholder)
        else {
            return;
        };
        self.apply_decision(i, decision, &text, failure, report);
    }

    /// Applies the restart policy's `decision` for watched server `i` after a failure or an
    /// exit described by `text` ("exited with code 1", "port 3010 is taken …"; `failure`:
    /// whether it counts as one): the state file's last error for `devtop status`, then a
    /// back-off ([`Event::Restarting`]), giving up ([`Event::GaveUp`], the error saying so)
    /// or leaving it (both stop watching it).
    pub(super) fn apply_decision(
        &mut self,
        i: usize,
        decision: Decision,
        text: &str,
        failure: bool,
        report: &mut dyn FnMut(Event),
    ) {
        let name = self.watched[i].record.name.clone();
        let error = match decision {
            Decision::GiveUp { failures } => Some(format!(
                "{text}; gave up after {failures} failures in a row"
            )),
            Decision::Leave | Decision::Restart { .. } => failure.then(|| text.to_owned()),
        };
        let _ = state::note(self.lock, self.root, &name, None, error);
        match decision {
            Decision::Leave => {
                self.watched.remove(i);
            }
            Decision::GiveUp { failures } => {
                report(Event::GaveUp { name, failures });
                self.watched.remove(i);
            }
            Decision::Restart { after, attempt } => {
                self.watched[i].phase = Phase::Backoff {
                    at: Instant::now() + after,
                };
                report(Event::Restarting {
                    name,
                    after,
                    attempt,
                    give_up_after: self.backoff.give_up_after,
                });
            }
        }
    }
}

/// The [`ExitKind`] of a `waitpid` status.
pub(super) fn exit_kind(status: std::process::ExitStatus) -> ExitKind {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => ExitKind::Code(c),
        (None, Some(s)) => ExitKind::Signal(s),
        (None, None) => ExitKind::Unknown,
    }
}
