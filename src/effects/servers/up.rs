//! `up`: start servers in dependency order (see the [module docs](super)).

use super::Event;
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

/// How [`up`] treats `requires`.
pub struct Gate<'a> {
    /// The check.
    pub requires: &'a dyn Requires,
    /// Start a server whose requirements do not hold anyway, reporting [`Event::Forced`]
    /// (`--force`).
    pub force: bool,
}

type StartResult = Result<(Duration, String), String>;
type Pending<'a> = Pin<Box<dyn Future<Output = (&'a ServerSpec, StartResult)> + 'a>>;
type Checking<'a> = Pin<Box<dyn Future<Output = (&'a ServerSpec, Option<String>)> + 'a>>;

/// Starts `servers` (in dependency order, see [`crate::model::server_order::start_order`];
/// every `depends_on` name must be among them) in the project `root`, reporting each step.
/// Servers the state file records as running are not started again; a server whose `port`
/// `ports` reports taken is not started (the start fails naming the holder). A server whose
/// dependencies are ready is checked with `gate` before its start: unmet requirements hold
/// it ([`Event::Held`], and the call ends as for a failed start) unless the gate forces it.
///
/// Returns `Ok(None)` when all are ready, `Ok(Some(name))` naming the server whose start
/// failed or that is held — after stopping, in reverse order, every server this call started.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn up<'a>(
    root: &'a Path,
    servers: &'a [ServerSpec],
    ports: &'a dyn PortCheck,
    gate: &'a Gate<'a>,
    report: &mut dyn FnMut(Event),
) -> io::Result<Option<String>> {
    let (live, dropped) = state::read_live(root)?;
    for name in dropped {
        report(Event::Dropped { name });
    }
    let mut run = Starter {
        root,
        ports,
        live,
        ready: BTreeSet::new(),
        waiting: servers.iter().collect(),
        started: Vec::new(),
        probing: FuturesUnordered::new(),
        checking: FuturesUnordered::new(),
    };
    let failed = loop {
        if let Some((spec, reason)) = run.start_startable(gate, report) {
            report(failed_event(root, spec, reason));
            break Some(spec.name.clone());
        }
        let step = tokio::select! {
            Some(r) = run.probing.next() => Step::Ready(r),
            Some(c) = run.checking.next() => Step::Checked(c),
            else => Step::Idle,
        };
        match step {
            Step::Ready((spec, Ok((after, how)))) => {
                report(Event::Ready {
                    name: spec.name.clone(),
                    after,
                    how,
                });
                run.ready.insert(&spec.name);
            }
            Step::Ready((spec, Err(reason))) => {
                report(failed_event(root, spec, reason));
                break Some(spec.name.clone());
            }
            Step::Checked((spec, Some(reason))) if !gate.force => {
                let name = spec.name.clone();
                report(Event::Held { name, reason });
                break Some(spec.name.clone());
            }
            Step::Checked((spec, unmet)) => {
                if let Some(reason) = unmet {
                    let name = spec.name.clone();
                    report(Event::Forced { name, reason });
                }
                if let Some(reason) = run.launch_one(spec, report) {
                    report(failed_event(root, spec, reason));
                    break Some(spec.name.clone());
                }
            }
            Step::Idle => match run.waiting.first() {
                None => break None,
                // Unreachable when every dependency is among `servers`, as documented.
                Some(spec) => {
                    let reason = format!("depends on {:?}, not started", spec.depends_on);
                    report(failed_event(root, spec, reason));
                    break Some(spec.name.clone());
                }
            },
        }
    };
    let Starter { started, .. } = run;
    if failed.is_some() {
        stop_started(root, &started, servers, report).await?;
    }
    Ok(failed)
}

/// Stops `started` in reverse order, every one even if the state file cannot be rewritten
/// meanwhile (the first such error is returned).
async fn stop_started(
    root: &Path,
    started: &[Recorded],
    servers: &[ServerSpec],
    report: &mut dyn FnMut(Event),
) -> io::Result<()> {
    let mut first_error = None;
    for rec in started.iter().rev() {
        if let Err(e) = super::down::stop_recorded(root, rec, servers, report).await {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// What the loop of [`up`] waited for.
enum Step<'a> {
    /// A readiness wait ended.
    Ready((&'a ServerSpec, StartResult)),
    /// A `requires` check ended (with the unmet reason).
    Checked((&'a ServerSpec, Option<String>)),
    /// Nothing is under way.
    Idle,
}

/// The state of one [`up`] between its waits.
struct Starter<'a> {
    root: &'a Path,
    ports: &'a dyn PortCheck,
    /// Recorded servers still running (not started again).
    live: Vec<Recorded>,
    /// Names of the servers ready.
    ready: BTreeSet<&'a str>,
    /// Servers not started yet, in start order.
    waiting: Vec<&'a ServerSpec>,
    /// Servers this call started, in start order.
    started: Vec<Recorded>,
    /// Readiness waits under way.
    probing: FuturesUnordered<Pending<'a>>,
    /// `requires` checks under way (the server starts when its check ends).
    checking: FuturesUnordered<Checking<'a>>,
}

impl<'a> Starter<'a> {
    /// Starts every waiting server whose dependencies are ready (repeatedly: a server
    /// recorded as running already counts ready at once); one with `requires` is queued for
    /// its check instead, and started when the check ends. Returns the first server that
    /// could not be started, with the reason.
    fn start_startable(
        &mut self,
        gate: &'a Gate<'a>,
        report: &mut dyn FnMut(Event),
    ) -> Option<(&'a ServerSpec, String)> {
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
                continue;
            }
            if !spec.requires.is_empty() {
                let check = gate.requires.unmet(spec);
                self.checking
                    .push(Box::pin(async move { (spec, check.await) }));
                continue;
            }
            if let Some(reason) = self.launch_one(spec, report) {
                return Some((spec, reason));
            }
        }
        None
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
        report(Event::Starting {
            name: spec.name.clone(),
            pid: started.record.pid,
        });
        self.started.push(started.record.clone());
        if let Err(e) = state::record(self.root, started.record.clone()) {
            // Not recorded, it could not be stopped later: the start fails (and `up`
            // stops it).
            return Some(format!("cannot record it in the state file: {e}"));
        }
        self.probing.push(Box::pin(until_ready(spec, started)));
        None
    }
}

fn failed_event(root: &Path, spec: &ServerSpec, reason: String) -> Event {
    Event::Failed {
        name: spec.name.clone(),
        reason,
        last_lines: spawn::last_lines(&spawn::log_path(root, &spec.name), FAILED_LINES),
    }
}

/// Checks the port with `ports`, then starts the server. `Err` with the reason for a taken
/// port or a failed spawn.
fn launch(root: &Path, spec: &ServerSpec, ports: &dyn PortCheck) -> Result<Started, String> {
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
async fn until_ready(spec: &ServerSpec, started: Started) -> (&ServerSpec, StartResult) {
    let t0 = Instant::now();
    let mut child = started.child;
    let Some(ready) = &spec.ready else {
        return (spec, Ok((t0.elapsed(), "started".to_owned())));
    };
    let mut probe = match Probe::new(ready, &started.log) {
        Ok(p) => p,
        Err(e) => return (spec, Err(e)),
    };
    let label = probe.label();
    let result = tokio::select! {
        status = child.wait() => Err(match status {
            Ok(s) => format!("{} during start", exit_text(s)),
            Err(e) => format!("exited during start (status unknown: {e})"),
        }),
        () = probe.until_ready() => Ok((t0.elapsed(), label)),
        () = tokio::time::sleep(spec.ready_timeout) => Err(format!(
            "not ready after {} ({label})",
            humantime::format_duration(spec.ready_timeout)
        )),
    };
    (spec, result)
}

/// "exited with code 3", "killed by signal 9".
fn exit_text(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        (None, None) => "exited".to_owned(),
    }
}
