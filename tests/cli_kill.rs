//! `devtop kill` run as the real binary against real stand-in processes.
//!
//! Safety: every target is a stand-in this test spawned, named by PID; every run passes
//! `--scope project --project <fixture dir>` so devtop only sees the fixture's processes, and
//! `--suspects` is only run after a `--dry-run` whose listed PIDs were checked to belong to the
//! fixture. The fixture SIGKILLs and reaps whatever is left when a test ends, pass or fail.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Fixture, Run, Spawned, alive, live_with_marker, run_command, wait_until};
use devtop::effects::signal::read_identity;

/// How long a killed process may take to disappear from /proc.
const GONE_DEADLINE: Duration = Duration::from_secs(10);
/// Deadline for suspects that need time to appear.
const SUSPECT_DEADLINE: Duration = Duration::from_secs(20);
/// A window in which a process that must be left alone must not exit.
const UNTOUCHED_WINDOW: Duration = Duration::from_millis(300);

/// `<root>/node_modules/.bin/<tool>` as a string.
fn bin(fx: &Fixture, tool: &str) -> String {
    fx.root()
        .join("node_modules/.bin")
        .join(tool)
        .to_string_lossy()
        .into_owned()
}

/// PIDs that start a line of devtop's kill output: the plan (`   1234 role   rss  reason`)
/// and the outcomes (`1234: terminated (SIGTERM)`).
fn pids_in(out: &str) -> BTreeSet<u32> {
    out.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|w| w.trim_end_matches(':').parse().ok())
        .collect()
}

/// The outcome line `PID: ...` for `pid`.
fn outcome_of(run: &Run, pid: u32) -> String {
    let prefix = format!("{pid}: ");
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .collect();
    assert_eq!(lines.len(), 1, "one outcome line for {pid}: {run}");
    lines[0][prefix.len()..].to_owned()
}

fn gone(s: &Spawned) -> bool {
    !alive(s.pid, s.start_ticks)
}

fn assert_gone(pid: u32, start_ticks: u64) {
    assert!(
        wait_until(GONE_DEADLINE, || !alive(pid, start_ticks)),
        "PID {pid} still alive: {:?}",
        read_identity(pid)
    );
}

/// Alive now and does not exit within [`UNTOUCHED_WINDOW`].
fn assert_untouched(fx: &Fixture, s: &Spawned) {
    assert!(alive(s.pid, s.start_ticks), "PID {} died", s.pid);
    assert!(
        fx.wait_exit(s.pid, UNTOUCHED_WINDOW).is_none(),
        "PID {} exited",
        s.pid
    );
    assert!(alive(s.pid, s.start_ticks), "PID {} died", s.pid);
}

#[test]
fn pid_ends_the_whole_tree() {
    let fx = Fixture::new();
    let parent = fx
        .standin("node")
        .args([
            bin(&fx, "prisma").as_str(),
            "migrate",
            "dev",
            "--name",
            "add_uuid",
        ])
        .mode("sleep,child")
        .child(
            "schema-engine",
            ["--datamodels", "prisma/schema.prisma"],
            "sleep",
        )
        .spawn();
    let child = parent.ready.child.expect("child published");
    let child_ticks = read_identity(child).unwrap().start_ticks;
    assert!(alive(child, child_ticks));

    let run = fx.devtop([
        "kill",
        "--pid",
        &parent.pid.to_string(),
        "--yes",
        "--grace",
        "1",
    ]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(outcome_of(&run, child), "terminated (SIGTERM)", "{run}");
    assert_eq!(
        outcome_of(&run, parent.pid),
        "terminated (SIGTERM)",
        "{run}"
    );
    assert_eq!(
        run.stdout.matches(": terminated (SIGTERM)").count(),
        2,
        "one line per PID: {run}"
    );
    // Children before parents.
    let pos = |pid: u32| run.stdout.find(&format!("{pid}: ")).unwrap();
    assert!(pos(child) < pos(parent.pid), "{run}");
    assert_eq!(pids_in(&run.stdout), [parent.pid, child].into(), "{run}");

    assert_gone(child, child_ticks);
    assert_gone(parent.pid, parent.start_ticks);
    assert!(
        wait_until(GONE_DEADLINE, || live_with_marker(fx.marker()).is_empty()),
        "left behind: {:?}",
        live_with_marker(fx.marker())
    );
}

#[test]
fn sigterm_ignorer_is_killed_after_grace() {
    let fx = Fixture::new();
    let stubborn = fx
        .standin("node")
        .arg("stubborn.js")
        .mode("ignore-term")
        .spawn();
    let started = Instant::now();
    let run = fx.devtop([
        "kill",
        "--pid",
        &stubborn.pid.to_string(),
        "--yes",
        "--grace",
        "1",
    ]);
    assert_eq!(run.code, Some(0), "{run}");
    let outcome = outcome_of(&run, stubborn.pid);
    let secs: f64 = outcome
        .strip_prefix("killed (SIGKILL after ")
        .and_then(|r| r.strip_suffix(" s)"))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a SIGKILL outcome: {run}"));
    assert!((1.0..5.0).contains(&secs), "{run}");
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_gone(stubborn.pid, stubborn.start_ticks);
}

#[test]
fn wrong_start_ticks_is_refused_and_process_survives() {
    let fx = Fixture::new();
    let s = fx.standin("node").arg("server.js").spawn();
    let run = fx.devtop([
        "kill",
        "--pid",
        &format!("{}@{}", s.pid, s.start_ticks + 1),
        "--yes",
        "--grace",
        "1",
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    let outcome = outcome_of(&run, s.pid);
    assert!(outcome.starts_with("refused: start time changed"), "{run}");
    assert!(
        outcome.contains(&format!("{} -> {}", s.start_ticks + 1, s.start_ticks)),
        "{run}"
    );
    assert_untouched(&fx, &s);
}

#[test]
fn pid_1_is_refused() {
    let fx = Fixture::new();
    let init_ticks = read_identity(1).map(|i| i.start_ticks).unwrap_or(0);

    let run = fx.devtop(["kill", "--pid", "1", "--dry-run"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert_eq!(
        outcome_of(&run, 1),
        "refused: PID 1 (init) is never signalled",
        "{run}"
    );

    // The real run names a wrong start time as a second guard: should the PID-1 guard ever
    // break, the start-time guard still keeps init alive (and the message check fails).
    let run = fx.devtop([
        "kill",
        "--pid",
        &format!("1@{}", init_ticks + 1),
        "--yes",
        "--grace",
        "1",
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    assert_eq!(
        outcome_of(&run, 1),
        "refused: PID 1 (init) is never signalled",
        "{run}"
    );
}

#[test]
fn devtop_refuses_itself() {
    let fx = Fixture::new();
    // `exec` keeps the shell's PID, so `$$` is devtop's own PID.
    let mut sh = common::piped_command("sh");
    sh.arg("-c")
        .arg(r#"exec "$0" kill --pid $$ --yes --grace 1 --scope project --project "$1""#)
        .arg(env!("CARGO_BIN_EXE_devtop"))
        .arg(fx.root());
    let run = run_command(&mut sh, vec!["(via sh -c exec) kill --pid $$".into()]);
    assert_eq!(run.code, Some(1), "{run}");
    let pids = pids_in(&run.stdout);
    assert_eq!(pids.len(), 1, "{run}");
    let own = *pids.iter().next().unwrap();
    assert_eq!(
        outcome_of(&run, own),
        "refused: that is devtop itself",
        "{run}"
    );
}

#[test]
fn suspects_kills_hung_migrate_and_runaway_engine_only() {
    let fx = Fixture::new();
    fx.write_config(
        r#"
[suspects]
hung_migrate_after = "2s"
runaway_cpu_percent = 30
runaway_for = "2s"
studio = "warn"
"#,
    );
    let migrate = fx
        .standin("node")
        .args([bin(&fx, "prisma").as_str(), "migrate", "dev", "--name", "x"])
        .spawn();
    let engine = fx
        .standin("schema-engine")
        .args(["--datamodels", "prisma/schema.prisma"])
        .mode("busy=60")
        .spawn();
    let studio = fx
        .standin("node")
        .args([bin(&fx, "prisma").as_str(), "studio"])
        .spawn();
    let vite = fx
        .standin("node")
        .args([bin(&fx, "vite").as_str(), "--port", "0"])
        .mode("listen=0")
        .spawn();
    let ours: BTreeSet<u32> = [migrate.pid, engine.pid, studio.pid, vite.pid].into();
    let targets: BTreeSet<u32> = [migrate.pid, engine.pid].into();

    // Dry run until both suspects are planned; it must only ever list the fixture's PIDs.
    let deadline = Instant::now() + SUSPECT_DEADLINE;
    loop {
        let dry = fx.devtop(["kill", "--suspects", "--dry-run"]);
        assert_eq!(dry.code, Some(0), "{dry}");
        let listed = pids_in(&dry.stdout);
        assert!(listed.is_subset(&ours), "foreign PID planned: {dry}");
        assert!(!listed.contains(&studio.pid), "studio under warn: {dry}");
        assert!(!listed.contains(&vite.pid), "plain vite: {dry}");
        if listed == targets {
            for pid in &targets {
                assert!(outcome_of(&dry, *pid).starts_with("would send SIGTERM"));
            }
            break;
        }
        assert!(Instant::now() < deadline, "suspects never planned: {dry}");
    }
    assert!(!gone(&migrate) && !gone(&engine), "dry run signalled");

    let run = fx.devtop(["kill", "--suspects", "--yes", "--grace", "1"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(pids_in(&run.stdout), targets, "{run}");
    assert!(run.stdout.contains("hung-migrate"), "{run}");
    assert!(run.stdout.contains("runaway-engine"), "{run}");
    for pid in &targets {
        assert_eq!(outcome_of(&run, *pid), "terminated (SIGTERM)", "{run}");
    }
    assert_gone(migrate.pid, migrate.start_ticks);
    assert_gone(engine.pid, engine.start_ticks);
    assert_untouched(&fx, &studio);
    assert_untouched(&fx, &vite);
}

#[test]
fn dry_run_signals_nothing() {
    let fx = Fixture::new();
    let s = fx.standin("node").args([bin(&fx, "vite").as_str()]).spawn();
    let run = fx.devtop(["kill", "--pid", &s.pid.to_string(), "--dry-run"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(
        outcome_of(&run, s.pid),
        format!(
            "would send SIGTERM to PID {}, then SIGKILL after grace",
            s.pid
        ),
        "{run}"
    );
    assert_untouched(&fx, &s);
}

#[test]
fn unconfirmed_without_a_terminal_exits_2() {
    let fx = Fixture::new();
    let s = fx.standin("node").args([bin(&fx, "vite").as_str()]).spawn();
    // stdin is /dev/null: there is nobody to ask.
    let run = fx.devtop(["kill", "--pid", &s.pid.to_string(), "--grace", "1"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("not confirmed"), "{run}");
    assert!(!run.stdout.contains(&format!("{}: ", s.pid)), "{run}");
    assert_untouched(&fx, &s);
}

#[test]
fn kill_without_targets_exits_2() {
    let fx = Fixture::new();
    let run = fx.devtop(["kill", "--yes"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("--suspects"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn ancestor_of_devtop_is_refused() {
    let fx = Fixture::new();
    // This test process is devtop's parent. A wrong start time is named as a second guard:
    // should the ancestor guard ever break, the start-time guard still refuses.
    let me = std::process::id();
    let ticks = read_identity(me).unwrap().start_ticks;
    let run = fx.devtop([
        "kill",
        "--pid",
        &format!("{me}@{}", ticks + 1),
        "--yes",
        "--grace",
        "1",
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        outcome_of(&run, me).starts_with("refused: that is an ancestor of devtop"),
        "{run}"
    );
}

/// A zombie just seen is a warning: its parent may reap it any moment, so "kill all suspects"
/// leaves the parent alone (ending it becomes a suspect action after ZOMBIE_AFTER_S of watching,
/// which a one-shot command never reaches); ending the parent by PID clears the zombie.
#[test]
fn young_zombie_is_warn_only_and_ending_its_parent_clears_it() {
    let fx = Fixture::new();
    fx.write_config("[suspects]\nhung_migrate_after = \"1h\"\n");
    let parent = fx
        .standin("node")
        .arg("leaky.js")
        .mode("zombie-child")
        .spawn();
    let zombie = parent.ready.child.expect("zombie published");
    assert!(wait_until(GONE_DEADLINE, || read_identity(zombie)
        .is_ok_and(|i| i.state == 'Z')));

    let status = fx.status_json();
    let z = status["processes"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["pid"] == zombie))
        .cloned()
        .unwrap_or_default();
    assert_eq!(z["suspect"]["kind"], "zombie", "{status:#}");
    assert_eq!(z["suspect"]["level"], "warn", "{status:#}");

    let dry = fx.devtop(["kill", "--suspects", "--dry-run"]);
    assert_eq!(dry.code, Some(0), "{dry}");
    assert!(dry.stdout.contains("nothing to kill"), "{dry}");
    assert!(read_identity(parent.pid).is_ok(), "parent untouched");

    let pid_arg = parent.pid.to_string();
    let run = fx.devtop(["kill", "--pid", &pid_arg, "--yes", "--grace", "1"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(
        outcome_of(&run, parent.pid),
        "terminated (SIGTERM)",
        "{run}"
    );
    assert_gone(parent.pid, parent.start_ticks);
}
