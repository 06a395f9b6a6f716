//! The process collector: discover PIDs with a readdir of /proc, refresh through sysinfo only
//! the PIDs that are new or shown, classify, select, and evaluate the suspect rules.
//!
//! Cost model (a side-terminal monitor must cost nearly nothing): a PID's name, argv, cwd and
//! owner are read once when it appears; afterwards only shown processes (a few dozen) are
//! refreshed (CPU, RSS, state). Unmatched processes are re-checked round-robin, 1/30 of them a
//! pass, in case they exec'd into node. Listening ports are re-read from a process's fds only
//! when the set of listening sockets on the machine changed.

use crate::collect::ports::ListenTable;
use crate::model::process::{
    ProcessInfo, Relation, Role, classify, mask_url_password, matches_words, max_old_space_mib,
};
use crate::model::snapshot::ProcessSnapshot;
use crate::model::suspects::{CpuHistory, SuspectRules, evaluate};
use crate::model::tree::{Node, Scope, select};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};
use sysinfo::{Pid, ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, System, UpdateKind};

/// What the collector looks for; changeable between passes (key `s` toggles the scope).
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Words matched against process names and argv.
    pub match_words: Vec<String>,
    /// User or project scope.
    pub scope: Scope,
    /// Project root for project scope.
    pub root: PathBuf,
    /// Suspect thresholds.
    pub rules: SuspectRules,
}

/// What devtop remembers of every PID on the machine.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    cmd: Vec<String>,
    ppid: Option<u32>,
    uid: Option<u32>,
    cwd: Option<PathBuf>,
    matched: bool,
    /// sysinfo start time (s since the epoch) when first seen: a change means PID reuse.
    start_time: u64,
}

/// Per shown PID, read once from `/proc/<pid>/stat` and environ.
#[derive(Debug, Clone)]
struct Fixed {
    start_ticks: u64,
    sid: u32,
    pgrp: u32,
    tty_nr: i32,
    node_options: Option<String>,
}

/// Stateful collector; one pass = [`ProcessCollector::collect`]. Not `Sync`: run it on one
/// blocking task.
pub struct ProcessCollector {
    sys: System,
    entries: HashMap<u32, Entry>,
    fixed: HashMap<u32, Fixed>,
    history: HashMap<u32, CpuHistory>,
    ports: HashMap<u32, Vec<u16>>,
    listen_fingerprint: u64,
    shown_before: HashSet<u32>,
    rr_cursor: usize,
    passes: u64,
    origin: Instant,
    my_uid: u32,
    /// The current selection.
    pub selection: Selection,
}

/// Every numeric entry of /proc: the PIDs of all processes (not threads).
pub fn list_pids(proc_dir: &Path) -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir(proc_dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .collect()
}

fn state_char(s: ProcessStatus) -> char {
    match s {
        ProcessStatus::Run => 'R',
        ProcessStatus::Sleep => 'S',
        ProcessStatus::Idle => 'I',
        ProcessStatus::Zombie => 'Z',
        ProcessStatus::Stop => 'T',
        ProcessStatus::Tracing => 't',
        ProcessStatus::Dead => 'X',
        ProcessStatus::UninterruptibleDiskSleep => 'D',
        ProcessStatus::Parked => 'P',
        ProcessStatus::Wakekill => 'K',
        ProcessStatus::Waking => 'W',
        _ => '?',
    }
}

fn os_strings(v: &[std::ffi::OsString]) -> Vec<String> {
    v.iter().map(|s| s.to_string_lossy().into_owned()).collect()
}

/// NODE_OPTIONS from `/proc/<pid>/environ` (None when unset or unreadable).
fn read_node_options(pid: u32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    raw.split(|&b| b == 0).find_map(|kv| {
        kv.strip_prefix(b"NODE_OPTIONS=")
            .map(|v| String::from_utf8_lossy(v).into_owned())
    })
}

/// The current name from `/proc/<pid>/comm` (changes on exec), without the newline.
fn read_comm(pid: u32) -> Option<String> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(s.trim_end_matches('\n').to_owned())
}

fn read_fixed(pid: u32) -> Option<Fixed> {
    let stat = procfs::process::Process::new(pid as i32)
        .ok()?
        .stat()
        .ok()?;
    Some(Fixed {
        start_ticks: stat.starttime,
        sid: stat.session.max(0) as u32,
        pgrp: stat.pgrp.max(0) as u32,
        tty_nr: stat.tty_nr,
        node_options: read_node_options(pid),
    })
}

impl ProcessCollector {
    /// A collector for `selection`. Errors when sysinfo cannot be initialised.
    pub fn new(selection: Selection) -> Result<Self, sysinfo::Error> {
        Ok(ProcessCollector {
            sys: System::new()?,
            entries: HashMap::new(),
            fixed: HashMap::new(),
            history: HashMap::new(),
            ports: HashMap::new(),
            listen_fingerprint: 0,
            shown_before: HashSet::new(),
            rr_cursor: 0,
            passes: 0,
            origin: Instant::now(),
            my_uid: rustix::process::getuid().as_raw(),
            selection,
        })
    }

    fn entry_from_sysinfo(&self, pid: u32) -> Option<Entry> {
        let p = self.sys.process(Pid::from_u32(pid))?;
        let name = read_comm(pid).unwrap_or_else(|| p.name().to_string_lossy().into_owned());
        let cmd: Vec<String> = os_strings(p.cmd())
            .iter()
            .map(|w| mask_url_password(w))
            .collect();
        let matched = matches_words(&name, &cmd, &self.selection.match_words);
        Some(Entry {
            matched,
            ppid: p.parent().map(|pp| pp.as_u32()),
            uid: p.user_id().map(|u| **u),
            cwd: p.cwd().map(Path::to_owned),
            start_time: p.start_time(),
            name,
            cmd,
        })
    }

    fn refresh(&mut self, pids: &[u32], kind: ProcessRefreshKind) {
        if pids.is_empty() {
            return;
        }
        let list: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
        self.sys
            .refresh_processes_specifics(ProcessesToUpdate::Some(&list), true, kind);
    }

    /// One pass: returns the shown processes with their suspects. Never fails: unreadable
    /// processes (gone, other users') are skipped or shown with what could be read.
    pub fn collect(&mut self) -> ProcessSnapshot {
        self.passes += 1;
        let now_s = self.origin.elapsed().as_secs_f64();
        let pids = list_pids(Path::new("/proc"));
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
        self.recheck_round_robin();

        let kept = self.select();
        let kept_pids: Vec<u32> = kept.keys().copied().collect();
        self.refresh(
            &kept_pids,
            ProcessRefreshKind::nothing()
                .without_tasks()
                .with_cpu()
                .with_memory(),
        );
        // PID reused between passes (same number, other start time): forget everything cached.
        let reused: Vec<u32> = kept_pids
            .iter()
            .copied()
            .filter(|pid| {
                let now = self
                    .sys
                    .process(Pid::from_u32(*pid))
                    .map(|p| p.start_time());
                matches!((now, self.entries.get(pid)), (Some(t), Some(e)) if t != e.start_time)
            })
            .collect();
        for pid in &reused {
            self.fixed.remove(pid);
            self.history.remove(pid);
            self.ports.remove(pid);
            self.shown_before.remove(pid);
            if let Some(e) = self.entry_from_sysinfo(*pid) {
                self.entries.insert(*pid, e);
            }
        }
        for &pid in &kept_pids {
            let parent = self
                .sys
                .process(Pid::from_u32(pid))
                .map(|p| p.parent().map(|pp| pp.as_u32()));
            if let (Some(ppid), Some(e)) = (parent, self.entries.get_mut(&pid)) {
                e.ppid = ppid;
            }
        }
        // A shown process that exec'd (sh → node) changed its name: read its argv again.
        // sysinfo reads a name only once, so ask /proc/<pid>/comm (one small read per shown
        // process): a wrapper (sh -c, a node shim) that exec'd gets its new name, argv, role.
        let renamed: Vec<u32> = kept_pids
            .iter()
            .copied()
            .filter(|pid| self.name_changed(*pid))
            .collect();
        if !renamed.is_empty() {
            self.refresh(
                &renamed,
                ProcessRefreshKind::nothing()
                    .without_tasks()
                    .with_cmd(UpdateKind::Always),
            );
            for &pid in &renamed {
                if let Some(e) = self.entry_from_sysinfo(pid) {
                    self.entries.insert(pid, e);
                }
            }
        }
        let table = ListenTable::read();
        let fp = table.fingerprint();
        let rescan_all = fp != self.listen_fingerprint;
        self.listen_fingerprint = fp;

        let mut procs = Vec::with_capacity(kept.len());
        for (&pid, &relation) in &kept {
            let Some(p) = self.sys.process(Pid::from_u32(pid)) else {
                continue;
            };
            let Some(entry) = self.entries.get(&pid) else {
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(slot) = self.fixed.entry(pid) {
                match read_fixed(pid) {
                    Some(f) => {
                        slot.insert(f);
                    }
                    None => continue,
                }
            }
            let Some(fixed) = self.fixed.get(&pid) else {
                continue;
            };
            let cpu_time_s = p.accumulated_cpu_time() as f64 / 1000.0;
            if relation != Relation::Ancestor {
                self.history.entry(pid).or_default().push(now_s, cpu_time_s);
            }
            if rescan_all || !self.ports.contains_key(&pid) {
                let ports = crate::collect::ports::listening_ports(pid, &table);
                self.ports.insert(pid, ports);
            }
            procs.push(ProcessInfo {
                pid,
                ppid: p.parent().map(|pp| pp.as_u32()),
                name: entry.name.clone(),
                role: match classify(&entry.name, &entry.cmd) {
                    // Context and descendants that match nothing (bash, esbuild) are "other".
                    Role::Node if !entry.matched => Role::Other,
                    r => r,
                },
                relation,
                state: state_char(p.status()),
                start_time: p.start_time(),
                start_ticks: fixed.start_ticks,
                age_s: p.run_time(),
                // sysinfo reports 0 for a process that had used no CPU at its previous sample;
                // the history's last interval is exact for shown dev processes.
                cpu_percent: match self
                    .history
                    .get(&pid)
                    .and_then(CpuHistory::last_interval_percent)
                {
                    Some(c) => c as f32,
                    None if self.shown_before.contains(&pid) => p.cpu_usage(),
                    None => 0.0,
                },
                rss_bytes: p.memory(),
                cwd: entry.cwd.clone(),
                max_old_space_mib: max_old_space_mib(&entry.cmd, fixed.node_options.as_deref()),
                node_options: fixed.node_options.clone(),
                cmd: entry.cmd.clone(),
                ports: self.ports.get(&pid).cloned().unwrap_or_default(),
                uid: entry.uid,
                pgrp: fixed.pgrp,
                tty_nr: fixed.tty_nr,
                sid: fixed.sid,
                session_leader_alive: fixed.sid == pid || self.entries.contains_key(&fixed.sid),
                cpu_time_s,
            });
        }
        let keep: HashSet<u32> = kept.keys().copied().collect();
        self.history.retain(|pid, _| keep.contains(pid));
        self.fixed.retain(|pid, _| keep.contains(pid));
        self.ports.retain(|pid, _| keep.contains(pid));
        procs.sort_by_key(|p| p.pid);
        let entries = &self.entries;
        let suspects = evaluate(&procs, &self.history, &self.selection.rules, &|pid| {
            entries.get(&pid).map(|e| e.name.clone())
        });
        let cpu_ready = procs.iter().all(|p| self.shown_before.contains(&p.pid));
        self.shown_before = keep;
        ProcessSnapshot {
            taken_at: SystemTime::now(),
            processes: procs,
            suspects,
            scope: self.selection.scope,
            root: self.selection.root.clone(),
            scanned: pids.len(),
            cpu_ready,
        }
    }

    /// Re-read the name of 1/30 of the unmatched PIDs (at least 20) so a process that exec'd
    /// into node is found within ~30 passes.
    fn recheck_round_robin(&mut self) {
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

    fn select(&self) -> HashMap<u32, Relation> {
        let nodes: HashMap<u32, Node<'_>> = self
            .entries
            .iter()
            .map(|(&pid, e)| {
                (
                    pid,
                    Node {
                        ppid: e.ppid,
                        matched: e.matched,
                        uid: e.uid,
                        cwd: e.cwd.as_deref(),
                    },
                )
            })
            .collect();
        select(
            &nodes,
            self.selection.scope,
            &self.selection.root,
            self.my_uid,
            std::process::id(),
        )
    }

    /// True when `/proc/<pid>/comm` differs from the remembered name (the process exec'd).
    fn name_changed(&self, pid: u32) -> bool {
        match (read_comm(pid), self.entries.get(&pid)) {
            (Some(now), Some(e)) => now != e.name,
            _ => false,
        }
    }

    /// Number of passes so far.
    pub fn passes(&self) -> u64 {
        self.passes
    }
}
