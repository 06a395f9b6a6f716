//! Background collectors on tokio tasks. Each publishes an immutable snapshot through a
//! `watch` channel (latest wins: a slow UI never builds a backlog) and never blocks a frame:
//! /proc work runs in `spawn_blocking`.

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

/// Reads memory once and folds it into `history`.
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
            }
        }
        Err(e) => MemoryView {
            error: Some(e.to_string()),
            sparkline: history.sparkline_values(),
            ..MemoryView::default()
        },
    }
}

/// Start the process and memory collectors, each every `refresh`, until `cancel`.
/// Errors when sysinfo cannot be initialised.
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
    let (ctx, mut crx) = mpsc::unbounded_channel::<ProcessControl>();
    let c1 = cancel.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(refresh);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = c1.cancelled() => break,
                _ = tick.tick() => {}
                cmd = crx.recv() => match cmd {
                    Some(ProcessControl::SetScope(s)) => collector.selection.scope = s,
                    Some(ProcessControl::RefreshNow) => {}
                    None => break,
                },
            }
            let Ok((c, snap)) = tokio::task::spawn_blocking(move || {
                let snap = collector.collect();
                (collector, snap)
            })
            .await
            else {
                break;
            };
            collector = c;
            if ptx.send(Arc::new(snap)).is_err() {
                break;
            }
        }
    });
    let (mtx, mrx) = watch::channel(Arc::new(MemoryView::default()));
    tokio::spawn(async move {
        let reader = MemoryReader::system();
        let mut history = AvailableHistory::new();
        let origin = Instant::now();
        let mut tick = tokio::time::interval(refresh);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            // A few small /proc reads (~10 µs): cheap enough to run inline.
            let view = memory_pass(
                &reader,
                &mut history,
                &thresholds,
                origin.elapsed().as_secs_f64(),
            );
            if mtx.send(Arc::new(view)).is_err() {
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
