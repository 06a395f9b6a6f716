//! The migrate rules: hung-migrate (a one-shot `prisma migrate …` / `db push` that stopped
//! making progress) and concurrent-migrate (runs against the same database at once).
//!
//! Hung is judged on what was sampled after the run became older than the threshold, never on
//! the CPU the CLI spent starting up (~0.85 s for Prisma 7): the TUI, which may have watched the
//! run from its start, and a one-shot `devtop status`, which samples it for
//! [`HUNG_MIN_SAMPLE_S`], look at the same kind of window and agree within a few seconds. A run
//! whose own CPU, whose engine's (any process below it), or whose output (bytes written by
//! any of them) moves over that window is working, not hung.

use crate::model::activity::CpuHistory;
use crate::model::process::{ProcessInfo, Relation, Role};
use crate::model::suspects::{
    HUNG_CPU_WINDOW_S, IDLE_CPU_PERCENT, Severity, Suspect, SuspectKind, SuspectRules, format_age,
    short_cmd,
};
use std::collections::HashMap;

/// The shortest sample, seconds, a hung judgement rests on (unless the lifetime average alone
/// is idle). One-shot commands sample a migrate candidate at least this long.
pub const HUNG_MIN_SAMPLE_S: f64 = 3.0;
/// Bytes written over the judged window from which a run's output counts as moving (an idle
/// node process still writes 8-byte event-loop wake-ups now and then).
pub const OUTPUT_MOVING_BYTES: u64 = 64;

/// True for a run that takes Prisma's migrate lock and ends by itself: `prisma migrate
/// dev|deploy|reset|resolve` and `prisma db push`.
pub fn is_migrate_run(p: &ProcessInfo) -> bool {
    p.state != 'Z'
        && (p.role == Role::PrismaMigrate
            || (p.role == Role::PrismaDb
                && p.cmd
                    .iter()
                    .any(|w| w.split_whitespace().any(|x| x == "push"))))
}

/// Seconds of samples a hung judgement of `p` can use: those taken since it became older than
/// `after_s`, at most [`HUNG_CPU_WINDOW_S`].
pub fn hung_window(p: &ProcessInfo, hist: Option<&CpuHistory>, after_s: f64) -> f64 {
    let since = (p.age_s as f64 - after_s).max(0.0);
    let watched = hist.map_or(0.0, CpuHistory::watched_s);
    since.min(watched).min(HUNG_CPU_WINDOW_S)
}

/// CPU of `p` over `window_s` when that is a full sample; else the larger of the little that
/// was sampled and the lifetime average (both must say idle).
fn cpu_over(p: &ProcessInfo, hist: Option<&CpuHistory>, window_s: f64) -> f64 {
    let recent = hist
        .filter(|_| window_s > 0.0)
        .and_then(|h| h.avg_percent(window_s));
    if window_s >= HUNG_MIN_SAMPLE_S {
        recent.unwrap_or_else(|| p.lifetime_cpu_percent())
    } else {
        recent.unwrap_or(0.0).max(p.lifetime_cpu_percent())
    }
}

/// True when one-shot collection should keep sampling: a migrate run is (or is about to be)
/// older than the threshold but has less than [`HUNG_MIN_SAMPLE_S`] of samples past it.
pub fn wants_longer_sample(
    procs: &[ProcessInfo],
    cpu: &HashMap<u32, CpuHistory>,
    rules: &SuspectRules,
) -> bool {
    procs.iter().any(|p| {
        p.relation != Relation::Ancestor
            && is_migrate_run(p)
            && p.age_s as f64 + HUNG_MIN_SAMPLE_S >= rules.hung_migrate_after_s
            && hung_window(p, cpu.get(&p.pid), rules.hung_migrate_after_s) < HUNG_MIN_SAMPLE_S
    })
}

/// PIDs of the migrate runs in `procs` and of every process below them (their engines): the
/// processes whose output the hung rule watches.
pub fn runs_and_below(procs: &[ProcessInfo]) -> Vec<u32> {
    let mut out = Vec::new();
    for run in procs.iter().filter(|p| is_migrate_run(p)) {
        out.push(run.pid);
        out.extend(below(procs, run.pid).iter().map(|p| p.pid));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Processes below `pid` in `procs` (its engine, a shim's node child).
fn below(procs: &[ProcessInfo], pid: u32) -> Vec<&ProcessInfo> {
    let by_pid: HashMap<u32, &ProcessInfo> = procs.iter().map(|p| (p.pid, p)).collect();
    procs
        .iter()
        .filter(|e| {
            let mut cur = e.ppid;
            for _ in 0..32 {
                match cur {
                    Some(pp) if pp == pid => return true,
                    Some(pp) => cur = by_pid.get(&pp).and_then(|x| x.ppid),
                    None => return false,
                }
            }
            false
        })
        .collect()
}

/// Hung migrate runs among `procs`.
pub fn hung_migrates(
    procs: &[ProcessInfo],
    cpu: &HashMap<u32, CpuHistory>,
    rules: &SuspectRules,
) -> Vec<Suspect> {
    let after = rules.hung_migrate_after_s;
    let mut out = Vec::new();
    for p in procs.iter().filter(|p| {
        p.relation != Relation::Ancestor && is_migrate_run(p) && p.age_s as f64 >= after
    }) {
        let hist = cpu.get(&p.pid);
        let window = hung_window(p, hist, after);
        let c = cpu_over(p, hist, window);
        let team = below(procs, p.pid);
        let engine_busy = team
            .iter()
            .any(|e| cpu_over(e, cpu.get(&e.pid), window) >= IDLE_CPU_PERCENT);
        let written: u64 = if window >= HUNG_MIN_SAMPLE_S {
            std::iter::once(p)
                .chain(team.iter().copied())
                .filter_map(|x| cpu.get(&x.pid).and_then(|h| h.written_over(window)))
                .sum()
        } else {
            0
        };
        if c >= IDLE_CPU_PERCENT || engine_busy || written >= OUTPUT_MOVING_BYTES {
            continue;
        }
        let evidence = if window >= HUNG_MIN_SAMPLE_S {
            format!(
                "over the last {}s (engine idle, no output)",
                window.round() as u64
            )
        } else {
            "on lifetime average".to_owned()
        };
        out.push(Suspect {
            pid: p.pid,
            kind: SuspectKind::HungMigrate,
            reason: format!(
                "{} running {} with {c:.1}% CPU {evidence}",
                short_cmd(p),
                format_age(p.age_s)
            ),
            advice: "kill it and its schema-engine, check `prisma migrate status`, then retry one migration at a time".into(),
            severity: Severity::Suspect,
            kill_pid: p.pid,
        });
    }
    out
}

/// Migrate runs against the same database at once, grouped by [`ProcessInfo::migrate_target`]
/// (the URL from the run's environment, else its project directory). In each group of two or
/// more, the newest run is a warning (it waits for the lock; keep it) and the older ones are
/// suspects (ended by `K`).
pub fn concurrent_migrates(procs: &[ProcessInfo]) -> Vec<Suspect> {
    let by_pid: HashMap<u32, &ProcessInfo> = procs.iter().map(|p| (p.pid, p)).collect();
    let under_run = |p: &ProcessInfo| {
        let mut cur = p.ppid;
        for _ in 0..32 {
            let Some(parent) = cur.and_then(|pp| by_pid.get(&pp)) else {
                return false;
            };
            if parent.role == Role::PrismaMigrate {
                return true;
            }
            cur = parent.ppid;
        }
        false
    };
    let mut groups: HashMap<&str, Vec<&ProcessInfo>> = HashMap::new();
    for p in procs.iter().filter(|p| {
        p.relation != Relation::Ancestor && p.role.is_migration() && p.state != 'Z' && !under_run(p)
    }) {
        let target = p.migrate_target.as_deref().unwrap_or("an unknown database");
        groups.entry(target).or_default().push(p);
    }
    let mut out = Vec::new();
    for (target, mut runs) in groups {
        if runs.len() < 2 {
            continue;
        }
        runs.sort_by_key(|p| (p.start_ticks, p.pid));
        let newest = runs[runs.len() - 1].pid;
        let pids: Vec<String> = runs.iter().map(|p| p.pid.to_string()).collect();
        for p in &runs {
            let newest_one = p.pid == newest;
            out.push(Suspect {
                pid: p.pid,
                kind: SuspectKind::ConcurrentMigrate,
                reason: format!(
                    "{} migrate runs against {target} at once (PIDs {}; newest {newest}): they fight over one lock",
                    runs.len(),
                    pids.join(", ")
                ),
                advice: if newest_one {
                    "the run started last: it proceeds once the older ones end (killing the suspects keeps it)".into()
                } else {
                    format!("an older run holding up PID {newest}: kill it, then let one migration run at a time")
                },
                severity: if newest_one {
                    Severity::Warn
                } else {
                    Severity::Suspect
                },
                kill_pid: p.pid,
            });
        }
    }
    out
}
