//! Parent/child tree: which processes are shown (matched, their descendants, a few ancestors
//! for context), project scope, display order and kill order.

use crate::model::process::{ProcessInfo, Relation};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;

mod rows;
pub use rows::{Row, SortKey, flat_rows, tree_rows};

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
    let own = own_processes(&children, me, viewer.show_own_children);
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
    add_wrappers(&mut out, nodes, &own, my_uid);
    add_descendants(&mut out, &children, &own);
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
    add_context(&mut out, nodes, me, my_uid);
    out
}

/// devtop (`me`) and, unless `show_own_children`, everything it started (the drift helper
/// and its engine).
fn own_processes(
    children: &HashMap<u32, Vec<u32>>,
    me: u32,
    show_own_children: bool,
) -> HashSet<u32> {
    let mut own: HashSet<u32> = HashSet::from([me]);
    if !show_own_children {
        let mut stack = vec![me];
        while let Some(pid) = stack.pop() {
            for &c in children.get(&pid).map(Vec::as_slice).unwrap_or(&[]) {
                if own.insert(c) {
                    stack.push(c);
                }
            }
        }
    }
    own
}

/// The wrappers (of user `my_uid`, not devtop's own) that started a matched process belong to
/// its stack.
fn add_wrappers(
    out: &mut HashMap<u32, Relation>,
    nodes: &HashMap<u32, Node<'_>>,
    own: &HashSet<u32>,
    my_uid: u32,
) {
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
}

/// Everything below a shown process (but devtop's own) is shown as a descendant.
fn add_descendants(
    out: &mut HashMap<u32, Relation>,
    children: &HashMap<u32, Vec<u32>>,
    own: &HashSet<u32>,
) {
    let mut stack: Vec<u32> = out.keys().copied().collect();
    while let Some(pid) = stack.pop() {
        for &c in children.get(&pid).map(Vec::as_slice).unwrap_or(&[]) {
            if own.contains(&c) {
                continue;
            }
            if let std::collections::hash_map::Entry::Vacant(e) = out.entry(c) {
                e.insert(Relation::Descendant);
                stack.push(c);
            }
        }
    }
}

/// Up to [`CONTEXT_LEVELS`] parents of every shown process (of user `my_uid`, not PID 1, not
/// devtop) as context ancestors.
fn add_context(
    out: &mut HashMap<u32, Relation>,
    nodes: &HashMap<u32, Node<'_>>,
    me: u32,
    my_uid: u32,
) {
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
}

/// `pid` and all its shown descendants, deepest first (children before parents), the order in
/// which they are signalled so nothing is reparented and left behind.
pub fn kill_order(procs: &[ProcessInfo], pid: u32) -> Vec<u32> {
    crate::model::descendants::Children::of(procs).kill_order(pid)
}

#[cfg(test)]
pub(crate) mod tests;
