//! The memory guard in the running dashboard (tmux; skips with a printed reason without tmux):
//! a test-only threshold (`min_available` = all of the machine's memory) makes the level
//! critical without real pressure; the banner shows the evidence and the hung migrate holding
//! memory; `E` asks, `y` ends it through the safe kill, and nothing else.

use crate::common::{Fixture, alive, wait_until};
use crate::tmux::{self, Session};
use std::time::Duration;

#[test]
fn the_banner_shows_the_evidence_and_e_ends_the_suspect() {
    if !tmux::available("the_banner_shows_the_evidence_and_e_ends_the_suspect") {
        return;
    }
    let fx = Fixture::new();
    let total_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .expect("MemTotal");
    fx.write_config(&format!(
        "[suspects]\nhung_migrate_after = \"1s\"\n[guard]\nnotify = false\nmin_available = \"{total_kib}KiB\"\n"
    ));
    let prisma = fx.root().join("node_modules/.bin/prisma");
    let hog = fx
        .standin("node")
        .args([
            prisma.to_string_lossy().as_ref(),
            "migrate",
            "dev",
            "--name",
            "e2e_hog",
        ])
        .mode("sleep,hold=64")
        .spawn();
    let vite = fx
        .standin("node")
        .args([fx
            .root()
            .join("node_modules/.bin/vite")
            .to_string_lossy()
            .as_ref()])
        .spawn();
    let exe = env!("CARGO_BIN_EXE_devtop");
    let cmd = format!(
        "XDG_CONFIG_HOME=/nonexistent {exe} --project {} --scope project; echo \"[exited $?]\"; sleep 60",
        fx.root().display()
    );
    let s = Session::start(
        &format!("devtop-guard-{}", std::process::id()),
        120,
        32,
        &cmd,
    );
    let banner = s.wait(
        Duration::from_secs(60),
        "the guard banner with the suspect",
        |t| t.contains("MEMORY CRITICAL") && t.contains("E ends 1 dev-tool suspect"),
    );
    assert!(banner.contains("MemAvailable"), "{banner}");
    assert!(banner.contains("top dev tools:"), "{banner}");
    assert!(
        banner.contains(&format!("prisma-migrate PID {}", hog.pid)),
        "{banner}"
    );
    s.keys("E");
    let ask = s.wait(Duration::from_secs(10), "the confirmation", |t| {
        t.contains("Memory critical: end 1 dev-tool suspect")
    });
    assert!(ask.contains(&hog.pid.to_string()), "{ask}");
    s.keys("y");
    assert!(
        wait_until(Duration::from_secs(30), || !alive(hog.pid, hog.start_ticks)),
        "the hog survived:\n{}",
        s.screen()
    );
    let after = s.wait(Duration::from_secs(10), "nothing left to end", |t| {
        t.contains("no dev-tool suspect devtop may end")
    });
    assert!(
        alive(vite.pid, vite.start_ticks),
        "vite was ended:\n{after}"
    );
    s.keys("q");
    s.wait(Duration::from_secs(10), "devtop to quit", |t| {
        t.contains("[exited 0]")
    });
    s.kill();
}
