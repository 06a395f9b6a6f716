//! The kill sequence on real child processes of the test.
#![allow(clippy::unwrap_used)]

use super::test_support::{
    ChildGuard, alive, children_of, ignores_sigterm, sleeper, sleeper_in_group, wait_until,
};
use super::*;
use std::process::Command;
use std::time::Duration;

#[test]
fn refuses_start_time_mismatch_and_leaves_process_alone() {
    let child = sleeper(false);
    let ticks = child.start_ticks();
    let target = KillTarget::new(child.pid(), ticks + 1, "sleep");
    let out = kill_targets(&[target], Duration::from_millis(100));
    assert_eq!(
        out,
        vec![(
            child.pid(),
            KillOutcome::Refused(RefuseReason::StartTimeChanged {
                shown: ticks + 1,
                now: ticks
            })
        )]
    );
    assert!(
        alive(child.pid(), ticks),
        "refused target must be untouched"
    );
}

#[test]
fn plan_accepts_own_children_and_signals_each_alone() {
    let plain = sleeper(false);
    let grouped = sleeper(true);
    let planned = plan(&[plain.target("a"), grouped.target("b")]);
    let (pid, Ok(p)) = &planned[0] else {
        panic!("{planned:?}")
    };
    assert_eq!(*pid, plain.pid());
    assert_eq!(
        p.to_string(),
        format!("SIGTERM to PID {pid}, then SIGKILL after grace")
    );
    let (_, Ok(p)) = &planned[1] else {
        panic!("{planned:?}")
    };
    // A group leader alone in its group: signalled through its pidfd like any other.
    assert!(p.unlisted.is_empty(), "{p}");
    assert_eq!(
        p.to_string(),
        format!("SIGTERM to PID {}, then SIGKILL after grace", grouped.pid())
    );
    // Nothing was signalled.
    assert!(alive(plain.pid(), plain.start_ticks()));
    assert!(alive(grouped.pid(), grouped.start_ticks()));
}

#[test]
fn plan_refuses_pid_0_1_and_self_by_name() {
    let me = read_identity(std::process::id()).unwrap();
    let planned = plan(&[
        KillTarget::new(0, 0, "zero"),
        KillTarget::new(1, 0, "init"),
        KillTarget::new(me.pid, me.start_ticks, "devtop"),
    ]);
    assert_eq!(
        planned,
        vec![
            (
                0,
                Err(KillOutcome::Refused(RefuseReason::InvalidPid { pid: 0 }))
            ),
            (1, Err(KillOutcome::Refused(RefuseReason::Init))),
            (me.pid, Err(KillOutcome::Refused(RefuseReason::Itself))),
        ]
    );
}

#[test]
fn terminates_sleeping_child() {
    let child = sleeper(false);
    let out = kill_targets(&[child.target("sleep")], Duration::from_secs(5));
    assert_eq!(out, vec![(child.pid(), KillOutcome::Terminated)]);
    assert!(out[0].1.ended());
}

#[test]
fn escalates_to_sigkill_for_term_ignorer() {
    let mut child = ChildGuard::spawn(
        Command::new("sh").args(["-c", "trap '' TERM; while :; do sleep 0.1; done"]),
        true,
    );
    let pid = child.pid();
    // Wait until the shell has actually installed the trap (SIGTERM = bit 14 of SigIgn).
    assert!(wait_until(Duration::from_secs(5), || ignores_sigterm(
        pid, "sh"
    )));
    // Remember a grandchild so the guard can clean it if the test fails.
    assert!(wait_until(Duration::from_secs(5), || !children_of(pid).is_empty()));
    child.extra = children_of(pid);

    // The group holds the unlisted `sleep 0.1` children: the shell is signalled alone.
    let planned = plan(&[child.target("stubborn")]);
    let Ok(p) = &planned[0].1 else {
        panic!("{planned:?}")
    };
    assert!(!p.unlisted.is_empty(), "{p}");

    let grace = Duration::from_millis(300);
    let out = kill_targets(&[child.target("stubborn")], grace);
    assert_eq!(out.len(), 1);
    match out[0].1 {
        KillOutcome::Killed { after_secs } => {
            assert!((0.3..5.0).contains(&after_secs), "{after_secs}");
        }
        ref other => panic!("expected Killed, got {other:?}"),
    }
    assert!(out[0].1.ended());
}

#[test]
fn an_unlisted_group_member_gets_no_signal() {
    // A leader whose group holds a process that is not its descendant (here a sibling: both are
    // children of the test), as `setpgid` or a job-control shell can arrange.
    let leader = sleeper(true);
    let member = sleeper_in_group(leader.pid());
    assert_eq!(read_identity(member.pid()).unwrap().pgrp, leader.pid());

    let planned = plan(&[leader.target("leader")]);
    let Ok(p) = &planned[0].1 else {
        panic!("{planned:?}")
    };
    assert_eq!(p.unlisted, vec![member.pid()]);
    let text = p.to_string();
    assert!(
        text.contains(&format!("SIGTERM to PID {} alone", leader.pid())),
        "{text}"
    );
    assert!(text.contains(&member.pid().to_string()), "{text}");

    let out = kill_targets(&[leader.target("leader")], Duration::from_secs(5));
    assert_eq!(out, vec![(leader.pid(), KillOutcome::Terminated)]);
    // Untouched: still alive a moment later (a signal is delivered at once).
    assert!(!wait_until(Duration::from_millis(300), || !alive(
        member.pid(),
        member.start_ticks()
    )));
}

#[test]
fn a_group_whose_members_are_all_listed_ends_member_by_member() {
    let leader = sleeper(true);
    let member = sleeper_in_group(leader.pid());
    let targets = [member.target("member"), leader.target("leader")];
    let planned = plan(&targets);
    let Ok(p) = &planned[1].1 else {
        panic!("{planned:?}")
    };
    assert!(p.unlisted.is_empty());
    let out = kill_targets(&targets, Duration::from_secs(5));
    assert_eq!(
        out,
        vec![
            (member.pid(), KillOutcome::Terminated),
            (leader.pid(), KillOutcome::Terminated)
        ]
    );
}

#[test]
fn kills_tree_children_first() {
    // The parent must outlive its children's SIGTERM (a `wait`ing shell would exit by
    // itself and be reported AlreadyGone), so it becomes a non-reaping `sleep`.
    let mut parent = ChildGuard::spawn(
        Command::new("sh").args(["-c", "sleep 600 & sleep 600 & exec sleep 600"]),
        false,
    );
    let pid = parent.pid();
    assert!(wait_until(Duration::from_secs(5), || children_of(pid)
        .len()
        == 2));
    let kids = children_of(pid);
    parent.extra = kids.clone();

    let mut targets: Vec<KillTarget> = kids
        .iter()
        .map(|&(p, t)| KillTarget::new(p, t, "sleep"))
        .collect();
    targets.push(parent.target("sh"));
    let out = kill_targets(&targets, Duration::from_secs(5));
    assert_eq!(out.len(), 3);
    for (p, o) in &out {
        assert!(o.ended(), "{p}: {o}");
    }
    assert_eq!(out[2], (pid, KillOutcome::Terminated));
    for &(p, t) in &kids {
        assert!(
            wait_until(Duration::from_secs(5), || !alive(p, t)),
            "{p} survived"
        );
    }
    assert!(!alive(pid, parent.start_ticks()));
}

#[test]
fn already_gone_for_reaped_and_zombie_children() {
    // Zombie: exited, not reaped.
    let zombie = ChildGuard::spawn(&mut Command::new("true"), false);
    let ticks = zombie.start_ticks();
    assert!(wait_until(Duration::from_secs(5), || {
        read_identity(zombie.pid()).is_ok_and(|i| i.state == 'Z')
    }));
    let out = kill_targets(
        &[KillTarget::new(zombie.pid(), ticks, "zombie")],
        Duration::from_secs(1),
    );
    assert_eq!(out, vec![(zombie.pid(), KillOutcome::AlreadyGone)]);

    // Reaped: no /proc entry any more.
    let mut gone = ChildGuard::spawn(&mut Command::new("true"), false);
    let pid = gone.pid();
    let ticks = gone.start_ticks();
    gone.child.wait().unwrap();
    let out = kill_targets(
        &[KillTarget::new(pid, ticks, "gone")],
        Duration::from_secs(1),
    );
    assert_eq!(out, vec![(pid, KillOutcome::AlreadyGone)]);
    assert!(out[0].1.ended());
}

#[test]
fn mixed_batch_keeps_order() {
    let child = sleeper(false);
    let me = read_identity(std::process::id()).unwrap();
    let targets = [
        KillTarget::new(1, 0, "init"),
        KillTarget::new(0, 0, "zero"),
        KillTarget::new(me.pid, me.start_ticks, "devtop"),
        child.target("sleep"),
    ];
    let out = kill_targets(&targets, Duration::from_secs(5));
    assert_eq!(
        out,
        vec![
            (1, KillOutcome::Refused(RefuseReason::Init)),
            (0, KillOutcome::Refused(RefuseReason::InvalidPid { pid: 0 })),
            (me.pid, KillOutcome::Refused(RefuseReason::Itself)),
            (child.pid(), KillOutcome::Terminated),
        ]
    );
}

#[test]
fn refuses_a_set_uid_process_running_as_another_user() {
    // A set-uid program keeps the caller's real uid; only its effective/saved uid show that it
    // runs as someone else. Making one owned by another user needs root.
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: creating a set-uid binary owned by another user needs root");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("setuid-sleep");
    std::fs::copy("/bin/sleep", &bin).unwrap();
    std::os::unix::fs::chown(&bin, Some(65534), None).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let child = ChildGuard::spawn(Command::new(&bin).arg("600"), false);
    assert!(wait_until(Duration::from_secs(5), || {
        read_identity(child.pid()).is_ok_and(|id| id.other_uids[0] == 65534)
    }));
    let id = read_identity(child.pid()).unwrap();
    assert_eq!(id.uid, 0, "real uid stays the caller's");
    let out = kill_targets(&[child.target("setuid")], Duration::from_millis(100));
    assert_eq!(
        out,
        vec![(
            child.pid(),
            KillOutcome::Refused(RefuseReason::OtherUser { uid: 65534 })
        )]
    );
    assert!(alive(child.pid(), id.start_ticks));
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_async_sequence_terminates_escalates_and_refuses_like_the_blocking_one() {
    let plain = sleeper(false);
    let mut stubborn = ChildGuard::spawn(
        Command::new("sh").args(["-c", "trap '' TERM; exec sleep 600"]),
        true,
    );
    let pid = stubborn.pid();
    assert!(wait_until(Duration::from_secs(5), || ignores_sigterm(
        pid, "sleep"
    )));
    stubborn.extra = children_of(pid);
    let moved = sleeper(false);
    let targets = [
        plain.target("sleep"),
        stubborn.target("stubborn"),
        KillTarget::new(moved.pid(), moved.start_ticks() + 1, "reused"),
        KillTarget::new(1, 0, "init"),
    ];
    let out = rt().block_on(kill_targets_async(&targets, Duration::from_millis(300)));
    assert_eq!(out[0], (plain.pid(), KillOutcome::Terminated));
    assert!(
        matches!(out[1].1, KillOutcome::Killed { after_secs } if after_secs >= 0.3),
        "{out:?}"
    );
    assert!(matches!(
        out[2].1,
        KillOutcome::Refused(RefuseReason::StartTimeChanged { .. })
    ));
    assert_eq!(out[3], (1, KillOutcome::Refused(RefuseReason::Init)));
    assert!(
        alive(moved.pid(), moved.start_ticks()),
        "refused: untouched"
    );
}
