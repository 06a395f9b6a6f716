//! The database collector: one tokio task per environment, each probing every `interval`
//! with a 5 s connect timeout, backing off exponentially (5 s → 60 s) while down, and
//! publishing into a shared `watch` channel. Sessions are read-only (see `db::connect`).
//!
//! Each environment keeps ONE pool for the life of its task, through failures too: a pool
//! bounds its connections (at most `db::connect::MAX_CONNECTIONS`, stuck ones included), so
//! devtop never holds more than that per environment, whatever the server does. Queries are
//! bounded on the server and on the client (see `db::session_bounds`).

use crate::collect::environments::EnvSpec;
use crate::db::connect::{DIAGNOSE_TIMEOUT, Db, connect};
use crate::db::session_bounds::CLOSE_TIMEOUT;
use crate::model::database::{AppliedState, DbEnvSnapshot, DbSnapshot, DbStatus};
use crate::model::db_error::{DbError, DbErrorKind};
use crate::model::db_health::LockHolder;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Connect timeout; also how long a query waits for a connection, and how long it may run
/// (the server is told to give up earlier, see `db::session_bounds`).
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Safety net around one database operation: waiting for a connection, running, explaining a
/// failure and closing an overrunning connection each have their own, shorter bound.
pub const OPERATION_LIMIT: Duration = Duration::from_secs(
    2 * TIMEOUT.as_secs() + DIAGNOSE_TIMEOUT.as_secs() + CLOSE_TIMEOUT.as_secs(),
);
/// First retry delay while down.
pub const BACKOFF_START: Duration = Duration::from_secs(5);
/// Longest retry delay while down.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);

async fn bounded<T>(f: impl Future<Output = Result<T, DbError>>) -> Result<T, DbError> {
    match tokio::time::timeout(OPERATION_LIMIT, f).await {
        Ok(r) => r,
        Err(_) => Err(DbError {
            kind: DbErrorKind::Timeout,
            message: format!("no answer within {} s", OPERATION_LIMIT.as_secs()),
        }),
    }
}

/// The initial entry of an environment (unconfigured ones stay so).
pub fn initial(spec: &EnvSpec) -> DbEnvSnapshot {
    let mut s = DbEnvSnapshot::new(&spec.name, &spec.url_env);
    match &spec.url {
        Ok(u) => {
            s.masked_url = Some(u.masked.clone());
            s.provider = Some(u.provider);
        }
        Err(why) => {
            s.status = DbStatus::Unconfigured;
            s.unconfigured = Some(why.clone());
            s.config_error = spec.config_error;
        }
    }
    s
}

/// One probe of one environment: connect when needed, then health, migrations table, migrate
/// lock and columns. `db` keeps the pool between passes, failures included (a new pool per
/// failure would let stuck connections of the old one pile up). Returns whether the
/// environment is up.
pub async fn pass(spec: &EnvSpec, db: &mut Option<Db>, snap: &mut DbEnvSnapshot) -> bool {
    let Ok(url) = &spec.url else { return false };
    if db.is_none() {
        match bounded(connect(url, TIMEOUT)).await {
            Ok(d) => *db = Some(d),
            Err(e) => {
                fail(snap, e);
                return false;
            }
        }
    }
    let Some(conn) = db.as_ref() else {
        return false;
    };
    match bounded(crate::db::probe::probe(conn)).await {
        Ok(h) => {
            snap.push_history(Some(h.latency_ms));
            snap.health = Some(h);
            snap.status = DbStatus::Up;
            snap.error = None;
            snap.retry_in_s = None;
            snap.last_success = Some(SystemTime::now());
        }
        Err(e) => {
            fail(snap, e);
            return false;
        }
    }
    let schema = url.schema.as_deref();
    let applied_before = snap.applied.clone();
    snap.applied = match bounded(crate::db::prisma_table::applied(conn, schema)).await {
        Ok(Some(rows)) => AppliedState::Rows(rows),
        Ok(None) => AppliedState::Absent,
        Err(e) => AppliedState::Error(format!("{}: {}", e.kind.plain(), e.message)),
    };
    snap.lock = bounded(crate::db::lock::migrate_lock(conn))
        .await
        .unwrap_or_else(|e| {
            log::warn!("{}: cannot read the migrate lock: {}", spec.name, e.message);
            None
        });
    snap.lock_local_pid = match &snap.lock {
        Some(l) => local_holder(url, l).await,
        None => None,
    };
    if columns_due(snap, &applied_before) {
        snap.columns = bounded(crate::db::introspect::columns(conn, schema))
            .await
            .ok();
        snap.columns_read_at = snap.columns.as_ref().map(|_| SystemTime::now());
    }
    true
}

/// The local process holding `lock` on the database at `url`: when both the database and the
/// holder's session are on loopback, the owner of the holder's client port (a `/proc` scan,
/// off the runtime thread).
pub async fn local_holder(url: &crate::db::url::DbUrl, lock: &LockHolder) -> Option<u32> {
    let loopback = crate::collect::socket_owner::is_loopback(lock.client_addr.as_deref())
        && url::Url::parse(&url.masked)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .is_some_and(|h| crate::collect::socket_owner::is_loopback(Some(&h)));
    if !loopback {
        return None;
    }
    let port = lock.client_port;
    tokio::task::spawn_blocking(move || {
        port.and_then(crate::collect::socket_owner::owner_of_local_port)
    })
    .await
    .ok()
    .flatten()
}

/// Longest time between two reads of the columns while the migrations table is unchanged
/// (a `db push` or a hand-made DDL changes them without a migration row).
const COLUMNS_EVERY: Duration = Duration::from_secs(60);

/// Whether to read the columns this pass: none read yet, the migrations table changed since
/// the last pass (`before`), or [`COLUMNS_EVERY`] passed. Reading them is the heaviest query of
/// a pass (information_schema on MySQL/MariaDB, where such queries have crashed MariaDB 10.11
/// under load), so it does not run every pass.
fn columns_due(snap: &DbEnvSnapshot, before: &AppliedState) -> bool {
    snap.columns.is_none()
        || *before != snap.applied
        || snap
            .columns_read_at
            .and_then(|t| t.elapsed().ok())
            .is_none_or(|age| age >= COLUMNS_EVERY)
}

fn fail(snap: &mut DbEnvSnapshot, e: DbError) {
    if snap.status != DbStatus::Down {
        log::warn!("{}: {} ({})", snap.name, e.kind.plain(), e.message);
    }
    snap.push_history(None);
    snap.status = DbStatus::Down;
    snap.error = Some(e);
    // What was read while up no longer describes the database: never show it as current.
    snap.health = None;
    snap.applied = AppliedState::Unknown;
    snap.lock = None;
    snap.lock_local_pid = None;
    snap.columns = None;
}

/// Start one task per environment; they publish into the returned channel until `cancel`.
pub fn spawn(
    specs: Vec<EnvSpec>,
    interval: Duration,
    cancel: CancellationToken,
) -> watch::Receiver<Arc<DbSnapshot>> {
    let first = DbSnapshot {
        envs: specs.iter().map(initial).collect(),
    };
    let (tx, rx) = watch::channel(Arc::new(first));
    let tx = Arc::new(tx);
    for (i, spec) in specs.into_iter().enumerate() {
        if spec.url.is_err() {
            continue;
        }
        let tx = tx.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let mut snap = initial(&spec);
            let mut db: Option<Db> = None;
            let mut backoff = BACKOFF_START;
            loop {
                let up = tokio::select! {
                    _ = cancel.cancelled() => break,
                    up = pass(&spec, &mut db, &mut snap) => up,
                };
                let wait = if up {
                    backoff = BACKOFF_START;
                    interval
                } else {
                    let w = backoff;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    snap.retry_in_s = Some(w.as_secs_f64());
                    w
                };
                let published = snap.clone();
                tx.send_modify(|all| {
                    let mut next = (**all).clone();
                    if let Some(slot) = next.envs.get_mut(i) {
                        *slot = published;
                    }
                    *all = Arc::new(next);
                });
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            if let Some(d) = db {
                let _ = tokio::time::timeout(Duration::from_secs(1), d.close()).await;
            }
        });
    }
    rx
}

/// One probe of every environment at once, for headless commands.
pub async fn once(specs: &[EnvSpec]) -> DbSnapshot {
    let futures = specs.iter().map(|spec| async move {
        let mut snap = initial(spec);
        let mut db = None;
        pass(spec, &mut db, &mut snap).await;
        if let Some(d) = db {
            let _ = tokio::time::timeout(Duration::from_secs(1), d.close()).await;
        }
        snap
    });
    DbSnapshot {
        envs: futures::future::join_all(futures).await,
    }
}

#[cfg(test)]
mod columns_tests {
    use super::{COLUMNS_EVERY, columns_due};
    use crate::model::database::{AppliedState, DbEnvSnapshot};
    use std::time::SystemTime;

    #[test]
    fn columns_are_read_first_then_on_a_change_or_a_minute_later() {
        let mut s = DbEnvSnapshot::new("local", "DATABASE_URL");
        assert!(columns_due(&s, &AppliedState::Unknown), "never read");
        s.columns = Some(Default::default());
        s.columns_read_at = Some(SystemTime::now());
        s.applied = AppliedState::Absent;
        assert!(!columns_due(&s, &AppliedState::Absent), "unchanged, fresh");
        assert!(
            columns_due(&s, &AppliedState::Unknown),
            "migrations changed"
        );
        s.columns_read_at = SystemTime::now().checked_sub(COLUMNS_EVERY);
        assert!(columns_due(&s, &AppliedState::Absent), "a minute old");
    }
}
