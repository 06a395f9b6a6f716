//! Health probe: round-trip latency, server version and load indicators.

use std::time::Instant;

use sqlx::{Executor, Row};

use super::connect::{Db, pg_read};
use super::session_bounds::on_conn;
use crate::model::db_error::DbError;
use crate::model::db_health::Health;

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
/// timeout, then [`crate::model::db_error::DbErrorKind::Timeout`]) or any of the queries failing.
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
