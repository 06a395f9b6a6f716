//! What the kernel says about OOM kills: new "Killed process N (comm)" records of `/dev/kmsg`
//! (read without blocking from where it stood when the watch started; absent when the kernel
//! log is not readable, `dmesg_restrict`) and the cgroup's `oom_kill` counter (v2
//! `memory.events`, v1 `memory.oom_control`) of the cgroup memory accounting applies to.

use crate::model::deaths::{OomEvents, parse_oom_line};
use crate::model::memory::CgroupMemory;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Reads OOM evidence between passes.
#[derive(Debug)]
pub struct OomWatch {
    kmsg: Option<File>,
    /// Why the kernel log is not read (for one log line), when it is not.
    pub kmsg_error: Option<String>,
    last_counter: Option<(PathBuf, u64)>,
    root: PathBuf,
}

/// `oom_kill N` from a v2 `memory.events` or v1 `memory.oom_control` file.
pub fn parse_oom_kill(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("oom_kill "))
        .and_then(|v| v.trim().parse().ok())
}

impl OomWatch {
    /// Starts watching the real kernel log (from now on) and cgroup files.
    pub fn system() -> OomWatch {
        Self::with(Path::new("/dev/kmsg"), Path::new("/"))
    }

    /// Watches `kmsg` (a `/dev/kmsg`-like device or file) and cgroup files under `root`.
    pub fn with(kmsg: &Path, root: &Path) -> OomWatch {
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(kmsg)
            .and_then(|f| {
                // Only what happens from now on.
                rustix::fs::seek(&f, rustix::fs::SeekFrom::End(0)).map_err(std::io::Error::from)?;
                Ok(f)
            });
        let (kmsg, kmsg_error) = match opened {
            Ok(f) => (Some(f), None),
            Err(e) => (None, Some(format!("{}: {e}", kmsg.display()))),
        };
        OomWatch {
            kmsg,
            kmsg_error,
            last_counter: None,
            root: root.to_owned(),
        }
    }

    /// The kernel's OOM kills since the previous call, and the rise of `cgroup`'s `oom_kill`
    /// counter (0 on the first call or when the cgroup changed or has no counter).
    pub fn poll(&mut self, cgroup: Option<&CgroupMemory>) -> OomEvents {
        let mut ev = OomEvents::default();
        if let Some(f) = &mut self.kmsg {
            // One record per read; EAGAIN at the end, EPIPE when records were overwritten.
            let mut buf = vec![0u8; 8192];
            for _ in 0..10_000 {
                match f.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if let Some(k) = parse_oom_line(&String::from_utf8_lossy(&buf[..n])) {
                            ev.killed.push(k);
                        }
                    }
                    Err(e) if e.raw_os_error() == Some(rustix::io::Errno::PIPE.raw_os_error()) => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => break,
                }
            }
        }
        if let Some(cg) = cgroup {
            let base = match cg.version {
                1 => self.root.join("sys/fs/cgroup/memory"),
                _ => self.root.join("sys/fs/cgroup"),
            };
            let mut dir = base;
            dir.extend(cg.path.split('/').filter(|s| !s.is_empty() && *s != ".."));
            let file = if cg.version == 1 {
                dir.join("memory.oom_control")
            } else {
                dir.join("memory.events")
            };
            if let Some(n) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| parse_oom_kill(&t))
            {
                if let Some((p, last)) = &self.last_counter
                    && *p == file
                {
                    ev.counter_delta = n.saturating_sub(*last);
                }
                self.last_counter = Some((file, n));
            }
        }
        ev
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counter_parsing() {
        assert_eq!(
            parse_oom_kill("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n"),
            Some(2)
        );
        assert_eq!(
            parse_oom_kill("oom_kill_disable 0\nunder_oom 0\noom_kill 5\n"),
            Some(5)
        );
        assert_eq!(parse_oom_kill("max 1\n"), None);
    }

    #[test]
    fn counter_rises_are_reported_from_the_second_poll() {
        let dir = tempfile::tempdir().unwrap();
        let cg = dir.path().join("sys/fs/cgroup/a");
        std::fs::create_dir_all(&cg).unwrap();
        std::fs::write(cg.join("memory.events"), "oom 0\noom_kill 1\n").unwrap();
        let mem = CgroupMemory {
            current_bytes: 1,
            max_bytes: Some(2),
            path: "/a".into(),
            inactive_file_bytes: 0,
            version: 2,
        };
        let mut w = OomWatch::with(&dir.path().join("no-kmsg"), dir.path());
        assert!(w.kmsg_error.is_some());
        assert_eq!(w.poll(Some(&mem)).counter_delta, 0);
        std::fs::write(cg.join("memory.events"), "oom 1\noom_kill 3\n").unwrap();
        assert_eq!(w.poll(Some(&mem)).counter_delta, 2);
        assert_eq!(w.poll(Some(&mem)).counter_delta, 0);
    }
}
