//! Read-only connection pools.
//!
//! devtop never writes to a monitored database, and every session says so to the server:
//!
//! * PostgreSQL: startup option `default_transaction_read_only=on` (and `search_path` from
//!   Prisma's `?schema=`), `application_name = devtop` so its sessions are recognisable in
//!   `pg_stat_activity`; every new connection is checked with
//!   `SELECT current_setting('transaction_read_only')` = `on` before use.
//! * MySQL / MariaDB: `SET SESSION TRANSACTION READ ONLY` and `SET time_zone = '+00:00'` on
//!   every new connection (the time zone makes `DATETIME` arithmetic UTC, as Prisma writes it).
//! * SQLite: the file is opened with `SQLITE_OPEN_READONLY` (never created) and
//!   `PRAGMA query_only = ON`.
//!
//! [`connect`] first opens one connection directly (bounded by the timeout) so the error is
//! the real one (refused, auth, missing database, ...) instead of the pool's generic
//! "timed out"; the pool itself then opens connections lazily.
//!
//! Every query is bounded on the server as well as on the client (see
//! [`super::session_bounds`]): a pool never holds more than [`MAX_CONNECTIONS`] connections,
//! whatever the server does.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{
    ConnectOptions, Connection, Executor, MySqlConnection, MySqlPool, PgConnection, PgPool,
    SqliteConnection, SqlitePool,
};

use super::error::classify;
use super::session_bounds::{lock_timeout, on_conn, statement_timeout, whole_seconds};
use super::url::DbUrl;
use crate::model::db_error::{DbError, DbErrorKind};
use crate::model::provider::Provider;

/// Most connections a devtop pool opens to one database.
pub const MAX_CONNECTIONS: u32 = 2;
/// How long an unused pooled connection stays open.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A small read-only pool to one monitored database.
#[derive(Debug, Clone)]
pub enum Db {
    /// PostgreSQL.
    Pg(PgPool),
    /// MySQL or MariaDB.
    My(MySqlPool),
    /// SQLite (file opened read-only).
    Lite(SqlitePool),
}

impl Db {
    /// Which engine this pool talks to.
    pub fn provider(&self) -> Provider {
        match self {
            Db::Pg(_) => Provider::Postgres,
            Db::My(_) => Provider::Mysql,
            Db::Lite(_) => Provider::Sqlite,
        }
    }

    /// Closes every connection of the pool (waits for checked-out ones to come back).
    pub async fn close(&self) {
        match self {
            Db::Pg(p) => p.close().await,
            Db::My(p) => p.close().await,
            Db::Lite(p) => p.close().await,
        }
    }

    /// How long the pool waits for a connection (the `timeout` given to [`connect`]).
    pub fn acquire_timeout(&self) -> Duration {
        match self {
            Db::Pg(p) => p.options().get_acquire_timeout(),
            Db::My(p) => p.options().get_acquire_timeout(),
            Db::Lite(p) => p.options().get_acquire_timeout(),
        }
    }

    /// Connections the pool holds right now (idle, in use, or being closed).
    pub fn size(&self) -> u32 {
        match self {
            Db::Pg(p) => p.size(),
            Db::My(p) => p.size(),
            Db::Lite(p) => p.size(),
        }
    }

    /// Classifies an error from an operation on this pool, like [`classify`], with one
    /// refinement: the pool reports every failure to open a connection (server down, password
    /// changed, ...) as a generic "pool timed out" after retrying for the acquire timeout. In
    /// that case, and only when the pool holds no connection at all (so the total stays within
    /// [`MAX_CONNECTIONS`]), one direct connection attempt, bounded by [`DIAGNOSE_TIMEOUT`] (or
    /// the acquire timeout if shorter), names the real cause ([`DbErrorKind::Refused`],
    /// [`DbErrorKind::Auth`], ...). When that attempt succeeds or also times out, or the pool's
    /// connections are all busy, the result stays [`DbErrorKind::Timeout`].
    pub async fn explain(&self, e: &sqlx::Error) -> DbError {
        let first = classify(e);
        if !matches!(e, sqlx::Error::PoolTimedOut) {
            return first;
        }
        if self.size() > 0 {
            return DbError::new(
                DbErrorKind::Timeout,
                format!(
                    "all {} of devtop's connections are busy (a query is stuck or slow)",
                    self.size()
                ),
            );
        }
        let limit = self.acquire_timeout().min(DIAGNOSE_TIMEOUT);
        let attempt = match self {
            Db::Pg(p) => probe_connect(limit, p.connect_options()).await,
            Db::My(p) => probe_connect(limit, p.connect_options()).await,
            Db::Lite(p) => probe_connect(limit, p.connect_options()).await,
        };
        match attempt {
            Err(real) if real.kind != DbErrorKind::Timeout => real,
            _ => first,
        }
    }
}

/// Longest extra wait [`Db::explain`] spends finding out why the pool timed out.
pub const DIAGNOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Opens and closes one connection with `opts`, bounded by `limit`.
async fn probe_connect<O>(limit: Duration, opts: std::sync::Arc<O>) -> Result<(), DbError>
where
    O: ConnectOptions,
    O::Connection: Sized,
{
    bounded(limit, async move {
        let conn = opts.connect().await?;
        let _ = conn.close().await;
        Ok(())
    })
    .await
}

/// Opens a read-only pool (at most [`MAX_CONNECTIONS`] connections, none kept when unused,
/// idle ones closed after [`IDLE_TIMEOUT`], waiting at most `timeout` for a connection).
///
/// One connection is opened and checked right away; the whole attempt (DNS, TCP, TLS,
/// authentication, session setup) is bounded by `timeout`, so an unreachable host or a server
/// that accepts and never answers fails with [`DbErrorKind::Timeout`] after `timeout` (told
/// apart by [`super::handshake::refine`]: [`DbError::is_no_handshake`] for the latter).
///
/// # Errors
/// A classified [`DbError`] (see [`classify`]); its message never contains the password.
/// SQLite: [`DbErrorKind::NoDatabase`] when the file does not exist (it is never created).
pub async fn connect(url: &DbUrl, timeout: Duration) -> Result<Db, DbError> {
    let scrub = |e: DbError| DbError::new(e.kind, url.scrub(&e.message));
    let result = match url.provider {
        Provider::Postgres => connect_pg(url, timeout).await.map(Db::Pg),
        Provider::Mysql => connect_my(url, timeout).await.map(Db::My),
        Provider::Sqlite => connect_lite(url, timeout).await.map(Db::Lite),
    };
    match result {
        Ok(db) => Ok(db),
        Err(e) => Err(scrub(super::handshake::refine(url, timeout, e).await)),
    }
}

/// Runs `fut` with a deadline, turning an elapsed deadline into [`DbError::timeout`].
async fn bounded<T>(
    timeout: Duration,
    fut: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, DbError> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(classify(&e)),
        Err(_) => Err(DbError::timeout(timeout)),
    }
}

fn read_only_violation(what: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!(
        "refusing to use a session that is not read-only ({what})"
    ))
}

// ---------------------------------------------------------------- PostgreSQL

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn pg_options(url: &DbUrl, limit: Duration) -> Result<PgConnectOptions, DbError> {
    let opts = PgConnectOptions::from_str(url.sqlx_url()).map_err(|e| classify(&e))?;
    if url.pgbouncer() {
        // PgBouncer rejects unknown startup parameters (options, extra_float_digits); every
        // query still runs in a `SET TRANSACTION READ ONLY` transaction (see `pg_read_tx`),
        // and the schema is always named explicitly in devtop's queries.
        return Ok(opts
            .extra_float_digits(None)
            .application_name("devtop")
            .disable_statement_logging());
    }
    let ms = |d: Duration| d.as_millis().to_string();
    let mut settings = vec![
        ("default_transaction_read_only", "on".to_owned()),
        ("statement_timeout", ms(statement_timeout(limit))),
        ("lock_timeout", ms(lock_timeout(limit))),
        ("idle_in_transaction_session_timeout", ms(limit)),
    ];
    if let Some(schema) = &url.schema {
        settings.push(("search_path", quote_ident(schema)));
    }
    Ok(opts
        .options(settings)
        .application_name("devtop")
        .disable_statement_logging())
}

/// Fails unless the session's transactions are read-only.
async fn pg_check(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    let ro: String = sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
        .fetch_one(&mut *conn)
        .await?;
    if ro == "on" {
        Ok(())
    } else {
        Err(read_only_violation("transaction_read_only is off"))
    }
}

async fn connect_pg(url: &DbUrl, timeout: Duration) -> Result<PgPool, DbError> {
    let opts = pg_options(url, timeout)?;
    let session_read_only = !url.pgbouncer();
    bounded(timeout, async {
        let mut conn = opts.connect().await?;
        let checked = if session_read_only {
            pg_check(&mut conn).await
        } else {
            Ok(())
        };
        let _ = conn.close().await;
        checked
    })
    .await?;
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .min_connections(0)
        .idle_timeout(IDLE_TIMEOUT)
        .acquire_timeout(timeout);
    let pool = if session_read_only {
        pool.after_connect(|conn, _meta| Box::pin(pg_check(conn)))
    } else {
        pool
    };
    Ok(pool.connect_lazy_with(opts))
}

/// Opens a read-only transaction on `conn` with the statement and lock timeouts for a client
/// deadline `limit` (`SET LOCAL`, see [`super::session_bounds`]). Every devtop query on
/// PostgreSQL runs inside one (`SET TRANSACTION READ ONLY` on top of the session's
/// `default_transaction_read_only`), which also holds behind PgBouncer's transaction pooling
/// where session settings cannot be used. Dropped without commit: rolled back.
pub async fn pg_read_tx(
    conn: &mut PgConnection,
    limit: Duration,
) -> Result<sqlx::Transaction<'_, sqlx::Postgres>, sqlx::Error> {
    let mut tx = conn.begin().await?;
    let set = format!(
        "SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {}; SET LOCAL lock_timeout = {}",
        statement_timeout(limit).as_millis(),
        lock_timeout(limit).as_millis()
    );
    (&mut *tx)
        .execute(sqlx::raw_sql(sqlx::AssertSqlSafe(set)))
        .await?;
    Ok(tx)
}

/// Runs `work` inside a read-only, time-bounded transaction ([`pg_read_tx`]) on one
/// connection of `pool`, bounded as [`on_conn`] describes; the transaction is rolled back
/// afterwards.
pub async fn pg_read<T>(
    pool: &PgPool,
    work: impl AsyncFnOnce(&mut PgConnection) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    let limit = pool.options().get_acquire_timeout();
    on_conn(pool, async move |conn: &mut PgConnection| {
        let mut tx = pg_read_tx(conn, limit).await?;
        let out = work(&mut tx).await;
        let _ = tx.rollback().await;
        out
    })
    .await
}

// ---------------------------------------------------------------- MySQL / MariaDB

fn my_options(url: &DbUrl) -> Result<MySqlConnectOptions, DbError> {
    let opts = MySqlConnectOptions::from_str(url.sqlx_url()).map_err(|e| classify(&e))?;
    Ok(opts
        .timezone(Some("+00:00".to_owned()))
        .disable_statement_logging())
}

/// Makes the session read-only and UTC, bounds its statements and lock waits for a client
/// deadline `limit` (see [`super::session_bounds`]), then checks the read-only flag where the
/// server exposes it (`@@session.transaction_read_only` on MySQL ≥ 5.7.20 / MariaDB ≥ 11.1,
/// `@@session.tx_read_only` on older ones).
async fn my_setup(conn: &mut MySqlConnection, limit: Duration) -> Result<(), sqlx::Error> {
    (&mut *conn)
        .execute("SET SESSION TRANSACTION READ ONLY")
        .await?;
    (&mut *conn).execute("SET time_zone = '+00:00'").await?;
    let lock_s = whole_seconds(lock_timeout(limit));
    (&mut *conn)
        .execute(sqlx::AssertSqlSafe(format!(
            "SET SESSION lock_wait_timeout = {lock_s}, innodb_lock_wait_timeout = {lock_s}"
        )))
        .await?;
    let stmt = statement_timeout(limit);
    // MariaDB: max_statement_time (seconds, any statement); MySQL: max_execution_time
    // (milliseconds, SELECT only). Each server rejects the other's variable (error 1193).
    let mariadb = format!("SET SESSION max_statement_time = {:.3}", stmt.as_secs_f64());
    if (&mut *conn)
        .execute(sqlx::AssertSqlSafe(mariadb))
        .await
        .is_err()
    {
        (&mut *conn)
            .execute(sqlx::AssertSqlSafe(format!(
                "SET SESSION max_execution_time = {}",
                stmt.as_millis()
            )))
            .await?;
    }
    for var in [
        "SELECT CAST(@@session.transaction_read_only AS SIGNED)",
        "SELECT CAST(@@session.tx_read_only AS SIGNED)",
    ] {
        if let Ok(v) = sqlx::query_scalar::<_, i64>(var)
            .fetch_one(&mut *conn)
            .await
        {
            return if v == 1 {
                Ok(())
            } else {
                Err(read_only_violation("transaction_read_only = 0"))
            };
        }
    }
    Ok(())
}

async fn connect_my(url: &DbUrl, timeout: Duration) -> Result<MySqlPool, DbError> {
    let opts = my_options(url)?;
    bounded(timeout, async {
        let mut conn = opts.connect().await?;
        let checked = my_setup(&mut conn, timeout).await;
        let _ = conn.close().await;
        checked
    })
    .await?;
    Ok(MySqlPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .min_connections(0)
        .idle_timeout(IDLE_TIMEOUT)
        .acquire_timeout(timeout)
        .after_connect(move |conn, _meta| Box::pin(my_setup(conn, timeout)))
        .connect_lazy_with(opts))
}

// ---------------------------------------------------------------- SQLite

fn lite_options(path: &Path, timeout: Duration) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(timeout.min(Duration::from_secs(2)))
        .pragma("query_only", "ON")
        .disable_statement_logging()
}

async fn lite_check(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let q: i64 = sqlx::query_scalar("PRAGMA query_only")
        .fetch_one(&mut *conn)
        .await?;
    if q == 1 {
        Ok(())
    } else {
        Err(read_only_violation("query_only is off"))
    }
}

async fn connect_lite(url: &DbUrl, timeout: Duration) -> Result<SqlitePool, DbError> {
    let Some(path) = url.sqlite_path.as_deref() else {
        return Err(DbError::new(
            DbErrorKind::Other,
            "SQLite URL without a path",
        ));
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            return Err(DbError::new(
                DbErrorKind::NoDatabase,
                format!("{} is not a file", path.display()),
            ));
        }
        Err(e) => {
            return Err(DbError::new(
                DbErrorKind::NoDatabase,
                format!("cannot open SQLite file {}: {e}", path.display()),
            ));
        }
    }
    let opts = lite_options(path, timeout);
    bounded(timeout, async {
        let mut conn = opts.connect().await?;
        let checked = lite_check(&mut conn).await;
        let _ = conn.close().await;
        checked
    })
    .await?;
    Ok(SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .min_connections(0)
        .idle_timeout(IDLE_TIMEOUT)
        .acquire_timeout(timeout)
        .after_connect(|conn, _meta| Box::pin(lite_check(conn)))
        .connect_lazy_with(opts))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("public"), "\"public\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn pg_options_are_read_only_and_set_search_path() {
        let url =
            crate::db::url::parse("postgresql://u:pw@127.0.0.1:1/d?schema=app", Path::new("/"))
                .unwrap();
        let opts = pg_options(&url, Duration::from_secs(5)).unwrap();
        let o = opts.get_options().unwrap_or_default();
        assert!(o.contains("default_transaction_read_only=on"), "{o}");
        assert!(o.contains("statement_timeout=4000"), "{o}");
        assert!(o.contains("lock_timeout=2500"), "{o}");
        assert!(o.contains("search_path=\"app\""), "{o}");
        assert_eq!(opts.get_application_name(), Some("devtop"));
    }
}
