//! Immutable snapshots published by the collectors (latest wins) and read by the UI and the
//! headless commands.

use crate::model::memory::{Assessment, MemorySnapshot};
use crate::model::process::{ProcessInfo, Relation};
use crate::model::suspects::Suspect;
use crate::model::tree::Scope;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

/// One pass of the process collector.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessSnapshot {
    /// When the pass ended.
    pub taken_at: SystemTime,
    /// Shown processes (matched, descendants, context ancestors), sorted by PID.
    pub processes: Vec<ProcessInfo>,
    /// Flagged processes, sorted by PID; at most one per process.
    pub suspects: Vec<Suspect>,
    /// Scope used for this pass.
    pub scope: Scope,
    /// Project root used for project scope.
    pub root: PathBuf,
    /// Number of PIDs on the machine (entries of /proc).
    pub scanned: usize,
    /// False until every shown process has two CPU samples (the first is discarded).
    pub cpu_ready: bool,
    /// Shown processes that belong to a dev server devtop started or adopted (recorded in
    /// `.devtop/state.json`): PID → the server's name. No suspect rule offers them to `K`.
    pub server_members: BTreeMap<u32, String>,
}

impl ProcessSnapshot {
    /// An empty snapshot (before the first pass).
    pub fn empty(scope: Scope, root: PathBuf) -> Self {
        ProcessSnapshot {
            taken_at: SystemTime::UNIX_EPOCH,
            processes: Vec::new(),
            suspects: Vec::new(),
            scope,
            root,
            scanned: 0,
            cpu_ready: false,
            server_members: BTreeMap::new(),
        }
    }

    /// The process with `pid`, if shown.
    pub fn get(&self, pid: u32) -> Option<&ProcessInfo> {
        self.processes
            .binary_search_by_key(&pid, |p| p.pid)
            .ok()
            .map(|i| &self.processes[i])
    }

    /// The suspect record of `pid`, if flagged.
    pub fn suspect_of(&self, pid: u32) -> Option<&Suspect> {
        self.suspects
            .binary_search_by_key(&pid, |s| s.pid)
            .ok()
            .map(|i| &self.suspects[i])
    }

    /// Processes that are not context ancestors (matched and their descendants).
    pub fn dev_processes(&self) -> impl Iterator<Item = &ProcessInfo> {
        self.processes
            .iter()
            .filter(|p| p.relation != Relation::Ancestor)
    }

    /// Total RSS of the dev processes, bytes.
    pub fn dev_rss_bytes(&self) -> u64 {
        self.dev_processes().map(|p| p.rss_bytes).sum()
    }

    /// The `n` dev processes with the largest RSS, largest first.
    pub fn top_rss(&self, n: usize) -> Vec<&ProcessInfo> {
        let mut v: Vec<&ProcessInfo> = self.dev_processes().collect();
        v.sort_by(|a, b| b.rss_bytes.cmp(&a.rss_bytes).then(a.pid.cmp(&b.pid)));
        v.truncate(n);
        v
    }
}

/// Memory pane data: the latest reading, its assessment and the MemAvailable history.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryView {
    /// The latest reading; `None` before the first one or when /proc/meminfo is unreadable.
    pub snapshot: Option<MemorySnapshot>,
    /// Why the last reading failed, if it did.
    pub error: Option<String>,
    /// Level and reasons for the latest reading.
    pub assessment: Option<Assessment>,
    /// Effective available memory, bytes, one sample per refresh over the last 5 minutes.
    pub sparkline: Vec<u64>,
    /// Projected seconds until available memory is exhausted, when it falls steadily.
    pub exhaustion_s: Option<f64>,
    /// The whole machine's CPU (load averages, busy share since the previous reading), read
    /// with the memory; `None` when `/proc/loadavg` is unreadable.
    pub cpu: Option<crate::model::cpu::CpuLoad>,
    /// When the reading was taken: seconds since the collector started (monotonic clock), the
    /// memory guard's time base.
    pub t_s: f64,
    /// What the memory guard reads beside each reading, when the collector watches a project
    /// for it (`None`: it does not; the guard then keeps what it had).
    pub guard: Option<GuardReadings>,
}

/// What the memory guard needs beside a memory reading, read in the same pass.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GuardReadings {
    /// The servers devtop started (`.devtop/state.json`): the guard never ends anything in
    /// them. Empty when the file is missing or unreadable.
    pub servers: Vec<crate::model::guard::ServerGroup>,
    /// The kernel's OOM kills since the collector started (kernel log and the `oom_kill`
    /// counter of the cgroup of this reading).
    pub oom: crate::model::oom_tally::OomTally,
}
