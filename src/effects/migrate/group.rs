//! The processes of one migrate run: the child, everything below it (a schema-engine), and
//! whatever else is in its process group; their CPU time, and whether any is left after the
//! run. One `/proc` scan per sample.

use std::collections::{BTreeMap, BTreeSet};

/// A process by identity: PID and start time (`/proc/<pid>/stat` field 22, clock ticks since
/// boot), so a reused PID is not taken for a member.
pub type Ident = (u32, u64);

/// One `/proc` scan: PID → (parent PID, process group, start ticks, utime + stime ticks,
/// name). Zombies are left out (they hold no CPU or memory and are being reaped).
pub fn scan() -> BTreeMap<u32, (u32, u32, u64, u64, String)> {
    let mut rows = BTreeMap::new();
    if let Ok(all) = procfs::process::all_processes() {
        for p in all.flatten() {
            let Ok(st) = p.stat() else { continue };
            if matches!(st.state, 'Z' | 'X') {
                continue;
            }
            let (Ok(pid), Ok(ppid), Ok(pgrp)) = (
                u32::try_from(st.pid),
                u32::try_from(st.ppid),
                u32::try_from(st.pgrp),
            ) else {
                continue;
            };
            rows.insert(
                pid,
                (ppid, pgrp, st.starttime, st.utime + st.stime, st.comm),
            );
        }
    }
    rows
}

/// The members of the run started as `child` in group `pgid` (`None`/0/1: descendants only,
/// as in a PID namespace where groups are not visible): `child`, its descendants, and the
/// other processes of the group. With their CPU ticks.
pub fn members(child: u32, pgid: Option<u32>) -> Vec<(Ident, u64, String)> {
    let rows = scan();
    let mut set: BTreeSet<u32> = BTreeSet::new();
    if rows.contains_key(&child) {
        set.insert(child);
    }
    let pgid = pgid.filter(|g| *g > 1);
    for (pid, row) in &rows {
        if Some(row.1) == pgid {
            set.insert(*pid);
        }
    }
    // Descendants (parents before children is not guaranteed: iterate to a fixed point).
    loop {
        let before = set.len();
        for (pid, row) in &rows {
            if set.contains(&row.0) {
                set.insert(*pid);
            }
        }
        if set.len() == before {
            break;
        }
    }
    set.into_iter()
        .filter_map(|pid| rows.get(&pid).map(|r| ((pid, r.2), r.3, r.4.clone())))
        .collect()
}

/// Which of `seen` are still alive (same PID, same start time, not a zombie).
pub fn left(seen: &BTreeSet<Ident>) -> Vec<Ident> {
    let rows = scan();
    seen.iter()
        .filter(|(pid, start)| rows.get(pid).is_some_and(|r| r.2 == *start))
        .copied()
        .collect()
}
