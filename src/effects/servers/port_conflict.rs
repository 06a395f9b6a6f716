//! Port conflicts before a start: who holds a server's port, whether that holder is the same
//! server started outside devtop (then it can be adopted), and the decision asked of the
//! caller — end the holder, adopt it, or cancel ([`PortConflicts`]). A second copy is never
//! started onto a taken port.

use super::state::Recorded;
use crate::collect::server_members::{self, ProcTable};
use crate::effects::signal::KillOutcome;
use crate::model::kill_plan::KillTarget;
pub use crate::model::port_conflict::{Conflict, EndTarget, Holder, PortDecision};
use crate::model::refusal::RefuseReason;
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
    let role = crate::model::process::classify_alone(name.trim(), &argv)
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
                // Its uptime counts from its own start, not from the adoption.
                started_unix: start_unix(at.start_ticks).unwrap_or_else(super::state::unix_now),
                ..Recorded::started(&spec.name, at.pid, at.start_ticks, spec.port)
            });
            break;
        }
        match crate::effects::signal::read_identity(at.ppid) {
            Ok(parent) => at = parent,
            Err(_) => break,
        }
    }
    let to_end = end_targets(pid, start_ticks, same_server.as_ref(), spec.port);
    Some(Holder {
        pid,
        start_ticks,
        role,
        argv,
        cwd,
        project,
        same_server,
        to_end,
    })
}

/// Wall-clock start, seconds since the Unix epoch, of a process that started `start_ticks`
/// clock ticks after boot (`btime` of `/proc/stat` plus the ticks); `None` when unreadable.
fn start_unix(start_ticks: u64) -> Option<u64> {
    let boot = procfs::boot_time_secs().ok()?;
    let hz = procfs::ticks_per_second().max(1);
    Some(boot + start_ticks / hz)
}

/// The processes "end it" would signal (see [`Holder::to_end`]), children first.
fn end_targets(
    pid: u32,
    start_ticks: u64,
    same_server: Option<&Recorded>,
    port: Option<u16>,
) -> Vec<EndTarget> {
    let top = same_server.cloned().unwrap_or_else(|| Recorded {
        adopted: true,
        ..Recorded::started("holder", pid, start_ticks, port)
    });
    let mut members = ProcTable::read().members(&top);
    // Children first: descendants have larger start times than their parents.
    members.sort_by_key(|m| std::cmp::Reverse(m.start_ticks));
    if members.is_empty() {
        members.push(server_members::Member { pid, start_ticks });
    }
    members
        .into_iter()
        .map(|m| EndTarget {
            pid: m.pid,
            start_ticks: m.start_ticks,
            name: std::fs::read_to_string(format!("/proc/{}/comm", m.pid))
                .map(|n| n.trim().to_owned())
                .unwrap_or_default(),
        })
        .collect()
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

/// Ends `holder` for [`PortDecision::EndHolder`]: exactly the processes of
/// [`Holder::to_end`] (shown in the question), children first, through the safe kill; then
/// waits up to 5 s for `port` to be free according to `free`. When any of them is refused by
/// the kill guards (PID 1, devtop or an ancestor, another user's process) nothing is signalled;
/// one whose start time changed since (PID reuse) or that is gone is skipped. Returns the PIDs
/// signalled, or why the port is still taken.
///
/// # Errors
/// A message naming what refused or survived, or that the port stayed taken.
pub async fn end_holder(
    holder: &Holder,
    port: u16,
    free: &dyn Fn(u16) -> bool,
) -> Result<Vec<u32>, String> {
    let mut targets: Vec<KillTarget> = Vec::new();
    for t in &holder.to_end {
        match crate::effects::signal::check(t.pid, t.start_ticks) {
            Ok(id) if !id.exited() => {
                targets.push(KillTarget::new(t.pid, t.start_ticks, "port holder"));
            }
            // Gone, or its PID reused since the question: not the process that was shown.
            Ok(_)
            | Err(KillOutcome::AlreadyGone)
            | Err(KillOutcome::Refused(RefuseReason::StartTimeChanged { .. })) => {}
            Err(o) => {
                return Err(format!(
                    "not ending it: PID {} ({}) is refused: {o}",
                    t.pid,
                    crate::sanitize::clean(&t.name)
                ));
            }
        }
    }
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

    fn holder_of(to_end: Vec<EndTarget>) -> Holder {
        Holder {
            pid: to_end.first().map_or(0, |t| t.pid),
            start_ticks: to_end.first().map_or(0, |t| t.start_ticks),
            role: "node".into(),
            argv: v(&["sleep"]),
            cwd: None,
            project: None,
            same_server: None,
            to_end,
        }
    }

    /// A `sleep 30` of this test, killed and reaped on drop.
    struct Sleeper(std::process::Child);
    impl Sleeper {
        fn new() -> Self {
            Sleeper(
                std::process::Command::new("sleep")
                    .arg("30")
                    .spawn()
                    .expect("sleep"),
            )
        }
        fn target(&self) -> EndTarget {
            let id = crate::effects::signal::read_identity(self.0.id()).expect("identity");
            EndTarget {
                pid: id.pid,
                start_ticks: id.start_ticks,
                name: "sleep".into(),
            }
        }
        fn exited(&mut self) -> bool {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if matches!(self.0.try_wait(), Ok(Some(_))) {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            false
        }
    }
    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[tokio::test]
    async fn end_it_signals_only_what_the_question_listed() {
        let mut listed = Sleeper::new();
        let mut not_listed = Sleeper::new();
        let h = holder_of(vec![listed.target()]);
        let pids = end_holder(&h, 1, &|_| true).await.expect("ended");
        assert_eq!(pids, vec![listed.0.id()]);
        assert!(listed.exited(), "the listed process still runs");
        assert!(
            matches!(not_listed.0.try_wait(), Ok(None)),
            "a process not in the question was signalled"
        );
    }

    #[tokio::test]
    async fn a_reused_pid_is_skipped_and_a_refused_one_stops_everything() {
        let mut s = Sleeper::new();
        let mut reused = s.target();
        reused.start_ticks += 1;
        let pids = end_holder(&holder_of(vec![reused]), 1, &|_| true)
            .await
            .expect("nothing to end is not an error");
        assert!(pids.is_empty(), "{pids:?}");
        assert!(
            matches!(s.0.try_wait(), Ok(None)),
            "a reused PID was signalled"
        );
        // PID 1 among the targets: refused, and nothing at all is signalled.
        let init = EndTarget {
            pid: 1,
            start_ticks: crate::effects::signal::read_identity(1).map_or(0, |i| i.start_ticks),
            name: "init".into(),
        };
        let err = end_holder(&holder_of(vec![s.target(), init]), 1, &|_| true)
            .await
            .expect_err("refused");
        assert!(err.contains("PID 1"), "{err}");
        assert!(
            matches!(s.0.try_wait(), Ok(None)),
            "signalled despite a refusal"
        );
    }
}
