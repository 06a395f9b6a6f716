//! inotify use of this user's processes, for preflight check 15: the limits from
//! `/proc/sys/fs/inotify/max_user_watches` and `max_user_instances`, and per process the
//! inotify instances (fds linking to `anon_inode:inotify` in `/proc/PID/fd`) and their watches
//! (`inotify wd:` lines of `/proc/PID/fdinfo/FD`). Only processes owned by devtop's effective
//! user are read (the limits are per user; others' fds are not readable anyway).

use crate::model::preflight::inotify::{InotifyUsage, Watcher};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Bytes of one fdinfo line looked at; a longer line is read past (it is not a watch line:
/// those are about 100 bytes).
pub const LINE_CAP: u64 = 4096;
/// Bytes of fdinfo read per watch the user may have (`max_user_watches`): a watch line is
/// about 100 bytes (a longer file handle makes it longer), so a real fdinfo is never cut.
pub const BYTES_PER_WATCH: u64 = 256;
/// `max_user_watches` assumed when it cannot be read (the kernel's largest default).
const DEFAULT_MAX_WATCHES: u64 = 524_288;

/// Watches in one fdinfo: its `inotify wd:` lines, read one line at a time (at most
/// [`LINE_CAP`] bytes of each kept) and at most `max_bytes` bytes in all. Memory stays a
/// line and the reader's buffer however large the fdinfo is; a read error ends the count.
pub fn count_watches(fdinfo: impl Read, max_bytes: u64) -> u64 {
    let mut r = BufReader::new(fdinfo.take(max_bytes));
    let mut line = Vec::with_capacity(256);
    let mut watches = 0;
    let mut at_start = true;
    loop {
        line.clear();
        match r.by_ref().take(LINE_CAP).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return watches,
            Ok(_) => {}
        }
        if at_start && line.starts_with(b"inotify wd:") {
            watches += 1;
        }
        // A line cut at the cap continues in the next read: not a line start.
        at_start = line.last() == Some(&b'\n');
    }
}

/// A `/proc/sys` number, `None` when unreadable or not a number.
fn read_number(path: &Path) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// (instances, watches) of process `pid` under `proc`, `None` when its fds cannot be listed.
/// Each instance's fdinfo is read up to `max_bytes`.
fn process_usage(proc: &Path, pid: u32, max_bytes: u64) -> Option<(u64, u64)> {
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
        // fdinfo of one instance: a few header lines and one line per watch (at most the
        // user's max_user_watches).
        if let Ok(f) = std::fs::File::open(dir.join("fdinfo").join(fd.file_name())) {
            watches += count_watches(f, max_bytes);
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
    let max_bytes = u
        .max_user_watches
        .unwrap_or(DEFAULT_MAX_WATCHES)
        .saturating_add(64)
        .saturating_mul(BYTES_PER_WATCH);
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(meta) = e.metadata() else { continue };
        if meta.uid() != uid {
            continue;
        }
        match process_usage(proc, pid, max_bytes) {
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
        assert_eq!(count_watches(watch.as_bytes(), 1 << 20), 1);
    }

    /// Bytes of `line` repeated forever.
    struct Endless(&'static [u8], usize);

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            for b in buf.iter_mut() {
                *b = self.0[self.1 % self.0.len()];
                self.1 += 1;
            }
            Ok(buf.len())
        }
    }

    #[test]
    fn an_endless_fdinfo_is_read_up_to_the_cap() {
        let watch: &[u8] = b"inotify wd:1 ino:2 sdev:800001 mask:fc6 ignored_mask:0\n";
        let cap = 1 << 20;
        let n = count_watches(Endless(watch, 0), cap);
        // 19,065 whole lines; the 1 byte left of the cap does not make a watch line.
        assert_eq!(n, cap / watch.len() as u64);
        // One endless line: read past in LINE_CAP pieces, never counted, never held.
        assert_eq!(count_watches(std::io::repeat(b'x'), cap), 0);
        // A long line whose continuation looks like a watch line is not one.
        let mut tricky = vec![b'x'; LINE_CAP as usize];
        tricky.extend_from_slice(b"inotify wd:9\ninotify wd:1\n");
        assert_eq!(count_watches(&tricky[..], cap), 1);
    }

    /// A real inotify instance of this test with three watches: its own fdinfo counted.
    #[test]
    fn counts_the_watches_of_a_real_instance() {
        use rustix::fs::inotify;
        use std::os::fd::AsRawFd;
        let dir = tempfile::tempdir().unwrap();
        let fd = inotify::init(inotify::CreateFlags::CLOEXEC).unwrap();
        for name in ["a", "b", "c"] {
            let p = dir.path().join(name);
            std::fs::create_dir(&p).unwrap();
            inotify::add_watch(&fd, &p, inotify::WatchFlags::CREATE).unwrap();
        }
        let info = std::fs::File::open(format!("/proc/self/fdinfo/{}", fd.as_raw_fd())).unwrap();
        assert_eq!(count_watches(info, 1 << 20), 3);
        let mut all = String::new();
        std::fs::File::open(format!("/proc/self/fdinfo/{}", fd.as_raw_fd()))
            .unwrap()
            .read_to_string(&mut all)
            .unwrap();
        // The cap counts what fits: the header lines and the first watch line only.
        let first = all.find("inotify wd:").unwrap();
        let second = first + all[first..].find('\n').unwrap() + 1;
        let info = std::fs::File::open(format!("/proc/self/fdinfo/{}", fd.as_raw_fd())).unwrap();
        assert_eq!(count_watches(info, second as u64), 1);
    }
}
