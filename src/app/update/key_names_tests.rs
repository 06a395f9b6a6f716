//! Messages that name a key name the key in effect: with the main screen's actions rebound in
//! `[keys]`, every notice, hint, title and help heading that names a key shows the rebound
//! key, never the default one.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::app::confirm::ConfirmAction;
use crate::app::keys::KeyMap;
use crossterm::event::KeyModifiers;
use ratatui::{Terminal, backend::TestBackend};

/// The main screen's actions these tests rebind, each to a key no default uses.
const REBOUND: [(&str, &str); 13] = [
    ("processes", "!"),
    ("servers", "#"),
    ("pause", "Z"),
    ("quit", "Q"),
    ("cancel", "Backspace"),
    ("servers_up", "U"),
    ("servers_down", "D"),
    ("kill_suspects", "X"),
    ("guard_end", "V"),
    ("migrate", "N"),
    ("scope", "S"),
    ("preflight", "R"),
    ("preflight_target", "W"),
];

fn rebound() -> Arc<KeyMap> {
    let over: Vec<(String, Vec<String>)> = REBOUND
        .iter()
        .map(|(a, k)| (a.to_string(), vec![k.to_string()]))
        .collect();
    Arc::new(KeyMap::with_overrides(&over).unwrap())
}

fn state() -> AppState {
    let mut s = crate::app::state::fixture_state();
    s.keys = rebound();
    s
}

fn press(s: &mut AppState, c: KeyCode) -> Vec<Command> {
    update(s, Action::Key(KeyEvent::new(c, KeyModifiers::NONE)))
}

fn ch(s: &mut AppState, c: char) -> Vec<Command> {
    press(s, KeyCode::Char(c))
}

/// The whole screen of `s` as text, rows joined by newlines.
fn screen(s: &AppState) -> String {
    let mut t = Terminal::new(TestBackend::new(s.screen.width, s.screen.height)).unwrap();
    let logs = tui_logger::TuiWidgetState::new();
    t.draw(|f| crate::ui::render(f, s, &logs)).unwrap();
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_owned())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn notices_name_the_rebound_keys() {
    let mut s = state();
    update(&mut s, Action::Resize(120, 40));
    // A process-list key on another screen: go to screen 1 — by its rebound key.
    ch(&mut s, '2');
    ch(&mut s, 'x');
    assert_eq!(
        s.notice_text(),
        Some("x acts on the process list: press ! first")
    );
    ch(&mut s, '!');
    ch(&mut s, 'r');
    assert_eq!(
        s.notice_text(),
        Some("r restarts the selected server: press # for the Servers screen")
    );
    ch(&mut s, 'Z');
    assert_eq!(
        s.notice_text(),
        Some("paused: the list stays as it is (Z resumes)")
    );
    ch(&mut s, 'Z');
    ch(&mut s, 'V');
    assert_eq!(
        s.notice_text(),
        Some(
            "memory is not critical: V acts when the memory guard has triggered (X ends suspects)"
        )
    );
    // Quitting while a migrate runs: the question and the notice name the rebound quit.
    s.migrating = Some("local".into());
    ch(&mut s, 'Q');
    let Some(Popup::Confirm(c)) = &s.popup else {
        panic!("{:?}", s.popup)
    };
    assert_eq!(c.action, ConfirmAction::QuitMigrating("local".into()));
    let body = crate::app::migrate::confirm_lines(&c.action, &s.keys).join("\n");
    assert!(
        body.contains("y: quit as soon as it ends (Q again meanwhile"),
        "{body}"
    );
    let hung = ConfirmAction::EndMigrate("local".into(), "hung".into());
    let body = crate::app::migrate::confirm_lines(&hung, &s.keys).join("\n");
    assert!(body.contains("Esc: let it run (N asks again)"), "{body}");
    ch(&mut s, 'y');
    assert_eq!(
        s.notice_text(),
        Some("quitting when the migrate of local ends… (Q again to end it now)")
    );
}

#[test]
fn screens_name_the_rebound_keys() {
    let mut s = state();
    update(&mut s, Action::Resize(120, 40));
    // The filter line and the empty list say the rebound cancel key clears it.
    ch(&mut s, '/');
    for c in "zzzz".chars() {
        ch(&mut s, c);
    }
    press(&mut s, KeyCode::Enter);
    let text = screen(&s);
    assert!(
        text.contains("filter \"zzzz\" · Backspace clears"),
        "{text}"
    );
    assert!(text.contains("(Backspace clears)"), "{text}");
    assert!(!text.contains("Esc clears"), "{text}");
    // Too small: the rebound quit.
    update(&mut s, Action::Resize(40, 10));
    assert!(screen(&s).contains("Q quits"), "{}", screen(&s));
    update(&mut s, Action::Resize(120, 40));
    // The header's screen tabs.
    let text = screen(&s);
    assert!(
        text.contains("! Processes 2 Databases # Servers 4 Preflight"),
        "{text}"
    );
    // The Preflight screen before a run.
    s.view = crate::app::state::View::Preflight;
    s.focus = crate::app::state::Focus::Preflight;
    let text = screen(&s);
    assert!(text.contains("R   run the checks"), "{text}");
    assert!(text.contains("W   next target"), "{text}");
    assert!(text.contains("X   end the suspects"), "{text}");
    // The help's screen groups.
    let heads: Vec<String> = crate::app::help::sections(&s.keys)
        .into_iter()
        .map(|g| g.heading)
        .collect();
    assert!(
        heads.contains(&"Processes screen (!)".to_owned()),
        "{heads:?}"
    );
    assert!(
        heads.contains(&"Servers screen (#)".to_owned()),
        "{heads:?}"
    );
}

/// Check 1's action on the Preflight screen names the rebound kill-suspects key.
#[test]
fn the_preflight_action_names_the_rebound_key() {
    use crate::model::preflight::{Check, CheckAction, CheckId, Status};
    let mut s = state();
    s.preflight.run = 1;
    s.preflight.checks = vec![
        Check::new(CheckId::Suspects, Status::Fail, "PID 7 prisma migrate").action(
            CheckAction::KillSuspects {
                targets: vec![],
                what: "1 hung migration".into(),
            },
        ),
    ];
    let text: String = crate::ui::preflight::body(&s, 100)
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("[X] press X to end 1 hung migration"),
        "{text}"
    );
    assert!(!text.contains("press K"), "{text}");
}

/// The servers' notices and lines name the rebound start, stop and screen keys.
#[test]
fn server_messages_name_the_rebound_keys() {
    use crate::app::servers::{OpOutcome, ServerOp, Servers};
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
    let mut s = state();
    update(&mut s, Action::Resize(120, 40));
    s.servers = Servers::new(&specs, 100);
    ch(&mut s, 'U');
    let text = screen(&s);
    assert!(
        text.contains("no server output yet (U starts the servers)"),
        "{text}"
    );
    ch(&mut s, 'U');
    assert_eq!(s.notice_text(), Some("starting already; D stops"));
    let at = std::time::SystemTime::now();
    let held = crate::effects::servers::Event::Held {
        name: "api".into(),
        reason: "1 pending migration".into(),
    };
    update(&mut s, Action::ServerEvent(Box::new(held), at));
    update(
        &mut s,
        Action::ServersDone(
            ServerOp::Up { force: false },
            OpOutcome::Failed("api".into()),
        ),
    );
    assert_eq!(
        s.notice_text(),
        Some("held: 1 pending migration — press U again to start anyway")
    );
    let text = screen(&s);
    assert!(
        text.contains("1 pending migration — press U again to start anyway"),
        "{text}"
    );
    assert!(!text.contains("press u"), "{text}");
}
