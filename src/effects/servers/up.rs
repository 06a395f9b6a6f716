//! `up`: start servers in dependency order (see the [module docs](super)).

use super::probe::Probe;
use super::spawn::{self, Started};
use super::state::{self, Recorded};
use super::{Event, stop};
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

/// How one start ended: ready after a time by a probe, or failed with a reason.
type StartResult = Result<(Duration, String), String>;
type Pending<'a> = Pin<Box<dyn Future<Output = (&'a ServerSpec, StartResult)> + 'a>>;

/// Starts `servers` (in dependency order, see [`crate::model::server_order::start_order`];
/// every `depends_on` name must be among them) in the project `root`, reporting each step.
/// Servers the state file records as running are not started again.
///
/// Returns `Ok(None)` when all are ready, `Ok(Some(name))` naming the server whose start
/// failed — after stopping, in reverse order, every server this call started.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn up(
    root: &Path,
    servers: &[ServerSpec],
    report: &mut dyn FnMut(Event),
) -> io::Result<Option<String>> {
    let (live, dropped) = state::read_live(root)?;
    for name in dropped {
        report(Event::Dropped { name });
    }
    let mut ready: BTreeSet<&str> = BTreeSet::new();
    let mut waiting: Vec<&ServerSpec> = servers.iter().collect();
    let mut started: Vec<Recorded> = Vec::new();
    let mut probing: FuturesUnordered<Pending<'_>> = FuturesUnordered::new();
    let failed = loop {
        // Start every server whose dependencies are ready.
        let mut failure = None;
        while let Some(i) = waiting
            .iter()
            .position(|s| s.depends_on.iter().all(|d| ready.contains(d.as_str())))
        {
            let spec = waiting.remove(i);
            if let Some(rec) = live.iter().find(|r| r.name == spec.name) {
                report(Event::AlreadyRunning {
                    name: spec.name.clone(),
                    pid: rec.pid,
                });
                ready.insert(&spec.name);
                continue;
            }
            match launch(root, spec) {
                Ok(s) => {
                    report(Event::Starting {
                        name: spec.name.clone(),
                        pid: s.record.pid,
                    });
                    state::record(root, s.record.clone())?;
                    started.push(s.record.clone());
                    probing.push(Box::pin(until_ready(spec, s)));
                }
                Err(reason) => {
                    failure = Some((spec, reason));
                    break;
                }
            }
        }
        if let Some((spec, reason)) = failure {
            report(failed_event(root, spec, reason));
            break Some(spec.name.clone());
        }
        match probing.next().await {
            Some((spec, Ok((after, how)))) => {
                report(Event::Ready {
                    name: spec.name.clone(),
                    after,
                    how,
                });
                ready.insert(&spec.name);
            }
            Some((spec, Err(reason))) => {
                report(failed_event(root, spec, reason));
                break Some(spec.name.clone());
            }
            // Nothing probing and nothing startable: all started (dependencies outside the
            // set are refused by the caller).
            None => break waiting.first().map(|s| s.name.clone()),
        }
    };
    drop(probing);
    if failed.is_some() {
        for rec in started.iter().rev() {
            let spec = servers.iter().find(|s| s.name == rec.name);
            let (signal, grace) = spec.map_or((15, Duration::from_secs(5)), |s| {
                (s.stop_signal.number, s.stop_grace)
            });
            let done = stop::stop(rec, signal, grace, report).await;
            if done.survivors.is_empty() {
                state::retain(root, |e| e != rec)?;
                report(Event::Stopped {
                    name: rec.name.clone(),
                });
            } else {
                report(Event::StopFailed {
                    name: rec.name.clone(),
                    pids: done.survivors,
                });
            }
        }
    }
    Ok(failed)
}

fn failed_event(root: &Path, spec: &ServerSpec, reason: String) -> Event {
    Event::Failed {
        name: spec.name.clone(),
        reason,
        last_lines: spawn::last_lines(&spawn::log_path(root, &spec.name), FAILED_LINES),
    }
}

/// Checks the port, then starts the server. `Err` with the reason for a taken port or a
/// failed spawn.
fn launch(root: &Path, spec: &ServerSpec) -> Result<Started, String> {
    if let Some(port) = spec.port {
        let table = crate::collect::ports::ListenTable::read();
        if table.has_port(port) {
            return Err(
                match crate::collect::socket_owner::owner_of_local_port(port) {
                    Some(pid) => format!("port {port} is taken by PID {pid}; not started"),
                    None => format!("port {port} is taken (holder not visible); not started"),
                },
            );
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
