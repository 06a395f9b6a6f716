//! Supervised children: helpers devtop starts (the Prisma CLI's `migrate diff` today; dev
//! servers, preflight checks and guarded migrations next) that never outlive devtop, never
//! hang it, and whose output is read line by line as it arrives.
//!
//! [`Supervised::spawn`] starts a [`ChildSpec`]:
//! - in a process group of its own, led by a [`Tether`](crate::effects::tether::Tether) watcher, so everything it starts (a
//!   schema-engine, `node vite` under `npm run dev`) is in the group too, and the group dies
//!   with devtop however devtop ends (SIGKILL included); the child also gets
//!   `PR_SET_PDEATHSIG(SIGKILL)`;
//! - with stdin from `/dev/null` and stdout/stderr read by two tokio tasks into a bounded queue
//!   of [`OutputLine`]s ([`Supervised::next_line`]); each line at most
//!   [`ChildSpec::max_line_bytes`], raw until shown through [`OutputLine::shown`] (redacted and
//!   sanitised);
//! - with a pidfd registered with the tokio reactor, so its exit is awaited, never polled.
//!
//! It ends by itself ([`Supervised::wait`]), at its time limit or on request
//! ([`Supervised::terminate`]: `SIGTERM` to the group, a grace, `SIGKILL` to the group — see
//! [`terminate_group`]), and in every case [`Supervised::end`] or dropping the value kills
//! what is left of the group. [`Supervised::run`] does all of it for a short-lived helper.

mod exit;
mod output;
mod spec;
mod supervised;
mod terminate;

pub use exit::{EndCause, Exit, Finished};
pub use output::{OutputLine, Stream};
pub use spec::{ChildSpec, GRACE, LINE_QUEUE, MAX_LINE_BYTES};
pub use supervised::{Ran, Supervised};
pub use terminate::{KILL_WAIT, terminate_group};

#[cfg(test)]
mod tests;
