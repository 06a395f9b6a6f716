//! Checks 4 and 8–12 on the target environment, from one probe of its database (read-only
//! session: `SELECT 1`, `_prisma_migrations`, the migrate lock, the columns) merged with the
//! local migrations folder into an [`EnvView`] (`prisma migrate status` semantics).

use super::{Check, CheckId, Status, count_noun};
use crate::model::cli_diff::DiffResult;
use crate::model::database::{AppliedState, DbEnvSnapshot};
use crate::model::db_error::DbErrorKind;
use crate::model::db_view::{EnvView, derive};
use crate::model::local_migrations::MigrationsDir;
use crate::model::migrations::{EnvMigrations, MigrationState, date_utc, merge};
use crate::model::provider::Provider;
use crate::model::schema::Schema;

/// Why checks 4 and 8–12 say what they say about a database that does not exist yet.
pub const MISSING: &str = "the database does not exist yet: `prisma migrate deploy` creates it, with every migration pending";

/// The preflight's view of `env` ([`derive`]): for a database that does not exist yet
/// ([`DbEnvSnapshot::missing_database`]) every local migration is pending, as `prisma migrate
/// deploy` will find them.
pub fn view(
    local: &MigrationsDir,
    schema: Option<&Schema>,
    env: &DbEnvSnapshot,
    cli: Option<&DiffResult>,
) -> EnvView {
    let mut v = derive(local, schema, env, cli);
    if v.migrations.is_none() && env.missing_database() {
        v.migrations = Some(merge(local, None));
    }
    v
}

/// Check 4: the target answered `SELECT 1` within the connect timeout (pass, with latency,
/// version and connections); a reachable server without the database (or a missing SQLite
/// file) → warn ([`MISSING`]: deploy creates it); not configured, or any other connection
/// error → fail with the error kind and message and what to do about that kind.
pub fn connection(env: &DbEnvSnapshot, timeout_s: f64) -> Check {
    let url = env.masked_url.as_deref().unwrap_or("");
    if let Some(why) = &env.unconfigured {
        let what = if env.config_error {
            "configuration error"
        } else {
            "not configured"
        };
        return Check::new(
            CheckId::Connection,
            Status::Fail,
            format!("{}: {what}: {why}", env.name),
        )
        .hint(format!(
            "set {} (the environment, the project's .env or prisma/.env) to the database URL",
            env.url_env
        ));
    }
    if let Some(h) = &env.health {
        let mut line = format!(
            "{} {url}: up, SELECT 1 in {:.1} ms, {}",
            env.name, h.latency_ms, h.version
        );
        if let Some((used, max)) = h.connections {
            line.push_str(&format!(", connections {used}/{max}"));
        }
        return Check::new(CheckId::Connection, Status::Pass, line);
    }
    if env.missing_database() {
        let msg = env
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_default();
        return Check::new(
            CheckId::Connection,
            Status::Warn,
            format!("{} {url}: {MISSING}", env.name),
        )
        .lines([format!("  {msg}")])
        .hint(
            "`devtop migrate` (or `npx prisma migrate deploy`) creates it; if it should exist \
             already, check the URL's database name (or SQLite file path)",
        );
    }
    let Some(e) = &env.error else {
        return Check::new(
            CheckId::Connection,
            Status::Fail,
            format!("{}: no answer within {timeout_s:.0} s", env.name),
        )
        .hint("check the host, port and network (VPN, firewall)");
    };
    let silent = format!(
        "connected, but the server never answered the protocol handshake within \
         {timeout_s:.0} s: is this port a database? (the URL's port, a proxy or tunnel that \
         forwards nowhere, a server too overloaded to answer)"
    );
    let hint = match e.kind {
        DbErrorKind::Dns => "the host name does not resolve: check the URL's host (and VPN/DNS)",
        DbErrorKind::Refused => {
            "nothing listens there: start the database (or fix the URL's host and port)"
        }
        DbErrorKind::Timeout if e.is_no_handshake() => silent.as_str(),
        DbErrorKind::Timeout => {
            "no answer (SYN_SENT: a firewall, a VPN that is down, a trusted-sources list that \
             lacks this machine): check the network before migrating"
        }
        DbErrorKind::Tls | DbErrorKind::TlsRequired => {
            "fix TLS: add `sslmode=require` to the URL (or the certificate it needs)"
        }
        DbErrorKind::Auth => "wrong user or password in the URL",
        DbErrorKind::NoDatabase => {
            "the database does not exist: create it or fix the URL's database name"
        }
        DbErrorKind::TooManyConnections => {
            "the server is out of connections: end idle clients (hung Prisma processes, Studio, \
             dev servers) or raise max_connections"
        }
        DbErrorKind::Locked => "another session holds a lock: see check 9",
        DbErrorKind::Other => "see the error",
    };
    Check::new(
        CheckId::Connection,
        Status::Fail,
        format!("{} {url}: {}", env.name, e.kind.plain()),
    )
    .lines([format!("  {}", e.message)])
    .hint(hint)
}

/// Why the migration checks cannot be judged, or the merged migrations.
fn migrations<'a>(
    env: &DbEnvSnapshot,
    view: &'a EnvView,
    id: CheckId,
) -> Result<&'a EnvMigrations, Check> {
    if let Some(m) = &view.migrations {
        return Ok(m);
    }
    Err(match &env.applied {
        AppliedState::Error(e) => Check::new(
            id,
            Status::Fail,
            format!("{}: cannot read _prisma_migrations: {e}", env.name),
        )
        .hint("grant the URL's user SELECT on _prisma_migrations, or end the session locking it"),
        _ => Check::skipped(
            id,
            format!(
                "{}: the database did not answer (check 4), so its migrations are unknown",
                env.name
            ),
        ),
    })
}

/// " (the database does not exist yet: …)" for a missing database, else "".
fn missing_note(env: &DbEnvSnapshot) -> String {
    if env.missing_database() {
        format!(" ({MISSING})")
    } else {
        String::new()
    }
}

/// Names of `m`'s migrations in `state`, oldest first.
fn names_in(m: &EnvMigrations, state: MigrationState) -> Vec<&str> {
    m.items
        .iter()
        .rev()
        .filter(|i| i.state == state)
        .map(|i| i.name.as_str())
        .collect()
}

/// Check 8: no failed migration (a row started, never finished nor rolled back: blocks
/// `migrate deploy`, P3009). Fail lists each with its logged error.
pub fn failed(env: &DbEnvSnapshot, view: &EnvView) -> Check {
    let m = match migrations(env, view, CheckId::FailedMigrations) {
        Ok(m) => m,
        Err(c) => return c,
    };
    let failed: Vec<_> = m
        .items
        .iter()
        .rev()
        .filter(|i| i.state == MigrationState::Failed)
        .collect();
    if failed.is_empty() {
        return Check::new(
            CheckId::FailedMigrations,
            Status::Pass,
            format!("{}: no failed migration{}", env.name, missing_note(env)),
        );
    }
    let first = failed[0].name.clone();
    Check::new(
        CheckId::FailedMigrations,
        Status::Fail,
        format!(
            "{}: {} blocks migrate deploy (P3009)",
            env.name,
            count_noun(failed.len(), "failed migration")
        ),
    )
    .lines(failed.iter().map(|f| match &f.detail {
        Some(d) => format!("  {}: {}", f.name, first_line(d)),
        None => format!("  {}", f.name),
    }))
    .hint(format!(
        "look at what {first} left half-done in {}, fix it, then mark it: `npx prisma migrate \
         resolve --rolled-back {first}` (to retry) or `--applied {first}` (if you finished it \
         by hand)",
        env.name
    ))
}

/// The first line of a multi-line message, at most 160 characters.
fn first_line(s: &str) -> String {
    let l = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if l.chars().count() > 160 {
        format!("{}…", l.chars().take(159).collect::<String>())
    } else {
        l.to_owned()
    }
}

/// Check 9: nobody holds Prisma's migrate lock (PostgreSQL advisory lock 72707369, MySQL
/// `prisma_migrate`). Fail names the holder (backend pid, address, how long, its query and
/// the local process when it is on this machine). SQLite has no such lock (pass, said so).
pub fn lock(env: &DbEnvSnapshot, view: &EnvView) -> Check {
    if env.missing_database() {
        return Check::new(
            CheckId::MigrateLock,
            Status::Pass,
            format!("{}: nobody holds a lock on it ({MISSING})", env.name),
        );
    }
    if env.health.is_none() {
        return Check::skipped(
            CheckId::MigrateLock,
            format!("{}: the database did not answer (check 4)", env.name),
        );
    }
    if env.provider == Some(Provider::Sqlite) {
        return Check::new(
            CheckId::MigrateLock,
            Status::Pass,
            format!("{}: SQLite, Prisma takes no migrate lock", env.name),
        );
    }
    let (Some(line), Some(l)) = (&view.lock_line, &env.lock) else {
        return Check::new(
            CheckId::MigrateLock,
            Status::Pass,
            format!("{}: the migrate lock is free", env.name),
        );
    };
    let mut c = Check::new(
        CheckId::MigrateLock,
        Status::Fail,
        format!("{}: {line}", env.name),
    );
    if let Some(app) = &l.application_name {
        c.detail.push(format!("  application {app}"));
    }
    if let Some(q) = &l.query {
        c.detail.push(format!("  query: {}", first_line(q)));
    }
    let hint = match (env.lock_local_pid, l.pid) {
        (Some(local), _) => format!(
            "the holder runs on this machine (PID {local}): let it finish, or end it (`devtop \
             kill --pid {local}`) — a second migrate would wait 10 s and fail with P1002"
        ),
        (None, Some(backend)) => format!(
            "another migrate holds it (backend {backend}): let it finish; if it is stuck, end \
             that client (`SELECT pg_terminate_backend({backend})` on PostgreSQL, `KILL \
             {backend}` on MySQL) — a second migrate would fail with P1002"
        ),
        (None, None) => "let the other migrate finish before starting one".to_owned(),
    };
    c.hint(hint)
}

/// Check 10: no applied migration edited after it was applied (checksum differs) or
/// unreadable (fail); none applied in the database but missing locally (warn: another
/// branch, a deleted folder; `migrate deploy` skips them, `migrate dev` wants a reset).
pub fn edited(env: &DbEnvSnapshot, view: &EnvView) -> Check {
    let m = match migrations(env, view, CheckId::EditedMigrations) {
        Ok(m) => m,
        Err(c) => return c,
    };
    let edited = names_in(m, MigrationState::Edited);
    let unreadable = names_in(m, MigrationState::Unreadable);
    let missing = names_in(m, MigrationState::MissingLocally);
    if edited.is_empty() && unreadable.is_empty() && missing.is_empty() {
        return Check::new(
            CheckId::EditedMigrations,
            Status::Pass,
            format!(
                "{}: every applied migration matches its migration.sql ({} applied){}",
                env.name,
                m.summary.applied,
                missing_note(env)
            ),
        );
    }
    let mut lines = Vec::new();
    lines.extend(edited.iter().map(|n| format!("  edited after apply: {n}")));
    lines.extend(
        unreadable
            .iter()
            .map(|n| format!("  migration.sql unreadable: {n}")),
    );
    lines.extend(missing.iter().map(|n| format!("  missing locally: {n}")));
    let status = if edited.is_empty() && unreadable.is_empty() {
        Status::Warn
    } else {
        Status::Fail
    };
    let hint = if status == Status::Fail {
        "restore the applied migration.sql from git (`git log -p -- prisma/migrations/<name>`): \
         never edit an applied migration, add a new one instead"
    } else {
        "check out the branch that has these migrations (or restore their folders) before \
         migrating"
    };
    Check::new(
        CheckId::EditedMigrations,
        status,
        format!(
            "{}: {} edited, {} unreadable, {} missing locally",
            env.name,
            edited.len(),
            unreadable.len(),
            missing.len()
        ),
    )
    .lines(lines)
    .hint(hint)
}

/// Check 11: schema.prisma matches the database — the project's `prisma migrate diff` when it
/// ran, else devtop's comparison of tables and columns. Differences with no pending migration
/// fail (seed 003: a column in the schema, none in the database, no migration for it); with
/// pending migrations they warn (the pending ones may account for them). A timed-out diff
/// warns; no schema or no columns → skipped.
pub fn drift(env: &DbEnvSnapshot, view: &EnvView) -> Check {
    if env.missing_database() {
        return Check::skipped(
            CheckId::Drift,
            format!("{}: nothing to compare: {MISSING}", env.name),
        );
    }
    if env.health.is_none() {
        return Check::skipped(
            CheckId::Drift,
            format!("{}: the database did not answer (check 4)", env.name),
        );
    }
    let pending = view.migrations.as_ref().map_or(0, |m| m.summary.pending);
    let lines = view.drift_lines();
    if let Some(DiffResult::TimedOut(d)) = &view.cli_drift {
        return Check::new(
            CheckId::Drift,
            Status::Warn,
            format!(
                "{}: prisma migrate diff did not finish within {:.1} s (stopped)",
                env.name,
                d.as_secs_f64()
            ),
        )
        .hint("run `npx prisma migrate diff --from-config-datasource --to-schema prisma/schema.prisma` yourself");
    }
    if view.cli_drift.is_none() && view.drift.is_none() {
        return Check::skipped(
            CheckId::Drift,
            format!(
                "{}: no parsed schema or no column list from the database to compare",
                env.name
            ),
        );
    }
    let source = match &view.cli_drift {
        Some(DiffResult::InSync | DiffResult::Differs(_)) => "prisma migrate diff",
        _ => "devtop's comparison of tables and columns",
    };
    if lines.is_empty() {
        return Check::new(
            CheckId::Drift,
            Status::Pass,
            format!("{}: in sync with schema.prisma ({source})", env.name),
        );
    }
    let (status, head, hint) = if pending > 0 {
        (
            Status::Warn,
            format!(
                "{}: differs from schema.prisma; {} may account for it",
                env.name,
                count_noun(pending, "pending migration")
            ),
            "apply the pending migrations, then run preflight again: what still differs then \
             has no migration"
                .to_owned(),
        )
    } else {
        (
            Status::Fail,
            format!(
                "{}: differs from schema.prisma and no pending migration covers it",
                env.name
            ),
            "schema.prisma was changed without a migration: create one (`npx prisma migrate dev \
             --name <change>`), commit it, then deploy it"
                .to_owned(),
        )
    };
    Check::new(CheckId::Drift, status, head)
        .lines(lines.into_iter().map(|l| format!("  {l}")))
        .hint(hint)
}

/// Check 12 (info): the pending migrations in the order `migrate deploy` applies them
/// (oldest first); pass when there are none.
pub fn pending(env: &DbEnvSnapshot, view: &EnvView) -> Check {
    let m = match migrations(env, view, CheckId::Pending) {
        Ok(m) => m,
        Err(c) => return c,
    };
    let mut names = names_in(m, MigrationState::Pending);
    names.extend(names_in(m, MigrationState::RolledBack));
    names.sort_unstable();
    if names.is_empty() {
        let last = m
            .summary
            .last_applied_ms
            .map(|ms| format!(", last applied {}", date_utc(ms)))
            .unwrap_or_default();
        return Check::new(
            CheckId::Pending,
            Status::Pass,
            format!("{}: up to date, nothing to apply{last}", env.name),
        );
    }
    let table = if env.missing_database() {
        " (the database does not exist yet: `prisma migrate deploy` creates it)"
    } else if m.table_absent {
        " (no _prisma_migrations table yet)"
    } else {
        ""
    };
    Check::new(
        CheckId::Pending,
        Status::Info,
        format!(
            "{}: {} to apply, in this order{table}:",
            env.name,
            count_noun(names.len(), "migration")
        ),
    )
    .lines(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("  {}. {n}", i + 1)),
    )
    .hint("`npx prisma migrate deploy` applies them (`devtop migrate` runs it guarded)")
}
