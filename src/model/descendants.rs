//! Who is below whom in a process snapshot: one parent → children index (from each process's
//! PPID, `/proc/<pid>/stat` field 4) built once per snapshot, and the two walks every caller
//! needs — the descendants of a PID (parents before children) and the order a kill signals a
//! subtree in (children before parents). Used by the kill plan, the memory guard's victims and
//! the orphan judgement, so they cannot disagree about what lies below a process.
//!
//! Both walks visit each process at most once (a set of seen PIDs, so a corrupt snapshot with a
//! PPID cycle ends) and stop [`MAX_DEPTH`] levels down: O(size of the subtree).

use crate::model::process::ProcessInfo;
use std::collections::{HashMap, HashSet};

/// How many levels below the root a walk goes (guards against a corrupt snapshot).
pub const MAX_DEPTH: usize = 64;

/// Parent PID → its shown children's PIDs, in snapshot order.
#[derive(Debug, Default)]
pub struct Children {
    map: HashMap<u32, Vec<u32>>,
}

impl Children {
    /// The index of `procs` (each process under its `ppid`; processes without one are roots).
    pub fn of(procs: &[ProcessInfo]) -> Children {
        let mut map: HashMap<u32, Vec<u32>> = HashMap::new();
        for p in procs {
            if let Some(pp) = p.ppid
                && pp != p.pid
            {
                map.entry(pp).or_default().push(p.pid);
            }
        }
        Children { map }
    }

    /// The shown children of `pid` (empty when it has none).
    pub fn of_pid(&self, pid: u32) -> &[u32] {
        self.map.get(&pid).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The shown descendants of `pid`, not `pid` itself, level by level (parents before
    /// children).
    pub fn below(&self, pid: u32) -> Vec<u32> {
        let mut seen = HashSet::from([pid]);
        let mut out = Vec::new();
        let mut level = vec![pid];
        for _ in 0..MAX_DEPTH {
            let mut next = Vec::new();
            for q in &level {
                for &c in self.of_pid(*q) {
                    if seen.insert(c) {
                        next.push(c);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            out.extend_from_slice(&next);
            level = next;
        }
        out
    }

    /// `pid` and its shown descendants, deepest first (each child before its parent, `pid`
    /// last): the order in which a subtree is signalled so nothing is reparented and left
    /// behind.
    pub fn kill_order(&self, pid: u32) -> Vec<u32> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        self.post_order(pid, 0, &mut seen, &mut out);
        out
    }

    fn post_order(&self, pid: u32, depth: usize, seen: &mut HashSet<u32>, out: &mut Vec<u32>) {
        if !seen.insert(pid) {
            return;
        }
        if depth < MAX_DEPTH {
            for &c in self.of_pid(pid) {
                self.post_order(c, depth + 1, seen, out);
            }
        }
        out.push(pid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::process::Relation;
    use crate::model::tree::tests::proc_;

    fn procs() -> Vec<ProcessInfo> {
        vec![
            proc_(10, 1, Relation::Matched, 0.0),
            proc_(11, 10, Relation::Descendant, 0.0),
            proc_(12, 11, Relation::Descendant, 0.0),
            proc_(13, 10, Relation::Descendant, 0.0),
            proc_(20, 1, Relation::Matched, 0.0),
        ]
    }

    #[test]
    fn below_is_parents_before_children_without_the_root() {
        let c = Children::of(&procs());
        assert_eq!(c.below(10), vec![11, 13, 12]);
        assert_eq!(c.kill_order(10), vec![12, 11, 13, 10]);
        assert!(c.below(20).is_empty());
        assert!(c.below(999).is_empty());
    }

    #[test]
    fn a_ppid_cycle_ends_and_lists_each_once() {
        // 30 → 31 → 30: a corrupt snapshot (PID reuse between reads).
        let ps = vec![
            proc_(30, 31, Relation::Matched, 0.0),
            proc_(31, 30, Relation::Descendant, 0.0),
        ];
        let c = Children::of(&ps);
        assert_eq!(c.below(30), vec![31]);
        assert_eq!(c.kill_order(30), vec![31, 30]);
    }

    #[test]
    fn a_deep_chain_stops_at_the_depth_bound() {
        let n = (MAX_DEPTH + 10) as u32;
        let ps: Vec<ProcessInfo> = (0..n)
            .map(|i| {
                proc_(
                    100 + i,
                    if i == 0 { 1 } else { 99 + i },
                    Relation::Matched,
                    0.0,
                )
            })
            .collect();
        let c = Children::of(&ps);
        assert_eq!(c.below(100).len(), MAX_DEPTH);
        assert_eq!(c.kill_order(100).len(), MAX_DEPTH + 1);
    }
}
