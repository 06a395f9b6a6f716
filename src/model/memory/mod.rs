//! Memory pressure model: snapshot types, the Ok/Warn/Critical assessment, a 5-minute
//! history of available memory with an exhaustion projection, and [`format_bytes`].
//!
//! Pure: no I/O. The numbers are filled in by `crate::collect::memory` from
//! `/proc/meminfo`, `/proc/pressure/memory` and the cgroup v2 `memory.current`/`memory.max`.

use serde::{Deserialize, Serialize};

mod history;
pub use history::{
    AvailableHistory, HISTORY_WINDOW_SECS, PROJECTION_MIN_R2, PROJECTION_MIN_SAMPLES,
    PROJECTION_MIN_SPAN_SECS,
};

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

/// Memory usage and limit of one cgroup directory (the nearest ancestor-or-self of this
/// process's cgroup that has a numeric limit, else the leaf): cgroup v2 `memory.current` /
/// `memory.max`, or cgroup v1 `memory.usage_in_bytes` / `memory.limit_in_bytes`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CgroupMemory {
    /// `memory.current` (v2) or `memory.usage_in_bytes` (v1) of that cgroup, in bytes
    /// (includes page cache).
    pub current_bytes: u64,
    /// `memory.max` (v2) or `memory.limit_in_bytes` (v1) of that cgroup, in bytes; `None`
    /// when there is no limit (v2 `max`, v1 a value near `i64::MAX`).
    pub max_bytes: Option<u64>,
    /// The cgroup path as shown in `/proc/self/cgroup` (e.g. `/user.slice/app.scope`).
    pub path: String,
    /// Inactive file pages of that cgroup, bytes (`inactive_file` of v2 `memory.stat`,
    /// `total_inactive_file` of v1's): cache the kernel reclaims before an OOM kill; 0 when
    /// unknown.
    pub inactive_file_bytes: u64,
    /// The cgroup hierarchy the numbers come from: 2 (unified) or 1 (the v1 memory controller).
    pub version: u8,
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
    /// The working set: usage without inactive file pages (what `docker stats` and the
    /// kubelet count against a limit), bytes.
    pub fn working_set_bytes(&self) -> u64 {
        self.current_bytes.saturating_sub(self.inactive_file_bytes)
    }

    /// Bytes left before the cgroup limit ([`cgroup_headroom`] of the working set), `None`
    /// when there is no limit. The one headroom figure: preflight's check 5, the memory
    /// level and the memory guard all use it.
    pub fn headroom_bytes(&self) -> Option<u64> {
        self.max_bytes
            .map(|max| cgroup_headroom(self.working_set_bytes(), max))
    }
}

/// Bytes left before a cgroup's limit `max_bytes` for a working set of `working_set_bytes`
/// (usage without inactive file pages, which the kernel reclaims before it OOM-kills),
/// saturating at 0.
pub fn cgroup_headroom(working_set_bytes: u64, max_bytes: u64) -> u64 {
    max_bytes.saturating_sub(working_set_bytes)
}

impl MemorySnapshot {
    /// Bytes really available to us: `MemAvailable`, or the cgroup headroom
    /// ([`CgroupMemory::headroom_bytes`]: the limit less the working set) when a cgroup limit
    /// applies and is smaller.
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
mod tests;
