//! Preflight: the checks devtop runs before a migration (issue 11), their outcome and the
//! overall verdict. Pure: each check is judged from values the collectors and effects produced
//! (a process snapshot, a memory reading, a database probe, the migrations folder, the
//! inotify usage); the runner in `crate::effects::preflight` gathers those concurrently.
//!
//! - [`Check`]: id, title, [`Status`], the evidence lines, the hint that says what to do, and
//!   the dashboard key that does it ([`CheckAction`]);
//! - [`Summary`]: every check and the verdict ([`Summary::exit_code`]: fail → 1, warn → 1
//!   with `--strict`, else 0);
//! - the judges, one file per subject: [`processes`] (1, 2, 6), [`memory`] (5), [`schema`]
//!   (3), [`database`] (4, 8–12), [`deploy`] (14), [`inotify`] (15).

pub mod database;
pub mod deploy;
pub mod folder;
pub mod inotify;
pub mod memory;
pub mod processes;
pub mod schema;
pub mod text;

use serde::Serialize;

/// Which check, numbered as in the issue (the number is the order on screen and in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// 1: no hung, runaway, orphaned or concurrent prisma / schema-engine processes.
    Suspects,
    /// 2: Prisma Studio not running (warn).
    Studio,
    /// 3: the schema is valid (`prisma validate`, else a static check).
    Schema,
    /// 4: the target database answers within the connect timeout.
    Connection,
    /// 5: MemAvailable, PSI and cgroup headroom.
    Memory,
    /// 6: heavy concurrent processes (dev servers, `tsc --watch`, Studio).
    HeavyProcesses,
    /// 7: the migrations folder exists and every entry is well formed.
    MigrationsFolder,
    /// 8: no failed migration in the target.
    FailedMigrations,
    /// 9: no migrate lock held on the target.
    MigrateLock,
    /// 10: no applied migration edited after apply, none missing locally.
    EditedMigrations,
    /// 11: no drift between schema.prisma and the target database.
    Drift,
    /// 12: pending migrations in the target, in order (info).
    Pending,
    /// 13: migration lint of the pending migrations.
    Lint,
    /// 14: `[deploy] order`: earlier environments first.
    DeployOrder,
    /// 15: inotify watches and instances against the user limits.
    Inotify,
}

/// The checks judged from the target database and the other deploy environments (4, 8–14),
/// in the order of [`CheckId::ALL`]: the preflight's database part reports these.
/// (A subset of [`CheckId::ALL`], written compactly; a test keeps the two in step.)
#[rustfmt::skip]
pub const DATABASE_CHECKS: &[CheckId] = &[
    CheckId::Connection, CheckId::FailedMigrations, CheckId::MigrateLock,
    CheckId::EditedMigrations, CheckId::Drift, CheckId::Pending, CheckId::Lint,
    CheckId::DeployOrder,
];

impl CheckId {
    /// Every check, in order.
    pub const ALL: [CheckId; 15] = [
        CheckId::Suspects,
        CheckId::Studio,
        CheckId::Schema,
        CheckId::Connection,
        CheckId::Memory,
        CheckId::HeavyProcesses,
        CheckId::MigrationsFolder,
        CheckId::FailedMigrations,
        CheckId::MigrateLock,
        CheckId::EditedMigrations,
        CheckId::Drift,
        CheckId::Pending,
        CheckId::Lint,
        CheckId::DeployOrder,
        CheckId::Inotify,
    ];

    /// The check's number in the list (1–15).
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The stable kebab-case name used in JSON (`"suspects"`, `"deploy-order"`).
    pub fn key(self) -> &'static str {
        match self {
            CheckId::Suspects => "suspects",
            CheckId::Studio => "studio",
            CheckId::Schema => "schema",
            CheckId::Connection => "connection",
            CheckId::Memory => "memory",
            CheckId::HeavyProcesses => "heavy-processes",
            CheckId::MigrationsFolder => "migrations-folder",
            CheckId::FailedMigrations => "failed-migrations",
            CheckId::MigrateLock => "migrate-lock",
            CheckId::EditedMigrations => "edited-migrations",
            CheckId::Drift => "drift",
            CheckId::Pending => "pending",
            CheckId::Lint => "lint",
            CheckId::DeployOrder => "deploy-order",
            CheckId::Inotify => "inotify",
        }
    }

    /// The title shown on screen and in text output.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::Suspects => "No hung, runaway, orphaned or concurrent Prisma processes",
            CheckId::Studio => "Prisma Studio not running",
            CheckId::Schema => "Schema valid",
            CheckId::Connection => "Target database answers",
            CheckId::Memory => "Memory headroom",
            CheckId::HeavyProcesses => "No heavy concurrent processes",
            CheckId::MigrationsFolder => "Migrations folder well formed",
            CheckId::FailedMigrations => "No failed migration in the target",
            CheckId::MigrateLock => "No migrate lock held",
            CheckId::EditedMigrations => "No edited or missing migrations",
            CheckId::Drift => "No drift between schema.prisma and the database",
            CheckId::Pending => "Pending migrations",
            CheckId::Lint => "Migration lint of the pending migrations",
            CheckId::DeployOrder => "Deploy order (earlier environments first)",
            CheckId::Inotify => "inotify watches and instances",
        }
    }
}

/// Where a check stands. Ordered by gravity for the verdict: `Running < Skipped < Pass < Info
/// < Warn < Fail` is not used; see [`Summary::exit_code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Still running (the dashboard shows a spinner).
    Running,
    /// Nothing wrong.
    Pass,
    /// Information only (pending migrations): counts as a pass.
    Info,
    /// Worth a look; a failure with `--strict`.
    Warn,
    /// Do not migrate now.
    Fail,
    /// Could not be judged; the first detail line says why (no database configured, the
    /// database did not answer, …). Counts as neither pass nor fail.
    Skipped,
}

impl Status {
    /// The word shown in text output and on screen (`"pass"`, `"WARN"`, `"FAIL"`).
    pub fn label(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Pass => "pass",
            Status::Info => "info",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skipped => "skipped",
        }
    }

    /// One-cell mark (also without colour): ✓ pass, i info, ! warn, ✗ fail, - skipped,
    /// … running.
    pub fn glyph(self) -> &'static str {
        match self {
            Status::Running => "…",
            Status::Pass => "✓",
            Status::Info => "i",
            Status::Warn => "!",
            Status::Fail => "✗",
            Status::Skipped => "-",
        }
    }
}

/// What the dashboard key on a check does (the key itself comes from the key table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CheckAction {
    /// End these suspects through the kill confirmation (key `K`).
    KillSuspects {
        /// The processes to end as the check saw them (the suspect's kill target: for a zombie,
        /// its parent): a process whose start time has changed since (PID reuse) is refused.
        targets: Vec<KillRef>,
        /// "3 hung migrations", "1 runaway schema-engine".
        what: String,
    },
}

/// A process as a check saw it: its PID and start time (clock ticks since boot,
/// `/proc/<pid>/stat` field 22) — `PID@TICKS` for `devtop kill --pid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KillRef {
    /// PID.
    pub pid: u32,
    /// Start time, clock ticks since boot.
    pub start_ticks: u64,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// Its state.
    pub status: Status,
    /// The evidence, one line each (PIDs, sizes, names, the database's error); for a skipped
    /// check the first line is the reason.
    pub detail: Vec<String>,
    /// What to do, exactly (a command, a key, a file to edit); `None` for a pass.
    pub hint: Option<String>,
    /// The dashboard key's action, where one exists.
    pub action: Option<CheckAction>,
    /// Milliseconds the check took (wall clock, from the start of the preflight to its
    /// result); `None` while running.
    pub elapsed_ms: Option<u64>,
}

impl Check {
    /// A check with `status` and one detail line, no hint.
    pub fn new(id: CheckId, status: Status, detail: impl Into<String>) -> Check {
        Check {
            id,
            status,
            detail: vec![detail.into()],
            hint: None,
            action: None,
            elapsed_ms: None,
        }
    }

    /// A running check (no detail yet).
    pub fn running(id: CheckId) -> Check {
        Check {
            detail: Vec::new(),
            ..Check::new(id, Status::Running, "")
        }
    }

    /// A skipped check with its reason.
    pub fn skipped(id: CheckId, reason: impl Into<String>) -> Check {
        Check::new(id, Status::Skipped, reason)
    }

    /// The check with `hint` set.
    pub fn hint(mut self, hint: impl Into<String>) -> Check {
        self.hint = Some(hint.into());
        self
    }

    /// The check with more detail lines.
    pub fn lines<I: IntoIterator<Item = String>>(mut self, more: I) -> Check {
        self.detail.extend(more);
        self
    }

    /// The check with `action` set.
    pub fn action(mut self, action: CheckAction) -> Check {
        self.action = Some(action);
        self
    }

    /// A check that did not finish within `limit_s` seconds.
    pub fn timed_out(id: CheckId, limit_s: f64) -> Check {
        Check::new(
            id,
            Status::Fail,
            format!("did not finish within {limit_s:.1} s (stopped)"),
        )
        .hint("run the check again; if it keeps timing out, look at what it waits for (a database that does not answer, a Prisma CLI that hangs)")
    }
}

/// The verdict of a whole preflight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing failed or warned.
    Pass,
    /// Something warned, nothing failed.
    Warn,
    /// Something failed.
    Fail,
}

/// Every check of one preflight, in [`CheckId`] order, and the target it ran for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The target environment's name (`local`, `staging`, …).
    pub target: String,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// Milliseconds the whole preflight took.
    pub elapsed_ms: u64,
}

impl Summary {
    /// Fail when any check failed, warn when any warned, else pass (info and skipped count
    /// as pass; a check still running counts as a failure: it never ended).
    pub fn verdict(&self) -> Verdict {
        verdict(&self.checks)
    }

    /// The exit code: 1 on fail, 1 on warn with `strict`, else 0.
    pub fn exit_code(&self, strict: bool) -> i32 {
        exit_code(self.verdict(), strict)
    }

    /// The check `id`, when present.
    pub fn get(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// (pass+info, warn, fail, skipped) counts.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        counts(&self.checks)
    }
}

/// See [`Summary::verdict`].
pub fn verdict(checks: &[Check]) -> Verdict {
    if checks
        .iter()
        .any(|c| matches!(c.status, Status::Fail | Status::Running))
    {
        Verdict::Fail
    } else if checks.iter().any(|c| c.status == Status::Warn) {
        Verdict::Warn
    } else {
        Verdict::Pass
    }
}

/// See [`Summary::exit_code`].
pub fn exit_code(v: Verdict, strict: bool) -> i32 {
    match v {
        Verdict::Fail => 1,
        Verdict::Warn if strict => 1,
        _ => 0,
    }
}

/// (pass+info, warn, fail, skipped) among `checks`; running ones are not counted.
pub fn counts(checks: &[Check]) -> (usize, usize, usize, usize) {
    let n = |f: &dyn Fn(Status) -> bool| checks.iter().filter(|c| f(c.status)).count();
    (
        n(&|s| matches!(s, Status::Pass | Status::Info)),
        n(&|s| s == Status::Warn),
        n(&|s| s == Status::Fail),
        n(&|s| s == Status::Skipped),
    )
}

/// "3 hung migrations", "1 runaway schema-engine": `n` and the noun, plural with `s`.
pub fn count_noun(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else if noun.ends_with('s') {
        format!("{n} {noun}es")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests;

/// `[preflight]` settings (devtop.toml).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreflightSettings {
    /// Check 5 fails below this many bytes available (`min_available`, default 500 MiB).
    pub min_available_bytes: u64,
    /// Limit of each check, from the start of the preflight (`check_timeout`, default 8 s).
    pub check_timeout: std::time::Duration,
    /// Limit of each Prisma CLI run: `prisma validate`, `prisma migrate diff`
    /// (`cli_timeout`, default 7 s: the Prisma 7 CLI alone takes 2–7 s to start on a busy
    /// 2-core machine).
    pub cli_timeout: std::time::Duration,
}

impl Default for PreflightSettings {
    fn default() -> Self {
        PreflightSettings {
            min_available_bytes: 500 * 1024 * 1024,
            check_timeout: std::time::Duration::from_secs(8),
            cli_timeout: std::time::Duration::from_secs(7),
        }
    }
}

/// `[deploy] order` when devtop.toml does not set it.
pub const DEFAULT_DEPLOY_ORDER: [&str; 2] = ["staging", "production"];
