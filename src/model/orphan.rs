//! The orphan rule, following the tree: a dev tool started through wrappers (`npm run dev` →
//! `sh -c vite` → `vite`, `npx tsx watch`, a subshell `( … ) &`, concurrently) is orphaned when
//! the topmost wrapper of its stack was reparented to init (or a subreaper) after its terminal's
//! session ended. The stack is flagged once, on that topmost process, so ending it ends the
//! whole stack and frees its ports.

use crate::model::process::{ProcessInfo, Relation, Role};
use crate::model::suspects::{SUBREAPERS, Severity, Suspect, SuspectKind, format_age};
use std::collections::{HashMap, HashSet};

/// The stack above `p`: `p` and the wrappers directly above it, topmost last.
fn stack_of<'a>(
    p: &'a ProcessInfo,
    by_pid: &HashMap<u32, &'a ProcessInfo>,
) -> Vec<&'a ProcessInfo> {
    let mut chain = vec![p];
    let mut cur = p;
    for _ in 0..32 {
        let Some(parent) = cur.ppid.and_then(|pp| by_pid.get(&pp)) else {
            break;
        };
        if !parent.role.is_wrapper() || parent.relation == Relation::Ancestor {
            break;
        }
        chain.push(parent);
        cur = parent;
    }
    chain
}

/// Who adopted `top`: init for PID 1, or a known subreaper by name; `None` when its parent is
/// anything else (a living shell, an editor: not an orphan).
fn adopter(top: &ProcessInfo, name_of: &dyn Fn(u32) -> Option<String>) -> Option<String> {
    match top.ppid? {
        1 => Some("init".to_owned()),
        pp => name_of(pp).filter(|n| SUBREAPERS.iter().any(|s| n == s)),
    }
}

/// Orphaned stacks among `procs` (the shown list), one suspect per stack on its topmost
/// process. A tool without a wrapper above is its own stack; a plain `node` (an editor's
/// server, a pm2 app) counts only when a wrapper started it. A stack whose top leads its own
/// session (a daemon), still has a controlling terminal, or whose session's leader (the shell)
/// lives is not orphaned.
pub fn orphaned_stacks(
    procs: &[ProcessInfo],
    name_of: &dyn Fn(u32) -> Option<String>,
) -> Vec<Suspect> {
    let by_pid: HashMap<u32, &ProcessInfo> = procs.iter().map(|p| (p.pid, p)).collect();
    let mut seen: HashSet<u32> = HashSet::new();
    let mut out = Vec::new();
    for p in procs {
        if p.relation == Relation::Ancestor
            || p.state == 'Z'
            || p.role.is_wrapper()
            || p.role == Role::Other
        {
            continue;
        }
        let chain = stack_of(p, &by_pid);
        let Some(&top) = chain.last() else { continue };
        if (chain.len() == 1 && p.role == Role::Node)
            || top.tty_nr != 0
            || top.sid == top.pid
            || top.session_leader_alive
            || top.state == 'Z'
        {
            continue;
        }
        let Some(adopter) = adopter(top, name_of) else {
            continue;
        };
        if !seen.insert(top.pid) {
            continue;
        }
        out.push(Suspect {
            pid: top.pid,
            kind: SuspectKind::Orphan,
            reason: reason(top, &chain, procs, &adopter),
            advice: "left behind by a closed terminal or editor: kill the stack unless you started it on purpose"
                .into(),
            severity: Severity::Suspect,
            kill_pid: top.pid,
        });
    }
    out
}

/// "npm → shell → vite (PIDs 10, 11, 12) holding :5173 reparented to PID 1 (init), its
/// terminal's session 9 gone, running 5m 3s".
fn reason(
    top: &ProcessInfo,
    chain: &[&ProcessInfo],
    procs: &[ProcessInfo],
    adopter: &str,
) -> String {
    let labels: Vec<&str> = chain.iter().rev().map(|p| p.role.label()).collect();
    let pids: Vec<String> = chain.iter().rev().map(|p| p.pid.to_string()).collect();
    let mut ports: Vec<u16> = crate::model::tree::kill_order(procs, top.pid)
        .into_iter()
        .filter_map(|pid| procs.iter().find(|p| p.pid == pid))
        .flat_map(|p| p.ports.iter().copied())
        .collect();
    ports.sort_unstable();
    ports.dedup();
    let holding = if ports.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = ports.iter().map(|p| format!(":{p}")).collect();
        format!(" holding {}", list.join(" "))
    };
    let what = if chain.len() == 1 {
        labels.join("")
    } else {
        format!("stack {} (PIDs {})", labels.join(" → "), pids.join(", "))
    };
    format!(
        "{what}{holding} reparented to PID {} ({adopter}), its terminal's session {} gone, running {}",
        top.ppid.unwrap_or(1),
        top.sid,
        format_age(top.age_s)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::fixtures::process;

    fn orphaned(p: ProcessInfo) -> ProcessInfo {
        ProcessInfo {
            tty_nr: 0,
            sid: 90,
            session_leader_alive: false,
            age_s: 300,
            ..p
        }
    }

    fn init_only(pid: u32) -> Option<String> {
        (pid == 1).then(|| "init".to_owned())
    }

    /// `npm run dev` (reparented to init) → `sh -c vite` → `node vite` listening on 5173.
    fn npm_stack() -> Vec<ProcessInfo> {
        vec![
            ProcessInfo {
                relation: Relation::Wrapper,
                ..orphaned(process(100, 1, "npm run dev", "npm run dev"))
            },
            ProcessInfo {
                relation: Relation::Wrapper,
                ..orphaned(process(101, 100, "sh", "sh -c vite"))
            },
            ProcessInfo {
                ports: vec![5173],
                ..orphaned(process(
                    102,
                    101,
                    "node",
                    "node /app/node_modules/.bin/vite",
                ))
            },
        ]
    }

    #[test]
    fn npm_stack_is_flagged_once_on_its_top() {
        let procs = npm_stack();
        assert_eq!(procs[1].role, Role::Shell);
        let s = orphaned_stacks(&procs, &init_only);
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!((s[0].pid, s[0].kill_pid), (100, 100));
        assert_eq!(s[0].severity, Severity::Suspect);
        assert!(
            s[0].reason.starts_with("stack npm → shell → vite (PIDs 100, 101, 102) holding :5173 reparented to PID 1 (init)"),
            "{}",
            s[0].reason
        );
    }

    #[test]
    fn living_terminal_or_parent_is_no_orphan() {
        let mut procs = npm_stack();
        procs[0].ppid = Some(50); // npm's shell still there
        assert!(orphaned_stacks(&procs, &|_| Some("bash".into())).is_empty());
        let mut procs = npm_stack();
        procs[0].session_leader_alive = true;
        assert!(orphaned_stacks(&procs, &init_only).is_empty());
        let mut procs = npm_stack();
        procs[0].tty_nr = 34816;
        assert!(orphaned_stacks(&procs, &init_only).is_empty());
        let mut procs = npm_stack();
        procs[0].sid = 100; // npm leads its own session: started as a daemon
        assert!(orphaned_stacks(&procs, &init_only).is_empty());
    }

    #[test]
    fn tool_without_wrapper_is_its_own_stack_but_a_plain_node_is_not() {
        let tsx = orphaned(process(
            200,
            1,
            "node",
            "node /app/node_modules/.bin/tsx watch src/index.ts",
        ));
        let s = orphaned_stacks(std::slice::from_ref(&tsx), &init_only);
        assert_eq!(s.len(), 1);
        assert!(
            s[0].reason.starts_with("tsx reparented to PID 1"),
            "{}",
            s[0].reason
        );
        let node = orphaned(process(201, 1, "node", "node server.js"));
        assert!(orphaned_stacks(std::slice::from_ref(&node), &init_only).is_empty());
        // … but `npm start` → `node server.js` is a stack.
        let npm = ProcessInfo {
            relation: Relation::Wrapper,
            ..orphaned(process(202, 1, "npm start", "npm start"))
        };
        let node = ProcessInfo {
            ppid: Some(202),
            ..node
        };
        let s = orphaned_stacks(&[npm, node], &init_only);
        assert_eq!(s.iter().map(|s| s.pid).collect::<Vec<_>>(), vec![202]);
    }

    #[test]
    fn subreaper_adopts_and_context_is_never_the_top() {
        let mut procs = npm_stack();
        procs[0].ppid = Some(77);
        let s = orphaned_stacks(&procs, &|pid| (pid == 77).then(|| "systemd".to_owned()));
        assert_eq!(s.len(), 1);
        assert!(s[0].reason.contains("PID 77 (systemd)"), "{}", s[0].reason);
        // A wrapper shown only as context stops the walk: the stack below it is not orphaned.
        let mut procs = npm_stack();
        procs[0].relation = Relation::Ancestor;
        procs[1].ppid = Some(100);
        assert!(orphaned_stacks(&procs, &init_only).is_empty());
    }
}
