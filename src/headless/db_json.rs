//! The JSON of the database views: the `databases` and `migrations` members of `status --json`
//! and the `devtop migrations --json` document, as `#[derive(Serialize)]` structs.
//!
//! Fields are declared in alphabetical order: that is the order the documents have always had
//! (they were built as `serde_json` maps, which sort their keys), and scripts may compare the
//! text. Keep it when adding a field.

use crate::headless::databases::DbReport;
use crate::model::cli_diff::DiffResult;
use crate::model::database::{DbEnvSnapshot, DbStatus};
use crate::model::db_view::EnvView;
use crate::model::migrations::MigrationState;
use serde::Serialize;
use std::borrow::Cow;
use std::path::Path;

/// One environment in `databases`: reachability, health, the error and Prisma's lock holder.
#[derive(Debug, Serialize)]
pub struct DatabaseJson<'a> {
    /// Server connections in use and allowed; null for SQLite or when unknown.
    connections: Option<ConnectionsJson>,
    /// Why the database could not be used: a driver error, or the configuration.
    error: Option<ErrorJson<'a>>,
    /// `SELECT 1` round trip in milliseconds, two decimals.
    latency_ms: Option<f64>,
    /// The session holding Prisma Migrate's lock.
    lock: Option<LockJson<'a>>,
    /// PostgreSQL: sessions waiting for a lock.
    lock_waiters: Option<i64>,
    /// Environment name.
    name: &'a str,
    /// PostgreSQL: age of the oldest running statement of another session, seconds.
    oldest_query_s: Option<f64>,
    /// up / down / unconfigured / ...
    status: DbStatus,
    /// The URL with its secrets masked.
    url: Option<&'a str>,
    /// The variable the URL comes from.
    url_env: &'a str,
    /// The server's version string.
    version: Option<&'a str>,
}

/// `(in use, max)` server connections.
#[derive(Debug, Serialize)]
struct ConnectionsJson {
    max: i64,
    used: i64,
}

/// An error: `kind` is the lower-case error kind ("timeout", "auth", ...), or "config" /
/// "unconfigured" for a URL problem.
#[derive(Debug, Serialize)]
struct ErrorJson<'a> {
    kind: Cow<'static, str>,
    message: &'a str,
}

/// Prisma Migrate's lock holder; `local_pid` is the local process holding it, when found.
#[derive(Debug, Serialize)]
struct LockJson<'a> {
    client_addr: Option<&'a str>,
    client_port: Option<u16>,
    held_s: Option<f64>,
    local_pid: Option<u32>,
    pid: Option<i64>,
    query: Option<Cow<'a, str>>,
}

/// One environment in `migrations` (and `environments` of `devtop migrations --json`).
#[derive(Debug, Serialize)]
pub struct MigrationsJson<'a> {
    /// The migration that blocks `migrate deploy` (a failed one).
    blocked_by: Option<&'a str>,
    /// Counts per state; null while the table could not be read.
    counts: Option<CountsJson>,
    /// devtop's own schema ↔ database comparison.
    drift: Option<DriftJson<'a>>,
    /// What the project's Prisma CLI said (`prisma migrate diff`).
    drift_cli: Option<DriftCliJson<'a>>,
    /// Environment name.
    env: &'a str,
    /// When the last migration finished, ms since the epoch.
    last_applied_ms: Option<i64>,
    /// "migrate lock held …" when Prisma's lock is held.
    lock: Option<&'a str>,
    /// Per migration, newest first.
    migrations: Option<Vec<MigrationJson<'a>>>,
    /// migration_lock.toml's provider disagrees with the URL's.
    provider_mismatch: Option<&'a str>,
    /// Whether `_prisma_migrations` could be read.
    readable: bool,
    /// One summary line.
    summary: &'a str,
    /// The database has no `_prisma_migrations` table.
    table_absent: Option<bool>,
}

#[derive(Debug, Serialize)]
struct CountsJson {
    applied: usize,
    edited: usize,
    failed: usize,
    missing_locally: usize,
    pending: usize,
    rolled_back: usize,
}

#[derive(Debug, Serialize)]
struct MigrationJson<'a> {
    applied_at_ms: Option<i64>,
    detail: Option<&'a str>,
    name: &'a str,
    status: MigrationState,
}

#[derive(Debug, Serialize)]
struct DriftJson<'a> {
    missing_in_db: &'a [String],
    missing_in_schema: &'a [String],
}

/// `status` is in-sync, differs (with `summary`), failed (with `message`) or timed-out (with
/// `after_s`); the other members are left out.
#[derive(Debug, Serialize)]
struct DriftCliJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    after_s: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a [String]>,
}

/// The `devtop migrations --json` document (version 1).
#[derive(Debug, Serialize)]
pub struct MigrationsDoc<'a> {
    databases: Vec<DatabaseJson<'a>>,
    environments: Vec<MigrationsJson<'a>>,
    local: Vec<LocalJson<'a>>,
    migrations_dir: &'a Path,
    problems: Vec<&'a String>,
    version: u32,
}

/// A local migration folder: its name, first checksum and read error.
#[derive(Debug, Serialize)]
struct LocalJson<'a> {
    checksum: Option<&'a String>,
    error: Option<&'a str>,
    name: &'a str,
}

fn database_json(e: &DbEnvSnapshot) -> DatabaseJson<'_> {
    let h = e.health.as_ref();
    let error = e
        .error
        .as_ref()
        .map(|x| ErrorJson {
            kind: Cow::Owned(format!("{:?}", x.kind).to_lowercase()),
            message: &x.message,
        })
        .or_else(|| {
            e.unconfigured.as_ref().map(|w| ErrorJson {
                kind: Cow::Borrowed(if e.config_error {
                    "config"
                } else {
                    "unconfigured"
                }),
                message: w,
            })
        });
    DatabaseJson {
        connections: h
            .and_then(|h| h.connections)
            .map(|(used, max)| ConnectionsJson { max, used }),
        error,
        latency_ms: h.map(|h| (h.latency_ms * 100.0).round() / 100.0),
        lock: e.lock.as_ref().map(|l| LockJson {
            client_addr: l.client_addr.as_deref(),
            client_port: l.client_port,
            held_s: l.held_s,
            local_pid: e.lock_local_pid,
            pid: l.pid,
            query: l.query.as_deref().map(crate::redact::text),
        }),
        lock_waiters: h.and_then(|h| h.lock_waiters),
        name: &e.name,
        oldest_query_s: h.and_then(|h| h.oldest_query_s),
        status: e.status,
        url: e.masked_url.as_deref(),
        url_env: &e.url_env,
        version: h.map(|h| h.version.as_str()),
    }
}

fn drift_cli_json(d: &DiffResult) -> DriftCliJson<'_> {
    let base = DriftCliJson {
        after_s: None,
        message: None,
        status: "",
        summary: None,
    };
    match d {
        DiffResult::InSync => DriftCliJson {
            status: "in-sync",
            ..base
        },
        DiffResult::Differs(lines) => DriftCliJson {
            status: "differs",
            summary: Some(lines),
            ..base
        },
        DiffResult::Failed(m) => DriftCliJson {
            status: "failed",
            message: Some(m),
            ..base
        },
        DiffResult::TimedOut(t) => DriftCliJson {
            status: "timed-out",
            after_s: Some(t.as_secs()),
            ..base
        },
    }
}

fn migrations_json(v: &EnvView) -> MigrationsJson<'_> {
    let m = v.migrations.as_ref();
    MigrationsJson {
        blocked_by: m.and_then(|m| m.summary.blocked_by.as_deref()),
        counts: m.map(|m| CountsJson {
            applied: m.summary.applied,
            edited: m.summary.edited,
            failed: m.summary.failed,
            missing_locally: m.summary.missing_locally,
            pending: m.summary.pending,
            rolled_back: m.summary.rolled_back,
        }),
        drift: v.drift.as_ref().map(|d| DriftJson {
            missing_in_db: &d.missing_in_db,
            missing_in_schema: &d.missing_in_schema,
        }),
        drift_cli: v.cli_drift.as_ref().map(drift_cli_json),
        env: &v.name,
        last_applied_ms: m.and_then(|m| m.summary.last_applied_ms),
        lock: v.lock_line.as_deref(),
        migrations: m.map(|m| {
            m.items
                .iter()
                .map(|i| MigrationJson {
                    applied_at_ms: i.applied_at_ms,
                    detail: i.detail.as_deref(),
                    name: &i.name,
                    status: i.state,
                })
                .collect()
        }),
        provider_mismatch: v.provider_mismatch.as_deref(),
        readable: m.is_some(),
        summary: &v.summary,
        table_absent: m.map(|m| m.table_absent),
    }
}

/// `databases` member of `status --json`: one entry per environment, in configuration order.
pub fn databases_json(r: &DbReport) -> Vec<DatabaseJson<'_>> {
    r.dbs.envs.iter().map(database_json).collect()
}

/// `migrations` member of `status --json`: one entry per environment, in configuration order.
pub fn migrations_json_all(r: &DbReport) -> Vec<MigrationsJson<'_>> {
    r.views.iter().map(migrations_json).collect()
}

/// The `devtop migrations --json` document: the local folder, its problems and the report's,
/// and per environment its migrations and its database.
pub fn migrations_doc(report: &DbReport) -> MigrationsDoc<'_> {
    MigrationsDoc {
        databases: databases_json(report),
        environments: migrations_json_all(report),
        local: report
            .local
            .migrations
            .iter()
            .map(|m| LocalJson {
                checksum: m.checksums.first(),
                error: m.error.as_deref(),
                name: &m.name,
            })
            .collect(),
        migrations_dir: &report.local.path,
        problems: report
            .local
            .problems
            .iter()
            .chain(&report.problems)
            .collect(),
        version: 1,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::cli_diff::CliDiffs;
    use crate::model::database::DbEnvSnapshot;
    use crate::model::db_view::derive_all;

    /// The fixture's four environments (up, behind, blocked and locked, down) plus a URL
    /// configuration error and an unset variable; the CLI diff in each of its four outcomes.
    fn report() -> DbReport {
        let (mut dbs, local, project) = crate::model::fixtures::databases();
        for (name, message, config_error) in [("dev2", "bad url", true), ("dev3", "unset", false)] {
            let mut e = DbEnvSnapshot::new(name, "X_URL");
            e.status = DbStatus::Unconfigured;
            e.unconfigured = Some(message.into());
            e.config_error = config_error;
            dbs.envs.push(e);
        }
        let mut cli = CliDiffs::new();
        cli.insert("local".into(), DiffResult::Differs(vec!["[+] a".into()]));
        cli.insert("staging".into(), DiffResult::InSync);
        cli.insert("production".into(), DiffResult::Failed("boom".into()));
        cli.insert(
            "qa".into(),
            DiffResult::TimedOut(std::time::Duration::from_secs(7)),
        );
        let views = derive_all(&local, project.schema.as_ref(), &dbs, &cli);
        DbReport {
            dbs,
            local,
            views,
            problems: vec!["p1".into()],
        }
    }

    #[test]
    fn keys_keep_the_sorted_order_of_the_documents() {
        // A `serde_json::Value` sorts object keys: the struct text must equal it, byte for byte
        // (the order the documents had when they were built with `json!`).
        let r = report();
        let doc = migrations_doc(&r);
        let text = serde_json::to_string_pretty(&doc).unwrap();
        let sorted = serde_json::to_string_pretty(&serde_json::to_value(&doc).unwrap()).unwrap();
        assert_eq!(text, sorted);
        for needle in [
            "\"kind\": \"config\"",
            "\"kind\": \"unconfigured\"",
            "\"kind\": \"timeout\"",
            "\"status\": \"timed-out\"",
            "\"after_s\": 7",
            "\"message\": \"boom\"",
            "\"status\": \"in-sync\"",
            "\"local_pid\"",
            "\"used\": 7",
        ] {
            assert!(text.contains(needle), "{needle} missing");
        }
    }
}
