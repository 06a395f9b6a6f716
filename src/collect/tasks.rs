//! Background collectors on tokio tasks. Each publishes an immutable snapshot through a
//! `watch` channel (latest wins: a slow UI never builds a backlog) and never blocks a frame:
//! /proc work runs in `spawn_blocking`.

use crate::collect::cpu::CpuReader;
use crate::collect::memory::MemoryReader;
use crate::collect::oom::OomWatch;
use crate::collect::processes::{ProcessCollector, Selection};
use crate::model::memory::{AvailableHistory, MemoryThresholds, assess};
use crate::model::oom_tally::OomTally;
pub use crate::model::snapshot::MemoryView;
use crate::model::snapshot::{GuardReadings, ProcessSnapshot};
use crate::model::tree::Scope;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

/// Requests to the process collector.
#[derive(Debug, Clone, PartialEq)]
pub enum ProcessControl {
    /// Switch scope and collect at once.
    SetScope(Scope),
    /// Collect at once (after a kill, say).
    RefreshNow,
    /// Collect (processes and memory) every this often from now on.
    SetRefresh(Duration),
}

/// Handles to the running collectors.
pub struct Collectors {
    /// Latest process snapshot.
    pub processes: watch::Receiver<Arc<ProcessSnapshot>>,
    /// Latest memory view.
    pub memory: watch::Receiver<Arc<MemoryView>>,
    /// Requests to the process collector.
    pub control: mpsc::UnboundedSender<ProcessControl>,
}

/// Reads memory once and folds it into `history` (the caller adds the CPU reading).
pub fn memory_pass(
    reader: &MemoryReader,
    history: &mut AvailableHistory,
    thresholds: &MemoryThresholds,
    t_s: f64,
) -> MemoryView {
    match reader.read() {
        Ok(snap) => {
            history.push(t_s, snap.effective_available());
            MemoryView {
                assessment: Some(assess(&snap, thresholds)),
                snapshot: Some(snap),
                error: None,
                sparkline: history.sparkline_values(),
                exhaustion_s: history.projected_exhaustion_secs(),
                cpu: None,
                t_s,
                guard: None,
            }
        }
        Err(e) => MemoryView {
            error: Some(e.to_string()),
            sparkline: history.sparkline_values(),
            t_s,
            ..MemoryView::default()
        },
    }
}

/// A tick every `d` (the first at once); a late tick delays the next rather than bursting.
pub(crate) fn interval(d: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(d);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

/// What the memory collector reads for the memory guard beside each memory reading (see
/// [`GuardReadings`]): the project's `.devtop/state.json` and the kernel's OOM evidence.
pub struct GuardFeed {
    root: PathBuf,
    oom: OomWatch,
    tally: OomTally,
    servers: crate::collect::server_groups::Watch,
}

impl GuardFeed {
    /// Reads for the project at `root`, with `oom` (opened by the caller, which can tell
    /// first why the kernel log is not readable, [`OomWatch::kmsg_error`]).
    pub fn new(root: PathBuf, oom: OomWatch) -> GuardFeed {
        GuardFeed {
            root,
            oom,
            tally: OomTally::default(),
            servers: Default::default(),
        }
    }

    /// One pass, after the memory reading `view` (the cgroup its OOM counter is read from).
    fn read(&mut self, view: &MemoryView) -> GuardReadings {
        let cgroup = view.snapshot.as_ref().and_then(|s| s.cgroup.as_ref());
        self.tally.record(self.oom.poll(cgroup));
        GuardReadings {
            servers: self.servers.servers(&self.root).to_vec(),
            oom: self.tally.clone(),
        }
    }
}

/// What one blocking pass reads with, moved to the blocking pool and back each pass.
struct Pass {
    collector: ProcessCollector,
    reader: MemoryReader,
    history: AvailableHistory,
    cpu: CpuReader,
    guard: Option<GuardFeed>,
}

impl Pass {
    /// Processes, then memory and CPU (a few small /proc reads, ~10 µs), then what the guard
    /// reads beside them.
    fn run(&mut self, thresholds: &MemoryThresholds, t_s: f64) -> (ProcessSnapshot, MemoryView) {
        let snap = self.collector.collect();
        let mut view = memory_pass(&self.reader, &mut self.history, thresholds, t_s);
        view.cpu = self.cpu.read().ok();
        if let Some(g) = &mut self.guard {
            view.guard = Some(g.read(&view));
        }
        (snap, view)
    }
}

/// Start the process and memory collectors, every `refresh`, until `cancel`. Both are read in
/// one blocking pass and published together, so the UI wakes (and draws) once per refresh, not
/// once per collector. Errors when sysinfo cannot be initialised.
pub fn spawn(
    selection: Selection,
    thresholds: MemoryThresholds,
    refresh: Duration,
    cancel: CancellationToken,
) -> Result<Collectors, sysinfo::Error> {
    spawn_with(selection, thresholds, refresh, None, cancel)
}

/// [`spawn`], with `guard` read in each pass too (each memory view then carries
/// [`GuardReadings`]).
///
/// # Errors
/// sysinfo cannot be initialised.
pub fn spawn_with(
    selection: Selection,
    thresholds: MemoryThresholds,
    refresh: Duration,
    guard: Option<GuardFeed>,
    cancel: CancellationToken,
) -> Result<Collectors, sysinfo::Error> {
    let scope = selection.scope;
    let root = selection.root.clone();
    let collector = ProcessCollector::new(selection)?;
    let (ptx, prx) = watch::channel(Arc::new(ProcessSnapshot::empty(scope, root)));
    let (mtx, mrx) = watch::channel(Arc::new(MemoryView::default()));
    let (ctx, mut crx) = mpsc::unbounded_channel::<ProcessControl>();
    tokio::spawn(async move {
        let mut pass = Pass {
            collector,
            reader: MemoryReader::system(),
            history: AvailableHistory::new(),
            cpu: CpuReader::system(),
            guard,
        };
        let origin = Instant::now();
        let mut tick = interval(refresh);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
                cmd = crx.recv() => match cmd {
                    Some(ProcessControl::SetScope(s)) => pass.collector.selection.scope = s,
                    Some(ProcessControl::RefreshNow) => {}
                    Some(ProcessControl::SetRefresh(d)) => {
                        tick = interval(d);
                        tick.reset();
                        continue;
                    }
                    None => break,
                },
            }
            let th = thresholds.clone();
            let t_s = origin.elapsed().as_secs_f64();
            let Ok((p, snap, view)) = tokio::task::spawn_blocking(move || {
                let (snap, view) = pass.run(&th, t_s);
                (pass, snap, view)
            })
            .await
            else {
                break;
            };
            pass = p;
            if ptx.send(Arc::new(snap)).is_err() || mtx.send(Arc::new(view)).is_err() {
                break;
            }
        }
    });
    Ok(Collectors {
        processes: prx,
        memory: mrx,
        control: ctx,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::memory::CgroupMemory;

    /// The guard's readings are read in the collector's pass: the state file's servers, and
    /// the OOM counter of the reading's cgroup as a running tally.
    #[test]
    fn the_guard_feed_reads_the_servers_and_tallies_the_oom_counter() {
        let dir = tempfile::tempdir().unwrap();
        let cg = dir.path().join("sys/fs/cgroup/a");
        std::fs::create_dir_all(&cg).unwrap();
        std::fs::write(cg.join("memory.events"), "oom 0\noom_kill 1\n").unwrap();
        let devtop = dir.path().join(".devtop");
        std::fs::create_dir_all(&devtop).unwrap();
        std::fs::write(
            devtop.join("state.json"),
            r#"{"version":1,"servers":[{"name":"api","pid":4242,"pgid":4242,"start_ticks":1,"port":null,"started_unix":1}]}"#,
        )
        .unwrap();
        let oom = OomWatch::with(&dir.path().join("no-kmsg"), dir.path());
        let mut feed = GuardFeed::new(dir.path().to_owned(), oom);
        let mut view = crate::model::fixtures::memory(8.0, 0.0, 0.0);
        if let Some(m) = &mut view.snapshot {
            m.cgroup = Some(CgroupMemory {
                current_bytes: 1,
                max_bytes: Some(2),
                path: "/a".into(),
                inactive_file_bytes: 0,
                version: 2,
            });
        }
        let first = feed.read(&view);
        assert_eq!(first.servers.len(), 1);
        assert_eq!(first.servers[0].pgid, 4242);
        assert_eq!(first.oom.counter_rises, 0);
        std::fs::write(cg.join("memory.events"), "oom 2\noom_kill 3\n").unwrap();
        feed.read(&view);
        assert_eq!(feed.read(&view).oom.counter_rises, 2);
    }
}
