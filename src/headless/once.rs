//! One-shot collection for headless commands: two passes 1 s apart so CPU percentages are real
//! (sysinfo needs two samples; the first is discarded).

use crate::collect::memory::MemoryReader;
use crate::collect::processes::{ProcessCollector, Selection};
use crate::collect::tasks::{MemoryView, memory_pass};
use crate::model::memory::{AvailableHistory, MemoryThresholds};
use crate::model::snapshot::ProcessSnapshot;
use std::time::Duration;

/// Gap between the two passes.
pub const SAMPLE_GAP: Duration = Duration::from_secs(1);

/// Collect processes twice [`SAMPLE_GAP`] apart and memory once. Errors when sysinfo cannot
/// be initialised.
pub fn collect_once(
    selection: Selection,
    thresholds: &MemoryThresholds,
) -> Result<(ProcessSnapshot, MemoryView), String> {
    let mut collector =
        ProcessCollector::new(selection).map_err(|e| format!("cannot read processes: {e}"))?;
    collector.collect();
    std::thread::sleep(SAMPLE_GAP);
    let snap = collector.collect();
    let mut history = AvailableHistory::new();
    let memory = memory_pass(&MemoryReader::system(), &mut history, thresholds, 0.0);
    Ok((snap, memory))
}
