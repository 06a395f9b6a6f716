//! The one async stop of a supervised group: `SIGTERM` to the process group, wait (through
//! pidfds, on the tokio reactor) until every member has exited or the grace has passed, then
//! `SIGKILL` to the group.

use crate::effects::pidfd::{AsyncPidfd, wait_all};
use crate::effects::tether::Tether;
use rustix::process::Signal;
use std::time::{Duration, Instant};

/// How long to wait for the child to disappear after `SIGKILL`.
pub const KILL_WAIT: Duration = Duration::from_secs(2);

/// Stops the group of `tether`, in which `main` (the supervised child) runs.
///
/// 1. `SIGTERM` to the process group: every member gets it (the tether's watcher ignores it,
///    so the group stays tied to devtop during the grace);
/// 2. the group's other live members are pinned with pidfds (one `/proc` scan; each pidfd is
///    checked to still belong to a member after it is opened);
/// 3. wait, without sleeping a thread, until `main` and every pinned member have exited or
///    `grace` has passed — also when `main` exited at once and left members behind;
/// 4. `SIGKILL` to the group, always: it ends the watcher and anything forked after the scan;
///    then wait up to [`KILL_WAIT`] for `main` to exit.
///
/// Returns true when a member was still alive when the grace ran out (escalation).
pub async fn terminate_group(tether: &Tether, main: &AsyncPidfd, grace: Duration) -> bool {
    let deadline = Instant::now() + grace;
    let _ = tether.signal_group(Signal::TERM);
    let members = members(tether.pgid());
    let main_exited = main.exited_by(deadline).await;
    let others = wait_all(&members, deadline).await;
    let escalated = !main_exited || others.contains(&false);
    let _ = tether.signal_group(Signal::KILL);
    main.exited_by(Instant::now() + KILL_WAIT).await;
    escalated
}

/// Live members of process group `pgid` other than its leader (the watcher), pinned by pidfd.
/// A process that exits, or leaves the group, between the scan and the pidfd is skipped.
fn members(pgid: u32) -> Vec<AsyncPidfd> {
    let Ok(all) = procfs::process::all_processes() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for process in all.flatten() {
        let Ok(stat) = process.stat() else { continue };
        let Ok(pid) = u32::try_from(stat.pid) else {
            continue;
        };
        if pid == pgid || stat.pgrp != pgid as i32 || matches!(stat.state, 'Z' | 'X') {
            continue;
        }
        let Ok(fd) = AsyncPidfd::open(pid) else {
            continue;
        };
        // Re-checked through the pinned PID: still the member that was scanned.
        let same = crate::effects::signal::read_identity(pid)
            .is_ok_and(|id| id.pgrp == pgid && id.start_ticks == stat.starttime);
        if same {
            out.push(fd);
        }
    }
    out
}
