//! What a kill will signal: the chosen processes with their shown descendants, children before
//! parents, with the evidence the confirmation dialog lists. Pure: built from a snapshot.

use crate::effects::signal::KillTarget;
use crate::model::process::Role;
use crate::model::snapshot::ProcessSnapshot;
use crate::model::suspects::Severity;
use crate::model::tree::kill_order;

/// One process a kill will signal.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedKill {
    /// PID as shown.
    pub pid: u32,
    /// Start time as shown (clock ticks since boot), re-checked before signalling.
    pub start_ticks: u64,
    /// Role as shown.
    pub role: Role,
    /// Process name.
    pub name: String,
    /// Why: the suspect reason, or "descendant of PID N", or "selected".
    pub reason: String,
    /// RSS that will be freed, bytes.
    pub rss_bytes: u64,
}

impl PlannedKill {
    /// The signal-layer target.
    pub fn target(&self) -> KillTarget {
        KillTarget::new(self.pid, self.start_ticks, self.role.label())
    }
}

fn push_tree(snap: &ProcessSnapshot, root: u32, why: &str, out: &mut Vec<PlannedKill>) {
    for pid in kill_order(&snap.processes, root) {
        if out.iter().any(|k| k.pid == pid) {
            continue;
        }
        let Some(p) = snap.get(pid) else { continue };
        let reason = match snap.suspect_of(pid) {
            Some(s) => format!("{}: {}", s.kind.label(), s.reason),
            None if pid == root => why.to_owned(),
            None => format!("descendant of PID {root}"),
        };
        out.push(PlannedKill {
            pid,
            start_ticks: p.start_ticks,
            role: p.role,
            name: p.name.clone(),
            reason,
            rss_bytes: p.rss_bytes,
        });
    }
}

/// `pids` (each with its shown descendants, children first). PIDs not in the snapshot are
/// left out.
pub fn for_pids(snap: &ProcessSnapshot, pids: &[u32]) -> Vec<PlannedKill> {
    let mut out = Vec::new();
    for &pid in pids {
        push_tree(snap, pid, "selected", &mut out);
    }
    out
}

/// Every suspect of severity `Suspect` (warn-only ones, like Studio under policy "warn", are
/// left alone), each with its descendants; for a zombie, its parent (the one that must reap
/// it) when the parent is shown.
pub fn for_suspects(snap: &ProcessSnapshot) -> Vec<PlannedKill> {
    let mut out = Vec::new();
    for s in snap
        .suspects
        .iter()
        .filter(|s| s.severity == Severity::Suspect)
    {
        let why = format!("{}: {}", s.kind.label(), s.reason);
        if s.kill_pid != s.pid {
            // Zombie: end the parent; its zombie child vanishes when init reaps it. Only a dev
            // process parent: a context ancestor (a shell) is never ended by "kill suspects".
            if snap
                .get(s.kill_pid)
                .is_some_and(|p| p.relation != crate::model::process::Relation::Ancestor)
            {
                push_tree(
                    snap,
                    s.kill_pid,
                    &format!("parent of zombie PID {}", s.pid),
                    &mut out,
                );
            }
            continue;
        }
        push_tree(snap, s.pid, &why, &mut out);
    }
    // Children before parents across trees too: a later tree may hold an earlier target's
    // parent (zombie parent), so order by depth, deepest first, stable otherwise.
    let depth = |pid: u32| {
        let mut d = 0;
        let mut cur = snap.get(pid).and_then(|p| p.ppid);
        while let Some(pp) = cur {
            match snap.get(pp) {
                Some(p) if d < 64 => {
                    d += 1;
                    cur = p.ppid;
                }
                _ => break,
            }
        }
        d
    };
    out.sort_by_key(|k| std::cmp::Reverse(depth(k.pid)));
    out
}

/// Total RSS of a plan, bytes.
pub fn total_rss(plan: &[PlannedKill]) -> u64 {
    plan.iter().map(|k| k.rss_bytes).sum()
}
