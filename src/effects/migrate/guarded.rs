//! The guarded migrate's flow, shared by `devtop migrate` and the TUI's `m`: [`prepare`]
//! (refuse while another migrate or schema-engine runs for the same database on this
//! machine, or the target's migrate lock is held; read the target; the preflight gate), then
//! [`execute`] (the supervised run with its watchdog, the target re-read, what changed, what
//! is left). Both report lines through a callback as they happen ([`Event`]); the caller
//! decides how to ask (a terminal question, a confirm popup) between the two.

use super::gate::{GateReport, GateVerdict};
use super::target::{self, TargetState};
use super::{RunOutcome, RunSpec};
use crate::collect::environments::EnvSpec;
use crate::model::migrations::MigrationState;
use crate::sanitize::clean;
use crate::setup::Setup;
use tokio::sync::watch;

/// Environments that ask to type their name before a migrate: `production`, `prod`, `live`
/// (any case).
pub fn is_production(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "production" | "prod" | "live"
    )
}

/// A line for the user, as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// devtop's own report: the target, refusals, the gate's findings, the result.
    Info(String),
    /// A warning or failure line of the gate, a refusal, a leftover process.
    Warn(String),
    /// A line of the command's output (secrets masked, control bytes escaped).
    Output(String),
    /// The watchdog called the run hung (the message says why and lists its processes).
    Hung(String),
}

/// Why [`prepare`] did not hand back a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// Not an environment, or no usable URL (exit 2): the message.
    Usage(String),
    /// Another run or the lock (exit 1); the lines were reported.
    Refused,
    /// The gate failed (exit 1); the lines were reported.
    GateFailed,
}

/// A migrate ready to run: the target, its state before, and the gate's report.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The environment.
    pub env: EnvSpec,
    /// Its state before the run.
    pub before: TargetState,
    /// The gate's report (pass or warn: a warn needs the user's yes).
    pub gate: GateReport,
}

/// The first half: refusals, the target's state, the gate.
pub async fn prepare(
    setup: &Setup,
    name: &str,
    report: &mut (dyn FnMut(Event) + Send),
) -> Result<Prepared, Stop> {
    let Some(env) = setup.envs.iter().find(|e| e.name == name) else {
        let have: Vec<&str> = setup.envs.iter().map(|e| e.name.as_str()).collect();
        return Err(Stop::Usage(format!(
            "no environment named \"{}\" (have: {})",
            clean(name),
            have.join(", ")
        )));
    };
    let url = match &env.url {
        Ok(u) => u.clone(),
        Err(why) => return Err(Stop::Usage(format!("{name}: {why}"))),
    };
    report(Event::Info(format!(
        "migrate {} ({}) with: {}",
        clean(name),
        url.masked,
        clean(&setup.config.migrate.command.join(" "))
    )));
    if other_run_refused(setup, &url, report).await {
        return Err(Stop::Refused);
    }
    let before = target::read(setup, env).await;
    if lock_refused(&before, report) {
        return Err(Stop::Refused);
    }
    let pending = before.pending();
    report(Event::Info(
        match (&before.migrations, &before.unreachable) {
            (_, Some(why)) => format!("{name}: cannot read its migrations: {}", clean(why)),
            (Some(_), None) if pending.is_empty() => format!("{name}: nothing pending"),
            _ => format!(
                "{name}: {} pending: {}",
                pending.len(),
                clean(&pending.join(", "))
            ),
        },
    ));
    let gate = {
        let mut progress = |text: String| {
            for l in text.lines() {
                report(Event::Info(l.to_owned()));
            }
        };
        super::gate::check(setup, &before, &mut progress).await
    };
    for l in &gate.lines {
        report(Event::Warn(format!("  {}", clean(l))));
    }
    report(Event::Info(
        match gate.verdict {
            GateVerdict::Fail => "preflight: fail — not migrating",
            GateVerdict::Warn => "preflight: warn",
            GateVerdict::Pass => "preflight: pass",
        }
        .into(),
    ));
    if gate.verdict == GateVerdict::Fail {
        return Err(Stop::GateFailed);
    }
    Ok(Prepared {
        env: env.clone(),
        before,
        gate,
    })
}

/// Reports and returns true when another migrate run or schema-engine on this machine works
/// on the database of `url`, or one whose database cannot be told (one process pass, off the
/// runtime).
async fn other_run_refused(
    setup: &Setup,
    url: &crate::db::url::DbUrl,
    report: &mut (dyn FnMut(Event) + Send),
) -> bool {
    let (s, url) = (setup.clone(), url.clone());
    let scan = tokio::task::spawn_blocking(move || target::other_runs(&s, &url, &[])).await;
    others_refused(scan, report)
}

/// The refusal of [`other_run_refused`] from the scan's result: any other run refuses, and so
/// does a scan that panicked (fail closed: an unknown process table is not "no other run").
fn others_refused(
    scan: Result<Vec<target::OtherRun>, tokio::task::JoinError>,
    report: &mut (dyn FnMut(Event) + Send),
) -> bool {
    let Ok(others) = scan else {
        report(Event::Warn(
            "refused: cannot tell whether another migrate runs (the process scan panicked)".into(),
        ));
        return true;
    };
    for o in &others {
        report(Event::Warn(if o.unknown {
            format!(
                "refused: cannot tell which database PID {} migrates: refusing to be safe ({}): {}",
                o.pid, o.role, o.cmd
            )
        } else {
            format!(
                "refused: another migrate runs for this database: pid {} ({}): {}",
                o.pid, o.role, o.cmd
            )
        }));
    }
    if !others.is_empty() {
        report(Event::Info(
            "wait for it to end, or end it (devtop kill --pid N) if it hangs".into(),
        ));
    }
    !others.is_empty()
}

/// Reports and returns true when `state` shows the target's migrate lock held.
fn lock_refused(state: &TargetState, report: &mut (dyn FnMut(Event) + Send)) -> bool {
    let Some(l) = &state.lock else { return false };
    report(Event::Warn(format!(
        "refused: {}",
        lock_line(&state.name, l, state.lock_local_pid)
    )));
    true
}

/// What [`execute`] found.
#[derive(Debug, Clone)]
pub struct Executed {
    /// The run (not started when refused).
    pub outcome: RunOutcome,
    /// The target after it.
    pub after: TargetState,
    /// The re-check at the start refused the run (another migrate run, or the migrate lock
    /// held, since [`prepare`]); the lines were reported and nothing was started.
    pub refused: bool,
}

impl Executed {
    /// The exit code's rule: the command succeeded, nothing of it is left, and the target has
    /// no pending or failed migration.
    pub fn ok(&self) -> bool {
        !self.refused
            && self.outcome.succeeded()
            && self.outcome.left.is_empty()
            && self.after.unreachable.is_none()
            && self.after.pending().is_empty()
            && self.after.in_state(MigrationState::Failed).is_empty()
    }
}

/// The second half: take a turn at the session's Prisma CLI gate for the whole run, refuse
/// (as [`Executed::refused`]) when another migrate run or the target's migrate lock has
/// appeared since [`prepare`], run the command, watch it, re-read the target. When the watchdog calls
/// it hung, the group is ended at once if `end_when_hung`, else when `end` turns true (the
/// TUI's "end it?").
pub async fn execute(
    setup: &Setup,
    p: &Prepared,
    end_when_hung: bool,
    end: Option<watch::Receiver<bool>>,
    report: &mut (dyn FnMut(Event) + Send),
) -> Executed {
    let Ok(url) = &p.env.url else {
        unreachable_env(p, report);
        let after = p.before.clone();
        return Executed {
            outcome: super::not_run("no URL"),
            after,
            refused: false,
        };
    };
    let mut secrets = url.secrets();
    if !secrets.is_empty() {
        // The URL as a whole too, however the command prints it.
        secrets.push(url.raw().to_owned());
    }
    let spec = RunSpec {
        command: setup.config.migrate.command.clone(),
        cwd: setup.root.clone(),
        env: child_env(setup, &p.env.url_env, url),
        secrets,
        hang_after: setup.config.migrate.hang_after,
        grace: setup.config.grace,
        memory: setup.config.memory.clone(),
        lock_of: Some(url.clone()),
    };
    // The session's Prisma CLI gate for the whole run: no drift diff of this devtop runs a
    // schema-engine against the database meanwhile (one that runs now is waited for).
    if setup.cli_gate.try_turn().is_none() {
        report(Event::Info(
            "waiting for devtop's running Prisma CLI (a drift check) to end".into(),
        ));
    }
    let _turn = setup.cli_gate.deploy_turn().await;
    // The confirmation may have taken minutes: refuse what [`prepare`] would refuse now.
    if other_run_refused(setup, url, report).await
        || lock_refused(&target::read(setup, &p.env).await, report)
    {
        return Executed {
            outcome: super::not_run("refused"),
            after: p.before.clone(),
            refused: true,
        };
    }
    let cell = std::sync::Mutex::new(report);
    let say = |e: Event| {
        if let Ok(mut r) = cell.lock() {
            r(e);
        }
    };
    let outcome = super::run(
        &spec,
        |line| say(Event::Output(line.to_owned())),
        |h, live, lock| {
            let procs: Vec<String> = live.iter().map(|(p, n)| format!("{p} {n}")).collect();
            let how = if end_when_hung {
                "ending the run, its whole process group"
            } else {
                "end it?"
            };
            let lock = lock.map(|l| format!("; {l}")).unwrap_or_default();
            say(Event::Hung(format!(
                "hung: {}{lock} (processes: {}); {how}",
                h.describe(),
                procs.join(", ")
            )));
        },
        end_when_hung,
        end,
    )
    .await;
    say(Event::Info(format!("result: {}", result_text(&outcome))));
    if !outcome.ended_apart.is_empty() {
        let apart: Vec<String> = outcome
            .ended_apart
            .iter()
            .map(|(p, n)| format!("{p} {}", clean(n)))
            .collect();
        say(Event::Warn(format!(
            "ended what had left the run's process group: {}",
            apart.join(", ")
        )));
    }
    if outcome.left.is_empty() {
        say(Event::Info(format!(
            "no process of the run is left ({} seen)",
            outcome.seen.len()
        )));
    } else {
        let left: Vec<String> = outcome
            .left
            .iter()
            .map(|(p, n)| format!("{p} {}", clean(n)))
            .collect();
        say(Event::Warn(format!(
            "left behind: {} (devtop kill --pid …)",
            left.join(", ")
        )));
    }
    let after = target::read(setup, &p.env).await;
    for line in changes(&p.before, &after) {
        say(Event::Info(line));
    }
    if outcome.hung.is_some() && url.provider != crate::model::provider::Provider::Sqlite {
        // Was it the hung run that held the lock, or does someone still hold it?
        let note = match (&after.unreachable, &after.lock) {
            (Some(why), _) => format!("lock unknown ({})", clean(why)),
            (None, lock) => super::lock_note::describe(lock.as_ref(), after.lock_local_pid),
        };
        say(Event::Info(format!(
            "{}: after ending the run: migrate {note}",
            p.env.name
        )));
    }
    Executed {
        outcome,
        after,
        refused: false,
    }
}

/// The environment of the migrate command for the target at `url`: the shared rule of
/// [`crate::prisma::url_vars`] (the variables prisma.config.ts and the datasource read, its
/// `directUrl` included, all set to the target's URL, so Prisma never falls back on the
/// local URL of `.env`), plus the environment's own variable `env_var` (`STAGING_DATABASE_URL`)
/// for commands that read that one.
pub fn child_env(
    setup: &Setup,
    env_var: &str,
    url: &crate::db::url::DbUrl,
) -> Vec<(String, String)> {
    let mut vars = crate::prisma::url_vars::url_vars(&setup.prisma);
    if !vars.iter().any(|v| v == env_var) {
        vars.push(env_var.to_owned());
    }
    crate::prisma::url_vars::env_for(&vars, url)
}

/// The run's result in words: "succeeded in 2.4 s", "failed in 1.1 s (exit code 1)", "hung
/// (no output and no CPU for 60 s), ended after 61.0 s", "could not start: …".
pub fn result_text(outcome: &RunOutcome) -> String {
    let secs = outcome.duration.as_secs_f64();
    match (&outcome.spawn_error, &outcome.finished, &outcome.hung) {
        (Some(why), _, _) => format!("could not start: {}", clean(why)),
        (_, _, Some(h)) => format!("hung ({}), ended after {secs:.1} s", h.describe()),
        (_, Some(f), None) if f.exit.success() => format!("succeeded in {secs:.1} s"),
        (_, Some(f), None) => format!("failed in {secs:.1} s ({})", f.exit),
        (None, None, None) => format!("unknown end after {secs:.1} s"),
    }
}

fn unreachable_env(p: &Prepared, report: &mut (dyn FnMut(Event) + Send)) {
    report(Event::Warn(format!("{}: no usable URL", p.env.name)));
}

/// "the migrate lock of NAME is held by session S from ADDR for AGE (local pid N: CMD): …".
pub fn lock_line(
    name: &str,
    l: &crate::model::db_health::LockHolder,
    local_pid: Option<u32>,
) -> String {
    let (session, from) = super::lock_note::session_from(l);
    let since = l
        .held_s
        .map(|s| format!(" for {}", crate::model::suspects::format_age(s as u64)))
        .unwrap_or_default();
    let local = local_pid
        .map(|p| format!(" (local pid {p})"))
        .unwrap_or_default();
    format!(
        "the migrate lock of {name} is held by session {session}{from}{since}{local}: another migrate is running (or a hung one holds it); wait for it, or end it"
    )
}

/// What changed between two reads, one line per migration whose state changed, then the
/// target's summary.
pub fn changes(before: &TargetState, after: &TargetState) -> Vec<String> {
    let mut out = Vec::new();
    let name = &after.name;
    if let Some(m) = &after.migrations {
        let mut items: Vec<_> = m.items.iter().collect();
        items.sort_by(|a, b| a.name.cmp(&b.name));
        for i in items {
            let was = before.state_of(&i.name);
            if was != Some(i.state) {
                let was = was.map_or("absent", |w| w.label());
                let detail = i
                    .detail
                    .as_deref()
                    .map(|d| format!(" ({})", clean(d)))
                    .unwrap_or_default();
                out.push(format!(
                    "{name}: {} {was} → {}{detail}",
                    clean(&i.name),
                    i.state.label()
                ));
            }
        }
        let s = &m.summary;
        out.push(format!(
            "{name}: {} applied, {} pending, {} failed{}",
            s.applied,
            s.pending,
            s.failed,
            if out.is_empty() {
                " (nothing changed)"
            } else {
                ""
            }
        ));
    } else if let Some(why) = &after.unreachable {
        out.push(format!(
            "{name}: cannot re-read its migrations: {}",
            clean(why)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_process_scan_that_panicked_refuses() {
        let mut lines = Vec::new();
        let scan =
            tokio::task::spawn_blocking(|| -> Vec<target::OtherRun> { panic!("scan failed") })
                .await;
        assert!(others_refused(scan, &mut |e| lines.push(e)));
        assert!(
            matches!(&lines[..], [Event::Warn(l)] if l.contains("process scan panicked")),
            "{lines:?}"
        );
        let none = tokio::task::spawn_blocking(Vec::new).await;
        assert!(!others_refused(none, &mut |_| panic!("nothing to report")));
    }
}
