//! Per-environment migration status: the local migrations folder merged with the rows of the
//! database's `_prisma_migrations` table, with `prisma migrate status` semantics (plus the
//! edited / missing-locally cases the Prisma CLI reports but does not fail on).
//!
//! Pure: the folder is read by `crate::prisma::migrations_dir`, the rows by the database
//! collector. Timestamps are i64 milliseconds since the Unix epoch; dates are shown as
//! `YYYY-MM-DD` in UTC.

use crate::model::local_migrations::{LocalMigration, MigrationsDir};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One row of Prisma's `_prisma_migrations` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRow {
    /// `id`: a UUID chosen by Prisma.
    pub id: String,
    /// `checksum`: lowercase SHA-256 hex of migration.sql as it was when applied (64 chars;
    /// old engines wrote it without zero padding).
    pub checksum: String,
    /// `finished_at`, ms since the epoch; `None` while running or after a failure.
    pub finished_at_ms: Option<i64>,
    /// `migration_name`: the migration folder's name.
    pub migration_name: String,
    /// `logs`: the error of a failed attempt, if any.
    pub logs: Option<String>,
    /// `rolled_back_at`, ms since the epoch: set by `prisma migrate resolve --rolled-back`.
    pub rolled_back_at_ms: Option<i64>,
    /// `started_at`, ms since the epoch.
    pub started_at_ms: i64,
    /// `applied_steps_count`.
    pub applied_steps_count: i64,
}

/// The state of one migration in one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationState {
    /// Finished, and the local migration.sql still has the recorded checksum.
    Applied,
    /// A local folder with no row: `migrate deploy` would apply it.
    Pending,
    /// Its latest attempt started and never finished nor was rolled back: blocks
    /// `migrate deploy` (P3009) until resolved.
    Failed,
    /// Every attempt was marked rolled back (`migrate resolve --rolled-back`): deploy will
    /// apply it again.
    RolledBack,
    /// Finished, but the local migration.sql differs from what was applied.
    Edited,
    /// Finished, but the local migration.sql is missing or cannot be read (refused, too large,
    /// permission denied): its checksum cannot be verified.
    Unreadable,
    /// Applied in the database but absent from the local folder (another branch, a deleted
    /// folder).
    MissingLocally,
}

impl MigrationState {
    /// One-character symbol for tables: ✓ applied, · pending, ✗ failed, ↺ rolled back,
    /// ✎ edited, ! unreadable, ? missing locally.
    pub fn glyph(self) -> &'static str {
        match self {
            MigrationState::Applied => "✓",
            MigrationState::Pending => "·",
            MigrationState::Failed => "✗",
            MigrationState::RolledBack => "↺",
            MigrationState::Edited => "✎",
            MigrationState::Unreadable => "!",
            MigrationState::MissingLocally => "?",
        }
    }

    /// Lowercase words: "applied", "pending", "failed", "rolled back", "edited",
    /// "unreadable", "missing locally".
    pub fn label(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Failed => "failed",
            MigrationState::RolledBack => "rolled back",
            MigrationState::Edited => "edited",
            MigrationState::Unreadable => "unreadable",
            MigrationState::MissingLocally => "missing locally",
        }
    }
}

/// One migration's status in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStatus {
    /// Migration (folder) name.
    pub name: String,
    /// Its state.
    pub state: MigrationState,
    /// `finished_at` of the row that decided the state (applied, edited, missing locally),
    /// ms since the epoch.
    pub applied_at_ms: Option<i64>,
    /// Why, when there is more to say: the database error of a failed attempt (from `logs`),
    /// the local folder's error, "migration.sql changed after it was applied", ...
    pub detail: Option<String>,
}

/// Counts and headline of one environment's migrations.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Summary {
    /// Migrations in state [`MigrationState::Applied`].
    pub applied: usize,
    /// ... [`MigrationState::Pending`].
    pub pending: usize,
    /// ... [`MigrationState::Failed`].
    pub failed: usize,
    /// ... [`MigrationState::RolledBack`].
    pub rolled_back: usize,
    /// ... [`MigrationState::Edited`].
    pub edited: usize,
    /// ... [`MigrationState::Unreadable`].
    pub unreadable: usize,
    /// ... [`MigrationState::MissingLocally`].
    pub missing_locally: usize,
    /// Latest `finished_at` of a migration counted as applied, edited or missing locally, ms
    /// since the epoch.
    pub last_applied_ms: Option<i64>,
    /// The oldest failed migration: the one `migrate deploy` stops at.
    pub blocked_by: Option<String>,
    /// No `_prisma_migrations` table (same as [`EnvMigrations::table_absent`]).
    pub table_absent: bool,
}

impl Summary {
    /// Nothing to do: no pending, failed, rolled-back, edited or unreadable migration
    /// (missing-locally ones do not count: `migrate deploy` ignores them).
    pub fn is_clean(&self) -> bool {
        self.pending == 0
            && self.failed == 0
            && self.rolled_back == 0
            && self.edited == 0
            && self.unreadable == 0
    }

    /// One line for environment `env`, e.g. "staging: 3 pending, last applied 2025-09-17",
    /// "production: blocked by failed 20250917_add_personal_models",
    /// "local: up to date, 7 applied, last applied 2025-10-11",
    /// "dev: no migrations applied yet (no _prisma_migrations table)". Dates in UTC.
    pub fn line(&self, env: &str) -> String {
        let last = self
            .last_applied_ms
            .map(|ms| format!("last applied {}", date_utc(ms)));
        let pending = (self.pending > 0).then(|| format!("{} pending", self.pending));
        if let Some(blocker) = &self.blocked_by {
            let mut s = format!("{env}: blocked by failed {blocker}");
            if self.failed > 1 {
                s.push_str(&format!(" (+{} more failed)", self.failed - 1));
            }
            if let Some(p) = pending {
                s.push_str(&format!(", {p}"));
            }
            return s;
        }
        if self.table_absent {
            let mut s = format!("{env}: no migrations applied yet (no _prisma_migrations table)");
            if let Some(p) = pending {
                s.push_str(&format!(", {p}"));
            }
            return s;
        }
        let mut parts: Vec<String> = Vec::new();
        if self.is_clean() {
            if self.applied == 0 && self.missing_locally == 0 {
                return format!("{env}: up to date, no migrations");
            }
            parts.push("up to date".to_owned());
            parts.push(format!("{} applied", self.applied));
        }
        parts.extend(pending);
        for (n, what) in [
            (self.rolled_back, "rolled back"),
            (self.edited, "edited"),
            (self.unreadable, "unreadable"),
            (self.missing_locally, "missing locally"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        parts.push(last.unwrap_or_else(|| "nothing applied yet".to_owned()));
        format!("{env}: {}", parts.join(", "))
    }
}

/// One environment's migrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvMigrations {
    /// The database has no `_prisma_migrations` table (never migrated): everything local is
    /// pending.
    pub table_absent: bool,
    /// One entry per migration known locally or in the table, newest (highest name) first.
    pub items: Vec<MigrationStatus>,
    /// Counts and headline.
    pub summary: Summary,
}

impl EnvMigrations {
    /// The migrations `prisma migrate deploy` would apply, names oldest first: the pending
    /// ones and the rolled-back ones (deploy applies a rolled-back migration again). Used by
    /// preflight (checks 13 and 14) and the guarded migrate alike.
    pub fn to_deploy(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .items
            .iter()
            .filter(|i| {
                matches!(
                    i.state,
                    MigrationState::Pending | MigrationState::RolledBack
                )
            })
            .map(|i| i.name.as_str())
            .collect();
        v.sort_unstable();
        v
    }
}

/// Merge the local folder with the table's rows (`None` = the table does not exist).
///
/// Per migration name: local folders without rows are pending. Otherwise the rows that are not
/// rolled back decide, the latest by `started_at` first: none → rolled back (or missing locally
/// when the folder is gone too); unfinished → failed; finished → applied when migration.sql has
/// the recorded checksum in any line-ending variant, else edited; no local folder → missing
/// locally. A failed migration stays failed even without a local folder.
pub fn merge(local: &MigrationsDir, applied: Option<&[AppliedRow]>) -> EnvMigrations {
    let table_absent = applied.is_none();
    let mut rows_by_name: BTreeMap<&str, Vec<&AppliedRow>> = BTreeMap::new();
    for row in applied.unwrap_or(&[]) {
        rows_by_name
            .entry(row.migration_name.as_str())
            .or_default()
            .push(row);
    }
    let local_by_name: BTreeMap<&str, &LocalMigration> = local
        .migrations
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    let names: BTreeSet<&str> = rows_by_name
        .keys()
        .chain(local_by_name.keys())
        .copied()
        .collect();

    let items: Vec<MigrationStatus> = names
        .into_iter()
        .rev()
        .map(|name| {
            let rows = rows_by_name.get(name).map_or(&[][..], Vec::as_slice);
            status(name, local_by_name.get(name).copied(), rows)
        })
        .collect();

    let mut summary = Summary {
        table_absent,
        ..Summary::default()
    };
    for item in &items {
        match item.state {
            MigrationState::Applied => summary.applied += 1,
            MigrationState::Pending => summary.pending += 1,
            MigrationState::Failed => {
                summary.failed += 1;
                // Items are newest first: the last one seen is the oldest.
                summary.blocked_by = Some(item.name.clone());
            }
            MigrationState::RolledBack => summary.rolled_back += 1,
            MigrationState::Edited => summary.edited += 1,
            MigrationState::Unreadable => summary.unreadable += 1,
            MigrationState::MissingLocally => summary.missing_locally += 1,
        }
        summary.last_applied_ms = summary.last_applied_ms.max(item.applied_at_ms);
    }
    EnvMigrations {
        table_absent,
        items,
        summary,
    }
}

fn status(name: &str, local: Option<&LocalMigration>, rows: &[&AppliedRow]) -> MigrationStatus {
    let make = |state, applied_at_ms, detail: Option<String>| MigrationStatus {
        name: name.to_owned(),
        state,
        applied_at_ms,
        detail,
    };
    let local_error = local.and_then(|l| l.error.clone());
    if rows.is_empty() {
        return make(MigrationState::Pending, None, local_error);
    }
    // Like Prisma (P3009), any live attempt that never finished is a failure that blocks
    // deploy, even when a later row finished; otherwise the latest live attempt decides (on
    // equal start times the later row in the table wins).
    let live = || rows.iter().filter(|r| r.rolled_back_at_ms.is_none());
    let latest = live()
        .find(|r| r.finished_at_ms.is_none())
        .or_else(|| live().max_by_key(|r| r.started_at_ms));
    let Some(latest) = latest else {
        let when = rows.iter().filter_map(|r| r.rolled_back_at_ms).max();
        let rolled = when.map_or_else(
            || "rolled back".to_owned(),
            |ms| format!("rolled back {}", date_utc(ms)),
        );
        return match local {
            Some(_) => make(
                MigrationState::RolledBack,
                None,
                Some(format!("{rolled}; migrate deploy will apply it again")),
            ),
            None => make(
                MigrationState::MissingLocally,
                None,
                Some(format!("{rolled}; no local folder")),
            ),
        };
    };
    let Some(finished) = latest.finished_at_ms else {
        let mut detail = latest
            .logs
            .as_deref()
            .and_then(failure_reason)
            .map(|l| truncate(&l, 200))
            .unwrap_or_else(|| {
                format!("started {}, never finished", date_utc(latest.started_at_ms))
            });
        if local.is_none() {
            detail.push_str("; no local folder");
        }
        return make(MigrationState::Failed, None, Some(detail));
    };
    let Some(local) = local else {
        return make(
            MigrationState::MissingLocally,
            Some(finished),
            Some("applied, but no local folder".to_owned()),
        );
    };
    if let Some(e) = local_error {
        return make(
            MigrationState::Unreadable,
            Some(finished),
            Some(format!("cannot verify the checksum: {e}")),
        );
    }
    if checksum_matches(&latest.checksum, &local.checksums) {
        make(MigrationState::Applied, Some(finished), None)
    } else {
        make(
            MigrationState::Edited,
            Some(finished),
            Some("migration.sql changed after it was applied (checksum differs)".to_owned()),
        )
    }
}

/// Whether a stored checksum equals one of the local variants. Like Prisma, a stored checksum
/// that is not 64 characters long is compared in the old, unpadded format (each byte as `{:x}`).
fn checksum_matches(stored: &str, variants: &[String]) -> bool {
    let stored = stored.trim().to_ascii_lowercase();
    if stored.is_empty() || stored.len() == 64 {
        return variants.contains(&stored);
    }
    variants
        .iter()
        .any(|v| unpadded(v).is_some_and(|u| u == stored))
}

/// `v` (64 hex chars) re-rendered without zero padding per byte.
fn unpadded(v: &str) -> Option<String> {
    let bytes = v.as_bytes();
    let mut out = String::with_capacity(64);
    for pair in bytes.chunks(2) {
        let pair = std::str::from_utf8(pair).ok()?;
        let b = u8::from_str_radix(pair, 16).ok()?;
        out.push_str(&format!("{b:x}"));
    }
    Some(out)
}

/// The gist of a failed attempt's `logs`. Prisma writes "Database error code: 42P07",
/// "Database error:" and the server's message on the following lines: that message (with the
/// code) is returned; otherwise the first non-empty line.
fn failure_reason(logs: &str) -> Option<String> {
    let lines: Vec<&str> = logs
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let code = lines
        .iter()
        .find_map(|l| l.strip_prefix("Database error code:"))
        .map(str::trim);
    let message = lines
        .iter()
        .position(|l| *l == "Database error:")
        .and_then(|i| lines.get(i + 1));
    match (message, code) {
        (Some(m), Some(c)) => Some(format!("{m} (code {c})")),
        (Some(m), None) => Some((*m).to_owned()),
        _ => lines.first().map(|l| (*l).to_owned()),
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max_chars).collect();
    t.push('…');
    t
}

/// `YYYY-MM-DD` (UTC) of a time in ms since the Unix epoch; negative values give dates before
/// 1970.
pub fn date_utc(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests;
