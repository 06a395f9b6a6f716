//! End to end: `devtop demo` in tmux, `p` shows the Preflight screen with the demo's failing
//! checks (its hung migration and runaway engine with the `K` action, the blocked production
//! downstream), `K` there opens the kill confirmation, `e` runs it for staging, then for
//! production (blocked by its failed migration). Skips (with a printed reason) when tmux is
//! not installed.

use crate::e2e_demo::ONE_DEMO;
use crate::tmux;

use std::time::Duration;
use tmux::Session;

#[test]
fn p_shows_the_demos_preflight_in_tmux() {
    if !tmux::available("p_shows_the_demos_preflight_in_tmux") {
        return;
    }
    let _one = ONE_DEMO.lock().unwrap_or_else(|e| e.into_inner());
    let exe = env!("CARGO_BIN_EXE_devtop");
    let name = format!("devtop-e2e-preflight-{}", std::process::id());
    let cmd = format!("{exe} demo; echo \"[exited $?]\"; sleep 60");
    let s = Session::start(&name, 160, 48, &cmd);
    s.wait(Duration::from_secs(40), "the demo's suspects", |t| {
        t.contains("hung-migrate") && t.contains("runaway-engine")
    });
    s.keys("p");
    let done = s.wait(Duration::from_secs(30), "the local preflight", |t| {
        t.contains("Preflight · local · FAIL")
    });
    assert!(done.contains("✗  1 FAIL"), "{done}");
    assert!(done.contains("[K] press K to end"), "{done}");
    assert!(done.contains("hung migration"), "{done}");
    assert!(
        done.contains("2 WARN    Prisma Studio not running"),
        "{done}"
    );
    // K here asks to end check 1's processes; n leaves them.
    s.keys("K");
    // The confirmation's title names what check 1 found (the key bar's "K End them" is
    // always there, so only the title proves the confirmation opened).
    let confirm = s.wait(Duration::from_secs(10), "the kill confirmation", |t| {
        t.contains("End 1 hung migration and 1 runaway schema-engine (")
    });
    assert!(confirm.contains(" processes)?"), "{confirm}");
    s.keys("n");
    s.wait(Duration::from_secs(10), "the confirmation to close", |t| {
        !t.contains("End 1 hung migration and 1 runaway schema-engine (")
    });
    // Scroll to the database checks.
    s.keys("G");
    let down = s.wait(Duration::from_secs(10), "the database checks", |t| {
        t.contains("Deploy order")
    });
    assert!(
        down.contains("production is blocked by failed migration"),
        "{down}"
    );
    s.keys("e");
    s.wait(Duration::from_secs(30), "the staging preflight", |t| {
        t.contains("Preflight · staging · ") && !t.contains(" done ")
    });
    s.keys("e");
    let prod = s.wait(Duration::from_secs(30), "the production preflight", |t| {
        t.contains("Preflight · production · FAIL")
    });
    s.keys("G");
    let prod_end = s.wait(Duration::from_secs(10), "production's deploy order", |t| {
        t.contains("not applied on staging")
    });
    assert!(prod.contains("Preflight · production · FAIL"), "{prod}");
    assert!(prod_end.contains("Deploy order"), "{prod_end}");
    s.keys("q");
    s.wait(Duration::from_secs(15), "devtop to exit", |t| {
        t.contains("[exited 0]")
    });
}
