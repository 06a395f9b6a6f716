//! The refresh interval's steps (`+`/`-`) and how an interval is written on screen.

use std::time::Duration;

/// Refresh intervals `+`/`-` step through.
pub const REFRESH_STEPS: &[Duration] = &[
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(3),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(30),
];

/// The next step from `now`: shorter when `faster`, clamped to the steps' ends.
pub fn step_refresh(now: Duration, faster: bool) -> Duration {
    if faster {
        REFRESH_STEPS
            .iter()
            .rev()
            .find(|d| **d < now)
            .copied()
            .unwrap_or(REFRESH_STEPS[0])
            .min(now)
    } else {
        REFRESH_STEPS
            .iter()
            .find(|d| **d > now)
            .copied()
            .unwrap_or(now)
    }
}

/// "250ms", "1s", "1.5s".
pub fn format_interval(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}
