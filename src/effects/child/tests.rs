//! Supervised children on real processes: `sh` and `sleep` started by the tests.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::effects::signal::test_support::{ignores_sigterm, wait_until};
use crate::effects::tether::tests::gone;
use std::time::{Duration, Instant};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn sh(script: &str) -> ChildSpec {
    ChildSpec::new("/bin/sh").arg("-c").arg(script)
}

/// A script that starts a grandchild `sleep 600` in the group, prints its PID, then waits.
const WITH_GRANDCHILD: &str = "sleep 600 & echo $!; wait";

async fn first_pid(child: &mut Supervised) -> u32 {
    let line = child.next_line().await.unwrap();
    line.text.trim().parse().unwrap()
}

fn alive(pid: u32) -> bool {
    crate::effects::signal::read_identity(pid).is_ok_and(|id| !id.exited())
}

#[test]
fn exit_codes_and_output_are_reported() {
    rt().block_on(async {
        let ran = Supervised::spawn(sh("echo out; echo err >&2; exit 3"))
            .unwrap()
            .run(10)
            .await;
        assert_eq!(ran.finished.exit, Exit::Code(3));
        assert_eq!(ran.finished.cause, EndCause::Exited);
        assert!(!ran.finished.escalated);
        let mut got: Vec<(Stream, String)> =
            ran.lines.into_iter().map(|l| (l.stream, l.text)).collect();
        got.sort_by_key(|(s, _)| *s == Stream::Stderr);
        assert_eq!(
            got,
            vec![
                (Stream::Stdout, "out".into()),
                (Stream::Stderr, "err".into())
            ]
        );
        let ok = Supervised::spawn(ChildSpec::new("true"))
            .unwrap()
            .run(0)
            .await;
        assert!(ok.finished.exit.success());
    });
}

#[test]
fn lines_arrive_while_the_child_runs() {
    rt().block_on(async {
        let mut child = Supervised::spawn(sh("echo one; exec sleep 600")).unwrap();
        let line = child.next_line().await.unwrap();
        assert_eq!(line.text, "one");
        assert!(alive(child.pid()), "the line came before the exit");
        let f = child.terminate().await;
        assert_eq!(f.exit, Exit::Signal(15));
        assert_eq!(f.cause, EndCause::Terminated);
        child.end().await;
    });
}

#[test]
fn terminate_ends_the_whole_group() {
    rt().block_on(async {
        let mut child = Supervised::spawn(sh(WITH_GRANDCHILD)).unwrap();
        let grandchild = first_pid(&mut child).await;
        let f = child.terminate().await;
        assert_eq!(f.cause, EndCause::Terminated);
        assert!(gone(grandchild), "the grandchild {grandchild} survived");
        // Terminate again: the same answer, nothing signalled.
        assert_eq!(child.terminate().await, f);
        child.end().await;
    });
}

#[test]
fn a_child_ignoring_sigterm_is_killed_after_the_grace() {
    rt().block_on(async {
        let spec = sh("trap '' TERM; echo ready; exec sleep 600").grace(Duration::from_millis(300));
        let mut child = Supervised::spawn(spec).unwrap();
        assert_eq!(child.next_line().await.unwrap().text, "ready");
        let f = child.terminate().await;
        assert!(f.escalated, "{f:?}");
        assert_eq!(f.exit, Exit::Signal(9));
        child.end().await;
    });
}

#[test]
fn members_left_behind_by_an_exited_leader_get_the_grace_then_sigkill() {
    rt().block_on(async {
        // The leader exits on SIGTERM at once; its grandchild ignores SIGTERM.
        let spec = sh("(trap '' TERM; exec sleep 600) & echo $!; exec sleep 600")
            .grace(Duration::from_millis(300));
        let mut child = Supervised::spawn(spec).unwrap();
        let stubborn = first_pid(&mut child).await;
        // Until the subshell has set its trap, SIGTERM would still end it.
        assert!(wait_until(Duration::from_secs(5), || ignores_sigterm(
            stubborn, "sleep"
        )));
        let f = child.terminate().await;
        assert_eq!(f.exit, Exit::Signal(15));
        assert!(f.escalated, "the stubborn member needed SIGKILL: {f:?}");
        assert!(gone(stubborn));
        child.end().await;
    });
}

#[test]
fn the_time_limit_stops_the_group() {
    rt().block_on(async {
        let spec = sh(WITH_GRANDCHILD).timeout(Duration::from_millis(300));
        let mut child = Supervised::spawn(spec).unwrap();
        let grandchild = first_pid(&mut child).await;
        let f = child.wait().await;
        assert_eq!(f.cause, EndCause::TimedOut);
        assert!(f.runtime >= Duration::from_millis(300));
        assert!(gone(grandchild));
        child.end().await;
    });
}

/// A child whose group prints a line while it dies of the time limit's SIGTERM: `run` reads that
/// line during the grace and must still report the end as a time-out (re-creating the wait on each
/// line used to cancel the stop and report "killed by signal 15" as an exit).
#[test]
fn a_line_printed_on_sigterm_keeps_the_time_out() {
    rt().block_on(async {
        // The leader dies of the SIGTERM at once; a member of its group, started before the
        // time limit with SIGTERM ignored (the stop signals every member), prints the line a
        // moment after the leader's trap touches a flag file, while the stop still waits for
        // the group.
        let script = "F=${TMPDIR:-/tmp}/devtop-child-test-$$; \
                      (trap '' TERM; while [ ! -e \"$F\" ]; do sleep 0.02; done; \
                       sleep 0.2; rm -f \"$F\"; echo bye) & \
                      trap 'touch \"$F\"; trap - TERM; kill -TERM $$' TERM; \
                      echo up; while :; do sleep 0.05; done";
        let spec = sh(script)
            .timeout(Duration::from_millis(300))
            .grace(Duration::from_secs(5));
        let child = Supervised::spawn(spec).unwrap();
        let ran = child.run(16).await;
        assert_eq!(ran.finished.cause, EndCause::TimedOut, "{:?}", ran.finished);
        assert!(
            !ran.finished.escalated,
            "it ended within the grace: {:?}",
            ran.finished
        );
        let texts: Vec<&str> = ran.lines.iter().map(|l| l.text.as_str()).collect();
        assert!(texts.contains(&"bye"), "{texts:?}");
    });
}

#[test]
fn ending_after_a_normal_exit_kills_what_the_child_left() {
    rt().block_on(async {
        // The child exits 0 at once, leaving a grandchild that holds stdout open.
        let ran = Supervised::spawn(sh("sleep 600 & echo $!"))
            .unwrap()
            .run(5)
            .await;
        assert_eq!(ran.finished.exit, Exit::Code(0));
        let grandchild: u32 = ran.lines[0].text.parse().unwrap();
        assert!(gone(grandchild));
    });
}

#[test]
fn dropping_kills_the_group() {
    rt().block_on(async {
        let mut child = Supervised::spawn(sh(WITH_GRANDCHILD)).unwrap();
        let grandchild = first_pid(&mut child).await;
        let pid = child.pid();
        drop(child);
        assert!(
            gone(grandchild),
            "grandchild {grandchild} survived the drop"
        );
        assert!(gone(pid));
    });
}

/// Environment variable naming the file where [`devtop_stand_in`] writes its grandchild's PID.
const STAND_IN_ENV: &str = "DEVTOP_CHILD_TEST_STAND_IN";

/// Not a test on its own: run by [`the_group_dies_when_devtop_is_sigkilled`] in a process of
/// its own, which plays devtop (started with the variable set, else it returns at once).
#[test]
fn devtop_stand_in() {
    let Some(file) = std::env::var_os(STAND_IN_ENV) else {
        return;
    };
    rt().block_on(async {
        let mut child = Supervised::spawn(sh(WITH_GRANDCHILD)).unwrap();
        let grandchild = first_pid(&mut child).await;
        std::fs::write(&file, grandchild.to_string()).unwrap();
        // Wait to be SIGKILLed.
        std::future::pending::<()>().await;
    });
}

#[test]
fn the_group_dies_when_devtop_is_sigkilled() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grandchild");
    let mut devtop = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "effects::child::tests::devtop_stand_in",
            "--test-threads=1",
        ])
        .env(STAND_IN_ENV, &file)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let grandchild = loop {
        if let Some(pid) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            break pid;
        }
        assert!(Instant::now() < deadline, "the stand-in never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(alive(grandchild));
    devtop.kill().unwrap(); // SIGKILL: devtop runs no code at all.
    devtop.wait().unwrap();
    // The grandchild has no PR_SET_PDEATHSIG (fork clears it): only the tether ends it.
    assert!(gone(grandchild), "grandchild {grandchild} outlived devtop");
}
