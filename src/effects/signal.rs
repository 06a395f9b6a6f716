//! PID-reuse-safe signalling of processes shown in the dashboard.
//!
//! A PID on screen is only a number; by the time the user presses "kill" the process may have
//! exited and the number may belong to someone else. Every signal therefore goes through the
//! same steps:
//!
//! 1. open a pidfd for the PID ([`rustix::process::pidfd_open`]); from then on signals sent
//!    through the fd reach exactly that process or fail with `ESRCH`, never a newcomer;
//! 2. re-read `/proc/<pid>/stat` and compare the start time (field 22, clock ticks since boot)
//!    with the one the user was shown, and apply the other guards of [`check`] (never PID 0/1,
//!    never devtop itself or one of its ancestors, never another user's process);
//! 3. send `SIGTERM` through the pidfd (and to the whole process group when the target leads a
//!    group that contains nothing of devtop's and nothing of another user), wait up to the grace
//!    period for the process to exit, then `SIGKILL` survivors the same way.
//!
//! Everything here is blocking; async callers run [`kill_targets`] in `spawn_blocking`.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal};
use serde::Serialize;

/// How long to wait for processes to disappear after `SIGKILL` before calling them survivors.
const KILL_WAIT: Duration = Duration::from_secs(2);

/// How often exit is re-checked while waiting.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Upper bound on the length of the ancestor walk (guards against a cyclic or corrupt view).
const MAX_ANCESTORS: usize = 4096;

/// Who a process is, as read from `/proc/<pid>/stat` and `/proc/<pid>/status` at one moment.
///
/// `(pid, start_ticks)` identifies a process for its whole life: the kernel may hand the PID to
/// a new process after this one is reaped, but the new one has a later start time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcIdentity {
    /// Process ID (stat field 1).
    pub pid: u32,
    /// Parent process ID (stat field 4); 0 for PID 1 and kernel roots.
    pub ppid: u32,
    /// Process group ID (stat field 5); equal to `pid` for a group leader.
    pub pgrp: u32,
    /// Real user ID (`Uid:` line of `/proc/<pid>/status`, first column); falls back to the
    /// owner of the `/proc/<pid>` directory when status cannot be read.
    pub uid: u32,
    /// Start time in clock ticks since boot (stat field 22, `starttime`; usually 100 ticks/s).
    pub start_ticks: u64,
    /// One-letter scheduler state (stat field 3): `R`, `S`, `D`, `Z`, `T`, `X`, ...
    pub state: char,
}

/// Reads the identity of `pid` from `/proc`.
///
/// All fields are read through one directory handle for `/proc/<pid>`, so they describe one
/// process even if the PID is reused while reading.
///
/// # Errors
/// `ErrorKind::NotFound` when there is no such process (also for PID 0 and PIDs above
/// `i32::MAX`), `ErrorKind::PermissionDenied` when `/proc` hides it, otherwise the I/O error.
pub fn read_identity(pid: u32) -> io::Result<ProcIdentity> {
    let raw = i32::try_from(pid)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no process {pid}")))?;
    let process = procfs::process::Process::new(raw).map_err(proc_error)?;
    let stat = process.stat().map_err(proc_error)?;
    let uid = match process.status() {
        Ok(status) => status.ruid,
        Err(_) => process.uid().map_err(proc_error)?,
    };
    Ok(ProcIdentity {
        pid,
        ppid: u32::try_from(stat.ppid).unwrap_or(0),
        pgrp: u32::try_from(stat.pgrp).unwrap_or(0),
        uid,
        start_ticks: stat.starttime,
        state: stat.state,
    })
}

/// Converts a procfs error into an `io::Error` whose kind tells "gone" from "hidden".
fn proc_error(err: procfs::ProcError) -> io::Error {
    use procfs::ProcError;
    match err {
        ProcError::NotFound(p) => io::Error::new(
            io::ErrorKind::NotFound,
            format!("not found: {}", display_path(p.as_deref())),
        ),
        ProcError::PermissionDenied(p) => io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("permission denied: {}", display_path(p.as_deref())),
        ),
        // A read through a stale /proc/<pid> handle fails with ESRCH once the process is reaped.
        ProcError::Io(e, _) if e.raw_os_error() == Some(Errno::SRCH.raw_os_error()) => {
            io::Error::new(io::ErrorKind::NotFound, e)
        }
        ProcError::Io(e, _) => e,
        other => io::Error::other(other.to_string()),
    }
}

fn display_path(p: Option<&std::path::Path>) -> String {
    p.map(|p| p.display().to_string())
        .unwrap_or_else(|| "/proc".to_owned())
}

/// A process the user asked to end, as it was shown on screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct KillTarget {
    /// PID as shown.
    pub pid: u32,
    /// Start time as shown, in clock ticks since boot (`/proc/<pid>/stat` field 22); the kill is
    /// refused if the process now behind `pid` has a different one.
    pub start_ticks: u64,
    /// Human label for logs, e.g. `"prisma-migrate"`.
    pub label: String,
}

impl KillTarget {
    /// Builds a target from its PID, shown start time (clock ticks since boot) and label.
    pub fn new(pid: u32, start_ticks: u64, label: impl Into<String>) -> Self {
        Self {
            pid,
            start_ticks,
            label: label.into(),
        }
    }
}

/// Why a target was not signalled at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RefuseReason {
    /// PID 1 (init) or PID 0 (the kernel).
    Init,
    /// The target is devtop's own process.
    Itself,
    /// The target is devtop's parent, grandparent, ... (its shell, terminal, tmux, ...).
    Ancestor,
    /// The target runs under another real user ID than devtop's effective one.
    OtherUser {
        /// The target's real uid.
        uid: u32,
    },
    /// The process now behind the PID started at another time than the one shown: the PID
    /// was reused. Both values are clock ticks since boot.
    StartTimeChanged {
        /// Start time that was shown to the user.
        shown: u64,
        /// Start time of the process behind the PID now.
        now: u64,
    },
}

impl fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Init => f.write_str("PID 1 (init) is never signalled"),
            Self::Itself => f.write_str("that is devtop itself"),
            Self::Ancestor => f.write_str(
                "that is an ancestor of devtop (its shell or terminal) and is never signalled",
            ),
            Self::OtherUser { uid } => write!(f, "owned by another user (uid {uid})"),
            Self::StartTimeChanged { shown, now } => write!(
                f,
                "start time changed since it was shown (PID reused; ticks {shown} -> {now})"
            ),
        }
    }
}

impl std::error::Error for RefuseReason {}

/// What happened to one target of [`kill_targets`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum KillOutcome {
    /// Exited within the grace period after `SIGTERM`.
    Terminated,
    /// Still alive after the grace period; exited after `SIGKILL`.
    Killed {
        /// Seconds between this target's `SIGTERM` and its `SIGKILL`.
        after_secs: f64,
    },
    /// Had already exited (no `/proc` entry, `ESRCH`, or a zombie) before it was signalled.
    AlreadyGone,
    /// Not signalled because a guard of [`check`] refused it.
    Refused(RefuseReason),
    /// The kernel refused the signal (`EPERM`) or `/proc` hid the process.
    PermissionDenied,
    /// Still alive 2 s after `SIGKILL`, e.g. stuck in uninterruptible sleep (state `D`).
    Survived,
    /// Any other failure, with the system's message.
    Error(String),
}

impl KillOutcome {
    /// True when the process is gone: [`Terminated`](Self::Terminated),
    /// [`Killed`](Self::Killed) or [`AlreadyGone`](Self::AlreadyGone).
    pub fn ended(&self) -> bool {
        matches!(
            self,
            Self::Terminated | Self::Killed { .. } | Self::AlreadyGone
        )
    }
}

impl fmt::Display for KillOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Terminated => f.write_str("terminated (SIGTERM)"),
            Self::Killed { after_secs } => write!(f, "killed (SIGKILL after {after_secs:.1} s)"),
            Self::AlreadyGone => f.write_str("already gone"),
            Self::Refused(reason) => write!(f, "refused: {reason}"),
            Self::PermissionDenied => f.write_str("permission denied"),
            Self::Survived => {
                f.write_str("survived SIGKILL (still alive, probably in uninterruptible sleep)")
            }
            Self::Error(msg) => write!(f, "error: {msg}"),
        }
    }
}

/// What [`plan`] would do with an accepted target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Planned {
    /// The target as it is now (start time already verified).
    pub identity: ProcIdentity,
    /// `Some(pgid)` when the whole process group would be signalled (the target leads a group
    /// that holds neither devtop, nor one of its ancestors, nor another user's process).
    pub group: Option<u32>,
}

impl fmt::Display for Planned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.group {
            Some(pgid) => write!(
                f,
                "SIGTERM to process group {pgid}, then SIGKILL after grace"
            ),
            None => write!(
                f,
                "SIGTERM to PID {}, then SIGKILL after grace",
                self.identity.pid
            ),
        }
    }
}

/// devtop's own position in the process tree, read once per operation.
struct SelfView {
    pid: u32,
    euid: u32,
    pgrp: u32,
    /// `(pid, pgrp)` of every ancestor, parent first, up to (excluding) PID 1.
    ancestors: Vec<(u32, u32)>,
}

impl SelfView {
    fn current() -> Self {
        let pid = std::process::id();
        let euid = rustix::process::geteuid().as_raw();
        let pgrp = u32::try_from(rustix::process::getpgrp().as_raw_pid()).unwrap_or(0);
        let mut ancestors = Vec::new();
        let mut next = rustix::process::getppid()
            .and_then(|p| u32::try_from(p.as_raw_pid()).ok())
            .unwrap_or(0);
        while next > 1 && ancestors.len() < MAX_ANCESTORS {
            match read_identity(next) {
                Ok(id) => {
                    ancestors.push((id.pid, id.pgrp));
                    next = id.ppid;
                }
                Err(_) => {
                    // Not visible (other PID namespace); still protect the PID itself.
                    ancestors.push((next, 0));
                    break;
                }
            }
        }
        Self {
            pid,
            euid,
            pgrp,
            ancestors,
        }
    }

    fn is_ancestor(&self, pid: u32) -> bool {
        self.ancestors.iter().any(|&(a, _)| a == pid)
    }

    /// Guards that need no /proc read of the target.
    fn refuse_static(&self, pid: u32) -> Option<RefuseReason> {
        if pid <= 1 {
            Some(RefuseReason::Init)
        } else if pid == self.pid {
            Some(RefuseReason::Itself)
        } else if self.is_ancestor(pid) {
            Some(RefuseReason::Ancestor)
        } else {
            None
        }
    }

    /// All guards; `Ok` carries the identity just read.
    fn check(&self, pid: u32, shown_ticks: u64) -> Result<ProcIdentity, KillOutcome> {
        if let Some(reason) = self.refuse_static(pid) {
            return Err(KillOutcome::Refused(reason));
        }
        let id = match read_identity(pid) {
            Ok(id) => id,
            Err(e) => return Err(io_outcome(&e)),
        };
        if id.start_ticks != shown_ticks {
            return Err(KillOutcome::Refused(RefuseReason::StartTimeChanged {
                shown: shown_ticks,
                now: id.start_ticks,
            }));
        }
        if id.uid != self.euid {
            return Err(KillOutcome::Refused(RefuseReason::OtherUser {
                uid: id.uid,
            }));
        }
        if matches!(id.state, 'Z' | 'X') {
            return Err(KillOutcome::AlreadyGone);
        }
        Ok(id)
    }

    /// The group to signal instead of the single process, if that is safe: the target leads
    /// its group, the group is not devtop's, and no member is devtop, an ancestor of devtop, or
    /// another user's process.
    fn group_for(&self, id: &ProcIdentity) -> Option<u32> {
        let pgid = id.pgrp;
        if pgid != id.pid || pgid <= 1 || pgid == self.pgrp {
            return None;
        }
        if self.ancestors.iter().any(|&(_, g)| g == pgid) {
            return None;
        }
        let all = procfs::process::all_processes().ok()?;
        for process in all {
            // Processes vanishing during the scan are fine; anything else unreadable is not.
            let Ok(process) = process else { continue };
            let Ok(stat) = process.stat() else { continue };
            if u32::try_from(stat.pgrp).ok() != Some(pgid) {
                continue;
            }
            let member = u32::try_from(stat.pid).unwrap_or(0);
            if member == self.pid || self.is_ancestor(member) {
                return None;
            }
            let uid = match process.status() {
                Ok(s) => s.ruid,
                Err(_) => match process.uid() {
                    Ok(u) => u,
                    Err(_) if matches!(stat.state, 'Z' | 'X') => continue,
                    Err(_) => return None,
                },
            };
            if uid != self.euid {
                return None;
            }
        }
        Some(pgid)
    }
}

fn io_outcome(e: &io::Error) -> KillOutcome {
    match e.kind() {
        io::ErrorKind::NotFound => KillOutcome::AlreadyGone,
        io::ErrorKind::PermissionDenied => KillOutcome::PermissionDenied,
        _ => KillOutcome::Error(e.to_string()),
    }
}

fn errno_outcome(what: &str, e: Errno) -> KillOutcome {
    if e == Errno::SRCH {
        KillOutcome::AlreadyGone
    } else if e == Errno::PERM {
        KillOutcome::PermissionDenied
    } else {
        KillOutcome::Error(format!("{what}: {e}"))
    }
}

/// The guard run before every signal: may `pid`, shown with start time `start_ticks` (clock
/// ticks since boot), be signalled now?
///
/// Refuses PID 0 and 1, devtop itself, every ancestor of devtop (the ppid chain from
/// `std::process::id()` up to PID 1), a process whose start time differs from `start_ticks`
/// (the PID was reused) and a process whose real uid differs from devtop's effective uid.
///
/// # Errors
/// The outcome a kill would report without signalling: [`KillOutcome::Refused`],
/// [`KillOutcome::AlreadyGone`] (no `/proc` entry, or a zombie), [`KillOutcome::PermissionDenied`]
/// or [`KillOutcome::Error`]. On success returns the identity just read.
///
/// Note that this check alone is racy; [`kill_targets`] runs it with a pidfd already open.
pub fn check(pid: u32, start_ticks: u64) -> Result<ProcIdentity, KillOutcome> {
    SelfView::current().check(pid, start_ticks)
}

/// Dry run of [`kill_targets`] for `devtop kill --dry-run`: runs every guard, signals nothing.
///
/// Returns one entry per target, in order: `Ok` with what would be signalled, or `Err` with the
/// outcome a real kill would report at once (`Refused`, `AlreadyGone`, ...).
pub fn plan(targets: &[KillTarget]) -> Vec<(u32, Result<Planned, KillOutcome>)> {
    let me = SelfView::current();
    targets
        .iter()
        .map(|t| {
            let result = me.check(t.pid, t.start_ticks).map(|identity| Planned {
                group: me.group_for(&identity),
                identity,
            });
            (t.pid, result)
        })
        .collect()
}

/// A target that has been sent `SIGTERM` and is being waited for.
struct Pending {
    index: usize,
    pid: u32,
    start_ticks: u64,
    fd: OwnedFd,
    group: Option<u32>,
    term_at: Instant,
    killed_at: Option<Instant>,
    exited: bool,
}

/// Ends `targets` in the given order (callers pass children before parents) and reports one
/// outcome per target, in the same order, as `(pid, outcome)`.
///
/// For each target: open a pidfd, run [`check`] (the open pidfd makes the start-time check
/// race-free: signals through it can only reach the verified process), then send `SIGTERM`
/// through the pidfd, and also to the target's process group when it leads a group that is safe
/// to signal (see [`Planned::group`]). Then wait until every signalled process has exited or
/// `grace` has passed; send `SIGKILL` to the survivors (and their groups), and wait up to 2 s
/// more. A zombie (exited, not yet reaped) counts as exited.
///
/// Blocking: runs for up to `grace + 2 s`. Never panics; every failure becomes an outcome
/// (`ESRCH` → [`KillOutcome::AlreadyGone`], `EPERM` → [`KillOutcome::PermissionDenied`]).
pub fn kill_targets(targets: &[KillTarget], grace: Duration) -> Vec<(u32, KillOutcome)> {
    let me = SelfView::current();
    let mut outcomes: Vec<Option<KillOutcome>> = vec![None; targets.len()];
    let mut pending: Vec<Pending> = Vec::new();

    for (index, target) in targets.iter().enumerate() {
        match start_one(&me, target) {
            Ok((fd, group)) => pending.push(Pending {
                index,
                pid: target.pid,
                start_ticks: target.start_ticks,
                fd,
                group,
                term_at: Instant::now(),
                killed_at: None,
                exited: false,
            }),
            Err(outcome) => {
                log::debug!(
                    "kill {} ({}): {}",
                    target.pid,
                    target.label,
                    outcome.clone()
                );
                outcomes[index] = Some(outcome);
            }
        }
    }

    wait_exited(&mut pending, Instant::now() + grace);

    // Escalate.
    for p in pending.iter_mut() {
        if p.exited {
            if let Some(pgid) = p.group {
                // The other members got the same SIGTERM: give them the rest of the grace.
                wait_group_gone(pgid, p.term_at + grace);
                kill_group_remnants(&me, pgid);
            }
            continue;
        }
        if let Some(pgid) = p.group {
            signal_group(pgid, Signal::KILL);
        }
        p.killed_at = Some(Instant::now());
        match rustix::process::pidfd_send_signal(p.fd.as_fd(), Signal::KILL) {
            Ok(()) => {}
            Err(e) if e == Errno::SRCH => p.exited = true,
            Err(e) => {
                outcomes[p.index] = Some(errno_outcome("pidfd_send_signal(SIGKILL)", e));
                p.exited = true; // nothing more to wait for
            }
        }
    }
    wait_exited(&mut pending, Instant::now() + KILL_WAIT);

    for p in &pending {
        if outcomes[p.index].is_some() {
            continue;
        }
        let outcome = match (p.exited, p.killed_at) {
            (true, None) => KillOutcome::Terminated,
            (true, Some(at)) => KillOutcome::Killed {
                after_secs: at.duration_since(p.term_at).as_secs_f64(),
            },
            (false, _) => KillOutcome::Survived,
        };
        outcomes[p.index] = Some(outcome);
    }

    targets
        .iter()
        .zip(outcomes)
        .map(|(t, o)| {
            let outcome = o.unwrap_or_else(|| KillOutcome::Error("no outcome recorded".into()));
            log::debug!("kill {} ({}): {}", t.pid, t.label, outcome);
            (t.pid, outcome)
        })
        .collect()
}

/// Opens the pidfd, verifies the target and sends `SIGTERM`. Returns the pidfd and the group
/// that was signalled too, or the final outcome.
fn start_one(me: &SelfView, target: &KillTarget) -> Result<(OwnedFd, Option<u32>), KillOutcome> {
    if let Some(reason) = me.refuse_static(target.pid) {
        return Err(KillOutcome::Refused(reason));
    }
    let pid = i32::try_from(target.pid)
        .ok()
        .and_then(Pid::from_raw)
        .ok_or(KillOutcome::AlreadyGone)?;
    let fd = rustix::process::pidfd_open(pid, PidfdFlags::empty()).map_err(|e| {
        if e == Errno::NOSYS {
            KillOutcome::Error("pidfd_open unsupported (needs Linux 5.3 or later)".into())
        } else {
            errno_outcome("pidfd_open", e)
        }
    })?;
    // The pidfd now pins the process: whatever we verify below is what we signal.
    let identity = me.check(target.pid, target.start_ticks)?;
    let group = me.group_for(&identity);
    let mut group_signalled = false;
    if let Some(pgid) = group {
        // The verified leader is alive, so its PGID cannot have been reused.
        group_signalled = signal_group(pgid, Signal::TERM);
    }
    match rustix::process::pidfd_send_signal(fd.as_fd(), Signal::TERM) {
        Ok(()) => Ok((fd, group)),
        // The group signal may already have ended it.
        Err(e) if e == Errno::SRCH && group_signalled => Ok((fd, group)),
        Err(e) => Err(errno_outcome("pidfd_send_signal(SIGTERM)", e)),
    }
}

/// `kill(-pgid, sig)`; true on success. Never called with a PGID of 0 or 1.
fn signal_group(pgid: u32, sig: Signal) -> bool {
    let Some(pid) = i32::try_from(pgid)
        .ok()
        .filter(|g| *g > 1)
        .and_then(Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::kill_process_group(pid, sig) {
        Ok(()) => true,
        Err(e) => {
            log::debug!("kill(-{pgid}, {sig:?}): {e}");
            false
        }
    }
}

/// After the leader of a signalled group exited, `SIGKILL` what is left of the group. The
/// PGID cannot be reused while live members hold it, and membership is re-verified first.
fn kill_group_remnants(me: &SelfView, pgid: u32) {
    if group_has_live_members(pgid) {
        // Re-verify that the group is still ours alone; without a live leader, use a pseudo
        // identity of a leader of that group.
        let pseudo = ProcIdentity {
            pid: pgid,
            ppid: 0,
            pgrp: pgid,
            uid: me.euid,
            start_ticks: 0,
            state: 'S',
        };
        if me.group_for(&pseudo).is_some() {
            signal_group(pgid, Signal::KILL);
        }
    }
}

/// Polls (every 50 ms) until no live process is left in group `pgid` or `deadline` passes.
fn wait_group_gone(pgid: u32, deadline: Instant) {
    while group_has_live_members(pgid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn group_has_live_members(pgid: u32) -> bool {
    let Ok(all) = procfs::process::all_processes() else {
        return false;
    };
    all.filter_map(Result::ok)
        .filter_map(|p| p.stat().ok())
        .any(|s| u32::try_from(s.pgrp).ok() == Some(pgid) && !matches!(s.state, 'Z' | 'X'))
}

/// Polls until every pending process has exited or `deadline` passes.
fn wait_exited(pending: &mut [Pending], deadline: Instant) {
    loop {
        for p in pending.iter_mut().filter(|p| !p.exited) {
            p.exited = has_exited(p.fd.as_fd(), p.pid, p.start_ticks);
        }
        if pending.iter().all(|p| p.exited) {
            return;
        }
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep(POLL_INTERVAL.min(deadline - now));
    }
}

/// True once the process behind `fd` has exited (zombie or reaped).
///
/// The pidfd's fdinfo shows `Pid: -1` once the process is reaped; a zombie is recognised by
/// its state in `/proc/<pid>/stat`, with the start time confirming it is still the same process
/// (a different start time means ours was reaped and the PID reused).
fn has_exited(fd: BorrowedFd<'_>, pid: u32, start_ticks: u64) -> bool {
    let fdinfo = format!("/proc/self/fdinfo/{}", fd.as_raw_fd());
    if let Ok(text) = std::fs::read_to_string(fdinfo) {
        let reaped = text
            .lines()
            .filter_map(|l| l.strip_prefix("Pid:"))
            .any(|v| v.trim().starts_with('-'));
        if reaped {
            return true;
        }
    }
    match read_identity(pid) {
        Ok(id) => id.start_ticks != start_ticks || matches!(id.state, 'Z' | 'X'),
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command, Stdio};

    /// Owns a spawned child; on drop SIGKILLs it (and its process group when it leads one it
    /// was spawned into) by PID and reaps it. The child is only reaped here, so its PID and
    /// PGID cannot be reused while the guard lives.
    struct ChildGuard {
        child: Child,
        own_group: bool,
        /// Non-child descendants to kill on drop, verified by start time.
        extra: Vec<(u32, u64)>,
    }

    impl ChildGuard {
        fn spawn(cmd: &mut Command, own_group: bool) -> Self {
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

        fn pid(&self) -> u32 {
            self.child.id()
        }

        fn start_ticks(&self) -> u64 {
            read_identity(self.pid()).unwrap().start_ticks
        }

        fn target(&self, label: &str) -> KillTarget {
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
    fn kill_verified(pid: u32, ticks: u64) {
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
    fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if cond() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Alive = exists with that start time and is neither zombie nor dead.
    fn alive(pid: u32, ticks: u64) -> bool {
        read_identity(pid).is_ok_and(|id| id.start_ticks == ticks && !matches!(id.state, 'Z' | 'X'))
    }

    fn children_of(ppid: u32) -> Vec<(u32, u64)> {
        procfs::process::all_processes()
            .unwrap()
            .filter_map(Result::ok)
            .filter_map(|p| p.stat().ok())
            .filter(|s| s.ppid as u32 == ppid && !matches!(s.state, 'Z' | 'X'))
            .map(|s| (s.pid as u32, s.starttime))
            .collect()
    }

    fn sleeper() -> ChildGuard {
        ChildGuard::spawn(Command::new("sleep").arg("600"), false)
    }

    #[test]
    fn read_identity_of_self() {
        let me = read_identity(std::process::id()).unwrap();
        assert_eq!(me.pid, std::process::id());
        assert_eq!(me.ppid, std::os::unix::process::parent_id());
        assert_eq!(me.uid, rustix::process::getuid().as_raw());
        assert!(me.start_ticks > 0);
    }

    #[test]
    fn read_identity_missing_is_not_found() {
        assert_eq!(
            read_identity(0).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        let gone = u32::try_from(i32::MAX).unwrap();
        assert_eq!(
            read_identity(gone).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn refuses_pid_1_and_0() {
        let ticks = read_identity(1).map(|i| i.start_ticks).unwrap_or(0);
        assert_eq!(
            check(1, ticks),
            Err(KillOutcome::Refused(RefuseReason::Init))
        );
        assert_eq!(check(0, 0), Err(KillOutcome::Refused(RefuseReason::Init)));
        let planned = plan(&[KillTarget::new(1, ticks, "init")]);
        assert_eq!(
            planned,
            vec![(1, Err(KillOutcome::Refused(RefuseReason::Init)))]
        );
    }

    #[test]
    fn refuses_self() {
        let me = read_identity(std::process::id()).unwrap();
        assert_eq!(
            check(me.pid, me.start_ticks),
            Err(KillOutcome::Refused(RefuseReason::Itself))
        );
    }

    #[test]
    fn refuses_parent_and_every_ancestor() {
        let mut pid = std::os::unix::process::parent_id();
        let mut seen = 0;
        while pid > 1 {
            let Ok(id) = read_identity(pid) else { break };
            assert_eq!(
                check(pid, id.start_ticks),
                Err(KillOutcome::Refused(RefuseReason::Ancestor)),
                "ancestor {pid}"
            );
            seen += 1;
            pid = id.ppid;
        }
        assert!(seen >= 1, "the test runner has a parent");
    }

    #[test]
    fn refuses_start_time_mismatch_and_leaves_process_alone() {
        let child = sleeper();
        let ticks = child.start_ticks();
        let target = KillTarget::new(child.pid(), ticks + 1, "sleep");
        let out = kill_targets(&[target], Duration::from_millis(100));
        assert_eq!(
            out,
            vec![(
                child.pid(),
                KillOutcome::Refused(RefuseReason::StartTimeChanged {
                    shown: ticks + 1,
                    now: ticks
                })
            )]
        );
        assert!(
            alive(child.pid(), ticks),
            "refused target must be untouched"
        );
    }

    #[test]
    fn plan_accepts_own_child_and_names_group() {
        let plain = sleeper();
        let grouped = ChildGuard::spawn(Command::new("sleep").arg("600"), true);
        let planned = plan(&[plain.target("a"), grouped.target("b")]);
        let (pid, Ok(p)) = &planned[0] else {
            panic!("{planned:?}")
        };
        assert_eq!((*pid, p.group), (plain.pid(), None));
        let (_, Ok(p)) = &planned[1] else {
            panic!("{planned:?}")
        };
        assert_eq!(p.group, Some(grouped.pid()));
        // Nothing was signalled.
        assert!(alive(plain.pid(), plain.start_ticks()));
        assert!(alive(grouped.pid(), grouped.start_ticks()));
    }

    #[test]
    fn terminates_sleeping_child() {
        let child = sleeper();
        let out = kill_targets(&[child.target("sleep")], Duration::from_secs(5));
        assert_eq!(out, vec![(child.pid(), KillOutcome::Terminated)]);
        assert!(out[0].1.ended());
    }

    #[test]
    fn escalates_to_sigkill_for_term_ignoring_group() {
        let mut child = ChildGuard::spawn(
            Command::new("sh").args(["-c", "trap '' TERM; while :; do sleep 0.1; done"]),
            true,
        );
        let pid = child.pid();
        // Wait until the shell has actually installed the trap (SIGTERM = bit 14 of SigIgn).
        assert!(wait_until(Duration::from_secs(5), || {
            procfs::process::Process::new(pid as i32)
                .and_then(|p| p.status())
                .is_ok_and(|s| s.sigign & (1 << 14) != 0)
        }));
        // Remember a grandchild so the guard can clean it if the test fails.
        assert!(wait_until(Duration::from_secs(5), || !children_of(pid).is_empty()));
        child.extra = children_of(pid);

        let grace = Duration::from_millis(300);
        let out = kill_targets(&[child.target("stubborn")], grace);
        assert_eq!(out.len(), 1);
        match out[0].1 {
            KillOutcome::Killed { after_secs } => {
                assert!((0.3..5.0).contains(&after_secs), "{after_secs}");
            }
            ref other => panic!("expected Killed, got {other:?}"),
        }
        assert!(out[0].1.ended());
        // The whole group is gone (grandchildren are reaped by init or linger as zombies).
        let group_alive = || {
            procfs::process::all_processes()
                .unwrap()
                .filter_map(Result::ok)
                .filter_map(|p| p.stat().ok())
                .any(|s| s.pgrp as u32 == pid && !matches!(s.state, 'Z' | 'X'))
        };
        assert!(wait_until(Duration::from_secs(5), || !group_alive()));
    }

    #[test]
    fn group_members_get_the_rest_of_the_grace_after_the_leader_exits() {
        let dir = tempfile::tempdir().unwrap();
        let done = dir.path().join("graceful");
        // The leader exits at once on SIGTERM; a member of its group needs 0.3 s to shut down.
        let script = format!(
            "trap 'exit 0' TERM; (trap 'sleep 0.3; echo ok > {f}; exit 0' TERM; while :; do sleep 0.05; done) & while :; do sleep 0.05; done",
            f = done.display()
        );
        let mut child = ChildGuard::spawn(Command::new("sh").args(["-c", &script]), true);
        let pid = child.pid();
        assert!(wait_until(Duration::from_secs(5), || children_of(pid)
            .len()
            >= 2));
        child.extra = children_of(pid);
        let out = kill_targets(&[child.target("leader")], Duration::from_secs(3));
        assert_eq!(out[0].1, KillOutcome::Terminated, "{out:?}");
        assert!(
            done.exists(),
            "the member was SIGKILLed before the grace was over"
        );
    }

    #[test]
    fn kills_tree_children_first() {
        // The parent must outlive its children's SIGTERM (a `wait`ing shell would exit by
        // itself and be reported AlreadyGone), so it becomes a non-reaping `sleep`.
        let mut parent = ChildGuard::spawn(
            Command::new("sh").args(["-c", "sleep 600 & sleep 600 & exec sleep 600"]),
            false,
        );
        let pid = parent.pid();
        assert!(wait_until(Duration::from_secs(5), || children_of(pid)
            .len()
            == 2));
        let kids = children_of(pid);
        parent.extra = kids.clone();

        let mut targets: Vec<KillTarget> = kids
            .iter()
            .map(|&(p, t)| KillTarget::new(p, t, "sleep"))
            .collect();
        targets.push(parent.target("sh"));
        let out = kill_targets(&targets, Duration::from_secs(5));
        assert_eq!(out.len(), 3);
        for (p, o) in &out {
            assert!(o.ended(), "{p}: {o}");
        }
        assert_eq!(out[2], (pid, KillOutcome::Terminated));
        for &(p, t) in &kids {
            assert!(
                wait_until(Duration::from_secs(5), || !alive(p, t)),
                "{p} survived"
            );
        }
        assert!(!alive(pid, parent.start_ticks()));
    }

    #[test]
    fn already_gone_for_reaped_and_zombie_children() {
        // Zombie: exited, not reaped.
        let zombie = ChildGuard::spawn(&mut Command::new("true"), false);
        let ticks = zombie.start_ticks();
        assert!(wait_until(Duration::from_secs(5), || {
            read_identity(zombie.pid()).is_ok_and(|i| i.state == 'Z')
        }));
        let out = kill_targets(
            &[KillTarget::new(zombie.pid(), ticks, "zombie")],
            Duration::from_secs(1),
        );
        assert_eq!(out, vec![(zombie.pid(), KillOutcome::AlreadyGone)]);

        // Reaped: no /proc entry any more.
        let mut gone = ChildGuard::spawn(&mut Command::new("true"), false);
        let pid = gone.pid();
        let ticks = gone.start_ticks();
        gone.child.wait().unwrap();
        let out = kill_targets(
            &[KillTarget::new(pid, ticks, "gone")],
            Duration::from_secs(1),
        );
        assert_eq!(out, vec![(pid, KillOutcome::AlreadyGone)]);
        assert!(out[0].1.ended());
    }

    #[test]
    fn mixed_batch_keeps_order() {
        let child = sleeper();
        let me = read_identity(std::process::id()).unwrap();
        let targets = [
            KillTarget::new(1, 0, "init"),
            KillTarget::new(me.pid, me.start_ticks, "devtop"),
            child.target("sleep"),
        ];
        let out = kill_targets(&targets, Duration::from_secs(5));
        assert_eq!(
            out,
            vec![
                (1, KillOutcome::Refused(RefuseReason::Init)),
                (me.pid, KillOutcome::Refused(RefuseReason::Itself)),
                (child.pid(), KillOutcome::Terminated),
            ]
        );
    }

    #[test]
    fn display_texts() {
        assert_eq!(
            RefuseReason::Init.to_string(),
            "PID 1 (init) is never signalled"
        );
        assert!(
            RefuseReason::StartTimeChanged { shown: 1, now: 2 }
                .to_string()
                .starts_with("start time changed since it was shown (PID reused")
        );
        assert_eq!(
            RefuseReason::OtherUser { uid: 0 }.to_string(),
            "owned by another user (uid 0)"
        );
        assert_eq!(KillOutcome::Terminated.to_string(), "terminated (SIGTERM)");
        assert_eq!(
            KillOutcome::Killed { after_secs: 3.0 }.to_string(),
            "killed (SIGKILL after 3.0 s)"
        );
        assert_eq!(KillOutcome::AlreadyGone.to_string(), "already gone");
        assert_eq!(
            KillOutcome::Refused(RefuseReason::Itself).to_string(),
            "refused: that is devtop itself"
        );
        assert_eq!(
            KillOutcome::PermissionDenied.to_string(),
            "permission denied"
        );
        assert!(!KillOutcome::Survived.ended());
        assert!(!KillOutcome::PermissionDenied.ended());
        assert!(!KillOutcome::Refused(RefuseReason::Init).ended());
    }
}
