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
use crate::model::process::{ProcessInfo, Relation, Role, classify, max_old_space_mib};
use crate::model::snapshot::ProcessSnapshot;
use crate::model::suspects::{CpuHistory, SuspectRules, evaluate_with_servers};
use crate::model::tree::{Node, Scope, Viewer, select};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};
use sysinfo::System;

mod discovery;
use discovery::Entry;
pub use discovery::list_pids;

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
    /// The project's recorded dev servers (`.devtop/state.json`, re-read when it changes).
    servers: crate::collect::server_groups::Watch,
    /// The current selection.
    pub selection: Selection,
}

/// The role of a shown process now: a subshell of a terminal that is gone is a wrapper
/// (shell) of the stack below it; context and descendants that match nothing (bash, esbuild)
/// are "other".
fn role_now(entry: &Entry, alive: &HashSet<u32>) -> Role {
    match classify(&entry.name, &entry.cmd) {
        Role::Node | Role::Other if entry.subshell_of.is_some_and(|sid| !alive.contains(&sid)) => {
            Role::Shell
        }
        Role::Node if !entry.matched => Role::Other,
        r => r,
    }
}

/// What one pass knows besides the collector's caches.
struct Pass {
    /// Seconds since the collector's origin (the CPU histories' clock).
    now_s: f64,
    /// Seconds since the epoch (for ages).
    now_epoch: u64,
    /// Every PID in /proc.
    alive: HashSet<u32>,
    /// `/proc/<pid>/stat` of every shown process.
    live: HashMap<u32, LiveStat>,
    /// The machine's listening sockets.
    table: ListenTable,
    /// The set of listening sockets changed: re-read every shown process's ports.
    rescan_all: bool,
    /// Whether each session's leader (a terminal's shell) still runs: a zombie leader is a
    /// closed terminal whose shell was not reaped yet. Filled as sessions come up.
    leaders: HashMap<u32, bool>,
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
            servers: Default::default(),
            selection,
        })
    }

    /// One pass: returns the shown processes with their suspects. Never fails: unreadable
    /// processes (gone, other users') are skipped or shown with what could be read.
    pub fn collect(&mut self) -> ProcessSnapshot {
        self.passes += 1;
        let now_s = self.origin.elapsed().as_secs_f64();
        let pids = list_pids(Path::new("/proc"));
        let alive = self.discover(&pids);
        self.recheck_round_robin();
        let (kept, live) = self.shown_with_stats();
        let table = ListenTable::read();
        let fp = table.fingerprint();
        let rescan_all = fp != self.listen_fingerprint;
        self.listen_fingerprint = fp;
        let mut pass = Pass {
            now_s,
            now_epoch: SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            alive,
            live,
            table,
            rescan_all,
            leaders: HashMap::new(),
        };
        let procs: Vec<ProcessInfo> = kept
            .iter()
            .filter_map(|(&pid, &relation)| self.process_info(pid, relation, &mut pass))
            .collect();
        self.finish(procs, &kept, pids.len(), now_s)
    }

    /// The shown processes with their relation, and the `/proc/<pid>/stat` of each (everything
    /// that changes during a process's life, re-read every pass). A process that exec'd, had
    /// its PID reused or was reparented is read again and the selection redone.
    fn shown_with_stats(&mut self) -> (HashMap<u32, Relation>, HashMap<u32, LiveStat>) {
        let mut kept = self.select();
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
        (kept, live)
    }

    /// The shown process `pid` as of this pass (`None` when its stat or entry is missing):
    /// role, identity read once, CPU sample, ports, session leader state.
    fn process_info(
        &mut self,
        pid: u32,
        relation: Relation,
        pass: &mut Pass,
    ) -> Option<ProcessInfo> {
        let (Some(st), Some(entry)) = (pass.live.get(&pid), self.entries.get(&pid)) else {
            return None;
        };
        let role = role_now(entry, &pass.alive);
        let my_uid = self.my_uid;
        let fixed = self.fixed.entry(pid).or_insert_with(|| {
            // Another user's environment is none of devtop's business (and, as root, readable).
            let (node_options, database_url) = if entry.uid == Some(my_uid) {
                read_environ(pid)
            } else {
                (None, None)
            };
            let migrate_target = matches!(role, Role::PrismaMigrate | Role::PrismaDb)
                .then(|| migrate_target(database_url.as_deref(), &entry.cmd, entry.cwd.as_deref()))
                .flatten();
            Fixed {
                start_ticks: st.start_ticks,
                node_options,
                migrate_target,
            }
        });
        let cpu_time_s = st.cpu_ticks as f64 / self.ticks_per_s;
        let hist = self.history.entry(pid).or_default();
        hist.push(pass.now_s, cpu_time_s);
        let cpu_percent = hist.last_interval_percent();
        if pass.rescan_all || !self.ports.contains_key(&pid) {
            let ports = crate::collect::ports::listening_ports(pid, &pass.table);
            self.ports.insert(pid, ports);
        }
        let live = &pass.live;
        // Session 0's leader is outside this PID namespace: alive as far as we know.
        let session_leader_alive = *pass.leaders.entry(st.session).or_insert_with(|| {
            st.session == pid
                || st.session == 0
                || live
                    .get(&st.session)
                    .map(|l| l.state)
                    .or_else(|| read_stat(st.session).map(|l| l.state))
                    .is_some_and(|state| state != 'Z')
        });
        Some(ProcessInfo {
            pid,
            ppid: st.ppid,
            name: entry.name.clone(),
            role,
            relation,
            state: st.state,
            start_time: entry.start_time,
            start_ticks: fixed.start_ticks,
            age_s: pass.now_epoch.saturating_sub(entry.start_time),
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
            session_leader_alive,
            cpu_time_s,
            migrate_target: fixed.migrate_target.clone(),
        })
    }

    /// Drop the caches of processes no longer shown (and the room a spike of processes left
    /// in them), sample migrate output, evaluate the suspect rules and assemble the snapshot
    /// (`scanned` PIDs in /proc).
    fn finish(
        &mut self,
        mut procs: Vec<ProcessInfo>,
        kept: &HashMap<u32, Relation>,
        scanned: usize,
        now_s: f64,
    ) -> ProcessSnapshot {
        self.history.retain(|pid, _| kept.contains_key(pid));
        self.fixed.retain(|pid, _| kept.contains_key(pid));
        self.ports.retain(|pid, _| kept.contains_key(pid));
        self.give_back_after_spike();
        procs.sort_by_key(|p| p.pid);
        self.sample_writes(&procs, now_s);
        let entries = &self.entries;
        // The dev servers devtop started or adopted (`.devtop/state.json`, a small file):
        // their processes are never offered to `K` (model::suspects::evaluate_with_servers).
        let groups = self.servers.servers(&self.selection.root);
        let server_members = crate::model::guard::server_members(&procs, groups);
        let suspects = evaluate_with_servers(
            &procs,
            &self.history,
            &self.selection.rules,
            &|pid| entries.get(&pid).map(|e| e.name.clone()),
            &server_members,
        );
        ProcessSnapshot {
            taken_at: SystemTime::now(),
            processes: procs,
            suspects,
            scope: self.selection.scope,
            root: self.selection.root.clone(),
            scanned,
            // The header's "sampling…": until the first pass's processes have two samples.
            cpu_ready: self.passes > 1,
            server_members,
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
