//! The dashboard's server supervisor: one thread with its own single-threaded runtime (the
//! supervisor's futures hold borrowed trait objects and are not `Send`) that runs the
//! [`ServerOp`]s the executor hands it, one at a time, through the same functions the
//! headless `devtop up` / `down` use ([`executor::servers_start`], [`executor::servers_down`]),
//! and watches what runs with a [`Supervisor`] (as the foreground `devtop up` does): exits
//! are reported with their code or signal, `restart = "on-failure"` servers are restarted
//! with back-off ([`crate::model::server_restart`]) and logs rotated. The supervisor runs
//! alongside the op under way and between ops; it is cancel-safe, so a new op (a `d` during a
//! long back-off, the stop before quitting) is taken at once. Every step comes back to the
//! loop as [`Action::ServerEvent`], an op's end as [`Action::ServersDone`].
//!
//! A server is [`Supervisor::forget`]-ten before the worker stops or restarts it itself, so
//! a deliberate stop is never seen as a crash and restarted; one forgotten while waiting out
//! its back-off (nothing of it runs) is reported [`Event::Stopped`]. A `Down` interrupts a
//! start under way (what it started is recorded in `.devtop/state.json`, so the `Down` then
//! stops it).
//!
//! Every op takes the lock of `.devtop/state.json` first ([`lock`], as `devtop up` and
//! `devtop down` do; up to 2 s): while another devtop holds it the op is refused with the
//! holder's PID and what it does — except a stop, which, as `devtop down` does, asks that
//! devtop to let go of the servers and stops them from here
//! ([`crate::effects::servers::down::down_beside`]). The worker keeps the lock while its supervisor watches
//! servers, and lets go of it once nothing is watched.

use crate::app::executor::{self, RequireProbe};
use crate::app::servers::{OpOutcome, ServerOp};
use crate::app::update::Action;
use crate::collect::environments::EnvSpec;
use crate::effects::servers::Event;
use crate::effects::servers::down;
use crate::effects::servers::lock::{self, StateLock};
use crate::effects::servers::port_conflict::{Conflict, PortConflicts, PortDecision};
use crate::effects::servers::state::Recorded;
use crate::effects::servers::supervise::Supervisor;
use crate::effects::servers::up::{Gate, Launched, Running};
use crate::model::server::ServerSpec;
use crate::model::server_order::{start_order, with_dependencies};
use crate::model::server_restart::Backoff;
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_util::sync::CancellationToken;

/// What the worker needs of the project.
#[derive(Debug, Clone)]
pub struct ServerProject {
    /// Project root (servers' cwd base, `.devtop/`).
    pub root: PathBuf,
    /// The configured servers, config order.
    pub specs: Vec<ServerSpec>,
    /// Database environments (for `requires`).
    pub envs: Vec<EnvSpec>,
    /// The local migrations folder (for `requires = ["migrations:…"]`).
    pub migrations_dir: PathBuf,
    /// The restart back-off of `on-failure` servers ([`Backoff::DEFAULT`] in the product:
    /// 1 s doubling to 30 s, giving up at the fifth failure in a row).
    pub backoff: Backoff,
    /// Log size in bytes at which a supervised server's log is rotated
    /// ([`crate::effects::servers::rotate::ROTATE_AT`] in the product).
    pub rotate_at: u64,
}

impl ServerProject {
    /// The project's servers with the product's back-off and rotation size (tests may scale
    /// them down through `DEVTOP_TEST_RESTART_BASE_MS` / `DEVTOP_TEST_ROTATE_BYTES`, as for
    /// `devtop up`).
    pub fn new(
        root: PathBuf,
        specs: Vec<ServerSpec>,
        envs: Vec<EnvSpec>,
        migrations_dir: PathBuf,
    ) -> ServerProject {
        ServerProject {
            root,
            specs,
            envs,
            migrations_dir,
            backoff: crate::headless::servers::backoff(),
            rotate_at: crate::effects::servers::rotate::limit(),
        }
    }
}

/// The handle the executor keeps: ops go in, a start under way can be interrupted, a port
/// conflict's question answered.
pub struct ServerWorker {
    ops: UnboundedSender<ServerOp>,
    /// Cancels the start (or restart) under way, when one is.
    current: Arc<Mutex<Option<CancellationToken>>>,
    /// The port-conflict question waiting for the user's answer, when one is.
    asking: Asking,
}

type Asking = Arc<Mutex<Option<tokio::sync::oneshot::Sender<PortDecision>>>>;

/// The dashboard's answer to a taken port: ask the user ([`Action::PortConflict`] opens the
/// dialog) and wait for [`ServerWorker::decide`]; no answer (the start interrupted, devtop
/// ending) is a cancel. One question at a time: independent servers are checked at once, so
/// a second conflict waits until the first is answered (one dialog, one answer slot).
struct AskUser {
    results: UnboundedSender<Action>,
    asking: Asking,
    /// Held from a question to its answer.
    turn: tokio::sync::Mutex<()>,
}

impl PortConflicts for AskUser {
    fn decide<'a>(
        &'a self,
        spec: &'a ServerSpec,
        conflict: &'a Conflict,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = PortDecision> + 'a>> {
        Box::pin(async move {
            let _turn = self.turn.lock().await;
            let (tx, rx) = tokio::sync::oneshot::channel();
            if let Ok(mut a) = self.asking.lock() {
                *a = Some(tx);
            }
            let ask = Action::PortConflict(spec.name.clone(), Box::new(conflict.clone()));
            if self.results.send(ask).is_err() {
                return PortDecision::Cancel;
            }
            rx.await.unwrap_or(PortDecision::Cancel)
        })
    }
}

impl ServerWorker {
    /// Start the worker thread for `project`, reporting to `results`. The thread ends when
    /// the handle is dropped (after the op under way).
    ///
    /// # Errors
    /// The thread or its runtime cannot be created.
    pub fn spawn(
        project: ServerProject,
        results: UnboundedSender<Action>,
    ) -> std::io::Result<ServerWorker> {
        let (tx, rx) = mpsc::unbounded_channel::<ServerOp>();
        let current: Arc<Mutex<Option<CancellationToken>>> = Arc::default();
        let cur = current.clone();
        let asking: Asking = Arc::default();
        let ask = AskUser {
            results: results.clone(),
            asking: asking.clone(),
            turn: tokio::sync::Mutex::new(()),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("devtop-servers".into())
            .spawn(move || {
                rt.block_on(work(project, rx, cur, results, ask));
            })?;
        Ok(ServerWorker {
            ops: tx,
            current,
            asking,
        })
    }

    /// The user's answer to the port-conflict question (ignored when none is open).
    pub fn decide(&self, decision: PortDecision) {
        if let Ok(mut a) = self.asking.lock()
            && let Some(tx) = a.take()
        {
            let _ = tx.send(decision);
        }
    }

    /// Queue `op`; a `Down` or `StopOurs` first interrupts the start under way.
    pub fn send(&self, op: ServerOp) {
        if matches!(op, ServerOp::Down { .. } | ServerOp::StopOurs)
            && let Ok(c) = self.current.lock()
            && let Some(token) = c.as_ref()
        {
            token.cancel();
        }
        let _ = self.ops.send(op);
    }
}

/// How long an op waits for the state-file lock held by another devtop (as `devtop up`).
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// The worker's loop: each op takes the state-file lock ([`lock`]); one that cannot is
/// refused naming the holder ([`OpOutcome::Error`]). The lock is then held through the ops
/// that follow for as long as the supervisor watches something, and let go once nothing is.
async fn work(
    project: ServerProject,
    mut ops: mpsc::UnboundedReceiver<ServerOp>,
    current: Arc<Mutex<Option<CancellationToken>>>,
    results: UnboundedSender<Action>,
    ask: AskUser,
) {
    // Every server this worker launched (name, PID), from its `Starting` events: what a
    // start interrupted before it handed them to the supervisor launched is in here too.
    let launched = RefCell::new(Vec::<(String, u32)>::new());
    let ctx = Ctx {
        project: &project,
        current: &current,
        results: &results,
        ask: &ask,
        launched: &launched,
    };
    let mut next = ops.recv().await;
    while let Some(op) = next.take() {
        next = match lock::acquire(&project.root, "dashboard", LOCK_WAIT).await {
            Ok(held) => session(&ctx, &held, op, &mut ops).await,
            Err(e) => {
                let outcome = match (&e, &op) {
                    // Another devtop supervises them: ask it to let go, stop them from here.
                    (lock::LockError::Held { .. }, ServerOp::Down { only }) => {
                        let mut report = reporter(&results, &launched);
                        let (root, specs) = (&project.root, &project.specs);
                        let only = only.as_deref();
                        match executor::servers_down_beside(root, specs, only, &mut report).await {
                            Ok(true) => OpOutcome::Done,
                            Ok(false) => OpOutcome::Survivors,
                            Err(e) => OpOutcome::Error(format!("state file: {e}")),
                        }
                    }
                    _ => OpOutcome::Error(e.to_string()),
                };
                let _ = results.send(Action::ServersDone(op, outcome));
                None
            }
        };
        // Idle: the lock is let go while the next op is awaited.
        if next.is_none() {
            next = ops.recv().await;
        }
    }
}

/// What every op of the worker uses.
struct Ctx<'a> {
    project: &'a ServerProject,
    current: &'a Mutex<Option<CancellationToken>>,
    results: &'a UnboundedSender<Action>,
    ask: &'a AskUser,
    launched: &'a RefCell<Vec<(String, u32)>>,
}

/// Runs `op`, then supervises (taking the next op at once, run with the supervisor going on
/// alongside) under `held` until nothing is watched: `None` then (or when the handle is
/// gone).
async fn session(
    ctx: &Ctx<'_>,
    held: &StateLock,
    first: ServerOp,
    ops: &mut mpsc::UnboundedReceiver<ServerOp>,
) -> Option<ServerOp> {
    let (project, results) = (ctx.project, ctx.results);
    let ports = executor::ListeningPorts;
    let mut sup = Supervisor::new(
        &project.root,
        held,
        &project.specs,
        &ports,
        project.backoff,
        project.rotate_at,
    );
    let mut watch_report = reporter(results, ctx.launched);
    let mut op = first;
    loop {
        if op == ServerOp::StopOurs {
            let mine = ctx.launched.borrow().clone();
            let outcome = stop_ours(project, held, &mut sup, &mine, &mut watch_report).await;
            let _ = results.send(Action::ServersDone(op, outcome));
        } else {
            one_op(ctx, held, &mut sup, op, &mut watch_report).await;
        }
        op = loop {
            if sup.names().is_empty() {
                return None;
            }
            tokio::select! {
                next = ops.recv() => break next?,
                () = sup.run(&mut watch_report) => {}
            }
        };
    }
}

/// Runs `op` with the supervisor going on alongside, hands what it left running to the
/// supervisor, and reports its end.
async fn one_op(
    ctx: &Ctx<'_>,
    held: &StateLock,
    sup: &mut Supervisor<'_>,
    op: ServerOp,
    watch_report: &mut dyn FnMut(Event),
) {
    let cancel = CancellationToken::new();
    if let Ok(mut c) = ctx.current.lock() {
        *c = Some(cancel.clone());
    }
    let_go(ctx.project, sup, &op, watch_report);
    let outcome = {
        let mut op_report = reporter(ctx.results, ctx.launched);
        let run_op = run(ctx.project, held, &op, &cancel, ctx.ask, &mut op_report);
        tokio::pin!(run_op);
        loop {
            if sup.names().is_empty() {
                break run_op.await;
            }
            tokio::select! {
                out = &mut run_op => break out,
                () = sup.run(watch_report) => {}
            }
        }
    };
    if let Ok(mut c) = ctx.current.lock() {
        *c = None;
    }
    let (outcome, running) = outcome;
    for r in running {
        // Watched already (running before this op): keep the watch it has (its child
        // handle, when this devtop started it).
        if sup.names().contains(&r.record.name) {
            continue;
        }
        let ours = r.child.is_some();
        sup.add(r, ours);
    }
    let _ = ctx.results.send(Action::ServersDone(op, outcome));
}

/// Events to the loop as [`Action::ServerEvent`], stamped with the time they were seen; the
/// servers they say were launched noted in `launched`.
fn reporter<'a>(
    results: &'a UnboundedSender<Action>,
    launched: &'a RefCell<Vec<(String, u32)>>,
) -> impl FnMut(Event) + 'a {
    move |e| {
        if let Event::Starting { name, pid } = &e {
            launched.borrow_mut().push((name.clone(), *pid));
        }
        let _ = results.send(Action::ServerEvent(Box::new(e), SystemTime::now()));
    }
}

/// [`ServerOp::StopOurs`]: the supervisor stops the servers it watches that this worker
/// started and forgets every server; then what a start interrupted before the hand-over
/// launched (recorded with a PID of `launched`) is stopped.
async fn stop_ours(
    project: &ServerProject,
    held: &StateLock,
    sup: &mut Supervisor<'_>,
    launched: &[(String, u32)],
    report: &mut dyn FnMut(Event),
) -> OpOutcome {
    let (_left, watched_ok) = sup.stop_all(report).await;
    let ours = |r: &Recorded| launched.iter().any(|(n, p)| *n == r.name && *p == r.pid);
    match down::down_where(&project.root, held, &project.specs, &ours, report).await {
        Ok(rest_ok) if watched_ok && rest_ok => OpOutcome::Done,
        Ok(_) => OpOutcome::Survivors,
        Err(e) => OpOutcome::Error(format!("state file: {e}")),
    }
}

/// Before `op`: the supervisor lets go of the servers the op stops or starts itself — for a
/// stop or restart every chosen one, for a start those waiting out a back-off (the start
/// starts them now). One let go while waiting (nothing of it runs) is reported stopped when
/// the op stops it.
fn let_go(
    project: &ServerProject,
    sup: &mut Supervisor<'_>,
    op: &ServerOp,
    report: &mut dyn FnMut(Event),
) {
    let waiting = sup.waiting();
    let (names, stopping): (Vec<String>, bool) = match op {
        ServerOp::Down { only: None } => (sup.names(), true),
        ServerOp::Down { only: Some(only) } => (only.clone(), true),
        ServerOp::Restart { names } => {
            let mut all = names.clone();
            if let Ok(deps) = with_dependencies(&project.specs, names) {
                all.extend(
                    deps.iter()
                        .map(|s| s.name.clone())
                        .filter(|n| waiting.contains(n)),
                );
            }
            (all, false)
        }
        ServerOp::Up { .. } => (waiting.clone(), false),
        ServerOp::StopOurs => return,
    };
    for name in &names {
        if sup.forget(name).is_none() && stopping && waiting.contains(name) {
            report(Event::Stopped { name: name.clone() });
        }
    }
}

/// Run one op to its end (or, for a start, until `cancel`): its outcome and the servers it
/// left running (for the supervisor).
async fn run(
    project: &ServerProject,
    held: &StateLock,
    op: &ServerOp,
    cancel: &CancellationToken,
    ask: &AskUser,
    report: &mut dyn FnMut(Event),
) -> (OpOutcome, Vec<Running>) {
    match op {
        ServerOp::Up { force } => start(project, held, &[], *force, cancel, ask, report).await,
        ServerOp::Down { only } => {
            let stopped = stop(project, held, only.as_deref(), report).await;
            (stopped, Vec::new())
        }
        // Taken by the loop itself (it needs the supervisor).
        ServerOp::StopOurs => (OpOutcome::Done, Vec::new()),
        ServerOp::Restart { names } => {
            match stop(project, held, Some(names), report).await {
                OpOutcome::Done => {}
                other => return (other, Vec::new()),
            }
            start(project, held, names, false, cancel, ask, report).await
        }
    }
}

async fn stop(
    project: &ServerProject,
    held: &StateLock,
    only: Option<&[String]>,
    report: &mut dyn FnMut(Event),
) -> OpOutcome {
    match executor::servers_down(&project.root, held, &project.specs, only, report).await {
        Ok(true) => OpOutcome::Done,
        Ok(false) => OpOutcome::Survivors,
        Err(e) => OpOutcome::Error(format!("state file: {e}")),
    }
}

/// Start `only` (all when empty) with their dependencies, in order.
async fn start(
    project: &ServerProject,
    held: &StateLock,
    only: &[String],
    force: bool,
    cancel: &CancellationToken,
    ask: &AskUser,
    report: &mut dyn FnMut(Event),
) -> (OpOutcome, Vec<Running>) {
    let chosen = match with_dependencies(&project.specs, only) {
        Ok(c) => c,
        Err(name) => {
            return (
                OpOutcome::Error(format!("no server is named {name}")),
                Vec::new(),
            );
        }
    };
    let chosen: Vec<ServerSpec> = chosen.into_iter().cloned().collect();
    let ordered: Vec<ServerSpec> = match start_order(&chosen) {
        Ok(names) => names
            .iter()
            .filter_map(|n| chosen.iter().find(|s| s.name == *n).cloned())
            .collect(),
        Err(e) => return (OpOutcome::Error(e.to_string()), Vec::new()),
    };
    let probe = RequireProbe::new(&ordered, &project.envs, &project.migrations_dir);
    let gate = Gate {
        requires: &probe,
        force,
        conflicts: ask,
        // A failed or held server leaves the others running (only `devtop up` stops them).
        keep_going: true,
    };
    tokio::select! {
        r = executor::servers_start(&project.root, held, &ordered, &gate, report) => match r {
            Ok(Launched { failed: None, running }) => (OpOutcome::Done, running),
            Ok(Launched { failed: Some(name), running }) => (OpOutcome::Failed(name), running),
            Err(e) => (OpOutcome::Error(format!("state file: {e}")), Vec::new()),
        },
        () = cancel.cancelled() => (OpOutcome::Interrupted, Vec::new()),
    }
}
