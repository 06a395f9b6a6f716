//! The memory guard inside `update`: each memory reading goes to [`GuardState::observe`]
//! (with the newest process snapshot, also while the list is paused, and what the collector
//! read beside it: the servers devtop started, the kernel's OOM kills), the key `E` opens the
//! drain's confirmation, and a finished kill tells the guard. Its effects become commands for
//! the executor (log lines, the alert, the kill, the post-mortems to record in
//! `.devtop/deaths.json`) — the bell, `notify-send` and the file write run there, never in
//! `update` or a renderer.

use crate::app::confirm::{self, ConfirmAction};
use crate::app::guard::GuardEffect;
use crate::app::keymap::Intent;
use crate::app::state::AppState;
use crate::app::update::Command;
use crate::effects::signal::KillOutcome;
use crate::model::kill_plan::{self, PlannedKill, Root};
use crate::model::memory::format_bytes;
use crate::model::snapshot::ProcessSnapshot;
use std::sync::Arc;

/// The newest process snapshot: the held one while the list is paused.
fn newest(state: &AppState) -> Arc<ProcessSnapshot> {
    state.held.clone().unwrap_or_else(|| state.procs.clone())
}

/// The guard's effects as commands (a kill counts as one in flight).
fn commands(state: &mut AppState, effects: Vec<GuardEffect>) -> Vec<Command> {
    effects
        .into_iter()
        .map(|e| match e {
            GuardEffect::Log(level, text) => Command::Log(level, text),
            GuardEffect::Alert {
                summary,
                body,
                notify,
            } => Command::Alert {
                summary,
                body,
                notify,
            },
            GuardEffect::Kill(plan) => {
                state.killing += 1;
                Command::Kill(plan)
            }
        })
        .collect()
}

/// Let the guard's log lines name the key that ends suspects as it is in effect.
fn name_the_key(state: &mut AppState) {
    let key = state.keys.first_key(Intent::GuardEnd);
    if state.guard.end_key.as_deref() != Some(key) {
        state.guard.end_key = Some(key.to_owned());
    }
}

/// A memory reading arrived (`state.memory`): let the guard judge it, with what the collector
/// read beside it; the post-mortems it found ([`GuardState::new_deaths`](crate::app::guard::GuardState::new_deaths),
/// kept there until the next reading) are to be recorded ([`Command::RecordDeaths`]).
pub fn observe(state: &mut AppState) -> Vec<Command> {
    let Some(mem) = state.memory.snapshot.clone() else {
        return vec![];
    };
    if let Some(readings) = &state.memory.guard {
        state.guard.take_readings(readings);
    }
    state.guard.new_deaths.clear();
    let snap = newest(state);
    let t_s = state.memory.t_s;
    name_the_key(state);
    let effects = state.guard.observe(t_s, &mem, &snap, &state.protected);
    let mut cmds = commands(state, effects);
    if !state.guard.new_deaths.is_empty() {
        cmds.push(Command::RecordDeaths(state.guard.new_deaths.clone()));
    }
    cmds
}

/// Decide again on the readings so far (after the user confirmed the drain).
pub fn step(state: &mut AppState) -> Vec<Command> {
    let snap = newest(state);
    name_the_key(state);
    let effects = state.guard.step(&snap, &state.protected);
    commands(state, effects)
}

/// A kill finished: tell the guard when it was its own.
pub fn kill_done(
    state: &mut AppState,
    plan: &[PlannedKill],
    outcomes: &[(u32, KillOutcome)],
) -> Vec<Command> {
    let effects = state.guard.record_kill(plan, outcomes);
    commands(state, effects)
}

/// Key `E`: when the guard has triggered, the confirmation listing the dev-tool suspects it
/// would end, largest first; otherwise a notice saying why nothing happens.
pub fn ask_drain(state: &mut AppState) {
    let Some(d) = state.guard.decision.clone().filter(|d| d.critical()) else {
        let k = |i| state.keys.first_key(i);
        let text = format!(
            "memory is not critical: {} acts when the memory guard has triggered ({} ends \
             suspects)",
            k(Intent::GuardEnd),
            k(Intent::KillSuspects)
        );
        state.notify(text);
        return;
    };
    if d.victims.is_empty() {
        state.warn("memory critical, but no dev-tool suspect may be ended (see Logs)");
        return;
    }
    let snap = newest(state);
    let roots: Vec<Root> = d
        .victims
        .iter()
        .map(|v| {
            Root::shown(
                v.pid,
                format!(
                    "{}: {} ({})",
                    v.kind.label(),
                    v.reason,
                    format_bytes(v.rss_bytes)
                ),
            )
        })
        .collect();
    let plan = kill_plan::build(&snap, &state.protected, &roots);
    let title = format!(
        "Memory critical: end {} dev-tool suspect(s) one at a time, largest first, until it recovers?",
        d.victims.len()
    );
    confirm::ask(state, title, ConfirmAction::GuardDrain(plan));
}
