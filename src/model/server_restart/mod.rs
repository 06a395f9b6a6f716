//! The `restart = "on-failure"` policy of a dev server, as pure decisions: what to do when a
//! supervised server exits, and how long to wait before starting it again.
//!
//! - A **failure** is an exit with a non-zero code or by a signal the supervisor did not send.
//!   An exit with code 0 is not a failure: the server is left exited (as docker's and
//!   process-compose's `on-failure`).
//! - After failure *k* in a row (k = 1, 2, …) the server is started again after
//!   `min(base · 2^(k-1), max)`: 1 s, 2 s, 4 s, 8 s with the defaults ([`Backoff::DEFAULT`]),
//!   capped at 30 s.
//! - The **5th failure in a row** gives up: the server is left exited (so at most 4 restarts
//!   per streak).
//! - The streak **resets** when a run stayed ready for [`Backoff::reset_after`] (10 s by
//!   default) before it exited: a server that crashes once an hour is restarted after 1 s
//!   every time, one that crashes at once is given up on after about 15 s.

use super::server::RestartPolicy;
use std::time::Duration;

/// How a supervised server ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// It exited with this code (from `waitpid`).
    Code(i32),
    /// It was killed by this signal number.
    Signal(i32),
    /// It exited but the status is not known (devtop is not its parent: seen through a pidfd).
    Unknown,
}

impl ExitKind {
    /// True for a failure (see the module docs): a non-zero code, a signal, or an unknown
    /// status (a server that was supposed to keep running and vanished).
    pub fn is_failure(self) -> bool {
        !matches!(self, ExitKind::Code(0))
    }
}

/// The back-off timing of `on-failure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Wait after the first failure of a streak (1 s).
    pub base: Duration,
    /// Longest wait (30 s).
    pub max: Duration,
    /// Failures in a row that make the supervisor give up (5).
    pub give_up_after: u32,
    /// Time ready after which a later exit starts a new streak (10 s).
    pub reset_after: Duration,
}

impl Backoff {
    /// 1 s doubling to 30 s, give up at the 5th failure in a row, reset after 10 s ready.
    pub const DEFAULT: Backoff = Backoff {
        base: Duration::from_secs(1),
        max: Duration::from_secs(30),
        give_up_after: 5,
        reset_after: Duration::from_secs(10),
    };

    /// The wait before restart number `attempt` (1-based):
    /// `min(base · 2^(attempt-1), max)`; saturates instead of overflowing.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// Every wait of one streak that ends by giving up, in order (1 s, 2 s, 4 s, 8 s).
    pub fn schedule(&self) -> Vec<Duration> {
        (1..self.give_up_after).map(|a| self.delay(a)).collect()
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::DEFAULT
    }
}

/// What the supervisor does after an exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Leave it exited: `restart = "no"`, or a clean exit (code 0).
    Leave,
    /// Start it again after `after`; `attempt` is the restart number in this streak (1-based)
    /// and also the failures in a row so far.
    Restart {
        /// Wait before the start.
        after: Duration,
        /// Restart number in the streak, 1-based.
        attempt: u32,
    },
    /// Too many failures in a row: leave it exited.
    GiveUp {
        /// Failures in a row (equal to [`Backoff::give_up_after`]).
        failures: u32,
    },
}

/// The restart state of one server: its failures in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Streak {
    /// Failures in a row so far (0 after a reset).
    pub failures: u32,
}

impl Streak {
    /// Decides what follows an exit `how` of a server with `policy`, which had been ready for
    /// `ready_for` before it exited (`None`: it never became ready in this run), and updates
    /// the streak (reset by a long enough ready run, see the module docs).
    pub fn on_exit(
        &mut self,
        policy: RestartPolicy,
        how: ExitKind,
        ready_for: Option<Duration>,
        backoff: &Backoff,
    ) -> Decision {
        if ready_for.is_some_and(|d| d >= backoff.reset_after) {
            self.failures = 0;
        }
        if policy == RestartPolicy::No || !how.is_failure() {
            return Decision::Leave;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= backoff.give_up_after {
            return Decision::GiveUp {
                failures: self.failures,
            };
        }
        Decision::Restart {
            after: backoff.delay(self.failures),
            attempt: self.failures,
        }
    }
}

#[cfg(test)]
mod tests;
