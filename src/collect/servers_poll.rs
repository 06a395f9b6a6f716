//! The Servers pane's periodic look at the world: `.devtop/state.json` (read only: stale
//! entries are left out, never signalled, and the file is not rewritten here), which of its
//! servers still run ([`state::liveness`]), their processes and memory (one `/proc` scan,
//! [`ProcTable`]), their CPU (utime + stime of each member from `/proc/<pid>/stat`,
//! against the previous poll) and whether their port listens (sock_diag / `/proc/net/tcp*`).
//! Run on the blocking pool every refresh interval ([`spawn`]); the latest result is
//! published on a `watch` channel, which the TUI loop hands to `update` as
//! `Action::ServersPolled`.

use crate::collect::server_members::ProcTable;
use crate::collect::server_state as state;
use crate::model::server_state::Liveness;
use crate::model::servers_poll::{PolledServer, ServersPoll};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Start polling the project `root` every `every` (the first at once) on the blocking pool,
/// until `cancel`: each result is published on the returned channel (latest wins; the CPU
/// figures are measured between polls, so a poll nobody read loses nothing).
pub fn spawn(
    root: PathBuf,
    every: Duration,
    cancel: CancellationToken,
) -> watch::Receiver<Arc<ServersPoll>> {
    let (tx, rx) = watch::channel(Arc::new(ServersPoll::default()));
    let mut poller = Some(ServerPoller::new(root));
    tokio::spawn(async move {
        let mut tick = crate::collect::tasks::interval(every);
        while let Some(mut p) = poller.take() {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            let Ok((p, poll)) = tokio::task::spawn_blocking(move || {
                let poll = p.poll();
                (p, poll)
            })
            .await
            else {
                return;
            };
            if tx.send(Arc::new(poll)).is_err() {
                return;
            }
            poller = Some(p);
        }
    });
    rx
}

/// The poller of one project: remembers each process's CPU ticks for the next poll.
pub struct ServerPoller {
    root: PathBuf,
    /// (pid, start ticks) → utime + stime in clock ticks at `last`.
    ticks: BTreeMap<(u32, u64), u64>,
    last: Option<Instant>,
    tick_hz: f64,
}

impl ServerPoller {
    /// A poller for the project `root`.
    pub fn new(root: PathBuf) -> ServerPoller {
        ServerPoller {
            root,
            ticks: BTreeMap::new(),
            last: None,
            tick_hz: procfs::ticks_per_second() as f64,
        }
    }

    /// Look once (see the module docs). Never fails: an unreadable state file is reported
    /// in [`ServersPoll::error`].
    pub fn poll(&mut self) -> ServersPoll {
        let taken_at = Some(SystemTime::now());
        let recorded = match state::read(&self.root) {
            Ok(s) => s.servers,
            Err(e) => {
                return ServersPoll {
                    taken_at,
                    running: Vec::new(),
                    error: Some(e.to_string()),
                };
            }
        };
        let now = Instant::now();
        let elapsed = self.last.map(|t| now.duration_since(t).as_secs_f64());
        self.last = Some(now);
        let mut ticks = BTreeMap::new();
        let mut running = Vec::new();
        if !recorded.is_empty() {
            let table = ProcTable::read();
            let listen = crate::collect::ports::ListenTable::read();
            let page = procfs::page_size();
            for rec in &recorded {
                let live = state::liveness(rec);
                if live == Liveness::Gone {
                    continue;
                }
                let members = table.members(rec);
                let mut cpu_ticks = 0u64;
                for m in &members {
                    let Some(t) = cpu_of(m.pid) else { continue };
                    if let Some(before) = self.ticks.get(&(m.pid, m.start_ticks)) {
                        cpu_ticks += t.saturating_sub(*before);
                    }
                    ticks.insert((m.pid, m.start_ticks), t);
                }
                let cpu_percent = match elapsed {
                    Some(s) if s > 0.0 => (cpu_ticks as f64 / self.tick_hz / s * 100.0) as f32,
                    _ => 0.0,
                };
                running.push(PolledServer {
                    name: rec.name.clone(),
                    pid: rec.pid,
                    started_unix: rec.started_unix,
                    leader_alive: live == Liveness::Running,
                    rss_bytes: members.iter().map(|m| table.rss_pages(m.pid) * page).sum(),
                    members: members.iter().map(|m| m.pid).collect(),
                    cpu_percent,
                    listening: rec.port.map(|p| listen.has_port(p)),
                    ready_after: rec.ready_after_ms.map(std::time::Duration::from_millis),
                });
            }
        }
        self.ticks = ticks;
        ServersPoll {
            taken_at,
            running,
            error: None,
        }
    }
}

/// utime + stime of `pid` in clock ticks (`/proc/<pid>/stat` fields 14 and 15).
fn cpu_of(pid: u32) -> Option<u64> {
    let p = procfs::process::Process::new(i32::try_from(pid).ok()?).ok()?;
    let s = p.stat().ok()?;
    Some(s.utime + s.stime)
}
