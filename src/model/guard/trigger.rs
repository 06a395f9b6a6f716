//! The guard's trigger: a short history of memory level readings and the rules that make it
//! critical (PSI full avg10 sustained, MemAvailable low, cgroup headroom low).

use super::GuardRules;
use crate::model::memory::{MemorySnapshot, format_bytes};
use serde::Serialize;
use std::collections::VecDeque;

/// Seconds of readings kept (enough for any `psi_for` up to this).
pub const LEVEL_WINDOW_S: f64 = 600.0;
/// Hard cap on stored readings, whatever the refresh rate.
const MAX_SAMPLES: usize = 4096;

/// One memory level reading, as the guard judges it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LevelSample {
    /// When it was taken, seconds on a caller-chosen monotonic clock.
    pub t_s: f64,
    /// `MemAvailable` of `/proc/meminfo`, bytes.
    pub available_bytes: u64,
    /// PSI `full avg10` of `/proc/pressure/memory`, percent; `None` without PSI.
    pub psi_full_avg10: Option<f64>,
    /// cgroup memory: (working set, limit) in bytes when a limit applies — v2
    /// `memory.current`/`memory.max` or v1 `memory.usage_in_bytes`/`memory.limit_in_bytes`,
    /// the working set excluding inactive file pages (`memory.stat`) the kernel reclaims first.
    pub cgroup: Option<(u64, u64)>,
}

impl LevelSample {
    /// The reading of `snap` at `t_s`.
    pub fn from_snapshot(t_s: f64, snap: &MemorySnapshot) -> LevelSample {
        LevelSample {
            t_s,
            available_bytes: snap.available_bytes,
            psi_full_avg10: snap.psi.as_ref().map(|p| p.full_avg10),
            cgroup: snap
                .cgroup
                .as_ref()
                .and_then(|c| c.max_bytes.map(|max| (c.working_set_bytes(), max))),
        }
    }

    /// cgroup headroom as (bytes, percent of the limit); `None` without a limit. Bytes as
    /// [`crate::model::memory::CgroupMemory::headroom_bytes`] (preflight's check 5).
    pub fn headroom(&self) -> Option<(u64, f64)> {
        let (used, max) = self.cgroup?;
        if max == 0 {
            return Some((0, 0.0));
        }
        let left = crate::model::memory::cgroup_headroom(used, max);
        Some((left, left as f64 * 100.0 / max as f64))
    }
}

/// Readings over the last [`LEVEL_WINDOW_S`], oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LevelHistory {
    samples: VecDeque<LevelSample>,
}

impl LevelHistory {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a reading; a non-finite time is ignored, an earlier one restarts the history.
    pub fn push(&mut self, s: LevelSample) {
        if !s.t_s.is_finite() {
            return;
        }
        if self.samples.back().is_some_and(|l| s.t_s < l.t_s) {
            self.samples.clear();
        }
        self.samples.push_back(s);
        let cutoff = s.t_s - LEVEL_WINDOW_S;
        while self.samples.front().is_some_and(|f| f.t_s < cutoff)
            || self.samples.len() > MAX_SAMPLES
        {
            self.samples.pop_front();
        }
    }

    /// The newest reading.
    pub fn latest(&self) -> Option<&LevelSample> {
        self.samples.back()
    }

    /// The reading before the newest one.
    pub fn samples_before_latest(&self) -> Option<&LevelSample> {
        self.samples.iter().rev().nth(1)
    }

    /// Number of readings stored.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Seconds the PSI `full avg10` has been at or above `threshold` without a break, counting
    /// only readings after `since` (the last kill): from the first reading of the unbroken run
    /// to the newest. `None` when the newest reading is below it (or has no PSI).
    pub fn psi_run_s(&self, threshold: f64, since: Option<f64>) -> Option<f64> {
        let newest = self.samples.back()?;
        let mut first = None;
        for s in self.samples.iter().rev() {
            if since.is_some_and(|t| s.t_s <= t) {
                break;
            }
            match s.psi_full_avg10 {
                Some(v) if v >= threshold => first = Some(s.t_s),
                _ => break,
            }
        }
        first.map(|f| newest.t_s - f)
    }
}

/// One rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "rule", rename_all = "kebab-case")]
pub enum Fired {
    /// PSI full avg10 at or above the threshold for `for_s` seconds.
    Psi {
        /// Latest PSI full avg10, percent.
        full_avg10: f64,
        /// The threshold, percent.
        threshold: f64,
        /// Seconds it has held.
        for_s: f64,
    },
    /// MemAvailable below the minimum.
    Available {
        /// MemAvailable, bytes.
        available_bytes: u64,
        /// The minimum, bytes.
        min_bytes: u64,
    },
    /// cgroup headroom below the minimum percent of its limit.
    Headroom {
        /// Bytes left before the limit.
        headroom_bytes: u64,
        /// The limit, bytes.
        limit_bytes: u64,
        /// Headroom as percent of the limit.
        percent: f64,
        /// The minimum, percent.
        min_percent: f64,
    },
}

impl std::fmt::Display for Fired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fired::Psi {
                full_avg10,
                threshold,
                for_s,
            } => write!(
                f,
                "PSI full avg10 {full_avg10:.1}% ≥ {threshold}% for {for_s:.0}s"
            ),
            Fired::Available {
                available_bytes,
                min_bytes,
            } => write!(
                f,
                "MemAvailable {} < {}",
                format_bytes(*available_bytes),
                format_bytes(*min_bytes)
            ),
            Fired::Headroom {
                headroom_bytes,
                limit_bytes,
                percent,
                min_percent,
            } => write!(
                f,
                "cgroup headroom {} ({percent:.1}%) of {} < {min_percent}%",
                format_bytes(*headroom_bytes),
                format_bytes(*limit_bytes)
            ),
        }
    }
}

/// The newest reading and the rules it fired.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Evidence {
    /// The newest reading (`None` before the first).
    pub latest: Option<LevelSample>,
    /// The rules that fired, in the order PSI, MemAvailable, headroom; empty: not critical.
    pub fired: Vec<Fired>,
}

impl Evidence {
    /// True when some rule fired.
    pub fn critical(&self) -> bool {
        !self.fired.is_empty()
    }

    /// One line of numbers: "PSI full 34.0 %, available 180 MiB, headroom 80 MiB (2.0 %) of
    /// 4.0 GiB" (the parts known).
    pub fn numbers(&self) -> String {
        let Some(s) = &self.latest else {
            return "no reading yet".to_owned();
        };
        let mut parts = Vec::new();
        if let Some(p) = s.psi_full_avg10 {
            parts.push(format!("PSI full {p:.1}%"));
        }
        parts.push(format!("available {}", format_bytes(s.available_bytes)));
        if let (Some((left, pct)), Some((_, max))) = (s.headroom(), s.cgroup) {
            parts.push(format!(
                "headroom {} ({pct:.1}%) of {}",
                format_bytes(left),
                format_bytes(max)
            ));
        }
        parts.join(", ")
    }
}

/// Which rules fire on `history` under `rules`:
/// - PSI `full avg10` ≥ `psi_full_avg10` for at least `psi_for_s`, counting only readings after
///   `since` (the last kill);
/// - the newest `MemAvailable` < `min_available_bytes`;
/// - the newest cgroup headroom < `min_headroom_percent` of its limit.
pub fn evaluate(history: &LevelHistory, rules: &GuardRules, since: Option<f64>) -> Evidence {
    let Some(latest) = history.latest().copied() else {
        return Evidence::default();
    };
    let mut fired = Vec::new();
    if let (Some(run), Some(v)) = (
        history.psi_run_s(rules.psi_full_avg10, since),
        latest.psi_full_avg10,
    ) && run >= rules.psi_for_s
    {
        fired.push(Fired::Psi {
            full_avg10: v,
            threshold: rules.psi_full_avg10,
            for_s: run,
        });
    }
    if latest.available_bytes < rules.min_available_bytes {
        fired.push(Fired::Available {
            available_bytes: latest.available_bytes,
            min_bytes: rules.min_available_bytes,
        });
    }
    if let (Some((left, pct)), Some((_, max))) = (latest.headroom(), latest.cgroup)
        && pct < rules.min_headroom_percent
    {
        fired.push(Fired::Headroom {
            headroom_bytes: left,
            limit_bytes: max,
            percent: pct,
            min_percent: rules.min_headroom_percent,
        });
    }
    Evidence {
        latest: Some(latest),
        fired,
    }
}
