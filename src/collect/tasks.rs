//! Background collectors on tokio tasks. Each publishes an immutable snapshot through a
//! `watch` channel (latest wins: a slow UI never builds a backlog) and never blocks a frame:
//! /proc work runs in `spawn_blocking`.

use crate::collect::cpu::CpuReader;
use crate::collect::memory::MemoryReader;
use crate::collect::processes::{ProcessCollector, Selection};
use crate::model::memory::{AvailableHistory, MemoryThresholds, assess};
pub use crate::model::snapshot::MemoryView;
use crate::model::snapshot::ProcessSnapshot;
use crate::model::tree::Scope;
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
fn interval(d: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(d);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
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
    let scope = selection.scope;
    let root = selection.root.clone();
    let mut collector = ProcessCollector::new(selection)?;
    let (ptx, prx) = watch::channel(Arc::new(ProcessSnapshot::empty(scope, root)));
    let (mtx, mrx) = watch::channel(Arc::new(MemoryView::default()));
    let (ctx, mut crx) = mpsc::unbounded_channel::<ProcessControl>();
    tokio::spawn(async move {
        let reader = Arc::new(MemoryReader::system());
        let mut cpu = CpuReader::system();
        let mut history = AvailableHistory::new();
        let origin = Instant::now();
        let mut tick = interval(refresh);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
                cmd = crx.recv() => match cmd {
                    Some(ProcessControl::SetScope(s)) => collector.selection.scope = s,
                    Some(ProcessControl::RefreshNow) => {}
                    Some(ProcessControl::SetRefresh(d)) => {
                        tick = interval(d);
                        tick.reset();
                        continue;
                    }
                    None => break,
                },
            }
            let (r, th) = (reader.clone(), thresholds.clone());
            let t_s = origin.elapsed().as_secs_f64();
            let Ok((c, h, cp, snap, view)) = tokio::task::spawn_blocking(move || {
                let snap = collector.collect();
                // A few small /proc reads (~10 µs) beside the process pass.
                let mut view = memory_pass(&r, &mut history, &th, t_s);
                view.cpu = cpu.read().ok();
                (collector, history, cpu, snap, view)
            })
            .await
            else {
                break;
            };
            collector = c;
            history = h;
            cpu = cp;
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
