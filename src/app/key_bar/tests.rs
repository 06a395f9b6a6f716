//! The key bar: what each screen and mode advertises, from the keys in effect, fitted whole.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::app::keymap::BINDINGS;
use crate::app::state::Popup;
use crate::app::update::{Action, update};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;

fn state() -> AppState {
    crate::app::state::fixture_state()
}

fn with_servers(mut s: AppState) -> AppState {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devtop.toml");
    std::fs::write(
        &path,
        "[[server]]\nname = \"api\"\ncmd = [\"true\"]\nport = 3010\n",
    )
    .unwrap();
    let specs = crate::config::Config::load(Some(&path), dir.path())
        .unwrap()
        .servers;
    s.servers = crate::app::servers::Servers::new(&specs, 100);
    s
}

fn press(s: &mut AppState, c: KeyCode) {
    update(s, Action::Key(KeyEvent::new(c, KeyModifiers::NONE)));
}

/// The bar as the bottom line shows it, `columns` wide.
fn line(s: &AppState, columns: u16) -> String {
    bar(s, columns)
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join("  ")
}

#[test]
fn processes_bar_is_htops_at_80_columns_and_grows_at_120() {
    let s = state();
    assert_eq!(
        line(&s, 80),
        "F1 Help  F3 Search  F4 Filter  F5 Tree  F6 Sort  F9 Kill  K Suspects  F10 Quit"
    );
    assert_eq!(
        line(&s, 120),
        "F1 Help  F3 Search  F4 Filter  F5 Tree  F6 Sort  F9 Kill  K Suspects  z Pause  \
         Enter Details  F10 Quit"
    );
}

#[test]
fn every_screen_advertises_only_keys_that_act_there() {
    for (view, entries) in SCREENS {
        for en in *entries {
            assert!(
                acts_on(en.intent, *view),
                "{view:?} advertises {:?}, which does not act there",
                en.intent
            );
            for intent in std::iter::once(en.intent).chain(en.pair) {
                assert!(
                    BINDINGS
                        .iter()
                        .any(|b| b.context == Context::Main && b.intent == intent),
                    "{intent:?} has no key on the main screen"
                );
            }
        }
    }
    let mut s = with_servers(state());
    for (key, view) in [
        ('2', View::Databases),
        ('3', View::Servers),
        ('4', View::Preflight),
    ] {
        press(&mut s, KeyCode::Char(key));
        assert_eq!(s.view, view);
        let text = line(&s, 200);
        for processes_only in ["F3 ", "F4 ", "F5 ", "F6 ", "F9 "] {
            assert!(!text.contains(processes_only), "{view:?}: {text}");
        }
        assert!(
            text.starts_with("F1 Help") && text.ends_with("F10 Quit"),
            "{text}"
        );
    }
}

#[test]
fn each_screen_has_its_own_bar() {
    let mut s = with_servers(state());
    press(&mut s, KeyCode::Char('2'));
    assert_eq!(
        line(&s, 80),
        "F1 Help  m Migrate  p Preflight  ↑↓ Scroll  Tab Pane  f Logs  F10 Quit"
    );
    press(&mut s, KeyCode::Char('3'));
    assert_eq!(
        line(&s, 80),
        "F1 Help  u Start all  d Stop all  r Restart  Enter Log  f Logs  F10 Quit"
    );
    // No server configured: the server keys (and the Logs source) have nothing to act on.
    s.servers = crate::app::servers::Servers::new(&[], 100);
    assert_eq!(line(&s, 80), "F1 Help  Tab Pane  F10 Quit");
    s.view = View::Databases;
    assert!(!line(&s, 80).contains("f Logs"), "{}", line(&s, 80));
    s.view = View::Preflight;
    // Check 1 names nothing to end: no K.
    let text = line(&s, 80);
    assert!(
        text.contains("p Run again") && !text.contains("K "),
        "{text}"
    );
}

#[test]
fn modes_come_from_their_contexts() {
    let mut s = state();
    press(&mut s, KeyCode::F(3));
    assert_eq!(line(&s, 80), "F3 Next  Enter Keep  Esc Clear");
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Char('/'));
    assert_eq!(line(&s, 80), "Enter Keep  Esc Clear");
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Char('x'));
    assert!(matches!(s.popup, Some(Popup::Confirm(_))));
    assert_eq!(line(&s, 80), "y Kill  Esc Cancel");
    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::F(1));
    // The help is taller than 80x24: it scrolls with the main screen's keys.
    assert_eq!(line(&s, 80), "↑↓ Scroll  Esc Close");
    press(&mut s, KeyCode::Esc);
    s.screen = ratatui::layout::Rect::new(0, 0, 200, 60);
    press(&mut s, KeyCode::F(1));
    assert_eq!(line(&s, 200), "Esc Close", "all of it fits at 200x60");
}

#[test]
fn a_rebound_key_shows_rebound_and_an_unbound_one_not_at_all() {
    let over = |pairs: &[(&str, &[&str])]| -> Vec<(String, Vec<String>)> {
        pairs
            .iter()
            .map(|(a, ks)| (a.to_string(), ks.iter().map(|k| k.to_string()).collect()))
            .collect()
    };
    let mut s = state();
    s.keys = Arc::new(
        crate::app::keys::KeyMap::with_overrides(&over(&[
            ("kill", &["D"]),
            ("search", &["S", "F7"]),
            ("quit", &["Q"]),
        ]))
        .unwrap(),
    );
    let text = line(&s, 80);
    assert!(text.contains("D Kill"), "{text}");
    assert!(text.contains("F7 Search"), "{text}");
    assert!(text.ends_with("Q Quit"), "{text}");
    assert!(!text.contains("F9") && !text.contains("F10"), "{text}");
}

#[test]
fn a_narrow_bar_drops_whole_entries_least_important_first() {
    let s = state();
    for columns in [60u16, 70, 80, 100, 120, 200] {
        let shown = bar(&s, columns);
        let text = line(&s, columns);
        assert!(
            text.chars().count() <= usize::from(columns),
            "{columns}: {text}"
        );
        // Whole entries, in table order, always with help and quit.
        let all = labelled(&s.keys, Context::Main, &entries(&s));
        let mut it = all.iter();
        for (k, n) in &shown {
            assert!(
                it.any(|(ak, an, _)| ak == k && an == n),
                "{columns}: {text}"
            );
        }
        assert!(text.starts_with("F1 Help") && text.ends_with("F10 Quit"));
    }
    assert!(line(&s, 70).contains("F9 Kill"), "kill outranks the rest");
}
