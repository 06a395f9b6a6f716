//! Process tree tests: selection with context ancestors, project scope, rows and kill order.
#![allow(clippy::unwrap_used)]

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
