//! The kill planner on the fixture snapshot: 4000 (not shown) → 4100 `npm run dev` → 4101 vite
//! → 4102 esbuild; 4000 → 4200 tsx → 4201; 1 → 26833 orphaned engine; 4302 (not shown) → 58205
//! migrate → 58230 engine.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::model::fixtures;
use crate::model::suspects::Severity;

fn snap() -> ProcessSnapshot {
    fixtures::process_snapshot()
}

/// devtop as PID 7000 of uid 1000, started from a shell that is not shown.
fn me() -> Protected {
    Protected {
        me: 7000,
        euid: Some(1000),
        ancestors: vec![6999],
    }
}

fn kills(plan: &KillPlan) -> Vec<u32> {
    plan.kills.iter().map(|k| k.pid).collect()
}

fn refused(plan: &KillPlan) -> Vec<(u32, RefuseReason)> {
    plan.refused
        .iter()
        .map(|r| (r.pid, r.reason.clone()))
        .collect()
}

#[test]
fn a_tree_children_first() {
    let plan = for_pids(&snap(), &me(), &[58205]);
    assert_eq!(kills(&plan), vec![58230, 58205]);
    assert!(plan.refused.is_empty());
    assert_eq!(plan.kills[0].reason, "descendant of PID 58205");
    assert!(plan.kills[1].reason.starts_with("concurrent-migrate"));
    assert_eq!(total_rss(&plan), (131 + 64) << 20);
    // A process that is no suspect is there because it was selected.
    assert_eq!(
        for_pids(&snap(), &me(), &[4200]).kills[1].reason,
        "selected"
    );
}

#[test]
fn pid_1_refuses_everything_below_it() {
    let plan = for_pids(&snap(), &me(), &[1]);
    assert!(plan.kills.is_empty(), "{plan:?}");
    assert_eq!(
        refused(&plan),
        vec![
            (1, RefuseReason::Init),
            (26833, RefuseReason::BelowRefused { pid: 1 })
        ]
    );
    assert_eq!(plan.refused_roots().count(), 1);
}

#[test]
fn pid_0_says_pid_0() {
    let plan = for_pids(&snap(), &me(), &[0]);
    assert!(plan.kills.is_empty());
    assert_eq!(
        refused(&plan),
        vec![(0, RefuseReason::InvalidPid { pid: 0 })]
    );
    assert!(plan.refused[0].reason.to_string().contains("PID 0"));
}

#[test]
fn an_ancestor_of_devtop_refuses_its_subtree() {
    // devtop runs under the (hidden) 4000, like `bash -c 'vite & tsx & devtop kill --pid $$'`.
    let me = Protected {
        ancestors: vec![4000, 1234],
        ..me()
    };
    let plan = for_pids(&snap(), &me, &[4000]);
    assert!(plan.kills.is_empty(), "{plan:?}");
    let r = refused(&plan);
    assert_eq!(r[0], (4000, RefuseReason::Ancestor));
    let mut below: Vec<u32> = r[1..].iter().map(|(p, _)| *p).collect();
    below.sort_unstable();
    assert_eq!(below, vec![4100, 4101, 4102, 4200, 4201]);
    assert!(
        r[1..]
            .iter()
            .all(|(_, why)| *why == RefuseReason::BelowRefused { pid: 4000 })
    );
}

#[test]
fn a_shown_ancestor_row_lists_no_targets() {
    // The TUI's `x` on the row of a terminal multiplexer that devtop runs in.
    let me = Protected {
        ancestors: vec![4100, 4000],
        ..me()
    };
    let plan = for_pids(&snap(), &me, &[4100]);
    assert!(plan.kills.is_empty());
    assert_eq!(
        refused(&plan),
        vec![
            (4100, RefuseReason::Ancestor),
            (4101, RefuseReason::BelowRefused { pid: 4100 }),
            (4102, RefuseReason::BelowRefused { pid: 4100 }),
        ]
    );
    assert_eq!(plan.refused[1].name, "node");
}

#[test]
fn devtop_itself_refuses_its_children() {
    // `bash -c 'vite & exec devtop kill --pid $$'`: devtop (4101 here) has children.
    let me = Protected { me: 4101, ..me() };
    let plan = for_pids(&snap(), &me, &[4101]);
    assert!(plan.kills.is_empty());
    assert_eq!(
        refused(&plan),
        vec![
            (4101, RefuseReason::Itself),
            (4102, RefuseReason::BelowRefused { pid: 4101 })
        ]
    );
}

#[test]
fn another_users_descendant_is_left_alone_with_its_subtree() {
    let mut s = snap();
    let i = s.processes.iter().position(|p| p.pid == 4101).unwrap();
    s.processes[i].uid = Some(0);
    let plan = for_pids(&s, &me(), &[4100]);
    assert_eq!(kills(&plan), vec![4100]);
    assert_eq!(
        refused(&plan),
        vec![
            (4101, RefuseReason::OtherUser { uid: 0 }),
            (4102, RefuseReason::BelowRefused { pid: 4101 })
        ]
    );
}

#[test]
fn a_refused_subtree_stays_refused_when_another_root_asks_for_it() {
    let me = Protected {
        ancestors: vec![4000],
        ..me()
    };
    for roots in [[4000, 4101], [4101, 4000]] {
        let plan = for_pids(&snap(), &me, &roots);
        assert!(plan.kills.is_empty(), "{roots:?}: {plan:?}");
        assert!(
            plan.refused
                .iter()
                .any(|r| r.pid == 4101 && r.reason == RefuseReason::BelowRefused { pid: 4000 }),
            "{plan:?}"
        );
    }
    // A refusal does not spill into an unrelated tree.
    let plan = for_pids(&snap(), &me, &[1, 58205]);
    assert_eq!(kills(&plan), vec![58230, 58205]);
    assert_eq!(plan.refused.len(), 2);
}

#[test]
fn a_changed_start_time_refuses_the_new_process_and_its_children() {
    let s = snap();
    let shown = s.get(58205).unwrap().start_ticks;
    let root = Root {
        start_ticks: Some(shown + 1),
        ..Root::shown(58205, "selected")
    };
    let plan = build(&s, &me(), &[root]);
    assert!(plan.kills.is_empty());
    assert_eq!(
        refused(&plan),
        vec![
            (
                58205,
                RefuseReason::StartTimeChanged {
                    shown: shown + 1,
                    now: shown
                }
            ),
            (58230, RefuseReason::BelowRefused { pid: 58205 })
        ]
    );
    // The right start time is kept for the re-check at signal time.
    let root = Root {
        start_ticks: Some(shown),
        ..Root::shown(58205, "selected")
    };
    assert_eq!(build(&s, &me(), &[root]).kills[1].start_ticks, shown);
}

#[test]
fn an_unshown_root_brings_its_shown_children_and_is_checked_too() {
    let unshown = |uid| Root {
        pid: 4000,
        start_ticks: None,
        why: "selected (not a shown dev process)".into(),
        unshown: Some(Unshown {
            start_ticks: 77,
            uid: Some(uid),
            name: "bash".into(),
        }),
    };
    let plan = build(&snap(), &me(), &[unshown(1000)]);
    let pids = kills(&plan);
    assert_eq!(pids.len(), 6, "{pids:?}");
    assert_eq!(*pids.last().unwrap(), 4000);
    let pos = |p| pids.iter().position(|&x| x == p).unwrap();
    assert!(pos(4102) < pos(4101) && pos(4101) < pos(4100));
    assert!(pos(4201) < pos(4200));
    let root = plan.kills.last().unwrap();
    assert_eq!((root.start_ticks, root.name.as_str()), (77, "bash"));

    let plan = build(&snap(), &me(), &[unshown(0)]);
    assert!(plan.kills.is_empty());
    assert_eq!(plan.refused[0].reason, RefuseReason::OtherUser { uid: 0 });
    assert_eq!(plan.refused.len(), 6);

    // Unreadable: planned alone, with the start time named or 0; the signal layer decides.
    let gone = Root {
        pid: 99_999,
        start_ticks: Some(5),
        why: "selected".into(),
        unshown: None,
    };
    let plan = build(&snap(), &me(), &[gone]);
    assert_eq!(kills(&plan), vec![99_999]);
    assert_eq!(plan.kills[0].start_ticks, 5);
}

#[test]
fn suspects_children_first_across_trees() {
    let plan = for_suspects(&snap(), &me());
    let pids = kills(&plan);
    assert!(pids.contains(&26833) && pids.contains(&50257), "{pids:?}");
    assert!(!pids.contains(&48424), "studio is warn-only: {pids:?}");
    // Every planned process comes after every planned process below it.
    let s = snap();
    let pos = |p| pids.iter().position(|&x| x == p).unwrap();
    for &pid in &pids {
        let mut up = s.get(pid).and_then(|p| p.ppid);
        while let Some(parent) = up {
            if pids.contains(&parent) {
                assert!(
                    pos(pid) < pos(parent),
                    "{pid} before its ancestor {parent}: {pids:?}"
                );
            }
            up = s.get(parent).and_then(|p| p.ppid);
        }
    }
    assert!(plan.refused.is_empty());
    assert_eq!(plan.targets().len(), pids.len());
}

#[test]
fn selecting_a_zombie_targets_its_dev_parent_and_says_why() {
    let mut s = snap();
    let mut z = fixtures::process(4103, 4101, "esbuild", "esbuild --service");
    z.state = 'Z';
    s.processes.push(z);
    s.suspects.push(crate::model::suspects::Suspect {
        pid: 4103,
        kind: crate::model::suspects::SuspectKind::Zombie,
        reason: "zombie".into(),
        advice: String::new(),
        severity: Severity::Warn,
        kill_pid: 4101,
    });
    // The snapshot keeps both lists sorted by PID (binary search).
    s.processes.sort_by_key(|p| p.pid);
    s.suspects.sort_by_key(|x| x.pid);
    let root = selected_root(&s, 4103);
    assert_eq!(root.pid, 4101);
    assert_eq!(root.why, "parent of zombie PID 4103");
    let plan = build(&s, &me(), &[root]);
    let vite = plan.kills.iter().find(|k| k.pid == 4101).unwrap();
    assert_eq!(vite.reason, "parent of zombie PID 4103");
    // Any other process is simply "selected".
    assert_eq!(selected_root(&s, 4200).why, "selected");
}
