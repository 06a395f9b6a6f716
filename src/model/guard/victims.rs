//! Whom the guard may end: dev-tool suspects of the kinds in [`GUARDED_KINDS`], never a server
//! devtop started, never a non-dev process, never the editor, never devtop, its ancestors,
//! PID 1 or another user's process — nor a suspect whose subtree holds one of those. Largest
//! RSS (the suspect's and its shown descendants') first.

use crate::model::descendants::Children;
use crate::model::process::{ProcessInfo, Relation, Role};
use crate::model::refusal::{Protected, RefuseReason};
use crate::model::snapshot::ProcessSnapshot;
use crate::model::suspects::SuspectKind;
use serde::Serialize;
use std::collections::BTreeMap;

/// The suspect kinds the guard ends under memory pressure: runs that will never finish
/// (hung-migrate), engines that burn memory and CPU (runaway-engine), stacks a closed terminal
/// left (orphan) and Prisma Studio (studio, whatever its `[suspects] studio` severity unless
/// ignored). Never a zombie (it holds no memory), a concurrent or duplicate run (work in
/// progress).
pub const GUARDED_KINDS: &[SuspectKind] = &[
    SuspectKind::HungMigrate,
    SuspectKind::RunawayEngine,
    SuspectKind::Orphan,
    SuspectKind::Studio,
];

/// Process names (`/proc/<pid>/comm` or argv\[0\]'s file name) of editors and IDEs.
pub const EDITOR_NAMES: &[&str] = &[
    "code",
    "code-insiders",
    "codium",
    "cursor",
    "windsurf",
    "zed",
    "zeditor",
    "vim",
    "nvim",
    "vi",
    "emacs",
    "emacs-gtk",
    "hx",
    "helix",
    "nano",
    "micro",
    "kak",
    "subl",
    "sublime_text",
    "idea",
    "webstorm",
    "phpstorm",
    "pycharm",
    "goland",
    "rider",
    "clion",
    "rustrover",
    "fleet",
];

/// Path fragments of an editor's own processes (VS Code's server and extension host, its
/// Electron helpers, JetBrains' bundled node): a `node` running from there is the editor.
pub const EDITOR_MARKERS: &[&str] = &[
    ".vscode-server/",
    ".vscode-server-insiders/",
    ".cursor-server/",
    ".windsurf-server/",
    "/usr/share/code/",
    "/opt/visual-studio-code/",
    "/resources/app/extensions/",
    ".vscode/extensions/",
    ".cursor/extensions/",
    "/.vscode-oss/",
    "--type=extensionHost",
    "--type=renderer",
    "--type=utility",
    "extensionHostProcess",
    "JetBrains/",
];

/// True when `p` is an editor or one of the editor's own processes: its name or argv\[0\] is
/// in [`EDITOR_NAMES`], or an argv word holds a fragment of [`EDITOR_MARKERS`]. A tool started
/// from the editor's terminal is not the editor.
pub fn is_editor(p: &ProcessInfo) -> bool {
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_owned();
    let name = p.name.split_whitespace().next().unwrap_or(&p.name);
    if EDITOR_NAMES.contains(&name)
        || p.cmd
            .first()
            .is_some_and(|a| EDITOR_NAMES.contains(&base(a).as_str()))
    {
        return true;
    }
    p.cmd
        .iter()
        .any(|w| EDITOR_MARKERS.iter().any(|m| w.contains(m)))
}

/// A server devtop started or adopted (`.devtop/state.json`): its leader PID — for a started
/// one also its process group and session ID (started with `setsid`); an adopted one's members
/// are that PID and its descendants only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerGroup {
    /// The configured name.
    pub name: String,
    /// The leader's PID (= process group = session ID when `group`).
    pub pgid: u32,
    /// True for a server devtop started: everything in its session or process group belongs
    /// to it; false for an adopted one.
    pub group: bool,
}

/// A suspect the guard may end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Victim {
    /// PID.
    pub pid: u32,
    /// Start time, clock ticks since boot (`/proc/<pid>/stat` field 22), re-checked at signal
    /// time.
    pub start_ticks: u64,
    /// Process name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Suspect kind.
    pub kind: SuspectKind,
    /// The suspect's reason.
    pub reason: String,
    /// RSS of the process and its shown descendants, bytes (`/proc/<pid>/statm`).
    pub rss_bytes: u64,
}

/// Why a suspect is left alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum SpareReason {
    /// Its kind is not one the guard ends.
    KindNotGuarded,
    /// It (or a process below it) belongs to a server devtop started.
    Server {
        /// The server's name.
        name: String,
    },
    /// It is not a dev process (a context ancestor).
    NotDev,
    /// It (or a process below it) is the editor.
    Editor,
    /// A safety guard refuses it (PID 1, devtop, an ancestor of devtop, another user's).
    Refused {
        /// The guard's reason.
        reason: String,
    },
}

impl std::fmt::Display for SpareReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpareReason::KindNotGuarded => f.write_str("the guard does not end this kind"),
            SpareReason::Server { name } => write!(f, "part of server {name} devtop started"),
            SpareReason::NotDev => f.write_str("not a dev process"),
            SpareReason::Editor => f.write_str("the editor"),
            SpareReason::Refused { reason } => f.write_str(reason),
        }
    }
}

/// A suspect left alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spared {
    /// PID.
    pub pid: u32,
    /// Process name.
    pub name: String,
    /// Suspect kind.
    pub kind: SuspectKind,
    /// Why.
    pub why: SpareReason,
}

/// The guard's victims (largest RSS first, PID breaking ties) and the suspects it spares, from
/// `snap`'s suspects.
pub fn victims(
    snap: &ProcessSnapshot,
    me: &Protected,
    servers: &[ServerGroup],
) -> (Vec<Victim>, Vec<Spared>) {
    let children = Children::of(&snap.processes);
    let mut out = Vec::new();
    let mut spared = Vec::new();
    for s in &snap.suspects {
        let Some(p) = snap.get(s.pid) else { continue };
        let spare = |why| Spared {
            pid: p.pid,
            name: p.name.clone(),
            kind: s.kind,
            why,
        };
        if !GUARDED_KINDS.contains(&s.kind) {
            spared.push(spare(SpareReason::KindNotGuarded));
            continue;
        }
        let tree = subtree(snap, &children, p);
        if let Some(why) = never(snap, me, servers, p, &tree) {
            spared.push(spare(why));
            continue;
        }
        out.push(Victim {
            pid: p.pid,
            start_ticks: p.start_ticks,
            name: p.name.clone(),
            role: p.role,
            kind: s.kind,
            reason: s.reason.clone(),
            rss_bytes: tree.iter().map(|q| q.rss_bytes).sum(),
        });
    }
    out.sort_by(|a, b| b.rss_bytes.cmp(&a.rss_bytes).then(a.pid.cmp(&b.pid)));
    (out, spared)
}

/// `p` and its shown descendants (bounded depth, [`Children::below`]).
fn subtree<'a>(
    snap: &'a ProcessSnapshot,
    children: &Children,
    p: &'a ProcessInfo,
) -> Vec<&'a ProcessInfo> {
    std::iter::once(p)
        .chain(
            children
                .below(p.pid)
                .into_iter()
                .filter_map(|q| snap.get(q)),
        )
        .collect()
}

/// The first never-kill rule that spares the suspect `p` (with `tree`, itself and below).
fn never(
    snap: &ProcessSnapshot,
    me: &Protected,
    servers: &[ServerGroup],
    p: &ProcessInfo,
    tree: &[&ProcessInfo],
) -> Option<SpareReason> {
    if p.relation == Relation::Ancestor {
        return Some(SpareReason::NotDev);
    }
    for q in tree {
        if let Some(r) = me.refuse_pid(q.pid).or_else(|| me.refuse_owner(q.uid)) {
            return Some(refused(r));
        }
        if q.uid.is_none() {
            // Owner unknown: nothing proves it is ours.
            return Some(SpareReason::Refused {
                reason: "owner unknown".to_owned(),
            });
        }
        if is_editor(q) {
            return Some(SpareReason::Editor);
        }
        if let Some(s) = server_of(snap, servers, q) {
            return Some(SpareReason::Server {
                name: s.name.clone(),
            });
        }
    }
    None
}

fn refused(r: RefuseReason) -> SpareReason {
    SpareReason::Refused {
        reason: r.to_string(),
    }
}

/// The server `q` belongs to: its session or process group is a server's, or a shown ancestor
/// is a server's leader.
fn server_of<'a>(
    snap: &ProcessSnapshot,
    servers: &'a [ServerGroup],
    q: &ProcessInfo,
) -> Option<&'a ServerGroup> {
    server_of_by(&|pid| snap.get(pid), servers, q)
}

/// [`server_of`] with any PID lookup (`get`: the shown process with that PID).
fn server_of_by<'a, 'p>(
    get: &dyn Fn(u32) -> Option<&'p ProcessInfo>,
    servers: &'a [ServerGroup],
    q: &ProcessInfo,
) -> Option<&'a ServerGroup> {
    let of = |pid: u32| servers.iter().find(|s| s.pgid > 1 && s.pgid == pid);
    let of_group = |id: u32| of(id).filter(|s| s.group);
    if let Some(s) = of_group(q.sid)
        .or_else(|| of_group(q.pgrp))
        .or_else(|| of(q.pid))
    {
        return Some(s);
    }
    let mut cur = q.ppid;
    for _ in 0..64 {
        let pid = cur?;
        if let Some(s) = of(pid) {
            return Some(s);
        }
        cur = get(pid).and_then(|a| a.ppid);
    }
    None
}

/// Which of `procs` (sorted by PID) belong to one of `servers` (the same rule the guard spares
/// them by): PID → the server's name. Empty when no server is recorded.
pub fn server_members(procs: &[ProcessInfo], servers: &[ServerGroup]) -> BTreeMap<u32, String> {
    if servers.is_empty() {
        return BTreeMap::new();
    }
    let get = |pid: u32| {
        procs
            .binary_search_by_key(&pid, |p| p.pid)
            .ok()
            .map(|i| &procs[i])
    };
    procs
        .iter()
        .filter_map(|q| server_of_by(&get, servers, q).map(|s| (q.pid, s.name.clone())))
        .collect()
}
