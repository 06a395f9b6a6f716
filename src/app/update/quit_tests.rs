//! Ctrl-C goes through the quit action's flow in every key context (the questions included).
#![allow(clippy::unwrap_used)]

use super::*;
use crate::app::confirm::ConfirmAction;
use crossterm::event::KeyModifiers;

fn key(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn state() -> AppState {
    crate::app::state::fixture_state()
}

/// Ctrl-C in every context — typing the search or the filter, choosing or naming what to
/// migrate, a popup, a dialog, the main screen — asks the quit action's questions: servers
/// this devtop started may run (QuitServers), a migrate runs (QuitMigrating).
#[test]
fn ctrl_c_asks_the_quit_questions_in_every_context() {
    use crate::app::migrate::MigratePick;
    let ctrl_c = Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    type Open = fn(&mut AppState);
    let contexts: [(&str, Open); 7] = [
        ("main", |_| {}),
        ("search", |s| {
            update(s, key(KeyCode::F(3)));
            update(s, key(KeyCode::Char('n')));
        }),
        ("filter", |s| {
            update(s, key(KeyCode::Char('/')));
            update(s, key(KeyCode::Char('n')));
        }),
        ("help", |s| {
            update(s, key(KeyCode::Char('?')));
        }),
        ("migrate choice", |s| {
            s.popup = Some(Popup::Migrate(MigratePick {
                envs: vec!["local".into()],
                selected: 0,
                typed: None,
            }));
        }),
        ("migrate name", |s| {
            s.popup = Some(Popup::Migrate(MigratePick {
                envs: vec!["production".into()],
                selected: 0,
                typed: Some("prod".into()),
            }));
        }),
        ("kill dialog", |s| {
            s.selected = Some(58205);
            update(s, key(KeyCode::Char('x')));
        }),
    ];
    let asked = |s: &AppState| match &s.popup {
        Some(Popup::Confirm(c)) => Some(c.action.clone()),
        _ => None,
    };
    for (name, open) in contexts {
        let mut s = state();
        s.servers.busy = Some(crate::app::servers::Busy::Starting);
        open(&mut s);
        update(&mut s, ctrl_c.clone());
        assert!(!s.quit, "{name}: quit without asking");
        assert_eq!(
            asked(&s),
            Some(ConfirmAction::QuitServers(vec![])),
            "{name}"
        );
        assert_eq!(
            context(&s),
            Context::Confirm,
            "{name}: the question takes the keys"
        );

        let mut s = state();
        s.migrating = Some("local".into());
        open(&mut s);
        update(&mut s, ctrl_c.clone());
        assert!(!s.quit, "{name}: quit while migrating");
        assert_eq!(
            asked(&s),
            Some(ConfirmAction::QuitMigrating("local".into())),
            "{name}"
        );

        // Nothing to ask: Ctrl-C quits at once, as q does.
        let mut s = state();
        open(&mut s);
        update(&mut s, ctrl_c.clone());
        assert!(s.quit, "{name}: nothing to ask, quits");
    }
}
