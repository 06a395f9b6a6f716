//! The mouse mapping on the fixture screen: (layout, event) → intent, and through `update`
//! against a drawn frame (the row clicked is the row selected, and the list does not move).
#![allow(clippy::unwrap_used)]

use super::*;
use crate::app::confirm::Confirm;
use crate::app::update::{Action, update};
use crate::model::fixtures;
use crate::model::snapshot::ProcessSnapshot;
use crate::model::tree::Scope;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::Duration;

fn state(snap: ProcessSnapshot) -> AppState {
    let mut s = AppState::new(
        Arc::new(ProcessSnapshot::empty(Scope::Project, "/x".into())),
        Arc::new(fixtures::memory(6.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    s.mouse = true;
    update(&mut s, Action::Resize(80, 24));
    update(&mut s, Action::Processes(Arc::new(snap)));
    s
}

fn ev(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
    MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

fn click(x: u16, y: u16) -> MouseEvent {
    ev(MouseEventKind::Down(MouseButton::Left), x, y)
}

fn key(s: &mut AppState, c: KeyCode) {
    update(s, Action::Key(KeyEvent::new(c, KeyModifiers::NONE)));
}

/// The screen text of `s` at its size, one string per row.
fn screen(s: &AppState) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(s.screen.width, s.screen.height)).unwrap();
    let logs = tui_logger::TuiWidgetState::new();
    t.draw(|f| crate::ui::render(f, s, &logs)).unwrap();
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect()
        })
        .collect()
}

/// The PID drawn on screen row `y` of the process list (column 2 onwards holds it).
fn pid_on_row(lines: &[String], y: u16) -> Option<u32> {
    let line: String = lines[usize::from(y)].chars().skip(2).take(8).collect();
    line.trim().parse().ok()
}

#[test]
fn clicks_map_to_rows_and_panes_at_80x24() {
    let s = state(fixtures::process_snapshot());
    let a = crate::ui::areas(s.screen, s.focus);
    // 80x24: title on row 0, the process pane's border on 1, column header on 2, rows from 3.
    assert_eq!(a.processes.y, 1);
    assert_eq!(resolve(&s, click(10, 3)), Some(MouseIntent::SelectRow(0)));
    assert_eq!(resolve(&s, click(70, 5)), Some(MouseIntent::SelectRow(2)));
    assert_eq!(
        resolve(&s, click(10, 2)),
        Some(MouseIntent::Focus(Focus::Processes)),
        "the column header selects nothing"
    );
    let bottom = a.processes.y + a.processes.height - 1;
    assert_eq!(
        resolve(&s, click(10, bottom)),
        Some(MouseIntent::Focus(Focus::Processes))
    );
    assert_eq!(
        resolve(&s, click(a.memory.x + 2, a.memory.y + 2)),
        Some(MouseIntent::Focus(Focus::Memory))
    );
    assert_eq!(
        resolve(&s, click(a.logs.x + 2, a.logs.y + 2)),
        Some(MouseIntent::Focus(Focus::Logs))
    );
    assert_eq!(resolve(&s, click(5, 0)), None, "the title line");
    assert_eq!(resolve(&s, click(5, 23)), None, "the key bar");
    let release = ev(MouseEventKind::Up(MouseButton::Left), 10, 3);
    assert_eq!(resolve(&s, release), None);
}

#[test]
fn the_wheel_scrolls_the_list_under_the_pointer() {
    let s = state(fixtures::process_snapshot());
    let a = crate::ui::areas(s.screen, s.focus);
    let down = |x, y| ev(MouseEventKind::ScrollDown, x, y);
    let up = |x, y| ev(MouseEventKind::ScrollUp, x, y);
    assert_eq!(
        resolve(&s, down(10, 5)),
        Some(MouseIntent::Scroll(
            Target::Pane(Focus::Processes),
            WHEEL_LINES
        ))
    );
    assert_eq!(
        resolve(&s, up(a.logs.x + 1, a.logs.y + 1)),
        Some(MouseIntent::Scroll(Target::Pane(Focus::Logs), -WHEEL_LINES))
    );
    assert_eq!(resolve(&s, down(a.memory.x + 1, a.memory.y + 1)), None);
    // Screen 2: the migrations matrix and the health table scroll under the pointer.
    let mut s = s;
    let (dbs, local, project) = fixtures::databases();
    s.prisma = Arc::new(project);
    update(&mut s, Action::LocalMigrations(Arc::new(local)));
    update(&mut s, Action::Databases(Arc::new(dbs)));
    key(&mut s, KeyCode::Char('2'));
    let d = crate::ui::database_areas(s.screen, &s);
    assert_eq!(
        resolve(&s, down(d.migrations.x + 3, d.migrations.y + 2)),
        Some(MouseIntent::Scroll(
            Target::Pane(Focus::Migrations),
            WHEEL_LINES
        ))
    );
    assert_eq!(
        resolve(&s, down(d.health.x + 3, d.health.y + 1)),
        Some(MouseIntent::Scroll(
            Target::Pane(Focus::Health),
            WHEEL_LINES
        ))
    );
    // Every environment fits: the health table has nothing to scroll.
    update(&mut s, Action::Mouse(down(d.health.x + 3, d.health.y + 1)));
    assert_eq!(s.health_offset, 0);
    assert_eq!(
        resolve(&s, click(d.migrations.x + 3, d.migrations.y + 2)),
        Some(MouseIntent::Focus(Focus::Migrations))
    );
    update(
        &mut s,
        Action::Mouse(down(d.migrations.x + 3, d.migrations.y + 2)),
    );
    assert_eq!(s.matrix_offset, 3.min(s.matrix.len() - 1));
}

#[test]
fn popups_take_the_mouse() {
    let mut s = state(fixtures::crowded_snapshot());
    s.protected.euid = Some(1000);
    s.selected = Some(4101);
    key(&mut s, KeyCode::Char('x'));
    // Modal: the wheel scrolls the dialog wherever the pointer is; a click does nothing (it
    // never confirms a kill).
    assert_eq!(
        resolve(&s, ev(MouseEventKind::ScrollDown, 1, 1)),
        Some(MouseIntent::Scroll(Target::KillDialog, WHEEL_LINES))
    );
    assert_eq!(resolve(&s, click(40, 20)), None);
    update(
        &mut s,
        Action::Mouse(ev(MouseEventKind::ScrollDown, 40, 10)),
    );
    assert!(matches!(
        s.popup,
        Some(Popup::Confirm(Confirm { scroll: 3, .. }))
    ));
    assert!(update(&mut s, Action::Mouse(click(40, 21))).is_empty());
    assert!(s.popup.is_some(), "a click neither confirms nor closes");
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Char('?'));
    assert_eq!(resolve(&s, click(10, 3)), None);
    // The wheel scrolls the help wherever the pointer is.
    assert_eq!(
        resolve(&s, ev(MouseEventKind::ScrollDown, 10, 3)),
        Some(MouseIntent::Scroll(Target::Help, WHEEL_LINES))
    );
    update(&mut s, Action::Mouse(ev(MouseEventKind::ScrollDown, 10, 3)));
    assert_eq!(s.popup, Some(Popup::Help { scroll: 3 }));
    key(&mut s, KeyCode::Char('d'));
    assert_eq!(
        s.popup,
        Some(Popup::Help { scroll: 3 }),
        "other keys do nothing"
    );
    key(&mut s, KeyCode::Esc);
    key(&mut s, KeyCode::Char('?'));
    assert_eq!(s.popup, Some(Popup::Help { scroll: 0 }), "opens at the top");
}

/// Through `update` on a drawn frame: the PID on the clicked row becomes the selection, the
/// list does not move under the pointer, and the wheel moves the selection.
#[test]
fn a_click_selects_the_row_under_the_pointer() {
    let mut s = state(fixtures::crowded_snapshot());
    key(&mut s, KeyCode::End); // scrolled: the first row shown is not the first row
    let before = screen(&s);
    let y = 5;
    let want = pid_on_row(&before, y).unwrap();
    update(&mut s, Action::Mouse(click(30, y)));
    assert_eq!(s.selected, Some(want));
    let after = screen(&s);
    assert_eq!(pid_on_row(&after, y), Some(want), "the list stayed put");
    assert_eq!(before[3..12], after[3..12], "same rows on screen");
    // The wheel moves the selection by WHEEL_LINES rows.
    let rows = s.rows();
    let at = s.selected_index(&rows).unwrap();
    update(&mut s, Action::Mouse(ev(MouseEventKind::ScrollUp, 30, y)));
    assert_eq!(s.selected_index(&s.rows()), Some(at - 3));
    // A click on the Memory pane focuses it.
    let a = crate::ui::areas(s.screen, s.focus);
    update(&mut s, Action::Mouse(click(a.memory.x + 2, a.memory.y + 1)));
    assert_eq!(s.focus, Focus::Memory);
}

/// `--no-mouse` / `mouse = false`: mouse events (a terminal may still send some) change
/// nothing; below the minimum size neither.
#[test]
fn mouse_off_or_too_small_does_nothing() {
    let mut s = state(fixtures::process_snapshot());
    s.mouse = false;
    let sel = s.selected;
    update(&mut s, Action::Mouse(click(10, 6)));
    assert_eq!(s.selected, sel);
    s.mouse = true;
    update(&mut s, Action::Resize(50, 12));
    update(&mut s, Action::Mouse(click(10, 6)));
    assert_eq!(s.selected, sel);
}
