//! The process list's rows: tree order (box-drawing prefixes, siblings sorted) or a flat
//! sorted list, and the sort keys.

use crate::model::process::{ProcessInfo, Relation};
use std::collections::{HashMap, HashSet};

/// Sort order of the process list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Highest CPU % first.
    #[default]
    Cpu,
    /// Largest RSS first.
    Rss,
    /// Oldest first.
    Age,
    /// Lowest PID first.
    Pid,
}

impl SortKey {
    /// Next key in the cycle CPU → RSS → age → PID.
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Cpu => SortKey::Rss,
            SortKey::Rss => SortKey::Age,
            SortKey::Age => SortKey::Pid,
            SortKey::Pid => SortKey::Cpu,
        }
    }

    /// Short label for the header.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Cpu => "CPU",
            SortKey::Rss => "RSS",
            SortKey::Age => "age",
            SortKey::Pid => "PID",
        }
    }

    fn cmp(self, a: &ProcessInfo, b: &ProcessInfo) -> std::cmp::Ordering {
        let by = match self {
            SortKey::Cpu => b.cpu_percent.total_cmp(&a.cpu_percent),
            SortKey::Rss => b.rss_bytes.cmp(&a.rss_bytes),
            SortKey::Age => b.age_s.cmp(&a.age_s),
            SortKey::Pid => a.pid.cmp(&b.pid),
        };
        by.then(a.pid.cmp(&b.pid))
    }
}

/// One line of the process list: an index into the process slice and its tree prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Index into the slice given to [`tree_rows`] / [`flat_rows`].
    pub index: usize,
    /// Nesting depth (0 = root).
    pub depth: usize,
    /// Box-drawing prefix, e.g. `"│  └─ "`.
    pub prefix: String,
}

/// Rows in tree order: roots are processes whose parent is not shown; siblings sorted by
/// `sort`. Processes hidden by `keep` are left out with their subtree unless a descendant is
/// kept (then the chain to it stays).
pub fn tree_rows(
    procs: &[ProcessInfo],
    sort: SortKey,
    keep: &dyn Fn(&ProcessInfo) -> bool,
) -> Vec<Row> {
    let by_pid: HashMap<u32, usize> = procs.iter().enumerate().map(|(i, p)| (p.pid, i)).collect();
    let mut children: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, p) in procs.iter().enumerate() {
        match p.ppid.filter(|pp| by_pid.contains_key(pp) && *pp != p.pid) {
            Some(pp) => children.entry(pp).or_default().push(i),
            None => roots.push(i),
        }
    }
    let sort_list = |v: &mut Vec<usize>| v.sort_by(|&a, &b| sort.cmp(&procs[a], &procs[b]));
    sort_list(&mut roots);
    for v in children.values_mut() {
        sort_list(v);
    }
    // Which indexes have themselves or a descendant passing `keep`.
    let mut visible: HashSet<usize> = HashSet::new();
    fn mark(
        i: usize,
        procs: &[ProcessInfo],
        children: &HashMap<u32, Vec<usize>>,
        keep: &dyn Fn(&ProcessInfo) -> bool,
        visible: &mut HashSet<usize>,
        depth: usize,
    ) -> bool {
        let mut any = keep(&procs[i]);
        if depth < 64 {
            for &c in children
                .get(&procs[i].pid)
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                any |= mark(c, procs, children, keep, visible, depth + 1);
            }
        }
        if any {
            visible.insert(i);
        }
        any
    }
    for &r in &roots {
        mark(r, procs, &children, keep, &mut visible, 0);
    }
    let mut rows = Vec::new();
    let mut stack: Vec<(usize, usize, String, bool)> = Vec::new();
    let vis_roots: Vec<usize> = roots.into_iter().filter(|i| visible.contains(i)).collect();
    for &r in vis_roots.iter().rev() {
        stack.push((r, 0, String::new(), true));
    }
    while let Some((i, depth, indent, last)) = stack.pop() {
        let prefix = if depth == 0 {
            String::new()
        } else {
            format!("{indent}{}", if last { "└─ " } else { "├─ " })
        };
        rows.push(Row {
            index: i,
            depth,
            prefix,
        });
        if depth >= 64 {
            continue;
        }
        let kids: Vec<usize> = children
            .get(&procs[i].pid)
            .map(|v| v.iter().copied().filter(|c| visible.contains(c)).collect())
            .unwrap_or_default();
        let child_indent = if depth == 0 {
            String::new()
        } else {
            format!("{indent}{}", if last { "   " } else { "│  " })
        };
        for (n, &c) in kids.iter().enumerate().rev() {
            stack.push((c, depth + 1, child_indent.clone(), n + 1 == kids.len()));
        }
    }
    rows
}

/// Rows of a flat list: every process passing `keep` except context ancestors, sorted.
pub fn flat_rows(
    procs: &[ProcessInfo],
    sort: SortKey,
    keep: &dyn Fn(&ProcessInfo) -> bool,
) -> Vec<Row> {
    let mut idx: Vec<usize> = (0..procs.len())
        .filter(|&i| procs[i].relation != Relation::Ancestor && keep(&procs[i]))
        .collect();
    idx.sort_by(|&a, &b| sort.cmp(&procs[a], &procs[b]));
    idx.into_iter()
        .map(|index| Row {
            index,
            depth: 0,
            prefix: String::new(),
        })
        .collect()
}
