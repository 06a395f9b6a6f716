//! Who holds Prisma Migrate's lock.
//!
//! `prisma migrate` serialises itself with a server-side lock (prisma-engines
//! `schema-engine/connectors/sql-schema-connector/src/flavour/{postgres,mysql}.rs`,
//! `acquire_lock`): PostgreSQL `SELECT pg_advisory_lock(72707369)`, MySQL
//! `SELECT GET_LOCK('prisma_migrate', 10)`. A crashed or hung migrate that still holds it makes
//! every later `migrate deploy` wait and time out; this module finds the holder.

use sqlx::Row;

use super::connect::{Db, pg_read};
use super::session_bounds::on_conn;
use crate::model::db_error::DbError;
use crate::model::db_health::LockHolder;

/// The advisory lock key Prisma Migrate takes on PostgreSQL.
pub const PG_ADVISORY_KEY: i64 = 72707369;
/// The named lock Prisma Migrate takes on MySQL/MariaDB.
pub const MYSQL_LOCK_NAME: &str = "prisma_migrate";

/// A single-`bigint` advisory key is stored in `pg_locks` as `classid` = high 32 bits,
/// `objid` = low 32 bits, `objsubid` = 1; locks are per database.
const PG_HOLDER: &str = "\
SELECT l.pid::bigint AS pid,
       host(a.client_addr) AS client_addr,
       a.client_port::bigint AS client_port,
       extract(epoch FROM clock_timestamp() - a.backend_start)::float8 AS held_s,
       a.query AS query,
       a.application_name::text AS application_name
  FROM pg_locks l
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory'
   AND l.classid = (($1::bigint >> 32) & 4294967295)::oid
   AND l.objid = ($1::bigint & 4294967295)::oid
   AND l.objsubid = 1
   AND l.granted
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
 ORDER BY a.backend_start NULLS LAST
 LIMIT 1";

const MY_USED: &str = "SELECT CAST(IS_USED_LOCK(?) AS SIGNED)";

const MY_PROCESS: &str = "\
SELECT CAST(HOST AS CHAR) AS host, CAST(TIME AS SIGNED) AS time_s, CAST(INFO AS CHAR) AS info
  FROM information_schema.PROCESSLIST
 WHERE ID = ?";

/// Finds the session holding Prisma Migrate's lock.
///
/// * PostgreSQL: the granted advisory lock on key [`PG_ADVISORY_KEY`] in the current
///   database (`pg_locks` joined with `pg_stat_activity`).
/// * MySQL/MariaDB: `SELECT IS_USED_LOCK('prisma_migrate')` for the connection id, then
///   `information_schema.PROCESSLIST` for host, time and statement (without the `PROCESS`
///   privilege only `pid` is known for other users' sessions).
/// * SQLite: always `Ok(None)` (Prisma uses `PRAGMA locking_mode=EXCLUSIVE` on its own
///   connection; nothing to ask).
///
/// Returns `Ok(None)` when nobody holds the lock.
///
/// # Errors
/// A classified [`DbError`] when no connection can be had or a query fails.
pub async fn migrate_lock(db: &Db) -> Result<Option<LockHolder>, DbError> {
    match migrate_lock_inner(db).await {
        Ok(v) => Ok(v),
        Err(e) => Err(db.explain(&e).await),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

async fn migrate_lock_inner(db: &Db) -> Result<Option<LockHolder>, sqlx::Error> {
    match db {
        Db::Pg(pool) => {
            let row = pg_read(pool, async |conn| {
                sqlx::query(PG_HOLDER)
                    .persistent(false)
                    .bind(PG_ADVISORY_KEY)
                    .fetch_optional(&mut *conn)
                    .await
            })
            .await?;
            let Some(row) = row else { return Ok(None) };
            Ok(Some(LockHolder {
                pid: row.try_get("pid")?,
                client_addr: non_empty(row.try_get("client_addr")?),
                client_port: row
                    .try_get::<Option<i64>, _>("client_port")?
                    .and_then(|p| u16::try_from(p).ok()),
                held_s: row.try_get("held_s")?,
                query: non_empty(row.try_get("query")?),
                application_name: non_empty(row.try_get("application_name")?),
            }))
        }
        Db::My(pool) => {
            let found = on_conn(pool, async |conn| {
                let id: Option<i64> = sqlx::query_scalar(MY_USED)
                    .bind(MYSQL_LOCK_NAME)
                    .fetch_one(&mut *conn)
                    .await?;
                let Some(id) = id else { return Ok(None) };
                let row = sqlx::query(MY_PROCESS)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
                Ok(Some((id, row)))
            })
            .await?;
            let Some((id, row)) = found else {
                return Ok(None);
            };
            let mut holder = LockHolder {
                pid: Some(id),
                client_addr: None,
                client_port: None,
                held_s: None,
                query: None,
                application_name: None,
            };
            if let Some(row) = row {
                holder.client_addr = non_empty(row.try_get("host")?);
                holder.client_port = holder
                    .client_addr
                    .as_deref()
                    .and_then(|h| h.rsplit_once(':'))
                    .and_then(|(_, port)| port.parse().ok());
                holder.held_s = row.try_get::<Option<i64>, _>("time_s")?.map(|t| t as f64);
                holder.query = non_empty(row.try_get("info")?);
            }
            Ok(Some(holder))
        }
        Db::Lite(_) => Ok(None),
    }
}
