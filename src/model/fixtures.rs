//! Fixture snapshots modelled on the incident reports (seed 000: a runaway schema-engine, hung
//! migrates, Studio left open; seed 001: dev servers on 3010/3011). Used by the UI snapshot
//! tests, the update tests and the benches; deterministic (no clock, no /proc).

use crate::model::memory::{Assessment, MemorySnapshot, MemoryThresholds, Psi, assess};
use crate::model::process::{ProcessInfo, Relation, classify};
use crate::model::snapshot::{MemoryView, ProcessSnapshot};
use crate::model::suspects::{SuspectRules, evaluate};
use crate::model::tree::Scope;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// The fixture project root.
pub const ROOT: &str = "/home/dev/video-production-manager";

/// A matched, sleeping process of user 1000 with a terminal, classified from `cmd` (split on
/// whitespace), everything else zero or empty: the base the fixtures and tests adjust with
/// struct-update syntax.
pub fn process(pid: u32, ppid: u32, name: &str, cmd: &str) -> ProcessInfo {
    let cmd: Vec<String> = cmd.split_whitespace().map(str::to_owned).collect();
    ProcessInfo {
        pid,
        ppid: Some(ppid),
        name: name.into(),
        role: classify(name, &cmd),
        relation: Relation::Matched,
        state: 'S',
        start_time: 0,
        start_ticks: 0,
        age_s: 0,
        cpu_percent: 0.0,
        cpu_sampled: true,
        rss_bytes: 0,
        cwd: None,
        cmd,
        ports: vec![],
        max_old_space_mib: None,
        node_options: None,
        uid: Some(1000),
        pgrp: pid,
        tty_nr: 34816,
        sid: 1,
        session_leader_alive: true,
        cpu_time_s: 0.0,
        migrate_target: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn p(
    pid: u32,
    ppid: u32,
    name: &str,
    cmd: &str,
    relation: Relation,
    age_s: u64,
    cpu: f32,
    rss_mib: u64,
    cwd: &str,
) -> ProcessInfo {
    ProcessInfo {
        relation,
        start_time: 1_770_000_000 - age_s,
        start_ticks: 100_000_000 - age_s * 100,
        age_s,
        cpu_percent: cpu,
        rss_bytes: rss_mib * MIB,
        cwd: Some(PathBuf::from(format!("{ROOT}{cwd}"))),
        cpu_time_s: f64::from(cpu) / 100.0 * age_s as f64,
        ..process(pid, ppid, name, cmd)
    }
}

/// The processes of the fixture: a dev stack plus the seed-000 leftovers.
pub fn processes() -> Vec<ProcessInfo> {
    use Relation::{Ancestor as A, Descendant as D, Matched as M};
    let bin = format!("{ROOT}/api/node_modules/.bin");
    let mut v = vec![
        p(
            4100,
            4000,
            "npm run dev",
            "npm run dev",
            A,
            7200,
            0.0,
            52,
            "/web",
        ),
        p(
            4101,
            4100,
            "node",
            "node /home/dev/video-production-manager/web/node_modules/.bin/vite --port 3011",
            M,
            7199,
            1.2,
            310,
            "/web",
        ),
        p(
            4102,
            4101,
            "esbuild",
            "/home/dev/video-production-manager/web/node_modules/@esbuild/linux-x64/bin/esbuild --service=0.21.5 --ping",
            D,
            7198,
            0.1,
            24,
            "/web",
        ),
        p(
            4200,
            4000,
            "node",
            &format!("node {bin}/tsx watch src/index.ts"),
            M,
            7000,
            0.3,
            88,
            "/api",
        ),
        p(
            4201,
            4200,
            "node",
            "node --require /home/dev/video-production-manager/api/node_modules/tsx/dist/preflight.cjs --import file:///home/dev/video-production-manager/api/node_modules/tsx/dist/loader.mjs src/index.ts",
            M,
            6990,
            2.5,
            412,
            "/api",
        ),
        p(
            26833,
            1,
            "schema-engine-d",
            "/home/dev/video-production-manager/api/node_modules/@prisma/engines/schema-engine-debian-openssl-3.0.x --datamodels prisma/schema.prisma",
            M,
            40 * 3600 + 720,
            103.7,
            1210,
            "/api",
        ),
        p(
            48424,
            4300,
            "node",
            &format!("node {bin}/prisma studio --port 5555"),
            M,
            5 * 3600,
            0.4,
            690,
            "/api",
        ),
        p(
            50257,
            4301,
            "node",
            &format!("node {bin}/prisma migrate dev --name add_uuid_and_field_versions"),
            M,
            3 * 3600,
            0.0,
            140,
            "/api",
        ),
        p(
            58205,
            4302,
            "node",
            &format!("node {bin}/prisma migrate dev --name add_field_versions"),
            M,
            95,
            0.7,
            131,
            "/api",
        ),
        p(
            58230,
            58205,
            "schema-engine-d",
            "/home/dev/video-production-manager/api/node_modules/@prisma/engines/schema-engine-debian-openssl-3.0.x --datamodels prisma/schema.prisma",
            D,
            94,
            12.0,
            64,
            "/api",
        ),
    ];
    v[1].ports = vec![3011];
    v[4].ports = vec![3010];
    v[4].node_options = Some("--max-old-space-size=4096".into());
    v[4].max_old_space_mib = Some(4096);
    v[2].role = crate::model::process::Role::Other;
    v[5].tty_nr = 0;
    v[6].ports = vec![5555];
    v.sort_by_key(|p| p.pid);
    v
}

/// A process snapshot of [`processes`] with the suspects the default rules find.
pub fn process_snapshot() -> ProcessSnapshot {
    let procs = processes();
    let suspects = evaluate(&procs, &HashMap::new(), &SuspectRules::default(), &|pid| {
        (pid == 1).then(|| "init".to_owned())
    });
    ProcessSnapshot {
        taken_at: SystemTime::UNIX_EPOCH + Duration::from_secs(1_770_000_000),
        processes: procs,
        suspects,
        scope: Scope::Project,
        root: PathBuf::from(ROOT),
        scanned: 312,
        cpu_ready: true,
        server_members: Default::default(),
    }
}

/// [`process_snapshot`] with 23 vite workers below the vite server (PID 4101; workers
/// 4110..=4132, 40 MiB each) and one more child of another user (PID 4133, uid 0): `x` on 4101
/// plans 25 kills and leaves one process alone — a kill dialog taller than 80x24.
pub fn crowded_snapshot() -> ProcessSnapshot {
    let mut snap = process_snapshot();
    for pid in 4110..=4133u32 {
        let worker = ProcessInfo {
            relation: Relation::Descendant,
            rss_bytes: 40 * MIB,
            age_s: 7000,
            cwd: Some(PathBuf::from(format!("{ROOT}/web"))),
            uid: if pid == 4133 { Some(0) } else { Some(1000) },
            ..process(pid, 4101, "node", "node vite-worker.js")
        };
        snap.processes.push(worker);
    }
    snap.processes.sort_by_key(|p| p.pid);
    snap
}

/// A memory reading with the given MemAvailable (GiB) and PSI some/full avg10 (percent).
pub fn memory(available_gib: f64, some_avg10: f64, full_avg10: f64) -> MemoryView {
    let snap = MemorySnapshot {
        total_bytes: 16 * GIB,
        available_bytes: (available_gib * GIB as f64) as u64,
        swap_total_bytes: 2 * GIB,
        swap_free_bytes: GIB + 512 * MIB,
        cgroup: None,
        psi: Some(Psi {
            some_avg10,
            some_avg60: some_avg10 / 2.0,
            full_avg10,
            full_avg60: full_avg10 / 2.0,
        }),
    };
    let assessment: Assessment = assess(&snap, &MemoryThresholds::default());
    let start = snap.available_bytes + 2 * GIB;
    MemoryView {
        sparkline: (0..60u64).map(|i| start - i * (2 * GIB / 60)).collect(),
        exhaustion_s: Some(1500.0),
        assessment: Some(assessment),
        snapshot: Some(snap),
        error: None,
        cpu: Some(crate::model::cpu::CpuLoad {
            load1: 1.52,
            load5: 1.2,
            load15: 0.98,
            busy_percent: Some(37.5),
            cores: 8,
        }),
        t_s: 0.0,
        guard: None,
    }
}

/// Seed 004's three environments: local up to date but for one pending migration (and seed
/// 003's drift: schema.prisma declares `cameras.uuid`, the table lacks it), staging three
/// behind, production blocked by a failed migration and its migrate lock held by a stuck run;
/// plus an unreachable QA database. Returns the database snapshot, the local folder and the
/// Prisma project.
pub fn databases() -> (
    crate::model::database::DbSnapshot,
    crate::model::local_migrations::MigrationsDir,
    crate::prisma::project::PrismaProject,
) {
    use crate::model::database::{AppliedState, DbEnvSnapshot, DbSnapshot, DbStatus};
    use crate::model::db_error::{DbError, DbErrorKind};
    use crate::model::db_health::{Health, LockHolder};
    use crate::model::local_migrations::{LocalMigration, MigrationsDir};
    use crate::model::migrations::AppliedRow;
    use crate::model::provider::Provider;
    let names = [
        "20250801090000_init",
        "20250820100000_add_ccus",
        "20250917120000_add_personal_models",
        "20250930080000_add_analytics_events",
        "20251011000000_fix_personal_model_schema",
        "20251104150000_add_uuid_to_cameras",
    ];
    let sum = |i: usize| format!("{:064x}", i + 1);
    let local = MigrationsDir {
        path: PathBuf::from(format!("{ROOT}/api/prisma/migrations")),
        exists: true,
        migrations: names
            .iter()
            .enumerate()
            .map(|(i, n)| LocalMigration {
                name: (*n).into(),
                checksums: vec![sum(i)],
                error: None,
            })
            .collect(),
        lock_provider: Some("postgresql".into()),
        problems: vec![],
        unreadable: None,
    };
    let day = 86_400_000_i64;
    let base = 1_754_038_800_000_i64;
    let rows = |applied: usize, failed: Option<usize>| -> Vec<AppliedRow> {
        (0..failed.map_or(applied, |f| f + 1))
            .map(|i| AppliedRow {
                id: format!("id-{i}"),
                checksum: sum(i),
                finished_at_ms: (failed != Some(i)).then_some(base + i as i64 * 12 * day + 1500),
                migration_name: names[i].into(),
                logs: (failed == Some(i)).then(|| "Database error code: 42P07\nERROR: relation \"personal_models\" already exists".into()),
                rolled_back_at_ms: None,
                started_at_ms: base + i as i64 * 12 * day,
                applied_steps_count: i64::from(failed != Some(i)),
            })
            .collect()
    };
    let health = |ms: f64, conns: i64| Health {
        latency_ms: ms,
        version: "PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64-pc-linux-gnu".into(),
        connections: Some((conns, 100)),
        oldest_query_s: Some(3.0),
        lock_waiters: Some(0),
    };
    let mut cols: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for (t, c) in [
        ("cameras", "id name ccu_id"),
        ("ccus", "id name"),
        ("personal_models", "id model_type version"),
        ("analytics_events", "id event_type"),
    ] {
        cols.insert(t.into(), c.split(' ').map(String::from).collect());
    }
    let env = |name: &str, var: &str, url: &str, h: Health, applied: AppliedState| DbEnvSnapshot {
        masked_url: Some(url.into()),
        provider: Some(Provider::Postgres),
        status: DbStatus::Up,
        health: Some(h),
        last_success: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_770_000_000)),
        history: (0..40).map(|i| Some(2.0 + f64::from(i % 7))).collect(),
        applied,
        columns: Some(cols.clone()),
        ..DbEnvSnapshot::new(name, var)
    };
    let local_env = env(
        "local",
        "DATABASE_URL",
        "postgresql://dev:***@127.0.0.1:5432/vpm",
        health(0.8, 7),
        AppliedState::Rows(rows(5, None)),
    );
    let staging = env(
        "staging",
        "STAGING_DATABASE_URL",
        "postgresql://app:***@staging.db.example:5432/app",
        health(38.2, 21),
        AppliedState::Rows(rows(3, None)),
    );
    let mut production = env(
        "production",
        "PRODUCTION_DATABASE_URL",
        "postgresql://app:***@prod.db.example:5432/app",
        health(41.7, 64),
        AppliedState::Rows(rows(2, Some(2))),
    );
    if let Some(h) = production.health.as_mut() {
        h.oldest_query_s = Some(663.0);
        h.lock_waiters = Some(2);
    }
    production.lock = Some(LockHolder {
        pid: Some(4242),
        client_addr: Some("10.0.0.5".into()),
        client_port: Some(51234),
        held_s: Some(663.0),
        query: Some("SELECT pg_advisory_lock(72707369)".into()),
        application_name: None,
    });
    let qa = DbEnvSnapshot {
        masked_url: Some("postgresql://app:***@qa.db.example:25060/app".into()),
        provider: Some(Provider::Postgres),
        status: DbStatus::Down,
        error: Some(DbError {
            kind: DbErrorKind::Timeout,
            message: "no answer within 5 s".into(),
        }),
        history: (0..40)
            .map(|i| if i < 30 { Some(30.0) } else { None })
            .collect(),
        retry_in_s: Some(40.0),
        last_success: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_770_000_000 - 600)),
        ..DbEnvSnapshot::new("qa", "QA_DATABASE_URL")
    };
    let mut project = crate::prisma::project::PrismaProject {
        schema_path: PathBuf::from(format!("{ROOT}/api/prisma/schema.prisma")),
        migrations_dir: local.path.clone(),
        url_env: "DATABASE_URL".into(),
        ..Default::default()
    };
    project.schema = crate::model::schema::parse(
        "model Camera {\n  id Int @id\n  name String\n  ccuId Int? @map(\"ccu_id\")\n  uuid String @unique\n  @@map(\"cameras\")\n}\n",
    )
    .ok();
    (
        DbSnapshot {
            envs: vec![local_env, staging, production, qa],
        },
        local,
        project,
    )
}
