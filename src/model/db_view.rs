//! Derived, per-environment view of the databases: migration status (local folder merged with
//! `_prisma_migrations`), drift against schema.prisma, the migrate lock in words, and the
//! matrix of migrations × environments. Pure: computed once per change, never in render.

use crate::model::cli_diff::{CliDiffs, DiffResult};
use crate::model::database::{AppliedState, DbEnvSnapshot, DbSnapshot};
use crate::model::drift::{Drift, compare};
use crate::model::local_migrations::{MigrationsDir, provider_matches};
use crate::model::migrations::{EnvMigrations, MigrationState, merge};
use crate::model::schema::Schema;
use crate::model::suspects::format_age;
use std::collections::BTreeSet;

/// What devtop concludes about one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvView {
    /// Environment name.
    pub name: String,
    /// Migration status; `None` while `_prisma_migrations` could not be read.
    pub migrations: Option<EnvMigrations>,
    /// Schema ↔ database differences; `None` without a schema or without columns.
    pub drift: Option<Drift>,
    /// "migrate lock held 11m 3s by pid 4242 (10.0.0.5)" when Prisma's lock is held.
    pub lock_line: Option<String>,
    /// The backend PID holding the lock, to link a local schema-engine.
    pub lock_pid: Option<i64>,
    /// migration_lock.toml's provider disagrees with the URL's.
    pub provider_mismatch: Option<String>,
    /// One summary line ("staging: 3 pending, last applied 2025-09-17").
    pub summary: String,
    /// What the project's own `prisma migrate diff` said, when the CLI is installed; it is
    /// preferred over devtop's own comparison in [`EnvView::drift_lines`].
    pub cli_drift: Option<DiffResult>,
}

impl EnvView {
    /// Drift in words: the Prisma CLI's verdict when there is one (and it ran), else devtop's
    /// comparison of models and columns; empty when in sync or unknown.
    pub fn drift_lines(&self) -> Vec<String> {
        match &self.cli_drift {
            Some(DiffResult::InSync) => vec![],
            Some(DiffResult::Differs(lines)) => {
                let mut v =
                    vec!["database differs from schema.prisma (prisma migrate diff):".to_owned()];
                v.extend(lines.iter().map(|l| format!("  {l}")));
                v
            }
            Some(DiffResult::TimedOut(d)) => vec![format!(
                "prisma migrate diff timed out after {}s (killed)",
                d.as_secs()
            )],
            Some(DiffResult::Failed(_)) | None => self
                .drift
                .as_ref()
                .filter(|d| !d.is_empty())
                .map(|d| vec![d.summary()])
                .unwrap_or_default(),
        }
    }

    /// True when the environment has pending, failed, rolled-back or edited migrations (what
    /// makes `devtop migrations` exit 1).
    pub fn has_problems(&self) -> bool {
        self.migrations
            .as_ref()
            .is_some_and(|m| !m.summary.is_clean())
    }
}

/// Derive the view of `env` from the local folder and the parsed schema.
pub fn derive(
    local: &MigrationsDir,
    schema: Option<&Schema>,
    env: &DbEnvSnapshot,
    cli: Option<&DiffResult>,
) -> EnvView {
    let migrations = match &env.applied {
        AppliedState::Rows(rows) => Some(merge(local, Some(rows))),
        AppliedState::Absent => Some(merge(local, None)),
        AppliedState::Unknown | AppliedState::Error(_) => None,
    };
    let drift = match (schema, &env.columns) {
        (Some(s), Some(cols)) => Some(compare(s, cols)),
        _ => None,
    };
    let lock_line = env.lock.as_ref().map(|l| {
        let how_long = l
            .held_s
            .map(|s| format!(" {}", format_age(s as u64)))
            .unwrap_or_default();
        let pid = l.pid.map(|p| format!(" by pid {p}")).unwrap_or_default();
        let addr = l
            .client_addr
            .as_ref()
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        let local = env
            .lock_local_pid
            .map(|p| format!(", local process PID {p}"))
            .unwrap_or_default();
        format!("migrate lock held{how_long}{pid}{addr}{local}")
    });
    let provider_mismatch = match (&local.lock_provider, env.provider) {
        (Some(lock), Some(p)) if !provider_matches(lock, p.prisma_name()) => Some(format!(
            "migration_lock.toml says {lock}, {} is {}",
            env.name,
            p.prisma_name()
        )),
        _ => None,
    };
    let summary = match (&migrations, &env.applied) {
        (Some(m), _) => m.summary.line(&env.name),
        (None, AppliedState::Error(e)) => {
            format!("{}: cannot read _prisma_migrations: {e}", env.name)
        }
        (None, _) => match (&env.unconfigured, &env.error) {
            (Some(why), _) if env.config_error => {
                format!("{}: configuration error ({why})", env.name)
            }
            (Some(why), _) => format!("{}: not configured ({why})", env.name),
            (None, Some(e)) => format!("{}: unreachable ({})", env.name, e.kind.plain()),
            (None, None) => format!("{}: connecting…", env.name),
        },
    };
    EnvView {
        name: env.name.clone(),
        migrations,
        drift,
        lock_pid: env.lock.as_ref().and_then(|l| l.pid),
        lock_line,
        provider_mismatch,
        summary,
        cli_drift: cli.cloned(),
    }
}

/// Views of every environment, in order.
pub fn derive_all(
    local: &MigrationsDir,
    schema: Option<&Schema>,
    dbs: &DbSnapshot,
    cli: &CliDiffs,
) -> Vec<EnvView> {
    dbs.envs
        .iter()
        .map(|e| derive(local, schema, e, cli.get(&e.name)))
        .collect()
}

/// One row of the matrix: a migration and its state per environment (`None` = unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRow {
    /// Migration folder name.
    pub name: String,
    /// True when the folder exists locally.
    pub local: bool,
    /// Local folder problem (missing migration.sql, ...).
    pub local_error: Option<String>,
    /// State per environment, in the order of the views.
    pub cells: Vec<Option<MigrationState>>,
}

/// Rows = every migration known locally or to any environment, newest first (names start with
/// their timestamp); columns = environments.
pub fn matrix(local: &MigrationsDir, views: &[EnvView]) -> Vec<MatrixRow> {
    let mut names: BTreeSet<String> = local.migrations.iter().map(|m| m.name.clone()).collect();
    for v in views {
        if let Some(m) = &v.migrations {
            names.extend(m.items.iter().map(|i| i.name.clone()));
        }
    }
    names
        .into_iter()
        .rev()
        .map(|name| {
            let lm = local.migrations.iter().find(|m| m.name == name);
            MatrixRow {
                local: lm.is_some(),
                local_error: lm.and_then(|m| m.error.clone()),
                cells: views
                    .iter()
                    .map(|v| {
                        v.migrations
                            .as_ref()
                            .and_then(|m| m.items.iter().find(|i| i.name == name))
                            .map(|i| i.state)
                    })
                    .collect(),
                name,
            }
        })
        .collect()
}
