#![allow(clippy::unwrap_used)]

use super::*;
use crate::model::fixtures::process;
use crate::model::process::{ProcessInfo, Relation};
use crate::model::suspects::{Severity, Suspect, SuspectKind};
use crate::model::tree::Scope;
use std::path::PathBuf;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn sample(t: f64, avail_mib: u64, psi: f64) -> LevelSample {
    LevelSample {
        t_s: t,
        available_bytes: avail_mib * MIB,
        psi_full_avg10: Some(psi),
        cgroup: None,
    }
}

fn history(samples: &[LevelSample]) -> LevelHistory {
    let mut h = LevelHistory::new();
    for s in samples {
        h.push(*s);
    }
    h
}

fn suspect(pid: u32, kind: SuspectKind) -> Suspect {
    Suspect {
        pid,
        kind,
        reason: format!("{} evidence", kind.label()),
        advice: String::new(),
        severity: Severity::Suspect,
        kill_pid: pid,
    }
}

fn proc_rss(pid: u32, ppid: u32, cmd: &str, rss_mib: u64) -> ProcessInfo {
    let name = cmd.split_whitespace().next().unwrap_or("node");
    let name = name.rsplit('/').next().unwrap_or(name).to_owned();
    ProcessInfo {
        rss_bytes: rss_mib * MIB,
        start_ticks: u64::from(pid) * 10,
        sid: 7,
        ..process(pid, ppid, &name, cmd)
    }
}

fn snap(mut processes: Vec<ProcessInfo>, mut suspects: Vec<Suspect>) -> ProcessSnapshot {
    processes.sort_by_key(|p| p.pid);
    suspects.sort_by_key(|s| s.pid);
    ProcessSnapshot {
        processes,
        suspects,
        ..ProcessSnapshot::empty(Scope::User, PathBuf::from("/p"))
    }
}

fn me() -> Protected {
    Protected {
        me: 900,
        euid: Some(1000),
        ancestors: vec![800, 700],
    }
}

/// The seed-000 stack: a runaway schema-engine (1.2 GiB), two hung migrates (300 / 200 MiB), a
/// Studio (900 MiB) and a healthy vite (2 GiB, no suspect).
fn seed() -> ProcessSnapshot {
    snap(
        vec![
            proc_rss(
                100,
                50,
                "node /p/node_modules/.bin/prisma migrate dev --name a",
                300,
            ),
            proc_rss(
                101,
                50,
                "node /p/node_modules/.bin/prisma migrate dev --name b",
                200,
            ),
            proc_rss(
                110,
                101,
                "schema-engine --datamodels /p/prisma/schema.prisma",
                1200,
            ),
            proc_rss(
                120,
                50,
                "node /p/node_modules/.bin/prisma studio --port 5555",
                900,
            ),
            proc_rss(130, 50, "node /p/node_modules/.bin/vite --port 5173", 2048),
        ],
        vec![
            suspect(100, SuspectKind::HungMigrate),
            suspect(101, SuspectKind::HungMigrate),
            suspect(110, SuspectKind::RunawayEngine),
            suspect(120, SuspectKind::Studio),
        ],
    )
}

fn input<'a>(
    rules: &'a GuardRules,
    h: &'a LevelHistory,
    s: &'a ProcessSnapshot,
    me: &'a Protected,
    mode: Mode,
) -> GuardInput<'a> {
    GuardInput {
        rules,
        history: h,
        snapshot: s,
        protected: me,
        servers: &[],
        now_s: h.latest().map_or(0.0, |l| l.t_s),
        last_action_s: None,
        in_flight: false,
        mode,
        // Drain tests confirm every process of the snapshot unless they say otherwise.
        confirmed: Box::leak(
            s.processes
                .iter()
                .map(|p| (p.pid, p.start_ticks))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        ),
    }
}

// ---- trigger ----

#[test]
fn psi_must_be_sustained_for_the_window() {
    let r = GuardRules::default();
    let short = history(&[sample(0.0, 4096, 12.0), sample(5.0, 4096, 15.0)]);
    assert!(!evaluate(&short, &r, None).critical());
    let long = history(&[
        sample(0.0, 4096, 12.0),
        sample(5.0, 4096, 15.0),
        sample(10.0, 4096, 34.0),
    ]);
    let e = evaluate(&long, &r, None);
    assert_eq!(
        e.fired,
        vec![Fired::Psi {
            full_avg10: 34.0,
            threshold: 10.0,
            for_s: 10.0
        }]
    );
    assert!(
        e.fired[0]
            .to_string()
            .contains("PSI full avg10 34.0% ≥ 10% for 10s")
    );
}

#[test]
fn psi_run_is_broken_by_a_low_reading_and_by_a_kill() {
    let r = GuardRules::default();
    let broken = history(&[
        sample(0.0, 4096, 20.0),
        sample(4.0, 4096, 5.0),
        sample(8.0, 4096, 20.0),
        sample(12.0, 4096, 20.0),
    ]);
    assert!(!evaluate(&broken, &r, None).critical());
    let h = history(&[
        sample(0.0, 4096, 20.0),
        sample(10.0, 4096, 20.0),
        sample(15.0, 4096, 20.0),
    ]);
    assert!(evaluate(&h, &r, None).critical());
    // A kill at t=9: only readings after it count, 10..15 is 5 s.
    assert!(!evaluate(&h, &r, Some(9.0)).critical());
    // Without PSI the rule never fires.
    let none = history(&[LevelSample {
        psi_full_avg10: None,
        ..sample(0.0, 4096, 0.0)
    }]);
    assert!(!evaluate(&none, &r, None).critical());
}

#[test]
fn low_memavailable_fires_at_once() {
    let r = GuardRules::default();
    let e = evaluate(&history(&[sample(0.0, 499, 0.0)]), &r, None);
    assert_eq!(
        e.fired,
        vec![Fired::Available {
            available_bytes: 499 * MIB,
            min_bytes: 500 * MIB
        }]
    );
    assert!(!evaluate(&history(&[sample(0.0, 500, 0.0)]), &r, None).critical());
    assert_eq!(e.numbers(), "PSI full 0.0%, available 499 MiB");
}

#[test]
fn low_cgroup_headroom_fires_and_counts_the_working_set() {
    let r = GuardRules::default();
    let s = LevelSample {
        cgroup: Some((4 * GIB - 100 * MIB, 4 * GIB)),
        ..sample(0.0, 8192, 0.0)
    };
    let e = evaluate(&history(&[s]), &r, None);
    assert!(matches!(
        e.fired.as_slice(),
        [Fired::Headroom { headroom_bytes, limit_bytes, .. }]
            if *headroom_bytes == 100 * MIB && *limit_bytes == 4 * GIB
    ));
    assert!(e.numbers().contains("headroom 100 MiB (2.4%) of 4.0 GiB"));
    let roomy = LevelSample {
        cgroup: Some((GIB, 4 * GIB)),
        ..s
    };
    assert!(!evaluate(&history(&[roomy]), &r, None).critical());
    // From a snapshot: inactive file pages are not counted as used.
    let snap = crate::model::memory::MemorySnapshot {
        total_bytes: 16 * GIB,
        available_bytes: 8 * GIB,
        swap_total_bytes: 0,
        swap_free_bytes: 0,
        cgroup: Some(crate::model::memory::CgroupMemory {
            current_bytes: 4 * GIB - 10 * MIB,
            max_bytes: Some(4 * GIB),
            path: "/x".into(),
            inactive_file_bytes: GIB,
            version: 1,
        }),
        psi: None,
    };
    let l = LevelSample::from_snapshot(1.0, &snap);
    assert_eq!(l.cgroup, Some((3 * GIB - 10 * MIB, 4 * GIB)));
    assert!(!evaluate(&history(&[l]), &r, None).critical());
    // One headroom figure: the guard, the memory level and preflight's check 5 agree.
    let left = GIB + 10 * MIB;
    assert_eq!(l.headroom().map(|h| h.0), Some(left));
    assert_eq!(snap.effective_available(), left);
    let t = crate::model::memory::MemoryThresholds::default();
    let c5 = crate::model::preflight::memory::memory(Some(&snap), None, MIB, &t);
    let want = format!("headroom {}", crate::model::memory::format_bytes(left));
    assert!(
        c5.detail.iter().any(|d| d.contains(&want)),
        "{:?}",
        c5.detail
    );
}

#[test]
fn history_is_bounded_and_restarts_on_a_clock_change() {
    let mut h = LevelHistory::new();
    for i in 0..10_000 {
        h.push(sample(f64::from(i) * 0.05, 1000, 0.0));
    }
    assert!(h.len() <= 4096);
    h.push(sample(1.0, 1000, 0.0));
    assert_eq!(h.len(), 1);
    h.push(sample(f64::NAN, 1000, 0.0));
    assert_eq!(h.len(), 1);
}

// ---- victims: order and never-kill rules ----

#[test]
fn victims_are_the_guarded_kinds_largest_rss_first_with_descendants() {
    let (v, spared) = victims(&seed(), &me(), &[]);
    let order: Vec<(u32, u64)> = v.iter().map(|v| (v.pid, v.rss_bytes / MIB)).collect();
    // 101 holds its schema-engine: 200 + 1200 MiB.
    assert_eq!(
        order,
        vec![(101, 1400), (110, 1200), (120, 900), (100, 300)]
    );
    assert!(spared.is_empty());
    assert!(
        v.iter().all(|v| v.pid != 130),
        "a healthy vite is no victim"
    );
}

#[test]
fn zombies_concurrent_and_duplicate_runs_are_never_guard_victims() {
    let s = snap(
        vec![
            proc_rss(100, 50, "node /p/node_modules/.bin/prisma migrate dev", 300),
            proc_rss(101, 50, "node /p/node_modules/.bin/vite", 300),
            proc_rss(102, 50, "node /p/node_modules/.bin/tsx watch a.ts", 300),
        ],
        vec![
            suspect(100, SuspectKind::ConcurrentMigrate),
            suspect(101, SuspectKind::DuplicateServer),
            suspect(102, SuspectKind::Zombie),
        ],
    );
    let (v, spared) = victims(&s, &me(), &[]);
    assert!(v.is_empty());
    assert_eq!(spared.len(), 3);
    assert!(spared.iter().all(|s| s.why == SpareReason::KindNotGuarded));
}

#[test]
fn never_a_server_devtop_started() {
    let mut s = seed();
    // Studio runs in the session of server "studio" (pgid 120's group 60).
    let studio = s.processes.iter_mut().find(|p| p.pid == 120).unwrap();
    studio.sid = 60;
    studio.pgrp = 60;
    let servers = [ServerGroup {
        name: "studio".into(),
        pgid: 60,
        group: true,
    }];
    let (v, spared) = victims(&s, &me(), &servers);
    assert!(v.iter().all(|v| v.pid != 120));
    assert_eq!(
        spared[0].why,
        SpareReason::Server {
            name: "studio".into()
        }
    );
    // Also when it left the session but descends from the server's leader.
    let mut s = seed();
    s.processes.push(proc_rss(60, 50, "npm run studio", 10));
    s.processes.sort_by_key(|p| p.pid);
    s.processes.iter_mut().find(|p| p.pid == 120).unwrap().ppid = Some(60);
    let (v, _) = victims(&s, &me(), &servers);
    assert!(v.iter().all(|v| v.pid != 120));
}

#[test]
fn never_a_non_dev_process() {
    let mut s = seed();
    s.processes
        .iter_mut()
        .find(|p| p.pid == 100)
        .unwrap()
        .relation = Relation::Ancestor;
    let (v, spared) = victims(&s, &me(), &[]);
    assert!(v.iter().all(|v| v.pid != 100));
    assert_eq!(spared[0].why, SpareReason::NotDev);
}

#[test]
fn never_the_editor_nor_a_suspect_with_the_editor_below_it() {
    for cmd in [
        "/usr/share/code/code --type=extensionHost",
        "/home/u/.vscode-server/bin/abc/node /home/u/.vscode-server/bin/abc/out/server-main.js",
        "nvim src/index.ts",
        "cursor .",
    ] {
        let p = proc_rss(1, 0, cmd, 1);
        assert!(is_editor(&p), "{cmd}");
    }
    assert!(!is_editor(&proc_rss(
        1,
        0,
        "node /p/node_modules/.bin/prisma studio",
        1
    )));
    // An orphaned stack whose subtree holds the editor's node host.
    let s = snap(
        vec![
            proc_rss(200, 1, "node /p/node_modules/.bin/tsx watch a.ts", 500),
            proc_rss(
                201,
                200,
                "/home/u/.vscode-server/bin/abc/node /home/u/.vscode-server/bin/abc/out/server-main.js",
                3000,
            ),
        ],
        vec![suspect(200, SuspectKind::Orphan)],
    );
    let (v, spared) = victims(&s, &me(), &[]);
    assert!(v.is_empty());
    assert_eq!(spared[0].why, SpareReason::Editor);
}

#[test]
fn never_pid_1_itself_its_ancestors_or_another_users() {
    let cases: Vec<(u32, Option<u32>)> = vec![
        (1, Some(1000)),   // PID 1
        (900, Some(1000)), // devtop itself
        (800, Some(1000)), // an ancestor
        (300, Some(0)),    // another user's
        (301, None),       // owner unknown
    ];
    for (pid, uid) in cases {
        let mut p = proc_rss(pid, 0, "node /p/node_modules/.bin/prisma migrate dev", 999);
        p.uid = uid;
        let s = snap(vec![p], vec![suspect(pid, SuspectKind::HungMigrate)]);
        let (v, spared) = victims(&s, &me(), &[]);
        assert!(v.is_empty(), "PID {pid} must be spared");
        assert!(
            matches!(spared[0].why, SpareReason::Refused { .. }),
            "PID {pid}: {:?}",
            spared[0].why
        );
    }
    // A suspect whose descendant is devtop's ancestor (devtop runs inside it) is spared whole.
    let s = snap(
        vec![
            proc_rss(400, 1, "node /p/node_modules/.bin/tsx watch a.ts", 100),
            proc_rss(800, 400, "bash", 5),
        ],
        vec![suspect(400, SuspectKind::Orphan)],
    );
    assert!(victims(&s, &me(), &[]).0.is_empty());
}

// ---- the decision ----

fn critical_now() -> LevelHistory {
    history(&[sample(0.0, 200, 0.0)])
}

#[test]
fn not_critical_is_idle_and_watch_mode_only_alerts() {
    let r = GuardRules::default();
    let (s, m) = (seed(), me());
    let calm = history(&[sample(0.0, 4096, 0.0)]);
    assert_eq!(
        decide(&input(&r, &calm, &s, &m, Mode::Auto)).action,
        Action::Idle
    );
    let h = critical_now();
    let d = decide(&input(&r, &h, &s, &m, Mode::Watch));
    assert_eq!(d.action, Action::Alert);
    assert!(d.critical());
    assert_eq!(d.victims.len(), 4);
}

#[test]
fn auto_ends_the_largest_one_at_a_time() {
    let r = GuardRules {
        auto: true,
        ..GuardRules::default()
    };
    let (s, m) = (seed(), me());
    let h = critical_now();
    let d = decide(&input(&r, &h, &s, &m, Mode::Auto));
    assert!(matches!(&d.action, Action::End { victim } if victim.pid == 101));
    // While that kill runs: nothing more.
    let busy = GuardInput {
        in_flight: true,
        ..input(&r, &h, &s, &m, Mode::Auto)
    };
    assert_eq!(decide(&busy).action, Action::Busy);
}

#[test]
fn after_a_kill_it_waits_for_a_fresh_reading_then_the_cool_down() {
    let r = GuardRules::default();
    let (s, m) = (seed(), me());
    let mut h = history(&[sample(0.0, 200, 0.0)]);
    // Kill finished at t=0.5, no reading since.
    let at = |h: &LevelHistory, now: f64, mode| {
        decide(&GuardInput {
            now_s: now,
            last_action_s: Some(0.5),
            ..input(&r, h, &s, &m, mode)
        })
    };
    assert_eq!((at(&h, 0.6, Mode::Auto)).action, Action::Settling);
    assert_eq!((at(&h, 0.6, Mode::Drain)).action, Action::Settling);
    h.push(sample(1.0, 200, 0.0));
    // Still critical a second later: auto cools down 15 s, drain goes on.
    assert!(matches!(
        (at(&h, 1.0, Mode::Auto)).action,
        Action::CoolDown { remaining_s } if (remaining_s - 14.5).abs() < 1e-9
    ));
    assert!(matches!(
        (at(&h, 1.0, Mode::Drain)).action,
        Action::End { .. }
    ));
    h.push(sample(15.5, 200, 0.0));
    assert!(matches!(
        (at(&h, 15.5, Mode::Auto)).action,
        Action::End { .. }
    ));
    // Recovered: idle, whatever the mode.
    h.push(sample(16.0, 2048, 0.0));
    assert_eq!((at(&h, 16.0, Mode::Auto)).action, Action::Idle);
    assert_eq!((at(&h, 16.0, Mode::Drain)).action, Action::Idle);
}

#[test]
fn psi_is_judged_afresh_after_a_kill_so_one_stall_never_cascades() {
    let r = GuardRules::default();
    let (s, m) = (seed(), me());
    let h = history(&[
        sample(0.0, 4096, 30.0),
        sample(10.0, 4096, 30.0),
        sample(11.0, 4096, 28.0),
        sample(12.0, 4096, 25.0),
    ]);
    let i = GuardInput {
        now_s: 12.0,
        last_action_s: Some(10.5),
        ..input(&r, &h, &s, &m, Mode::Drain)
    };
    // PSI still high (avg10 lags), but not for 10 s since the kill: not critical.
    assert_eq!(decide(&i).action, Action::Idle);
}

#[test]
fn critical_with_nothing_to_end_does_nothing() {
    let r = GuardRules::default();
    let m = me();
    let s = snap(
        vec![proc_rss(130, 50, "node /p/node_modules/.bin/vite", 8000)],
        vec![],
    );
    let h = critical_now();
    let d = decide(&input(&r, &h, &s, &m, Mode::Auto));
    assert_eq!(d.action, Action::NothingToEnd);
}

#[test]
fn drain_ends_only_what_the_user_confirmed() {
    let r = GuardRules::default();
    let (s, m) = (seed(), me());
    let h = critical_now();
    let v = decide(&input(&r, &h, &s, &m, Mode::Drain)).victims;
    assert!(v.len() >= 3, "seed has several victims: {v:?}");
    // The user confirmed only the second-largest: it is the one ended, not the largest.
    let only = [(v[1].pid, v[1].start_ticks)];
    let d = decide(&GuardInput {
        confirmed: &only,
        ..input(&r, &h, &s, &m, Mode::Drain)
    });
    assert!(matches!(&d.action, Action::End { victim } if victim.pid == v[1].pid));
    // Same PID, another start time (the PID was reused after the dialog): never ended.
    let reused = [(v[1].pid, v[1].start_ticks + 1)];
    let d = decide(&GuardInput {
        confirmed: &reused,
        ..input(&r, &h, &s, &m, Mode::Drain)
    });
    assert_eq!(d.action, Action::ConfirmedGone);
    // Nothing confirmed is left: the others need a new confirmation.
    let d = decide(&GuardInput {
        confirmed: &[],
        ..input(&r, &h, &s, &m, Mode::Drain)
    });
    assert_eq!(d.action, Action::ConfirmedGone);
    // Auto mode ignores the confirmed set (it is opt-in by config).
    let d = decide(&GuardInput {
        confirmed: &[],
        ..input(&r, &h, &s, &m, Mode::Auto)
    });
    assert!(matches!(&d.action, Action::End { victim } if victim.pid == v[0].pid));
}
