#![allow(clippy::unwrap_used)]

use super::deploy::{Stage, deploy_order};
use super::inotify::{InotifyUsage, Watcher, inotify};
use super::*;
use crate::model::local_migrations::{LocalMigration, MigrationsDir};
use crate::model::memory::{MemorySnapshot, MemoryThresholds, Psi};
use crate::model::migrations::{AppliedRow, merge};
use std::path::Path;

fn check(status: Status) -> Check {
    Check::new(CheckId::Memory, status, "x")
}

#[test]
fn verdict_and_exit_codes() {
    let s = |st: &[Status]| Summary {
        target: "local".into(),
        checks: st.iter().map(|s| check(*s)).collect(),
        elapsed_ms: 0,
    };
    let pass = s(&[Status::Pass, Status::Info, Status::Skipped]);
    assert_eq!(pass.verdict(), Verdict::Pass);
    assert_eq!((pass.exit_code(false), pass.exit_code(true)), (0, 0));
    let warn = s(&[Status::Pass, Status::Warn]);
    assert_eq!(warn.verdict(), Verdict::Warn);
    assert_eq!((warn.exit_code(false), warn.exit_code(true)), (0, 1));
    let fail = s(&[Status::Warn, Status::Fail]);
    assert_eq!((fail.exit_code(false), fail.exit_code(true)), (1, 1));
    // A check that never ended is not a pass.
    assert_eq!(s(&[Status::Running]).verdict(), Verdict::Fail);
    assert_eq!(fail.counts(), (0, 1, 1, 0));
}

#[test]
fn ids_are_numbered_in_order() {
    for (i, id) in CheckId::ALL.iter().enumerate() {
        assert_eq!(usize::from(id.number()), i + 1);
    }
    assert_eq!(CheckId::DeployOrder.key(), "deploy-order");
    // The database checks keep the order of ALL.
    let in_all: Vec<CheckId> = CheckId::ALL
        .into_iter()
        .filter(|c| DATABASE_CHECKS.contains(c))
        .collect();
    assert_eq!(in_all, DATABASE_CHECKS);
    assert_eq!(count_noun(3, "heavy process"), "3 heavy processes");
    assert_eq!(count_noun(1, "hung migration"), "1 hung migration");
}

fn mem(avail_mib: u64, some: f64, full: f64, cgroup: Option<(u64, u64)>) -> MemorySnapshot {
    MemorySnapshot {
        total_bytes: 16 << 30,
        available_bytes: avail_mib << 20,
        swap_total_bytes: 0,
        swap_free_bytes: 0,
        cgroup: cgroup.map(|(cur, max)| crate::model::memory::CgroupMemory {
            current_bytes: cur << 20,
            max_bytes: Some(max << 20),
            path: "/user.slice".into(),
            inactive_file_bytes: 0,
            version: 2,
        }),
        psi: Some(Psi {
            some_avg10: some,
            some_avg60: 0.0,
            full_avg10: full,
            full_avg60: 0.0,
        }),
    }
}

#[test]
fn memory_pass_warn_fail() {
    let t = MemoryThresholds::default();
    let min = 500 << 20;
    assert_eq!(
        memory::memory(Some(&mem(4096, 0.0, 0.0, None)), None, min, &t).status,
        Status::Pass
    );
    assert_eq!(
        memory::memory(Some(&mem(800, 0.0, 0.0, None)), None, min, &t).status,
        Status::Warn
    );
    let low = memory::memory(Some(&mem(400, 0.0, 0.0, None)), None, min, &t);
    assert_eq!(low.status, Status::Fail);
    assert!(
        low.detail.iter().any(|d| d.contains("< 500 MiB required")),
        "{low:?}"
    );
    // The cgroup limit binds: 8 GiB free on the machine, 300 MiB left in the cgroup.
    let cg = memory::memory(
        Some(&mem(8192, 0.0, 0.0, Some((3796, 4096)))),
        None,
        min,
        &t,
    );
    assert_eq!(cg.status, Status::Fail);
    assert!(
        cg.detail.iter().any(|d| d.contains("cgroup headroom")),
        "{cg:?}"
    );
    let stall = memory::memory(Some(&mem(8192, 30.0, 12.0, None)), None, min, &t);
    assert_eq!(stall.status, Status::Fail);
    assert_eq!(
        memory::memory(None, Some("EACCES"), min, &t).status,
        Status::Fail
    );
}

#[test]
fn inotify_thresholds_and_top_watchers() {
    let u = |w: u64, i: u64| InotifyUsage {
        max_user_watches: Some(1000),
        max_user_instances: Some(100),
        watches: w,
        instances: i,
        top: vec![Watcher {
            pid: 7,
            name: "code".into(),
            instances: 2,
            watches: w,
        }],
        unreadable: 0,
    };
    assert_eq!(inotify(&u(100, 1)).status, Status::Pass);
    let warn = inotify(&u(800, 1));
    assert_eq!(warn.status, Status::Warn);
    assert!(warn.hint.as_deref().unwrap().contains("max_user_watches"));
    assert!(
        warn.detail
            .iter()
            .any(|d| d.contains("PID 7 code: 800 watches"))
    );
    let fail = inotify(&u(10, 99));
    assert_eq!(fail.status, Status::Fail);
    assert!(fail.hint.as_deref().unwrap().contains("max_user_instances"));
    assert_eq!(inotify(&InotifyUsage::default()).status, Status::Skipped);
}

fn local(names: &[&str]) -> MigrationsDir {
    MigrationsDir {
        exists: true,
        migrations: names
            .iter()
            .map(|n| LocalMigration {
                name: (*n).into(),
                checksums: vec![format!("sum-{n}")],
                error: None,
            })
            .collect(),
        ..MigrationsDir::absent(Path::new("prisma/migrations"))
    }
}

fn applied(names: &[&str], failed: Option<&str>) -> Vec<AppliedRow> {
    names
        .iter()
        .map(|n| AppliedRow {
            id: (*n).into(),
            checksum: format!("sum-{n}"),
            finished_at_ms: (failed != Some(*n)).then_some(1),
            migration_name: (*n).into(),
            logs: None,
            rolled_back_at_ms: None,
            started_at_ms: 1,
            applied_steps_count: 1,
        })
        .collect()
}

#[test]
fn deploy_order_requires_earlier_environments_first() {
    let dir = local(&["a", "b", "c"]);
    let staging = merge(&dir, Some(&applied(&["a", "b"], None)));
    let production = merge(&dir, Some(&applied(&["a"], None)));
    let order = vec!["staging".to_owned(), "production".to_owned()];
    let stage = |name, m| Stage {
        name,
        migrations: Some(m),
        why: "",
    };
    let stages = [stage("production", &production), stage("staging", &staging)];
    let c = deploy_order("production", &order, &stages);
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.detail.iter().any(|d| d.trim() == "c"), "{c:?}");
    assert!(
        !c.detail.iter().any(|d| d.trim() == "b"),
        "b is on staging: {c:?}"
    );
    // Staging first in the order: nothing before it.
    assert_eq!(
        deploy_order("staging", &order, &stages).status,
        Status::Pass
    );
    // Once staging has everything, production may go.
    let staging_all = merge(&dir, Some(&applied(&["a", "b", "c"], None)));
    let ok = [
        stage("production", &production),
        stage("staging", &staging_all),
    ];
    assert_eq!(deploy_order("production", &order, &ok).status, Status::Pass);
    // A blocked target fails even when staging is ahead.
    let blocked = merge(&dir, Some(&applied(&["a", "b"], Some("b"))));
    let b = [
        stage("production", &blocked),
        stage("staging", &staging_all),
    ];
    let c = deploy_order("production", &order, &b);
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.detail
            .iter()
            .any(|d| d.contains("blocked by failed migration b"))
    );
    // Staging unknown: cannot confirm.
    let unknown = [
        stage("production", &production),
        Stage {
            name: "staging",
            migrations: None,
            why: "staging: unreachable (timed out)",
        },
    ];
    let c = deploy_order("production", &order, &unknown);
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.detail
            .iter()
            .any(|d| d.contains("cannot confirm staging"))
    );
    // local (not in the order): skipped — `devtop preflight --strict` in a hook must not
    // fail on staging's state — with a look downstream as evidence.
    let local_view = merge(&dir, Some(&applied(&["a", "b", "c"], None)));
    let down = [
        stage("local", &local_view),
        stage("staging", &staging),
        stage("production", &blocked),
    ];
    let c = deploy_order("local", &order, &down);
    assert_eq!(c.status, Status::Skipped, "{c:?}");
    assert!(
        c.detail[0].starts_with("local is not in [deploy] order"),
        "{c:?}"
    );
    assert!(c.detail.iter().any(|d| d.contains("production is blocked")));
    assert_eq!(c.hint, None);
    // Every downstream environment up to date: skipped too, and says so.
    let all = [stage("local", &local_view), stage("staging", &staging_all)];
    let c = deploy_order("local", &order, &all);
    assert_eq!(c.status, Status::Skipped, "{c:?}");
    assert!(c.detail.iter().any(|d| d.contains("up to date")), "{c:?}");
}

#[test]
fn folder_problems_fail() {
    let mut dir = local(&["a"]);
    assert_eq!(
        folder::folder(&dir, "prisma/migrations").status,
        Status::Pass
    );
    dir.migrations[0].error = Some("migration.sql: not found".into());
    let c = folder::folder(&dir, "prisma/migrations");
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.detail
            .iter()
            .any(|d| d.contains("a: migration.sql: not found"))
    );
    assert_eq!(
        folder::folder(&MigrationsDir::absent(Path::new("m")), "m").status,
        Status::Fail
    );
}

#[test]
fn schema_from_cli_and_static() {
    use schema::{Validated, from_cli, static_check};
    assert_eq!(
        from_cli(&Validated::Valid, "prisma", "s").unwrap().status,
        Status::Pass
    );
    let bad = Validated::Invalid {
        exit: "exit 1".into(),
        lines: vec!["error: Argument \"provider\" is missing".into()],
    };
    let c = from_cli(&bad, "prisma", "s").unwrap();
    assert_eq!(c.status, Status::Fail);
    assert!(c.detail.iter().any(|d| d.contains("provider")));
    assert_eq!(
        from_cli(&Validated::TimedOut(4.5), "prisma", "s")
            .unwrap()
            .status,
        Status::Fail
    );
    assert!(from_cli(&Validated::CannotRun("x".into()), "prisma", "s").is_none());
    let parsed = crate::model::schema::parse(
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n",
    )
    .unwrap();
    let ok = static_check("s", true, Some(&parsed), &[], Some("postgresql"), "no CLI");
    assert_eq!(ok.status, Status::Pass);
    let mismatch = static_check("s", true, Some(&parsed), &[], Some("mysql"), "no CLI");
    assert_eq!(mismatch.status, Status::Fail);
    let empty = crate::model::schema::parse("model A {\n  id Int @id\n}\n").unwrap();
    assert_eq!(
        static_check("s", true, Some(&empty), &[], None, "no CLI").status,
        Status::Fail
    );
    assert_eq!(
        static_check("s", false, None, &[], None, "no CLI").status,
        Status::Fail
    );
}

/// A probed environment whose server answered "no such database" (`kind`), or another error.
fn env_with_error(
    kind: crate::model::db_error::DbErrorKind,
) -> crate::model::database::DbEnvSnapshot {
    let mut e = crate::model::database::DbEnvSnapshot::new("local", "DATABASE_URL");
    e.masked_url = Some("file:./dev.db".into());
    e.error = Some(crate::model::db_error::DbError::new(
        kind,
        "cannot open SQLite file",
    ));
    e
}

#[test]
fn a_database_that_does_not_exist_yet_warns_with_every_migration_pending() {
    use crate::model::db_error::DbErrorKind;
    let dir = local(&["a", "b"]);
    let env = env_with_error(DbErrorKind::NoDatabase);
    assert!(env.missing_database());
    let view = database::view(&dir, None, &env, None);
    let c = database::connection(&env, 5.0);
    assert_eq!(c.status, Status::Warn, "{c:?}");
    assert!(c.detail[0].contains(database::MISSING), "{c:?}");
    for c in [
        database::failed(&env, &view),
        database::lock(&env, &view),
        database::edited(&env, &view),
    ] {
        assert_eq!(c.status, Status::Pass, "{c:?}");
        assert!(c.detail[0].contains("does not exist yet"), "{c:?}");
    }
    let c = database::drift(&env, &view);
    assert_eq!(c.status, Status::Skipped, "{c:?}");
    assert!(c.detail[0].contains("does not exist yet"), "{c:?}");
    let c = database::pending(&env, &view);
    assert_eq!(c.status, Status::Info, "{c:?}");
    assert!(c.detail[0].contains("2 migrations to apply"), "{c:?}");
    assert_eq!(&c.detail[1..], ["  1. a", "  2. b"]);
    // The deploy order sees every migration pending on it.
    let m = view.migrations.as_ref().unwrap();
    assert_eq!(m.to_deploy(), ["a", "b"]);

    // An unreachable server is not a missing database: check 4 still fails, 8 is skipped.
    let down = env_with_error(DbErrorKind::Timeout);
    assert!(!down.missing_database());
    let view = database::view(&dir, None, &down, None);
    assert_eq!(database::connection(&down, 5.0).status, Status::Fail);
    assert_eq!(database::failed(&down, &view).status, Status::Skipped);
    assert_eq!(database::pending(&down, &view).status, Status::Skipped);
}

#[test]
fn a_silent_server_and_syn_sent_get_different_hints() {
    use crate::model::db_error::DbError;
    use std::time::Duration;
    let mut env = env_with_error(crate::model::db_error::DbErrorKind::Timeout);
    env.error = Some(DbError::no_handshake(
        "127.0.0.1:5432",
        Duration::from_secs(5),
    ));
    let c = database::connection(&env, 5.0);
    assert_eq!(c.status, Status::Fail);
    let hint = c.hint.unwrap();
    assert!(
        hint.contains("within 5 s: is this port a database?"),
        "{hint}"
    );
    assert!(!hint.contains("SYN_SENT"), "{hint}");
    env.error = Some(DbError::timeout(Duration::from_secs(5)));
    let hint = database::connection(&env, 5.0).hint.unwrap();
    assert!(hint.contains("SYN_SENT"), "{hint}");
}
