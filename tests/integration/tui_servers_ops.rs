//! The dashboard's server worker beyond supervision (driven through its API, as the
//! executor drives it, with the Servers pane's rows fed its events): a failed start leaves
//! the independent servers running and holds its dependents.
//!
//! Safety: as in `tui_supervise`: the servers are started by the worker under test, each in a
//! session of its own; the [`Servers`] guard SIGKILLs, when the test ends (also on failure),
//! every process of the sessions the worker reported starting, through pidfds of verified
//! processes.

use crate::servers_up::{Servers, gone};
use crate::tui_supervise::{Dash, started};
use devtop::app::servers::{OpOutcome, Phase, ServerOp};
use devtop::effects::servers::Event;
use devtop::effects::signal::read_identity;
use std::time::Duration;

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
