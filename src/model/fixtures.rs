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
    let cmd: Vec<String> = cmd.split_whitespace().map(str::to_owned).collect();
    ProcessInfo {
        pid,
        ppid: Some(ppid),
        name: name.into(),
        role: classify(name, &cmd),
        relation,
        state: 'S',
        start_time: 1_770_000_000 - age_s,
        start_ticks: 100_000_000 - age_s * 100,
        age_s,
        cpu_percent: cpu,
        rss_bytes: rss_mib * MIB,
        cwd: Some(PathBuf::from(format!("{ROOT}{cwd}"))),
        cmd,
        ports: vec![],
        max_old_space_mib: None,
        node_options: None,
        uid: Some(1000),
        pgrp: pid,
        tty_nr: 34816,
        cpu_time_s: f64::from(cpu) / 100.0 * age_s as f64,
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
    }
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
    }
}
