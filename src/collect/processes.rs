//! The process collector: discover PIDs with a readdir of /proc, read name, argv, cwd and
//! owner once through sysinfo when a PID appears, then re-read `/proc/<pid>/stat` of every shown
//! process each pass, classify, select, and evaluate the suspect rules.
//!
//! Cost model (a side-terminal monitor must cost nearly nothing): a PID's name, argv, cwd and
//! owner are read once when it appears; afterwards only shown processes (a few dozen) are read
//! again, one `/proc/<pid>/stat` each, which holds everything that changes during a process's
//! life (state, parent, process group, session, controlling terminal, CPU time, RSS, and the
//! name that tells an exec). Unmatched processes are re-checked round-robin, 1/30 of them a
//! pass, in case they exec'd into node. Listening ports are re-read from a process's fds only
//! when the set of listening sockets on the machine changed.

use crate::collect::migrate_target::migrate_target;
use crate::collect::ports::ListenTable;
use crate::collect::proc_stat::{LiveStat, clock_and_page, read_environ, read_stat, read_wchar};
use crate::model::process::{
    ProcessInfo, Relation, Role, classify, is_shell_name, matches_words, max_old_space_mib,
};
use crate::model::snapshot::ProcessSnapshot;
use crate::model::suspects::{CpuHistory, SuspectRules, evaluate};
use crate::model::tree::{Node, Scope, Viewer, select};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind};

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
    /// List the processes devtop itself started (only the demo's stand-ins); false elsewhere.
    pub show_own_children: bool,
}

/// What devtop remembers of every PID on the machine: what cannot change without an exec.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    cmd: Vec<String>,
    /// Parent PID: from discovery, then from each pass's stat read while shown.
    ppid: Option<u32>,
    uid: Option<u32>,
    cwd: Option<PathBuf>,
    matched: bool,
    /// A wrapper by its argv (npm, `sh -c`, concurrently) or a shell that does not lead its
    /// session (a subshell; one whose session's leader is gone is a wrapper of its stack).
    wrapper: bool,
    subshell_of: Option<u32>,
    /// sysinfo start time (s since the epoch) when first seen.
    start_time: u64,
}

/// Per shown PID, read once: the identity and what only an exec could change.
#[derive(Debug, Clone)]
struct Fixed {
    start_ticks: u64,
    node_options: Option<String>,
    migrate_target: Option<String>,
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
    rr_cursor: usize,
    passes: u64,
    origin: Instant,
    my_uid: u32,
    ticks_per_s: f64,
    page_size: u64,
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

fn os_strings(v: &[std::ffi::OsString]) -> Vec<String> {
    v.iter().map(|s| s.to_string_lossy().into_owned()).collect()
}

impl ProcessCollector {
    /// A collector for `selection`. Errors when sysinfo cannot be initialised.
    pub fn new(selection: Selection) -> Result<Self, sysinfo::Error> {
        let (ticks_per_s, page_size) = clock_and_page();
        Ok(ProcessCollector {
            sys: System::new()?,
            entries: HashMap::new(),
            fixed: HashMap::new(),
            history: HashMap::new(),
            ports: HashMap::new(),
            listen_fingerprint: 0,
            rr_cursor: 0,
            passes: 0,
            origin: Instant::now(),
            my_uid: rustix::process::getuid().as_raw(),
            ticks_per_s,
            page_size,
            selection,
        })
    }

    fn entry_from_sysinfo(&self, pid: u32) -> Option<Entry> {
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

    fn refresh(&mut self, pids: &[u32], kind: ProcessRefreshKind) {
        if pids.is_empty() {
            return;
        }
        let list: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
        self.sys
            .refresh_processes_specifics(ProcessesToUpdate::Some(&list), true, kind);
    }

    /// Forget what was cached of `pids` and read their name, argv, cwd and owner again (they
    /// exec'd, or their PID was reused).
    fn rediscover(&mut self, pids: &[u32]) {
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

        let mut kept = self.select();
        // Everything that changes during a process's life, re-read every pass.
        let mut live: HashMap<u32, LiveStat> = HashMap::with_capacity(kept.len());
        for &pid in kept.keys() {
            if let Some(st) = read_stat(pid) {
                live.insert(pid, st);
            }
        }
        // An exec (sh → node, npm retitling itself) changes the name; a reused PID the start
        // time: read argv and the rest again.
        let changed: Vec<u32> = live
            .iter()
            .filter(|(pid, st)| {
                self.entries.get(pid).is_some_and(|e| e.name != st.comm)
                    || self
                        .fixed
                        .get(pid)
                        .is_some_and(|f| f.start_ticks != st.start_ticks)
            })
            .map(|(&pid, _)| pid)
            .collect();
        for pid in &changed {
            if self.fixed.get(pid).is_some_and(|f| {
                live.get(pid)
                    .is_some_and(|st| st.start_ticks != f.start_ticks)
            }) {
                self.history.remove(pid);
                self.ports.remove(pid);
            }
        }
        self.rediscover(&changed);
        let mut reselect = !changed.is_empty();
        for (pid, st) in &live {
            if let Some(e) = self.entries.get_mut(pid)
                && e.ppid != st.ppid
            {
                e.ppid = st.ppid;
                reselect = true;
            }
        }
        // A process that retitled itself (npm) or was reparented this pass is shown as what
        // it is now, not as it was at discovery.
        if reselect {
            kept = self.select();
            for &pid in kept.keys() {
                if !live.contains_key(&pid)
                    && let Some(st) = read_stat(pid)
                {
                    live.insert(pid, st);
                }
            }
        }
        let table = ListenTable::read();
        let fp = table.fingerprint();
        let rescan_all = fp != self.listen_fingerprint;
        self.listen_fingerprint = fp;
        let now_epoch = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());

        // Whether each session's leader (a terminal's shell) still runs: a zombie leader is a
        // closed terminal whose shell was not reaped yet.
        let mut leaders: HashMap<u32, bool> = HashMap::new();
        let mut procs = Vec::with_capacity(kept.len());
        for (&pid, &relation) in &kept {
            let (Some(st), Some(entry)) = (live.get(&pid), self.entries.get(&pid)) else {
                continue;
            };
            let role = match classify(&entry.name, &entry.cmd) {
                // A subshell of a terminal that is gone is a wrapper of the stack below it.
                Role::Node | Role::Other
                    if entry.subshell_of.is_some_and(|sid| !alive.contains(&sid)) =>
                {
                    Role::Shell
                }
                // Context and descendants that match nothing (bash, esbuild) are "other".
                Role::Node if !entry.matched => Role::Other,
                r => r,
            };
            let fixed = self.fixed.entry(pid).or_insert_with(|| {
                let (node_options, database_url) = read_environ(pid);
                let migrate_target = matches!(role, Role::PrismaMigrate | Role::PrismaDb)
                    .then(|| {
                        migrate_target(database_url.as_deref(), &entry.cmd, entry.cwd.as_deref())
                    })
                    .flatten();
                Fixed {
                    start_ticks: st.start_ticks,
                    node_options,
                    migrate_target,
                }
            });
            let cpu_time_s = st.cpu_ticks as f64 / self.ticks_per_s;
            let hist = self.history.entry(pid).or_default();
            hist.push(now_s, cpu_time_s);
            let cpu_percent = hist.last_interval_percent();
            if rescan_all || !self.ports.contains_key(&pid) {
                let ports = crate::collect::ports::listening_ports(pid, &table);
                self.ports.insert(pid, ports);
            }
            procs.push(ProcessInfo {
                pid,
                ppid: st.ppid,
                name: entry.name.clone(),
                role,
                relation,
                state: st.state,
                start_time: entry.start_time,
                start_ticks: fixed.start_ticks,
                age_s: now_epoch.saturating_sub(entry.start_time),
                cpu_percent: cpu_percent.unwrap_or(0.0) as f32,
                cpu_sampled: cpu_percent.is_some(),
                rss_bytes: st.rss_pages * self.page_size,
                cwd: entry.cwd.clone(),
                max_old_space_mib: max_old_space_mib(&entry.cmd, fixed.node_options.as_deref()),
                node_options: fixed.node_options.clone(),
                cmd: entry.cmd.clone(),
                ports: self.ports.get(&pid).cloned().unwrap_or_default(),
                uid: entry.uid,
                pgrp: st.pgrp,
                tty_nr: st.tty_nr,
                sid: st.session,
                // Session 0's leader is outside this PID namespace: alive as far as we know.
                session_leader_alive: *leaders.entry(st.session).or_insert_with(|| {
                    st.session == pid
                        || st.session == 0
                        || live
                            .get(&st.session)
                            .map(|l| l.state)
                            .or_else(|| read_stat(st.session).map(|l| l.state))
                            .is_some_and(|state| state != 'Z')
                }),
                cpu_time_s,
                migrate_target: fixed.migrate_target.clone(),
            });
        }
        let keep: HashSet<u32> = kept.keys().copied().collect();
        self.history.retain(|pid, _| keep.contains(pid));
        self.fixed.retain(|pid, _| keep.contains(pid));
        self.ports.retain(|pid, _| keep.contains(pid));
        procs.sort_by_key(|p| p.pid);
        self.sample_writes(&procs, now_s);
        let entries = &self.entries;
        let suspects = evaluate(&procs, &self.history, &self.selection.rules, &|pid| {
            entries.get(&pid).map(|e| e.name.clone())
        });
        ProcessSnapshot {
            taken_at: SystemTime::now(),
            processes: procs,
            suspects,
            scope: self.selection.scope,
            root: self.selection.root.clone(),
            scanned: pids.len(),
            // The header's "sampling…": until the first pass's processes have two samples.
            cpu_ready: self.passes > 1,
        }
    }

    /// Output of migrate runs and everything below them (`wchar` of `/proc/<pid>/io`): a
    /// migrate whose output moves is working, not hung. Read only for those few processes.
    fn sample_writes(&mut self, procs: &[ProcessInfo], now_s: f64) {
        for pid in crate::model::migrate_rules::runs_and_below(procs) {
            if let (Some(w), Some(h)) = (read_wchar(pid), self.history.get_mut(&pid)) {
                h.push_written(now_s, w);
            }
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
                        // A wrapper naming a tool (`sh -c vite`, `npm exec tsx …`) is shown
                        // as part of the tool's stack, not as a match of its own.
                        matched: e.matched && !e.wrapper,
                        uid: e.uid,
                        cwd: e.cwd.as_deref(),
                        // A subshell is part of a stack only once its terminal's session is
                        // gone; while it lives it is the user's shell, context.
                        wrapper: e.wrapper
                            || e.subshell_of
                                .is_some_and(|sid| !self.entries.contains_key(&sid)),
                    },
                )
            })
            .collect();
        select(
            &nodes,
            self.selection.scope,
            &self.selection.root,
            &Viewer {
                uid: self.my_uid,
                pid: std::process::id(),
                show_own_children: self.selection.show_own_children,
            },
        )
    }

    /// True when the current name (`/proc/<pid>/comm`) differs from the remembered one (the
    /// process exec'd).
    fn name_changed(&self, pid: u32) -> bool {
        let now = std::fs::read_to_string(format!("/proc/{pid}/comm"));
        match (now, self.entries.get(&pid)) {
            (Ok(now), Some(e)) => now.trim_end_matches('\n') != e.name,
            _ => false,
        }
    }

    /// True when a migrate run in `snap` needs more samples before the hung rule can judge it
    /// (see [`crate::model::migrate_rules::wants_longer_sample`]).
    pub fn wants_longer_sample(&self, snap: &ProcessSnapshot) -> bool {
        crate::model::migrate_rules::wants_longer_sample(
            &snap.processes,
            &self.history,
            &self.selection.rules,
        )
    }

    /// Number of passes so far.
    pub fn passes(&self) -> u64 {
        self.passes
    }
}
