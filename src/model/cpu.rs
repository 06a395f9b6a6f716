//! Whole-machine CPU: the load averages and how busy every CPU together was between two
//! readings of the `cpu` line of `/proc/stat` (what top's `%Cpu(s)` line shows). Pure: the
//! collector in `collect::cpu` reads the files.

use serde::Serialize;

/// Cumulative CPU time of the whole machine from the `cpu` line of `/proc/stat`, in clock
/// ticks (USER_HZ) since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    /// Ticks not idle: user + nice + system + irq + softirq + steal (guest time is already
    /// counted in user and nice).
    pub busy: u64,
    /// Busy ticks plus idle + iowait.
    pub total: u64,
}

impl CpuTimes {
    /// Percent (0–100) of all CPUs' time that was busy between `earlier` and `self`. `None`
    /// when no tick passed in between, or the counters went backwards (a reset).
    pub fn busy_percent_since(&self, earlier: &CpuTimes) -> Option<f64> {
        let total = self.total.checked_sub(earlier.total)?;
        let busy = self.busy.checked_sub(earlier.busy)?;
        if total == 0 || busy > total {
            return None;
        }
        Some(busy as f64 * 100.0 / total as f64)
    }
}

/// One reading of the whole machine's CPU, as the Memory pane, `status` and `status --json`
/// show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CpuLoad {
    /// Load average over 1 minute (`/proc/loadavg`): runnable plus uninterruptible tasks.
    pub load1: f64,
    /// Load average over 5 minutes.
    pub load5: f64,
    /// Load average over 15 minutes.
    pub load15: f64,
    /// Percent (0–100) of all CPUs' time busy since the previous reading (`/proc/stat`);
    /// `None` on the first reading or when `/proc/stat` could not be read.
    pub busy_percent: Option<f64>,
    /// Online CPUs (`cpuN` lines of `/proc/stat`; 0 when unknown). A load above this means
    /// tasks wait for a CPU.
    pub cores: usize,
}

impl CpuLoad {
    /// True when the 1-minute load is above the number of CPUs (tasks queue for a CPU).
    pub fn overloaded(&self) -> bool {
        self.cores > 0 && self.load1 > self.cores as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_share_between_two_readings() {
        let a = CpuTimes {
            busy: 1_000,
            total: 10_000,
        };
        let b = CpuTimes {
            busy: 1_050,
            total: 10_200,
        };
        assert_eq!(b.busy_percent_since(&a), Some(25.0));
        assert_eq!(a.busy_percent_since(&a), None, "no tick passed");
        assert_eq!(a.busy_percent_since(&b), None, "counters went backwards");
    }

    #[test]
    fn overloaded_when_load_exceeds_cores() {
        let l = CpuLoad {
            load1: 2.5,
            load5: 1.0,
            load15: 0.5,
            busy_percent: None,
            cores: 2,
        };
        assert!(l.overloaded());
        assert!(
            !CpuLoad {
                cores: 4,
                ..l.clone()
            }
            .overloaded()
        );
        assert!(!CpuLoad { cores: 0, ..l }.overloaded(), "unknown cores");
    }
}
