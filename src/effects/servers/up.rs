//! `up`: start servers in dependency order (see the [module docs](super)).

use super::Event;
use super::hold::Blocked;
use super::lock::StateLock;
use super::port_conflict::PortConflicts;
use super::pre_start::{PreStart, pre_start};
use super::probe::Probe;
use super::spawn::{self, Started};
use super::state::{self, Recorded};
use crate::model::server::ServerSpec;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use std::collections::BTreeSet;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::time::{Duration, Instant};

/// Log lines shown with a failed start.
pub const FAILED_LINES: usize = 20;

/// Whether a TCP port is listening, and who holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortState {
    /// Nothing listens on it.
    Free,
    /// Something listens on it: the holder's PID when visible (same user).
    Taken(Option<u32>),
}

/// Looks a port up before a start (the effects layer does not read `/proc/net` itself: the
/// caller passes the collector's view).
pub trait PortCheck {
    /// The state of `port` now.
    fn holder(&self, port: u16) -> PortState;
}

/// How one start ended: ready after a time by a probe, or failed with a reason.
/// The `requires` check of [`up`], asked when a server's dependencies are ready: why its
/// requirements do not hold (`None` = they hold). An implementation probes each environment
/// once, on first use, and answers later calls from that probe.
pub trait Requires {
    /// Why `spec`'s requirements do not hold; `None` when they hold.
    fn unmet<'a>(
        &'a self,
        spec: &'a ServerSpec,
    ) -> Pin<Box<dyn Future<Output = Option<String>> + 'a>>;
}

/// How [`up`] treats `requires` and taken ports.
pub struct Gate<'a> {
    /// The check.
    pub requires: &'a dyn Requires,
    /// Start a server whose requirements do not hold anyway, reporting [`Event::Forced`]
    /// (`--force`).
    pub force: bool,
    /// What to do when a server's port is taken (end the holder, adopt it, cancel).
    pub conflicts: &'a dyn PortConflicts,
    /// A failed or held server does not end the start (the dashboard): servers that do not
    /// depend on it go on starting, those that do are held ("waiting for api (failed)"),
    /// and nothing that started is stopped again (only the failed server's own processes).
    /// False for `devtop up`, which stops everything it started at the first failure.
    pub keep_going: bool,
}

/// A server [`start`] left running, for [`super::supervise::Supervisor`].
#[derive(Debug)]
pub struct Running {
    /// Its state-file entry.
    pub record: Recorded,
    /// The child handle when this process started it (exit codes come from it); `None` for
    /// one recorded by an earlier `up` or adopted (watched through a pidfd).
    pub child: Option<tokio::process::Child>,
    /// When it became ready (`None`: not known, it was running before this call).
    pub ready_at: Option<Instant>,
}

/// What [`start`] did.
#[derive(Debug)]
pub struct Launched {
    /// `None` when all are ready; the (first) server whose start failed or that is held
    /// otherwise. Then, without [`Gate::keep_going`], everything this call started was
    /// stopped again and `running` is empty; with it, `running` holds what runs.
    pub failed: Option<String>,
    /// Every selected server now running, in start order: started by this call, recorded as
    /// running already, or adopted.
    pub running: Vec<Running>,
}

type StartResult = Result<(Duration, String), String>;
type Pending<'a> = Pin<Box<dyn Future<Output = (&'a ServerSpec, Started, StartResult)> + 'a>>;
type Checking<'a> = Pin<Box<dyn Future<Output = (&'a ServerSpec, PreStart)> + 'a>>;

/// Starts `servers` (see [`start`]) and lets go of them: they keep running after this call.
///
/// Returns `Ok(None)` when all are ready, `Ok(Some(name))` naming the server whose start
/// failed or that is held — after stopping, in reverse order, every server this call started.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn up<'a>(
    root: &'a Path,
    lock: &'a StateLock,
    servers: &'a [ServerSpec],
    ports: &'a dyn PortCheck,
    gate: &'a Gate<'a>,
    report: &mut dyn FnMut(Event),
) -> io::Result<Option<String>> {
    Ok(start(root, lock, servers, ports, gate, report)
        .await?
        .failed)
}

/// Starts `servers` (in dependency order, see [`crate::model::server_order::start_order`];
/// every `depends_on` name must be among them) in the project `root`, reporting each step.
/// Servers the state file records as running are not started again. A server whose
/// dependencies are ready is checked with `gate` before its start: unmet requirements hold
/// it ([`Event::Held`], and the call ends as for a failed start) unless the gate forces it;
/// then its port: when `ports` reports it taken, [`Event::PortTaken`] names the holder and
/// `gate.conflicts` decides — end the holder ([`Event::HolderEnded`], then the start), adopt
/// it ([`Event::Adopted`]; only when it runs the server's command in the server's cwd) or
/// cancel (the start fails naming the holder). Held reasons, failures and times to ready are
/// written to the state file for `devtop status`.
///
/// On a failure, every server this call started is stopped again, in reverse order — unless
/// [`Gate::keep_going`]: then the failed server's own processes are stopped, the servers
/// depending on it (directly or not) are held ([`Event::Held`], "waiting for api (failed)"),
/// and the others start as if nothing happened.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn start<'a>(
    root: &'a Path,
    lock: &'a StateLock,
    servers: &'a [ServerSpec],
    ports: &'a dyn PortCheck,
    gate: &'a Gate<'a>,
    report: &mut dyn FnMut(Event),
) -> io::Result<Launched> {
    let (live, dropped) = state::prune(lock, root)?;
    for name in dropped {
        report(Event::Dropped { name });
    }
    let mut run = Starter {
        root,
        lock,
        ports,
        live,
        ready: BTreeSet::new(),
        waiting: servers.iter().collect(),
        blocked: Blocked::default(),
        started: Vec::new(),
        running: Vec::new(),
        probing: FuturesUnordered::new(),
        checking: FuturesUnordered::new(),
    };
    let failed = loop {
        run.queue_startable(gate, report);
        let step = tokio::select! {
            Some((spec, started, r)) = run.probing.next() => {
                Step::Ready((spec, Box::new(started), r))
            }
            Some(c) = run.checking.next() => Step::Checked(c),
            else => Step::Idle,
        };
        match step {
            Step::Ready((spec, started, Ok((after, how)))) => {
                let _ = state::set_ready(lock, root, &spec.name, started.record.pid, after);
                report(Event::Ready {
                    name: spec.name.clone(),
                    after,
                    how,
                });
                run.ready.insert(&spec.name);
                let Started { record, child, .. } = *started;
                run.running.push(Running {
                    record,
                    child: Some(child),
                    ready_at: Some(Instant::now()),
                });
            }
            Step::Ready((spec, started, Err(reason))) => {
                let at = Some(started.log_start);
                report(failed_event(root, lock, spec, reason, at));
                if !gate.keep_going {
                    break Some(spec.name.clone());
                }
                // Not ready (or exited): what runs of it is stopped; the rest goes on.
                run.started.retain(|r| r.pid != started.record.pid);
                super::down::stop_recorded(root, lock, &started.record, servers, report).await?;
                run.blocked.block(spec, "failed");
            }
            Step::Checked((spec, PreStart::Held(reason))) => {
                let _ = state::note(lock, root, &spec.name, Some(reason.clone()), None);
                let name = spec.name.clone();
                report(Event::Held { name, reason });
                if !gate.keep_going {
                    break Some(spec.name.clone());
                }
                run.blocked.block(spec, "held");
            }
            Step::Checked((spec, PreStart::Fail(reason, events))) => {
                events.into_iter().for_each(&mut *report);
                report(failed_event(root, lock, spec, reason, None));
                if !gate.keep_going {
                    break Some(spec.name.clone());
                }
                run.blocked.block(spec, "failed");
            }
            Step::Checked((spec, PreStart::Adopt(record, events))) => {
                events.into_iter().for_each(&mut *report);
                state::record(lock, root, record.clone())?;
                report(Event::Adopted {
                    name: spec.name.clone(),
                    pid: record.pid,
                });
                run.ready.insert(&spec.name);
                run.running.push(Running {
                    record,
                    child: None,
                    ready_at: None,
                });
            }
            Step::Checked((spec, PreStart::Go { forced, events })) => {
                if let Some(reason) = forced {
                    let name = spec.name.clone();
                    report(Event::Forced { name, reason });
                }
                events.into_iter().for_each(&mut *report);
                if let Some(reason) = run.launch_one(spec, report) {
                    report(failed_event(root, lock, spec, reason, None));
                    if !gate.keep_going {
                        break Some(spec.name.clone());
                    }
                    // Started but not recorded: stopped now (nothing could find it later).
                    let unrecorded: Vec<Recorded> = run
                        .started
                        .extract_if(.., |r| r.name == spec.name)
                        .collect();
                    stop_started(root, lock, &unrecorded, servers, report).await?;
                    run.blocked.block(spec, "failed");
                }
            }
            Step::Idle => match run.waiting.first() {
                None => break run.blocked.first.take(),
                // Unreachable when every dependency is among `servers`, as documented.
                Some(spec) => {
                    let reason = format!("depends on {:?}, not started", spec.depends_on);
                    report(failed_event(root, lock, spec, reason, None));
                    break Some(spec.name.clone());
                }
            },
        }
    };
    let Starter {
        started, running, ..
    } = run;
    if failed.is_some() && !gate.keep_going {
        stop_started(root, lock, &started, servers, report).await?;
        return Ok(Launched {
            failed,
            running: Vec::new(),
        });
    }
    Ok(Launched { failed, running })
}

/// Stops `started` in reverse order, every one even if the state file cannot be rewritten
/// meanwhile (the first such error is returned).
async fn stop_started(
    root: &Path,
    lock: &StateLock,
    started: &[Recorded],
    servers: &[ServerSpec],
    report: &mut dyn FnMut(Event),
) -> io::Result<()> {
    let mut first_error = None;
    for rec in started.iter().rev() {
        if let Err(e) = super::down::stop_recorded(root, lock, rec, servers, report).await {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// What the loop of [`start`] waited for.
enum Step<'a> {
    /// A readiness wait ended.
    Ready((&'a ServerSpec, Box<Started>, StartResult)),
    /// The checks before a start ended.
    Checked((&'a ServerSpec, PreStart)),
    /// Nothing is under way.
    Idle,
}

/// The state of one [`start`] between its waits.
struct Starter<'a> {
    root: &'a Path,
    lock: &'a StateLock,
    ports: &'a dyn PortCheck,
    /// Recorded servers still running (not started again).
    live: Vec<Recorded>,
    /// Names of the servers ready.
    ready: BTreeSet<&'a str>,
    /// Servers not started yet, in start order.
    waiting: Vec<&'a ServerSpec>,
    /// With [`Gate::keep_going`]: servers failed or held, with that word ("failed", "held");
    /// what depends on them is held.
    blocked: Blocked<'a>,
    /// Servers this call started, in start order.
    started: Vec<Recorded>,
    /// Servers ready (started, recorded already, or adopted), in the order they became so.
    running: Vec<Running>,
    /// Readiness waits under way.
    probing: FuturesUnordered<Pending<'a>>,
    /// `requires` checks under way (the server starts when its check ends).
    checking: FuturesUnordered<Checking<'a>>,
}

impl<'a> Starter<'a> {
    /// Queues the checks before a start ([`pre_start`]) of every waiting server whose
    /// dependencies are ready (repeatedly: a server recorded as running already counts ready
    /// at once, and joins `running`, watched through a pidfd).
    fn queue_startable(&mut self, gate: &'a Gate<'a>, report: &mut dyn FnMut(Event)) {
        let (root, lock) = (self.root, self.lock);
        self.blocked
            .hold_dependents(&mut self.waiting, root, lock, report);
        while let Some(i) = self
            .waiting
            .iter()
            .position(|s| s.depends_on.iter().all(|d| self.ready.contains(d.as_str())))
        {
            let spec = self.waiting.remove(i);
            if let Some(rec) = self.live.iter().find(|r| r.name == spec.name) {
                report(Event::AlreadyRunning {
                    name: spec.name.clone(),
                    pid: rec.pid,
                });
                self.ready.insert(&spec.name);
                self.running.push(Running {
                    record: rec.clone(),
                    child: None,
                    ready_at: None,
                });
                continue;
            }
            let (root, ports) = (self.root, self.ports);
            self.checking.push(Box::pin(async move {
                (spec, pre_start(root, spec, ports, gate).await)
            }));
        }
    }

    /// Starts `spec` (its dependencies ready, its requirements checked), records it and
    /// queues its readiness wait. `Some` when it could not be started.
    fn launch_one(
        &mut self,
        spec: &'a ServerSpec,
        report: &mut dyn FnMut(Event),
    ) -> Option<String> {
        let started = match launch(self.root, spec, self.ports) {
            Ok(s) => s,
            Err(reason) => return Some(reason),
        };
        if let Err(e) = state::record(self.lock, self.root, started.record.clone()) {
            // Not recorded, it could not be stopped later: stop it now.
            self.started.push(started.record.clone());
            return Some(format!("cannot record it in the state file: {e}"));
        }
        report(Event::Starting {
            name: spec.name.clone(),
            pid: started.record.pid,
        });
        self.started.push(started.record.clone());
        self.probing.push(Box::pin(until_ready(spec, started)));
        None
    }
}

/// A failed start, noted in the state file, with the last log lines of its run (the log
/// offset `run` where it began; none when it did not run).
fn failed_event(
    root: &Path,
    lock: &StateLock,
    spec: &ServerSpec,
    reason: String,
    run: Option<u64>,
) -> Event {
    let _ = state::note(lock, root, &spec.name, None, Some(reason.clone()));
    let log = spawn::log_path(root, &spec.name);
    Event::Failed {
        name: spec.name.clone(),
        reason,
        last_lines: run.map_or_else(Vec::new, |at| spawn::last_lines(&log, at, FAILED_LINES)),
    }
}

/// Checks the port with `ports` once more (never a second copy onto a taken port), then
/// starts the server. `Err` with the reason for a taken port or a failed spawn.
pub(super) fn launch(
    root: &Path,
    spec: &ServerSpec,
    ports: &dyn PortCheck,
) -> Result<Started, String> {
    if let Some(port) = spec.port {
        match ports.holder(port) {
            PortState::Free => {}
            PortState::Taken(Some(pid)) => {
                return Err(format!("port {port} is taken by PID {pid}; not started"));
            }
            PortState::Taken(None) => {
                return Err(format!(
                    "port {port} is taken (holder not visible); not started"
                ));
            }
        }
    }
    spawn::start(root, spec).map_err(|e| format!("cannot start: {e}"))
}

/// Waits until `spec`'s probe passes, it exits, or its ready timeout passes.
async fn until_ready(
    spec: &ServerSpec,
    mut started: Started,
) -> (&ServerSpec, Started, StartResult) {
    let result = wait_ready(spec, &mut started).await;
    (spec, started, result)
}

/// Waits until `spec`'s probe passes (the time from now and what showed it), it exits, or
/// its ready timeout passes (the reason).
pub(super) async fn wait_ready(spec: &ServerSpec, started: &mut Started) -> StartResult {
    let t0 = Instant::now();
    let child = &mut started.child;
    let Some(ready) = &spec.ready else {
        return Ok((t0.elapsed(), "started".to_owned()));
    };
    let mut probe = match Probe::new(ready, &started.log) {
        Ok(p) => p.from_offset(started.log_start),
        Err(e) => return Err(e),
    };
    let label = probe.label();
    tokio::select! {
        status = child.wait() => Err(match status {
            Ok(s) => format!("{} during start", exit_text(s)),
            Err(e) => format!("exited during start (status unknown: {e})"),
        }),
        () = probe.until_ready() => Ok((t0.elapsed(), label)),
        () = tokio::time::sleep(spec.ready_timeout) => Err(format!(
            "not ready after {} ({label})",
            humantime::format_duration(spec.ready_timeout)
        )),
    }
}

/// "exited with code 3", "killed by signal 9".
pub(super) fn exit_text(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        (None, None) => "exited".to_owned(),
    }
}
