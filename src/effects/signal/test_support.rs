//! Test support: children that are SIGKILLed and reaped on drop, and polling helpers.
#![allow(clippy::unwrap_used)]

use super::{KillTarget, read_identity};
use rustix::process::{Pid, PidfdFlags, Signal};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Owns a spawned child; on drop SIGKILLs it (and its process group when it leads one it
/// was spawned into) by PID and reaps it. The child is only reaped here, so its PID and
/// PGID cannot be reused while the guard lives.
pub(super) struct ChildGuard {
    pub(super) child: Child,
    own_group: bool,
    /// Non-child descendants to kill on drop, verified by start time.
    pub(super) extra: Vec<(u32, u64)>,
}

impl ChildGuard {
    /// Spawns `cmd` with null stdio; `own_group` makes it lead a new process group.
    pub(super) fn spawn(cmd: &mut Command, own_group: bool) -> Self {
        if own_group {
            cmd.process_group(0);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self {
            child,
            own_group,
            extra: Vec::new(),
        }
    }

    pub(super) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(super) fn start_ticks(&self) -> u64 {
        read_identity(self.pid()).unwrap().start_ticks
    }

    pub(super) fn target(&self, label: &str) -> KillTarget {
        KillTarget::new(self.pid(), self.start_ticks(), label)
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        for &(pid, ticks) in &self.extra {
            kill_verified(pid, ticks);
        }
        let pid = Pid::from_raw(self.pid() as i32).unwrap();
        if self.own_group {
            let _ = rustix::process::kill_process_group(pid, Signal::KILL);
        }
        let _ = rustix::process::kill_process(pid, Signal::KILL);
        let _ = self.child.wait();
    }
}

/// SIGKILL a non-child by PID, only if it is still the process that started at `ticks`.
pub(super) fn kill_verified(pid: u32, ticks: u64) {
    let Some(p) = Pid::from_raw(pid as i32) else {
        return;
    };
    let Ok(fd) = rustix::process::pidfd_open(p, PidfdFlags::empty()) else {
        return;
    };
    if read_identity(pid).is_ok_and(|id| id.start_ticks == ticks) {
        let _ = rustix::process::pidfd_send_signal(fd.as_fd(), Signal::KILL);
    }
}

/// Polls `cond` every 10 ms until it holds or `limit` passes.
pub(crate) fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// True once `pid` ignores `SIGTERM` (bit 14 of `SigIgn` in `/proc/<pid>/status`) and its
/// command name is `comm`.
pub(crate) fn ignores_sigterm(pid: u32, comm: &str) -> bool {
    procfs::process::Process::new(pid as i32)
        .and_then(|p| p.status())
        .is_ok_and(|s| s.sigign & (1 << 14) != 0 && s.name == comm)
}

/// Alive = exists with that start time and is neither zombie nor dead.
pub(super) fn alive(pid: u32, ticks: u64) -> bool {
    read_identity(pid).is_ok_and(|id| id.start_ticks == ticks && !id.exited())
}

/// Live children of `ppid` as `(pid, start_ticks)`.
pub(super) fn children_of(ppid: u32) -> Vec<(u32, u64)> {
    procfs::process::all_processes()
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|p| p.stat().ok())
        .filter(|s| s.ppid as u32 == ppid && !matches!(s.state, 'Z' | 'X'))
        .map(|s| (s.pid as u32, s.starttime))
        .collect()
}

/// `sleep 600`, optionally leading its own process group.
pub(super) fn sleeper(own_group: bool) -> ChildGuard {
    ChildGuard::spawn(Command::new("sleep").arg("600"), own_group)
}

/// `sleep 600` joined into the existing process group `pgid` (a member that is not a
/// descendant of the group's leader).
pub(super) fn sleeper_in_group(pgid: u32) -> ChildGuard {
    let mut cmd = Command::new("sleep");
    cmd.arg("600").process_group(pgid as i32);
    ChildGuard::spawn(&mut cmd, false)
}
