//! [`Supervised`]: one running child, its group, its output and its exit.

use super::exit::{EndCause, Exit, Finished};
use super::output::{OutputLine, Stream, read_lines};
use super::spec::ChildSpec;
use super::terminate::terminate_group;
use crate::effects::pidfd::AsyncPidfd;
use crate::effects::tether::Tether;
use std::io;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// After the child ended and its group was killed, how long the output still queued in the
/// pipes is read before the readers are given up (a process that left the group may hold a
/// pipe open).
const DRAIN: Duration = Duration::from_secs(1);

/// A running supervised child (see the [module docs](super)). Dropping it kills its whole
/// process group at once (`SIGKILL`).
#[derive(Debug)]
pub struct Supervised {
    /// `None` once [`Supervised::end`] has reaped the watcher.
    tether: Option<Tether>,
    child: tokio::process::Child,
    exit: AsyncPidfd,
    lines: mpsc::Receiver<OutputLine>,
    readers: Vec<JoinHandle<()>>,
    pid: u32,
    started: Instant,
    deadline: Option<Instant>,
    grace: Duration,
    finished: Option<Finished>,
}

/// What [`Supervised::run`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// How the child ended.
    pub finished: Finished,
    /// Its output in arrival order (stdout and stderr interleaved), the first `keep` lines.
    pub lines: Vec<OutputLine>,
}

impl Supervised {
    /// Starts `spec` in a new tethered process group (see the module docs). Must be called
    /// inside a tokio runtime with I/O and time enabled.
    ///
    /// # Errors
    /// When `/bin/sh` (the tether's watcher) or the program cannot be started, or the pidfd
    /// cannot be opened (Linux before 5.3).
    pub fn spawn(spec: ChildSpec) -> io::Result<Supervised> {
        let tether = Tether::start()?;
        let mut cmd = tokio::process::Command::new(&spec.program);
        cmd.args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &spec.cwd {
            cmd.current_dir(dir);
        }
        tether.adopt(&mut cmd);
        // On an error the tether's Drop ends the watcher's group.
        let mut child = cmd.spawn()?;
        let pid = child
            .id()
            .ok_or_else(|| io::Error::other("the child was reaped at once"))?;
        // Not reaped yet (only `wait` below reaps it), so the PID is still this child's.
        let exit = AsyncPidfd::open(pid)?;
        let (tx, lines) = mpsc::channel(spec.line_queue.max(1));
        let max = spec.max_line_bytes.max(1);
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(tokio::spawn(read_lines(
                out,
                Stream::Stdout,
                max,
                tx.clone(),
            )));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(tokio::spawn(read_lines(err, Stream::Stderr, max, tx)));
        }
        let started = Instant::now();
        Ok(Supervised {
            tether: Some(tether),
            child,
            exit,
            lines,
            readers,
            pid,
            started,
            deadline: spec.timeout.map(|t| started + t),
            grace: spec.grace,
            finished: None,
        })
    }

    /// The child's PID.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The ID of the child's process group (the tether watcher's PID); `None` after
    /// [`Supervised::end`].
    pub fn pgid(&self) -> Option<u32> {
        self.tether.as_ref().map(Tether::pgid)
    }

    /// Non-blocking: true once the child process has exited (its group may still hold
    /// processes it started).
    pub fn has_exited(&self) -> bool {
        self.exit.has_exited()
    }

    /// The next line of output, waiting for it; `None` once both pipes are closed (every
    /// process of the group that held them has exited). Cancel-safe.
    pub async fn next_line(&mut self) -> Option<OutputLine> {
        self.lines.recv().await
    }

    /// Waits until the child exits, or until its time limit passes, then stops the group
    /// (see [`Supervised::terminate`]); once finished, returns the same result at once.
    /// Cancel-safe while waiting for the exit; cancelling it during the stop (after the SIGTERM)
    /// abandons the grace, and a later call reports the end as an exit: keep one future until
    /// it completes, as [`Supervised::run`] does.
    ///
    /// Output not consumed through [`Supervised::next_line`] queues up; when the queue is full
    /// the child blocks writing and only the time limit ends it. Read the lines meanwhile, or
    /// use [`Supervised::run`].
    pub async fn wait(&mut self) -> Finished {
        if let Some(f) = self.finished {
            return f;
        }
        let timed_out = match self.deadline {
            Some(at) => !self.exit.exited_by(at).await,
            None => {
                self.exit.exited().await;
                false
            }
        };
        if timed_out {
            self.stop(EndCause::TimedOut).await
        } else {
            self.collect(EndCause::Exited, false).await
        }
    }

    /// Stops the group now: `SIGTERM` to every member, `SIGKILL` to the group after the grace
    /// (see [`terminate_group`]), and reports how the child ended. Returns the earlier result
    /// if it had already finished.
    pub async fn terminate(&mut self) -> Finished {
        match self.finished {
            Some(f) => f,
            None => self.stop(EndCause::Terminated).await,
        }
    }

    async fn stop(&mut self, cause: EndCause) -> Finished {
        let escalated = match &self.tether {
            Some(t) => terminate_group(t, &self.exit, self.grace).await,
            None => false,
        };
        self.collect(cause, escalated).await
    }

    /// Reaps the child, whose pidfd has reported its exit (or, after `SIGKILL`, is about to).
    async fn collect(&mut self, cause: EndCause, escalated: bool) -> Finished {
        let exit = match self.child.wait().await {
            Ok(status) => Exit::from_status(status),
            Err(_) => Exit::Unknown,
        };
        let finished = Finished {
            exit,
            cause,
            escalated,
            runtime: self.started.elapsed(),
        };
        self.finished = Some(finished);
        finished
    }

    /// Kills what is left of the group (`SIGKILL`; whatever the child started and left behind)
    /// and reaps the watcher; the output still queued stays readable through
    /// [`Supervised::next_line`] until `DRAIN` (1 s) after the kill.
    pub async fn end(&mut self) {
        if let Some(tether) = self.tether.take() {
            tether.end().await;
        }
        let drain_until = tokio::time::Instant::now() + DRAIN;
        for reader in &mut self.readers {
            if tokio::time::timeout_at(drain_until, &mut *reader)
                .await
                .is_err()
            {
                reader.abort();
            }
        }
    }

    /// Runs a short-lived helper to its end: reads its output while waiting (keeping the first
    /// `keep` lines, dropping the rest), waits for it (time limit included), then
    /// [`Supervised::end`]s the group and reads what is left of the output.
    pub async fn run(mut self, keep: usize) -> Ran {
        let mut lines = Vec::new();
        let mut open = true;
        // Moved out so that waiting (which borrows `self`) and reading can run together.
        let mut rx = std::mem::replace(&mut self.lines, mpsc::channel(1).1);
        // One `wait` future for the whole loop: re-creating it on every line would cancel a stop
        // in progress (after the SIGTERM, during the grace) whenever the dying child printed a
        // line, so the grace would restart and the end would be reported as an exit, not a
        // time-out.
        let finished = {
            let wait = self.wait();
            tokio::pin!(wait);
            loop {
                tokio::select! {
                    f = &mut wait => break f,
                    line = rx.recv(), if open => match line {
                        Some(l) if lines.len() < keep => lines.push(l),
                        Some(_) => {}
                        None => open = false,
                    },
                }
            }
        };
        // Readers may block on a full queue: keep emptying it while the group is ended.
        let mut end = std::pin::pin!(async {
            if let Some(tether) = self.tether.take() {
                tether.end().await;
            }
        });
        // Set once the group is ended: what is still in the pipes is read until then.
        let mut drain_until: Option<tokio::time::Instant> = None;
        loop {
            let deadline = drain_until.unwrap_or_else(|| tokio::time::Instant::now() + DRAIN);
            tokio::select! {
                biased;
                line = rx.recv() => match line {
                    Some(l) if lines.len() < keep => lines.push(l),
                    Some(_) => {}
                    None => break,
                },
                () = &mut end, if drain_until.is_none() => {
                    drain_until = Some(tokio::time::Instant::now() + DRAIN);
                }
                () = tokio::time::sleep_until(deadline), if drain_until.is_some() => break,
            }
        }
        // The pipes may close (everything exited by itself) before the watcher is reaped.
        if drain_until.is_none() {
            end.await;
        }
        Ran { finished, lines }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // The tether's Drop kills the group (SIGKILL); the child handle kills and reaps the
        // child (kill_on_drop); the readers end at end-of-file or here.
        for reader in &self.readers {
            reader.abort();
        }
    }
}
