//! UI snapshots of every pane and popup at 80x24 and 160x48 from the fixture snapshot, plus
//! colour checks on the buffer where colour carries meaning (backend snapshots drop colour).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use devtop::app::state::AppState;
use devtop::app::update::{Action, update};
use devtop::model::fixtures;
use devtop::model::snapshot::{MemoryView, ProcessSnapshot};
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

/// The memory guard triggered (MemAvailable 400 MiB, PSI full 12.5 %): the banner with the
/// evidence, the top dev tools and the key; then `E`'s confirmation, largest first.
#[test]
fn guard_banner_and_confirmation() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    update(
        &mut s,
        Action::Memory(Arc::new(fixtures::memory(0.4, 22.0, 12.5))),
    );
    assert!(s.guard.critical());
    snap("guard_banner", &s);
    keys(&mut s, &[KeyCode::Char('E')]);
    snap("guard_confirm", &s);
}

/// `[guard] min_available = "2GiB"` above `[memory]`'s thresholds, 1.5 GiB available: the
/// guard triggers while `[memory]` says ok. The Memory pane follows the guard: CRITICAL, its
/// rule among the reasons, in the critical colour.
#[test]
fn memory_pane_follows_a_stricter_guard() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    s.guard.rules.min_available_bytes = 2 << 30;
    update(
        &mut s,
        Action::Memory(Arc::new(fixtures::memory(1.5, 0.0, 0.0))),
    );
    assert!(s.guard.critical());
    assert_eq!(
        s.memory.assessment.as_ref().map(|a| a.level),
        Some(devtop::model::memory::Level::Ok),
        "[memory] alone says ok"
    );
    snap("memory_guard_stricter", &s);
    let t = draw(&s, 80, 24);
    let screen = text(&t);
    assert!(screen.contains("Memory CRITICAL"), "{screen}");
    assert!(
        screen.contains("! guard MemAvailable 1.5 GiB < 2.0 GiB"),
        "{screen}"
    );
    let buf = t.backend().buffer();
    assert_eq!(color_of(buf, "! guard "), Some(Color::Red));
    // The title's word (the banner above says CRITICAL too, in its own colours).
    let (y, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("┌ Memory CRITICAL"))
        .expect("the Memory pane's title");
    let x = line[..line.find("CRITICAL").unwrap_or(0)].chars().count();
    assert_eq!(buf[(x as u16, y as u16)].fg, Color::Red);
}

/// The help at each size the terminal says it has (the key bar offers scrolling only when
/// the help does not fit).
#[test]
fn help_popup() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    keys(&mut s, &[KeyCode::Char('?')]);
    for (w, h) in [(80, 24), (160, 48)] {
        update(&mut s, Action::Resize(w, h));
        insta::assert_snapshot!(format!("help_{w}x{h}"), text(&draw(&s, w, h)));
    }
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

/// `x` on the row of the shell devtop runs under: nothing to signal, and why.
#[test]
fn confirm_kill_refused() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    s.protected = devtop::model::refusal::Protected {
        me: 9999,
        euid: Some(1000),
        ancestors: vec![4100, 4000],
    };
    s.selected = Some(4100);
    keys(&mut s, &[KeyCode::Char('x')]);
    snap("confirm_refused", &s);
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

/// 30 database environments at 80x24: the Databases table (focused on screen 2) says which
/// rows it shows, the movement keys scroll it to the last environment and back, and what is
/// left of the notes under it says how many lines are cut.
#[test]
fn many_databases_scroll_in_their_table() {
    let mut s = with_databases(app(fixtures::memory(6.0, 0.0, 0.0)));
    let (mut dbs, _, _) = fixtures::databases();
    let first = dbs.envs[0].clone();
    dbs.envs = (0..30)
        .map(|i| {
            let mut e = first.clone();
            e.name = format!("env{i:02}");
            e
        })
        .collect();
    update(&mut s, Action::Databases(Arc::new(dbs)));
    keys(&mut s, &[KeyCode::Char('2')]);
    // The Databases pane: from its top border to the Migrations pane's.
    let pane = |s: &AppState| -> String {
        let t = text(&draw(s, 80, 24));
        let end = t.find("┌ Migrations").expect("the Migrations pane");
        t[..end].to_owned()
    };
    let top = pane(&s);
    assert!(
        top.contains("Databases 1–") && top.contains(" of 30 "),
        "{top}"
    );
    assert!(top.contains("env00") && !top.contains("env29"), "{top}");
    keys(&mut s, &[KeyCode::Down]);
    let down = pane(&s);
    assert!(
        down.contains("Databases 2–") && !down.contains("env00"),
        "{down}"
    );
    keys(&mut s, &[KeyCode::End]);
    let end = pane(&s);
    assert!(end.contains("–30 of 30 ") && end.contains("env29"), "{end}");
    insta::assert_snapshot!("databases_many_end_80x24", text(&draw(&s, 80, 24)));
    keys(&mut s, &[KeyCode::Home]);
    assert!(pane(&s).contains("env00"));
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

/// NO_COLOR: no colour anywhere, and every state still told apart — suspect `●` vs warning
/// `○`, the selection reversed across the whole row, context rows dim.
#[test]
fn no_color_keeps_every_state_readable() {
    use ratatui::style::Modifier;
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    s.no_color = true;
    s.selected = Some(26833);
    let t = draw(&s, 160, 48);
    let buf = t.backend().buffer();
    assert!(
        buf.content
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "a colour survived NO_COLOR"
    );
    let screen = text(&t);
    let row_of = |pid: &str| {
        screen
            .lines()
            .position(|l| l.contains(pid))
            .expect("row on screen") as u16
    };
    let first_cell = |pid: &str| buf[(1, row_of(pid))].symbol().to_owned();
    assert_eq!(first_cell("  26833"), "●", "runaway engine: suspect");
    assert_eq!(
        first_cell("  48424"),
        "○",
        "studio under policy warn: warning"
    );
    let y = row_of("  26833");
    for x in 1..159 {
        assert!(
            buf[(x, y)].modifier.contains(Modifier::REVERSED),
            "selection reversed on the whole row (column {x})"
        );
    }
    assert!(
        buf[(10, row_of("   4100"))]
            .modifier
            .contains(Modifier::DIM)
    );
    insta::assert_snapshot!("no_color_80x24", text(&draw(&s, 80, 24)));
}

/// The help at the smallest sizes: one column that scrolls (PgDn to the end) and says which
/// rows it shows; over its pages every key of the table is there with its whole description
/// (a long one wraps under itself), nothing cut. Then scrolled a page down, and back with Home.
#[test]
fn help_scrolls_and_cuts_nothing() {
    for (w, h) in [(80, 24), (60, 16)] {
        let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
        update(&mut s, Action::Resize(w, h));
        keys(&mut s, &[KeyCode::Char('?')]);
        let first = text(&draw(&s, w, h));
        assert!(first.contains(" rows 1–"), "{w}x{h}: no position:\n{first}");
        let mut pages = String::new();
        for _ in 0..150 {
            let screen = text(&draw(&s, w, h));
            for line in screen.lines() {
                // The popup's column, without its borders and the scrollbar.
                let inner: String = line.chars().skip(2).take(usize::from(w) - 4).collect();
                pages.push_str(&inner);
                pages.push(' ');
            }
            keys(&mut s, &[KeyCode::Down]);
        }
        let end = text(&draw(&s, w, h));
        let total = end
            .split(" of ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .unwrap_or_default();
        assert!(
            end.contains(&format!("–{total} of {total} ")),
            "{w}x{h}: not at the end:\n{end}"
        );
        let pages = pages.split_whitespace().collect::<Vec<_>>().join(" ");
        for b in devtop::app::keymap::BINDINGS {
            let row = format!("{} {}", b.label, b.desc);
            let row = row.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(pages.contains(&row), "{w}x{h}: help lacks {row}");
        }
    }
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    update(&mut s, Action::Resize(80, 24));
    keys(&mut s, &[KeyCode::Char('?'), KeyCode::PageDown]);
    let screen = text(&draw(&s, 80, 24));
    assert!(screen.contains(" rows 21–40 of "), "{screen}");
    insta::assert_snapshot!("help_scrolled_80x24", screen);
    keys(&mut s, &[KeyCode::Home]);
    assert!(text(&draw(&s, 80, 24)).contains(" rows 1–20 of "));
    // The mouse wheel scrolls it too (3 rows a notch); ? closes it.
    s.mouse = true;
    let wheel = crossterm::event::MouseEvent {
        kind: crossterm::event::MouseEventKind::ScrollDown,
        column: 40,
        row: 10,
        modifiers: KeyModifiers::NONE,
    };
    update(&mut s, Action::Mouse(wheel));
    assert!(text(&draw(&s, 80, 24)).contains(" rows 4–23 of "));
    keys(&mut s, &[KeyCode::Char('?')]);
    assert!(s.popup.is_none(), "? closes the help");
}

/// At 80x24 the matrix shows the failed migration (and its production cell) first and says
/// how many rows it shows.
#[test]
fn migrations_show_problems_first_when_cut() {
    let mut s = with_databases(app(fixtures::memory(6.0, 0.0, 0.0)));
    keys(&mut s, &[KeyCode::Char('2')]);
    let screen = text(&draw(&s, 80, 24));
    assert!(screen.contains("Migrations 1–"), "{screen}");
    assert!(screen.contains(" of 6 · problems first"), "{screen}");
    let failed = screen
        .lines()
        .find(|l| l.contains("20250917120000"))
        .expect("failed migration shown");
    assert!(failed.contains("✗ failed"), "{failed}");
    assert!(screen.contains("production: blocked by failed"), "{screen}");
    let (rows, first) = devtop::ui::migrations::visible_rows(&s.matrix, 6, 0);
    assert_eq!((rows.len(), first), (6, 0));
    assert_eq!(rows[0].name, s.matrix[0].name, "all fit: newest first");
}

/// `x` on a vite server with 25 processes below it at 80x24: the dialog keeps its column header
/// and footer (y/Enter) in view, says which lines it shows, and scrolling brings every PID that
/// `y` signals — and the "Left alone" section — into view.
#[test]
fn kill_dialog_scrolls_at_80x24() {
    let mut s = app(fixtures::memory(6.0, 0.0, 0.0));
    update(&mut s, Action::Resize(80, 24));
    update(
        &mut s,
        Action::Processes(Arc::new(fixtures::crowded_snapshot())),
    );
    s.protected = devtop::model::refusal::Protected {
        me: 9999,
        euid: Some(1000),
        ancestors: vec![],
    };
    s.selected = Some(4101);
    keys(&mut s, &[KeyCode::Char('x')]);
    let top = text(&draw(&s, 80, 24));
    insta::assert_snapshot!("kill_dialog_top_80x24", top);
    assert!(top.contains("y/Enter"), "footer pinned:\n{top}");
    assert!(top.contains("REASON"), "column header pinned:\n{top}");
    assert!(
        top.contains(" of 28 · ↑↓ scroll"),
        "position in the title:\n{top}"
    );
    let Some(devtop::app::state::Popup::Confirm(devtop::app::confirm::Confirm {
        action: devtop::app::confirm::ConfirmAction::Kill(plan),
        ..
    })) = s.popup.clone()
    else {
        panic!("no dialog: {:?}", s.popup)
    };
    let body = devtop::ui::kill_dialog::layout_for(
        ratatui::layout::Rect::new(0, 0, 80, 24),
        &plan,
        s.grace,
    )
    .body;
    let mut seen = std::collections::HashSet::new();
    let mut last = String::new();
    for _ in 0..30 {
        let t = draw(&s, 80, 24);
        let buf = t.backend().buffer();
        // Only the dialog's list counts: the process list behind it shows PIDs too.
        for y in body.y..body.y + body.height {
            let row: String = (body.x..body.x + body.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect();
            if let Some(pid) = row
                .split_whitespace()
                .next()
                .and_then(|w| w.parse::<u32>().ok())
            {
                seen.insert(pid);
            }
        }
        let screen = text(&t);
        assert!(screen.contains("y/Enter"), "footer pinned:\n{screen}");
        last = screen;
        keys(&mut s, &[KeyCode::Down]);
    }
    insta::assert_snapshot!("kill_dialog_bottom_80x24", last);
    assert!(last.contains("Left alone (never signalled):"), "{last}");
    assert!(last.contains("owned by another user"), "{last}");
    let want: std::collections::HashSet<u32> =
        [4101, 4102].into_iter().chain(4110..=4133).collect();
    assert_eq!(seen, want, "every planned and refused PID was shown");
}

/// The CPU line: a busy share of 90 % or more and a load above the CPU count are yellow and
/// bold (bold survives NO_COLOR); before the second reading the share shows `…`.
#[test]
fn cpu_line_marks_a_busy_machine() {
    use devtop::model::cpu::CpuLoad;
    use ratatui::style::Modifier;
    let hot = CpuLoad {
        load1: 9.5,
        load5: 4.0,
        load15: 2.0,
        busy_percent: Some(96.0),
        cores: 8,
    };
    let mut mem = fixtures::memory(6.0, 0.0, 0.0);
    mem.cpu = Some(hot.clone());
    let t = draw(&app(mem.clone()), 160, 48);
    let buf = t.backend().buffer();
    assert_eq!(color_of(buf, "96% busy"), Some(Color::Yellow));
    assert_eq!(color_of(buf, "9.50"), Some(Color::Yellow));
    assert_eq!(color_of(buf, "4.00"), Some(Color::Reset));
    let mut s = app(mem);
    s.no_color = true;
    let t = draw(&s, 160, 48);
    let screen = text(&t);
    let y = screen.lines().position(|l| l.contains("96% busy")).unwrap() as u16;
    let x = screen
        .lines()
        .nth(y.into())
        .unwrap()
        .chars()
        .take_while(|c| *c != '9')
        .count() as u16;
    assert!(
        t.backend().buffer()[(x, y)]
            .modifier
            .contains(Modifier::BOLD)
    );
    let line = devtop::ui::memory::cpu_line(
        Some(&CpuLoad {
            busy_percent: None,
            ..hot
        }),
        36,
    );
    let plain: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    assert_eq!(plain, "CPU     …% busy  load 9.50 4.00 2.00");
}

/// `m`: the guarded migrate's environment picker, then production's type-its-name step, then
/// the "preflight warns" and "hung: end it?" confirm popups with their own key bar.
#[test]
fn migrate_popups() {
    use devtop::app::migrate::MigrateUpdate;
    use devtop::effects::migrate::guarded::Event;
    let mut s = with_databases(app(fixtures::memory(6.0, 0.0, 0.0)));
    keys(&mut s, &[KeyCode::Char('m')]);
    snap("migrate_pick", &s);
    let names: Vec<String> = s.dbs.envs.iter().map(|e| e.name.clone()).collect();
    if let Some(i) = names.iter().position(|n| n == "production") {
        for _ in 0..i {
            keys(&mut s, &[KeyCode::Down]);
        }
        keys(
            &mut s,
            &[KeyCode::Enter, KeyCode::Char('p'), KeyCode::Char('r')],
        );
        snap("migrate_type_name", &s);
    }
    keys(&mut s, &[KeyCode::Esc, KeyCode::Esc]);
    s.migrating = Some("local".into());
    update(
        &mut s,
        Action::Migrate(MigrateUpdate::Warned("local".into())),
    );
    snap("migrate_warned", &s);
    update(
        &mut s,
        Action::Migrate(MigrateUpdate::Event(Event::Hung(
            "hung: no output and no CPU for 60 s (processes: 4242 node, 4250 schema-engine); end it?".into(),
        ))),
    );
    snap("migrate_hung", &s);
}
