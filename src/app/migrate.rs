//! The TUI's guarded migrate (`m`, issue 11): a popup to choose the target environment
//! (production-like names — `production`, `prod`, `live` — then ask to type the name), then the
//! shared flow of [`crate::effects::migrate::guarded`] through the executor: its lines go to
//! the Logs pane as they happen, a preflight warning opens the confirm popup ("migrate
//! anyway?"), a hung run opens it too ("end it?"), and the end sets the notice.

use crate::app::confirm::{self, ConfirmAction};
use crate::app::keymap::Intent;
use crate::app::keys::KeyMap;
use crate::app::state::{AppState, Popup};
use crate::app::update::Command;
use crate::effects::migrate::guarded::Event;
use crossterm::event::KeyCode;

/// The environment picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigratePick {
    /// The environments, in the Databases screen's order.
    pub envs: Vec<String>,
    /// The highlighted one.
    pub selected: usize,
    /// While asking to type a production environment's name: what was typed so far.
    pub typed: Option<String>,
}

/// What the migrate task reports back to the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MigrateUpdate {
    /// A line of the flow (see [`Event`]).
    Event(Event),
    /// The gate warned: the run waits for the user's yes.
    Warned(String),
    /// The run ended (or never started): environment, success (command succeeded and nothing
    /// pending or failed), one-line summary.
    Done(String, bool, String),
}

/// True for environments that ask to type their name first.
pub fn is_production(name: &str) -> bool {
    crate::effects::migrate::guarded::is_production(name)
}

/// `m`: open the picker (or say why not).
pub fn open(state: &mut AppState) {
    if let (Some(env), Some(why)) = (state.migrating.clone(), state.migrate_hung.clone()) {
        confirm::ask(
            state,
            format!("Migrate of {env} is hung. End it?"),
            ConfirmAction::EndMigrate(env, why),
        );
        return;
    }
    if let Some(env) = &state.migrating {
        state.warn(format!("a migrate of {env} runs already (see Logs)"));
        return;
    }
    let envs: Vec<String> = state.dbs.envs.iter().map(|e| e.name.clone()).collect();
    if envs.is_empty() {
        state.warn("no database environment to migrate");
        return;
    }
    state.popup = Some(Popup::Migrate(MigratePick {
        envs,
        selected: 0,
        typed: None,
    }));
}

/// A key while the picker is open: `intent` is the key in the migrate context (choosing, or
/// typing the name); an unbound key while typing is a character of the name.
pub fn key(state: &mut AppState, intent: Option<Intent>, code: KeyCode) -> Vec<Command> {
    let Some(Popup::Migrate(pick)) = &mut state.popup else {
        return vec![];
    };
    if let Some(typed) = &mut pick.typed {
        match (intent, code) {
            (None, KeyCode::Char(c)) => typed.push(c),
            (None, KeyCode::Backspace) => {
                typed.pop();
            }
            (Some(Intent::Cancel), _) => pick.typed = None,
            (Some(Intent::Confirm), _) => {
                let env = pick.envs[pick.selected].clone();
                if *typed == env {
                    return start(state, env);
                }
                state.warn(format!("type {env} exactly to migrate it"));
            }
            _ => {}
        }
        return vec![];
    }
    match intent {
        Some(Intent::Up) => pick.selected = pick.selected.saturating_sub(1),
        Some(Intent::Down) => {
            pick.selected = (pick.selected + 1).min(pick.envs.len().saturating_sub(1));
        }
        Some(Intent::Cancel) => state.popup = None,
        Some(Intent::Confirm) => {
            let env = pick.envs[pick.selected].clone();
            if is_production(&env) {
                pick.typed = Some(String::new());
            } else {
                return start(state, env);
            }
        }
        _ => {}
    }
    vec![]
}

fn start(state: &mut AppState, env: String) -> Vec<Command> {
    state.popup = None;
    state.notify(format!("migrate {env}: preflight… (see Logs)"));
    state.migrating = Some(env.clone());
    vec![Command::Migrate(env)]
}

/// A report of the migrate task.
pub fn update(state: &mut AppState, u: MigrateUpdate) -> Vec<Command> {
    match u {
        MigrateUpdate::Event(e) => {
            let (level, text) = match e {
                Event::Info(l) => (log::Level::Info, format!("migrate: {l}")),
                Event::Output(l) => (log::Level::Info, format!("migrate │ {l}")),
                Event::Warn(l) => (log::Level::Warn, format!("migrate: {l}")),
                Event::Hung(l) => {
                    state.migrate_hung = Some(l.clone());
                    if let Some(env) = state.migrating.clone() {
                        confirm::ask(
                            state,
                            format!("Migrate of {env} is hung. End it?"),
                            ConfirmAction::EndMigrate(env, l.clone()),
                        );
                    }
                    (log::Level::Warn, format!("migrate: {l}"))
                }
            };
            vec![Command::Log(level, text)]
        }
        MigrateUpdate::Warned(env) => {
            confirm::ask(
                state,
                format!("Preflight warns. Migrate {env} anyway?"),
                ConfirmAction::Migrate(env),
            );
            vec![]
        }
        MigrateUpdate::Done(env, ok, summary) => {
            state.migrating = None;
            state.migrate_hung = None;
            if std::mem::take(&mut state.quit_after_migrate) {
                crate::app::server_intent::quit(state);
            }
            if matches!(&state.popup, Some(Popup::Confirm(c))
                if matches!(c.action, ConfirmAction::EndMigrate(..) | ConfirmAction::Migrate(_)))
            {
                state.popup = None;
            }
            let text = format!("migrate {env}: {summary}");
            if ok {
                state.notify(text);
            } else {
                state.warn(text);
            }
            vec![Command::Refresh]
        }
    }
}

/// The body of the confirm popups of a migrate, naming the keys of `keys` (the effective
/// table, `[keys]` included).
pub fn confirm_lines(action: &ConfirmAction, keys: &KeyMap) -> Vec<String> {
    use crate::app::keymap::Context;
    let y = keys.key(Context::Confirm, Intent::Confirm);
    let n = keys.key(Context::Confirm, Intent::Cancel);
    match action {
        ConfirmAction::Migrate(env) => vec![
            "The preflight of this migrate warned; the warnings are in the Logs pane.".to_owned(),
            String::new(),
            format!("{y}: run the migrate command on {env} anyway"),
            format!("{n}: do not migrate"),
        ],
        ConfirmAction::EndMigrate(_, why) => vec![
            crate::sanitize::clean(why).into_owned(),
            String::new(),
            format!("{y}: end its whole process group (SIGTERM, then SIGKILL after the grace)"),
            format!(
                "{n}: let it run ({} asks again)",
                keys.first_key(Intent::Migrate)
            ),
        ],
        ConfirmAction::QuitMigrating(env) => vec![
            format!("A migrate of {env} is running. Ending it now would cut a migration in the"),
            "middle: Prisma records it failed (P3009) and later deploys stop until it is"
                .to_owned(),
            "resolved; on MySQL its DDL may be half applied.".to_owned(),
            String::new(),
            format!(
                "{y}: quit as soon as it ends ({} again meanwhile: end it now)",
                keys.first_key(Intent::Quit)
            ),
            format!("{n}: stay"),
        ],
        ConfirmAction::Kill(_)
        | ConfirmAction::GuardDrain(_)
        | ConfirmAction::RestartServers(_)
        | ConfirmAction::QuitServers(_)
        | ConfirmAction::PortConflict(..) => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::app::update::{Action, update};
    use crate::collect::environments::EnvSpec;
    use crate::model::database::DbSnapshot;
    use crate::model::fixtures;
    use crate::model::snapshot::ProcessSnapshot;
    use crate::model::tree::Scope;
    use crossterm::event::{KeyEvent, KeyModifiers};
    use std::sync::Arc;
    use std::time::Duration;

    fn key(c: KeyCode) -> Action {
        Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
    }

    fn state() -> AppState {
        let mut s = AppState::new(
            Arc::new(ProcessSnapshot::empty(Scope::Project, "/x".into())),
            Arc::new(fixtures::memory(6.0, 0.0, 0.0)),
            Duration::from_secs(3),
        );
        let env = |name: &str| {
            crate::collect::databases::initial(&EnvSpec {
                name: name.into(),
                url_env: "X".into(),
                url: Err("unset".into()),
                config_error: false,
                source: None,
            })
        };
        s.dbs = Arc::new(DbSnapshot {
            envs: vec![env("local"), env("production")],
        });
        s
    }

    fn typed(s: &mut AppState, text: &str) -> Vec<Command> {
        let mut out = Vec::new();
        for c in text.chars() {
            out.extend(update(s, key(KeyCode::Char(c))));
        }
        out
    }

    #[test]
    fn m_picks_local_and_starts() {
        let mut s = state();
        assert!(update(&mut s, key(KeyCode::Char('m'))).is_empty());
        assert!(matches!(&s.popup, Some(Popup::Migrate(p)) if p.envs == ["local", "production"]));
        let cmds = update(&mut s, key(KeyCode::Enter));
        assert_eq!(cmds, vec![Command::Migrate("local".into())]);
        assert!(s.popup.is_none());
        assert_eq!(s.migrating.as_deref(), Some("local"));
        // A second m while it runs only says so.
        update(&mut s, key(KeyCode::Char('m')));
        assert!(s.popup.is_none());
        assert!(s.notice.as_ref().unwrap().text.contains("runs already"));
        // Its end clears it and refreshes.
        let cmds = update(
            &mut s,
            Action::Migrate(MigrateUpdate::Done(
                "local".into(),
                true,
                "succeeded in 1.0 s".into(),
            )),
        );
        assert_eq!(cmds, vec![Command::Refresh]);
        assert!(s.migrating.is_none());
        assert_eq!(
            s.notice.as_ref().unwrap().text,
            "migrate local: succeeded in 1.0 s"
        );
    }

    #[test]
    fn production_asks_to_type_its_name() {
        let mut s = state();
        update(&mut s, key(KeyCode::Char('m')));
        update(&mut s, key(KeyCode::Down));
        assert!(update(&mut s, key(KeyCode::Enter)).is_empty());
        assert!(matches!(&s.popup, Some(Popup::Migrate(p)) if p.typed.as_deref() == Some("")));
        // Letters that are keys elsewhere (q, m, j) are typed, not acted on.
        assert!(typed(&mut s, "prod").is_empty());
        assert!(
            update(&mut s, key(KeyCode::Enter)).is_empty(),
            "not the full name"
        );
        assert!(s.migrating.is_none());
        typed(&mut s, "uction");
        let cmds = update(&mut s, key(KeyCode::Enter));
        assert_eq!(cmds, vec![Command::Migrate("production".into())]);
    }

    #[test]
    fn warning_asks_and_hung_offers_to_end() {
        let mut s = state();
        update(&mut s, key(KeyCode::Char('m')));
        update(&mut s, key(KeyCode::Enter));
        update(
            &mut s,
            Action::Migrate(MigrateUpdate::Warned("local".into())),
        );
        assert!(
            matches!(&s.popup, Some(Popup::Confirm(c)) if c.action == ConfirmAction::Migrate("local".into()))
        );
        let cmds = update(&mut s, key(KeyCode::Char('y')));
        assert_eq!(cmds, vec![Command::MigrateRun("local".into())]);
        // Output goes to the log.
        let cmds = update(
            &mut s,
            Action::Migrate(MigrateUpdate::Event(Event::Output(
                "Applying migration".into(),
            ))),
        );
        assert_eq!(
            cmds,
            vec![Command::Log(
                log::Level::Info,
                "migrate │ Applying migration".into()
            )]
        );
        // Hung: the confirm popup offers to end it; n keeps it, m asks again, y ends it.
        update(
            &mut s,
            Action::Migrate(MigrateUpdate::Event(Event::Hung("hung: no output".into()))),
        );
        assert!(
            matches!(&s.popup, Some(Popup::Confirm(c)) if matches!(c.action, ConfirmAction::EndMigrate(..)))
        );
        assert!(update(&mut s, key(KeyCode::Char('n'))).is_empty());
        assert_eq!(s.migrating.as_deref(), Some("local"), "n lets it run");
        update(&mut s, key(KeyCode::Char('m')));
        assert!(
            matches!(&s.popup, Some(Popup::Confirm(c)) if matches!(c.action, ConfirmAction::EndMigrate(..)))
        );
        assert_eq!(
            update(&mut s, key(KeyCode::Char('y'))),
            vec![Command::MigrateEnd]
        );
    }

    #[test]
    fn declining_the_warning_migrates_nothing() {
        let mut s = state();
        update(&mut s, key(KeyCode::Char('m')));
        update(&mut s, key(KeyCode::Enter));
        update(
            &mut s,
            Action::Migrate(MigrateUpdate::Warned("local".into())),
        );
        assert!(update(&mut s, key(KeyCode::Char('n'))).is_empty());
        assert!(s.migrating.is_none());
        assert_eq!(s.notice.as_ref().unwrap().text, "not migrating local");
    }

    #[test]
    fn quitting_while_a_migrate_runs_waits_for_its_end_or_asks_to_end_it() {
        let mut s = state();
        update(&mut s, key(KeyCode::Char('m')));
        update(&mut s, key(KeyCode::Enter));
        assert_eq!(s.migrating.as_deref(), Some("local"));
        // q asks instead of quitting (which would cut the migration).
        assert!(update(&mut s, key(KeyCode::Char('q'))).is_empty());
        assert!(!s.quit);
        assert!(
            matches!(&s.popup, Some(Popup::Confirm(c)) if c.action == ConfirmAction::QuitMigrating("local".into()))
        );
        // n stays.
        update(&mut s, key(KeyCode::Char('n')));
        assert!(s.popup.is_none() && !s.quit && !s.quit_after_migrate);
        // q, y: quit when it ends — not before.
        update(&mut s, key(KeyCode::Char('q')));
        assert!(update(&mut s, key(KeyCode::Char('y'))).is_empty());
        assert!(s.quit_after_migrate && !s.quit);
        // q again meanwhile: asks to end it now (nothing is ended without the yes).
        assert!(update(&mut s, key(KeyCode::Char('q'))).is_empty());
        assert!(
            matches!(&s.popup, Some(Popup::Confirm(c)) if matches!(c.action, ConfirmAction::EndMigrate(..)))
        );
        assert_eq!(
            update(&mut s, key(KeyCode::Char('y'))),
            vec![Command::MigrateEnd]
        );
        assert!(!s.quit);
        // Its end: devtop quits (no servers of its own run).
        update(
            &mut s,
            Action::Migrate(MigrateUpdate::Done("local".into(), false, "ended".into())),
        );
        assert!(s.quit);
    }
}
