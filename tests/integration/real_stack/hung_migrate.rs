//! A real hung `prisma migrate dev` (the Prisma 7 CLI, its schema engine a stand-in that never
//! answers) with `hung_migrate_after = "5s"`: the open TUI and `devtop status --json` both
//! flag it `hung-migrate`, on the same process, well within 30 s of its start — the CLI's
//! ~0.85 s of start-up CPU does not hold the judgement back. The delays are printed.

use super::fixture::*;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How late after the CLI's start each face may flag it (a bound that proves "not ~100 s").
const FLAGGED_WITHIN: Duration = Duration::from_secs(30);

/// The PID of a TUI row showing `hung-migrate` on a `prisma-migrate` process.
fn tui_hung(screen: &str) -> Option<u32> {
    screen.lines().find_map(|l| {
        row_cells(l)
            .filter(|(_, role, ..)| *role == "prisma-migrate")
            .filter(|_| l.contains(" hung-migrate "))
            .map(|(pid, ..)| pid)
    })
}

#[test]
fn a_real_hung_migrate_is_flagged_by_the_tui_and_status_alike_within_30s() {
    let test = "a_real_hung_migrate_is_flagged_by_the_tui_and_status_alike";
    let config = "[suspects]\nhung_migrate_after = \"5s\"\nrunaway_for = \"1h\"\nrunaway_cpu_percent = 100\n";
    let Some(mut p) = tmux_project(test, config) else {
        return;
    };
    let tui = p.tui(&format!("devtop-hung-{}", std::process::id()));
    tui.wait(UP, "the dashboard", |s| s.contains("Processes"));
    let root = p.root.clone();
    let start = Instant::now();
    let prisma = root.join("node_modules/.bin/prisma");
    let cli = p.start(
        &root,
        &[prisma.to_str().unwrap(), "migrate", "dev", "--name", "init"],
        "engine-hang.sh",
        "migrate.log",
    );
    // The TUI is watched on its own thread while `status` runs (one status takes seconds).
    let tui_at: Mutex<Option<(Duration, u32)>> = Mutex::new(None);
    let status_at = std::thread::scope(|s| {
        s.spawn(|| {
            while start.elapsed() < FLAGGED_WITHIN + Duration::from_secs(5) {
                if let Some(pid) = tui_hung(&tui.screen()) {
                    *tui_at.lock().unwrap() = Some((start.elapsed(), pid));
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let json = p.poll("status flags hung-migrate", FLAGGED_WITHIN, |j| {
            status_hung(j).is_some()
        });
        (start.elapsed(), status_hung(&json).unwrap(), json)
    });
    let (status_delay, status_pid, json) = status_at;
    let (tui_delay, tui_pid) = tui_at
        .into_inner()
        .unwrap()
        .unwrap_or_else(|| panic!("the TUI never flagged it:\n{}", tui.screen()));
    eprintln!(
        "{test}: flagged {:.1} s (TUI) and {:.1} s (status, when its answer arrived) after the CLI started",
        tui_delay.as_secs_f64(),
        status_delay.as_secs_f64()
    );
    assert!(tui_delay <= FLAGGED_WITHIN, "TUI after {tui_delay:?}");
    assert!(
        status_delay <= FLAGGED_WITHIN,
        "status after {status_delay:?}"
    );
    assert_eq!(
        u64::from(tui_pid),
        status_pid,
        "the same process: {json:#}\n{}",
        tui.screen()
    );
    assert_eq!(status_pid, u64::from(cli), "the CLI itself: {json:#}");
    let m = by_pid(&json, status_pid).unwrap();
    assert_eq!(m["suspect"]["level"], "suspect", "{m:#}");
}
