//! The guarded migrate's run (issue 11): the configured command as a supervised child in its
//! own process group ([`crate::effects::child::Supervised`]), its output line by line
//! (redacted and sanitised), a watchdog over the whole group ([`Watchdog`]: no output and
//! ~0 % CPU for `hang_after`, or memory critical), ending the group when hung, and a check that
//! no process of the run is left afterwards.

pub mod gate;
pub mod group;
pub mod guarded;
pub mod lock_note;
pub mod run_db;
pub mod target;

use crate::collect::memory::MemoryReader;
use crate::effects::child::{ChildSpec, Finished, Supervised};
use crate::effects::signal::kill_targets_async;
use crate::model::kill_plan::KillTarget;
use crate::model::memory::{Level, MemoryThresholds, assess};
use crate::model::migrate_watchdog::{Hung, Watchdog};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How often the group's CPU and the memory are sampled.
pub const SAMPLE_EVERY: Duration = Duration::from_millis(500);
/// How often the child's exit is looked at between samples.
const EXIT_POLL: Duration = Duration::from_millis(50);

/// What to run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The command: program then arguments (`[prisma] migrate`).
    pub command: Vec<String>,
    /// Working directory (the project root).
    pub cwd: PathBuf,
    /// Variables for the child only: the target's URL in every variable Prisma reads it from
    /// ([`guarded::child_env`]).
    pub env: Vec<(String, String)>,
    /// Exact strings to mask in its output (the URL, its password).
    pub secrets: Vec<String>,
    /// The watchdog's quiet time.
    pub hang_after: Duration,
    /// Time between SIGTERM and SIGKILL when the group is ended.
    pub grace: Duration,
    /// Memory thresholds (critical memory marks the run hung).
    pub memory: MemoryThresholds,
    /// The target's URL, to name who holds its migrate lock when the run is hung
    /// ([`lock_note::note`]); `None`: no note.
    pub lock_of: Option<crate::db::url::DbUrl>,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// How the child ended (`None` when it could not be started).
    pub finished: Option<Finished>,
    /// Why it could not be started.
    pub spawn_error: Option<String>,
    /// The watchdog's verdict, when it called the run hung (and ended it).
    pub hung: Option<Hung>,
    /// Processes of the run still alive after it was ended (PID, name): should be empty.
    pub left: Vec<(u32, String)>,
    /// Processes of the run that outlived its process group (a schema-engine that called
    /// `setsid`) and were ended one by one through the kill guards (PID, name).
    pub ended_apart: Vec<(u32, String)>,
    /// Every process seen in the run's group (PID, name), e.g. the schema-engine.
    pub seen: Vec<(u32, String)>,
    /// Wall time from the start to the end of the group.
    pub duration: Duration,
}

impl RunOutcome {
    /// True when the command exited 0 and was not called hung.
    pub fn succeeded(&self) -> bool {
        self.hung.is_none() && self.finished.is_some_and(|f| f.exit.success())
    }
}

/// Run `spec`: `on_line` gets each output line as it arrives (shown: secrets masked, control
/// bytes escaped); `on_hung` is told when the watchdog calls it hung, with the run's live
/// processes (PID, name) (the group is then ended: SIGTERM, SIGKILL after the grace, the
/// schema-engine included) — at once when `end_when_hung`, else once `end` turns true (the
/// watchdog keeps watching meanwhile: a run that wakes up again is no longer hung).
pub async fn run(
    spec: &RunSpec,
    mut on_line: impl FnMut(&str),
    mut on_hung: impl FnMut(&Hung, &[(u32, String)], Option<&str>),
    end_when_hung: bool,
    mut end: Option<tokio::sync::watch::Receiver<bool>>,
) -> RunOutcome {
    let started = Instant::now();
    let Some((program, args)) = spec.command.split_first() else {
        return not_started("the migrate command is empty".into(), started);
    };
    let mut child = ChildSpec::new(program)
        .args(args)
        .cwd(&spec.cwd)
        .grace(spec.grace);
    for (k, v) in &spec.env {
        child = child.env(k, v);
    }
    let mut sup = match Supervised::spawn(child) {
        Ok(s) => s,
        Err(e) => {
            return not_started(
                format!(
                    "cannot start {}: {}",
                    crate::sanitize::clean(program),
                    crate::bounded_read::io_reason(&e)
                ),
                started,
            );
        }
    };
    let pid = sup.pid();
    let pgid = sup.pgid();
    let hz = crate::collect::proc_stat::clock_and_page().0;
    let reader = MemoryReader::system();
    let mut dog = Watchdog::new(spec.hang_after);
    let mut seen: BTreeSet<group::Ident> = BTreeSet::new();
    let mut names: Vec<(u32, String)> = Vec::new();
    let mut hung = None;
    let mut tick = tokio::time::interval(EXIT_POLL);
    let mut next_sample = Instant::now();
    let mut open = true;
    let finished = loop {
        tokio::select! {
            line = sup.next_line(), if open => match line {
                Some(l) => {
                    dog.output(started.elapsed());
                    on_line(&l.shown(&spec.secrets));
                }
                None => open = false,
            },
            _ = tick.tick() => {
                if sup.has_exited() {
                    break sup.wait().await;
                }
                if Instant::now() < next_sample {
                    continue;
                }
                next_sample = Instant::now() + SAMPLE_EVERY;
                // A /proc scan: off the runtime thread (the dashboard's loop shares it).
                // A failed scan (a panic) skips this sample rather than reading as "no CPU".
                let Ok(members) =
                    tokio::task::spawn_blocking(move || group::members(pid, pgid)).await
                else {
                    continue;
                };
                let ticks: u64 = members.iter().map(|m| m.1).sum();
                for (id, _, name) in &members {
                    if seen.insert(*id) {
                        names.push((id.0, name.clone()));
                    } else if let Some(n) = names.iter_mut().find(|n| n.0 == id.0) {
                        // Its latest name: `setsid` becomes the schema-engine it execs.
                        n.1.clone_from(name);
                    }
                }
                let now = started.elapsed();
                dog.cpu(now, ticks, hz);
                let critical = reader
                    .read()
                    .ok()
                    .map(|m| assess(&m, &spec.memory))
                    .filter(|a| a.level == Level::Critical)
                    .map(|a| a.reasons.join("; "));
                let verdict = dog.judge(now, critical.as_deref());
                if verdict.is_none() {
                    hung = None;
                }
                if let Some(h) = verdict {
                    let live: Vec<(u32, String)> = members
                        .iter()
                        .filter(|m| Some(m.0.0) != pgid)
                        .map(|m| (m.0.0, crate::sanitize::clean(&m.2).into_owned()))
                        .collect();
                    if hung.is_none() {
                        let lock = match &spec.lock_of {
                            Some(url) => lock_note::note(url).await,
                            None => None,
                        };
                        on_hung(&h, &live, lock.as_deref());
                    }
                    hung = Some(h);
                    if end_when_hung {
                        break sup.terminate().await;
                    }
                }
            }
            changed = wait_true(&mut end) => {
                if changed {
                    break sup.terminate().await;
                }
                end = None;
            }
        }
    };
    // Lines still queued, then the rest of the group.
    while let Ok(Some(l)) = tokio::time::timeout(Duration::from_millis(200), sup.next_line()).await
    {
        on_line(&l.shown(&spec.secrets));
    }
    sup.end().await;
    // Keep the tether watcher out of the leftovers check once it is reaped.
    let mut left = wait_gone(&seen, Duration::from_secs(2)).await;
    // What outlived the group (it left it: setsid) is ended one by one, each pinned by a
    // pidfd and checked by the kill guards against the start time seen in the scans.
    let mut ended_apart = Vec::new();
    if !left.is_empty() {
        let targets: Vec<KillTarget> = left
            .iter()
            .map(|(p, start)| KillTarget::new(*p, *start, "migrate run member"))
            .collect();
        for (p, outcome) in kill_targets_async(&targets, spec.grace).await {
            if outcome.ended() {
                ended_apart.push(p);
            }
        }
        left = wait_gone(&seen, Duration::from_secs(2)).await;
    }
    let name_of = |pid: u32| {
        names
            .iter()
            .find(|(p, _)| *p == pid)
            .map_or_else(String::new, |(_, n)| n.clone())
    };
    RunOutcome {
        finished: Some(finished),
        spawn_error: None,
        hung,
        left: left.into_iter().map(|(p, _)| (p, name_of(p))).collect(),
        ended_apart: ended_apart.into_iter().map(|p| (p, name_of(p))).collect(),
        seen: names,
        duration: started.elapsed(),
    }
}

/// Resolves to true once `end` holds true; to false when its sender is gone (never, when
/// there is no receiver).
async fn wait_true(end: &mut Option<tokio::sync::watch::Receiver<bool>>) -> bool {
    match end {
        Some(rx) => rx.wait_for(|v| *v).await.is_ok(),
        None => std::future::pending().await,
    }
}

/// A run that never started, with `why`.
pub fn not_run(why: &str) -> RunOutcome {
    not_started(why.to_owned(), Instant::now())
}

/// Poll until none of `seen` is alive or `within` passes; what is left.
async fn wait_gone(seen: &BTreeSet<group::Ident>, within: Duration) -> Vec<group::Ident> {
    let deadline = Instant::now() + within;
    loop {
        let ids = seen.clone();
        // A /proc scan: off the runtime thread. A failed scan counts everything as left.
        let left = tokio::task::spawn_blocking(move || group::left(&ids))
            .await
            .unwrap_or_else(|_| seen.iter().copied().collect());
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn not_started(why: String, started: Instant) -> RunOutcome {
    RunOutcome {
        finished: None,
        spawn_error: Some(why),
        hung: None,
        left: Vec::new(),
        ended_apart: Vec::new(),
        seen: Vec::new(),
        duration: started.elapsed(),
    }
}
