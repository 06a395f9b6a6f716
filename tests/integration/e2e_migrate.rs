//! End to end: `devtop demo` in tmux, `m` applies a pending migration (issue 11). The demo's
//! suspects are cleared first, as a person would: `K` `y` ends the hung migration, the runaway
//! engine and the orphan; `x` `y` on the migrate run `K` keeps. Then `m` `Enter` `y` migrates
//! local (its pending migration → applied, "6 applied, 0 pending"), and `m` `↓` `Enter` `y`
//! migrates staging through the variable its schema reads (the demo's stand-in reads
//! `DATABASE_URL`: a staging run once failed with "DATABASE_URL is not set"). Skips (with a
//! printed reason) when tmux is not installed.

use crate::e2e_demo::ONE_DEMO;
use crate::tmux;
use std::time::Duration;
use tmux::Session;

/// The Processes pane of a screen (everything above the Memory pane).
fn processes_pane(screen: &str) -> &str {
    screen.split("┌ Memory").next().unwrap_or(screen)
}

/// The PID on the Processes pane's row whose text contains `what`.
fn pid_of(screen: &str, what: &str) -> Option<u32> {
    processes_pane(screen)
        .lines()
        .find(|l| l.contains(what))?
        .split_whitespace()
        .find_map(|w| w.parse().ok())
}

/// Runs `m`, picks the environment `downs` rows below the first, confirms the preflight's
/// warning, and waits for `done` in the Logs pane.
fn migrate(s: &Session, downs: usize, name: &str, done: &str) -> String {
    s.keys("m");
    s.wait(Duration::from_secs(10), "the environment choice", |t| {
        t.contains("Migrate · choose the environment")
    });
    for _ in 0..downs {
        s.keys("Down");
    }
    s.keys("Enter");
    let asked = format!("Migrate {name} anyway?");
    let screen = s.wait(Duration::from_secs(60), "the preflight's verdict", |t| {
        t.contains(&asked) || t.contains(done) || t.contains("not migrating")
    });
    assert!(!screen.contains("not migrating"), "{screen}");
    if screen.contains(&asked) {
        s.keys("y");
    }
    s.wait(Duration::from_secs(60), done, |t| t.contains(done))
}

#[test]
fn m_applies_the_demos_pending_migrations_in_tmux() {
    if !tmux::available("m_applies_the_demos_pending_migrations_in_tmux") {
        return;
    }
    let _one = ONE_DEMO.lock().unwrap_or_else(|e| e.into_inner());
    let _slot = crate::common::migrate_slot();
    let exe = env!("CARGO_BIN_EXE_devtop");
    let name = format!("devtop-e2e-migrate-{}", std::process::id());
    let cmd = format!("{exe} demo; echo \"[exited $?]\"; sleep 60");
    let s = Session::start(&name, 160, 48, &cmd);
    s.wait(Duration::from_secs(40), "the demo's suspects", |t| {
        let p = processes_pane(t);
        p.contains("hung-migrate") && p.contains("runaway-engine") && p.contains("orphan")
    });
    s.keys("K");
    s.wait(Duration::from_secs(10), "the kill confirmation", |t| {
        t.contains("Kill 3 suspect(s)")
    });
    s.keys("y");
    let kept = s.wait(Duration::from_secs(20), "the suspects ended", |t| {
        let p = processes_pane(t);
        !p.contains("hung-migrate") && !p.contains("runaway-engine") && !p.contains("orphan")
    });
    // x on the migrate run K kept (the newest of the concurrent ones).
    let pid = pid_of(&kept, "add_field_versions").expect("the kept migrate run");
    let title = format!("Kill PID {pid}");
    let mut found = false;
    for _ in 0..8 {
        s.keys("x");
        let popup = s.wait(Duration::from_secs(10), "the kill popup", |t| {
            t.contains("Kill PID ")
        });
        if popup.contains(&title) {
            found = true;
            break;
        }
        s.keys("n");
        s.keys("Down");
    }
    assert!(found, "never selected PID {pid}: {}", s.screen());
    s.keys("y");
    s.wait(Duration::from_secs(20), "the kept run ended", |t| {
        !processes_pane(t).contains("add_field_versions")
    });

    let local = migrate(&s, 0, "local", "local: 6 applied, 0 pending, 0 failed");
    assert!(
        local.contains("local: 20251104150000_add_uuid_to_cameras pending → applied"),
        "{local}"
    );
    assert!(local.contains("result: succeeded in"), "{local}");

    let staging = migrate(&s, 1, "staging", "staging: 6 applied, 0 pending, 0 failed");
    assert!(
        staging.contains("SQLite database \"./staging.db\""),
        "the stand-in read staging's URL from DATABASE_URL: {staging}"
    );
    assert!(
        staging.contains("staging: 20251104150000_add_uuid_to_cameras pending → applied"),
        "{staging}"
    );
    assert!(!staging.contains("is not set"), "{staging}");

    s.keys("q");
    s.wait(Duration::from_secs(15), "devtop to exit", |t| {
        t.contains("[exited 0]")
    });
}
