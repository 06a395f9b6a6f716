//! `devtop kill --suspects | --pid N... [--dry-run] [--yes] [--grace SECS]`.
//!
//! Prints the plan (one line per process to signal), then one line `PID: outcome` per process:
//! `refused: <reason>` for every process that is asked for but refused, or lies below a refused
//! one (printed before anything is signalled), then the outcome of each signalled one. Exit 0
//! when every target ended and nothing was refused, 1 otherwise, 2 for a usage error.

use crate::app::executor;
use crate::cli::{KillArgs, PidArg};
use crate::effects::signal;
use crate::headless::out;
use crate::model::kill_plan::{self, KillPlan, Root, Unshown};
use crate::model::memory::format_bytes;
use crate::model::refusal::Protected;
use crate::model::snapshot::ProcessSnapshot;
use crate::sanitize::clean;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use std::io::{BufRead, IsTerminal};
use std::time::Duration;

/// Roots for `--pid`: each PID with its shown descendants. A PID that is not a shown dev
/// process is described from `/proc` (start time, owner, name) so the planner's guards apply to
/// it too. With `PID@TICKS` the given start time is what the plan and the kill check.
pub fn pid_roots(snap: &ProcessSnapshot, pids: &[PidArg]) -> Vec<Root> {
    pids.iter()
        .map(|arg| {
            let shown = snap.get(arg.pid).is_some();
            let unshown = (!shown)
                .then(|| signal::read_identity(arg.pid).ok())
                .flatten()
                .map(|id| Unshown {
                    start_ticks: id.start_ticks,
                    uid: Some(id.uid),
                    name: std::fs::read_to_string(format!("/proc/{}/comm", arg.pid))
                        .map(|s| s.trim().to_owned())
                        .unwrap_or_default(),
                });
            Root {
                pid: arg.pid,
                start_ticks: arg.start_ticks,
                why: if shown {
                    "selected".into()
                } else {
                    "selected (not a shown dev process)".into()
                },
                unshown,
            }
        })
        .collect()
}

/// The plan for `args` against `snap`, with devtop's position `me`.
pub fn plan_for(args: &KillArgs, snap: &ProcessSnapshot, me: &Protected) -> KillPlan {
    let mut roots = if args.suspects {
        kill_plan::suspect_roots(snap)
    } else {
        Vec::new()
    };
    for root in pid_roots(snap, &args.pid) {
        if !roots.iter().any(|r| r.pid == root.pid) {
            roots.push(root);
        }
    }
    kill_plan::build(snap, me, &roots)
}

fn confirm(plan: &KillPlan) -> bool {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return false;
    }
    out::prompt(&format!(
        "Kill {} process(es), freeing about {}? [y/N] ",
        plan.kills.len(),
        format_bytes(kill_plan::total_rss(plan))
    ));
    let mut line = String::new();
    stdin.lock().read_line(&mut line).is_ok() && matches!(line.trim(), "y" | "Y" | "yes")
}

/// Run the kill command against `snap` through the effects executor (the same path as the
/// dashboard's kills). Returns the exit code.
pub async fn run(args: &KillArgs, snap: &ProcessSnapshot, default_grace: Duration) -> i32 {
    // A reader that goes away (`| head`) must not change what gets signalled.
    out::keep_going_when_closed();
    let grace = match args.grace {
        Some(g) if g.is_finite() && (0.0..=3600.0).contains(&g) => Duration::from_secs_f64(g),
        Some(g) => {
            out::error(&format!(
                "--grace {g}: must be a number of seconds from 0 to 3600"
            ));
            return EXIT_USAGE;
        }
        None => default_grace,
    };
    let plan = plan_for(args, snap, &signal::protected());
    if plan.is_empty() {
        out::line("nothing to kill: no suspects");
        return EXIT_OK;
    }
    for k in &plan.kills {
        out::line(&format!(
            "{:>7} {:<15} {:>9}  {}",
            k.pid,
            k.role.label(),
            format_bytes(k.rss_bytes),
            clean(&k.reason)
        ));
    }
    for r in &plan.refused {
        out::line(&format!(
            "{}: refused: {}",
            r.pid,
            clean(&r.reason.to_string())
        ));
    }
    let mut ok = plan.refused.is_empty();
    if plan.kills.is_empty() {
        return EXIT_FAILURE;
    }
    if args.dry_run {
        for (pid, r) in executor::dry_run(&plan.kills) {
            match r {
                Ok(p) => out::line(&format!("{pid}: would send {p}")),
                Err(o) => {
                    ok &= o.ended();
                    out::line(&format!("{pid}: {}", clean(&o.to_string())));
                }
            }
        }
        return if ok { EXIT_OK } else { EXIT_FAILURE };
    }
    if !args.yes && !confirm(&plan) {
        out::error("not confirmed; nothing was signalled (pass --yes to skip the question)");
        return EXIT_USAGE;
    }
    for (pid, outcome) in executor::kill(&plan.kills, grace).await {
        ok &= outcome.ended();
        out::line(&format!("{pid}: {}", clean(&outcome.to_string())));
    }
    if ok { EXIT_OK } else { EXIT_FAILURE }
}

/// `devtop kill`: collect the processes once (two samples, on the blocking pool), then
/// [`run`]. Returns the exit code (1 when processes cannot be read).
pub async fn collect_and_run(args: &KillArgs, setup: &crate::setup::Setup) -> i32 {
    match crate::collect::once::collect(setup).await {
        Ok((snap, _)) => run(args, &snap, setup.config.grace).await,
        Err(e) => {
            out::error(&e);
            EXIT_FAILURE
        }
    }
}
