//! What devtop watched of a process over time: cumulative CPU time and, for migrate runs,
//! bytes written, with the windowed averages the suspect rules judge on.

use std::collections::VecDeque;

/// Append `(t_s, v)` and drop samples older than [`CpuHistory::KEEP_S`].
fn push_keep<T>(samples: &mut VecDeque<(f64, T)>, t_s: f64, v: T) {
    samples.push_back((t_s, v));
    while samples
        .front()
        .is_some_and(|(t, _)| t_s - t > CpuHistory::KEEP_S)
    {
        samples.pop_front();
    }
}

/// The first sample within the last `window_s` seconds and the last sample.
fn window_ends<T: Copy>(
    samples: &VecDeque<(f64, T)>,
    window_s: f64,
) -> Option<((f64, T), (f64, T))> {
    let last = *samples.back()?;
    let first = samples
        .iter()
        .find(|(t, _)| last.0 - t <= window_s + 1e-6)
        .copied()?;
    Some((first, last))
}

/// Samples of a process's cumulative CPU time, to average CPU over a window, and of the
/// bytes it wrote (migrate runs only), to tell output that moves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuHistory {
    /// (monotonic seconds, utime+stime seconds), oldest first.
    samples: VecDeque<(f64, f64)>,
    /// (monotonic seconds, bytes written so far), oldest first.
    written: VecDeque<(f64, u64)>,
}

impl CpuHistory {
    /// Keep at most this many seconds of samples.
    pub const KEEP_S: f64 = 600.0;

    /// Add a sample: `t_s` on a monotonic clock, `cpu_time_s` = utime+stime in seconds.
    pub fn push(&mut self, t_s: f64, cpu_time_s: f64) {
        push_keep(&mut self.samples, t_s, cpu_time_s);
    }

    /// Add a sample of the bytes written so far (`wchar` of `/proc/<pid>/io`) at `t_s`.
    pub fn push_written(&mut self, t_s: f64, bytes: u64) {
        push_keep(&mut self.written, t_s, bytes);
    }

    /// Bytes written over the last `window_s` seconds (or what was watched, when shorter);
    /// `None` with fewer than two write samples.
    pub fn written_over(&self, window_s: f64) -> Option<u64> {
        let (first, last) = window_ends(&self.written, window_s)?;
        (last.0 > first.0).then(|| last.1.saturating_sub(first.1))
    }

    /// Seconds between the first and the last sample.
    pub fn watched_s(&self) -> f64 {
        match (self.samples.front(), self.samples.back()) {
            (Some(a), Some(b)) => b.0 - a.0,
            _ => 0.0,
        }
    }

    /// CPU (percent of one core) between the last two samples; `None` with fewer than two.
    pub fn last_interval_percent(&self) -> Option<f64> {
        let n = self.samples.len();
        if n < 2 {
            return None;
        }
        let (t1, c1) = self.samples[n - 1];
        let (t0, c0) = self.samples[n - 2];
        (t1 > t0).then(|| ((c1 - c0) / (t1 - t0) * 100.0).max(0.0))
    }

    /// Average CPU (percent of one core) over the last `window_s` seconds, or over what was
    /// watched when that is shorter; `None` with fewer than two samples.
    pub fn avg_percent(&self, window_s: f64) -> Option<f64> {
        let (first, last) = window_ends(&self.samples, window_s)?;
        let dt = last.0 - first.0;
        (dt > 0.0).then(|| ((last.1 - first.1) / dt * 100.0).max(0.0))
    }
}
