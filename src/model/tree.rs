//! Parent/child tree: which processes are shown (matched, their descendants, a few ancestors
//! for context), project scope, display order and kill order.

use crate::model::process::{ProcessInfo, Relation};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// How many ancestor levels above a shown process are kept for context (`npm run dev` →
/// `sh -c vite` → `node vite`).
pub const CONTEXT_LEVELS: usize = 3;

/// Which processes are in view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every matching process of the current user (default).
    #[default]
    User,
    /// My matching processes whose cwd, or an ancestor's cwd, is under the project root.
    Project,
}

impl Scope {
    /// The other scope (key `s`).
    pub fn toggled(self) -> Scope {
        match self {
            Scope::User => Scope::Project,
            Scope::Project => Scope::User,
        }
    }

    /// Lowercase name as in config and flags.
    pub fn label(self) -> &'static str {
        match self {
            Scope::User => "user",
            Scope::Project => "project",
        }
    }
}

/// What the selection needs to know of every process on the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    /// Parent PID.
    pub ppid: Option<u32>,
    /// Name or argv matched the configured words.
    pub matched: bool,
    /// Owner's real UID.
    pub uid: Option<u32>,
    /// Working directory, when readable.
    pub cwd: Option<&'a Path>,
    /// A wrapper (npm/npx/pnpm/yarn/bun, concurrently, a script shell `sh -c …`, or a subshell
    /// whose terminal session ended): shown as part of the stack of a matched process below it.
    pub wrapper: bool,
}

/// Who is looking: devtop's own identity, so it never lists itself or what it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    /// Real UID of devtop; only this user's processes are shown.
    pub uid: u32,
    /// devtop's own PID: never shown, nor anything above it as a dev process.
    pub pid: u32,
    /// Show the processes devtop started (the demo's stand-ins). False everywhere else: the
    /// drift helper, its schema-engine and probes are never listed or counted.
    pub show_own_children: bool,
}

/// True when `pid`'s cwd, or the cwd of one of its ancestors, is under `root`.
pub fn in_project(pid: u32, nodes: &HashMap<u32, Node<'_>>, root: &Path) -> bool {
    let mut cur = Some(pid);
    let mut seen = 0;
    while let Some(p) = cur {
        let Some(node) = nodes.get(&p) else { break };
        if node.cwd.is_some_and(|c| c.starts_with(root)) {
            return true;
        }
        cur = node.ppid.filter(|&pp| pp > 1);
        seen += 1;
        if seen > 64 {
            break;
        }
    }
    false
}

/// Choose the processes to show: matched ones in scope (owned by the viewer in user scope,
/// under `root` in project scope), the wrappers directly above them (`npm run dev` →
/// `sh -c vite`, relation [`Relation::Wrapper`]), all descendants of both, and up to
/// [`CONTEXT_LEVELS`] ancestors of the same owner (never PID 1). The viewer itself is never
/// shown, nor (unless `show_own_children`) anything it started; anything above it is context
/// at most: when devtop started the processes (the demo) its own terminal and shell are not
/// their context.
pub fn select(
    nodes: &HashMap<u32, Node<'_>>,
    scope: Scope,
    root: &Path,
    viewer: &Viewer,
) -> HashMap<u32, Relation> {
    let (my_uid, me) = (viewer.uid, viewer.pid);
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (&pid, node) in nodes {
        if let Some(pp) = node.ppid {
            children.entry(pp).or_default().push(pid);
        }
    }
    let kids = |pid: u32| children.get(&pid).map(Vec::as_slice).unwrap_or(&[]);
    // devtop and, unless asked, everything it started (the drift helper and its engine).
    let mut own: HashSet<u32> = HashSet::from([me]);
    if !viewer.show_own_children {
        let mut stack = vec![me];
        while let Some(pid) = stack.pop() {
            for &c in kids(pid) {
                if own.insert(c) {
                    stack.push(c);
                }
            }
        }
    }
    let mut out: HashMap<u32, Relation> = HashMap::new();
    for (&pid, node) in nodes {
        if !node.matched || pid <= 1 || own.contains(&pid) {
            continue;
        }
        let ok = match scope {
            Scope::User => node.uid == Some(my_uid),
            // Another user's process is shown in neither scope: it cannot be signalled anyway.
            Scope::Project => node.uid == Some(my_uid) && in_project(pid, nodes, root),
        };
        if ok {
            out.insert(pid, Relation::Matched);
        }
    }
    // The wrappers that started a matched process belong to its stack.
    let matched: Vec<u32> = out.keys().copied().collect();
    for pid in matched {
        let mut cur = nodes.get(&pid).and_then(|n| n.ppid);
        for _ in 0..64 {
            let Some(p) = cur.filter(|&p| p > 1 && !own.contains(&p)) else {
                break;
            };
            let Some(node) = nodes.get(&p).filter(|n| n.wrapper && n.uid == Some(my_uid)) else {
                break;
            };
            out.entry(p).or_insert(Relation::Wrapper);
            cur = node.ppid;
        }
    }
    let mut stack: Vec<u32> = out.keys().copied().collect();
    while let Some(pid) = stack.pop() {
        for &c in kids(pid) {
            if own.contains(&c) {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = out.entry(c) {
                e.insert(Relation::Descendant);
                stack.push(c);
            }
        }
    }
    // devtop's own ancestors (its terminal, a shell, an editor's node host) are never
    // suspects or kill targets: show them as context at most.
    let mut cur = nodes.get(&me).and_then(|n| n.ppid);
    for _ in 0..64 {
        let Some(p) = cur.filter(|&p| p > 1) else {
            break;
        };
        if let Some(rel) = out.get_mut(&p) {
            *rel = Relation::Ancestor;
        }
        cur = nodes.get(&p).and_then(|n| n.ppid);
    }
    let shown: Vec<u32> = out.keys().copied().collect();
    for pid in shown {
        let mut cur = nodes.get(&pid).and_then(|n| n.ppid);
        for _ in 0..CONTEXT_LEVELS {
            let Some(p) = cur.filter(|&p| p > 1 && p != me) else {
                break;
            };
            let Some(node) = nodes.get(&p) else { break };
            if node.uid != Some(my_uid) {
                break;
            }
            out.entry(p).or_insert(Relation::Ancestor);
            cur = node.ppid;
        }
    }
    out
}

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

/// `pid` and all its shown descendants, deepest first (children before parents), the order in
/// which they are signalled so nothing is reparented and left behind.
pub fn kill_order(procs: &[ProcessInfo], pid: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for p in procs {
        if let Some(pp) = p.ppid {
            children.entry(pp).or_default().push(p.pid);
        }
    }
    let mut out = Vec::new();
    fn visit(pid: u32, children: &HashMap<u32, Vec<u32>>, out: &mut Vec<u32>, depth: usize) {
        if depth < 64 {
            for &c in children.get(&pid).map(Vec::as_slice).unwrap_or(&[]) {
                visit(c, children, out, depth + 1);
            }
        }
        if !out.contains(&pid) {
            out.push(pid);
        }
    }
    visit(pid, &children, &mut out, 0);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::process::Role;
    use std::path::PathBuf;

    pub(crate) fn proc_(pid: u32, ppid: u32, relation: Relation, cpu: f32) -> ProcessInfo {
        ProcessInfo {
            role: Role::Node,
            relation,
            age_s: 1000 - u64::from(pid),
            cpu_percent: cpu,
            rss_bytes: u64::from(pid) * 1000,
            tty_nr: 0,
            ..crate::model::fixtures::process(pid, ppid, &format!("p{pid}"), "")
        }
    }

    #[test]
    fn tree_prefixes_and_sibling_order() {
        let procs = vec![
            proc_(10, 1, Relation::Ancestor, 0.0),
            proc_(11, 10, Relation::Matched, 1.0),
            proc_(12, 10, Relation::Matched, 5.0),
            proc_(13, 12, Relation::Descendant, 0.0),
        ];
        let rows = tree_rows(&procs, SortKey::Cpu, &|_| true);
        let got: Vec<(u32, String)> = rows
            .iter()
            .map(|r| (procs[r.index].pid, r.prefix.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (10, "".into()),
                (12, "├─ ".into()),
                (13, "│  └─ ".into()),
                (11, "└─ ".into()),
            ]
        );
        let flat = flat_rows(&procs, SortKey::Pid, &|_| true);
        assert_eq!(
            flat.iter().map(|r| procs[r.index].pid).collect::<Vec<_>>(),
            vec![11, 12, 13]
        );
    }

    #[test]
    fn filter_keeps_chain_to_a_match() {
        let procs = vec![
            proc_(10, 1, Relation::Ancestor, 0.0),
            proc_(11, 10, Relation::Matched, 1.0),
            proc_(12, 10, Relation::Matched, 5.0),
        ];
        let rows = tree_rows(&procs, SortKey::Cpu, &|p| p.pid == 11);
        assert_eq!(
            rows.iter().map(|r| procs[r.index].pid).collect::<Vec<_>>(),
            vec![10, 11]
        );
    }

    #[test]
    fn kill_order_children_first() {
        let procs = vec![
            proc_(10, 1, Relation::Matched, 0.0),
            proc_(11, 10, Relation::Descendant, 0.0),
            proc_(12, 11, Relation::Descendant, 0.0),
            proc_(13, 10, Relation::Descendant, 0.0),
        ];
        let order = kill_order(&procs, 10);
        assert_eq!(order.last(), Some(&10));
        let pos = |p| order.iter().position(|&x| x == p).unwrap();
        assert!(pos(12) < pos(11));
        assert_eq!(order.len(), 4);
    }

    #[test]
    fn selection_by_scope() {
        let root = PathBuf::from("/proj");
        let proj = PathBuf::from("/proj/api");
        let other = PathBuf::from("/elsewhere");
        let mut nodes = HashMap::new();
        let n = |ppid, matched, uid, cwd| Node {
            ppid: Some(ppid),
            matched,
            uid: Some(uid),
            cwd,
            wrapper: false,
        };
        nodes.insert(5, n(1, false, 1000, Some(root.as_path()))); // shell in project
        nodes.insert(6, n(5, false, 1000, Some(other.as_path()))); // npm, cwd elsewhere
        nodes.insert(7, n(6, true, 1000, Some(other.as_path()))); // node under the project shell
        nodes.insert(8, n(7, false, 1000, Some(other.as_path()))); // esbuild child
        nodes.insert(9, n(1, true, 1000, Some(other.as_path()))); // node elsewhere
        nodes.insert(20, n(1, true, 0, Some(proj.as_path()))); // root-owned node in project
        let viewer = |pid| Viewer {
            uid: 1000,
            pid,
            show_own_children: false,
        };
        let user = select(&nodes, Scope::User, &root, &viewer(99_999));
        assert_eq!(user.get(&7), Some(&Relation::Matched));
        assert_eq!(user.get(&8), Some(&Relation::Descendant));
        assert_eq!(user.get(&6), Some(&Relation::Ancestor));
        assert_eq!(user.get(&9), Some(&Relation::Matched));
        assert_eq!(user.get(&20), None);
        let project = select(&nodes, Scope::Project, &root, &viewer(99_999));
        // What devtop started is not listed (the drift helper below it) unless asked (demo).
        let below_me = select(&nodes, Scope::User, &root, &viewer(6));
        assert_eq!(below_me.get(&6), None);
        assert_eq!(below_me.get(&5), None);
        assert_eq!(below_me.get(&7), None);
        assert_eq!(below_me.get(&8), None);
        let demo = Viewer {
            show_own_children: true,
            ..viewer(6)
        };
        let below_me = select(&nodes, Scope::User, &root, &demo);
        assert_eq!(below_me.get(&6), None);
        assert_eq!(below_me.get(&5), None);
        assert_eq!(below_me.get(&7), Some(&Relation::Matched));
        assert_eq!(project.get(&7), Some(&Relation::Matched));
        assert_eq!(project.get(&9), None);
        assert_eq!(project.get(&20), None, "another user's process");
        assert!(in_project(8, &nodes, &root));
        assert!(!in_project(9, &nodes, &root));
    }

    #[test]
    fn wrappers_above_a_match_join_its_stack() {
        let root = PathBuf::from("/proj");
        let cwd = PathBuf::from("/proj/web");
        let mut nodes = HashMap::new();
        let n = |ppid, matched, wrapper| Node {
            ppid: Some(ppid),
            matched,
            uid: Some(1000),
            cwd: Some(cwd.as_path()),
            wrapper,
        };
        nodes.insert(10, n(1, false, false)); // login shell
        nodes.insert(11, n(10, false, true)); // npm run dev
        nodes.insert(12, n(11, false, true)); // sh -c vite
        nodes.insert(13, n(12, true, false)); // node vite
        nodes.insert(14, n(13, false, false)); // esbuild
        nodes.insert(20, n(11, false, false)); // another child of npm: ends with the stack
        let viewer = Viewer {
            uid: 1000,
            pid: 99_999,
            show_own_children: false,
        };
        let sel = select(&nodes, Scope::Project, &root, &viewer);
        assert_eq!(sel.get(&13), Some(&Relation::Matched));
        assert_eq!(sel.get(&12), Some(&Relation::Wrapper));
        assert_eq!(sel.get(&11), Some(&Relation::Wrapper));
        assert_eq!(sel.get(&14), Some(&Relation::Descendant));
        assert_eq!(sel.get(&20), Some(&Relation::Descendant));
        assert_eq!(sel.get(&10), Some(&Relation::Ancestor));
    }
}
