//! Checks 1, 2 and 6, judged from one process snapshot (two samples 1 s apart, so CPU
//! percentages are real): the Prisma suspects, Prisma Studio, and the heavy processes that
//! compete with a migration for memory and connections.

use super::{Check, CheckAction, CheckId, KillRef, Status, count_noun};
use crate::model::memory::format_bytes;
use crate::model::process::{ProcessInfo, Role, argv_words};
use crate::model::snapshot::ProcessSnapshot;
use crate::model::suspects::{Severity, Suspect, SuspectKind, format_age};
use std::collections::BTreeSet;

/// A Prisma CLI or its engine.
fn is_prisma(role: Role) -> bool {
    matches!(
        role,
        Role::PrismaMigrate
            | Role::PrismaStudio
            | Role::PrismaGenerate
            | Role::PrismaDb
            | Role::PrismaOther
            | Role::SchemaEngine
    )
}

/// True when `pid` or a process below it (within `snap`) is a Prisma CLI or schema-engine.
fn stack_has_prisma(snap: &ProcessSnapshot, pid: u32) -> bool {
    let mut below: BTreeSet<u32> = BTreeSet::from([pid]);
    // The snapshot is sorted by PID, not by depth: repeat until nothing is added.
    loop {
        let before = below.len();
        for p in &snap.processes {
            if p.ppid.is_some_and(|pp| below.contains(&pp)) {
                below.insert(p.pid);
            }
        }
        if below.len() == before {
            break;
        }
    }
    below
        .iter()
        .filter_map(|p| snap.get(*p))
        .any(|p| is_prisma(p.role))
}

/// The suspects that concern check 1: hung migrations, runaway engines, concurrent migrate
/// runs, and orphaned or zombie Prisma processes.
pub fn prisma_suspects(snap: &ProcessSnapshot) -> Vec<&Suspect> {
    snap.suspects
        .iter()
        .filter(|s| match s.kind {
            SuspectKind::HungMigrate
            | SuspectKind::RunawayEngine
            | SuspectKind::ConcurrentMigrate => true,
            SuspectKind::Orphan | SuspectKind::Zombie => stack_has_prisma(snap, s.pid),
            SuspectKind::Studio | SuspectKind::DuplicateServer => false,
        })
        .collect()
}

/// The noun of a suspect kind for counts ("hung migration").
fn noun(kind: SuspectKind) -> &'static str {
    match kind {
        SuspectKind::HungMigrate => "hung migration",
        SuspectKind::RunawayEngine => "runaway schema-engine",
        SuspectKind::ConcurrentMigrate => "concurrent migration",
        SuspectKind::Orphan => "orphaned Prisma stack",
        SuspectKind::Zombie => "Prisma zombie",
        SuspectKind::Studio => "Prisma Studio",
        SuspectKind::DuplicateServer => "duplicate server",
    }
}

/// "3 hung migrations and 1 runaway schema-engine".
fn what(suspects: &[&Suspect]) -> String {
    let mut kinds: Vec<SuspectKind> = suspects.iter().map(|s| s.kind).collect();
    kinds.dedup();
    let mut seen = Vec::new();
    for k in kinds {
        if !seen.contains(&k) {
            seen.push(k);
        }
    }
    let parts: Vec<String> = seen
        .iter()
        .map(|k| count_noun(suspects.iter().filter(|s| s.kind == *k).count(), noun(*k)))
        .collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Check 1. Fail when a hard suspect concerns Prisma (hung, runaway, concurrent, orphaned,
/// zombie), with the `K` action on those processes; warn when only warnings remain (the
/// newest of concurrent runs, a fresh zombie); else pass. Evidence: PID, kind, reason.
pub fn suspects(snap: &ProcessSnapshot) -> Check {
    let found = prisma_suspects(snap);
    if found.is_empty() {
        let n = snap
            .dev_processes()
            .filter(|p| matches!(p.role, Role::PrismaMigrate | Role::SchemaEngine))
            .count();
        let detail = if n == 0 {
            "no prisma migrate or schema-engine process running".to_owned()
        } else {
            format!(
                "{} running, none hung, runaway, orphaned or concurrent",
                count_noun(n, "prisma migrate / schema-engine process")
            )
        };
        return Check::new(CheckId::Suspects, Status::Pass, detail);
    }
    let hard: Vec<&Suspect> = found
        .iter()
        .copied()
        .filter(|s| s.severity == Severity::Suspect)
        .collect();
    let lines = found.iter().map(|s| {
        let cmd = snap
            .get(s.pid)
            .map(|p| format!(" {}", short_command(p)))
            .unwrap_or_default();
        format!("PID {} {}{}: {}", s.pid, s.kind.label(), cmd, s.reason)
    });
    if hard.is_empty() {
        let c = Check {
            detail: Vec::new(),
            ..Check::new(CheckId::Suspects, Status::Warn, "")
        };
        return c.lines(lines).hint(
            "wait for the running migration to finish, then run the preflight again: one \
             migration at a time",
        );
    }
    // Only processes of this snapshot, with their start time: the key acts on what was shown.
    let mut targets: Vec<KillRef> = hard
        .iter()
        .filter_map(|s| snap.get(s.kill_pid))
        .map(|p| KillRef {
            pid: p.pid,
            start_ticks: p.start_ticks,
        })
        .collect();
    targets.sort_unstable_by_key(|t| t.pid);
    targets.dedup();
    let what = what(&hard);
    Check {
        detail: Vec::new(),
        ..Check::new(CheckId::Suspects, Status::Fail, "")
    }
    .lines(lines)
    .hint(after_k_hint(&what, &found))
    .action(CheckAction::KillSuspects { targets, what })
}

/// Check 1's hint: end the hard suspects, then what remains before a migrate — K keeps the
/// newest of concurrent migrate runs (a warning), which still blocks `m` until it ends.
fn after_k_hint(what: &str, found: &[&Suspect]) -> String {
    let kept: Vec<String> = found
        .iter()
        .filter(|s| s.severity != Severity::Suspect && s.kind == SuspectKind::ConcurrentMigrate)
        .map(|s| s.pid.to_string())
        .collect();
    if kept.is_empty() {
        return format!(
            "end {what} (`devtop kill --suspects`), check `npx prisma migrate status`, then \
             migrate once"
        );
    }
    let (runs, end) = match kept.as_slice() {
        [one] => (
            format!("run (PID {one})"),
            format!("`devtop kill --pid {one}`"),
        ),
        many => (
            format!("runs (PIDs {})", many.join(", ")),
            "`devtop kill --pid PID` each".to_owned(),
        ),
    };
    format!(
        "end {what} (`devtop kill --suspects`); that keeps the newest migrate {runs}, which \
         blocks a migrate until it ends: let it finish (or end it: {end}), check `npx prisma \
         migrate status`, then migrate once"
    )
}

/// A process's command line, at most 60 characters.
fn short_command(p: &ProcessInfo) -> String {
    let words = argv_words(&p.name, &p.cmd);
    // Paths of the interpreter and the CLI script are left out ("node …/.bin/prisma migrate
    // dev" → "migrate dev"); a binary started by path is named by its file name.
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_owned();
    let mut tail: Vec<String> = Vec::new();
    for w in &words {
        if !tail.is_empty() {
            tail.push(w.clone());
        } else if base(w).starts_with("schema-engine") {
            tail.push(base(w));
        } else if !(w == "node" || w.contains('/')) {
            tail.push(w.clone());
        }
    }
    let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
    let s = if tail.is_empty() {
        p.command_line()
    } else {
        tail.join(" ")
    };
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s
    }
}

/// The ports a process listens on, as " :5555 :5173" (empty without ports).
fn ports(p: &ProcessInfo) -> String {
    p.ports.iter().map(|p| format!(" :{p}")).collect()
}

/// Check 2: warn while Prisma Studio runs (it keeps connections open and loads tables into
/// memory — seed 000's "never run Studio from a terminal"), listing PID, port, age and RSS.
pub fn studio(snap: &ProcessSnapshot) -> Check {
    let studios: Vec<&ProcessInfo> = snap
        .dev_processes()
        .filter(|p| p.role == Role::PrismaStudio)
        .collect();
    if studios.is_empty() {
        return Check::new(
            CheckId::Studio,
            Status::Pass,
            "Prisma Studio is not running",
        );
    }
    let lines = studios.iter().map(|p| {
        format!(
            "PID {} prisma studio{} running {}, RSS {}",
            p.pid,
            ports(p),
            format_age(p.age_s),
            format_bytes(p.rss_bytes)
        )
    });
    let pids: Vec<String> = studios.iter().map(|p| p.pid.to_string()).collect();
    Check {
        detail: Vec::new(),
        ..Check::new(CheckId::Studio, Status::Warn, "")
    }
    .lines(lines)
    .hint(format!(
        "close Prisma Studio before migrating (PID {}: Ctrl-C in its terminal, or `devtop kill \
         --pid {}`); it holds database connections during the migration",
        pids.join(", "),
        pids.join(" ")
    ))
}

/// What makes a process heavy during a migration, or `None`.
fn heavy_kind(p: &ProcessInfo) -> Option<&'static str> {
    match p.role {
        Role::Vite => Some("dev server (vite)"),
        Role::Next => Some("dev server (next)"),
        Role::Nodemon => Some("dev server (nodemon)"),
        Role::PrismaStudio => Some("Prisma Studio"),
        Role::Tsx if argv_words(&p.name, &p.cmd).iter().any(|w| w == "watch") => {
            Some("dev server (tsx watch)")
        }
        Role::Node | Role::Other => {
            let words = argv_words(&p.name, &p.cmd);
            let tsc = words
                .iter()
                .any(|w| w == "tsc" || w.ends_with("/tsc") || w.ends_with("/bin/tsc"));
            let watch = words.iter().any(|w| w == "--watch" || w == "-w");
            (tsc && watch).then_some("tsc --watch")
        }
        _ => None,
    }
}

/// Check 6: warn when dev servers, `tsc --watch` or Studio run beside a migration, each
/// listed with PID, kind, RSS and ports (largest RSS first); pass when none run.
pub fn heavy(snap: &ProcessSnapshot) -> Check {
    let mut found: Vec<(&ProcessInfo, &str)> = snap
        .dev_processes()
        .filter(|p| p.state != 'Z')
        .filter_map(|p| heavy_kind(p).map(|k| (p, k)))
        .collect();
    if found.is_empty() {
        return Check::new(
            CheckId::HeavyProcesses,
            Status::Pass,
            "no dev server, tsc --watch or Prisma Studio running",
        );
    }
    found.sort_by(|a, b| {
        b.0.rss_bytes
            .cmp(&a.0.rss_bytes)
            .then(a.0.pid.cmp(&b.0.pid))
    });
    let total: u64 = found.iter().map(|(p, _)| p.rss_bytes).sum();
    let mut c = Check::new(
        CheckId::HeavyProcesses,
        Status::Warn,
        format!(
            "{} running beside the migration, {} RSS in all",
            count_noun(found.len(), "heavy process"),
            format_bytes(total)
        ),
    );
    c = c.lines(found.iter().map(|(p, k)| {
        format!(
            "PID {} {k}{}: RSS {}",
            p.pid,
            ports(p),
            format_bytes(p.rss_bytes)
        )
    }));
    c.hint(
        "stop dev servers and watchers while migrating (`devtop down`, or Ctrl-C in their \
         terminals) and start them again afterwards: API first, then the frontend",
    )
}
