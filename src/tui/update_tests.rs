//! `update()` without a terminal: actions in, state and commands out, on the fixture snapshot.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::model::fixtures;
use crate::model::suspects::SuspectKind;
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
    update(
        &mut s,
        Action::Processes(Arc::new(fixtures::process_snapshot())),
    );
    s
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
    let Some(Popup::ConfirmKill { plan, title }) = &s.popup else {
        panic!("{:?}", s.popup)
    };
    assert_eq!(
        plan.iter().map(|k| k.pid).collect::<Vec<_>>(),
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
    let Some(Popup::ConfirmKill { plan, .. }) = &s.popup else {
        panic!()
    };
    let pids: Vec<u32> = plan.iter().map(|k| k.pid).collect();
    assert!(pids.contains(&26833) && pids.contains(&50257), "{pids:?}");
    assert!(!pids.contains(&48424), "studio is warn-only: {pids:?}");
    assert!(!pids.contains(&4101), "healthy vite: {pids:?}");
    // The engine child comes before its migrate parent.
    let pos = |p| pids.iter().position(|&x| x == p).unwrap();
    assert!(pos(58230) < pos(58205));
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
    assert_eq!(s.status.as_deref(), Some("no suspects to kill"));
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
    assert_eq!(s.popup, Some(Popup::Help));
}

#[test]
fn kill_results_become_log_lines_and_a_refresh() {
    let mut s = state();
    s.killing = 1;
    let plan = crate::model::kill_plan::for_pids(&s.procs, &[50257]);
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
    update(&mut s, Action::Terminate);
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
    assert_eq!(s.status.as_deref(), Some("PID 4201 is gone"));
}
