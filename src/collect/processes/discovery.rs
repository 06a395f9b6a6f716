//! Discovery: which PIDs exist, and what devtop remembers of each (name, argv, cwd, owner,
//! read once through sysinfo when a PID appears, again when it exec'd or was reused).
//!
//! Both maps of every PID on the machine — devtop's [`Entry`] map and sysinfo's process list —
//! grow with a spike of processes (a test run, a build forking thousands) and a hash map keeps
//! its capacity when emptied: after a pass leaves one under a quarter full it is given back
//! ([`ProcessCollector::give_back_after_spike`]), so memory follows the processes that exist.

use super::ProcessCollector;
use crate::collect::proc_stat::read_stat;
use crate::model::process::{classify, is_shell_name, matches_words};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::path::{Path, PathBuf};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

/// Below this capacity a map is not worth shrinking (a few dozen KiB at most).
const SHRINK_MIN_CAPACITY: usize = 256;

/// True when a map of `len` entries and `capacity` slots is what is left of a spike: under a
/// quarter full and at least [`SHRINK_MIN_CAPACITY`].
fn sparse(len: usize, capacity: usize) -> bool {
    capacity >= SHRINK_MIN_CAPACITY && len < capacity / 4
}

/// Shrinks a sparse `map` to twice its length (room to grow again without rehashing at once;
/// a quarter-full rule with half-full room never shrinks twice in a row).
pub(super) fn shrink_if_sparse<K: Eq + Hash, V>(map: &mut HashMap<K, V>) {
    if sparse(map.len(), map.capacity()) {
        map.shrink_to(map.len() * 2);
    }
}

/// What devtop remembers of every PID on the machine: what cannot change without an exec.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) name: String,
    pub(super) cmd: Vec<String>,
    /// Parent PID: from discovery, then from each pass's stat read while shown.
    pub(super) ppid: Option<u32>,
    pub(super) uid: Option<u32>,
    pub(super) cwd: Option<PathBuf>,
    pub(super) matched: bool,
    /// A wrapper by its argv (npm, `sh -c`, concurrently) or a shell that does not lead its
    /// session (a subshell; one whose session's leader is gone is a wrapper of its stack).
    pub(super) wrapper: bool,
    pub(super) subshell_of: Option<u32>,
    /// sysinfo start time (s since the epoch) when first seen.
    pub(super) start_time: u64,
}

/// Every numeric entry of /proc: the PIDs of all processes (not threads).
pub fn list_pids(proc_dir: &Path) -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir(proc_dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .collect()
}

fn os_strings(v: &[std::ffi::OsString]) -> Vec<String> {
    v.iter().map(|s| s.to_string_lossy().into_owned()).collect()
}

impl ProcessCollector {
    pub(super) fn entry_from_sysinfo(&self, pid: u32) -> Option<Entry> {
        let p = self.sys.process(Pid::from_u32(pid))?;
        let stat = read_stat(pid);
        let session = stat.as_ref().map(|s| s.session);
        let name = stat.map_or_else(|| p.name().to_string_lossy().into_owned(), |s| s.comm);
        let cmd = crate::redact::argv(&os_strings(p.cmd()));
        let matched = matches_words(&name, &cmd, &self.selection.match_words);
        // A shell without `-c` that does not lead its session is a subshell, `( … ) &`.
        // Session 0: its leader lives outside this PID namespace (a container's runtime), so
        // nothing can be said about it.
        let subshell_of = (is_shell_name(&name) && !classify(&name, &cmd).is_wrapper())
            .then_some(session)
            .flatten()
            .filter(|&sid| sid != pid && sid != 0);
        Some(Entry {
            matched,
            wrapper: classify(&name, &cmd).is_wrapper(),
            subshell_of,
            ppid: p.parent().map(|pp| pp.as_u32()),
            uid: p.user_id().map(|u| **u),
            cwd: p.cwd().map(Path::to_owned),
            start_time: p.start_time(),
            name,
            cmd,
        })
    }

    pub(super) fn refresh(&mut self, pids: &[u32], kind: ProcessRefreshKind) {
        if pids.is_empty() {
            return;
        }
        let list: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
        self.sys
            .refresh_processes_specifics(ProcessesToUpdate::Some(&list), true, kind);
    }

    /// Forget what was cached of `pids` and read their name, argv, cwd and owner again (they
    /// exec'd, or their PID was reused).
    pub(super) fn rediscover(&mut self, pids: &[u32]) {
        self.refresh(
            pids,
            ProcessRefreshKind::nothing()
                .without_tasks()
                .with_cmd(UpdateKind::Always)
                .with_cwd(UpdateKind::Always)
                .with_user(UpdateKind::Always),
        );
        for &pid in pids {
            self.fixed.remove(&pid);
            match self.entry_from_sysinfo(pid) {
                Some(e) => {
                    self.entries.insert(pid, e);
                }
                None => {
                    self.entries.remove(&pid);
                }
            }
        }
    }

    /// Forget the PIDs that are gone and read name, argv, cwd and owner of the new ones.
    /// Returns the PIDs alive now.
    pub(super) fn discover(&mut self, pids: &[u32]) -> HashSet<u32> {
        let alive: HashSet<u32> = pids.iter().copied().collect();
        let dead: Vec<u32> = self
            .entries
            .keys()
            .copied()
            .filter(|p| !alive.contains(p))
            .collect();
        for p in &dead {
            self.entries.remove(p);
            self.fixed.remove(p);
            self.history.remove(p);
            self.ports.remove(p);
        }
        let new: Vec<u32> = pids
            .iter()
            .copied()
            .filter(|p| !self.entries.contains_key(p))
            .collect();
        let discover = ProcessRefreshKind::nothing()
            .without_tasks()
            .with_cmd(UpdateKind::OnlyIfNotSet)
            .with_cwd(UpdateKind::OnlyIfNotSet)
            .with_user(UpdateKind::OnlyIfNotSet);
        let mut touch: Vec<u32> = new.clone();
        touch.extend(&dead);
        self.refresh(&touch, discover);
        for &pid in &new {
            if let Some(e) = self.entry_from_sysinfo(pid) {
                self.entries.insert(pid, e);
            }
        }
        alive
    }

    /// After a pass: shrink the PID maps a spike left sparse. sysinfo's process list cannot be
    /// shrunk in place, so a sparse one is replaced by a new, empty `System` — nothing is lost:
    /// every read of it ([`entry_from_sysinfo`](Self::entry_from_sysinfo)) follows a refresh
    /// of that PID asking for everything it reads.
    pub(super) fn give_back_after_spike(&mut self) {
        shrink_if_sparse(&mut self.entries);
        shrink_if_sparse(&mut self.fixed);
        shrink_if_sparse(&mut self.history);
        shrink_if_sparse(&mut self.ports);
        let list = self.sys.processes();
        if sparse(list.len(), list.capacity())
            && let Ok(fresh) = System::new()
        {
            self.sys = fresh;
        }
    }

    /// Capacities, in entries, of devtop's PID map and of sysinfo's process list (what the
    /// tests and `benches/scale.rs` watch shrink after a spike).
    pub fn pid_map_capacity(&self) -> (usize, usize) {
        (self.entries.capacity(), self.sys.processes().capacity())
    }

    /// Re-read the name of 1/30 of the unmatched PIDs (at least 20) so a process that exec'd
    /// into node is found within ~30 passes.
    pub(super) fn recheck_round_robin(&mut self) {
        let mut unmatched: Vec<u32> = self
            .entries
            .iter()
            .filter(|(_, e)| !e.matched)
            .map(|(&p, _)| p)
            .collect();
        if unmatched.is_empty() {
            return;
        }
        unmatched.sort_unstable();
        let n = (unmatched.len() / 30).max(20).min(unmatched.len());
        let start = self.rr_cursor % unmatched.len();
        let slice: Vec<u32> = unmatched
            .iter()
            .cycle()
            .skip(start)
            .take(n)
            .copied()
            .collect();
        self.rr_cursor = start + n;
        let changed: Vec<u32> = slice
            .into_iter()
            .filter(|pid| self.name_changed(*pid))
            .collect();
        if changed.is_empty() {
            return;
        }
        self.refresh(
            &changed,
            ProcessRefreshKind::nothing()
                .without_tasks()
                .with_cmd(UpdateKind::Always)
                .with_cwd(UpdateKind::Always)
                // Known already unless sysinfo's list was renewed after a spike.
                .with_user(UpdateKind::OnlyIfNotSet),
        );
        for pid in changed {
            if let Some(e) = self.entry_from_sysinfo(pid) {
                self.entries.insert(pid, e);
            }
        }
    }

    /// True when the current name (`/proc/<pid>/comm`) differs from the remembered one (the
    /// process exec'd).
    pub(super) fn name_changed(&self, pid: u32) -> bool {
        let mut buf = [0u8; 256];
        let now = crate::collect::proc_stat::read_line_file(&format!("/proc/{pid}/comm"), &mut buf);
        match (now, self.entries.get(&pid)) {
            (Some(now), Some(e)) => now.trim_end_matches('\n') != e.name,
            _ => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::suspects::SuspectRules;
    use crate::model::tree::Scope;

    /// Above the kernel's largest PID (`PID_MAX_LIMIT`, 2^22): never in /proc.
    const FAKE_PID: u32 = 1 << 23;

    fn entry(pid: u32) -> Entry {
        Entry {
            name: format!("gone-{pid}"),
            cmd: vec!["node".into(), "x.js".into()],
            ppid: Some(1),
            uid: None,
            cwd: None,
            matched: false,
            wrapper: false,
            subshell_of: None,
            start_time: 0,
        }
    }

    fn collector(root: &Path) -> ProcessCollector {
        ProcessCollector::new(super::super::Selection {
            match_words: vec!["node".into()],
            scope: Scope::User,
            root: root.to_owned(),
            rules: SuspectRules::default(),
            show_own_children: false,
        })
        .unwrap()
    }

    #[test]
    fn a_sparse_map_is_shrunk_and_a_full_or_small_one_kept() {
        let mut m: HashMap<u32, u64> = (0..10_000).map(|i| (i, 0)).collect();
        let full = m.capacity();
        shrink_if_sparse(&mut m);
        assert_eq!(m.capacity(), full, "full: kept");
        m.retain(|&k, _| k < 100);
        shrink_if_sparse(&mut m);
        assert!(
            m.capacity() >= 200 && m.capacity() < 1000,
            "{}",
            m.capacity()
        );
        let after = m.capacity();
        shrink_if_sparse(&mut m);
        assert_eq!(m.capacity(), after, "no churn: shrunk once");
        let mut small: HashMap<u32, u64> = (0..100).map(|i| (i, 0)).collect();
        small.retain(|&k, _| k < 2);
        let cap = small.capacity();
        shrink_if_sparse(&mut small);
        assert_eq!(small.capacity(), cap, "too small to bother");
    }

    #[test]
    fn the_pid_map_gives_back_a_spike_of_ten_thousand_processes() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = collector(dir.path());
        c.collect();
        let steady = c.pid_map_capacity().0;
        // A spike: 10,000 processes discovered, then gone by the next pass.
        for i in 0..10_000 {
            c.entries.insert(FAKE_PID + i, entry(FAKE_PID + i));
        }
        let spiked = c.pid_map_capacity().0;
        assert!(spiked >= 10_000, "{spiked}");
        c.collect();
        assert!(
            c.entries.keys().all(|&p| p < FAKE_PID),
            "the gone are forgotten"
        );
        let after = c.pid_map_capacity().0;
        assert!(
            after < spiked / 4 && after <= 4 * c.entries.len().max(SHRINK_MIN_CAPACITY),
            "capacity {after} after the spike of {spiked} ({} PIDs; {steady} before)",
            c.entries.len()
        );
    }

    /// A child ended (SIGKILL to its PID) and reaped when dropped, also on panic.
    struct Sleeper(std::process::Child);

    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn a_renewed_sysinfo_list_still_reads_what_discovery_needs() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = collector(dir.path());
        c.collect();
        // As after a spike: sysinfo's list starts empty.
        c.sys = System::new().unwrap();
        let child = Sleeper(
            std::process::Command::new("sleep")
                .arg("60")
                .current_dir(dir.path())
                .spawn()
                .unwrap(),
        );
        let pid = child.0.id();
        // Until the child's exec is visible in /proc its argv is the parent's or empty.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()
            != b"sleep\x0060\x00"
        {
            assert!(std::time::Instant::now() < deadline, "sleep never exec'd");
            std::thread::yield_now();
        }
        c.collect();
        let e = c.entries.get(&pid).expect("the new process is discovered");
        assert_eq!(e.cmd, ["sleep", "60"]);
        assert_eq!(e.uid, Some(rustix::process::getuid().as_raw()));
        assert_eq!(e.ppid, Some(std::process::id()));
        assert_eq!(e.cwd, Some(dir.path().canonicalize().unwrap()));
        // A known process whose name changed is read again, owner included.
        c.entries.get_mut(&pid).unwrap().name = "other".into();
        c.sys = System::new().unwrap();
        for _ in 0..10_000 {
            c.recheck_round_robin();
            if c.entries.get(&pid).is_none_or(|e| e.name != "other") {
                break;
            }
        }
        let e = c.entries.get(&pid).expect("still known");
        assert_eq!(
            (e.name.as_str(), e.uid),
            ("sleep", Some(rustix::process::getuid().as_raw()))
        );
        drop(child);
    }
}
