//! `devtop status` with a Prisma CLI that hangs: it answers within its budget, reports the
//! drift check as timed out, never lists its own helper, and leaves nothing behind — also when
//! it is ended by SIGTERM or SIGKILL while the helper runs.
//!
//! The project's `node_modules/.bin/prisma` is a script that execs a `node` stand-in which
//! starts a `schema-engine` stand-in child and idles, as the real CLI does when its engine
//! never answers. Both carry the fixture's marker, which is how leftovers are found; any
//! leftover is killed by PID (start time verified) by the fixture guard.

use crate::common;

use common::{Fixture, devtop_command, live_with_marker, wait_until};
use std::time::Duration;

/// Puts every live process carrying the fixture's marker under its guard.
fn track_leftovers(fx: &Fixture) -> Vec<u32> {
    let pids = live_with_marker(fx.marker());
    for &pid in &pids {
        fx.track(pid);
    }
    pids
}

/// A project whose Prisma CLI hangs with its schema-engine, and whose database refuses
/// connections at once.
fn hanging_cli_project(fx: &Fixture) {
    let root = fx.root();
    std::fs::create_dir_all(root.join("prisma")).unwrap();
    std::fs::write(
        root.join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n",
    )
    .unwrap();
    std::fs::write(
        root.join(".env"),
        "DATABASE_URL=postgresql://devtop@127.0.0.1:1/devtop_test\n",
    )
    .unwrap();
    common::hanging_prisma_cli(fx, root);
}

fn status_command(fx: &Fixture) -> std::process::Command {
    let mut cmd = devtop_command();
    cmd.args(["status", "--json", "--scope", "project", "--project"])
        .arg(fx.root());
    cmd
}

#[test]
fn status_answers_with_a_hanging_cli_and_leaves_nothing_behind() {
    let fx = Fixture::new();
    hanging_cli_project(&fx);
    let run = common::run_command(&mut status_command(&fx), vec!["status".into()]);
    let leftovers = track_leftovers(&fx);
    assert_eq!(run.code, Some(0), "{run}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let drift = &json["migrations"][0]["drift_cli"];
    assert_eq!(drift["status"], "timed-out", "{json:#}");
    assert!(
        drift["after_s"]
            .as_u64()
            .is_some_and(|s| s <= devtop::effects::prisma_diff::HEADLESS_BUDGET.as_secs()),
        "reported within its share: {drift:#}"
    );
    // devtop never lists its own helper, even while it runs.
    let listed: Vec<&serde_json::Value> = json["processes"].as_array().unwrap().iter().collect();
    assert!(listed.is_empty(), "{json:#}");
    assert!(
        wait_until(Duration::from_secs(5), || live_with_marker(fx.marker())
            .is_empty()),
        "helper or engine left behind: {leftovers:?}"
    );
}

fn ended_mid_diff_leaves_nothing(signal: rustix::process::Signal) {
    let fx = Fixture::new();
    hanging_cli_project(&fx);
    let mut cmd = status_command(&fx);
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let (pid, _) = fx.spawn_command(&mut cmd);
    // Mid-diff: the CLI and its engine are running.
    let both = wait_until(Duration::from_secs(20), || {
        live_with_marker(fx.marker()).len() >= 2
    });
    let during = track_leftovers(&fx);
    assert!(both, "the helper and its engine never ran: {during:?}");
    // Our own unreaped child: its PID cannot have been reused.
    let p = rustix::process::Pid::from_raw(pid as i32).unwrap();
    rustix::process::kill_process(p, signal).unwrap();
    fx.wait_exit(pid, Duration::from_secs(10))
        .expect("devtop status ended");
    assert!(
        wait_until(Duration::from_secs(10), || live_with_marker(fx.marker())
            .is_empty()),
        "left behind after {signal:?}: {:?}",
        live_with_marker(fx.marker())
    );
}

#[test]
fn sigterm_mid_diff_leaves_no_prisma_process_behind() {
    ended_mid_diff_leaves_nothing(rustix::process::Signal::TERM);
}

#[test]
fn sigkill_mid_diff_leaves_no_prisma_process_behind() {
    ended_mid_diff_leaves_nothing(rustix::process::Signal::KILL);
}
