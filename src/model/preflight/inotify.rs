//! Check 15: inotify watches and instances of this user against the kernel's per-user limits
//! (the seeds' "FS watcher limit" behind editor and vite crashes: `ENOSPC: System limit for
//! number of file watchers reached`).

use super::{Check, CheckId, Status};

/// One process's inotify use, from `/proc/PID/fdinfo/*` (`inotify wd:` lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watcher {
    /// Process ID.
    pub pid: u32,
    /// Its name (`/proc/PID/comm`) or command line, for display.
    pub name: String,
    /// inotify instances (fds whose link is `anon_inode:inotify`).
    pub instances: u64,
    /// Watches over those instances (`inotify wd:` lines).
    pub watches: u64,
}

/// The user's inotify use and the limits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InotifyUsage {
    /// `/proc/sys/fs/inotify/max_user_watches`; `None` when unreadable.
    pub max_user_watches: Option<u64>,
    /// `/proc/sys/fs/inotify/max_user_instances`; `None` when unreadable.
    pub max_user_instances: Option<u64>,
    /// Watches summed over the user's processes whose fdinfo could be read.
    pub watches: u64,
    /// inotify instances summed likewise.
    pub instances: u64,
    /// Processes with at least one instance, most watches first.
    pub top: Vec<Watcher>,
    /// The user's processes whose fds could not be read (gone, or hidden).
    pub unreadable: usize,
}

/// Share of a limit at which check 15 warns (percent).
pub const WARN_PERCENT: f64 = 75.0;
/// Share of a limit at which it fails (percent).
pub const FAIL_PERCENT: f64 = 95.0;
/// Watchers listed.
pub const TOP: usize = 5;

fn percent(used: u64, max: Option<u64>) -> Option<f64> {
    max.filter(|m| *m > 0)
        .map(|m| used as f64 * 100.0 / m as f64)
}

/// Check 15. Fail at ≥ [`FAIL_PERCENT`] of either limit, warn at ≥ [`WARN_PERCENT`], else
/// pass; evidence: used vs limit for both, and the top [`TOP`] watchers by watches. Limits
/// unreadable → skipped.
pub fn inotify(u: &InotifyUsage) -> Check {
    let id = CheckId::Inotify;
    if u.max_user_watches.is_none() && u.max_user_instances.is_none() {
        return Check::skipped(
            id,
            "the limits are unreadable (/proc/sys/fs/inotify/max_user_watches, max_user_instances)",
        );
    }
    let fmt = |used: u64, max: Option<u64>| match (max, percent(used, max)) {
        (Some(m), Some(p)) => format!("{used} of {m} ({p:.0}%)"),
        _ => format!("{used} of an unknown limit"),
    };
    let pw = percent(u.watches, u.max_user_watches).unwrap_or(0.0);
    let pi = percent(u.instances, u.max_user_instances).unwrap_or(0.0);
    let worst = pw.max(pi);
    let status = if worst >= FAIL_PERCENT {
        Status::Fail
    } else if worst >= WARN_PERCENT {
        Status::Warn
    } else {
        Status::Pass
    };
    let mut c = Check::new(
        id,
        status,
        format!(
            "watches {}, instances {}",
            fmt(u.watches, u.max_user_watches),
            fmt(u.instances, u.max_user_instances)
        ),
    );
    c.detail.extend(u.top.iter().take(TOP).map(|w| {
        format!(
            "  PID {} {}: {} watches in {} instance{}",
            w.pid,
            w.name,
            w.watches,
            w.instances,
            if w.instances == 1 { "" } else { "s" }
        )
    }));
    if u.unreadable > 0 {
        c.detail.push(format!(
            "  ({} of your processes could not be read)",
            u.unreadable
        ));
    }
    if status == Status::Pass {
        return c;
    }
    let hint = if pw >= pi {
        "raise the limit: `sudo sysctl fs.inotify.max_user_watches=524288` (persist it in \
         /etc/sysctl.d/60-inotify.conf), or close the watchers above (editor windows, \
         duplicate dev servers)"
    } else {
        "raise the limit: `sudo sysctl fs.inotify.max_user_instances=512` (persist it in \
         /etc/sysctl.d/60-inotify.conf), or close the watchers above"
    };
    c.hint(hint)
}
