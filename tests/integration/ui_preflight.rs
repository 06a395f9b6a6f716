//! The Preflight screen (`p`, `4`) from fixture checks judged by the real judges: snapshots at
//! 80x24 and 160x48 while checks run (spinner) and once done, the colours of the statuses,
//! and `K` on that screen opening the kill confirmation for check 1's processes.

use crate::common::screen_text as text;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use devtop::app::preflight::PreflightEvent;
use devtop::app::state::{AppState, Popup, View};
use devtop::app::update::{Action, Command, update};
use devtop::model::db_view::derive;
use devtop::model::fixtures;
use devtop::model::memory::MemoryThresholds;
use devtop::model::preflight::{self, Check, CheckId, Summary, database, folder, processes};
use devtop::model::snapshot::ProcessSnapshot;
use std::sync::Arc;
use std::time::Duration;

fn app() -> AppState {
    let mut s = AppState::new(
        Arc::new(ProcessSnapshot::empty(
            devtop::model::tree::Scope::Project,
            fixtures::ROOT.into(),
        )),
        Arc::new(fixtures::memory(6.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    update(
        &mut s,
        Action::Processes(Arc::new(fixtures::process_snapshot())),
    );
    s.preflight.targets = vec!["local".into(), "staging".into(), "production".into()];
    s
}

fn key(s: &mut AppState, c: char) -> Vec<Command> {
    update(
        s,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
    )
}

/// The checks the fixtures give: processes (suspects, studio, heavy), memory, the folder and
/// the first database of the fixture databases, with fixed times.
fn fixture_checks() -> Vec<Check> {
    let snap = fixtures::process_snapshot();
    let mem = fixtures::memory(6.0, 0.0, 0.0);
    let (dbs, local, project) = fixtures::databases();
    let env = &dbs.envs[0];
    let view = derive(&local, project.schema.as_ref(), env, None);
    let mut checks = vec![
        processes::suspects(&snap),
        processes::studio(&snap),
        preflight::schema::static_check(
            "prisma/schema.prisma",
            true,
            project.schema.as_ref(),
            &[],
            local.lock_provider.as_deref(),
            "no Prisma CLI in node_modules/.bin",
        ),
        database::connection(env, 5.0),
        preflight::memory::memory(
            mem.snapshot.as_ref(),
            None,
            500 << 20,
            &MemoryThresholds::default(),
        ),
        processes::heavy(&snap),
        folder::folder(&local, "prisma/migrations"),
        database::failed(env, &view),
        database::lock(env, &view),
        database::edited(env, &view),
        database::drift(env, &view),
        database::pending(env, &view),
        Check::skipped(
            CheckId::DeployOrder,
            "local is not in [deploy] order (staging → production) and none of those environments is configured",
        ),
        preflight::inotify::inotify(&preflight::inotify::InotifyUsage {
            max_user_watches: Some(65536),
            max_user_instances: Some(128),
            watches: 60000,
            instances: 40,
            top: vec![preflight::inotify::Watcher {
                pid: 4711,
                name: "code".into(),
                instances: 12,
                watches: 52000,
            }],
            unreadable: 0,
        }),
    ];
    for (i, c) in checks.iter_mut().enumerate() {
        c.elapsed_ms = Some(100 * (i as u64 + 1));
    }
    checks
}

#[test]
fn p_starts_a_run_and_shows_every_check_running() {
    let mut s = app();
    let cmds = key(&mut s, 'p');
    assert_eq!(s.view, View::Preflight);
    assert!(
        matches!(&cmds[..], [Command::Preflight(req, 1)] if req.target == "local"),
        "{cmds:?}"
    );
    assert!(s.preflight.running);
    assert!(
        s.preflight
            .checks
            .iter()
            .all(|c| c.status == preflight::Status::Running)
    );
    // A second p while it runs starts nothing.
    assert!(key(&mut s, 'p').is_empty());
    // Half the checks in: the rest keep their spinner.
    for c in fixture_checks().into_iter().take(6) {
        update(&mut s, Action::Preflight(PreflightEvent::Check(1, c)));
    }
    update(&mut s, Action::Preflight(PreflightEvent::Tick(1)));
    // A late result of an older run is dropped.
    update(
        &mut s,
        Action::Preflight(PreflightEvent::Check(
            0,
            Check::new(CheckId::Inotify, preflight::Status::Fail, "stale"),
        )),
    );
    for (w, h) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(format!("preflight_running_{w}x{h}"), text(&s, w, h));
    }
}

fn done() -> AppState {
    let mut s = app();
    key(&mut s, 'p');
    let checks = fixture_checks();
    for c in &checks {
        update(
            &mut s,
            Action::Preflight(PreflightEvent::Check(1, c.clone())),
        );
    }
    let summary = Summary {
        target: "local".into(),
        checks,
        elapsed_ms: 5300,
    };
    update(&mut s, Action::Preflight(PreflightEvent::Done(1, summary)));
    s
}

#[test]
fn done_run_shows_verdict_details_hints_and_the_k_action() {
    let s = done();
    assert!(!s.preflight.running);
    for (w, h) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(format!("preflight_done_{w}x{h}"), text(&s, w, h));
    }
    let big = text(&s, 160, 48);
    assert!(big.contains("FAIL"), "{big}");
    assert!(big.contains("press K to end"), "{big}");
}

#[test]
fn scrolling_reaches_the_last_check() {
    let mut s = done();
    for _ in 0..200 {
        update(
            &mut s,
            Action::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)),
        );
    }
    let t = text(&s, 80, 24);
    assert!(t.contains("inotify"), "{t}");
    assert!(!t.contains("No hung, runaway"), "{t}");
    // The bottom border says which rows are shown: the last ones, of how many.
    let (shown, total) = rows_title(&t);
    assert_eq!(shown.1, total, "{t}");
    // Scrolled past the end, one key up moves at once (the scroll was kept within the rows).
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)),
    );
    let up = text(&s, 80, 24);
    assert_eq!(rows_title(&up).0, (shown.0 - 1, shown.1 - 1), "{up}");
    insta::assert_snapshot!("preflight_scrolled_80x24", up);
    // Home: the first rows again, and a scrollbar thumb at the top of the right border.
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Home, KeyModifiers::NONE)),
    );
    let top = text(&s, 80, 24);
    assert_eq!(rows_title(&top).0.0, 1, "{top}");
    assert!(top.contains("No hung, runaway"), "{top}");
}

/// The "rows 12–25 of 40" of the checks pane's bottom border: ((first, last), total).
fn rows_title(screen: &str) -> ((usize, usize), usize) {
    let at = screen.find(" rows ").expect("a rows title") + " rows ".len();
    let text: String = screen[at..].chars().take_while(|c| *c != ' ').collect();
    let (first, last) = text.split_once('–').expect("first–last");
    let rest = &screen[at + text.len()..];
    let total: String = rest
        .trim_start_matches(" of ")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (
        (first.parse().expect("first"), last.parse().expect("last")),
        total.parse().expect("total"),
    )
}

#[test]
fn k_on_the_preflight_screen_asks_to_end_check_1s_processes() {
    let mut s = done();
    let Some(preflight::CheckAction::KillSuspects { targets, .. }) =
        s.preflight.kill_action().cloned()
    else {
        panic!("the fixture's suspects give check 1 an action");
    };
    assert!(key(&mut s, 'K').is_empty());
    let Some(Popup::Confirm(c)) = &s.popup else {
        panic!("no confirmation: {:?}", s.popup);
    };
    let devtop::app::confirm::ConfirmAction::Kill(plan) = &c.action else {
        panic!(
            "K on the Preflight screen opens a kill confirmation: {:?}",
            c.action
        );
    };
    let planned: Vec<u32> = plan.kills.iter().map(|k| k.pid).collect();
    for t in &targets {
        assert!(planned.contains(&t.pid), "{} not in {planned:?}", t.pid);
    }
}

#[test]
fn e_cycles_the_target_and_runs_again() {
    let mut s = done();
    let cmds = key(&mut s, 'e');
    assert!(
        matches!(&cmds[..], [Command::Preflight(req, 2)] if req.target == "staging"),
        "{cmds:?}"
    );
    assert_eq!(s.preflight.target.as_deref(), Some("staging"));
}
