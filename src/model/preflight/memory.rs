//! Check 5: memory headroom for a migration (seed 000's "require 500 MB free", the exit 137
//! behind it), from one reading of /proc/meminfo, /proc/pressure/memory and the cgroup v2
//! files.

use super::{Check, CheckId, Status};
use crate::model::memory::{MemorySnapshot, MemoryThresholds, format_bytes};

/// Check 5. Fail when the memory really available ([`MemorySnapshot::effective_available`]:
/// MemAvailable, or the cgroup headroom `memory.max` less the working set when smaller — the
/// guard's figure) is below
/// `min_available` bytes (`[preflight] min_available`, default 500 MiB), or PSI `full avg10`
/// is at or above `t.psi_critical_full_avg10` (%); warn below `t.warn_available_bytes` or
/// at PSI `some avg10` ≥ `t.psi_warn_some_avg10`; else pass. `error` is why there is no
/// reading (fail: the check cannot vouch for anything).
pub fn memory(
    reading: Option<&MemorySnapshot>,
    error: Option<&str>,
    min_available: u64,
    t: &MemoryThresholds,
) -> Check {
    let Some(m) = reading else {
        return Check::new(
            CheckId::Memory,
            Status::Fail,
            format!(
                "memory unreadable: {}",
                error.unwrap_or("no reading of /proc/meminfo")
            ),
        )
        .hint("check that /proc is mounted and readable");
    };
    let avail = m.effective_available();
    let mut detail = vec![format!(
        "MemAvailable {} of {} (need ≥ {})",
        format_bytes(m.available_bytes),
        format_bytes(m.total_bytes),
        format_bytes(min_available)
    )];
    match &m.cgroup {
        Some(c) => match c.max_bytes {
            Some(max) => detail.push(format!(
                "cgroup {}: {} of {} limit, headroom {}{}",
                c.path,
                format_bytes(c.current_bytes),
                format_bytes(max),
                format_bytes(c.headroom_bytes().unwrap_or(0)),
                if c.inactive_file_bytes > 0 {
                    format!(
                        " (its {} of inactive file cache counted as free)",
                        format_bytes(c.inactive_file_bytes)
                    )
                } else {
                    String::new()
                }
            )),
            None => detail.push(format!("cgroup {}: no memory limit", c.path)),
        },
        None => detail.push("no cgroup v2 memory limit".to_owned()),
    }
    match &m.psi {
        Some(p) => detail.push(format!(
            "PSI some avg10 {:.1}%, full avg10 {:.1}% (critical at {:.0}%)",
            p.some_avg10, p.full_avg10, t.psi_critical_full_avg10
        )),
        None => detail.push("PSI unavailable (/proc/pressure/memory)".to_owned()),
    }
    let psi_full = m
        .psi
        .as_ref()
        .is_some_and(|p| p.full_avg10 >= t.psi_critical_full_avg10);
    let psi_some = m
        .psi
        .as_ref()
        .is_some_and(|p| p.some_avg10 >= t.psi_warn_some_avg10);
    let what_binds = if m.cgroup_is_binding() {
        "cgroup headroom"
    } else {
        "MemAvailable"
    };
    let fix = "free memory first: end hung Prisma processes (`devtop kill --suspects`), stop dev \
               servers and Studio, close heavy editor windows";
    if avail < min_available {
        return Check {
            detail,
            ..Check::new(CheckId::Memory, Status::Fail, "")
        }
        .lines([format!(
            "only {} available ({what_binds}) < {} required",
            format_bytes(avail),
            format_bytes(min_available)
        )])
        .hint(fix);
    }
    if psi_full {
        return Check {
            detail,
            ..Check::new(CheckId::Memory, Status::Fail, "")
        }
        .lines(["the machine is stalling on memory right now (PSI full)".to_owned()])
        .hint(fix);
    }
    if avail < t.warn_available_bytes || psi_some {
        let why = if avail < t.warn_available_bytes {
            format!(
                "{} available ({what_binds}) is below the warning level {}",
                format_bytes(avail),
                format_bytes(t.warn_available_bytes)
            )
        } else {
            "tasks are waiting on memory (PSI some)".to_owned()
        };
        return Check {
            detail,
            ..Check::new(CheckId::Memory, Status::Warn, "")
        }
        .lines([why])
        .hint(fix);
    }
    Check {
        detail,
        ..Check::new(CheckId::Memory, Status::Pass, "")
    }
}
