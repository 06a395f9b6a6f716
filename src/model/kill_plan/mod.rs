//! What a kill will signal and what it will leave alone: the chosen processes with their shown
//! descendants, children before parents, with the evidence the confirmation dialog lists; and
//! every refused process (PID 0/1, devtop, its ancestors, another user's, a reused PID) with its
//! reason, together with everything below it. Pure: built from a snapshot and devtop's own
//! position ([`Protected`]). The dashboard's dialog and `devtop kill` (plan, dry run, real run)
//! use the same [`KillPlan`].

use crate::model::descendants::{Children, MAX_DEPTH};
use crate::model::process::{Relation, Role};
use crate::model::refusal::{Protected, RefuseReason};
use crate::model::snapshot::ProcessSnapshot;
use crate::model::suspects::Suspect;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A process the user asked to end, as it was shown on screen: what the signal layer re-checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillTarget {
    /// PID as shown.
    pub pid: u32,
    /// Start time as shown, in clock ticks since boot (`/proc/<pid>/stat` field 22); the kill is
    /// refused if the process now behind `pid` has a different one.
    pub start_ticks: u64,
    /// Human label for logs, e.g. `"prisma-migrate"`.
    pub label: String,
}

impl KillTarget {
    /// Builds a target from its PID, shown start time (clock ticks since boot) and label.
    pub fn new(pid: u32, start_ticks: u64, label: impl Into<String>) -> Self {
        Self {
            pid,
            start_ticks,
            label: label.into(),
        }
    }
}

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

/// One process that was asked for (or lies below something asked for) and will not be
/// signalled.
#[derive(Debug, Clone, PartialEq)]
pub struct RefusedKill {
    /// PID.
    pub pid: u32,
    /// Role as shown (`Other` for a process that is not shown).
    pub role: Role,
    /// Process name (empty when unknown).
    pub name: String,
    /// Why it is left alone.
    pub reason: RefuseReason,
}

/// Everything a kill request resolves to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KillPlan {
    /// What will be signalled, children before parents.
    pub kills: Vec<PlannedKill>,
    /// What will not be, each with its reason; a refused process comes before the processes
    /// below it.
    pub refused: Vec<RefusedKill>,
}

impl KillPlan {
    /// True when there is nothing to signal and nothing was refused.
    pub fn is_empty(&self) -> bool {
        self.kills.is_empty() && self.refused.is_empty()
    }

    /// Signal-layer targets of [`kills`](Self::kills), in order.
    pub fn targets(&self) -> Vec<KillTarget> {
        self.kills.iter().map(PlannedKill::target).collect()
    }

    /// The refused processes that were refused for a reason of their own (not only for being
    /// below another refused one).
    pub fn refused_roots(&self) -> impl Iterator<Item = &RefusedKill> {
        self.refused
            .iter()
            .filter(|r| !matches!(r.reason, RefuseReason::BelowRefused { .. }))
    }
}

/// What the caller knows of a requested PID that is not in the snapshot, read from `/proc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unshown {
    /// Start time, clock ticks since boot.
    pub start_ticks: u64,
    /// Real uid, when readable.
    pub uid: Option<u32>,
    /// `/proc/<pid>/comm`.
    pub name: String,
}

/// One process a kill was asked for; it brings its shown descendants along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// The PID.
    pub pid: u32,
    /// The start time the user named (`PID@TICKS`); `None` for the one in the snapshot.
    pub start_ticks: Option<u64>,
    /// Why it is asked for ("selected", a suspect's reason, ...).
    pub why: String,
    /// For a PID not in the snapshot: what `/proc` says of it now (`None` when unreadable; it is
    /// then planned alone and the signal layer reports what it finds).
    pub unshown: Option<Unshown>,
}

impl Root {
    /// A shown process, asked for because of `why`.
    pub fn shown(pid: u32, why: impl Into<String>) -> Self {
        Self {
            pid,
            start_ticks: None,
            why: why.into(),
            unshown: None,
        }
    }
}

/// Builds the plan for `roots`: each root with its shown descendants, children first, without
/// anything refused. A root or descendant refused by a guard of [`Protected`], or by a start
/// time that differs from the one named, is listed in [`KillPlan::refused`] with its reason, and
/// every shown process below it with [`RefuseReason::BelowRefused`] — also when another root
/// asked for it. Kills are ordered deepest first across trees (stable otherwise).
pub fn build(snap: &ProcessSnapshot, me: &Protected, roots: &[Root]) -> KillPlan {
    let children = Children::of(&snap.processes);
    let mut plan = KillPlan::default();
    let mut refused: HashSet<u32> = HashSet::new();
    let mut refuse = |plan: &mut KillPlan, pid: u32, reason: RefuseReason, info: (Role, &str)| {
        if refused.insert(pid) {
            plan.refused.push(RefusedKill {
                pid,
                role: info.0,
                name: info.1.to_owned(),
                reason: reason.clone(),
            });
            for below in children.below(pid) {
                if refused.insert(below) {
                    let (role, name) = describe(snap, below);
                    plan.refused.push(RefusedKill {
                        pid: below,
                        role,
                        name: name.to_owned(),
                        reason: RefuseReason::BelowRefused { pid },
                    });
                }
            }
        }
    };
    // Refusals first, over every root: a later root must not bring back what an earlier one
    // refused, nor an earlier one what a later one refuses.
    for root in roots {
        let info = match (snap.get(root.pid), &root.unshown) {
            (Some(p), _) => (p.role, p.name.as_str()),
            (None, Some(u)) => (Role::Other, u.name.as_str()),
            (None, None) => (Role::Other, ""),
        };
        if let Some(reason) = refuse_root(snap, me, root) {
            refuse(&mut plan, root.pid, reason, info);
            continue;
        }
        for pid in children.below(root.pid) {
            if let Some(reason) = refuse_shown(snap, me, pid) {
                let (role, name) = describe(snap, pid);
                refuse(&mut plan, pid, reason, (role, name));
            }
        }
    }
    let mut queued: HashSet<u32> = HashSet::new();
    for root in roots {
        if refused.contains(&root.pid) {
            continue;
        }
        for pid in children.kill_order(root.pid) {
            if refused.contains(&pid) || queued.contains(&pid) {
                continue;
            }
            if let Some(kill) = planned(snap, root, pid) {
                queued.insert(pid);
                plan.kills.push(kill);
            }
        }
    }
    let depth = |pid: u32| {
        let mut d = 0;
        let mut cur = snap.get(pid).and_then(|p| p.ppid);
        while let Some(pp) = cur {
            match snap.get(pp) {
                Some(p) if d < MAX_DEPTH => {
                    d += 1;
                    cur = p.ppid;
                }
                _ => break,
            }
        }
        d
    };
    plan.kills.sort_by_key(|k| std::cmp::Reverse(depth(k.pid)));
    plan
}

/// The guards for a root: the PID guards, then the owner and the start time named (from the
/// snapshot, or from `/proc` for a PID that is not shown).
fn refuse_root(snap: &ProcessSnapshot, me: &Protected, root: &Root) -> Option<RefuseReason> {
    if let Some(reason) = me.refuse_pid(root.pid) {
        return Some(reason);
    }
    let (uid, now) = match (snap.get(root.pid), &root.unshown) {
        (Some(p), _) => (p.uid, Some(p.start_ticks)),
        (None, Some(u)) => (u.uid, Some(u.start_ticks)),
        (None, None) => (None, None),
    };
    if let (Some(shown), Some(now)) = (root.start_ticks, now)
        && shown != now
    {
        return Some(RefuseReason::StartTimeChanged { shown, now });
    }
    me.refuse_owner(uid)
}

/// The guards for a shown descendant.
fn refuse_shown(snap: &ProcessSnapshot, me: &Protected, pid: u32) -> Option<RefuseReason> {
    me.refuse_pid(pid)
        .or_else(|| me.refuse_owner(snap.get(pid).and_then(|p| p.uid)))
}

fn describe(snap: &ProcessSnapshot, pid: u32) -> (Role, &str) {
    snap.get(pid)
        .map_or((Role::Other, ""), |p| (p.role, p.name.as_str()))
}

/// The plan entry for `pid`, met while walking `root`'s tree.
fn planned(snap: &ProcessSnapshot, root: &Root, pid: u32) -> Option<PlannedKill> {
    let Some(p) = snap.get(pid) else {
        // Only the root itself may be missing from the snapshot.
        if pid != root.pid {
            return None;
        }
        let (ticks, name) = match &root.unshown {
            Some(u) => (root.start_ticks.unwrap_or(u.start_ticks), u.name.clone()),
            None => (root.start_ticks.unwrap_or(0), String::new()),
        };
        return Some(PlannedKill {
            pid,
            start_ticks: ticks,
            role: Role::Other,
            name,
            reason: root.why.clone(),
            rss_bytes: 0,
        });
    };
    let reason = match snap.suspect_of(pid) {
        Some(s) => format!("{}: {}", s.kind.label(), s.reason),
        None if pid == root.pid => root.why.clone(),
        None => format!("descendant of PID {}", root.pid),
    };
    let start_ticks = match root.start_ticks {
        Some(t) if pid == root.pid => t,
        _ => p.start_ticks,
    };
    Some(PlannedKill {
        pid,
        start_ticks,
        role: p.role,
        name: p.name.clone(),
        reason,
        rss_bytes: p.rss_bytes,
    })
}

/// `pids`, each a shown process with its shown descendants.
pub fn for_pids(snap: &ProcessSnapshot, me: &Protected, pids: &[u32]) -> KillPlan {
    let roots: Vec<Root> = pids.iter().map(|&p| Root::shown(p, "selected")).collect();
    build(snap, me, &roots)
}

/// The root for ending the selected process `pid`: for a zombie whose parent is a shown dev
/// process, that parent (only reaping ends a zombie), asked for as "parent of zombie PID N";
/// otherwise `pid` itself, "selected".
pub fn selected_root(snap: &ProcessSnapshot, pid: u32) -> Root {
    snap.suspect_of(pid)
        .filter(|s| s.kill_pid != pid)
        .and_then(zombie_parent_root(snap))
        .unwrap_or_else(|| Root::shown(pid, "selected"))
}

/// For a suspect whose kill target is another process (a zombie's parent): that parent as a
/// root, when it is shown and not a context ancestor (a shell is never ended for its zombie).
fn zombie_parent_root(snap: &ProcessSnapshot) -> impl Fn(&Suspect) -> Option<Root> + '_ {
    move |s| {
        snap.get(s.kill_pid)
            .filter(|p| p.relation != Relation::Ancestor)
            .map(|_| Root::shown(s.kill_pid, format!("parent of zombie PID {}", s.pid)))
    }
}

/// The roots "kill all suspects" asks for: every suspect of severity `Suspect` (warn-only ones,
/// like Studio under policy "warn", are left alone); for a zombie, its parent (the one that
/// must reap it) when the parent is a shown dev process.
pub fn suspect_roots(snap: &ProcessSnapshot) -> Vec<Root> {
    let mut roots = Vec::new();
    for s in snap.suspects.iter().filter(|s| s.is_hard()) {
        if s.kill_pid == s.pid {
            roots.push(Root::shown(
                s.pid,
                format!("{}: {}", s.kind.label(), s.reason),
            ));
        } else {
            // Zombie: end the parent; its zombie child vanishes when init reaps it.
            roots.extend(zombie_parent_root(snap)(s));
        }
    }
    roots
}

/// Every suspect (see [`suspect_roots`]) with its descendants.
pub fn for_suspects(snap: &ProcessSnapshot, me: &Protected) -> KillPlan {
    build(snap, me, &suspect_roots(snap))
}

/// Total RSS of the processes a plan signals, bytes.
pub fn total_rss(plan: &KillPlan) -> u64 {
    plan.kills.iter().map(|k| k.rss_bytes).sum()
}

#[cfg(test)]
mod tests;
