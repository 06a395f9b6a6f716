//! Port conflicts before a start: who holds a server's port, whether that holder is the same
//! server started outside devtop (then it can be adopted), and the decision asked of the
//! caller — end the holder, adopt it, or cancel ([`PortConflicts`]). A second copy is never
//! started onto a taken port.

use super::members::ProcTable;
use super::state::Recorded;
use crate::model::kill_plan::KillTarget;
use crate::model::server::{ServerCmd, ServerSpec};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::{Duration, Instant};

/// Ancestors of the holder looked at for the server's own command (`node vite` under
/// `sh -c vite` under `npm run dev`).
const MAX_ANCESTORS: usize = 8;
/// How long the port may take to be released after its holder was ended.
const RELEASE_WAIT: Duration = Duration::from_secs(5);
/// Grace between SIGTERM and SIGKILL when ending a holder.
const END_GRACE: Duration = Duration::from_secs(5);

/// The process holding a port, as read from `/proc/<pid>` (text fields raw: show them
/// sanitised and redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// PID of the process with the listening socket.
    pub pid: u32,
    /// Its start time, clock ticks since boot (`/proc/<pid>/stat` field 22).
    pub start_ticks: u64,
    /// Its role ("vite", "node", "npm", …; see [`crate::model::process::Role`]).
    pub role: String,
    /// Its argv (`/proc/<pid>/cmdline`).
    pub argv: Vec<String>,
    /// Its working directory (`/proc/<pid>/cwd`), when readable.
    pub cwd: Option<PathBuf>,
    /// The project it belongs to: the nearest directory at or above `cwd` holding
    /// `devtop.toml`, `package.json` or `.git`.
    pub project: Option<PathBuf>,
    /// The process running the server's own command in the server's cwd — the holder or one
    /// of its ancestors — when there is one: what adopting records. `None` = not adoptable.
    pub same_server: Option<Recorded>,
}

impl Holder {
    /// One line for messages: `PID 77 (vite) node /p/web/node_modules/.bin/vite in /p/web
    /// (project /p)`; argv joined by spaces, not sanitised.
    pub fn describe(&self) -> String {
        let mut s = format!("PID {} ({}) {}", self.pid, self.role, self.argv.join(" "));
        if let Some(cwd) = &self.cwd {
            s.push_str(&format!(" in {}", cwd.display()));
        }
        if let Some(p) = &self.project {
            s.push_str(&format!(" (project {})", p.display()));
        }
        s
    }
}

/// A server's port found taken before its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The port.
    pub port: u16,
    /// Its holder; `None` when not visible (another user's process, or it went away).
    pub holder: Option<Holder>,
}

/// What to do about a [`Conflict`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortDecision {
    /// End the holder (and its descendants; from the adoptable ancestor when there is one)
    /// with the safe kill (SIGTERM, SIGKILL after 5 s; pidfd-pinned, never PID 1, devtop, its
    /// ancestors or another user's process), wait for the port to be released, then start.
    EndHolder,
    /// Treat the holder as the running server (only when [`Holder::same_server`] is set):
    /// recorded as `adopted` in the state file, not started.
    Adopt,
    /// Do not start it (the start fails naming the holder).
    Cancel,
}

/// Decides port conflicts for [`super::up`]: the dashboard asks the user, the headless
/// command answers from its flags.
pub trait PortConflicts {
    /// The decision for `spec` whose port is taken as `conflict` says.
    fn decide<'a>(
        &'a self,
        spec: &'a ServerSpec,
        conflict: &'a Conflict,
    ) -> Pin<Box<dyn Future<Output = PortDecision> + 'a>>;
}

/// Always the same answer (the headless flags: `--adopt`, `--end-holder`, neither = cancel).
pub struct Always(pub PortDecision);

impl PortConflicts for Always {
    fn decide<'a>(
        &'a self,
        _spec: &'a ServerSpec,
        _conflict: &'a Conflict,
    ) -> Pin<Box<dyn Future<Output = PortDecision> + 'a>> {
        let d = self.0;
        Box::pin(async move { d })
    }
}

/// Reads the holder `pid` of `spec`'s port from `/proc` (see [`Holder`]); `None` when it is
/// gone or unreadable.
pub fn read_holder(root: &Path, spec: &ServerSpec, pid: u32) -> Option<Holder> {
    let id = crate::effects::signal::read_identity(pid).ok()?;
    let argv = cmdline(pid);
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let role = crate::model::process::classify(name.trim(), &argv)
        .label()
        .to_owned();
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
    let project = cwd.as_deref().and_then(project_of);
    let want_cwd = server_cwd(root, spec);
    let mut same_server = None;
    let start_ticks = id.start_ticks;
    let mut at = id;
    for _ in 0..MAX_ANCESTORS {
        if at.pid <= 1 {
            break;
        }
        let at_cwd = std::fs::read_link(format!("/proc/{}/cwd", at.pid)).ok();
        if at_cwd.as_deref() == want_cwd.as_deref() && same_command(&spec.cmd, &cmdline(at.pid)) {
            same_server = Some(Recorded {
                adopted: true,
                pgid: at.pgrp,
                ..Recorded::started(&spec.name, at.pid, at.start_ticks, spec.port)
            });
            break;
        }
        match crate::effects::signal::read_identity(at.ppid) {
            Ok(parent) => at = parent,
            Err(_) => break,
        }
    }
    Some(Holder {
        pid,
        start_ticks,
        role,
        argv,
        cwd,
        project,
        same_server,
    })
}

/// The server's working directory, canonical (as `/proc/<pid>/cwd` shows it).
fn server_cwd(root: &Path, spec: &ServerSpec) -> Option<PathBuf> {
    let dir = spec
        .cwd
        .as_ref()
        .map_or_else(|| root.to_owned(), |d| root.join(d));
    std::fs::canonicalize(dir).ok()
}

/// `/proc/<pid>/cmdline` split at NULs (empty when unreadable).
fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            b.split(|c| *c == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// True when `argv` (as read from `/proc`) runs `cmd`: the same words, the program compared
/// by its file name (`/usr/bin/npm` = `npm`); npm retitles itself to `npm run dev`, which
/// also matches. A shell command matches `sh -c LINE` with any shell.
pub fn same_command(cmd: &ServerCmd, argv: &[String]) -> bool {
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_owned();
    match cmd {
        ServerCmd::Argv(want) => {
            // A retitled process may show its whole title as one word.
            let words: Vec<String> = if argv.len() == 1 {
                argv[0].split_whitespace().map(str::to_owned).collect()
            } else {
                argv.to_vec()
            };
            words.len() == want.len()
                && words.first().map(|w| base(w)) == want.first().map(|w| base(w))
                && words[1..] == want[1..]
        }
        ServerCmd::Shell(line) => {
            argv.len() == 3
                && crate::model::process::is_shell_name(&argv[0])
                && argv[1] == "-c"
                && argv[2] == *line
        }
    }
}

/// The nearest directory at or above `dir` with `devtop.toml`, `package.json` or `.git`.
fn project_of(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| {
            ["devtop.toml", "package.json", ".git"]
                .iter()
                .any(|m| d.join(m).exists())
        })
        .map(Path::to_owned)
}

/// Ends `holder` for [`PortDecision::EndHolder`]: the process running the server's command
/// when there is one (else the holder itself) and all its descendants, children first,
/// through the safe kill; then waits up to 5 s for `port` to be free according to `free`.
/// Returns the PIDs signalled, or why the port is still taken.
///
/// # Errors
/// A message naming what refused or survived, or that the port stayed taken.
pub async fn end_holder(
    holder: &Holder,
    port: u16,
    free: &dyn Fn(u16) -> bool,
) -> Result<Vec<u32>, String> {
    let top = holder.same_server.clone().unwrap_or_else(|| Recorded {
        adopted: true,
        ..Recorded::started("holder", holder.pid, holder.start_ticks, Some(port))
    });
    let mut members = ProcTable::read().members(&top);
    // Children first: descendants have larger start times than their parents.
    members.sort_by_key(|m| std::cmp::Reverse(m.start_ticks));
    if members.is_empty() {
        members.push(super::members::Member {
            pid: holder.pid,
            start_ticks: holder.start_ticks,
        });
    }
    let targets: Vec<KillTarget> = members
        .iter()
        .map(|m| KillTarget::new(m.pid, m.start_ticks, "port holder"))
        .collect();
    let outcomes = crate::effects::signal::kill_targets_async(&targets, END_GRACE).await;
    let pids: Vec<u32> = outcomes.iter().map(|(p, _)| *p).collect();
    if let Some((pid, o)) = outcomes
        .iter()
        .find(|(p, o)| *p == holder.pid && !o.ended())
    {
        return Err(format!("could not end PID {pid}: {o}"));
    }
    let deadline = Instant::now() + RELEASE_WAIT;
    while !free(port) {
        if Instant::now() >= deadline {
            return Err(format!(
                "port {port} still taken {} s after its holder was ended",
                RELEASE_WAIT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(pids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn commands_match_by_words_with_the_program_by_file_name() {
        let npm = ServerCmd::Argv(v(&["npm", "run", "dev"]));
        assert!(same_command(&npm, &v(&["/usr/bin/npm", "run", "dev"])));
        assert!(same_command(&npm, &v(&["npm run dev"])), "retitled");
        assert!(!same_command(&npm, &v(&["npm", "run", "build"])));
        assert!(!same_command(&npm, &v(&["node", "vite"])));
        let sh = ServerCmd::Shell("vite --port 1".into());
        assert!(same_command(&sh, &v(&["/bin/sh", "-c", "vite --port 1"])));
        assert!(same_command(&sh, &v(&["bash", "-c", "vite --port 1"])));
        assert!(!same_command(&sh, &v(&["/bin/sh", "-c", "vite"])));
    }
}
