//! inotify use of this user's processes, for preflight check 15: the limits from
//! `/proc/sys/fs/inotify/max_user_watches` and `max_user_instances`, and per process the
//! inotify instances (fds linking to `anon_inode:inotify` in `/proc/PID/fd`) and their watches
//! (`inotify wd:` lines of `/proc/PID/fdinfo/FD`). Only processes owned by devtop's effective
//! user are read (the limits are per user; others' fds are not readable anyway).

use crate::model::preflight::inotify::{InotifyUsage, Watcher};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Watches in one fdinfo text: its `inotify wd:` lines.
pub fn count_watches(fdinfo: &str) -> u64 {
    fdinfo
        .lines()
        .filter(|l| l.starts_with("inotify wd:"))
        .count() as u64
}

/// A `/proc/sys` number, `None` when unreadable or not a number.
fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// (instances, watches) of process `pid` under `proc`, `None` when its fds cannot be listed.
fn process_usage(proc: &Path, pid: u32) -> Option<(u64, u64)> {
    let dir = proc.join(pid.to_string());
    let fds = std::fs::read_dir(dir.join("fd")).ok()?;
    let (mut instances, mut watches) = (0, 0);
    for fd in fds.flatten() {
        let Ok(link) = std::fs::read_link(fd.path()) else {
            continue;
        };
        if link.as_os_str() != "anon_inode:inotify" {
            continue;
        }
        instances += 1;
        // fdinfo of one instance: a few header lines and one line per watch (bounded by the
        // user's max_user_watches, a few MiB at most).
        if let Ok(text) = std::fs::read_to_string(dir.join("fdinfo").join(fd.file_name())) {
            watches += count_watches(&text);
        }
    }
    Some((instances, watches))
}

/// The process name from `/proc/PID/comm`, "?" when gone.
fn name_of(proc: &Path, pid: u32) -> String {
    std::fs::read_to_string(proc.join(pid.to_string()).join("comm"))
        .map(|s| crate::sanitize::clean(s.trim()).into_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

/// Read the usage of the processes of user `uid` under `proc` (`/proc` in production, a
/// fixture tree in tests). Never fails: unreadable parts are counted or left `None`.
pub fn read_at(proc: &Path, uid: u32) -> InotifyUsage {
    let limits = proc.join("sys/fs/inotify");
    let mut u = InotifyUsage {
        max_user_watches: read_number(&limits.join("max_user_watches")),
        max_user_instances: read_number(&limits.join("max_user_instances")),
        ..InotifyUsage::default()
    };
    let Ok(entries) = std::fs::read_dir(proc) else {
        return u;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(meta) = e.metadata() else { continue };
        if meta.uid() != uid {
            continue;
        }
        match process_usage(proc, pid) {
            Some((0, _)) => {}
            Some((instances, watches)) => {
                u.instances += instances;
                u.watches += watches;
                u.top.push(Watcher {
                    pid,
                    name: name_of(proc, pid),
                    instances,
                    watches,
                });
            }
            None => u.unreadable += 1,
        }
    }
    u.top
        .sort_by(|a, b| b.watches.cmp(&a.watches).then(a.pid.cmp(&b.pid)));
    u
}

/// [`read_at`] on `/proc` for devtop's effective user.
pub fn read() -> InotifyUsage {
    read_at(Path::new("/proc"), rustix::process::geteuid().as_raw())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A fake /proc: limits, one process of ours with two inotify instances (3 and 1
    /// watches) and an ordinary fd, one without inotify.
    #[test]
    fn reads_limits_and_counts_watches_per_process() {
        let p = tempfile::tempdir().unwrap();
        let root = p.path();
        std::fs::create_dir_all(root.join("sys/fs/inotify")).unwrap();
        std::fs::write(root.join("sys/fs/inotify/max_user_watches"), "8192\n").unwrap();
        std::fs::write(root.join("sys/fs/inotify/max_user_instances"), "128\n").unwrap();
        let proc = |pid: &str, comm: &str| {
            std::fs::create_dir_all(root.join(pid).join("fd")).unwrap();
            std::fs::create_dir_all(root.join(pid).join("fdinfo")).unwrap();
            std::fs::write(root.join(pid).join("comm"), format!("{comm}\n")).unwrap();
        };
        proc("4711", "code");
        proc("4712", "bash");
        let watch = "inotify wd:1 ino:2 sdev:800001 mask:fc6 ignored_mask:0 fhandle-bytes:8\n";
        for (fd, n) in [("3", 3), ("5", 1)] {
            std::os::unix::fs::symlink("anon_inode:inotify", root.join("4711/fd").join(fd))
                .unwrap();
            std::fs::write(
                root.join("4711/fdinfo").join(fd),
                format!("pos:\t0\nflags:\t00\nmnt_id:\t15\n{}", watch.repeat(n)),
            )
            .unwrap();
        }
        std::os::unix::fs::symlink("/dev/null", root.join("4711/fd/0")).unwrap();
        std::os::unix::fs::symlink("/dev/null", root.join("4712/fd/0")).unwrap();
        let uid = rustix::process::geteuid().as_raw();
        let u = read_at(root, uid);
        assert_eq!(u.max_user_watches, Some(8192));
        assert_eq!(u.max_user_instances, Some(128));
        assert_eq!((u.watches, u.instances), (4, 2));
        assert_eq!(u.top.len(), 1);
        assert_eq!(u.top[0].pid, 4711);
        assert_eq!(u.top[0].name, "code");
        // Another user's processes are not counted.
        assert_eq!(read_at(root, uid + 1).watches, 0);
        assert_eq!(count_watches(watch), 1);
    }
}
