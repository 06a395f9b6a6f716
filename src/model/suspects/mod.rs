//! Suspect rules: zombie, orphan, hung-migrate, runaway-engine, concurrent-migrate, studio,
//! duplicate-server. Pure functions of the process list, CPU histories and thresholds.

pub use crate::model::activity::CpuHistory;
use crate::model::process::{ProcessInfo, Relation, Role};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// CPU below this (percent of one core) counts as "~0 %" for the hung rule.
pub const IDLE_CPU_PERCENT: f64 = 1.0;
/// The window over which a migrate's CPU must be idle to be hung, seconds.
pub const HUNG_CPU_WINDOW_S: f64 = 30.0;
/// Seconds a process must stay a zombie before ending its parent is a "kill all" suspect.
pub const ZOMBIE_AFTER_S: f64 = 10.0;
/// Process names that adopt orphans besides PID 1 (subreapers).
pub const SUBREAPERS: &[&str] = &["systemd", "init", "tini", "dumb-init", "s6-svscan", "runit"];
/// Names of container inits (`docker run --init` is docker-init, tini underneath).
pub const INITS: &[&str] = &[
    "init",
    "systemd",
    "tini",
    "docker-init",
    "dumb-init",
    "catatonit",
];

/// True when `name` is an init or a container's init (see [`INITS`]).
pub fn is_init_name(name: &str) -> bool {
    INITS.contains(&name)
}

/// Kind of a suspect, serialized in kebab-case as in `devtop status --json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuspectKind {
    /// State Z: exited, not reaped by its parent.
    Zombie,
    /// A dev stack (a tool and the wrappers that started it) whose topmost process was
    /// reparented to PID 1 or a subreaper after its terminal's session ended; flagged once, on
    /// that topmost process.
    Orphan,
    /// `prisma migrate`/`db push` older than the threshold with ~0 % CPU.
    HungMigrate,
    /// schema-engine hot for too long, or older than an hour.
    RunawayEngine,
    /// More than one migrate run at a time.
    ConcurrentMigrate,
    /// Prisma Studio running.
    Studio,
    /// Two vite or two `tsx watch` with the same cwd.
    DuplicateServer,
}

impl SuspectKind {
    /// Kebab-case label.
    pub fn label(self) -> &'static str {
        match self {
            SuspectKind::Zombie => "zombie",
            SuspectKind::Orphan => "orphan",
            SuspectKind::HungMigrate => "hung-migrate",
            SuspectKind::RunawayEngine => "runaway-engine",
            SuspectKind::ConcurrentMigrate => "concurrent-migrate",
            SuspectKind::Studio => "studio",
            SuspectKind::DuplicateServer => "duplicate-server",
        }
    }
}

/// How serious: `Warn` is shown but not part of "kill all suspects" (`K`); `Suspect` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Shown in yellow; never killed by `K`.
    Warn,
    /// Shown in red; killed by `K`.
    Suspect,
}

/// A flagged process.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suspect {
    /// The flagged process.
    #[serde(skip)]
    pub pid: u32,
    /// Which rule fired.
    pub kind: SuspectKind,
    /// One line with the evidence ("prisma migrate dev running 41m with 0.0% CPU over 30 s").
    pub reason: String,
    /// What to do about it.
    pub advice: String,
    /// Warn or suspect.
    #[serde(rename = "level")]
    pub severity: Severity,
    /// The PID that a kill should target: the process itself, or for a zombie its parent.
    #[serde(skip)]
    pub kill_pid: u32,
}

impl Suspect {
    /// A "hard" suspect: severity [`Severity::Suspect`], counted in red and part of "kill all
    /// suspects" (`K`); warnings are not.
    pub fn is_hard(&self) -> bool {
        self.severity == Severity::Suspect
    }
}

/// How many of `suspects` are hard (see [`Suspect::is_hard`]): the red count in the header
/// and the `n` of "Kill n suspect(s)".
pub fn hard_count(suspects: &[Suspect]) -> usize {
    suspects.iter().filter(|s| s.is_hard()).count()
}

/// What to do with a running Prisma Studio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StudioPolicy {
    /// Flag it in yellow, never kill it with `K`.
    #[default]
    Warn,
    /// Flag it as a suspect (killed by `K`).
    Suspect,
    /// Do not flag it.
    Ignore,
}

/// Thresholds of the rules (`[suspects]` in devtop.toml).
#[derive(Debug, Clone, PartialEq)]
pub struct SuspectRules {
    /// A migrate older than this (seconds) with ~0 % CPU is hung. Default 120.
    pub hung_migrate_after_s: f64,
    /// schema-engine at or above this CPU (percent of one core) ... Default 80.
    pub runaway_cpu_percent: f64,
    /// ... for this long (seconds) is runaway. Default 60.
    pub runaway_for_s: f64,
    /// A schema-engine older than this (seconds) is runaway whatever its CPU. Default 3600.
    pub engine_max_age_s: f64,
    /// Studio policy. Default warn.
    pub studio: StudioPolicy,
}

impl Default for SuspectRules {
    fn default() -> Self {
        SuspectRules {
            hung_migrate_after_s: 120.0,
            runaway_cpu_percent: 80.0,
            runaway_for_s: 60.0,
            engine_max_age_s: 3600.0,
            studio: StudioPolicy::Warn,
        }
    }
}

/// Format seconds as a short age: `45s`, `12m 3s`, `3h 12m`, `2d 4h`.
pub fn format_age(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {s}s")
    } else {
        format!("{s}s")
    }
}

/// CPU over `window_s` judged on what devtop has: the window average when it has watched the
/// whole window; otherwise the CPU over its samples and the lifetime average, both of which
/// must agree (`pick` = max for "idle" tests, min for "hot" tests).
fn judged_cpu(p: &ProcessInfo, hist: Option<&CpuHistory>, window_s: f64, hot: bool) -> f64 {
    let lifetime = p.lifetime_cpu_percent();
    match hist {
        Some(h) if h.watched_s() >= window_s => h.avg_percent(window_s).unwrap_or(lifetime),
        Some(h) => match h.avg_percent(window_s) {
            Some(recent) if hot => recent.min(lifetime),
            Some(recent) => recent.max(lifetime),
            None => lifetime,
        },
        None => lifetime,
    }
}

/// Over what the CPU figure of [`judged_cpu`] was measured, for the reason text.
fn cpu_evidence(hist: Option<&CpuHistory>, window_s: f64) -> String {
    match hist.map(CpuHistory::watched_s) {
        Some(w) if w >= window_s => format!("over the last {}s", window_s as u64),
        Some(w) if w >= 1.0 => format!("over the {}s watched and on lifetime average", w as u64),
        _ => "on lifetime average".to_owned(),
    }
}

/// The command from its `prisma` word on, as stems (`prisma migrate dev --name x`).
pub(crate) fn short_cmd(p: &ProcessInfo) -> String {
    let argv = crate::model::process::argv_words(&p.name, &p.cmd);
    let start = argv
        .iter()
        .position(|w| crate::model::process::word_names(w, "prisma"));
    // The CLI's own word is `prisma` whatever its path (`…/.bin/prisma`, pnpm's
    // `…/node_modules/prisma/build/index.js`).
    let s = argv[start.unwrap_or(0)..]
        .iter()
        .enumerate()
        .map(|(i, w)| match (i, start) {
            (0, Some(_)) => "prisma",
            _ => crate::model::process::word_stem(w),
        })
        .collect::<Vec<_>>()
        .join(" ");
    if s.is_empty() { p.name.clone() } else { s }
}

/// Evaluate every rule. `procs` is the shown list (context ancestors are never flagged),
/// `cpu` the histories by PID, `name_of` resolves a PID's name (for parents not shown, like
/// PID 1). One suspect per process at most, the most serious rule winning (zombie, hung-migrate,
/// runaway-engine, concurrent-migrate, orphan, duplicate-server, studio). Sorted by PID.
pub fn evaluate(
    procs: &[ProcessInfo],
    cpu: &HashMap<u32, CpuHistory>,
    rules: &SuspectRules,
    name_of: &dyn Fn(u32) -> Option<String>,
) -> Vec<Suspect> {
    evaluate_with_servers(procs, cpu, rules, name_of, &BTreeMap::new())
}

/// [`evaluate`] knowing which processes belong to a dev server devtop started or adopted
/// (`servers`: PID → server name, [`crate::model::guard::server_members`]). Such a process is
/// never the copy [`duplicate_servers`] flags (the other copy is), and any other rule's finding
/// on it is only a warning that says to restart the server: `K` never ends a server devtop
/// runs (stop it with the servers' keys instead).
pub fn evaluate_with_servers(
    procs: &[ProcessInfo],
    cpu: &HashMap<u32, CpuHistory>,
    rules: &SuspectRules,
    name_of: &dyn Fn(u32) -> Option<String>,
    servers: &BTreeMap<u32, String>,
) -> Vec<Suspect> {
    let by_rule = [
        zombies(procs, cpu, name_of),
        crate::model::migrate_rules::hung_migrates(procs, cpu, rules),
        runaway_engines(procs, cpu, rules),
        crate::model::migrate_rules::concurrent_migrates(procs),
        crate::model::orphan::orphaned_stacks(procs, name_of),
        duplicate_servers_of(procs, servers),
        studios(procs, rules),
    ];
    let mut out: HashMap<u32, Suspect> = HashMap::new();
    for mut s in by_rule.into_iter().flatten() {
        if let Some(name) = servers.get(&s.kill_pid) {
            s.severity = Severity::Warn;
            s.advice = format!(
                "part of the dev server {name} that devtop runs: restart or stop it from the Servers screen"
            );
        }
        out.entry(s.pid).or_insert(s);
    }
    let mut list: Vec<Suspect> = out.into_values().collect();
    list.sort_by_key(|s| s.pid);
    list
}

/// The processes a rule may flag: the shown ones, not devtop's context ancestors.
fn flaggable(procs: &[ProcessInfo]) -> impl Iterator<Item = &ProcessInfo> + Clone {
    procs.iter().filter(|p| p.relation != Relation::Ancestor)
}

/// Zombie rule: every process in state Z. Its parent is the kill target (ending it makes init
/// reap the zombie), a suspect once the zombie has lasted [`ZOMBIE_AFTER_S`] (a warning
/// before); when the parent is PID 1 or a container's init, a warning with no kill target
/// but the zombie itself. `name_of` names parents not in `procs`.
pub fn zombies(
    procs: &[ProcessInfo],
    cpu: &HashMap<u32, CpuHistory>,
    name_of: &dyn Fn(u32) -> Option<String>,
) -> Vec<Suspect> {
    let by_pid: HashMap<u32, &ProcessInfo> = procs.iter().map(|p| (p.pid, p)).collect();
    let mut out = Vec::new();
    for p in flaggable(procs).filter(|p| p.state == 'Z') {
        let seen = cpu.get(&p.pid).map_or(0.0, CpuHistory::watched_s);
        let ppid = p.ppid.unwrap_or(1);
        let pname = by_pid
            .get(&ppid)
            .map(|pp| format!("{} {}", pp.role.label(), pp.name))
            .or_else(|| name_of(ppid))
            .unwrap_or_else(|| "?".into());
        // PID 1 (or a container's init) that does not reap cannot be helped by ending it:
        // the container needs an init. Warn only; never a kill target.
        let init_parent = ppid == 1 || pname.rsplit(' ').next().is_some_and(is_init_name);
        if init_parent {
            out.push(Suspect {
                pid: p.pid,
                kind: SuspectKind::Zombie,
                reason: format!(
                    "zombie (state Z) for {}s+: its parent PID {ppid} ({pname}) is the init and does not reap",
                    seen as u64
                ),
                advice: "nothing to kill: run the container with an init that reaps (docker run --init, tini, dumb-init)".into(),
                severity: Severity::Warn,
                kill_pid: p.pid,
            });
            continue;
        }
        out.push(Suspect {
            pid: p.pid,
            kind: SuspectKind::Zombie,
            reason: format!(
                "zombie (state Z) for {}s+: exited but not reaped by parent PID {ppid} ({pname})",
                seen as u64
            ),
            advice: format!(
                "end the parent PID {ppid} so init reaps it (a zombie holds no memory, only a PID)"
            ),
            // A parent reaps late when its event loop is busy: only a zombie that lasts
            // ZOMBIE_AFTER_S makes ending the parent part of "kill all suspects".
            severity: if seen >= ZOMBIE_AFTER_S {
                Severity::Suspect
            } else {
                Severity::Warn
            },
            kill_pid: ppid,
        });
    }
    out
}

/// Runaway-engine rule: a live schema-engine at or above [`SuspectRules::runaway_cpu_percent`]
/// over [`SuspectRules::runaway_for_s`] (judged on the CPU history in `cpu`, else the lifetime
/// average), or older than [`SuspectRules::engine_max_age_s`]. Always a suspect.
pub fn runaway_engines(
    procs: &[ProcessInfo],
    cpu: &HashMap<u32, CpuHistory>,
    rules: &SuspectRules,
) -> Vec<Suspect> {
    let mut out = Vec::new();
    for p in flaggable(procs).filter(|p| p.role == Role::SchemaEngine && p.state != 'Z') {
        let c = judged_cpu(p, cpu.get(&p.pid), rules.runaway_for_s, true);
        let old = p.age_s as f64 >= rules.engine_max_age_s;
        if c >= rules.runaway_cpu_percent || old {
            let why = if c >= rules.runaway_cpu_percent {
                format!(
                    "at {c:.1}% CPU {} (limit {:.0}% for {}s)",
                    cpu_evidence(cpu.get(&p.pid), rules.runaway_for_s),
                    rules.runaway_cpu_percent,
                    rules.runaway_for_s as u64
                )
            } else {
                format!("older than {}", format_age(rules.engine_max_age_s as u64))
            };
            out.push(Suspect {
                pid: p.pid,
                kind: SuspectKind::RunawayEngine,
                reason: format!("schema-engine {why}, running {}", format_age(p.age_s)),
                advice:
                    "kill it: a stray schema-engine burns CPU and can hold Prisma's migrate lock"
                        .into(),
                severity: Severity::Suspect,
                kill_pid: p.pid,
            });
        }
    }
    out
}

/// Whether an ancestor of `pid` (within 32 levels, among `by_pid`) has `role`.
fn has_ancestor_role(by_pid: &HashMap<u32, &ProcessInfo>, pid: u32, role: Role) -> bool {
    let mut cur = by_pid.get(&pid).and_then(|p| p.ppid);
    for _ in 0..32 {
        let Some(pp) = cur else { return false };
        let Some(parent) = by_pid.get(&pp) else {
            return false;
        };
        if parent.role == role {
            return true;
        }
        cur = parent.ppid;
    }
    false
}

/// Duplicate-server rule: two or more live vite, or `tsx watch`, with the same cwd (a child
/// under a process of the same role does not count: it is that server's worker). Every one but
/// the oldest (by start time, then PID) is a suspect.
pub fn duplicate_servers(procs: &[ProcessInfo]) -> Vec<Suspect> {
    duplicate_servers_of(procs, &BTreeMap::new())
}

/// [`duplicate_servers`] where a copy that belongs to a dev server devtop runs (`servers`) is
/// the one kept: the others are flagged, it never is.
pub fn duplicate_servers_of(procs: &[ProcessInfo], owned: &BTreeMap<u32, String>) -> Vec<Suspect> {
    let by_pid: HashMap<u32, &ProcessInfo> = procs.iter().map(|p| (p.pid, p)).collect();
    let mut servers: HashMap<(Role, &std::path::Path), Vec<&ProcessInfo>> = HashMap::new();
    for p in flaggable(procs).filter(|p| p.state != 'Z') {
        let watch_tsx = p.role == Role::Tsx && p.cmd.iter().any(|w| w == "watch");
        if (p.role == Role::Vite || watch_tsx)
            && let Some(cwd) = p.cwd.as_deref()
        {
            servers.entry((p.role, cwd)).or_default().push(p);
        }
    }
    let mut out = Vec::new();
    for ((role, cwd), mut list) in servers {
        list.retain(|p| !has_ancestor_role(&by_pid, p.pid, role));
        if list.len() < 2 {
            continue;
        }
        list.sort_by_key(|p| (!owned.contains_key(&p.pid), p.start_ticks, p.pid));
        let first = list[0];
        let (kept, advice) = match owned.get(&first.pid) {
            Some(name) => (
                format!("devtop's server {name}: PID {}", first.pid),
                "two dev servers fight over the same port and files: kill this copy",
            ),
            None => (
                format!("first: PID {}", first.pid),
                "two dev servers fight over the same port and files: kill the newer one",
            ),
        };
        for p in &list[1..] {
            out.push(Suspect {
                pid: p.pid,
                kind: SuspectKind::DuplicateServer,
                reason: format!(
                    "another {} in {} ({kept}, running {})",
                    role.label(),
                    cwd.display(),
                    format_age(first.age_s)
                ),
                advice: advice.into(),
                severity: Severity::Suspect,
                kill_pid: p.pid,
            });
        }
    }
    out
}

/// Studio rule: every live Prisma Studio, a warning or a suspect as
/// [`SuspectRules::studio`] says (none when it is [`StudioPolicy::Ignore`]).
pub fn studios(procs: &[ProcessInfo], rules: &SuspectRules) -> Vec<Suspect> {
    if rules.studio == StudioPolicy::Ignore {
        return Vec::new();
    }
    flaggable(procs)
        .filter(|p| p.role == Role::PrismaStudio && p.state != 'Z')
        .map(|p| {
            let port = p
                .ports
                .first()
                .map(|port| format!(" on port {port}"))
                .unwrap_or_default();
            Suspect {
                pid: p.pid,
                kind: SuspectKind::Studio,
                reason: format!(
                    "Prisma Studio running{port} for {}, RSS {}",
                    format_age(p.age_s),
                    crate::model::memory::format_bytes(p.rss_bytes)
                ),
                advice: "close Studio when done: it holds memory and database connections".into(),
                severity: if rules.studio == StudioPolicy::Suspect {
                    Severity::Suspect
                } else {
                    Severity::Warn
                },
                kill_pid: p.pid,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
