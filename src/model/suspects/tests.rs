//! Suspect rules on fixture process data modelled on seed 000 (seven stuck Prisma processes).
#![allow(clippy::unwrap_used)]

use super::*;
use std::path::PathBuf;

fn p(pid: u32, ppid: u32, name: &str, cmd: &str, age_s: u64, cpu_time_s: f64) -> ProcessInfo {
    ProcessInfo {
        start_ticks: u64::from(pid),
        age_s,
        rss_bytes: 100 << 20,
        cwd: Some(PathBuf::from("/app/api")),
        cpu_time_s,
        ..crate::model::fixtures::process(pid, ppid, name, cmd)
    }
}

const MIGRATE: &str = "node /app/node_modules/.bin/prisma migrate dev --name add_uuid";
const ENGINE: &str = "/app/node_modules/@prisma/engines/schema-engine-debian-openssl-3.0.x";

fn run(procs: &[ProcessInfo], cpu: &HashMap<u32, CpuHistory>) -> Vec<Suspect> {
    evaluate(procs, cpu, &SuspectRules::default(), &|pid| {
        (pid == 1).then(|| "init".to_owned())
    })
}

fn kinds(s: &[Suspect]) -> Vec<(u32, SuspectKind)> {
    s.iter().map(|s| (s.pid, s.kind)).collect()
}

fn history(points: &[(f64, f64)]) -> CpuHistory {
    let mut h = CpuHistory::default();
    for &(t, c) in points {
        h.push(t, c);
    }
    h
}

#[test]
fn cpu_history_window_average() {
    let h = history(&[(0.0, 0.0), (10.0, 5.0), (20.0, 5.0), (40.0, 5.0)]);
    assert_eq!(h.watched_s(), 40.0);
    assert!((h.avg_percent(30.0).unwrap() - 0.0).abs() < 1e-9);
    assert!((h.avg_percent(100.0).unwrap() - 12.5).abs() < 1e-9);
    assert_eq!(history(&[(0.0, 1.0)]).avg_percent(30.0), None);
}

#[test]
fn hung_migrate_needs_age_and_idle_cpu() {
    // 41 minutes old, 0.4 s CPU in its whole life: hung (one-shot judgement: lifetime average).
    let hung = p(50257, 900, "node", MIGRATE, 41 * 60, 0.4);
    let s = run(std::slice::from_ref(&hung), &HashMap::new());
    assert_eq!(kinds(&s), vec![(50257, SuspectKind::HungMigrate)]);
    assert!(
        s[0].reason.contains("prisma migrate dev"),
        "{}",
        s[0].reason
    );
    assert!(s[0].reason.contains("41m"), "{}", s[0].reason);
    // Young: not yet.
    let young = p(1, 900, "node", MIGRATE, 60, 0.0);
    assert!(run(&[ProcessInfo { pid: 2, ..young }], &HashMap::new()).is_empty());
    // Watched for 30 s and busy over that window: not hung even if the lifetime average is low.
    let mut cpu = HashMap::new();
    cpu.insert(50257, history(&[(0.0, 0.4), (15.0, 3.4), (30.0, 6.4)]));
    assert!(run(std::slice::from_ref(&hung), &cpu).is_empty());
    // Watched 30 s, idle: hung.
    cpu.insert(50257, history(&[(0.0, 0.4), (15.0, 0.4), (30.0, 0.41)]));
    assert_eq!(
        kinds(&run(&[hung], &cpu)),
        vec![(50257, SuspectKind::HungMigrate)]
    );
}

#[test]
fn hung_reason_names_prisma_whatever_its_path() {
    // pnpm's store layout: the CLI is `node …/.pnpm/prisma@…/node_modules/prisma/build/index.js`.
    let pnpm = "node ./node_modules/.bin/../.pnpm/prisma@7.10.1_@types+node@26.6.6/node_modules/prisma/build/index.js migrate dev --name init";
    let s = run(&[p(7, 900, "node", pnpm, 41 * 60, 0.4)], &HashMap::new());
    assert_eq!(kinds(&s), vec![(7, SuspectKind::HungMigrate)]);
    assert!(
        s[0].reason
            .starts_with("prisma migrate dev --name init running"),
        "{}",
        s[0].reason
    );
}

#[test]
fn migrate_waiting_on_busy_engine_is_not_hung() {
    let m = p(100, 900, "node", MIGRATE, 300, 0.3);
    let e = p(101, 100, "schema-engine-d", ENGINE, 300, 270.0);
    let s = run(&[m, e], &HashMap::new());
    assert_eq!(kinds(&s), vec![(101, SuspectKind::RunawayEngine)]);
}

#[test]
fn runaway_engine_by_cpu_or_age() {
    // Seed 000: schema-engine at 103.7 % CPU for 40 hours.
    let hot = p(
        26833,
        1,
        "schema-engine-d",
        ENGINE,
        40 * 3600,
        40.0 * 3600.0 * 1.037,
    );
    let s = run(&[ProcessInfo { tty_nr: 0, ..hot }], &HashMap::new());
    assert_eq!(kinds(&s), vec![(26833, SuspectKind::RunawayEngine)]);
    assert!(
        s[0].reason.contains("at 103.7% CPU on lifetime average"),
        "{}",
        s[0].reason
    );
    // Idle but older than an hour.
    let old = p(7, 900, "schema-engine", ENGINE, 2 * 3600, 1.0);
    assert!(
        run(&[old], &HashMap::new())[0]
            .reason
            .contains("older than 1h")
    );
    // Young and idle: fine.
    let fine = p(8, 900, "schema-engine", ENGINE, 30, 0.1);
    assert!(run(&[fine], &HashMap::new()).is_empty());
    // Watched for the whole window: the window decides, not the lifetime average.
    let burst = p(9, 900, "schema-engine", ENGINE, 600, 5.0);
    let mut cpu = HashMap::new();
    cpu.insert(9, history(&[(0.0, 5.0), (30.0, 35.0), (60.0, 65.0)]));
    assert_eq!(
        kinds(&run(&[burst], &cpu)),
        vec![(9, SuspectKind::RunawayEngine)]
    );
}

#[test]
fn concurrent_migrate_counts_runs_not_engines() {
    let m1 = p(100, 900, "node", MIGRATE, 10, 1.0);
    let e1 = p(101, 100, "schema-engine", ENGINE, 10, 0.5);
    let one = run(&[m1.clone(), e1.clone()], &HashMap::new());
    assert!(one.is_empty(), "{one:?}");
    let m2 = p(
        200,
        901,
        "node",
        "node /app/node_modules/.bin/prisma migrate deploy",
        5,
        0.5,
    );
    let two = run(&[m1, e1, m2], &HashMap::new());
    assert_eq!(
        kinds(&two),
        vec![
            (100, SuspectKind::ConcurrentMigrate),
            (200, SuspectKind::ConcurrentMigrate)
        ]
    );
    assert!(two[0].reason.contains("2 migrate runs"));
    // The newest run (greatest start time) waits for the lock: a warning; the older one is
    // the suspect K ends.
    assert_eq!((two[0].pid, two[0].severity), (100, Severity::Suspect));
    assert_eq!((two[1].pid, two[1].severity), (200, Severity::Warn));
}

#[test]
fn concurrent_migrate_is_per_database() {
    let target = |t: &str| Some(t.to_owned());
    let a = ProcessInfo {
        migrate_target: target("project /work/a"),
        ..p(100, 900, "node", MIGRATE, 10, 1.0)
    };
    let b = ProcessInfo {
        migrate_target: target("project /work/b"),
        ..p(200, 901, "node", MIGRATE, 5, 1.0)
    };
    assert!(run(&[a.clone(), b.clone()], &HashMap::new()).is_empty());
    let shared = |p: ProcessInfo| ProcessInfo {
        migrate_target: target("database postgresql://127.0.0.1:5432/app"),
        ..p
    };
    let s = run(&[shared(a), shared(b)], &HashMap::new());
    assert_eq!(s.len(), 2);
    assert!(
        s[0].reason
            .contains("against database postgresql://127.0.0.1:5432/app"),
        "{}",
        s[0].reason
    );
}

#[test]
fn hung_judgement_ignores_start_up_cpu() {
    // Prisma 7's CLI spends ~0.85 s of CPU starting: 8 s old, threshold 5 s.
    let rules = SuspectRules {
        hung_migrate_after_s: 5.0,
        ..SuspectRules::default()
    };
    let judge = |procs: &[ProcessInfo], cpu: &HashMap<u32, CpuHistory>| {
        kinds(&evaluate(procs, cpu, &rules, &|_| None))
    };
    let m = p(100, 900, "node", MIGRATE, 8, 0.85);
    // No sample past the threshold yet: the lifetime average (10 %) says busy.
    assert!(judge(std::slice::from_ref(&m), &HashMap::new()).is_empty());
    // Three idle seconds sampled after the threshold: hung, whatever start-up cost.
    let mut cpu = HashMap::new();
    cpu.insert(
        100,
        history(&[(0.0, 0.85), (1.0, 0.85), (2.0, 0.85), (3.0, 0.85)]),
    );
    assert_eq!(
        judge(std::slice::from_ref(&m), &cpu),
        vec![(100, SuspectKind::HungMigrate)]
    );
    // Its engine working over that window: not hung.
    let e = p(101, 100, "schema-engine", ENGINE, 7, 0.5);
    cpu.insert(101, history(&[(0.0, 0.2), (3.0, 0.5)]));
    assert!(judge(&[m.clone(), e.clone()], &cpu).is_empty());
    // Its output moving: not hung; a few bytes of event-loop wake-ups do not count.
    cpu.insert(101, history(&[(0.0, 0.5), (3.0, 0.5)]));
    let mut h = history(&[(0.0, 0.85), (3.0, 0.85)]);
    h.push_written(0.0, 1000);
    h.push_written(3.0, 1008);
    cpu.insert(100, h.clone());
    assert_eq!(
        judge(&[m.clone(), e.clone()], &cpu),
        vec![(100, SuspectKind::HungMigrate)]
    );
    h.push_written(3.0, 1500);
    cpu.insert(100, h);
    assert!(judge(&[m, e], &cpu).is_empty());
}

#[test]
fn one_shot_sampling_waits_for_a_migrate_past_the_threshold() {
    let rules = SuspectRules {
        hung_migrate_after_s: 5.0,
        ..SuspectRules::default()
    };
    let m = p(100, 900, "node", MIGRATE, 30, 0.85);
    let mut cpu = HashMap::new();
    cpu.insert(100, history(&[(0.0, 0.85), (1.0, 0.85)]));
    assert!(crate::model::migrate_rules::wants_longer_sample(
        std::slice::from_ref(&m),
        &cpu,
        &rules
    ));
    cpu.insert(100, history(&[(0.0, 0.85), (3.0, 0.85)]));
    assert!(!crate::model::migrate_rules::wants_longer_sample(
        std::slice::from_ref(&m),
        &cpu,
        &rules
    ));
    let young = p(100, 900, "node", MIGRATE, 1, 0.85);
    assert!(!crate::model::migrate_rules::wants_longer_sample(
        &[young],
        &HashMap::new(),
        &rules
    ));
}

#[test]
fn zombie_points_at_parent() {
    let parent = p(
        300,
        900,
        "node",
        "node /app/node_modules/.bin/tsx watch src/index.ts",
        100,
        1.0,
    );
    let z = ProcessInfo {
        state: 'Z',
        relation: Relation::Descendant,
        ..p(301, 300, "node", "", 50, 0.0)
    };
    let s = run(&[parent.clone(), z.clone()], &HashMap::new());
    assert_eq!(kinds(&s), vec![(301, SuspectKind::Zombie)]);
    assert_eq!(s[0].kill_pid, 300);
    // Just seen: the parent may reap it any moment, so warn only (not part of "kill all").
    assert_eq!(s[0].severity, Severity::Warn);
    let mut cpu = HashMap::new();
    cpu.insert(301, history(&[(0.0, 0.0), (12.0, 0.0)]));
    let lasting = run(&[parent, z], &cpu);
    assert_eq!(lasting[0].severity, Severity::Suspect);
    assert!(
        lasting[0].reason.contains("for 12s+"),
        "{}",
        lasting[0].reason
    );
    assert!(
        s[0].reason.contains("parent PID 300 (tsx node)"),
        "{}",
        s[0].reason
    );
}

#[test]
fn zombie_of_init_is_a_warning_with_container_advice() {
    let z = ProcessInfo {
        state: 'Z',
        relation: Relation::Descendant,
        ..p(301, 1, "node", "", 50, 0.0)
    };
    let mut cpu = HashMap::new();
    cpu.insert(301, history(&[(0.0, 0.0), (60.0, 0.0)]));
    let s = run(&[z], &cpu);
    assert_eq!(kinds(&s), vec![(301, SuspectKind::Zombie)]);
    assert_eq!(s[0].severity, Severity::Warn, "never a K target");
    assert_eq!(s[0].kill_pid, 301, "never PID 1");
    assert!(s[0].advice.contains("--init"), "{}", s[0].advice);
}

#[test]
fn orphan_needs_adoption_and_no_tty() {
    let vite = "node /app/node_modules/.bin/vite --port 3011";
    let orphan = ProcessInfo {
        tty_nr: 0,
        sid: 390,
        session_leader_alive: false,
        ..p(400, 1, "node", vite, 3600, 2.0)
    };
    assert_eq!(
        kinds(&run(std::slice::from_ref(&orphan), &HashMap::new())),
        vec![(400, SuspectKind::Orphan)]
    );
    let with_tty = ProcessInfo {
        tty_nr: 34816,
        ..orphan.clone()
    };
    assert!(run(&[with_tty], &HashMap::new()).is_empty());
    // A daemon leading its own session (pm2, an editor's server) is not an orphan.
    let daemon = ProcessInfo {
        sid: 400,
        ..orphan.clone()
    };
    assert!(run(&[daemon], &HashMap::new()).is_empty());
    // Nor one whose terminal's shell is still there.
    let live_session = ProcessInfo {
        session_leader_alive: true,
        ..orphan.clone()
    };
    assert!(run(&[live_session], &HashMap::new()).is_empty());
    // Nor a plain node host (VS Code server, a pm2 app).
    let node_host = ProcessInfo {
        role: Role::Node,
        ..orphan.clone()
    };
    assert!(run(&[node_host], &HashMap::new()).is_empty());
    let under_subreaper = ProcessInfo {
        ppid: Some(77),
        ..orphan.clone()
    };
    let s = evaluate(
        std::slice::from_ref(&under_subreaper),
        &HashMap::new(),
        &SuspectRules::default(),
        &|pid| (pid == 77).then(|| "systemd".to_owned()),
    );
    assert_eq!(kinds(&s), vec![(400, SuspectKind::Orphan)]);
    let under_shell = evaluate(
        &[under_subreaper],
        &HashMap::new(),
        &SuspectRules::default(),
        &|_| Some("bash".to_owned()),
    );
    assert!(under_shell.is_empty());
}

#[test]
fn duplicate_servers_same_cwd() {
    let tsx = "node /app/node_modules/.bin/tsx watch src/index.ts";
    let a = p(500, 900, "node", tsx, 600, 3.0);
    let b = p(510, 901, "node", tsx, 60, 1.0);
    // tsx's own loader child (no `watch` word) is not a second server.
    let child = p(
        501,
        500,
        "node",
        "node --import file:///app/node_modules/tsx/dist/loader.mjs src/index.ts",
        600,
        3.0,
    );
    assert!(run(&[a.clone(), child.clone()], &HashMap::new()).is_empty());
    let s = run(&[a, child, b], &HashMap::new());
    assert_eq!(kinds(&s), vec![(510, SuspectKind::DuplicateServer)]);
    assert!(s[0].reason.contains("first: PID 500"));
    let v1 = p(
        600,
        900,
        "node",
        "node /app/node_modules/.bin/vite",
        60,
        1.0,
    );
    let v2 = ProcessInfo {
        cwd: Some(PathBuf::from("/app/web")),
        ..p(
            610,
            900,
            "node",
            "node /app/node_modules/.bin/vite",
            60,
            1.0,
        )
    };
    assert!(run(&[v1, v2], &HashMap::new()).is_empty());
}

#[test]
fn studio_policy() {
    let studio = ProcessInfo {
        ports: vec![5555],
        ..p(
            48424,
            900,
            "node",
            "node /app/node_modules/.bin/prisma studio --port 5555",
            7200,
            10.0,
        )
    };
    let warn = run(std::slice::from_ref(&studio), &HashMap::new());
    assert_eq!(kinds(&warn), vec![(48424, SuspectKind::Studio)]);
    assert_eq!(warn[0].severity, Severity::Warn);
    assert!(warn[0].reason.contains("port 5555"));
    let rules = SuspectRules {
        studio: StudioPolicy::Suspect,
        ..SuspectRules::default()
    };
    assert_eq!(
        evaluate(
            std::slice::from_ref(&studio),
            &HashMap::new(),
            &rules,
            &|_| None
        )[0]
        .severity,
        Severity::Suspect
    );
    let rules = SuspectRules {
        studio: StudioPolicy::Ignore,
        ..SuspectRules::default()
    };
    assert!(evaluate(&[studio], &HashMap::new(), &rules, &|_| None).is_empty());
}

#[test]
fn seed_000_seven_processes() {
    // The incident: one runaway engine, five hung migrates, one studio.
    let mut procs = vec![
        ProcessInfo {
            tty_nr: 0,
            ..p(26833, 1, "schema-engine", ENGINE, 40 * 3600, 149_000.0)
        },
        p(
            48424,
            900,
            "node",
            "node /app/node_modules/.bin/prisma studio --port 5555",
            9000,
            20.0,
        ),
    ];
    for (i, pid) in [50257u32, 40782, 33997, 32601, 58205].iter().enumerate() {
        procs.push(p(
            *pid,
            900 + i as u32,
            "node",
            MIGRATE,
            3600 + i as u64 * 600,
            0.5,
        ));
    }
    let s = run(&procs, &HashMap::new());
    assert_eq!(s.len(), 7);
    let count = |k| s.iter().filter(|x| x.kind == k).count();
    assert_eq!(count(SuspectKind::RunawayEngine), 1);
    assert_eq!(count(SuspectKind::HungMigrate), 5);
    assert_eq!(count(SuspectKind::Studio), 1);
    // Ancestors shown for context are never flagged.
    let ctx = ProcessInfo {
        relation: Relation::Ancestor,
        ..p(1000, 1, "node", MIGRATE, 9999, 0.0)
    };
    assert!(run(&[ctx], &HashMap::new()).is_empty());
}

#[test]
fn ages_format() {
    assert_eq!(format_age(45), "45s");
    assert_eq!(format_age(12 * 60 + 3), "12m 3s");
    assert_eq!(format_age(3 * 3600 + 12 * 60), "3h 12m");
    assert_eq!(format_age(2 * 86400 + 4 * 3600), "2d 4h");
}

#[test]
fn each_rule_stands_alone_and_evaluate_is_their_union() {
    // Seed 000: every rule that fires through `evaluate` fires on its own with the same
    // suspect, so a watchdog or a guard can call one rule without the others.
    let procs = crate::model::fixtures::processes();
    let cpu = HashMap::new();
    let rules = SuspectRules::default();
    let name_of = |pid: u32| (pid == 1).then(|| "init".to_owned());
    let all = evaluate(&procs, &cpu, &rules, &name_of);
    assert!(!all.is_empty());
    let singles: Vec<Suspect> = [
        zombies(&procs, &cpu, &name_of),
        crate::model::migrate_rules::hung_migrates(&procs, &cpu, &rules),
        runaway_engines(&procs, &cpu, &rules),
        crate::model::migrate_rules::concurrent_migrates(&procs),
        crate::model::orphan::orphaned_stacks(&procs, &name_of),
        duplicate_servers(&procs),
        studios(&procs, &rules),
    ]
    .concat();
    for s in &all {
        assert!(singles.contains(s), "{s:?} comes from no single rule");
    }
    assert!(
        studios(
            &procs,
            &SuspectRules {
                studio: StudioPolicy::Ignore,
                ..rules
            }
        )
        .is_empty()
    );
}

#[test]
fn hard_count_counts_suspects_not_warnings() {
    let procs = crate::model::fixtures::processes();
    let all = run(&procs, &HashMap::new());
    let hard = all
        .iter()
        .filter(|s| s.severity == Severity::Suspect)
        .count();
    assert!(hard > 0 && hard < all.len(), "the fixture has both levels");
    assert_eq!(hard_count(&all), hard);
    assert_eq!(hard_count(&[]), 0);
}

#[test]
fn a_finding_on_a_server_devtop_runs_is_only_a_warning() {
    let procs = crate::model::fixtures::processes();
    let cpu = HashMap::new();
    let rules = SuspectRules::default();
    let name_of = |pid: u32| (pid == 1).then(|| "init".to_owned());
    let all = evaluate(&procs, &cpu, &rules, &name_of);
    let hard = all
        .iter()
        .find(|s| s.is_hard())
        .expect("seed 000 has hard suspects");
    let servers = std::collections::BTreeMap::from([(hard.kill_pid, "api".to_owned())]);
    let with = evaluate_with_servers(&procs, &cpu, &rules, &name_of, &servers);
    let same = with.iter().find(|s| s.pid == hard.pid).unwrap();
    assert_eq!(same.severity, Severity::Warn);
    assert!(same.advice.contains("dev server api"), "{}", same.advice);
    assert_eq!(hard_count(&with), hard_count(&all) - 1);
}
