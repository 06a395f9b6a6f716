//! Who a process is: `(pid, start time)` and the fields the kill guards need, read from `/proc`
//! (a read of the world: the signalling in [`crate::effects::signal`] re-checks through it).

use rustix::io::Errno;
use serde::Serialize;
use std::io;

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
    /// Effective and saved user IDs (`Uid:` line, second and third columns); equal to `uid`
    /// when status cannot be read. A set-uid program keeps the caller's real uid but runs with
    /// another effective/saved uid: the owner guard checks all three.
    pub other_uids: [u32; 2],
    /// Start time in clock ticks since boot (stat field 22, `starttime`; usually 100 ticks/s).
    pub start_ticks: u64,
    /// One-letter scheduler state (stat field 3): `R`, `S`, `D`, `Z`, `T`, `X`, ...
    pub state: char,
}

impl ProcIdentity {
    /// True for a zombie (`Z`) or a dead (`X`) process: it has exited.
    pub fn exited(&self) -> bool {
        matches!(self.state, 'Z' | 'X')
    }
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
    let (uid, other_uids) = match process.status() {
        Ok(status) => (status.ruid, [status.euid, status.suid]),
        Err(_) => {
            let owner = process.uid().map_err(proc_error)?;
            (owner, [owner, owner])
        }
    };
    Ok(ProcIdentity {
        pid,
        ppid: u32::try_from(stat.ppid).unwrap_or(0),
        pgrp: u32::try_from(stat.pgrp).unwrap_or(0),
        uid,
        other_uids,
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn read_identity_of_self() {
        let me = read_identity(std::process::id()).unwrap();
        assert_eq!(me.pid, std::process::id());
        assert_eq!(me.ppid, std::os::unix::process::parent_id());
        assert_eq!(me.uid, rustix::process::getuid().as_raw());
        assert!(me.start_ticks > 0);
        assert!(!me.exited());
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
}
