//! PID-reuse-safe signalling of processes shown in the dashboard.
//!
//! A PID on screen is only a number; by the time the user presses "kill" the process may have
//! exited and the number may belong to someone else. Every kill therefore goes through the
//! same steps ([`kill_targets`]):
//!
//! 1. open a pidfd for each PID ([`rustix::process::pidfd_open`]); from then on signals sent
//!    through the fd reach exactly that process or fail with `ESRCH`, never a newcomer;
//! 2. re-read `/proc/<pid>/stat` and compare the start time (field 22, clock ticks since boot)
//!    with the one the user was shown, and apply the other guards of [`check`] (never PID 0/1,
//!    never devtop itself or one of its ancestors, never another user's process);
//! 3. send `SIGTERM` through the pidfd — to that process only, never to a process group, so
//!    nothing the plan did not list is signalled — wait up to the grace period for the process
//!    to exit, then `SIGKILL` survivors the same way.
//!
//! The planner ([`crate::model::kill_plan`]) applies the same guards beforehand, from
//! [`protected`], and leaves a refused process's whole subtree out of the plan.
//!
//! Waiting for exit is readiness of the pidfds, never a sleep: [`kill_targets`] blocks in
//! `poll(2)` (for blocking callers, or `spawn_blocking`); [`kill_targets_async`] awaits the same
//! pidfds on the tokio reactor (see [`crate::effects::pidfd`]). Both run the same sequence.

mod group;
mod guards;
mod outcome;
mod terminate;

pub use crate::collect::identity::{ProcIdentity, read_identity};
pub use crate::model::kill_plan::KillTarget;
pub use crate::model::refusal::RefuseReason;
pub use guards::{check, protected};
pub use outcome::KillOutcome;
pub use terminate::{Planned, kill_targets, kill_targets_async, plan};

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests;
