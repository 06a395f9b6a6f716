//! The dashboard's server worker beyond supervision (driven through its API, as the
//! executor drives it, with the Servers pane's rows fed its events): a failed start leaves
//! the independent servers running and holds its dependents; a second devtop's `down` stops
//! the servers the dashboard supervises, for good.
//!
//! Safety: as in `tui_supervise`: the servers are started by the worker under test, each in a
//! session of its own; the [`Servers`] guard SIGKILLs, when the test ends (also on failure),
//! every process of the sessions the worker reported starting, through pidfds of verified
//! processes.

use crate::common::wait_until;
use crate::servers_up::{Servers, gone};
use crate::tui_supervise::{Dash, STEP, started};
use devtop::app::servers::{OpOutcome, Phase, ServerOp};
use devtop::app::update::Action;
use devtop::effects::servers::Event;
use devtop::effects::signal::read_identity;
use std::time::{Duration, Instant};

/// `u` with one server failing its start: the independent one keeps running (not stopped
/// as `devtop up` would), the dependent one is held naming why, and nothing is stopped.
#[test]
fn a_failed_start_keeps_independent_servers_running_and_holds_its_dependents() {
    let toml = "[[server]]\nname = \"api\"\ncmd = [\"sh\", \"-c\", \"sleep 0.5; exit 3\"]\n\
                ready = { log = \"never printed\" }\n\n\
                [[server]]\nname = \"web\"\ncmd = [\"sleep\", \"600\"]\ndepends_on = [\"api\"]\n\n\
                [[server]]\nname = \"solo\"\ncmd = [\"sleep\", \"600\"]\n";
    let mut p = Servers::new(toml);
    let mut d = Dash::new(&p, toml, Duration::from_millis(50));
    let outcome = d.op(ServerOp::Up { force: false });
    for pid in d.events.iter().filter_map(started) {
        p.guard(pid);
    }
    assert_eq!(outcome, OpOutcome::Failed("api".into()), "{:?}", d.events);
    let solo = d
        .events
        .iter()
        .find_map(|e| match e {
            Event::Starting { name, pid } if name == "solo" => Some(*pid),
            _ => None,
        })
        .expect("solo started");
    assert!(
        !d.events
            .iter()
            .any(|e| matches!(e, Event::Stopping { name, .. } if name == "solo")),
        "solo was stopped: {:?}",
        d.events
    );
    assert!(
        read_identity(solo).is_ok_and(|id| !id.exited()),
        "solo ended"
    );
    let phase = |n: &str| {
        d.rows
            .rows
            .iter()
            .find(|r| r.name == n)
            .map(|r| r.phase.clone())
    };
    assert_eq!(phase("solo"), Some(Phase::Ready), "{:?}", d.events);
    assert_eq!(phase("api"), Some(Phase::Failed), "{:?}", d.events);
    assert_eq!(
        phase("web"),
        Some(Phase::Held("waiting for api (failed)".into())),
        "{:?}",
        d.events
    );
    assert!(
        d.events
            .iter()
            .all(|e| !matches!(e, Event::Starting { name, .. } if name == "web")),
        "{:?}",
        d.events
    );
    let names: Vec<String> = p.recorded().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["solo"]);
    assert_eq!(d.op(ServerOp::Down { only: None }), OpOutcome::Done);
    assert!(gone(solo));
}

/// Events after `d` saw what it waited for, until `quiet` passes: none may start, restart
/// or report a crash of the server.
fn assert_quiet(d: &mut Dash, quiet: Instant) {
    while let Some(a) = d.next(quiet) {
        if let Action::ServerEvent(e, _) = a {
            assert!(
                !matches!(
                    *e,
                    Event::Starting { .. } | Event::Restarting { .. } | Event::Crashed { .. }
                ),
                "after the stop: {e:?}; saw {:?}",
                d.events
            );
        }
    }
}

/// A second devtop (`devtop down`, another process) stops a server the dashboard supervises
/// (`restart = "on-failure"`), although the dashboard holds the state-file lock: the server
/// ends, the dashboard takes it for a stop (not a crash to restart), and its entry is
/// dropped.
#[test]
fn devtop_down_beside_a_supervising_dashboard_stops_its_server_for_good() {
    let toml = "[[server]]\nname = \"api\"\nrestart = \"on-failure\"\ncmd = [\"sleep\", \"600\"]\n";
    let mut p = Servers::new(toml);
    let back_off = Duration::from_millis(50);
    let mut d = Dash::new(&p, toml, back_off);
    assert_eq!(d.op(ServerOp::Up { force: false }), OpOutcome::Done);
    let pid = d.events.iter().find_map(started).expect("started");
    p.guard(pid);
    let down = p.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    assert!(down.stdout.contains("supervises the servers"), "{down}");
    assert!(down.stdout.contains("api stopped"), "{down}");
    assert!(gone(pid), "api ({pid}) survived: {down}");
    d.event(|e| matches!(e, Event::Stopped { .. }));
    assert_quiet(&mut d, Instant::now() + back_off * 20);
    assert_eq!(d.rows.rows[0].phase, Phase::Stopped, "{:?}", d.events);
    assert!(
        wait_until(STEP, || p.recorded().is_empty()),
        "{:?}",
        p.recorded()
    );
}

/// The same while the server waits out a restart back-off (it crashed, nothing of it runs,
/// nothing is recorded): `devtop down` beside the dashboard stops it for good.
#[test]
fn devtop_down_beside_a_dashboard_cancels_a_pending_restart() {
    let toml = "[[server]]\nname = \"flaky\"\nshell = true\nrestart = \"on-failure\"\n\
                cmd = \"sleep 0.3; exit 3\"\n";
    let mut p = Servers::new(toml);
    let back_off = Duration::from_secs(3);
    let mut d = Dash::new(&p, toml, back_off);
    d.worker.send(ServerOp::Up { force: false });
    d.next_start(&mut p);
    d.event(|e| matches!(e, Event::Restarting { .. }));
    let down = p.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    d.event(|e| matches!(e, Event::Stopped { .. }));
    assert_quiet(&mut d, Instant::now() + back_off * 2);
    assert_eq!(d.rows.rows[0].phase, Phase::Stopped, "{:?}", d.events);
}

/// `devtop down` beside a foreground `devtop up` that supervises an `on-failure` server: the
/// server ends, the foreground `up` lets go of it (no restart) and exits 0 once nothing is
/// left to supervise.
#[test]
fn devtop_down_beside_a_foreground_up_stops_its_server_for_good() {
    use crate::servers_supervise::Foreground;
    let toml = "[[server]]\nname = \"api\"\nrestart = \"on-failure\"\ncmd = [\"sleep\", \"600\"]\n";
    let mut s = Servers::new(toml);
    let mut fg = Foreground::start(&s, &[], &[("DEVTOP_TEST_RESTART_BASE_MS", "50")]);
    assert!(fg.saw("supervising", 1), "{}", fg.text());
    let pid = crate::servers_up::started_pids(&fg.stdout())[0];
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    assert!(down.stdout.contains("supervises the servers"), "{down}");
    assert!(gone(pid), "api ({pid}) survived: {down}");
    let code = fg.wait().and_then(|c| c.code());
    let out = fg.text();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("every server has exited"), "{out}");
    assert!(!out.contains("restarting"), "{out}");
    assert_eq!(
        crate::servers_up::started_pids(&fg.stdout()).len(),
        1,
        "{out}"
    );
    assert!(s.recorded().is_empty(), "{:?}", s.recorded());
}
