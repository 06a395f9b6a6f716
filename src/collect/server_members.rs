//! Which processes belong to a started server: its session and process group (the server was
//! started with `setsid`, so both IDs are the leader's PID), plus descendants that left them
//! (a child that called `setsid` or `setpgid` elsewhere), found through parent links. An
//! adopted server (not started by devtop) is only its process and its descendants. Read
//! only: stopping them is [`crate::effects::servers::stop`].

use crate::model::server_state::Recorded;
use std::collections::{BTreeMap, BTreeSet};

/// One live process as scanned from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// Its PID.
    pub pid: u32,
    /// Its start time, clock ticks since boot.
    pub start_ticks: u64,
}

/// One `/proc/<pid>/stat` row: `(ppid, pgrp, session, start_ticks)`.
type Row = (u32, u32, u32, u64);

/// The live (not zombie) processes of `server`, ascending PIDs: every process whose session or
/// process group is the server's and which started no earlier than the server, and every
/// descendant of one of those. Never PID 1, devtop itself or one of its ancestors; nothing for
/// a group ID of 0 or 1. One `/proc` scan;
/// processes unreadable or vanishing during it are skipped.
pub fn scan(server: &Recorded) -> Vec<Member> {
    if server.pgid <= 1 {
        return Vec::new();
    }
    ProcTable::read().members(server)
}

/// One scan of `/proc`: every live process's `/proc/<pid>/stat` row and RSS, so the members of
/// several servers (and their memory) are found without re-reading `/proc` per server.
pub struct ProcTable {
    rows: BTreeMap<u32, Row>,
    /// Resident pages per PID (`rss` of `/proc/<pid>/stat`).
    rss_pages: BTreeMap<u32, u64>,
    protected: BTreeSet<u32>,
}

impl ProcTable {
    /// Reads every process once; processes unreadable or vanishing during it are skipped.
    pub fn read() -> Self {
        let mut rows: BTreeMap<u32, Row> = BTreeMap::new();
        let mut rss_pages = BTreeMap::new();
        if let Ok(all) = procfs::process::all_processes() {
            for process in all.flatten() {
                let Ok(stat) = process.stat() else { continue };
                if matches!(stat.state, 'Z' | 'X') {
                    continue;
                }
                let (Ok(pid), Ok(ppid), Ok(pgrp), Ok(sid)) = (
                    u32::try_from(stat.pid),
                    u32::try_from(stat.ppid),
                    u32::try_from(stat.pgrp),
                    u32::try_from(stat.session),
                ) else {
                    continue;
                };
                rows.insert(pid, (ppid, pgrp, sid, stat.starttime));
                rss_pages.insert(pid, stat.rss);
            }
        }
        Self {
            rows,
            rss_pages,
            protected: protected(),
        }
    }

    /// The members of `server` (see [`scan`]); nothing for a group ID of 0 or 1.
    pub fn members(&self, server: &Recorded) -> Vec<Member> {
        if server.pgid <= 1 {
            return Vec::new();
        }
        select(server, &self.rows, &self.protected)
    }

    /// Resident set size of `pid` in pages, 0 when it was not read.
    pub fn rss_pages(&self, pid: u32) -> u64 {
        self.rss_pages.get(&pid).copied().unwrap_or(0)
    }
}

/// devtop and its ancestors: never members, whatever `/proc` says.
fn protected() -> BTreeSet<u32> {
    let mut out = BTreeSet::new();
    let mut at = std::process::id();
    while at > 1 && out.insert(at) {
        match crate::collect::identity::read_identity(at) {
            Ok(id) => at = id.ppid,
            Err(_) => break,
        }
    }
    out
}

/// The members of `server` among `rows` (pid → row), see [`scan`]. Pure.
fn select(server: &Recorded, rows: &BTreeMap<u32, Row>, protected: &BTreeSet<u32>) -> Vec<Member> {
    let group = server.pgid;
    let mut set: BTreeSet<u32> = if server.adopted {
        // Not started by devtop: its group may be a shell's job, so only the process itself
        // (still the one adopted) and its descendants.
        rows.get(&server.pid)
            .filter(|r| r.3 == server.start_ticks)
            .map(|_| server.pid)
            .into_iter()
            .collect()
    } else {
        rows.iter()
            .filter(|(_, (_, pgrp, sid, start))| {
                (*pgrp == group || *sid == group) && *start >= server.start_ticks
            })
            .map(|(pid, _)| *pid)
            .collect()
    };
    // Descendants: repeat until no process's parent is newly a member.
    loop {
        let more: Vec<u32> = rows
            .iter()
            .filter(|(pid, (ppid, ..))| !set.contains(pid) && set.contains(ppid))
            .map(|(pid, _)| *pid)
            .collect();
        if more.is_empty() {
            break;
        }
        set.extend(more);
    }
    set.into_iter()
        .filter(|pid| *pid > 1 && !protected.contains(pid))
        .filter_map(|pid| {
            rows.get(&pid).map(|r| Member {
                pid,
                start_ticks: r.3,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn session_group_and_descendants_that_left_them() {
        let server = Recorded {
            name: "api".into(),
            pid: 100,
            pgid: 100,
            start_ticks: 50,
            port: None,
            started_unix: 0,
            adopted: false,
            ready_after_ms: None,
        };
        let rows: BTreeMap<u32, Row> = [
            (100, (1, 100, 100, 50)),   // the leader
            (101, (100, 100, 100, 51)), // in its group
            (102, (101, 102, 100, 52)), // own group, same session
            (103, (102, 103, 103, 53)), // own session: a descendant
            (104, (1, 104, 104, 54)),   // a stranger
            (105, (1, 100, 100, 10)),   // older than the server: not its own
            (106, (104, 104, 104, 60)), // the stranger's child
            (107, (101, 107, 107, 70)), // protected (devtop)
        ]
        .into_iter()
        .collect();
        let protected: BTreeSet<u32> = [107].into_iter().collect();
        let pids: Vec<u32> = select(&server, &rows, &protected)
            .iter()
            .map(|m| m.pid)
            .collect();
        assert_eq!(pids, [100, 101, 102, 103]);
        // Adopted: the process and its descendants only, not its group or session.
        let adopted = Recorded {
            pid: 101,
            start_ticks: 51,
            adopted: true,
            ..server
        };
        let pids: Vec<u32> = select(&adopted, &rows, &protected)
            .iter()
            .map(|m| m.pid)
            .collect();
        assert_eq!(pids, [101, 102, 103]);
    }
}
