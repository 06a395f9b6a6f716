//! `devtop kill --suspects | --pid N... [--dry-run] [--yes] [--grace SECS]`.
//!
//! Prints one line per PID with its outcome; exit 0 when every target ended, 1 otherwise.

use crate::cli::{KillArgs, PidArg};
use crate::effects::signal::{self, KillTarget};
use crate::model::kill_plan::{self, PlannedKill};
use crate::model::memory::format_bytes;
use crate::model::process::Role;
use crate::model::snapshot::ProcessSnapshot;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

/// Targets for `--pid`: each shown PID with its shown descendants; a PID that is not a shown
/// dev process is still targeted alone (the guards in the signal layer still apply). With
/// `PID@TICKS` the given start time is what the kill re-checks.
pub fn plan_pids(snap: &ProcessSnapshot, pids: &[PidArg]) -> Vec<PlannedKill> {
    let mut out: Vec<PlannedKill> = Vec::new();
    for arg in pids {
        // With PID@TICKS naming another process than the one now behind the PID (reused),
        // plan the PID alone: the signal layer refuses it, and the new process's children
        // must not be expanded and signalled.
        let reused = arg
            .start_ticks
            .is_some_and(|t| snap.get(arg.pid).is_some_and(|p| p.start_ticks != t));
        let mut sub = if reused {
            Vec::new()
        } else {
            kill_plan::for_pids(snap, &[arg.pid])
        };
        if sub.is_empty() {
            let ticks = arg
                .start_ticks
                .or_else(|| signal::read_identity(arg.pid).ok().map(|i| i.start_ticks))
                .unwrap_or(0);
            sub.push(PlannedKill {
                pid: arg.pid,
                start_ticks: ticks,
                role: Role::Other,
                name: std::fs::read_to_string(format!("/proc/{}/comm", arg.pid))
                    .map(|s| s.trim().to_owned())
                    .unwrap_or_default(),
                reason: "selected (not a shown dev process)".into(),
                rss_bytes: 0,
            });
        } else if let Some(t) = arg.start_ticks
            && let Some(root) = sub.iter_mut().find(|k| k.pid == arg.pid)
        {
            root.start_ticks = t;
        }
        for k in sub {
            if !out.iter().any(|o| o.pid == k.pid) {
                out.push(k);
            }
        }
    }
    out
}

fn confirm(plan: &[PlannedKill]) -> bool {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return false;
    }
    eprint!(
        "Kill {} process(es), freeing about {}? [y/N] ",
        plan.len(),
        format_bytes(kill_plan::total_rss(plan))
    );
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    stdin.lock().read_line(&mut line).is_ok() && matches!(line.trim(), "y" | "Y" | "yes")
}

/// Run the kill command against `snap`. Returns the exit code.
pub fn run(args: &KillArgs, snap: &ProcessSnapshot, default_grace: Duration) -> i32 {
    let grace = match args.grace {
        Some(g) if g.is_finite() && (0.0..=3600.0).contains(&g) => Duration::from_secs_f64(g),
        Some(g) => {
            eprintln!("devtop: --grace {g}: must be a number of seconds from 0 to 3600");
            return EXIT_USAGE;
        }
        None => default_grace,
    };
    let plan = if args.suspects {
        let mut p = kill_plan::for_suspects(snap);
        for extra in plan_pids(snap, &args.pid) {
            if !p.iter().any(|k| k.pid == extra.pid) {
                p.push(extra);
            }
        }
        p
    } else {
        plan_pids(snap, &args.pid)
    };
    if plan.is_empty() {
        println!("nothing to kill: no suspects");
        return EXIT_OK;
    }
    for k in &plan {
        println!(
            "{:>7} {:<15} {:>9}  {}",
            k.pid,
            k.role.label(),
            format_bytes(k.rss_bytes),
            k.reason
        );
    }
    let targets: Vec<KillTarget> = plan.iter().map(PlannedKill::target).collect();
    if args.dry_run {
        let mut ok = true;
        for (pid, r) in signal::plan(&targets) {
            match r {
                Ok(p) => println!("{pid}: would send {p}"),
                Err(o) => {
                    ok &= o.ended();
                    println!("{pid}: {o}");
                }
            }
        }
        return if ok { EXIT_OK } else { EXIT_FAILURE };
    }
    if !args.yes && !confirm(&plan) {
        eprintln!("devtop: not confirmed; nothing was signalled (pass --yes to skip the question)");
        return EXIT_USAGE;
    }
    let outcomes = signal::kill_targets(&targets, grace);
    let mut all = true;
    for (pid, outcome) in &outcomes {
        all &= outcome.ended();
        println!("{pid}: {outcome}");
    }
    if all { EXIT_OK } else { EXIT_FAILURE }
}
