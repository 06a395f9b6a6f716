//! The dashboard's server worker supervises what it starts (driven through its API, as the
//! executor drives it, with the Servers pane's rows fed its events as `update` feeds them): an
//! `on-failure` server exiting with code 3 shows exited(3), then restarting, then is started
//! and ready again; `d` during a back-off stops it for good (no restart after, no process, no
//! record left); a server killed by a signal shows crashed(SIGKILL), also while what its
//! leader left is stopped and a poll still finds it.
//!
//! Safety: the servers are started by the worker under test, each in a session of its own;
//! the [`Servers`] guard SIGKILLs, when the test ends (also on failure), every process of the
//! sessions the worker reported starting, through pidfds of verified processes. The only
//! signal the test sends itself goes to the PID the worker reported starting from the test's
//! own config, verified by its start time.

use crate::servers_up::{Servers, gone, kill_verified};
use devtop::app::server_worker::{ServerProject, ServerWorker};
use devtop::app::servers::{OpOutcome, ServerOp, Servers as Rows};
use devtop::app::update::Action;
use devtop::config::Config;
use devtop::effects::servers::Event;
use devtop::effects::signal::read_identity;
use devtop::model::server_restart::Backoff;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{self, UnboundedReceiver};

/// How long one step may take on a loaded machine.
pub(crate) const STEP: Duration = Duration::from_secs(30);

/// The worker of a project, its results, and the Servers pane rows fed with its events.
pub(crate) struct Dash {
    pub(crate) worker: ServerWorker,
    results: UnboundedReceiver<Action>,
    rt: tokio::runtime::Runtime,
    pub(crate) rows: Rows,
    /// Every event seen, in order.
    pub(crate) events: Vec<Event>,
    /// The STATE labels of the one server, in order, without repeats.
    labels: Vec<String>,
}

impl Dash {
    /// The worker for the project `p` (its devtop.toml is `toml`), restarts after `base`
    /// doubling (cap 30 × base).
    pub(crate) fn new(p: &Servers, toml: &str, base: Duration) -> Dash {
        let config = Config::parse(toml, &p.root().join("devtop.toml")).expect("config");
        let mut project = ServerProject::new(
            p.root().to_path_buf(),
            config.servers.clone(),
            Vec::new(),
            p.root().join("prisma/migrations"),
        );
        project.backoff = Backoff {
            base,
            max: base * 30,
            reset_after: base * 10,
            ..Backoff::DEFAULT
        };
        let (tx, results) = mpsc::unbounded_channel();
        let worker = ServerWorker::spawn(project, tx).expect("worker");
        Dash {
            worker,
            results,
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            rows: Rows::new(&config.servers, 100),
            events: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// The next result before `deadline` (events applied to the rows); `None` at the deadline.
    pub(crate) fn next(&mut self, deadline: Instant) -> Option<Action> {
        let left = deadline.saturating_duration_since(Instant::now());
        let a = self
            .rt
            .block_on(async { tokio::time::timeout(left, self.results.recv()).await })
            .ok()
            .flatten()?;
        if let Action::ServerEvent(e, at) = &a {
            self.rows.apply_event(e, *at);
            self.events.push((**e).clone());
            let label = self.rows.rows[0].phase.label();
            if self.labels.last() != Some(&label) {
                self.labels.push(label);
            }
        }
        Some(a)
    }

    /// Waits for an event matching `want`; panics with what was seen at the deadline.
    pub(crate) fn event(&mut self, want: impl Fn(&Event) -> bool) -> Event {
        let deadline = Instant::now() + STEP;
        while let Some(a) = self.next(deadline) {
            if let Action::ServerEvent(e, _) = a
                && want(&e)
            {
                return *e;
            }
        }
        panic!("no such event; saw {:?}", self.events);
    }

    /// Waits for the next `Starting` event and puts its session under `p`'s guard: its PID.
    pub(crate) fn next_start(&mut self, p: &mut Servers) -> u32 {
        let pid = started(&self.event(|e| started(e).is_some())).expect("pid");
        p.guard(pid);
        pid
    }

    /// Sends `op` and waits for its end (events applied meanwhile).
    pub(crate) fn op(&mut self, op: ServerOp) -> OpOutcome {
        self.worker.send(op.clone());
        let deadline = Instant::now() + STEP;
        while let Some(a) = self.next(deadline) {
            if let Action::ServersDone(done, outcome) = a
                && done == op
            {
                return outcome;
            }
        }
        panic!("{op:?} did not end; saw {:?}", self.events);
    }
}

/// The PID of a `Starting` event.
pub(crate) fn started(e: &Event) -> Option<u32> {
    match e {
        Event::Starting { pid, .. } => Some(*pid),
        _ => None,
    }
}

#[test]
fn on_failure_exit_3_shows_exited_then_restarting_then_ready_and_d_stops_it() {
    let toml = "[[server]]\nname = \"flaky\"\nshell = true\nrestart = \"on-failure\"\n\
                cmd = \"if [ -e ran ]; then exec sleep 600; fi; touch ran; sleep 0.5; exit 3\"\n";
    let mut p = Servers::new(toml);
    let mut d = Dash::new(&p, toml, Duration::from_millis(50));
    d.worker.send(ServerOp::Up { force: false });
    d.next_start(&mut p);
    d.event(|e| matches!(e, Event::Exited { code: Some(3), .. }));
    let again = d.next_start(&mut p);
    d.event(|e| matches!(e, Event::Ready { .. }));
    assert_eq!(
        d.labels,
        [
            "starting",
            "ready",
            "exited(3)",
            "restarting",
            "starting",
            "ready"
        ],
        "{:?}",
        d.events
    );
    assert!(
        d.rows.rows[0].ours,
        "a restarted server is still this devtop's"
    );
    assert_eq!(d.op(ServerOp::Down { only: None }), OpOutcome::Done);
    assert_eq!(d.rows.rows[0].phase.label(), "stopped");
    assert!(gone(again), "pid {again} still runs");
    assert!(p.recorded().is_empty(), "{:?}", p.recorded());
}

#[test]
fn d_during_a_back_off_stops_the_server_for_good() {
    let toml = "[[server]]\nname = \"flaky\"\nshell = true\nrestart = \"on-failure\"\n\
                cmd = \"sleep 0.3; exit 3\"\n";
    let mut p = Servers::new(toml);
    let back_off = Duration::from_secs(3);
    let mut d = Dash::new(&p, toml, back_off);
    d.worker.send(ServerOp::Up { force: false });
    let pid = d.next_start(&mut p);
    d.event(|e| matches!(e, Event::Restarting { .. }));
    assert_eq!(d.rows.rows[0].phase.label(), "restarting");
    assert_eq!(d.rows.ours_running(), ["flaky"], "quit would stop it");
    // The worker takes `d` while the back-off runs (the restart is not waited out first).
    assert_eq!(d.op(ServerOp::Down { only: None }), OpOutcome::Done);
    let starts = d.events.iter().filter(|e| started(e).is_some()).count();
    assert_eq!(starts, 1, "restarted before the stop: {:?}", d.events);
    assert_eq!(d.rows.rows[0].phase.label(), "stopped", "{:?}", d.events);
    // Past the back-off (twice over): nothing restarts it.
    let quiet = Instant::now() + back_off * 2;
    while let Some(a) = d.next(quiet) {
        if let Action::ServerEvent(e, _) = a {
            panic!("after the stop: {e:?}");
        }
    }
    assert!(gone(pid), "pid {pid} still runs");
    assert!(p.recorded().is_empty(), "{:?}", p.recorded());
}

#[test]
fn a_server_killed_by_a_signal_shows_crashed() {
    let toml = "[[server]]\nname = \"sleeper\"\ncmd = [\"sleep\", \"600\"]\n";
    let mut p = Servers::new(toml);
    let mut d = Dash::new(&p, toml, Duration::from_millis(50));
    assert_eq!(d.op(ServerOp::Up { force: false }), OpOutcome::Done);
    let pid = d.events.iter().find_map(started).expect("a Starting event");
    p.guard(pid);
    let ticks = read_identity(pid).expect("identity").start_ticks;
    kill_verified(pid, ticks);
    d.event(|e| matches!(e, Event::Crashed { signal: 9, .. }));
    assert_eq!(d.rows.rows[0].phase.label(), "crashed(SIGKILL)");
    assert!(d.rows.ours_running().is_empty(), "nothing of it runs");
}

/// A2: a server launched here whose leader is killed while a child it started still runs
/// (the child ignores SIGTERM, so the supervisor's stop of it takes the grace) shows
/// crashed(SIGKILL) throughout: a poll of `.devtop/state.json` and `/proc` that finds the child
/// during that stop adds its numbers but does not label the row adopted, and the stop of the
/// leftovers does not turn it into "stopping".
#[test]
fn a_crash_that_leaves_a_child_stays_crashed_while_the_child_is_stopped() {
    let toml = "[[server]]\nname = \"pair\"\nstop_grace = \"2s\"\n\
                cmd = [\"sh\", \"-c\", \"trap '' TERM; sleep 600 & wait\"]\n";
    let mut p = Servers::new(toml);
    let mut d = Dash::new(&p, toml, Duration::from_millis(50));
    assert_eq!(d.op(ServerOp::Up { force: false }), OpOutcome::Done);
    let pid = d.events.iter().find_map(started).expect("a Starting event");
    p.guard(pid);
    let ticks = read_identity(pid).expect("identity").start_ticks;
    kill_verified(pid, ticks);
    d.event(|e| matches!(e, Event::Crashed { signal: 9, .. }));
    let Event::Stopping { pids, .. } = d.event(|e| matches!(e, Event::Stopping { .. })) else {
        unreachable!()
    };
    assert_eq!(pids.len(), 1, "the child: {pids:?}");
    let poll = devtop::collect::servers_poll::ServerPoller::new(p.root().to_path_buf()).poll();
    let found = poll
        .running
        .iter()
        .find(|s| s.name == "pair")
        .expect("polled");
    assert!(!found.leader_alive && found.members == pids, "{found:?}");
    d.rows.apply_poll(poll);
    assert_eq!(d.rows.rows[0].phase.label(), "crashed(SIGKILL)");
    assert_eq!(d.rows.rows[0].members, pids);
    assert!(gone(pids[0]), "the child {} survived", pids[0]);
    // Every event of the stop is in (Killed after the grace), none changed the label.
    d.event(|e| matches!(e, Event::Killed { .. }));
    assert_eq!(
        d.labels,
        ["starting", "ready", "crashed(SIGKILL)"],
        "{:?}",
        d.events
    );
    assert!(d.rows.ours_running().is_empty(), "nothing of it runs");
}

/// H7: the stop before devtop ends ([`ServerOp::StopOurs`]) stops what the worker launched,
/// also while the start that launched it is still under way (its readiness never comes), and
/// leaves running a server it did not start (`base`, from an earlier `devtop up --wait`).
#[test]
fn stop_ours_stops_what_a_start_under_way_launched_and_leaves_the_rest() {
    let port = crate::servers_up::free_port();
    let toml = format!(
        "[[server]]\nname = \"base\"\ncmd = [\"sleep\", \"600\"]\n\n\
         [[server]]\nname = \"slow\"\ncmd = [\"sleep\", \"600\"]\n\
         ready = {{ tcp = {port} }}\nready_timeout = \"10m\"\n"
    );
    let mut p = Servers::new(&toml);
    let first = p.devtop(&["up", "--wait", "--only", "base"]);
    assert_eq!(first.code, Some(0), "{first}");
    let base = crate::servers_up::started_pids(&first.stdout)[0];
    let mut d = Dash::new(&p, &toml, Duration::from_millis(50));
    d.worker.send(ServerOp::Up { force: false });
    let e = d.event(|e| matches!(e, Event::Starting { name, .. } if name == "slow"));
    let slow = started(&e).expect("pid");
    p.guard(slow);
    assert_eq!(d.op(ServerOp::StopOurs), OpOutcome::Done, "{:?}", d.events);
    assert!(gone(slow), "slow ({slow}) still runs: {:?}", d.events);
    assert!(
        read_identity(base).is_ok_and(|id| !id.exited()),
        "base ({base}) was stopped: {:?}",
        d.events
    );
    let names: Vec<String> = p.recorded().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["base"]);
    assert_eq!(p.devtop(&["down"]).code, Some(0));
    assert!(gone(base));
}

/// H6: an op taken while the supervisor stops what an exited leader left behind (a member
/// ignoring SIGTERM, 3 s of grace) does not make the exit count twice: one `Exited`, the
/// member SIGKILLed at the end of its grace, one restart (attempt 1).
#[test]
fn an_op_during_the_stop_after_an_exit_does_not_handle_the_exit_twice() {
    let toml = "[[server]]\nname = \"flaky\"\nshell = true\nrestart = \"on-failure\"\n\
                stop_grace = \"3s\"\ncmd = \"if [ -e ran ]; then exec sleep 600; fi; touch ran; \
                sh -c 'trap \\\"\\\" TERM; echo $$ > member; exec sleep 600' & \
                while [ ! -s member ]; do sleep 0.05; done; exit 3\"\n";
    let mut p = Servers::new(toml);
    let mut d = Dash::new(&p, toml, Duration::from_millis(50));
    d.worker.send(ServerOp::Up { force: false });
    d.next_start(&mut p);
    d.event(|e| matches!(e, Event::Exited { code: Some(3), .. }));
    d.event(|e| matches!(e, Event::Stopping { pids, .. } if !pids.is_empty()));
    // During the member's grace: an op that stops nothing, taken at once.
    assert_eq!(d.op(ServerOp::Down { only: Some(vec![]) }), OpOutcome::Done);
    d.event(|e| matches!(e, Event::Killed { .. }));
    d.next_start(&mut p);
    let exits = d
        .events
        .iter()
        .filter(|e| matches!(e, Event::Exited { .. }))
        .count();
    assert_eq!(exits, 1, "{:?}", d.events);
    let restarts: Vec<u32> = d
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Restarting { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(restarts, [1], "{:?}", d.events);
    let member: u32 = std::fs::read_to_string(p.root().join("member"))
        .expect("member pid")
        .trim()
        .parse()
        .expect("a pid");
    assert!(gone(member), "member {member} survived");
    assert_eq!(d.op(ServerOp::Down { only: None }), OpOutcome::Done);
}

/// D3: a server that gives up because its restarts fail (its port is taken by the test after
/// the first start) records "gave up after 5 failures in a row" as its last error in the
/// state file, as one that gives up because it exits does.
#[test]
fn giving_up_on_failed_restarts_is_recorded_for_status() {
    let port = crate::servers_up::free_port();
    let toml = format!(
        "[[server]]\nname = \"flaky\"\nshell = true\nrestart = \"on-failure\"\nport = {port}\n\
         cmd = \"while [ ! -e go ]; do sleep 0.05; done; exit 3\"\n"
    );
    let mut p = Servers::new(&toml);
    let mut d = Dash::new(&p, &toml, Duration::from_millis(20));
    d.worker.send(ServerOp::Up { force: false });
    d.next_start(&mut p);
    let _taken = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
    p.write("go", "");
    d.event(|e| matches!(e, Event::GaveUp { failures: 5, .. }));
    let fails = d
        .events
        .iter()
        .filter(|e| matches!(e, Event::Failed { reason, .. } if reason.contains("is taken")))
        .count();
    assert_eq!(fails, 4, "{:?}", d.events);
    let state = devtop::effects::servers::state::read(p.root()).expect("state");
    let error = state
        .outcomes
        .iter()
        .find(|o| o.name == "flaky")
        .and_then(|o| o.last_error.clone())
        .unwrap_or_default();
    assert!(
        error.contains("is taken") && error.ends_with("gave up after 5 failures in a row"),
        "{error:?}"
    );
}

/// M6: a server this devtop did not start (`base`, from an earlier `devtop up --wait`,
/// `restart = "on-failure"`) that its owner stops is reported exited and left alone: no
/// restart within twenty back-offs.
#[test]
fn a_server_not_started_here_is_not_restarted_when_it_exits() {
    let toml =
        "[[server]]\nname = \"base\"\nrestart = \"on-failure\"\ncmd = [\"sleep\", \"600\"]\n";
    let mut p = Servers::new(toml);
    let first = p.devtop(&["up", "--wait"]);
    assert_eq!(first.code, Some(0), "{first}");
    let base = crate::servers_up::started_pids(&first.stdout)[0];
    let back_off = Duration::from_millis(50);
    let mut d = Dash::new(&p, toml, back_off);
    assert_eq!(d.op(ServerOp::Up { force: false }), OpOutcome::Done);
    assert!(
        d.events
            .iter()
            .any(|e| matches!(e, Event::AlreadyRunning { .. })),
        "{:?}",
        d.events
    );
    // Its owner (here the test, for the earlier up) stops it.
    let ticks = read_identity(base).expect("identity").start_ticks;
    kill_verified(base, ticks);
    d.event(|e| matches!(e, Event::Exited { code: None, .. }));
    let quiet = Instant::now() + back_off * 20;
    while let Some(a) = d.next(quiet) {
        if let Action::ServerEvent(e, _) = a {
            panic!("after its owner stopped it: {e:?}");
        }
    }
}

/// H4: the dashboard's worker takes the state-file lock for its ops: while another devtop
/// holds it (here the test, as "up"), `u` is refused naming the holder, and nothing starts
/// (`d` stops beside it, see `tui_servers_ops`); once it is free, `u` starts the server.
#[test]
fn ops_are_refused_while_another_devtop_holds_the_state_lock() {
    let toml = "[[server]]\nname = \"sleeper\"\ncmd = [\"sleep\", \"600\"]\n";
    let mut p = Servers::new(toml);
    let held = devtop::effects::servers::lock::try_acquire(p.root(), "up").expect("lock");
    let mut d = Dash::new(&p, toml, Duration::from_millis(50));
    let up = d.op(ServerOp::Up { force: false });
    for pid in d.events.iter().filter_map(started) {
        p.guard(pid);
    }
    let me = std::process::id();
    let OpOutcome::Error(why) = &up else {
        panic!("not refused: {up:?} {:?}", d.events);
    };
    assert!(why.contains(&format!("PID {me}, up")), "{why}");
    assert!(
        d.events.iter().all(|e| started(e).is_none()),
        "{:?}",
        d.events
    );
    // A stop is not refused: the holder is asked to let go (nothing runs here to stop).
    assert_eq!(d.op(ServerOp::Down { only: None }), OpOutcome::Done);
    drop(held);
    assert_eq!(d.op(ServerOp::Up { force: false }), OpOutcome::Done);
    let pid = d.events.iter().find_map(started).expect("started");
    p.guard(pid);
    // The worker holds the lock while it watches the server.
    let refused = devtop::effects::servers::lock::try_acquire(p.root(), "down");
    assert!(
        refused.is_err(),
        "the lock is free while the worker supervises"
    );
    assert_eq!(d.op(ServerOp::Down { only: None }), OpOutcome::Done);
    assert!(gone(pid));
    // Nothing watched: the worker lets go of the lock.
    let free = || devtop::effects::servers::lock::try_acquire(p.root(), "down").is_ok();
    assert!(
        crate::common::wait_until(STEP, free),
        "the idle worker keeps the lock"
    );
}

/// M5: two independent servers whose ports are both taken (by listeners of this test) are
/// asked about one at a time: while the first question is open no second one comes and the
/// start waits for the answer; answered "cancel", the start fails with the server asked about.
#[test]
fn two_port_conflicts_are_asked_one_at_a_time() {
    use devtop::effects::servers::port_conflict::PortDecision;
    let a = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let b = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let (pa, pb) = (
        a.local_addr().expect("a").port(),
        b.local_addr().expect("b").port(),
    );
    let toml = format!(
        "[[server]]\nname = \"api\"\ncmd = [\"sleep\", \"600\"]\nport = {pa}\n\n\
         [[server]]\nname = \"worker\"\ncmd = [\"sleep\", \"600\"]\nport = {pb}\n"
    );
    let p = Servers::new(&toml);
    let mut d = Dash::new(&p, &toml, Duration::from_millis(50));
    d.worker.send(ServerOp::Up { force: false });
    let deadline = Instant::now() + STEP;
    let asked = loop {
        match d.next(deadline) {
            Some(Action::PortConflict(name, _)) => break name,
            Some(_) => {}
            None => panic!("no question; saw {:?}", d.events),
        }
    };
    // While it is open: no second question, and the start waits.
    let open = Instant::now() + Duration::from_secs(1);
    while let Some(a) = d.next(open) {
        assert!(
            !matches!(a, Action::PortConflict(..) | Action::ServersDone(..))
                && !matches!(&a, Action::ServerEvent(e, _) if matches!(**e, Event::Failed { .. })),
            "while the first question is open: {a:?}; saw {:?}",
            d.events
        );
    }
    d.worker.decide(PortDecision::Cancel);
    let deadline = Instant::now() + STEP;
    let outcome = loop {
        match d.next(deadline) {
            Some(Action::ServersDone(_, o)) => break o,
            Some(Action::PortConflict(..)) => d.worker.decide(PortDecision::Cancel),
            Some(_) => {}
            None => panic!("the start did not end; saw {:?}", d.events),
        }
    };
    assert_eq!(outcome, OpOutcome::Failed(asked), "{:?}", d.events);
    assert!(
        d.events.iter().all(|e| started(e).is_none()),
        "{:?}",
        d.events
    );
}
