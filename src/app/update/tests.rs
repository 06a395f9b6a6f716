//! `update()` without a terminal: actions in, state and commands out, on the fixture snapshot.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::app::confirm::{Confirm, ConfirmAction};
use crate::app::state::{Focus, View};
use crate::model::fixtures;
use crate::model::suspects::SuspectKind;
use crate::model::tree::SortKey;
use crossterm::event::KeyModifiers;
use std::time::Duration;

fn key(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn state() -> AppState {
    crate::app::state::fixture_state()
}

/// The open kill dialog's title and plan (panics without one).
fn kill_dialog(s: &AppState) -> (&str, &crate::model::kill_plan::KillPlan) {
    match &s.popup {
        Some(Popup::Confirm(Confirm {
            title,
            action: ConfirmAction::Kill(plan),
            ..
        })) => (title, plan),
        other => panic!("{other:?}"),
    }
}

fn select(s: &mut AppState, pid: u32) {
    s.selected = Some(pid);
}

#[test]
fn first_snapshot_selects_first_row_and_moves() {
    let mut s = state();
    let rows = s.rows();
    let first = s.procs.processes[rows[0].index].pid;
    assert_eq!(s.selected, Some(first));
    update(&mut s, key(KeyCode::Down));
    assert_eq!(s.selected_index(&s.rows()), Some(1));
    update(&mut s, key(KeyCode::End));
    assert_eq!(s.selected_index(&s.rows()), Some(rows.len() - 1));
    update(&mut s, key(KeyCode::Down));
    assert_eq!(s.selected_index(&s.rows()), Some(rows.len() - 1));
    update(&mut s, key(KeyCode::Char('g')));
    assert_eq!(s.selected_index(&s.rows()), Some(0));
}

#[test]
fn kill_selected_lists_descendants_and_needs_confirmation() {
    let mut s = state();
    select(&mut s, 58205); // migrate with its schema-engine child
    assert!(update(&mut s, key(KeyCode::Char('x'))).is_empty());
    let (title, plan) = kill_dialog(&s);
    assert_eq!(
        plan.kills.iter().map(|k| k.pid).collect::<Vec<_>>(),
        vec![58230, 58205]
    );
    assert!(title.contains("1 descendant"), "{title}");
    // Keys outside the dialog's table do nothing.
    assert!(update(&mut s, key(KeyCode::Char('x'))).is_empty());
    assert!(s.popup.is_some());
    let cmds = update(&mut s, key(KeyCode::Char('y')));
    assert!(matches!(cmds.as_slice(), [Command::Kill(p)] if p.len() == 2));
    assert!(s.popup.is_none());
    assert_eq!(s.killing, 1);
}

#[test]
fn cancel_closes_without_commands() {
    let mut s = state();
    update(&mut s, key(KeyCode::Char('x')));
    assert!(update(&mut s, key(KeyCode::Esc)).is_empty());
    assert!(s.popup.is_none());
}

#[test]
fn kill_suspects_skips_warn_only_studio() {
    let mut s = state();
    update(&mut s, key(KeyCode::Char('K')));
    let Some(Popup::Confirm(Confirm {
        action: ConfirmAction::Kill(plan),
        ..
    })) = &s.popup
    else {
        panic!()
    };
    let pids: Vec<u32> = plan.kills.iter().map(|k| k.pid).collect();
    assert!(pids.contains(&26833) && pids.contains(&50257), "{pids:?}");
    assert!(!pids.contains(&48424), "studio is warn-only: {pids:?}");
    assert!(!pids.contains(&4101), "healthy vite: {pids:?}");
    // The newest of two concurrent migrate runs is warn-only: K ends the older (hung) one.
    assert!(!pids.contains(&58205), "newest concurrent run: {pids:?}");
    assert_eq!(s.procs.suspect_of(48424).unwrap().kind, SuspectKind::Studio);
}

#[test]
fn kill_suspects_with_none_says_so() {
    let mut s = AppState::new(
        Arc::new(ProcessSnapshot::empty(Scope::User, "/x".into())),
        Arc::new(fixtures::memory(6.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    assert!(update(&mut s, key(KeyCode::Char('K'))).is_empty());
    assert!(s.popup.is_none());
    assert_eq!(s.notice_text(), Some("no suspects to kill"));
}

#[test]
fn scope_toggle_commands_the_collector() {
    let mut s = state();
    assert_eq!(s.scope, Scope::Project);
    assert_eq!(
        update(&mut s, key(KeyCode::Char('s'))),
        vec![Command::SetScope(Scope::User)]
    );
}

#[test]
fn filter_narrows_and_escape_clears() {
    let mut s = state();
    let all = s.rows().len();
    update(&mut s, key(KeyCode::Char('/')));
    for c in "studio".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    // Tree mode keeps the chain to a match; the studio has no shown parent, so one row.
    assert_eq!(s.rows().len(), 1);
    assert_eq!(s.selected, Some(48424));
    update(&mut s, key(KeyCode::Enter));
    assert!(!s.filter_editing);
    update(&mut s, key(KeyCode::Esc));
    assert_eq!(s.rows().len(), all);
}

#[test]
fn sort_tree_focus_and_log_scroll() {
    let mut s = state();
    update(&mut s, key(KeyCode::Char('M')));
    assert_eq!(s.sort, SortKey::Rss);
    update(&mut s, key(KeyCode::Char('t')));
    assert!(!s.tree);
    let flat = s.rows();
    assert_eq!(
        s.procs.processes[flat[0].index].pid, 26833,
        "largest RSS first"
    );
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(s.focus, Focus::Logs);
    assert_eq!(
        update(&mut s, key(KeyCode::Up)),
        vec![Command::LogScroll(LogScroll::Up)]
    );
}

#[test]
fn details_and_help_popups() {
    let mut s = state();
    select(&mut s, 4201);
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.popup, Some(Popup::Details(4201)));
    update(&mut s, key(KeyCode::Char('q')));
    assert!(s.popup.is_none());
    assert!(!s.quit, "q closes the popup, it does not quit");
    update(&mut s, key(KeyCode::Char('?')));
    assert_eq!(s.popup, Some(Popup::Help { scroll: 0 }));
}

#[test]
fn kill_results_become_log_lines_and_a_refresh() {
    let mut s = state();
    s.killing = 1;
    let plan = crate::model::kill_plan::for_pids(&s.procs, &s.protected, &[50257]).kills;
    let cmds = update(
        &mut s,
        Action::KillDone(plan, vec![(50257, KillOutcome::Killed { after_secs: 3.0 })]),
    );
    assert_eq!(s.killing, 0);
    assert!(
        matches!(&cmds[0], Command::Log(log::Level::Info, m) if m.contains("PID 50257 (prisma-migrate node): killed (SIGKILL after 3.0 s)"))
    );
    assert_eq!(cmds.last(), Some(&Command::Refresh));
}

#[test]
fn quit_paths() {
    let mut s = state();
    update(&mut s, key(KeyCode::Char('/')));
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(s.quit);
    let mut s = state();
    update(&mut s, Action::Terminate(15));
    assert!(s.quit);
}

#[test]
fn selection_survives_refresh_and_follows_disappearance() {
    let mut s = state();
    select(&mut s, 4201);
    update(
        &mut s,
        Action::Processes(Arc::new(fixtures::process_snapshot())),
    );
    assert_eq!(s.selected, Some(4201));
    let mut snap = fixtures::process_snapshot();
    snap.processes.retain(|p| p.pid != 4201);
    s.popup = Some(Popup::Details(4201));
    update(&mut s, Action::Processes(Arc::new(snap)));
    assert_ne!(s.selected, Some(4201));
    assert!(s.popup.is_none());
    assert_eq!(s.notice_text(), Some("PID 4201 is gone"));
}

/// devtop running in a terminal whose shell is the fixture's `npm run dev` (4100), as when `x`
/// is pressed on the row of the tmux server or shell devtop runs under.
fn inside_4100(s: &mut AppState) {
    s.protected = crate::model::refusal::Protected {
        me: 9999,
        euid: Some(1000),
        ancestors: vec![4100, 4000],
    };
}

#[test]
fn kill_on_an_ancestor_row_lists_no_targets_and_says_why() {
    let mut s = state();
    inside_4100(&mut s);
    select(&mut s, 4100);
    assert!(update(&mut s, key(KeyCode::Char('x'))).is_empty());
    let (title, plan) = kill_dialog(&s);
    assert!(plan.kills.is_empty(), "{plan:?}");
    assert_eq!(title, "PID 4100 cannot be killed");
    let roots: Vec<_> = plan.refused_roots().map(|r| r.pid).collect();
    assert_eq!(roots, vec![4100]);
    assert_eq!(plan.refused.len(), 3, "4100 and the two below it");
    // Confirming signals nothing; each refused PID gets one log line with its reason.
    let cmds = update(&mut s, key(KeyCode::Enter));
    assert!(s.popup.is_none());
    assert_eq!(s.killing, 0);
    assert!(
        !cmds.iter().any(|c| matches!(c, Command::Kill(_))),
        "{cmds:?}"
    );
    assert_eq!(cmds.len(), 3, "{cmds:?}");
    assert!(
        matches!(&cmds[0], Command::Log(log::Level::Warn, m) if m.starts_with("PID 4100 (") && m.contains("refused: that is an ancestor of devtop")),
        "{cmds:?}"
    );
    assert!(
        matches!(&cmds[1], Command::Log(_, m) if m.contains("refused: below PID 4100")),
        "{cmds:?}"
    );
}

#[test]
fn a_kill_with_a_refused_part_signals_only_the_rest() {
    let mut s = state();
    let mut snap = fixtures::process_snapshot();
    let i = snap.processes.iter().position(|p| p.pid == 58230).unwrap();
    snap.processes[i].uid = Some(0);
    update(&mut s, Action::Processes(Arc::new(snap)));
    s.protected.euid = Some(1000);
    select(&mut s, 58205);
    update(&mut s, key(KeyCode::Char('x')));
    let cmds = update(&mut s, key(KeyCode::Char('y')));
    assert_eq!(cmds.len(), 2, "{cmds:?}");
    assert!(
        matches!(&cmds[0], Command::Log(log::Level::Warn, m) if m.contains("PID 58230") && m.contains("another user")),
        "{cmds:?}"
    );
    assert!(
        matches!(&cmds[1], Command::Kill(p) if p.iter().map(|k| k.pid).collect::<Vec<_>>() == vec![58205]),
        "{cmds:?}"
    );
}

#[test]
fn below_the_minimum_size_only_quit_acts() {
    let mut s = state();
    update(&mut s, Action::Resize(59, 16));
    for k in [
        KeyCode::Char('K'),
        KeyCode::Char('y'),
        KeyCode::Char('x'),
        KeyCode::Enter,
        KeyCode::Char('2'),
        KeyCode::Char('?'),
    ] {
        assert!(update(&mut s, key(k)).is_empty(), "{k:?}");
        assert_eq!(s.popup, None, "{k:?} opened a popup nobody sees");
    }
    assert_eq!(s.view, View::Processes);
    update(&mut s, key(KeyCode::Char('q')));
    assert!(s.quit);
    let mut s = state();
    update(&mut s, Action::Resize(80, 10));
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    );
    assert!(s.quit, "Ctrl-C quits below the minimum size too");
    let mut s = state();
    update(&mut s, Action::Resize(60, 16));
    update(&mut s, key(KeyCode::Char('K')));
    assert!(s.popup.is_some(), "at the minimum size keys act");
}

#[test]
fn kill_and_details_act_only_on_the_process_screen() {
    let mut s = state();
    select(&mut s, 58205);
    update(&mut s, key(KeyCode::Char('2')));
    assert!(update(&mut s, key(KeyCode::Char('x'))).is_empty());
    assert_eq!(s.popup, None, "no dialog for the hidden screen-1 selection");
    update(&mut s, key(KeyCode::Enter));
    assert_eq!(s.popup, None);
    assert!(s.notice_text().is_some_and(|m| m.contains("press 1")));
    update(&mut s, key(KeyCode::Char('1')));
    update(&mut s, key(KeyCode::Char('x')));
    assert!(matches!(s.popup, Some(Popup::Confirm(_))));
}

#[test]
fn list_keys_on_another_screen_say_where_they_act() {
    let mut s = state();
    let (sort, tree) = (s.sort, s.tree);
    for (screen, view) in [
        ('2', View::Databases),
        ('3', View::Servers),
        ('4', View::Preflight),
    ] {
        update(&mut s, key(KeyCode::Char(screen)));
        assert_eq!(s.view, view);
        for (code, shown) in [
            (KeyCode::F(3), "F3"),
            (KeyCode::Char('/'), "/"),
            (KeyCode::Char('o'), "o"),
            (KeyCode::Char('t'), "t"),
            (KeyCode::Char('P'), "P"),
        ] {
            s.notice = None;
            assert!(update(&mut s, key(code)).is_empty());
            assert!(!s.search_editing && !s.filter_editing, "{view:?} {code:?}");
            assert_eq!((s.sort, s.tree), (sort, tree), "{view:?} {code:?}");
            assert_eq!(
                s.notice_text(),
                Some(format!("{shown} acts on the process list: press 1 first").as_str())
            );
        }
    }
    update(&mut s, key(KeyCode::Char('1')));
    update(&mut s, key(KeyCode::Char('/')));
    assert!(s.filter_editing, "on screen 1 it acts");
}

#[test]
fn clock_is_the_latest_snapshot_time() {
    let mut s = state();
    let procs_at = s.procs.taken_at;
    assert_eq!(s.clock(), procs_at);
    let mut dbs = crate::model::database::DbSnapshot::default();
    let (fixture_dbs, _, _) = fixtures::databases();
    dbs.envs = fixture_dbs.envs;
    let later = procs_at + Duration::from_secs(3);
    dbs.envs[0].last_success = Some(later);
    update(&mut s, Action::Databases(Arc::new(dbs)));
    assert_eq!(s.clock(), later);
    // A probe that finished after the process pass is "now", never "never".
    assert_eq!(crate::ui::health::since(Some(later), procs_at), "now");
    assert_eq!(crate::ui::health::since(None, later), "never");
    assert_eq!(
        crate::ui::health::since(Some(procs_at), later + Duration::from_secs(60)),
        "1m 3s ago"
    );
}

#[test]
fn pause_freezes_the_list_until_resumed() {
    let mut s = state();
    let before = s.procs.clone();
    update(&mut s, key(KeyCode::Char('z')));
    assert!(s.paused);
    let newer = Arc::new(fixtures::process_snapshot());
    update(&mut s, Action::Processes(newer.clone()));
    assert!(Arc::ptr_eq(&s.procs, &before), "paused: the list stays");
    update(&mut s, key(KeyCode::Char('z')));
    assert!(!s.paused);
    assert!(
        Arc::ptr_eq(&s.procs, &newer),
        "resumed: the held snapshot shows"
    );
}

#[test]
fn plus_and_minus_step_the_refresh() {
    let mut s = state();
    s.refresh = Duration::from_secs(1);
    assert_eq!(
        update(&mut s, key(KeyCode::Char('+'))),
        vec![Command::SetRefresh(Duration::from_millis(500))]
    );
    update(&mut s, key(KeyCode::Char('+')));
    assert_eq!(s.refresh, Duration::from_millis(250));
    assert!(
        update(&mut s, key(KeyCode::Char('+'))).is_empty(),
        "fastest"
    );
    for _ in 0..20 {
        update(&mut s, key(KeyCode::Char('-')));
    }
    assert_eq!(s.refresh, Duration::from_secs(30));
    s.refresh = Duration::from_millis(1500);
    assert_eq!(step_refresh(s.refresh, false), Duration::from_secs(2));
    assert_eq!(step_refresh(s.refresh, true), Duration::from_secs(1));
    assert_eq!(format_interval(Duration::from_millis(1500)), "1.5s");
}

/// A kill dialog taller than the terminal scrolls: ↓/PgDn reach the last line and stop there,
/// ↑/PgUp come back and stop at the top; the plan `y` signals is the whole plan.
#[test]
fn a_long_kill_dialog_scrolls_within_its_list() {
    let mut s = state();
    update(&mut s, Action::Resize(80, 24));
    update(
        &mut s,
        Action::Processes(Arc::new(fixtures::crowded_snapshot())),
    );
    s.protected.euid = Some(1000);
    select(&mut s, 4101);
    update(&mut s, key(KeyCode::Char('x')));
    let scroll = |s: &AppState| match &s.popup {
        Some(Popup::Confirm(Confirm { scroll, .. })) => *scroll,
        other => panic!("{other:?}"),
    };
    let Some(Popup::Confirm(Confirm {
        action: ConfirmAction::Kill(plan),
        ..
    })) = s.popup.clone()
    else {
        panic!("{:?}", s.popup)
    };
    assert_eq!(plan.kills.len(), 25);
    assert_eq!(plan.refused.len(), 1);
    let layout = crate::ui::kill_dialog::layout_for(s.screen, &plan, s.grace);
    assert!(layout.max_scroll() > 0, "the list does not fit 80x24");
    assert_eq!(scroll(&s), 0);
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Char('j')));
    assert_eq!(scroll(&s), 2);
    update(&mut s, key(KeyCode::PageDown));
    assert_eq!(scroll(&s), (2 + layout.visible()).min(layout.max_scroll()));
    for _ in 0..10 {
        update(&mut s, key(KeyCode::PageDown));
    }
    assert_eq!(scroll(&s), layout.max_scroll(), "stops at the last page");
    update(&mut s, key(KeyCode::Up));
    assert_eq!(scroll(&s), layout.max_scroll() - 1);
    for _ in 0..10 {
        update(&mut s, key(KeyCode::PageUp));
    }
    assert_eq!(scroll(&s), 0, "stops at the top");
    // Scrolling moved nothing behind the dialog, and `y` signals every planned process.
    assert_eq!(s.selected, Some(4101));
    let cmds = update(&mut s, key(KeyCode::Char('y')));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Kill(k) if k.len() == 25)),
        "{cmds:?}"
    );
}

#[test]
fn search_jumps_to_matches_without_hiding_rows() {
    let mut s = state();
    let all = s.rows().len();
    update(&mut s, key(KeyCode::F(3)));
    assert!(s.search_editing);
    for c in "schema-engine".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    // Nothing hidden; the selection is on the first engine in display order.
    assert_eq!(s.rows().len(), all);
    let engines: Vec<u32> = s
        .rows()
        .iter()
        .map(|r| s.procs.processes[r.index].pid)
        .filter(|pid| {
            s.procs
                .get(*pid)
                .is_some_and(|p| p.name.contains("schema-engine"))
        })
        .collect();
    assert!(engines.len() >= 2, "{engines:?}");
    let first = s.selected.unwrap();
    assert!(engines.contains(&first), "{first} not an engine");
    // F3 again: the next engine, then around to the first.
    update(&mut s, key(KeyCode::F(3)));
    let second = s.selected.unwrap();
    assert!(engines.contains(&second) && second != first);
    for _ in 1..engines.len() {
        update(&mut s, key(KeyCode::F(3)));
    }
    assert_eq!(s.selected, Some(first), "wraps around");
    // No match: the selection stays, the status says so; Esc ends the search.
    update(&mut s, key(KeyCode::Char('#')));
    assert_eq!(s.selected, Some(first));
    assert!(
        s.notice_text()
            .is_some_and(|m| m.starts_with("no row matches"))
    );
    update(&mut s, key(KeyCode::Esc));
    assert!(!s.search_editing && s.search.is_empty());
}
