//! Children that never outlive devtop, however it ends.
//!
//! A [`Tether`] is a process group led by a tiny watcher, `/bin/sh -c 'while read -r _; do :;
//! done; kill -KILL 0'`, whose stdin is a pipe only devtop holds the write end of. Helpers
//! (the Prisma CLI's `migrate diff`) are started inside that group, so whatever they start
//! (a schema-engine) is in it too. The group is ended:
//! - when the work is done or the future running it is dropped (devtop quits mid-diff): devtop
//!   kills the group itself ([`Tether::end`], `Drop`);
//! - when devtop dies without running any code (SIGKILL, SIGTERM's default action, a crash):
//!   the kernel closes the pipe, the watcher's `read` sees end-of-file and it kills its own
//!   group, itself included.
//!
//! The helper also gets `PR_SET_PDEATHSIG(SIGKILL)`, so it dies with the devtop thread that
//! started it even if the watcher could not be started.

use std::io;
use std::time::Duration;
use tokio::process::{Child, ChildStdin, Command};

/// The watcher's script: wait for end-of-file on stdin, then kill the whole process group. It
/// ignores `SIGTERM`, so a graceful stop of the group (`SIGTERM` to every member, then `SIGKILL`
/// after a grace, see [`crate::effects::child`]) keeps the group tethered during the grace.
const WATCHER: &str = "trap '' TERM; while read -r _; do :; done; kill -KILL 0";

/// A process group that dies with devtop. See the module docs.
#[derive(Debug)]
pub struct Tether {
    /// The watcher; its PID is the group's ID. Reaped by [`Tether::end`] only, so the group ID
    /// cannot be reused while `Drop` may still signal it.
    watcher: Child,
    /// The write end of the watcher's stdin; dropping it (or devtop dying) ends the group.
    stdin: Option<ChildStdin>,
    pgid: u32,
    ended: bool,
}

impl Tether {
    /// Start the watcher. Errors when `/bin/sh` cannot be started.
    pub fn start() -> io::Result<Tether> {
        let mut watcher = Command::new("/bin/sh")
            .arg("-c")
            .arg(WATCHER)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()?;
        let pgid = watcher
            .id()
            .ok_or_else(|| io::Error::other("the watcher exited at once"))?;
        let stdin = watcher.stdin.take();
        Ok(Tether {
            watcher,
            stdin,
            pgid,
            ended: false,
        })
    }

    /// The group's ID (the watcher's PID).
    pub fn pgid(&self) -> u32 {
        self.pgid
    }

    /// Make `cmd` start inside the group, dying with its parent thread too.
    pub fn adopt(&self, cmd: &mut Command) {
        cmd.process_group(self.pgid as i32);
        die_with_parent(cmd);
    }

    /// Kill everything in the group (helpers and whatever they left behind) and reap the
    /// watcher.
    pub async fn end(mut self) {
        self.kill_group();
        self.stdin = None;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.watcher.wait()).await;
        self.ended = true;
    }

    fn kill_group(&self) {
        let _ = self.signal_group(rustix::process::Signal::KILL);
    }

    /// Sends `signal` to every member of the group (the watcher ignores `SIGTERM`). Safe
    /// against reuse of the group ID: the watcher, whose PID it is, is reaped only by
    /// [`Tether::end`], which consumes the tether.
    ///
    /// # Errors
    /// The `kill(2)` error (`ESRCH` once every member has exited and been reaped).
    pub fn signal_group(&self, signal: rustix::process::Signal) -> io::Result<()> {
        let pgid = i32::try_from(self.pgid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
            .ok_or_else(|| io::Error::from(rustix::io::Errno::SRCH))?;
        Ok(rustix::process::kill_process_group(pgid, signal)?)
    }
}

impl Drop for Tether {
    fn drop(&mut self) {
        if !self.ended {
            // The watcher is not reaped yet, so its PID (the group ID) is still ours.
            self.kill_group();
        }
    }
}

/// `PR_SET_PDEATHSIG(SIGKILL)` in the child before exec: it is killed when the thread that
/// started it ends (devtop quitting, or killed).
pub fn die_with_parent(cmd: &mut Command) {
    // SAFETY: the closure only calls prctl(2), which is async-signal-safe, and allocates
    // nothing.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                .map_err(io::Error::from)
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use std::time::Instant;

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Polls up to 5 s until `pid` is gone or a zombie.
    pub(crate) fn gone(pid: u32) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| !s.contains(") Z "))
                .unwrap_or(false);
            if !alive {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn ending_or_dropping_the_tether_ends_the_group() {
        rt().block_on(async {
            for end in [true, false] {
                let tether = Tether::start().unwrap();
                let mut cmd = Command::new("sleep");
                cmd.arg("600");
                tether.adopt(&mut cmd);
                let mut child = cmd.spawn().unwrap();
                let pid = child.id().unwrap();
                let pgid = rustix::process::getpgid(rustix::process::Pid::from_raw(pid as i32))
                    .unwrap()
                    .as_raw_nonzero()
                    .get() as u32;
                assert_eq!(pgid, tether.pgid());
                if end {
                    tether.end().await;
                } else {
                    drop(tether);
                }
                let _ = child.wait().await;
                assert!(gone(pid));
            }
        });
    }

    #[test]
    fn the_watcher_ends_the_group_when_its_pipe_closes() {
        rt().block_on(async {
            let mut tether = Tether::start().unwrap();
            let mut cmd = Command::new("sleep");
            cmd.arg("600");
            tether.adopt(&mut cmd);
            let mut child = cmd.spawn().unwrap();
            let pid = child.id().unwrap();
            // As when devtop dies: the pipe closes, nobody calls kill.
            tether.stdin = None;
            let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
            assert!(gone(pid), "the watcher killed its group");
            tether.ended = true;
            let _ = tether.watcher.wait().await;
        });
    }
}
