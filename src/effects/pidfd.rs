//! Waiting for processes to exit through pidfds, without sleeping threads or polling loops.
//!
//! A pidfd (`pidfd_open(2)`, Linux 5.3+) refers to exactly one process for as long as the fd is
//! open, even after the PID is reused. It becomes readable when that process exits: for a
//! child, once it is a zombie (reaped or not); for any other process, once it has exited. So
//! waiting for exit is waiting for readability:
//! - async callers await [`AsyncPidfd::exited`] (tokio's [`AsyncFd`], woken by the reactor);
//! - blocking callers call [`wait_all_blocking`], one `poll(2)` per wake-up until every fd is
//!   readable or the deadline passes.
//!
//! Both are shared by the kill sequence ([`super::signal`]) and the supervised child
//! ([`super::child`]).

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// Opens a pidfd for `pid`.
///
/// # Errors
/// `ESRCH` (as `io::ErrorKind::NotFound`) when there is no such process, `ENOSYS` before
/// Linux 5.3, `EINVAL` for PID 0 or a PID above `i32::MAX`.
pub fn open(pid: u32) -> io::Result<OwnedFd> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or_else(|| io::Error::from(Errno::INVAL))?;
    Ok(rustix::process::pidfd_open(pid, PidfdFlags::empty())?)
}

/// True once the process behind `fd` has exited (zombie or reaped). Never blocks.
pub fn has_exited(fd: BorrowedFd<'_>) -> bool {
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(poll(&mut fds, Some(&zero)), Ok(n) if n > 0)
}

/// Blocks until every process behind `fds` has exited or `deadline` passes, whichever comes
/// first. Returns, for each fd in order, whether its process has exited.
///
/// Sleeps in `poll(2)` only: wakes when one of the processes exits, then polls the rest.
pub fn wait_all_blocking(fds: &[BorrowedFd<'_>], deadline: Instant) -> Vec<bool> {
    let mut exited: Vec<bool> = fds.iter().map(|fd| has_exited(*fd)).collect();
    loop {
        let waiting: Vec<usize> = (0..fds.len()).filter(|i| !exited[*i]).collect();
        let now = Instant::now();
        if waiting.is_empty() || now >= deadline {
            return exited;
        }
        let mut polled: Vec<PollFd<'_>> = waiting
            .iter()
            .map(|i| PollFd::new(&fds[*i], PollFlags::IN))
            .collect();
        let left = timespec(deadline - now);
        match poll(&mut polled, Some(&left)) {
            Ok(_) | Err(Errno::INTR) => {}
            // Nothing else is expected from poll on valid fds; report what is known.
            Err(_) => return exited,
        }
        for (slot, i) in waiting.iter().enumerate() {
            if !polled[slot].revents().is_empty() {
                exited[*i] = true;
            }
        }
    }
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

/// A pidfd registered with the tokio reactor: [`exited`](Self::exited) resolves when the
/// process exits. Must be created inside a tokio runtime with I/O enabled.
#[derive(Debug)]
pub struct AsyncPidfd {
    fd: AsyncFd<OwnedFd>,
}

impl AsyncPidfd {
    /// Opens a pidfd for `pid` and registers it. Errors as [`open`], or when there is no
    /// runtime with I/O enabled.
    pub fn open(pid: u32) -> io::Result<AsyncPidfd> {
        Self::from_fd(open(pid)?)
    }

    /// Registers an already opened pidfd. Errors outside a tokio runtime (a runtime without
    /// I/O enabled panics in tokio).
    pub fn from_fd(fd: OwnedFd) -> io::Result<AsyncPidfd> {
        tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
        // SAFETY: the `OwnedFd` is open, owned by the `AsyncFd` for its whole life, and its
        // `as_raw_fd` always returns that same descriptor.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
            .map_err(io::Error::from)?;
        Ok(AsyncPidfd { fd })
    }

    /// Resolves once the process has exited (at once if it already has). Cancel-safe.
    pub async fn exited(&self) {
        // A pidfd stays readable once its process has exited, so the readiness is never
        // cleared; an error (which the reactor never reports for a pidfd) ends the wait too.
        let _ = self.fd.readable().await;
    }

    /// Non-blocking: true once the process has exited.
    pub fn has_exited(&self) -> bool {
        has_exited(self.fd.get_ref().as_fd())
    }

    /// Waits for the exit at most until `deadline`; true when the process has exited.
    pub async fn exited_by(&self, deadline: Instant) -> bool {
        tokio::time::timeout_at(deadline.into(), self.exited())
            .await
            .is_ok()
    }
}

impl AsFd for AsyncPidfd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.get_ref().as_fd()
    }
}

/// Waits until every process in `fds` has exited or `deadline` passes. Returns, for each in
/// order, whether its process has exited. The async twin of [`wait_all_blocking`].
pub async fn wait_all(fds: &[AsyncPidfd], deadline: Instant) -> Vec<bool> {
    let all = futures::future::join_all(fds.iter().map(AsyncPidfd::exited));
    let _ = tokio::time::timeout_at(deadline.into(), all).await;
    fds.iter().map(AsyncPidfd::has_exited).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn blocking_wait_sees_exit_and_respects_the_deadline() {
        let mut quick = Command::new("true").spawn().unwrap();
        let mut slow = Command::new("sleep").arg("600").spawn().unwrap();
        let (q, s) = (open(quick.id()).unwrap(), open(slow.id()).unwrap());
        let deadline = Instant::now() + Duration::from_millis(300);
        let exited = wait_all_blocking(&[q.as_fd(), s.as_fd()], deadline);
        assert_eq!(exited, vec![true, false]);
        assert!(Instant::now() >= deadline);
        slow.kill().unwrap();
        assert_eq!(
            wait_all_blocking(&[s.as_fd()], Instant::now() + Duration::from_secs(30)),
            vec![true]
        );
        // Reaped or not, an exited process stays exited.
        quick.wait().unwrap();
        slow.wait().unwrap();
        assert!(has_exited(q.as_fd()) && has_exited(s.as_fd()));
    }

    #[test]
    fn async_wait_resolves_on_exit() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut slow = Command::new("sleep").arg("600").spawn().unwrap();
            let fd = AsyncPidfd::open(slow.id()).unwrap();
            assert!(
                !fd.exited_by(Instant::now() + Duration::from_millis(100))
                    .await
            );
            slow.kill().unwrap();
            assert!(fd.exited_by(Instant::now() + Duration::from_secs(30)).await);
            let all = wait_all(&[fd], Instant::now()).await;
            assert_eq!(all, vec![true]);
            slow.wait().unwrap();
        });
    }
}
