//! UI snapshots of every pane and popup at 80x24 and 160x48 from the fixture snapshot, plus
//! colour checks on the buffer where colour carries meaning (backend snapshots drop colour).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use devtop::model::fixtures;
use devtop::model::snapshot::{MemoryView, ProcessSnapshot};
use devtop::tui::state::AppState;
use devtop::tui::update::{Action, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use std::sync::Arc;
use std::time::Duration;
use tui_logger::TuiWidgetState;

fn app(mem: MemoryView) -> AppState {
    let mut s = AppState::new(
        Arc::new(ProcessSnapshot::empty(
            devtop::model::tree::Scope::Project,
            fixtures::ROOT.into(),
        )),
        Arc::new(mem),
        Duration::from_secs(3),
    );
    update(
        &mut s,
        Action::Processes(Arc::new(fixtures::process_snapshot())),
    );
    s
}

fn keys(s: &mut AppState, keys: &[KeyCode]) {
    for &k in keys {
        update(s, Action::Key(KeyEvent::new(k, KeyModifiers::NONE)));
    }
}

fn draw(s: &AppState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    let logs = TuiWidgetState::new();
    t.draw(|f| devtop::ui::render(f, s, &logs)).expect("draw");
    t
}

fn text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn snap(name: &str, s: &AppState) {
    for (w, h) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&draw(s, w, h)));
    }
}

#[test]
fn main_screen() {
    snap("main", &app(fixtures::memory(6.0, 0.0, 0.0)));
}

#[test]
fn main_screen_flat_sorted_by_rss() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    keys(&mut s, &[KeyCode::Char('t'), KeyCode::Char('M')]);
    snap("flat_rss", &s);
}

#[test]
fn memory_critical() {
    snap("memory_critical", &app(fixtures::memory(0.4, 22.0, 12.5)));
}

#[test]
fn help_popup() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    keys(&mut s, &[KeyCode::Char('?')]);
    snap("help", &s);
}

#[test]
fn details_popup() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    s.selected = Some(26833);
    keys(&mut s, &[KeyCode::Enter]);
    snap("details", &s);
}

#[test]
fn confirm_kill_suspects() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    keys(&mut s, &[KeyCode::Char('K')]);
    snap("confirm_suspects", &s);
}

#[test]
fn filter_prompt() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    keys(
        &mut s,
        &[KeyCode::Char('/'), KeyCode::Char('v'), KeyCode::Char('i')],
    );
    snap("filter", &s);
}

#[test]
fn too_small() {
    let s = app(fixtures::memory(6.0, 0.0, 0.0));
    insta::assert_snapshot!("too_small", text(&draw(&s, 50, 12)));
}

/// Foreground colour of the first cell whose symbol starts `needle` on the screen.
fn color_of(buf: &Buffer, needle: &str) -> Option<Color> {
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        if let Some(col) = line.find(needle) {
            let x = line[..col].chars().count() as u16;
            return Some(buf[(x, y)].fg);
        }
    }
    None
}

#[test]
fn memory_level_colours() {
    for (mem, word, color) in [
        (fixtures::memory(6.0, 0.0, 0.0), "ok ", Color::Green),
        (fixtures::memory(0.8, 0.0, 0.0), "WARN", Color::Yellow),
        (fixtures::memory(6.0, 12.0, 0.0), "WARN", Color::Yellow),
        (fixtures::memory(0.3, 0.0, 0.0), "CRITICAL", Color::Red),
        (fixtures::memory(6.0, 30.0, 11.0), "CRITICAL", Color::Red),
    ] {
        let t = draw(&app(mem), 160, 48);
        assert_eq!(color_of(t.backend().buffer(), word), Some(color), "{word}");
    }
}

#[test]
fn suspect_rows_are_coloured_by_severity() {
    let s = app(fixtures::memory(6.0, 0.0, 0.0));
    let t = draw(&s, 160, 48);
    let buf = t.backend().buffer();
    // Runaway engine and hung migrate: red; Studio under policy warn: yellow; context: dim.
    assert_eq!(color_of(buf, "  26833"), Some(Color::Red));
    assert_eq!(color_of(buf, "  50257"), Some(Color::Red));
    assert_eq!(color_of(buf, "  48424"), Some(Color::Yellow));
    assert_eq!(color_of(buf, "   4100"), Some(Color::DarkGray));
    assert_eq!(color_of(buf, "   4101"), Some(Color::Reset));
}

#[test]
fn memory_focused_takes_the_lower_row() {
    let mut s = app(fixtures::memory(0.8, 12.0, 0.0));
    keys(&mut s, &[KeyCode::Tab]);
    snap("memory_focused", &s);
}

fn with_databases(mut s: AppState) -> AppState {
    let (dbs, local, project) = fixtures::databases();
    s.prisma = Arc::new(project);
    update(&mut s, Action::LocalMigrations(Arc::new(local)));
    update(&mut s, Action::Databases(Arc::new(dbs)));
    s
}

#[test]
fn databases_screen() {
    let mut s = with_databases(app(fixtures::memory(6.0, 0.0, 0.0)));
    keys(&mut s, &[KeyCode::Char('2')]);
    snap("databases", &s);
}

#[test]
fn database_colours() {
    let mut s = with_databases(app(fixtures::memory(6.0, 0.0, 0.0)));
    keys(&mut s, &[KeyCode::Char('2')]);
    let t = draw(&s, 160, 48);
    let buf = t.backend().buffer();
    assert_eq!(color_of(buf, "up "), Some(Color::Green));
    assert_eq!(color_of(buf, "timed out"), Some(Color::Red));
    assert_eq!(color_of(buf, "✗ failed"), Some(Color::Red));
    assert_eq!(color_of(buf, "· pending"), Some(Color::Yellow));
    assert_eq!(color_of(buf, "✓ applied"), Some(Color::Green));
    assert_eq!(
        color_of(buf, "production: blocked by failed"),
        Some(Color::Red)
    );
}
