//! `devtop status` run as the real binary against real stand-in processes.
//!
//! Every run uses `--scope project --project <fixture dir>`, so devtop only sees the fixture's
//! processes (their cwd is the fixture's temporary directory). `status` samples twice, 1 s
//! apart, so each run takes a little over a second; rules that need time (hung migrate, runaway
//! engine) are polled for against a deadline.

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use common::{Fixture, Spawned, run_devtop, stat_start_ticks};
use serde_json::Value;

/// Deadline for a suspect that needs time to appear.
/// A deadline, not a speed target: on a loaded machine a busy stand-in gets a small share of a core.
const SUSPECT_DEADLINE: Duration = Duration::from_secs(60);

/// Thresholds that keep every time-based rule quiet (no suspect but the one under test).
const QUIET: &str = r#"
[suspects]
hung_migrate_after = "1h"
runaway_for = "1h"
runaway_cpu_percent = 100
studio = "warn"
"#;

fn processes(json: &Value) -> &[Value] {
    json["processes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("no processes array: {json:#}"))
}

fn process(json: &Value, pid: u32) -> Option<&Value> {
    processes(json)
        .iter()
        .find(|p| p["pid"].as_u64() == Some(u64::from(pid)))
}

fn expect_process(json: &Value, pid: u32) -> &Value {
    process(json, pid).unwrap_or_else(|| panic!("PID {pid} not listed: {json:#}"))
}

fn listed_pids(json: &Value) -> BTreeSet<u32> {
    processes(json)
        .iter()
        .map(|p| p["pid"].as_u64().expect("pid") as u32)
        .collect()
}

fn suspect_kind(json: &Value, pid: u32) -> Option<&str> {
    process(json, pid).and_then(|p| p["suspect"]["kind"].as_str())
}

/// Runs `status --json` until `cond` holds, at most [`SUSPECT_DEADLINE`]; returns that JSON.
fn poll_status(fx: &Fixture, what: &str, mut cond: impl FnMut(&Value) -> bool) -> Value {
    let deadline = Instant::now() + SUSPECT_DEADLINE;
    loop {
        let json = fx.status_json();
        if cond(&json) {
            return json;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not seen within {SUSPECT_DEADLINE:?}; last status: {json:#}"
        );
    }
}

/// `<root>/node_modules/.bin/<tool>` as a string.
fn bin(fx: &Fixture, tool: &str) -> String {
    fx.root()
        .join("node_modules/.bin")
        .join(tool)
        .to_string_lossy()
        .into_owned()
}

fn spawn_migrate(fx: &Fixture, sub: &str, mode: &str) -> Spawned {
    fx.standin("node")
        .args([
            bin(fx, "prisma").as_str(),
            "migrate",
            sub,
            "--name",
            "add_uuid",
        ])
        .mode(mode)
        .spawn()
}

fn assert_identity(p: &Value, s: &Spawned, fx: &Fixture) {
    let root = fx.canonical_root();
    assert_eq!(p["cwd"].as_str(), Some(root.to_str().unwrap()), "{p:#}");
    let cmd: Vec<&str> = p["cmd"]
        .as_array()
        .expect("cmd array")
        .iter()
        .map(|w| w.as_str().expect("cmd word"))
        .collect();
    assert_eq!(cmd, s.argv, "cmd is the exact argv, marker included");
    assert_eq!(cmd.last(), Some(&fx.marker()));
    assert_eq!(
        p["start_ticks"].as_u64(),
        Some(stat_start_ticks(s.pid).unwrap()),
        "start_ticks = /proc/<pid>/stat field 22: {p:#}"
    );
    assert_eq!(p["start_ticks"].as_u64(), Some(s.start_ticks));
    assert_eq!(p["ppid"].as_u64(), Some(u64::from(std::process::id())));
    assert_eq!(p["relation"], "matched", "{p:#}");
    let state = p["state"].as_str().unwrap();
    assert!(matches!(state, "S" | "R"), "live stand-in state {state}");
}

#[test]
fn json_describes_each_standin() {
    let fx = Fixture::new();
    fx.write_config(QUIET);
    let vite = fx
        .standin("node")
        .args([
            "--max-old-space-size=4096",
            bin(&fx, "vite").as_str(),
            "--port",
            "0",
        ])
        .mode("listen=0")
        .spawn();
    let port = vite.ready.port.expect("vite published its port");
    let migrate = spawn_migrate(&fx, "dev", "sleep");
    let tsx = fx
        .standin("node")
        .args([bin(&fx, "tsx").as_str(), "watch", "src/index.ts"])
        .spawn();
    let engine = fx
        .standin("schema-engine")
        .args(["--datamodels", "prisma/schema.prisma"])
        .spawn();

    let json = fx.status_json();
    let want: BTreeSet<u32> = [vite.pid, migrate.pid, tsx.pid, engine.pid].into();
    assert_eq!(listed_pids(&json), want, "exactly the fixture: {json:#}");

    for (s, role, name) in [
        (&vite, "vite", "node"),
        (&migrate, "prisma-migrate", "node"),
        (&tsx, "tsx", "node"),
        (&engine, "schema-engine", "schema-engine"),
    ] {
        let p = expect_process(&json, s.pid);
        assert_eq!(p["role"], role, "{p:#}");
        assert_eq!(p["name"], name, "{p:#}");
        assert_identity(p, s, &fx);
        assert!(p["suspect"].is_null(), "no suspect expected: {p:#}");
        assert!(p["rss_bytes"].as_u64().unwrap() > 0, "{p:#}");
        let ports: Vec<u64> = p["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        if s.pid == vite.pid {
            assert_eq!(ports, [u64::from(port)], "published port listed: {p:#}");
            assert_eq!(p["max_old_space_mib"].as_u64(), Some(4096));
        } else {
            assert!(ports.is_empty(), "{p:#}");
            assert!(p["max_old_space_mib"].is_null());
        }
    }
}

#[test]
fn json_document_header_and_memory() {
    let fx = Fixture::new();
    let json = fx.status_json();
    assert_eq!(json["version"], 1);
    assert_eq!(json["scope"], "project");
    assert_eq!(
        json["project"].as_str(),
        Some(fx.canonical_root().to_str().unwrap())
    );
    let taken = json["taken_at"].as_str().expect("taken_at");
    let taken = humantime::parse_rfc3339(taken).unwrap_or_else(|e| panic!("{taken}: {e}"));
    let skew = SystemTime::now()
        .duration_since(taken)
        .unwrap_or_else(|e| e.duration());
    assert!(skew < Duration::from_secs(60), "taken_at {skew:?} off");
    assert!(processes(&json).is_empty(), "empty project: {json:#}");
    let mem = &json["memory"];
    assert!(
        mem["total_bytes"].as_u64().is_some_and(|t| t > 0),
        "{mem:#}"
    );
    assert!(mem["available_bytes"].as_u64().is_some(), "{mem:#}");
    assert!(
        matches!(mem["level"].as_str(), Some("ok" | "warn" | "critical")),
        "{mem:#}"
    );
    assert_eq!(mem["dev_rss_bytes"], 0);
    assert!(mem["reasons"].is_array());
    // The whole machine's CPU: load averages, busy share over the 1 s between the samples,
    // and the online CPUs as /proc/stat lists them.
    let cpu = &json["cpu"];
    for key in ["load1", "load5", "load15"] {
        assert!(cpu[key].as_f64().is_some_and(|l| l >= 0.0), "{cpu:#}");
    }
    assert!(
        cpu["busy_percent"]
            .as_f64()
            .is_some_and(|b| (0.0..=100.0).contains(&b)),
        "{cpu:#}"
    );
    let online = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    assert_eq!(cpu["cores"].as_u64(), Some(online as u64), "{cpu:#}");
}

#[test]
fn hung_migrate_is_flagged_once_old_and_idle() {
    let fx = Fixture::new();
    fx.write_config("[suspects]\nhung_migrate_after = \"2s\"\n");
    let migrate = spawn_migrate(&fx, "dev", "sleep");
    let json = poll_status(&fx, "hung-migrate", |j| {
        suspect_kind(j, migrate.pid) == Some("hung-migrate")
    });
    let p = expect_process(&json, migrate.pid);
    assert_eq!(p["role"], "prisma-migrate");
    assert!(p["age_s"].as_u64().unwrap() >= 2, "{p:#}");
    let s = &p["suspect"];
    assert_eq!(s["level"], "suspect", "{s:#}");
    let reason = s["reason"].as_str().unwrap();
    assert!(reason.contains("prisma migrate dev"), "{reason}");
    assert!(s["advice"].as_str().is_some_and(|a| !a.is_empty()));
}

#[test]
fn busy_schema_engine_is_runaway_and_idle_one_is_not() {
    let fx = Fixture::new();
    fx.write_config(
        "[suspects]\nrunaway_cpu_percent = 10\nrunaway_for = \"2s\"\nhung_migrate_after = \"1h\"\n",
    );
    let hot = fx
        .standin("schema-engine")
        .args(["--datamodels", "prisma/schema.prisma"])
        .mode("busy=60")
        .spawn();
    let idle = fx
        .standin("schema-engine")
        .args(["--datamodels", "prisma/schema.prisma"])
        .spawn();
    let json = poll_status(&fx, "runaway-engine", |j| {
        suspect_kind(j, hot.pid) == Some("runaway-engine")
    });
    let p = expect_process(&json, hot.pid);
    assert_eq!(p["role"], "schema-engine");
    assert_eq!(p["suspect"]["level"], "suspect");
    // The evidence names the CPU it judged, at or above the configured limit.
    let reason = p["suspect"]["reason"].as_str().unwrap();
    let judged: f64 = reason
        .split_once("% CPU")
        .and_then(|(head, _)| head.rsplit(' ').next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no CPU figure in {reason:?}"));
    assert!(judged >= 10.0, "{reason}");
    assert!(reason.contains("limit 10%"), "{reason}");
    assert_eq!(suspect_kind(&json, idle.pid), None, "{json:#}");
}

#[test]
fn two_migrate_runs_are_concurrent() {
    let fx = Fixture::new();
    fx.write_config(QUIET);
    let a = spawn_migrate(&fx, "dev", "sleep");
    let b = spawn_migrate(&fx, "deploy", "sleep");
    let json = fx.status_json();
    let (older, newer) = if (a.start_ticks, a.pid) < (b.start_ticks, b.pid) {
        (&a, &b)
    } else {
        (&b, &a)
    };
    for (s, level) in [(older, "suspect"), (newer, "warn")] {
        let p = expect_process(&json, s.pid);
        assert_eq!(p["role"], "prisma-migrate");
        assert_eq!(p["suspect"]["kind"], "concurrent-migrate", "{p:#}");
        assert_eq!(
            p["suspect"]["level"], level,
            "newest warns, older suspect: {p:#}"
        );
        let reason = p["suspect"]["reason"].as_str().unwrap();
        assert!(
            reason.contains(&a.pid.to_string()) && reason.contains(&b.pid.to_string()),
            "{reason}"
        );
        // Both run in the fixture project: the reason says which target they share.
        assert!(
            reason.contains(&format!("project {}", fx.canonical_root().display())),
            "{reason}"
        );
    }
}

#[test]
fn migrate_runs_in_two_projects_are_not_concurrent() {
    let fx = Fixture::new();
    fx.write_config(QUIET);
    for dir in ["a", "b"] {
        std::fs::create_dir_all(fx.root().join(dir)).unwrap();
        std::fs::write(fx.root().join(dir).join("package.json"), "{}").unwrap();
    }
    let run_in = |dir: &str| {
        fx.standin("node")
            .args([bin(&fx, "prisma").as_str(), "migrate", "dev"])
            .cwd(fx.root().join(dir))
            .spawn()
    };
    let (a, b) = (run_in("a"), run_in("b"));
    let json = fx.status_json();
    for s in [&a, &b] {
        let p = expect_process(&json, s.pid);
        assert_eq!(p["role"], "prisma-migrate");
        assert!(p["suspect"].is_null(), "one run per project: {p:#}");
    }
}

#[test]
fn studio_level_follows_policy() {
    let fx = Fixture::new();
    let studio = fx
        .standin("node")
        .args([bin(&fx, "prisma").as_str(), "studio", "--browser", "none"])
        .mode("listen=0")
        .spawn();
    let port = studio.ready.port.expect("port");

    fx.write_config("[suspects]\nstudio = \"warn\"\n");
    let json = fx.status_json();
    let p = expect_process(&json, studio.pid);
    assert_eq!(p["role"], "prisma-studio");
    assert_eq!(p["suspect"]["kind"], "studio", "{p:#}");
    assert_eq!(p["suspect"]["level"], "warn", "{p:#}");
    let reason = p["suspect"]["reason"].as_str().unwrap();
    assert!(reason.contains(&format!("port {port}")), "{reason}");

    fx.write_config("[suspects]\nstudio = \"suspect\"\n");
    let json = fx.status_json();
    let p = expect_process(&json, studio.pid);
    assert_eq!(p["suspect"]["kind"], "studio", "{p:#}");
    assert_eq!(p["suspect"]["level"], "suspect", "{p:#}");

    fx.write_config("[suspects]\nstudio = \"ignore\"\n");
    let json = fx.status_json();
    assert!(expect_process(&json, studio.pid)["suspect"].is_null());
}

#[test]
fn zombie_child_is_flagged() {
    let fx = Fixture::new();
    fx.write_config(QUIET);
    let parent = fx
        .standin("node")
        .arg("leaky.js")
        .mode("zombie-child")
        .spawn();
    let zombie = parent.ready.child.expect("zombie published");
    let json = poll_status(&fx, "zombie", |j| suspect_kind(j, zombie) == Some("zombie"));
    let z = expect_process(&json, zombie);
    assert_eq!(z["state"], "Z", "{z:#}");
    assert_eq!(z["ppid"].as_u64(), Some(u64::from(parent.pid)));
    // Just seen: a warning (its parent may still reap it); see cli_kill's zombie test.
    assert_eq!(z["suspect"]["level"], "warn");
    let reason = z["suspect"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("parent PID {}", parent.pid)),
        "{reason}"
    );
    let p = expect_process(&json, parent.pid);
    assert!(matches!(p["state"].as_str(), Some("S" | "R")), "{p:#}");
    assert!(p["suspect"].is_null(), "{p:#}");
}

#[test]
fn orphan_of_a_closed_terminal_session_is_flagged() {
    let fx = Fixture::new();
    fx.write_config(QUIET);
    let spawner = fx
        .standin("node")
        .args([bin(&fx, "tsx").as_str(), "watch", "src/index.ts"])
        .mode("orphan")
        .child(
            "node",
            [bin(&fx, "tsx").as_str(), "watch", "src/index.ts"],
            "",
        )
        .spawn();
    let orphan = spawner.ready.child.expect("orphan published");
    fx.wait_exit(spawner.pid, Duration::from_secs(10))
        .expect("spawner exits by itself");
    assert!(
        common::wait_until(Duration::from_secs(10), || {
            devtop::effects::signal::read_identity(orphan).is_ok_and(|i| i.ppid != spawner.pid)
        }),
        "orphan not reparented"
    );
    let adopter = devtop::effects::signal::read_identity(orphan).unwrap().ppid;
    if adopter != 1 {
        let name = common::comm(adopter).unwrap_or_default();
        if !devtop::model::suspects::SUBREAPERS.contains(&name.as_str()) {
            eprintln!("skipped: orphan adopted by subreaper {adopter} ({name}), not init");
            return;
        }
    }
    let json = poll_status(&fx, "orphan", |j| suspect_kind(j, orphan) == Some("orphan"));
    let p = expect_process(&json, orphan);
    assert_eq!(p["role"], "tsx");
    assert_eq!(p["ppid"].as_u64(), Some(u64::from(adopter)));
    assert_eq!(p["suspect"]["level"], "suspect");
    assert!(
        process(&json, spawner.pid).is_none(),
        "the reaped spawner is gone"
    );
}

#[test]
fn second_vite_in_same_cwd_is_duplicate() {
    let fx = Fixture::new();
    fx.write_config(QUIET);
    let sub = fx.root().join("packages/web");
    std::fs::create_dir_all(&sub).unwrap();
    let vite = |cwd: &std::path::Path| {
        fx.standin("node")
            .args([bin(&fx, "vite").as_str(), "--port", "0"])
            .mode("listen=0")
            .cwd(cwd)
            .spawn()
    };
    let first = vite(fx.root());
    let second = vite(fx.root());
    let elsewhere = vite(&sub);
    let json = fx.status_json();
    // The rule keeps the oldest (start_ticks, then PID) and flags the others.
    let (older, newer) = if (first.start_ticks, first.pid) < (second.start_ticks, second.pid) {
        (&first, &second)
    } else {
        (&second, &first)
    };
    let p = expect_process(&json, newer.pid);
    assert_eq!(p["suspect"]["kind"], "duplicate-server", "{json:#}");
    assert_eq!(p["suspect"]["level"], "suspect");
    let reason = p["suspect"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("first: PID {}", older.pid)),
        "{reason}"
    );
    assert!(expect_process(&json, older.pid)["suspect"].is_null());
    let e = expect_process(&json, elsewhere.pid);
    assert!(e["suspect"].is_null(), "other cwd is no duplicate: {e:#}");
    assert_eq!(
        e["cwd"].as_str(),
        Some(sub.canonicalize().unwrap().to_str().unwrap())
    );
}

#[test]
fn a_dev_server_devtop_runs_is_the_copy_kept_and_k_never_offers_it() {
    // The demo's case: devtop started `vite` as a server after an older, stray vite in the same
    // directory. The stray one is the duplicate; devtop's own server is never offered to `K`.
    let fx = Fixture::new();
    fx.write_config(QUIET);
    let vite = || {
        fx.standin("node")
            .args([bin(&fx, "vite").as_str(), "--port", "0"])
            .mode("listen=0")
            .cwd(fx.root())
            .spawn()
    };
    let stray = vite();
    let server = vite();
    let recorded = devtop::model::server_state::State {
        version: 1,
        servers: vec![devtop::model::server_state::Recorded {
            name: "web".into(),
            pid: server.pid,
            pgid: server.pid,
            start_ticks: server.start_ticks,
            port: None,
            started_unix: 0,
            adopted: true,
            ready_after_ms: None,
        }],
        outcomes: Vec::new(),
    };
    std::fs::create_dir_all(fx.root().join(".devtop")).unwrap();
    std::fs::write(
        fx.root().join(".devtop/state.json"),
        serde_json::to_string(&recorded).unwrap(),
    )
    .unwrap();
    let json = fx.status_json();
    let s = expect_process(&json, server.pid);
    assert!(s["suspect"].is_null(), "devtop's server is kept: {s:#}");
    let p = expect_process(&json, stray.pid);
    assert_eq!(p["suspect"]["kind"], "duplicate-server", "{json:#}");
    assert_eq!(p["suspect"]["level"], "suspect");
    let reason = p["suspect"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("devtop's server web: PID {}", server.pid)),
        "{reason}"
    );
    // `devtop kill --suspects --dry-run` plans the stray copy and not the server.
    let run = fx.devtop(["kill", "--suspects", "--dry-run"]);
    let signals = |pid: u32| run.stdout.contains(&format!("SIGTERM to PID {pid},"));
    assert!(signals(stray.pid), "{run}");
    assert!(!signals(server.pid), "{run}");
}

#[test]
fn project_scope_leaves_out_processes_elsewhere() {
    let fx = Fixture::new();
    let other = Fixture::new();
    // A sibling whose name merely starts with the project's name is outside it too.
    let root = fx.canonical_root();
    let sibling = tempfile::Builder::new()
        .prefix(&format!("{}-", root.file_name().unwrap().to_string_lossy()))
        .tempdir_in(root.parent().unwrap())
        .unwrap();
    let inside = fx.standin("node").args([bin(&fx, "vite").as_str()]).spawn();
    let outside = other
        .standin("node")
        .args([bin(&other, "vite").as_str()])
        .spawn();
    let prefixed = fx
        .standin("node")
        .args([bin(&fx, "vite").as_str()])
        .cwd(sibling.path())
        .spawn();

    let json = fx.status_json();
    assert_eq!(listed_pids(&json), [inside.pid].into(), "{json:#}");

    // User scope (read-only) sees all three.
    let run = run_devtop([
        "status",
        "--json",
        "--scope",
        "user",
        "--project",
        fx.root().to_str().unwrap(),
    ]);
    assert_eq!(run.code, Some(0), "{run}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["scope"], "user");
    let all = listed_pids(&json);
    for pid in [inside.pid, outside.pid, prefixed.pid] {
        assert!(all.contains(&pid), "user scope lists {pid}");
    }
}

#[test]
fn text_status_lists_pids() {
    let fx = Fixture::new();
    fx.write_config(QUIET);
    let vite = fx
        .standin("node")
        .args([bin(&fx, "vite").as_str(), "--port", "0"])
        .mode("listen=0")
        .spawn();
    let port = vite.ready.port.unwrap();
    let migrate = spawn_migrate(&fx, "dev", "sleep");
    let run = fx.devtop(["status"]);
    assert_eq!(run.code, Some(0), "{run}");
    let out = &run.stdout;
    assert!(
        out.starts_with(&format!(
            "project {} (scope project)\n",
            fx.canonical_root().display()
        )),
        "{run}"
    );
    assert!(out.contains("PID"), "{run}");
    let cpu = out
        .lines()
        .find(|l| l.starts_with("cpu "))
        .unwrap_or_else(|| panic!("no cpu line: {run}"));
    assert!(
        cpu.contains("% busy of ") && cpu.contains(" CPUs, load "),
        "{cpu}"
    );
    let line_of = |pid: u32| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(&pid.to_string()))
            .unwrap_or_else(|| panic!("no line for PID {pid}: {run}"))
    };
    let v = line_of(vite.pid);
    assert!(v.contains(" vite "), "{v}");
    assert!(v.contains(fx.marker()), "{v}");
    assert!(v.ends_with(&format!("[:{port}]")), "{v}");
    let m = line_of(migrate.pid);
    assert!(m.contains(" prisma-migrate "), "{m}");
    assert!(m.contains("migrate dev --name add_uuid"), "{m}");
    assert!(out.contains("no suspects\n"), "{run}");
    assert!(run.stderr.is_empty(), "{run}");
}

#[test]
fn unknown_flag_exits_2() {
    let run = run_devtop(["status", "--bogus"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("--bogus"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn invalid_config_exits_2_naming_file_line_and_key() {
    let fx = Fixture::new();
    let path = fx.canonical_root().join("devtop.toml");

    fx.write_config("refresh = \"1s\"\n\n[suspects]\nhung_after = \"2s\"\n");
    let run = fx.devtop(["status", "--json"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains(&format!("{}:4:1:", path.display())),
        "{run}"
    );
    assert!(run.stderr.contains("hung_after"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");

    fx.write_config("[suspects]\nstudio = \"warn\"\nrunaway_for = \"soon\"\n");
    let run = fx.devtop(["status"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains(&format!("{}:3:", path.display())),
        "{run}"
    );
    assert!(run.stderr.contains("runaway_for"), "{run}");
    assert!(run.stderr.contains("soon"), "{run}");
}

#[test]
fn missing_project_dir_exits_2() {
    let run = run_devtop([
        "status",
        "--json",
        "--scope",
        "project",
        "--project",
        "/nonexistent/devtop-test-project",
    ]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("/nonexistent/devtop-test-project"),
        "{run}"
    );
    assert!(run.stderr.contains("no such directory"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
}

/// Starts `<root>/shbin/node` (a symlink to /bin/sh, so its comm is `node` and devtop shows it)
/// which idles 0.4 s and then execs a `schema-engine` stand-in burning `busy` percent, and
/// immediately runs `status --json`: its first pass sees the idle `node` (0 CPU ticks so far),
/// its second pass, a second later, the busy `schema-engine` under the same PID.
fn status_across_exec(fx: &Fixture, busy: u8) -> (u32, Vec<String>, Value) {
    let shbin = fx.root().join("shbin");
    std::fs::create_dir_all(&shbin).unwrap();
    let sh_node =
        devtop::demo::standin::link_as(&shbin, "node", std::path::Path::new("/bin/sh")).unwrap();
    let engine = fx.link("schema-engine");
    let argv: Vec<String> = vec![
        engine.to_string_lossy().into_owned(),
        "--datamodels".into(),
        "prisma/schema.prisma".into(),
        fx.marker().to_owned(),
    ];
    let mut cmd = std::process::Command::new(&sh_node);
    cmd.arg("-c")
        .arg(r#"sleep 0.4; exec "$0" "$@""#)
        .args(&argv)
        .current_dir(fx.root())
        .env(devtop::demo::standin::ENV_MODE, format!("busy={busy}"))
        .env(
            devtop::demo::standin::ENV_WATCH_PID,
            std::process::id().to_string(),
        );
    let (pid, _) = fx.spawn_command(&mut cmd);
    let json = fx.status_json();
    assert_eq!(
        common::comm(pid).unwrap(),
        "schema-engine",
        "exec'd by the second pass"
    );
    (pid, argv, json)
}

#[test]
fn process_that_execs_is_reclassified() {
    let fx = Fixture::new();
    fx.write_config(QUIET);
    let (pid, argv, json) = status_across_exec(&fx, 0);
    let p = expect_process(&json, pid);
    assert_eq!(p["name"], "schema-engine", "{p:#}");
    assert_eq!(p["role"], "schema-engine", "{p:#}");
    let cmd: Vec<&str> = p["cmd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(cmd, argv, "{p:#}");
}

#[test]
fn cpu_percent_counts_a_process_idle_at_the_first_sample() {
    // What is tested: CPU burnt between the two samples by a process that was idle (not yet
    // exec'd) at the first one is counted, not dropped as "first sample". How much CPU a busy
    // process gets depends on the machine's load, so the test asks only for a figure above
    // zero, and retries on a machine so busy that the stand-in got no CPU at all.
    for attempt in 1..=3 {
        let fx = Fixture::new();
        fx.write_config(QUIET);
        let (pid, _, json) = status_across_exec(&fx, 100);
        let p = expect_process(&json, pid);
        let ticks = common::cpu_ticks(pid).unwrap();
        if ticks < 5 && attempt < 3 {
            eprintln!(
                "attempt {attempt}: the stand-in got {ticks} ticks of CPU; machine busy, again"
            );
            continue;
        }
        assert!(ticks >= 5, "it did burn CPU: {ticks} ticks");
        assert!(
            p["cpu_percent"].as_f64().unwrap() > 0.0,
            "busy during the interval, shown as: {p:#}"
        );
        return;
    }
}

/// `recent_deaths` from `.devtop/deaths.json`: an RSS no pass read is null — also in a record
/// an earlier version wrote with 0 — and a measured one its bytes.
#[test]
fn json_recent_deaths_say_null_for_an_rss_never_sampled() {
    let fx = Fixture::new();
    let record = |pid: u32, rss: Value| {
        serde_json::json!({
            "at_unix": 1_700_000_000u64, "pid": pid, "name": "node", "role": "node",
            "last_rss_bytes": rss, "cause": "oom-killer", "evidence": "kernel log",
            "available_bytes": null, "psi_full_avg10": null, "top_then": "none"
        })
    };
    let dir = fx.root().join(".devtop");
    std::fs::create_dir_all(&dir).unwrap();
    let file = Value::Array(vec![
        record(10, Value::Null),
        record(11, 0.into()),
        record(12, 123_456_789u64.into()),
    ]);
    std::fs::write(dir.join("deaths.json"), file.to_string()).unwrap();
    let json = fx.status_json();
    let deaths = json["recent_deaths"].as_array().expect("recent_deaths");
    let rss: Vec<(u64, &Value)> = deaths
        .iter()
        .map(|d| (d["pid"].as_u64().unwrap(), &d["last_rss_bytes"]))
        .collect();
    assert_eq!(
        rss,
        [
            (10, &Value::Null),
            (11, &Value::Null),
            (12, &Value::from(123_456_789u64))
        ],
        "{json:#}"
    );
}
