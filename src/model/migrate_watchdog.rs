//! The guarded migrate's watchdog (issue 11): a run is hung when its whole process group (the
//! CLI and the schema-engine it starts) wrote no output and used ~0 % CPU for `hang_after`,
//! or when memory is critical. Pure: the runner feeds it output times and CPU samples of the
//! group (sums of `/proc/<pid>/stat` utime + stime over its members).

use crate::model::suspects::IDLE_CPU_PERCENT;
use std::time::Duration;

/// Why the watchdog calls a run hung.
#[derive(Debug, Clone, PartialEq)]
pub enum Hung {
    /// No output and CPU below [`IDLE_CPU_PERCENT`] of one core for `quiet` (≥ hang_after).
    Idle {
        /// How long it has been quiet.
        quiet: Duration,
    },
    /// Memory is critical (the reasons of [`crate::model::memory::assess`]).
    Memory(String),
}

impl Hung {
    /// The message: "no output and no CPU for 60 s" (whole seconds, rounded down), "memory
    /// critical: …".
    pub fn describe(&self) -> String {
        match self {
            Hung::Idle { quiet } => {
                // Whole seconds, rounded down: never more than the run's duration ("ended
                // after 20.5 s" follows "for 20 s", not "for 21 s").
                format!("no output and no CPU for {} s", quiet.as_secs())
            }
            Hung::Memory(why) => format!("memory critical: {why}"),
        }
    }
}

/// Activity seen so far; times are offsets from the run's start.
#[derive(Debug, Clone, PartialEq)]
pub struct Watchdog {
    hang_after: Duration,
    /// The last time output or CPU was seen.
    last_active: Duration,
    /// The previous CPU sample: (time, group CPU ticks).
    last_sample: Option<(Duration, u64)>,
}

impl Watchdog {
    /// A watchdog for a run that started at offset 0.
    pub fn new(hang_after: Duration) -> Watchdog {
        Watchdog {
            hang_after,
            last_active: Duration::ZERO,
            last_sample: None,
        }
    }

    /// A line of output at `at`.
    pub fn output(&mut self, at: Duration) {
        self.last_active = self.last_active.max(at);
    }

    /// A CPU sample at `at`: `ticks` = the group's utime + stime in clock ticks (members
    /// that exited take theirs along, so the sum may drop: a drop is no activity), `hz` clock
    /// ticks per second. CPU at or above [`IDLE_CPU_PERCENT`] of one core since the previous
    /// sample counts as activity.
    pub fn cpu(&mut self, at: Duration, ticks: u64, hz: f64) {
        if let Some((t0, k0)) = self.last_sample {
            let span = at.saturating_sub(t0).as_secs_f64();
            if span > 0.0 && ticks > k0 {
                let pct = (ticks - k0) as f64 / hz / span * 100.0;
                if pct >= IDLE_CPU_PERCENT {
                    self.last_active = self.last_active.max(at);
                }
            }
        }
        self.last_sample = Some((at, ticks));
    }

    /// Hung at `at`? `memory_critical` carries the reasons when memory is critical.
    pub fn judge(&self, at: Duration, memory_critical: Option<&str>) -> Option<Hung> {
        if let Some(why) = memory_critical {
            return Some(Hung::Memory(why.to_owned()));
        }
        let quiet = at.saturating_sub(self.last_active);
        (quiet >= self.hang_after).then_some(Hung::Idle { quiet })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn idle_for_hang_after_is_hung() {
        let mut w = Watchdog::new(S(60));
        w.cpu(S(0), 100, 100.0);
        w.cpu(S(30), 100, 100.0);
        assert_eq!(w.judge(S(59), None), None);
        assert_eq!(w.judge(S(60), None), Some(Hung::Idle { quiet: S(60) }));
        assert_eq!(
            w.judge(S(60), None).map(|h| h.describe()),
            Some("no output and no CPU for 60 s".to_owned())
        );
    }

    #[test]
    fn output_or_cpu_resets() {
        let mut w = Watchdog::new(S(10));
        w.output(S(8));
        assert_eq!(w.judge(S(17), None), None);
        w.cpu(S(9), 0, 100.0);
        // 50 ticks in 1 s at 100 Hz = 50 % of a core.
        w.cpu(S(10), 50, 100.0);
        assert_eq!(w.judge(S(19), None), None);
        assert!(w.judge(S(20), None).is_some());
        // Below 1 % of a core is idle; a falling sum (a member exited) too.
        w.cpu(S(30), 50 + 9, 100.0 * 100.0);
        w.cpu(S(31), 10, 100.0);
        assert!(w.judge(S(31), None).is_some());
    }

    #[test]
    fn quiet_time_is_never_rounded_past_the_duration() {
        let h = Hung::Idle {
            quiet: Duration::from_millis(20_500),
        };
        assert_eq!(h.describe(), "no output and no CPU for 20 s");
    }

    #[test]
    fn memory_critical_is_hung_at_once() {
        let w = Watchdog::new(S(60));
        assert_eq!(
            w.judge(S(1), Some("MemAvailable 200 MiB")),
            Some(Hung::Memory("MemAvailable 200 MiB".into()))
        );
    }
}
