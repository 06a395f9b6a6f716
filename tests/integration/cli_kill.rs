//! `devtop kill` run as the real binary against real stand-in processes.
//!
//! Safety: every target is a stand-in this test spawned, named by PID; every run passes
//! `--scope project --project <fixture dir>` so devtop only sees the fixture's processes, and
//! `--suspects` is only run after a `--dry-run` whose listed PIDs were checked to belong to the
//! fixture. The fixture SIGKILLs and reaps whatever is left when a test ends, pass or fail.

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Fixture, Run, Spawned, alive, live_with_marker, run_command, wait_until};
use devtop::effects::signal::read_identity;

/// How long a killed process may take to disappear from /proc.
const GONE_DEADLINE: Duration = Duration::from_secs(10);
/// Deadline for suspects that need time to appear.
/// A deadline, not a speed target: on a loaded machine a busy stand-in gets a small share of a core.
const SUSPECT_DEADLINE: Duration = Duration::from_secs(60);
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

/// Dry runs only: a real kill of PID 1 is never attempted, whatever the guards.
#[test]
fn pid_1_is_refused_with_everything_below_it() {
    let fx = Fixture::new();
    // An orphan: reparented to init (or a subreaper), so in the snapshot it is "below PID 1".
    let spawner = fx.standin("node").arg("orphan.js").mode("orphan").spawn();
    let orphan = spawner.ready.child.expect("orphan published");
    let orphan_ticks = read_identity(orphan).unwrap().start_ticks;
    fx.wait_exit(spawner.pid, GONE_DEADLINE)
        .expect("spawner exits by itself");
    assert!(
        wait_until(GONE_DEADLINE, || read_identity(orphan)
            .is_ok_and(|i| i.ppid != spawner.pid)),
        "orphan not reparented"
    );
    let adopter = read_identity(orphan).unwrap().ppid;

    let run = fx.devtop(["kill", "--pid", "1", "--dry-run"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert_eq!(
        outcome_of(&run, 1),
        "refused: PID 1 (init) is never signalled",
        "{run}"
    );
    assert!(!run.stdout.contains("would send"), "nothing planned: {run}");
    if adopter == 1 {
        assert_eq!(
            outcome_of(&run, orphan),
            "refused: below PID 1, which is refused: nothing under a refused process is signalled",
            "{run}"
        );
    } else {
        eprintln!("note: orphan adopted by subreaper {adopter}, not init: not below PID 1");
    }
    assert!(alive(orphan, orphan_ticks));
}

#[test]
fn pid_0_is_refused_as_pid_0() {
    let fx = Fixture::new();
    for extra in ["--dry-run", "--yes"] {
        let run = fx.devtop(["kill", "--pid", "0", extra, "--grace", "1"]);
        assert_eq!(run.code, Some(1), "{run}");
        let outcome = outcome_of(&run, 0);
        assert!(
            outcome.starts_with("refused: PID 0 is not a process"),
            "{run}"
        );
        assert!(!outcome.contains("PID 1"), "{run}");
        assert_eq!(pids_in(&run.stdout), [0].into(), "{run}");
    }
}

/// Runs `script` under `sh -c` in the fixture root with `$0` = devtop, `$1` = the project root,
/// `$2` = a `node` stand-in link, `$3` = the marker, `$4` = a ready-file directory, `$5` = this
/// test's PID (the stand-ins exit by themselves if it dies). Returns the run and the two
/// stand-ins `s1`/`s2` the script started (put under the fixture's guard at once).
fn sh_with_two_sleepers(fx: &Fixture, script: &str) -> (Run, [(u32, u64); 2]) {
    let ready = fx.root().join("ready").join("sh");
    std::fs::create_dir_all(&ready).unwrap();
    let mut sh = common::piped_command("sh");
    sh.current_dir(fx.root())
        .arg("-c")
        .arg(format!(
            r#"node=$2 marker=$3 ready=$4 watch=$5
start() {{ DEVTOP_STANDIN=sleep DEVTOP_STANDIN_READY="$ready/$1" DEVTOP_STANDIN_WATCH_PID="$watch" "$node" "$1.js" "$marker" </dev/null >/dev/null 2>&1 & }}
start s1
start s2
i=0
while [ ! -e "$ready/s1" ] || [ ! -e "$ready/s2" ]; do
  i=$((i + 1)); [ "$i" -gt 1000 ] && exit 99; sleep 0.01
done
echo "sh=$$"
{script}"#
        ))
        .arg(env!("CARGO_BIN_EXE_devtop"))
        .arg(fx.root())
        .arg(fx.link("node"))
        .arg(fx.marker())
        .arg(&ready)
        .arg(std::process::id().to_string());
    let run = run_command(&mut sh, vec![format!("(via sh -c) {script}")]);
    let sleepers = ["s1", "s2"].map(|name| {
        let r = devtop::demo::standin::wait_ready(&ready.join(name), common::READY_TIMEOUT)
            .unwrap_or_else(|e| panic!("{name} never ready ({e}): {run}"));
        fx.track(r.pid);
        (
            r.pid,
            read_identity(r.pid).map(|i| i.start_ticks).unwrap_or(0),
        )
    });
    assert_ne!(run.code, Some(99), "stand-ins never got ready: {run}");
    (run, sleepers)
}

/// Alive now and still alive after [`UNTOUCHED_WINDOW`] (for processes that are not the
/// fixture's children).
fn assert_survives(pid: u32, ticks: u64, run: &Run) {
    assert!(alive(pid, ticks), "PID {pid} was killed: {run}");
    assert!(
        !wait_until(UNTOUCHED_WINDOW, || !alive(pid, ticks)),
        "PID {pid} exited: {run}"
    );
}

#[test]
fn a_refused_ancestor_keeps_its_whole_subtree() {
    let fx = Fixture::new();
    // The issue's reproduction: `bash -c 'node s1 & node s2 & devtop kill --pid $$ --yes'`.
    let (run, sleepers) = sh_with_two_sleepers(
        &fx,
        r#""$0" kill --pid $$ --yes --grace 1 --scope project --project "$1""#,
    );
    assert_eq!(run.code, Some(1), "{run}");
    let sh: u32 = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("sh="))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no sh= line: {run}"));
    assert!(
        outcome_of(&run, sh).starts_with("refused: that is an ancestor of devtop"),
        "{run}"
    );
    for (pid, ticks) in sleepers {
        assert_eq!(
            outcome_of(&run, pid),
            format!(
                "refused: below PID {sh}, which is refused: nothing under a refused process is signalled"
            ),
            "{run}"
        );
        assert_survives(pid, ticks, &run);
    }
    assert!(!run.stdout.contains("terminated"), "{run}");
    assert!(!run.stdout.contains("killed"), "{run}");
}

#[test]
fn devtop_itself_keeps_its_children() {
    let fx = Fixture::new();
    // `exec` keeps the shell's PID: `$$` is devtop, and the stand-ins are its children.
    let (run, sleepers) = sh_with_two_sleepers(
        &fx,
        r#"exec "$0" kill --pid $$ --yes --grace 1 --scope project --project "$1""#,
    );
    assert_eq!(run.code, Some(1), "{run}");
    let own = run
        .stdout
        .lines()
        .find_map(|l| l.strip_suffix(": refused: that is devtop itself"))
        .and_then(|p| p.parse::<u32>().ok())
        .unwrap_or_else(|| panic!("devtop not refused: {run}"));
    // The stand-ins are devtop's children now (inherited through `exec`): devtop never lists
    // its own children, so they are neither planned nor signalled — or, when shown, refused as
    // below devtop.
    for (pid, ticks) in sleepers {
        let lines: Vec<&str> = run
            .stdout
            .lines()
            .filter(|l| l.starts_with(&format!("{pid}: ")))
            .collect();
        assert!(
            lines.is_empty()
                || lines == [format!("{pid}: refused: below PID {own}, which is refused: nothing under a refused process is signalled").as_str()],
            "{run}"
        );
        assert_survives(pid, ticks, &run);
    }
}

/// `<root>/bin/node <name>.js <marker>` as a sleeping stand-in, not yet spawned.
fn node_sleeper(fx: &Fixture, name: &str) -> (std::process::Command, std::path::PathBuf) {
    let ready = fx.root().join("ready").join(name);
    let mut cmd = std::process::Command::new(fx.link("node"));
    cmd.arg(format!("{name}.js"))
        .arg(fx.marker())
        .current_dir(fx.root())
        .env(devtop::demo::standin::ENV_MODE, "sleep")
        .env(devtop::demo::standin::ENV_READY, &ready)
        .env(
            devtop::demo::standin::ENV_WATCH_PID,
            std::process::id().to_string(),
        );
    (cmd, ready)
}

#[test]
fn a_group_member_that_was_not_listed_gets_no_signal() {
    use std::os::unix::process::CommandExt;
    let fx = Fixture::new();
    // A group leader and a member of its group that is not its descendant (a sibling joined
    // into the group with setpgid), as a job-control shell or a wrapper can leave behind.
    let (mut cmd, ready) = node_sleeper(&fx, "leader");
    cmd.process_group(0);
    let (leader, leader_ticks) = fx.spawn_command(&mut cmd);
    devtop::demo::standin::wait_ready(&ready, common::READY_TIMEOUT).expect("leader ready");
    let (mut cmd, ready) = node_sleeper(&fx, "member");
    cmd.process_group(leader as i32);
    let (member, member_ticks) = fx.spawn_command(&mut cmd);
    devtop::demo::standin::wait_ready(&ready, common::READY_TIMEOUT).expect("member ready");
    assert_eq!(read_identity(member).unwrap().pgrp, leader);
    let member_s = Spawned {
        pid: member,
        start_ticks: member_ticks,
        ready: Default::default(),
        exe: fx.link("node"),
        argv: Vec::new(),
    };

    // The dry run names the member and says the leader is signalled alone.
    let dry = fx.devtop(["kill", "--pid", &leader.to_string(), "--dry-run"]);
    assert_eq!(dry.code, Some(0), "{dry}");
    assert_eq!(
        pids_in(&dry.stdout),
        [leader].into(),
        "only the leader: {dry}"
    );
    let planned = outcome_of(&dry, leader);
    assert!(
        planned.starts_with(&format!("would send SIGTERM to PID {leader} alone")),
        "{dry}"
    );
    assert!(
        planned.contains(&format!("also holds PID {member}, not listed")),
        "{dry}"
    );

    // Listing both: each is signalled alone through its pidfd, nothing is left unlisted.
    let both = fx.devtop([
        "kill",
        "--pid",
        &member.to_string(),
        &leader.to_string(),
        "--dry-run",
    ]);
    assert_eq!(both.code, Some(0), "{both}");
    assert_eq!(
        outcome_of(&both, leader),
        format!("would send SIGTERM to PID {leader}, then SIGKILL after grace"),
        "{both}"
    );

    let run = fx.devtop([
        "kill",
        "--pid",
        &leader.to_string(),
        "--yes",
        "--grace",
        "1",
    ]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(outcome_of(&run, leader), "terminated (SIGTERM)", "{run}");
    assert!(!run.stdout.contains(&format!("{member}: ")), "{run}");
    assert!(
        fx.wait_exit(leader, GONE_DEADLINE).is_some(),
        "leader {leader} ({leader_ticks}) still running"
    );
    assert_untouched(&fx, &member_s);
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
runaway_cpu_percent = 10
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
