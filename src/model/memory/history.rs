//! The 5-minute history of available memory and its exhaustion projection (a least-squares
//! line over the window, trusted only when the fall is steady).

use std::collections::VecDeque;

/// Length of the [`AvailableHistory`] window, in seconds (5 minutes).
pub const HISTORY_WINDOW_SECS: f64 = 300.0;
/// Hard cap on stored samples, so a caller pushing very fast cannot grow memory unboundedly.
pub(super) const HISTORY_MAX_SAMPLES: usize = 4096;
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
