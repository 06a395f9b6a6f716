//! The Preflight screen's state and how actions change it: `p` starts a run (every planned
//! check shown as running), each check replaces its row as it arrives, the spinner turns on
//! ticks while the run lasts, `e` picks the next target environment and runs again, `K` on
//! this screen ends the suspects check 1 names (through the kill confirmation).
//!
//! Runs are numbered: results of an earlier run that arrive after a new one started are
//! dropped.

use crate::app::confirm::{self, ConfirmAction};
use crate::app::state::AppState;
use crate::app::update::Command;
use crate::model::kill_plan::{self, Root};
use crate::model::preflight::{Check, CheckAction, CheckId, Summary};

/// Spinner frames, one per tick.
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// What the runner reports back (as [`crate::app::update::Action::Preflight`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PreflightEvent {
    /// Run `run` is still going: turn the spinner.
    Tick(u64),
    /// Run `run` judged a check.
    Check(u64, Check),
    /// Run `run` ended with this summary.
    Done(u64, Summary),
}

/// The Preflight screen's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PreflightState {
    /// The environments a run can target (the setup's, local first).
    pub targets: Vec<String>,
    /// The target of the current (or last) run; `None` before the first run.
    pub target: Option<String>,
    /// Number of the current run (0: none yet).
    pub run: u64,
    /// True while the current run lasts.
    pub running: bool,
    /// The checks of the current run, in order; running ones have [`Status::Running`].
    ///
    /// [`Status::Running`]: crate::model::preflight::Status::Running
    pub checks: Vec<Check>,
    /// The last run's summary, once done.
    pub summary: Option<Summary>,
    /// Spinner frame.
    pub spinner: usize,
    /// First line shown (scrolling).
    pub scroll: usize,
}

impl PreflightState {
    /// The action of check 1 (end the suspects), when the current run has one.
    pub fn kill_action(&self) -> Option<&CheckAction> {
        self.checks
            .iter()
            .find(|c| c.id == CheckId::Suspects)
            .and_then(|c| c.action.as_ref())
    }
}

/// Start a run for `target` (else the current target, else the first environment): every
/// planned check shown as running. Returns the command for the executor; none while a run
/// lasts (a second `p` does not start a second run).
pub fn start(state: &mut AppState, target: Option<String>) -> Vec<Command> {
    let pf = &mut state.preflight;
    if pf.running {
        state.notify("preflight is running");
        return vec![];
    }
    let target = target
        .or_else(|| pf.target.clone())
        .or_else(|| pf.targets.first().cloned())
        .unwrap_or_else(|| "local".to_owned());
    pf.run += 1;
    pf.running = true;
    pf.target = Some(target.clone());
    pf.summary = None;
    pf.scroll = 0;
    pf.checks = crate::effects::preflight::plan()
        .into_iter()
        .map(Check::running)
        .collect();
    let req = crate::effects::preflight::Request::new(&target);
    vec![Command::Preflight(req, pf.run)]
}

/// `e`: the next target environment, and a run for it.
pub fn next_target(state: &mut AppState) -> Vec<Command> {
    let pf = &state.preflight;
    if pf.running {
        state.notify("preflight is running: wait for it to end");
        return vec![];
    }
    let targets = &pf.targets;
    if targets.is_empty() {
        return start(state, None);
    }
    let i = pf
        .target
        .as_ref()
        .and_then(|t| targets.iter().position(|x| x == t))
        .map_or(0, |i| (i + 1) % targets.len());
    let next = targets[i].clone();
    start(state, Some(next))
}

/// Apply one runner event.
pub fn on_event(state: &mut AppState, ev: PreflightEvent) {
    let pf = &mut state.preflight;
    match ev {
        PreflightEvent::Tick(run) if run == pf.run => {
            pf.spinner = (pf.spinner + 1) % SPINNER.len();
        }
        PreflightEvent::Check(run, c) if run == pf.run => {
            match pf.checks.iter_mut().find(|x| x.id == c.id) {
                Some(slot) => *slot = c,
                None => pf.checks.push(c),
            }
        }
        PreflightEvent::Done(run, s) if run == pf.run => {
            pf.running = false;
            pf.checks = s.checks.clone();
            let (pass, warn, fail, skipped) = s.counts();
            let text = format!(
                "preflight {}: {pass} passed, {warn} warned, {fail} failed, {skipped} skipped in {:.1} s",
                s.target,
                s.elapsed_ms as f64 / 1000.0
            );
            pf.summary = Some(s);
            if fail > 0 {
                state.warn(text);
            } else {
                state.notify(text);
            }
        }
        _ => {}
    }
}

/// `K` on the Preflight screen: ask to end the processes check 1 names; `false` when check 1
/// has no such action (the caller then does what `K` does elsewhere).
pub fn ask_kill(state: &mut AppState) -> bool {
    let Some(CheckAction::KillSuspects { targets, what }) = state.preflight.kill_action().cloned()
    else {
        return false;
    };
    // Each root carries the start time the check saw: a PID reused since is refused.
    let roots: Vec<Root> = targets
        .iter()
        .map(|t| Root {
            start_ticks: Some(t.start_ticks),
            ..Root::shown(t.pid, "preflight check 1")
        })
        .collect();
    let plan = kill_plan::build(&state.procs, &state.protected, &roots);
    let title = if plan.kills.is_empty() {
        format!("{what}: none can be ended now")
    } else {
        format!("End {what} ({} processes)?", plan.kills.len())
    };
    confirm::ask(state, title, ConfirmAction::Kill(plan));
    true
}

/// Scroll the screen by `delta` lines (clamped at the top; the renderer clamps the bottom).
pub fn scroll(state: &mut AppState, delta: isize) {
    let pf = &mut state.preflight;
    pf.scroll = pf.scroll.saturating_add_signed(delta).min(10_000);
}

#[cfg(test)]
mod tests;
