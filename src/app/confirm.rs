//! The generic confirm and notice flow. A destructive action is never run from a key directly:
//! `update` opens [`Confirm`] with a [`ConfirmAction`] (`Popup::Confirm`), the user answers in
//! the one confirm popup (keys of `Context::Confirm`), and only `Intent::Confirm` turns it into
//! the commands that do it ([`confirmed`]). Results and warnings go to the one notice area
//! ([`Notice`], the line above the key bar) and, per item, to the log.

use crate::app::key_bar::Entry;
use crate::app::keymap::Intent;
use crate::app::state::{AppState, Popup};
use crate::app::update::Command;
use crate::model::kill_plan::KillPlan;

/// A destructive action waiting for the user's yes.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmAction {
    /// Signal the processes of a plan (children first); its refusals are reported either way.
    Kill(KillPlan),
    /// Restart these servers (the selected one first, then what depends on it): yes restarts
    /// them all, `n` only the first, Esc nothing.
    RestartServers(Vec<String>),
    /// Quitting while these servers, started by this devtop, run: yes stops them (then
    /// quits), `l` leaves them running, no stays.
    QuitServers(Vec<String>),
    /// Server `0`'s port is taken by `1`'s holder: yes ends the holder (the safe kill), `a`
    /// adopts it (when it runs the server's own command in its cwd), no cancels the start.
    PortConflict(String, Box<crate::model::port_conflict::Conflict>),
    /// The memory guard's drain (key `E`): end the plan's suspects one at a time, largest RSS
    /// first, re-checking the memory level after each, until it drops. The plan lists them all
    /// for the dialog; the guard plans each kill again when its turn comes.
    GuardDrain(KillPlan),
    /// Run the guarded migrate of this environment although its preflight warned.
    Migrate(String),
    /// End the hung migrate of this environment (the watchdog's message).
    EndMigrate(String, String),
    /// Quitting while a migrate of this environment runs: yes quits as soon as it ends (a
    /// migration is never cut in the middle: Prisma would record it failed, P3009), no stays.
    QuitMigrating(String),
}

impl ConfirmAction {
    /// True when confirming would change nothing (a kill plan whose every process is
    /// refused): the popup then only explains, and offers no "yes" in the key bar.
    pub fn does_nothing(&self) -> bool {
        match self {
            ConfirmAction::Kill(plan) | ConfirmAction::GuardDrain(plan) => plan.kills.is_empty(),
            ConfirmAction::Migrate(_)
            | ConfirmAction::EndMigrate(..)
            | ConfirmAction::QuitMigrating(_) => false,
            ConfirmAction::RestartServers(_)
            | ConfirmAction::QuitServers(_)
            | ConfirmAction::PortConflict(..) => false,
        }
    }

    /// The dialog's key bar (names of its answers; the keys come from the key table): `y Kill
    /// n Cancel`, or only `Close` when confirming would do nothing; `↑↓ Scroll` while the
    /// kill dialog's list is taller than the screen.
    pub fn key_bar(&self, state: &AppState) -> Vec<Entry> {
        use Intent::{Adopt, Cancel, Confirm, Down, LeaveRunning, No, Up};
        let answer = |yes: &'static str, no: &'static str| {
            vec![Entry::new(Confirm, yes, 0), Entry::new(Cancel, no, 0)]
        };
        if self.does_nothing() {
            return vec![Entry::new(Cancel, "Close", 0)];
        }
        match self {
            ConfirmAction::Kill(plan) | ConfirmAction::GuardDrain(plan) => {
                let yes = if matches!(self, ConfirmAction::Kill(_)) {
                    "Kill"
                } else {
                    "End them"
                };
                let mut bar = answer(yes, "Cancel");
                if crate::ui::kill_dialog::layout_for(state.screen, plan, state.grace).max_scroll()
                    > 0
                {
                    bar.push(Entry::pair(Up, Down, "Scroll", 1));
                }
                bar
            }
            ConfirmAction::RestartServers(_) => vec![
                Entry::new(Confirm, "With dependents", 0),
                Entry::new(No, "Only this", 0),
                Entry::new(Cancel, "Cancel", 0),
            ],
            ConfirmAction::PortConflict(_, c) => {
                let mut bar = answer("End holder", "Cancel start");
                if c.holder.as_ref().is_some_and(|h| h.same_server.is_some()) {
                    bar.insert(1, Entry::new(Adopt, "Adopt", 0));
                }
                bar
            }
            ConfirmAction::QuitServers(_) => vec![
                Entry::new(Confirm, "Stop them", 0),
                Entry::new(LeaveRunning, "Leave running", 0),
                Entry::new(Cancel, "Stay", 0),
            ],
            ConfirmAction::Migrate(_) => answer("Migrate", "Cancel"),
            ConfirmAction::EndMigrate(..) => answer("End it", "Cancel"),
            ConfirmAction::QuitMigrating(_) => answer("Quit when it ends", "Stay"),
        }
    }
}

/// The open confirm popup.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    /// Title ("Kill PID 123 and 2 descendants?", "PID 1 cannot be killed").
    pub title: String,
    /// What confirming does.
    pub action: ConfirmAction,
    /// First body line shown (the body scrolls when taller than the popup).
    pub scroll: usize,
}

/// Open the confirm popup for `action` under `title`.
pub fn ask(state: &mut AppState, title: String, action: ConfirmAction) {
    state.popup = Some(Popup::Confirm(Confirm {
        title,
        action,
        scroll: 0,
    }));
}

/// The open confirm popup, if any.
pub fn open(state: &AppState) -> Option<&Confirm> {
    match &state.popup {
        Some(Popup::Confirm(c)) => Some(c),
        _ => None,
    }
}

/// The user said yes to `action`: the commands that carry it out, with the notice set.
pub fn confirmed(state: &mut AppState, action: ConfirmAction) -> Vec<Command> {
    match action {
        ConfirmAction::RestartServers(names) => {
            crate::app::server_intent::restart_now(state, names)
        }
        ConfirmAction::QuitServers(names) => crate::app::server_intent::stop_and_quit(state, names),
        ConfirmAction::PortConflict(name, _) => {
            state.notify(format!(
                "{}: ending the port's holder…",
                crate::sanitize::clean(&name)
            ));
            vec![Command::PortDecision(
                crate::model::port_conflict::PortDecision::EndHolder,
            )]
        }
        ConfirmAction::Migrate(env) => {
            state.notify(format!("migrate {env}: running (see Logs)"));
            vec![Command::MigrateRun(env)]
        }
        ConfirmAction::EndMigrate(env, _) => {
            state.notify(format!("migrate {env}: ending it"));
            vec![Command::MigrateEnd]
        }
        ConfirmAction::QuitMigrating(env) => {
            state.quit_after_migrate = true;
            let q = state.keys.first_key(Intent::Quit);
            state.notify(format!(
                "quitting when the migrate of {env} ends… ({q} again to end it now)"
            ));
            vec![]
        }
        ConfirmAction::Kill(plan) => {
            // Refusals are final outcomes: one log line per PID, now.
            let mut cmds: Vec<Command> = plan
                .refused
                .iter()
                .map(|r| {
                    Command::Log(
                        log::Level::Warn,
                        format!(
                            "PID {} ({}): refused: {}",
                            r.pid,
                            who(r.role, &r.name),
                            r.reason
                        ),
                    )
                })
                .collect();
            if plan.kills.is_empty() {
                state.warn("nothing was signalled (refused, see Logs)");
                return cmds;
            }
            state.killing += 1;
            state.notify(format!("killing {} process(es)…", plan.kills.len()));
            cmds.push(Command::Kill(plan.kills));
            cmds
        }
        ConfirmAction::GuardDrain(plan) => {
            if plan.kills.is_empty() {
                state.warn("nothing was signalled (refused, see Logs)");
                return vec![];
            }
            let confirmed = plan.kills.iter().map(|k| (k.pid, k.start_ticks)).collect();
            state.guard.start_draining(confirmed);
            state.notify("memory guard: ending dev-tool suspects, largest first…");
            crate::app::guard_update::step(state)
        }
    }
}

/// "role name" of a process in a log line.
pub fn who(role: crate::model::process::Role, name: &str) -> String {
    format!("{} {name}", role.label())
}

/// A one-line message in the notice area: the last action's result or a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Warning (something was refused or did not work) or plain information.
    pub warning: bool,
    /// The text (sanitised when drawn).
    pub text: String,
}

impl AppState {
    /// Show `text` in the notice area (replacing the previous notice).
    pub fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            warning: false,
            text: text.into(),
        });
    }

    /// Show `text` as a warning in the notice area.
    pub fn warn(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            warning: true,
            text: text.into(),
        });
    }

    /// The notice's text, if any.
    pub fn notice_text(&self) -> Option<&str> {
        self.notice.as_ref().map(|n| n.text.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::app::keymap::Context;
    use crate::app::update::{Action, context, update};
    use crate::model::fixtures;
    use crate::model::snapshot::ProcessSnapshot;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use std::sync::Arc;
    use std::time::Duration;

    fn state() -> AppState {
        let snap = Arc::new(ProcessSnapshot::empty(
            crate::model::tree::Scope::Project,
            "/x".into(),
        ));
        AppState::new(
            snap,
            Arc::new(fixtures::memory(6.0, 0.0, 0.0)),
            Duration::from_secs(3),
        )
    }

    fn key(c: char) -> Action {
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    #[test]
    fn a_destructive_action_waits_for_yes_and_no_closes_it() {
        let mut s = state();
        ask(
            &mut s,
            "Kill?".into(),
            ConfirmAction::Kill(KillPlan::default()),
        );
        assert_eq!(context(&s), Context::Confirm);
        assert!(open(&s).unwrap().action.does_nothing());
        assert!(update(&mut s, key('n')).is_empty());
        assert_eq!(s.popup, None);
        assert_eq!(s.notice, None, "cancelling reports nothing");
    }

    #[test]
    fn confirming_a_plan_with_nothing_to_signal_says_so() {
        let mut s = state();
        ask(
            &mut s,
            "Kill?".into(),
            ConfirmAction::Kill(KillPlan::default()),
        );
        assert!(update(&mut s, key('y')).is_empty());
        assert_eq!(s.popup, None);
        assert_eq!(
            s.notice_text(),
            Some("nothing was signalled (refused, see Logs)")
        );
        assert_eq!(s.killing, 0);
    }
}
