//! The memory guard's decisions: a pure function of the memory level history, the process
//! snapshot (with its suspects), devtop's own position, the servers devtop started, the
//! `[guard]` rules and the time, to what to do now — nothing, alert, end one dev-tool suspect,
//! or wait (a kill in flight, a fresh reading, the cool-down).
//!
//! Anchors: earlyoom (MemAvailable ≤ 10 % → SIGTERM the largest process), nohang (PSI
//! thresholds), systemd-oomd (PSI full avg10 > 60 % for 30 s → kill a cgroup). Those pick any
//! victim, late; the guard picks dev-tool suspects only (kinds in [`GUARDED_KINDS`]), early, one
//! at a time, largest RSS first, re-checking the level after each.
//!
//! Pure: no I/O. The effects layer reads `/proc/meminfo`, `/proc/pressure/memory`, the cgroup
//! files and `.devtop/state.json`, then signals the chosen victim through the safe kill.

mod pane_level;
mod trigger;
mod victims;

pub use pane_level::shown_level;
pub use trigger::{Evidence, Fired, LevelHistory, LevelSample, evaluate};
pub use victims::{
    EDITOR_MARKERS, EDITOR_NAMES, GUARDED_KINDS, ServerGroup, SpareReason, Spared, Victim,
    is_editor, server_members, victims,
};

use crate::model::refusal::Protected;
use crate::model::snapshot::ProcessSnapshot;
use serde::Serialize;

const MIB: u64 = 1 << 20;

/// `[guard]` in devtop.toml: when the memory level counts as critical and what the guard does
/// then.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardRules {
    /// End suspects without asking (`auto`, default false: alert and wait for the key `E`).
    pub auto: bool,
    /// PSI `full avg10` (percent of wall time, `/proc/pressure/memory`) at or above which the
    /// level is critical once sustained for [`psi_for_s`](Self::psi_for_s) (default 10.0).
    pub psi_full_avg10: f64,
    /// Seconds the PSI rule must hold (default 10).
    pub psi_for_s: f64,
    /// `MemAvailable` (`/proc/meminfo`) below this, in bytes, is critical (default 500 MiB).
    pub min_available_bytes: u64,
    /// cgroup headroom (limit − working set, as a percent of the limit) below this is
    /// critical (default 5.0).
    pub min_headroom_percent: f64,
    /// Seconds after an automatic kill before the next one (default 15): never a cascade.
    pub cooldown_s: f64,
    /// Send a desktop notification (`notify-send`) on trigger (default true).
    pub notify: bool,
}

impl Default for GuardRules {
    fn default() -> Self {
        GuardRules {
            auto: false,
            psi_full_avg10: 10.0,
            psi_for_s: 10.0,
            min_available_bytes: 500 * MIB,
            min_headroom_percent: 5.0,
            cooldown_s: 15.0,
            notify: true,
        }
    }
}

/// What the guard is asked to do besides watching: end suspects on its own (`auto`), or
/// because the user pressed the key (`drain`, until the level drops).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Alert only.
    Watch,
    /// The user asked (key `E`): end suspects one at a time, re-checking after each, until the
    /// level drops; no cool-down beyond a fresh reading (and, for the PSI rule, a new
    /// sustained window).
    Drain,
    /// `[guard] auto = true`: as `Drain`, with the cool-down between kills.
    Auto,
}

/// Everything [`decide`] looks at.
#[derive(Debug, Clone, Copy)]
pub struct GuardInput<'a> {
    /// The `[guard]` rules.
    pub rules: &'a GuardRules,
    /// Level readings, oldest first.
    pub history: &'a LevelHistory,
    /// The latest process snapshot with its suspects.
    pub snapshot: &'a ProcessSnapshot,
    /// devtop's own PID, uid and ancestors.
    pub protected: &'a Protected,
    /// The servers devtop started (`.devtop/state.json`): never ended by the guard.
    pub servers: &'a [ServerGroup],
    /// Now, seconds on the history's clock.
    pub now_s: f64,
    /// When the previous guard kill finished (its outcome known), seconds on the same clock.
    pub last_action_s: Option<f64>,
    /// True while a guard kill is still running (SIGTERM sent, outcome not yet known).
    pub in_flight: bool,
    /// Watch, drain or auto.
    pub mode: Mode,
    /// Drain mode: the (PID, start ticks) the user confirmed (key `E`); only these may be
    /// ended, so a suspect that appears (or a PID reused) after the dialog is never ended
    /// without a new confirmation. Ignored in the other modes.
    pub confirmed: &'a [(u32, u64)],
}

/// What to do now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// The level is not critical.
    Idle,
    /// Critical, watch mode: show the evidence and wait for the user.
    Alert,
    /// End this suspect (and its shown descendants) now.
    End {
        /// The victim.
        victim: Victim,
    },
    /// A guard kill is still running: wait for its outcome.
    Busy,
    /// Waiting for a reading taken after the last kill before judging again.
    Settling,
    /// Auto mode: the cool-down after the last kill still runs for this many seconds.
    CoolDown {
        /// Seconds left.
        remaining_s: f64,
    },
    /// Critical, but no dev-tool suspect may be ended: the guard does nothing.
    NothingToEnd,
    /// Drain mode: every suspect the user confirmed is gone while the level is still critical
    /// and other suspects remain: they need a new confirmation (key `E` again).
    ConfirmedGone,
}

/// [`decide`]'s answer: the evidence, the victims in the order the guard would end them, the
/// suspects it will never end (with why), and the action.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The readings and the rules that fired (empty: not critical).
    pub evidence: Evidence,
    /// Dev-tool suspects the guard may end, largest RSS first.
    pub victims: Vec<Victim>,
    /// Suspects it will not end, with the reason.
    pub spared: Vec<Spared>,
    /// What to do now.
    pub action: Action,
}

impl Decision {
    /// True when some rule fired.
    pub fn critical(&self) -> bool {
        self.evidence.critical()
    }
}

/// Decides what the guard does now.
///
/// - Critical when a rule of [`evaluate`] fires; the PSI rule counts only readings taken after
///   the last kill, so the level is re-judged afresh after each.
/// - Not critical → [`Action::Idle`]; critical in [`Mode::Watch`] → [`Action::Alert`].
/// - Drain/auto: a kill in flight → [`Action::Busy`]; no reading since the last kill →
///   [`Action::Settling`]; auto within `cooldown_s` of the last kill → [`Action::CoolDown`];
///   no victim → [`Action::NothingToEnd`]; else [`Action::End`] with the largest victim — in
///   drain mode the largest one the user confirmed (same PID and start time), and
///   [`Action::ConfirmedGone`] when none of those is left.
pub fn decide(input: &GuardInput<'_>) -> Decision {
    let evidence = evaluate(input.history, input.rules, input.last_action_s);
    let (victims, spared) = victims(input.snapshot, input.protected, input.servers);
    let action = action(input, &evidence, &victims);
    Decision {
        evidence,
        victims,
        spared,
        action,
    }
}

fn action(input: &GuardInput<'_>, evidence: &Evidence, victims: &[Victim]) -> Action {
    if !evidence.critical() {
        return Action::Idle;
    }
    if input.mode == Mode::Watch {
        return Action::Alert;
    }
    if input.in_flight {
        return Action::Busy;
    }
    if let Some(last) = input.last_action_s {
        let fresh = input.history.latest().is_some_and(|s| s.t_s > last);
        if !fresh {
            return Action::Settling;
        }
        let since = input.now_s - last;
        if input.mode == Mode::Auto && since < input.rules.cooldown_s {
            return Action::CoolDown {
                remaining_s: input.rules.cooldown_s - since,
            };
        }
    }
    let allowed = |v: &&Victim| {
        input.mode != Mode::Drain || input.confirmed.contains(&(v.pid, v.start_ticks))
    };
    match (victims.iter().find(allowed), victims.is_empty()) {
        (Some(v), _) => Action::End { victim: v.clone() },
        (None, true) => Action::NothingToEnd,
        (None, false) => Action::ConfirmedGone,
    }
}

#[cfg(test)]
mod tests;
