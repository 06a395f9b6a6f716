//! One-shot collection for the headless commands and the preflight: two passes 1 s apart so CPU percentages are real
//! (the first sample is only a baseline), and a few more while a migrate run past its hung
//! threshold has less than
//! [`crate::model::migrate_rules::HUNG_MIN_SAMPLE_S`] of samples, so `status` and `kill --suspects`
//! judge it as the TUI does (and preflight's checks 1, 2 and 6 likewise).

use crate::collect::cpu::CpuReader;
use crate::collect::memory::MemoryReader;
use crate::collect::processes::{ProcessCollector, Selection};
use crate::collect::tasks::{MemoryView, memory_pass};
use crate::model::memory::{AvailableHistory, MemoryThresholds};
use crate::model::snapshot::ProcessSnapshot;
use std::time::Duration;

/// Gap between two passes.
pub const SAMPLE_GAP: Duration = Duration::from_secs(1);
/// At most this many passes in all (~4 s of sampling).
pub const MAX_PASSES: u32 = 5;

/// Collect processes twice [`SAMPLE_GAP`] apart (up to [`MAX_PASSES`] times for a migrate
/// candidate), memory once, and the whole machine's CPU over the same time. Errors when
/// sysinfo cannot be initialised.
pub fn collect_once(
    selection: Selection,
    thresholds: &MemoryThresholds,
) -> Result<(ProcessSnapshot, MemoryView), String> {
    let mut collector =
        ProcessCollector::new(selection).map_err(|e| format!("cannot read processes: {e}"))?;
    let mut cpu = CpuReader::system();
    let _ = cpu.read();
    collector.collect();
    std::thread::sleep(SAMPLE_GAP);
    let mut snap = collector.collect();
    let mut passes = 2;
    while passes < MAX_PASSES && collector.wants_longer_sample(&snap) {
        std::thread::sleep(SAMPLE_GAP);
        snap = collector.collect();
        passes += 1;
    }
    let mut history = AvailableHistory::new();
    let mut memory = memory_pass(&MemoryReader::system(), &mut history, thresholds, 0.0);
    memory.cpu = cpu.read().ok();
    Ok((snap, memory))
}

/// [`collect_once`] for `setup`'s selection and memory thresholds, on the runtime's blocking
/// pool (the passes sleep [`SAMPLE_GAP`] apart). Errors as [`collect_once`], or when the
/// collection panicked.
pub async fn collect(setup: &crate::setup::Setup) -> Result<(ProcessSnapshot, MemoryView), String> {
    let (selection, thresholds) = (setup.selection.clone(), setup.config.memory.clone());
    tokio::task::spawn_blocking(move || collect_once(selection, &thresholds))
        .await
        .unwrap_or_else(|_| Err("process collection panicked".into()))
}
