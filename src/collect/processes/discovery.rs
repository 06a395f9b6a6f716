//! Discovery: which PIDs exist, and what devtop remembers of each (name, argv, cwd, owner,
//! read once through sysinfo when a PID appears, again when it exec'd or was reused).

use super::ProcessCollector;
use crate::collect::proc_stat::read_stat;
use crate::model::process::{classify, is_shell_name, matches_words};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, UpdateKind};

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
                .with_cwd(UpdateKind::Always),
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
