//! Health probe: round-trip latency, server version and load indicators.

use std::time::Instant;

use sqlx::{Executor, Row};

use super::connect::{Db, pg_read};
use super::error::DbError;
use super::session_bounds::on_conn;

/// One health sample of a monitored database.
#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// Round trip of `SELECT 1` in milliseconds, measured on an already-open connection (pool
    /// acquisition not included).
    pub latency_ms: f64,
    /// The server's own version string, verbatim: PostgreSQL `SELECT version()`
    /// ("PostgreSQL 15.4 on x86_64-pc-linux-gnu, ..."), MySQL/MariaDB `SELECT VERSION()`
    /// ("10.11.6-MariaDB-0+deb12u1"), SQLite `SELECT sqlite_version()` ("3.46.0").
    pub version: String,
    /// `(in use, max)` server connections. PostgreSQL: `count(*)` of `pg_stat_activity` rows
    /// with `backend_type = 'client backend'` (whole server) and
    /// `current_setting('max_connections')`; MySQL/MariaDB: `SHOW GLOBAL STATUS LIKE
    /// 'Threads_connected'` and `@@max_connections`; SQLite: `None`.
    pub connections: Option<(i64, i64)>,
    /// PostgreSQL only: age in seconds of the oldest non-idle statement of another client
    /// session in the current database (`clock_timestamp() - min(query_start)` over
    /// `pg_stat_activity` where `state <> 'idle'`, excluding devtop's own backend). `None`
    /// when no other session is busy, and for MySQL/SQLite.
    pub oldest_query_s: Option<f64>,
    /// PostgreSQL only: sessions of the current database waiting for a lock
    /// (`pg_stat_activity.wait_event_type = 'Lock'`). `None` for MySQL/SQLite.
    pub lock_waiters: Option<i64>,
}

/// PostgreSQL load indicators in one round trip.
const PG_LOAD: &str = "\
SELECT
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use,
  current_setting('max_connections')::bigint AS max_conn,
  (SELECT extract(epoch FROM clock_timestamp() - min(query_start))::float8
     FROM pg_stat_activity
    WHERE state IS NOT NULL AND state <> 'idle'
      AND pid <> pg_backend_pid()
      AND backend_type = 'client backend'
      AND datname = current_database()) AS oldest_s,
  (SELECT count(*) FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND datname = current_database()) AS waiters";

/// Samples the database's health on one pooled connection: `SELECT 1` (timed), the version,
/// then the load indicators described on [`Health`].
///
/// # Errors
/// A classified [`DbError`]: acquiring a connection (waits at most the pool's acquire
/// timeout, then [`super::error::DbErrorKind::Timeout`]) or any of the queries failing.
pub async fn probe(db: &Db) -> Result<Health, DbError> {
    match probe_inner(db).await {
        Ok(v) => Ok(v),
        Err(e) => Err(db.explain(&e).await),
    }
}

async fn probe_inner(db: &Db) -> Result<Health, sqlx::Error> {
    match db {
        Db::Pg(pool) => {
            pg_read(pool, async |conn| {
                let started = Instant::now();
                (&mut *conn).execute("SELECT 1").await?;
                let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
                // Unnamed statements (persistent(false)): PgBouncer's pooled server connections
                // are shared, named ones would collide.
                let version: String = sqlx::query_scalar("SELECT version()")
                    .persistent(false)
                    .fetch_one(&mut *conn)
                    .await?;
                let row = sqlx::query(PG_LOAD)
                    .persistent(false)
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(Health {
                    latency_ms,
                    version,
                    connections: Some((row.try_get("in_use")?, row.try_get("max_conn")?)),
                    oldest_query_s: row.try_get("oldest_s")?,
                    lock_waiters: Some(row.try_get("waiters")?),
                })
            })
            .await
        }
        Db::My(pool) => {
            on_conn(pool, async |conn| {
                let started = Instant::now();
                (&mut *conn).execute("SELECT 1").await?;
                let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
                let version: String = sqlx::query_scalar("SELECT VERSION()")
                    .fetch_one(&mut *conn)
                    .await?;
                // SHOW is sent as a plain text query (no prepared statement).
                let status = (&mut *conn)
                    .fetch_optional("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
                    .await?;
                let in_use = match status {
                    Some(row) => {
                        let v: String = row.try_get(1)?;
                        v.trim().parse::<i64>().ok()
                    }
                    None => None,
                };
                let max: i64 = sqlx::query_scalar("SELECT CAST(@@max_connections AS SIGNED)")
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(Health {
                    latency_ms,
                    version,
                    connections: in_use.map(|n| (n, max)),
                    oldest_query_s: None,
                    lock_waiters: None,
                })
            })
            .await
        }
        Db::Lite(pool) => {
            on_conn(pool, async |conn| {
                let started = Instant::now();
                (&mut *conn).execute("SELECT 1").await?;
                let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
                let version: String = sqlx::query_scalar("SELECT sqlite_version()")
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(Health {
                    latency_ms,
                    version,
                    connections: None,
                    oldest_query_s: None,
                    lock_waiters: None,
                })
            })
            .await
        }
    }
}
