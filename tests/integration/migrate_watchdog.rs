//! The guarded migrate's watchdog report (issue 11, auditor's findings): the hung message
//! names who holds the target's migrate lock ("lock held by pid N", the local process found
//! by its client port), the report afterwards says whether the lock is still held, and a
//! schema-engine that left the run's process group (`setsid`) is ended too, not left behind.

use crate::common::{Fixture, devtop_command, run_command, wait_until};
use crate::db_common::{PgTestDb, skip};
use crate::migrate_guarded::{have_sqlite3, migrate, project, state};
use std::time::Duration;

/// Holds Prisma's PostgreSQL migrate lock through `psql` (its PID in `psql.pid`), then idles
/// in a `\!` shell escape: a hung migrate that holds the lock.
const HOLD_AND_HANG: &str = r#"#!/bin/sh
printf 'SELECT pg_advisory_lock(72707369);\n\\! sleep 600\n' | psql -q -X "$DATABASE_URL" &
echo $! > psql.pid
wait
"#;

/// Hangs with a schema-engine (a copy of `sleep`) that left the run's process group.
const HANG_SETSID: &str = r#"#!/bin/sh
echo "Prisma schema loaded from prisma/schema.prisma"
setsid ./bin/schema-engine 600 &
echo $! > engine.pid
wait
"#;

fn read_pid(path: &std::path::Path) -> u32 {
    std::fs::read_to_string(path)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hung_message_names_the_lock_holder_and_the_report_its_release() {
    let have_psql = std::process::Command::new("psql")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_psql {
        return skip(
            "the_hung_message_names_the_lock_holder_and_the_report_its_release",
            "no psql",
        );
    }
    let Some(db) = PgTestDb::create("migrate_hung_lock").await else {
        return;
    };
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    let root = fx.root();
    std::fs::create_dir_all(root.join("prisma/migrations")).expect("dirs");
    std::fs::write(
        root.join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n",
    )
    .expect("schema");
    std::fs::write(root.join("hold.sh"), HOLD_AND_HANG).expect("script");
    fx.write_config(
        "grace = \"1s\"\nscope = \"project\"\n[prisma]\nmigrate = [\"sh\", \"hold.sh\"]\n[migrate]\nhang_after = \"2s\"\n[preflight]\nmin_available = \"1MiB\"\n[memory]\npsi_warn_some_avg10 = 100\npsi_critical_full_avg10 = 100\n",
    );
    let (url, dir) = (db.url.clone(), root.to_string_lossy().into_owned());
    let run = tokio::task::spawn_blocking(move || {
        let args = vec![
            "migrate".to_owned(),
            "--yes".into(),
            "--project".into(),
            dir,
        ];
        let mut cmd = devtop_command();
        cmd.env("DATABASE_URL", &url).args(&args);
        run_command(&mut cmd, args)
    })
    .await
    .expect("run");
    let psql = read_pid(&root.join("psql.pid"));
    assert!(
        run.stdout.contains(&format!(
            "hung: no output and no CPU for 2 s; lock held by pid {psql} (processes: "
        )),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("local: after ending the run: migrate lock not held"),
        "{run}"
    );
    assert!(
        run.stdout.contains("no process of the run is left"),
        "{run}"
    );
    assert_eq!(run.code, Some(1), "{run}");
    assert!(state(psql).is_none_or(|s| s == 'Z'), "psql {psql} left");
}

#[test]
fn a_schema_engine_that_left_the_group_is_ended_too() {
    if !have_sqlite3() {
        return skip(
            "a_schema_engine_that_left_the_group_is_ended_too",
            "no sqlite3 CLI",
        );
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, HANG_SETSID, "2s");
    let run = migrate(&fx, &["--yes"]);
    let engine = read_pid(&fx.root().join("engine.pid"));
    // Whatever happened, the engine does not outlive the test.
    let gone = wait_until(Duration::from_secs(5), || {
        state(engine).is_none_or(|s| s == 'Z')
    });
    if !gone {
        fx.track(engine);
        fx.kill_all();
    }
    assert!(gone, "engine {engine} left behind: {run}");
    assert!(
        run.stdout.contains(&format!(
            "ended what had left the run's process group: {engine} schema-engine"
        )),
        "{run}"
    );
    assert!(
        run.stdout.contains("no process of the run is left"),
        "{run}"
    );
    assert!(!run.stdout.contains("left behind"), "{run}");
    // The quiet time is never rounded past the run's duration.
    let quiet: u64 = run
        .stdout
        .split("no output and no CPU for ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("quiet figure");
    let after: f64 = run
        .stdout
        .split("ended after ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("duration figure");
    assert!(quiet as f64 <= after, "{run}");
    assert_eq!(run.code, Some(1), "{run}");
}

/// `(MemTotal, MemAvailable)` in MiB, from /proc/meminfo.
fn meminfo_mib() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib = |key: &str| -> Option<u64> {
        text.lines()
            .find(|l| l.starts_with(key))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((kib("MemTotal:")? / 1024, kib("MemAvailable:")? / 1024))
}

/// Memory critical for real: `[memory] critical_available` above the machine's MemAvailable
/// (and at most its RAM, as the config requires) makes every reading of the run's watchdog
/// critical — the run is called hung at once and ended with its engine, although it has
/// `hang_after = 60s` to go.
#[test]
fn critical_memory_ends_the_run_through_the_real_watchdog() {
    use crate::migrate_guarded::HANG;
    if !have_sqlite3() {
        return skip(
            "critical_memory_ends_the_run_through_the_real_watchdog",
            "no sqlite3 CLI",
        );
    }
    let Some((total, avail)) = meminfo_mib() else {
        return skip(
            "critical_memory_ends_the_run_through_the_real_watchdog",
            "no /proc/meminfo",
        );
    };
    // Halfway between what is available and the RAM: critical now, and still below the
    // RAM after the preflight read moments later (a margin of (total - avail) / 2).
    let critical = avail + (total - avail) / 2;
    if total.saturating_sub(avail) < 64 {
        return skip(
            "critical_memory_ends_the_run_through_the_real_watchdog",
            "MemAvailable is too close to MemTotal to place a threshold between",
        );
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, HANG, "60s");
    // [memory] is the config's last table: the thresholds join it.
    let config = std::fs::read_to_string(fx.root().join("devtop.toml")).expect("config");
    fx.write_config(&format!(
        "{config}warn_available = \"{total}MiB\"\ncritical_available = \"{critical}MiB\"\n"
    ));
    let run = migrate(&fx, &["--yes"]);
    // The watchdog's first sample may come before the script has started its engine.
    if let Ok(text) = std::fs::read_to_string(fx.root().join("engine.pid")) {
        let engine: u32 = text.trim().parse().expect("pid");
        let gone = wait_until(Duration::from_secs(5), || {
            state(engine).is_none_or(|s| s == 'Z')
        });
        if !gone {
            fx.track(engine);
            fx.kill_all();
        }
        assert!(gone, "engine {engine} left behind: {run}");
    }
    assert!(run.stdout.contains("hung: memory critical: "), "{run}");
    assert!(
        run.stdout.contains("result: hung (memory critical: "),
        "{run}"
    );
    assert!(
        run.stdout.contains("no process of the run is left"),
        "{run}"
    );
    assert_eq!(run.code, Some(1), "{run}");
}
