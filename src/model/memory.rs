//! Memory pressure model: snapshot types, the Ok/Warn/Critical assessment, a 5-minute
//! history of available memory with an exhaustion projection, and [`format_bytes`].
//!
//! Pure: no I/O. The numbers are filled in by `crate::collect::memory` from
//! `/proc/meminfo`, `/proc/pressure/memory` and the cgroup v2 `memory.current`/`memory.max`.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// One reading of system (and, if any, cgroup) memory. All sizes are in bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemorySnapshot {
    /// `MemTotal` from `/proc/meminfo`, in bytes.
    pub total_bytes: u64,
    /// `MemAvailable` from `/proc/meminfo` (kernel estimate of memory usable without
    /// swapping), in bytes.
    pub available_bytes: u64,
    /// `SwapTotal` from `/proc/meminfo`, in bytes.
    pub swap_total_bytes: u64,
    /// `SwapFree` from `/proc/meminfo`, in bytes.
    pub swap_free_bytes: u64,
    /// The cgroup v2 memory accounting that applies to this process, if any.
    pub cgroup: Option<CgroupMemory>,
    /// Memory pressure stall information from `/proc/pressure/memory`, if the kernel has PSI.
    pub psi: Option<Psi>,
}

/// Memory usage and limit of one cgroup v2 directory (the nearest ancestor-or-self of this
/// process's cgroup that has a numeric `memory.max`, else the leaf).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CgroupMemory {
    /// `memory.current` of that cgroup, in bytes (includes page cache).
    pub current_bytes: u64,
    /// `memory.max` of that cgroup, in bytes; `None` when it is `max` (no limit).
    pub max_bytes: Option<u64>,
    /// The cgroup path as shown in `/proc/self/cgroup` (e.g. `/user.slice/app.scope`).
    pub path: String,
}

/// Memory pressure stall information, from `/proc/pressure/memory`. Values are percent of
/// wall time (0.0–100.0) in which some / all non-idle tasks were stalled on memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Psi {
    /// `some avg10`: percent, 10-second average.
    pub some_avg10: f64,
    /// `some avg60`: percent, 60-second average.
    pub some_avg60: f64,
    /// `full avg10`: percent, 10-second average (0.0 when the kernel reports no `full` line).
    pub full_avg10: f64,
    /// `full avg60`: percent, 60-second average (0.0 when the kernel reports no `full` line).
    pub full_avg60: f64,
}

impl CgroupMemory {
    /// Bytes left before the cgroup limit (`memory.max - memory.current`, saturating at 0);
    /// `None` when there is no limit.
    pub fn headroom_bytes(&self) -> Option<u64> {
        self.max_bytes
            .map(|max| max.saturating_sub(self.current_bytes))
    }
}

impl MemorySnapshot {
    /// Bytes really available to us: `MemAvailable`, or the cgroup headroom
    /// (`memory.max - memory.current`) when a cgroup limit applies and is smaller.
    ///
    /// Note that `memory.current` counts reclaimable page cache, so the cgroup headroom is
    /// a pessimistic estimate.
    pub fn effective_available(&self) -> u64 {
        match self.cgroup_headroom() {
            Some(headroom) => headroom.min(self.available_bytes),
            None => self.available_bytes,
        }
    }

    /// System-wide used bytes: `MemTotal - MemAvailable` (saturating at 0).
    pub fn used_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.available_bytes)
    }

    /// True when a cgroup limit applies and it is tighter than `MemAvailable`.
    pub fn cgroup_is_binding(&self) -> bool {
        self.cgroup_headroom()
            .is_some_and(|headroom| headroom < self.available_bytes)
    }

    fn cgroup_headroom(&self) -> Option<u64> {
        self.cgroup.as_ref().and_then(CgroupMemory::headroom_bytes)
    }
}

/// Severity of the memory situation. Ordered: `Ok < Warn < Critical`.
/// Serialized as `"ok"`, `"warn"`, `"critical"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing to report.
    Ok,
    /// Getting tight.
    Warn,
    /// Out-of-memory kills or heavy stalls are likely.
    Critical,
}

/// Thresholds for [`assess`]. Byte thresholds are compared (strictly less-than) against
/// [`MemorySnapshot::effective_available`]; PSI thresholds are percent, compared with `>=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryThresholds {
    /// Warn when effective available bytes are below this (default 1 GiB).
    pub warn_available_bytes: u64,
    /// Critical when effective available bytes are below this (default 500 MiB).
    pub critical_available_bytes: u64,
    /// Warn when PSI `some avg10` (percent) is at or above this (default 10.0).
    pub psi_warn_some_avg10: f64,
    /// Critical when PSI `full avg10` (percent) is at or above this (default 10.0).
    pub psi_critical_full_avg10: f64,
}

impl Default for MemoryThresholds {
    fn default() -> Self {
        Self {
            warn_available_bytes: GIB,
            critical_available_bytes: 500 * MIB,
            psi_warn_some_avg10: 10.0,
            psi_critical_full_avg10: 10.0,
        }
    }
}

/// Result of [`assess`]: the overall level and one short human-readable reason with
/// evidence per triggered rule (empty when the level is `Ok`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The highest level any rule triggered.
    pub level: Level,
    /// E.g. `"MemAvailable 412 MiB < 500 MiB"`, `"PSI full avg10 12.3% ≥ 10%"`,
    /// `"cgroup: 3.8 GiB of 4.0 GiB limit"`.
    pub reasons: Vec<String>,
}

/// Grades a snapshot against thresholds.
///
/// Rules (the level is the maximum of those triggered):
/// - effective available < `critical_available_bytes` → Critical, else < `warn_available_bytes` → Warn;
///   when the cgroup limit is what makes it tight, a `"cgroup: X of Y limit"` reason is added;
/// - PSI `full avg10` ≥ `psi_critical_full_avg10` → Critical;
/// - PSI `some avg10` ≥ `psi_warn_some_avg10` → Warn.
pub fn assess(snapshot: &MemorySnapshot, t: &MemoryThresholds) -> Assessment {
    let mut level = Level::Ok;
    let mut reasons = Vec::new();

    let available = snapshot.effective_available();
    let label = if snapshot.cgroup_is_binding() {
        "cgroup headroom"
    } else {
        "MemAvailable"
    };
    let avail_limit = if available < t.critical_available_bytes {
        Some((Level::Critical, t.critical_available_bytes))
    } else if available < t.warn_available_bytes {
        Some((Level::Warn, t.warn_available_bytes))
    } else {
        None
    };
    if let Some((l, limit)) = avail_limit {
        level = level.max(l);
        reasons.push(format!(
            "{label} {} < {}",
            format_bytes(available),
            format_bytes(limit)
        ));
        if snapshot.cgroup_is_binding()
            && let Some(cg) = &snapshot.cgroup
            && let Some(max) = cg.max_bytes
        {
            reasons.push(format!(
                "cgroup: {} of {} limit",
                format_bytes(cg.current_bytes),
                format_bytes(max)
            ));
        }
    }

    if let Some(psi) = &snapshot.psi {
        if psi.full_avg10 >= t.psi_critical_full_avg10 {
            level = level.max(Level::Critical);
            reasons.push(format!(
                "PSI full avg10 {:.1}% ≥ {}%",
                psi.full_avg10, t.psi_critical_full_avg10
            ));
        }
        if psi.some_avg10 >= t.psi_warn_some_avg10 {
            level = level.max(Level::Warn);
            reasons.push(format!(
                "PSI some avg10 {:.1}% ≥ {}%",
                psi.some_avg10, t.psi_warn_some_avg10
            ));
        }
    }

    Assessment { level, reasons }
}

/// Length of the [`AvailableHistory`] window, in seconds (5 minutes).
pub const HISTORY_WINDOW_SECS: f64 = 300.0;
/// Hard cap on stored samples, so a caller pushing very fast cannot grow memory unboundedly.
const HISTORY_MAX_SAMPLES: usize = 4096;
/// Minimum number of samples for [`AvailableHistory::projected_exhaustion_secs`].
pub const PROJECTION_MIN_SAMPLES: usize = 10;
/// Minimum time span (seconds) covered by the samples for a projection.
pub const PROJECTION_MIN_SPAN_SECS: f64 = 30.0;
/// Minimum coefficient of determination (R²) of the linear fit for a fall to count as
/// "steady".
pub const PROJECTION_MIN_R2: f64 = 0.6;

/// Ring of `(t_secs, available_bytes)` samples over the last [`HISTORY_WINDOW_SECS`].
/// `t_secs` is seconds since an arbitrary (caller-chosen, monotonic) origin.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AvailableHistory {
    samples: VecDeque<(f64, u64)>,
}

impl AvailableHistory {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a sample and drops samples older than `t_secs - 300`.
    /// A non-finite `t_secs` is ignored; a `t_secs` earlier than the latest sample means
    /// the clock origin changed, so the history restarts from this sample.
    pub fn push(&mut self, t_secs: f64, available_bytes: u64) {
        if !t_secs.is_finite() {
            return;
        }
        if self.samples.back().is_some_and(|&(last, _)| t_secs < last) {
            self.samples.clear();
        }
        self.samples.push_back((t_secs, available_bytes));
        let cutoff = t_secs - HISTORY_WINDOW_SECS;
        while self.samples.front().is_some_and(|&(t, _)| t < cutoff)
            || self.samples.len() > HISTORY_MAX_SAMPLES
        {
            self.samples.pop_front();
        }
    }

    /// The stored `(t_secs, available_bytes)` samples, oldest first.
    pub fn samples(&self) -> impl ExactSizeIterator<Item = (f64, u64)> + '_ {
        self.samples.iter().copied()
    }

    /// Available bytes of each sample, oldest first (input for a sparkline).
    pub fn sparkline_values(&self) -> Vec<u64> {
        self.samples.iter().map(|&(_, b)| b).collect()
    }

    /// Number of stored samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when no samples are stored.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The newest sample, if any.
    pub fn latest(&self) -> Option<(f64, u64)> {
        self.samples.back().copied()
    }

    /// Seconds from the latest sample until available memory reaches 0, extrapolating the
    /// least-squares line over the window.
    ///
    /// `Some` only when: at least [`PROJECTION_MIN_SAMPLES`] samples spanning at least
    /// [`PROJECTION_MIN_SPAN_SECS`], the slope is negative, and the fall is steady, defined
    /// as the fit's R² ≥ [`PROJECTION_MIN_R2`] (so noise around a flat or rising line gives
    /// `None`). The value is `latest_available_bytes / -slope`.
    pub fn projected_exhaustion_secs(&self) -> Option<f64> {
        let n = self.samples.len();
        let (&(t_first, _), &(t_last, latest)) = (self.samples.front()?, self.samples.back()?);
        if n < PROJECTION_MIN_SAMPLES || t_last - t_first < PROJECTION_MIN_SPAN_SECS {
            return None;
        }
        let nf = n as f64;
        let mean_t = self.samples.iter().map(|&(t, _)| t).sum::<f64>() / nf;
        let mean_y = self.samples.iter().map(|&(_, y)| y as f64).sum::<f64>() / nf;
        let (mut stt, mut sty, mut syy) = (0.0, 0.0, 0.0);
        for &(t, y) in &self.samples {
            let (dt, dy) = (t - mean_t, y as f64 - mean_y);
            stt += dt * dt;
            sty += dt * dy;
            syy += dy * dy;
        }
        if stt <= 0.0 || syy <= 0.0 {
            return None;
        }
        let slope = sty / stt;
        let r2 = (sty * sty) / (stt * syy);
        if slope.is_nan() || slope >= 0.0 || r2 < PROJECTION_MIN_R2 {
            return None;
        }
        let secs = latest as f64 / -slope;
        secs.is_finite().then_some(secs)
    }
}

/// Human size with binary units: `"12 B"`, `"950 KiB"`, `"412 MiB"`, `"3.8 GiB"`,
/// `"1.2 TiB"`. No decimals below GiB, one decimal at GiB and above; values are rounded,
/// and a value that would round to 1024 of a unit is shown in the next unit.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < KIB {
        return format!("{n} B");
    }
    let mut value = n as f64 / KIB as f64;
    for (i, unit) in UNITS.iter().enumerate() {
        let decimals = if i >= 2 { 1 } else { 0 };
        let scale = if decimals == 1 { 10.0 } else { 1.0 };
        let rounded = (value * scale).round() / scale;
        if rounded < 1024.0 || i == UNITS.len() - 1 {
            return format!("{rounded:.decimals$} {unit}");
        }
        value /= 1024.0;
    }
    format!("{n} B")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn snap(available: u64) -> MemorySnapshot {
        MemorySnapshot {
            total_bytes: 16 * GIB,
            available_bytes: available,
            swap_total_bytes: 0,
            swap_free_bytes: 0,
            cgroup: None,
            psi: None,
        }
    }

    fn psi(some10: f64, full10: f64) -> Psi {
        Psi {
            some_avg10: some10,
            some_avg60: 0.0,
            full_avg10: full10,
            full_avg60: 0.0,
        }
    }

    #[test]
    fn format_bytes_examples() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(12), "12 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1024), "1 KiB");
        assert_eq!(format_bytes(950 * KIB), "950 KiB");
        assert_eq!(format_bytes(412 * MIB), "412 MiB");
        assert_eq!(format_bytes(500 * MIB), "500 MiB");
        assert_eq!(format_bytes(GIB), "1.0 GiB");
        assert_eq!(format_bytes(3 * GIB + 800 * MIB), "3.8 GiB");
        assert_eq!(format_bytes(4 * GIB), "4.0 GiB");
        assert_eq!(format_bytes(2 * 1024 * GIB), "2.0 TiB");
        assert_eq!(format_bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn format_bytes_rounding_promotes_unit() {
        assert_eq!(format_bytes(1023 * KIB + 1000), "1 MiB");
        assert_eq!(format_bytes(MIB - 1), "1 MiB");
        assert_eq!(format_bytes(GIB - 1), "1.0 GiB");
        assert_eq!(format_bytes(1536), "2 KiB");
    }

    #[test]
    fn thresholds_default() {
        let t = MemoryThresholds::default();
        assert_eq!(t.warn_available_bytes, 1024 * 1024 * 1024);
        assert_eq!(t.critical_available_bytes, 500 * 1024 * 1024);
        assert_eq!(t.psi_warn_some_avg10, 10.0);
        assert_eq!(t.psi_critical_full_avg10, 10.0);
    }

    #[test]
    fn level_order_and_serialization() {
        assert!(Level::Critical > Level::Warn && Level::Warn > Level::Ok);
        assert_eq!(serde_json::to_string(&Level::Ok).unwrap(), "\"ok\"");
        assert_eq!(serde_json::to_string(&Level::Warn).unwrap(), "\"warn\"");
        assert_eq!(
            serde_json::to_string(&Level::Critical).unwrap(),
            "\"critical\""
        );
    }

    #[test]
    fn available_boundaries() {
        let t = MemoryThresholds::default();
        let a = assess(&snap(GIB), &t);
        assert_eq!((a.level, a.reasons.len()), (Level::Ok, 0));
        assert_eq!(assess(&snap(GIB - 1), &t).level, Level::Warn);
        let a = assess(&snap(900 * MIB), &t);
        assert_eq!(a.level, Level::Warn);
        assert_eq!(
            a.reasons,
            vec!["MemAvailable 900 MiB < 1.0 GiB".to_string()]
        );
        assert_eq!(assess(&snap(500 * MIB), &t).level, Level::Warn);
        let a = assess(&snap(500 * MIB - 1), &t);
        assert_eq!(a.level, Level::Critical);
        let a = assess(&snap(412 * MIB), &t);
        assert_eq!(
            a.reasons,
            vec!["MemAvailable 412 MiB < 500 MiB".to_string()]
        );
        assert_eq!(assess(&snap(0), &t).level, Level::Critical);
    }

    #[test]
    fn psi_boundaries() {
        let t = MemoryThresholds::default();
        let mut s = snap(8 * GIB);
        s.psi = Some(psi(9.99, 9.99));
        assert_eq!(assess(&s, &t).level, Level::Ok);
        s.psi = Some(psi(10.0, 0.0));
        let a = assess(&s, &t);
        assert_eq!(a.level, Level::Warn);
        assert_eq!(a.reasons, vec!["PSI some avg10 10.0% ≥ 10%".to_string()]);
        s.psi = Some(psi(0.0, 10.0));
        assert_eq!(assess(&s, &t).level, Level::Critical);
        s.psi = Some(psi(20.0, 12.3));
        let a = assess(&s, &t);
        assert_eq!(a.level, Level::Critical);
        assert_eq!(
            a.reasons,
            vec![
                "PSI full avg10 12.3% ≥ 10%".to_string(),
                "PSI some avg10 20.0% ≥ 10%".to_string()
            ]
        );
    }

    #[test]
    fn worst_rule_wins() {
        let t = MemoryThresholds::default();
        let mut s = snap(800 * MIB);
        s.psi = Some(psi(0.0, 50.0));
        let a = assess(&s, &t);
        assert_eq!(a.level, Level::Critical);
        assert_eq!(a.reasons.len(), 2);
        s.available_bytes = 100 * MIB;
        s.psi = Some(psi(15.0, 0.0));
        assert_eq!(assess(&s, &t).level, Level::Critical);
    }

    #[test]
    fn cgroup_effective_available() {
        let mut s = snap(8 * GIB);
        s.cgroup = Some(CgroupMemory {
            current_bytes: 3 * GIB + 800 * MIB,
            max_bytes: Some(4 * GIB),
            path: "/user.slice/app.scope".into(),
        });
        assert_eq!(s.effective_available(), 224 * MIB);
        assert!(s.cgroup_is_binding());
        assert_eq!(s.used_bytes(), 8 * GIB);
        let a = assess(&s, &MemoryThresholds::default());
        assert_eq!(a.level, Level::Critical);
        assert_eq!(
            a.reasons,
            vec![
                "cgroup headroom 224 MiB < 500 MiB".to_string(),
                "cgroup: 3.8 GiB of 4.0 GiB limit".to_string()
            ]
        );
    }

    #[test]
    fn cgroup_over_limit_saturates() {
        let mut s = snap(8 * GIB);
        s.cgroup = Some(CgroupMemory {
            current_bytes: 5 * GIB,
            max_bytes: Some(4 * GIB),
            path: "/x".into(),
        });
        assert_eq!(s.effective_available(), 0);
    }

    #[test]
    fn cgroup_not_binding_or_unlimited() {
        let mut s = snap(300 * MIB);
        s.cgroup = Some(CgroupMemory {
            current_bytes: GIB,
            max_bytes: Some(4 * GIB),
            path: "/x".into(),
        });
        assert_eq!(s.effective_available(), 300 * MIB);
        assert!(!s.cgroup_is_binding());
        let a = assess(&s, &MemoryThresholds::default());
        assert_eq!(
            a.reasons,
            vec!["MemAvailable 300 MiB < 500 MiB".to_string()]
        );
        s.cgroup = Some(CgroupMemory {
            current_bytes: 15 * GIB,
            max_bytes: None,
            path: "/x".into(),
        });
        assert_eq!(s.effective_available(), 300 * MIB);
    }

    #[test]
    fn assessment_serializes() {
        let a = assess(&snap(412 * MIB), &MemoryThresholds::default());
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["level"], "critical");
        assert_eq!(v["reasons"][0], "MemAvailable 412 MiB < 500 MiB");
    }

    fn history(points: impl IntoIterator<Item = (f64, u64)>) -> AvailableHistory {
        let mut h = AvailableHistory::new();
        for (t, b) in points {
            h.push(t, b);
        }
        h
    }

    #[test]
    fn steady_fall_projects_exhaustion() {
        // 4 GiB falling 10 MiB/s for 60 s, one sample a second.
        let h = history((0..=60).map(|i| (i as f64, 4 * GIB - i * 10 * MIB)));
        let latest = (4 * GIB - 600 * MIB) as f64;
        let expected = latest / (10 * MIB) as f64; // 349.6 s
        let got = h.projected_exhaustion_secs().unwrap();
        assert!((got - expected).abs() < 0.01, "{got} vs {expected}");
    }

    #[test]
    fn mildly_noisy_fall_still_projects() {
        let h = history((0..60u64).map(|i| {
            let noise = if i % 2 == 0 { 20 * MIB } else { 0 };
            (i as f64, 4 * GIB - i * 10 * MIB + noise)
        }));
        let got = h.projected_exhaustion_secs().unwrap();
        assert!(got > 300.0 && got < 400.0, "{got}");
    }

    #[test]
    fn flat_gives_none() {
        let h = history((0..60).map(|i| (i as f64, 2 * GIB)));
        assert_eq!(h.projected_exhaustion_secs(), None);
    }

    #[test]
    fn rising_gives_none() {
        let h = history((0..60).map(|i| (i as f64, GIB + i * MIB)));
        assert_eq!(h.projected_exhaustion_secs(), None);
    }

    #[test]
    fn noisy_gives_none() {
        // Big swings with a slight downward drift: the line explains little (R² < 0.6).
        let h = history((0..60u64).map(|i| {
            let swing = if i % 2 == 0 { 500 * MIB } else { 0 };
            (i as f64, 2 * GIB - i * MIB + swing)
        }));
        assert_eq!(h.projected_exhaustion_secs(), None);
    }

    #[test]
    fn too_few_samples_or_short_span_gives_none() {
        let h = history((0..9).map(|i| (i as f64 * 10.0, 4 * GIB - i * 100 * MIB)));
        assert_eq!(h.projected_exhaustion_secs(), None);
        let h = history((0..29).map(|i| (i as f64, 4 * GIB - i * 100 * MIB)));
        assert_eq!(h.projected_exhaustion_secs(), None);
        let h = history((0..=30).map(|i| (i as f64, 4 * GIB - i * 100 * MIB)));
        assert!(h.projected_exhaustion_secs().is_some());
        assert_eq!(AvailableHistory::new().projected_exhaustion_secs(), None);
    }

    #[test]
    fn window_trims_to_five_minutes() {
        let h = history((0..=400).map(|i| (i as f64, i)));
        assert_eq!(h.len(), 301);
        assert_eq!(h.samples().next(), Some((100.0, 100)));
        assert_eq!(h.latest(), Some((400.0, 400)));
        let values = h.sparkline_values();
        assert_eq!(values.len(), 301);
        assert_eq!((values[0], values[300]), (100, 400));
    }

    #[test]
    fn push_ignores_nan_and_restarts_on_time_going_back() {
        let mut h = history((0..5).map(|i| (i as f64, i)));
        h.push(f64::NAN, 7);
        assert_eq!(h.len(), 5);
        h.push(1.0, 9);
        assert_eq!(h.sparkline_values(), vec![9]);
        assert!(!h.is_empty());
    }

    #[test]
    fn sample_cap_bounds_memory() {
        let h = history((0..10_000).map(|i| (i as f64 * 0.01, 1)));
        assert_eq!(h.len(), HISTORY_MAX_SAMPLES);
    }
}
