//! Bounds on every query devtop sends, on both ends of the wire.
//!
//! A client-side deadline alone leaks: when another session holds
//! `LOCK TABLE _prisma_migrations IN ACCESS EXCLUSIVE MODE`, a query that gives up on the client
//! leaves its server backend waiting on the lock, and the connection it ran on cannot be
//! reused. So the server is told to give up first, and a connection whose query still
//! overran the client deadline is closed instead of going back to the pool:
//!
//! * PostgreSQL: `statement_timeout` and `lock_timeout` as startup options (not behind
//!   PgBouncer, which rejects them) and again with `SET LOCAL` at the start of every read-only
//!   transaction (which PgBouncer's transaction pooling allows), plus
//!   `idle_in_transaction_session_timeout` as a startup option.
//! * MySQL / MariaDB: `lock_wait_timeout` and `innodb_lock_wait_timeout` (whole seconds), and
//!   `max_statement_time` (MariaDB, seconds) or `max_execution_time` (MySQL, milliseconds, for
//!   `SELECT`), set on every new session.
//! * SQLite: the busy timeout (see `connect`), which bounds waiting for another writer's lock.
//!
//! With a client deadline `limit` (the `timeout` given to [`super::connect::connect`]), the
//! server cancels a statement after [`statement_timeout`] (4/5 of it) and a lock wait after
//! [`lock_timeout`] (1/2 of it), so the server's error normally arrives before the client
//! deadline and the connection stays usable.

use std::time::Duration;

use sqlx::{Database, Pool};

/// How long closing an overrunning connection may take before it is simply dropped.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// The server-side statement timeout for a client deadline `limit`: 4/5 of it, at least
/// 100 ms.
pub fn statement_timeout(limit: Duration) -> Duration {
    (limit * 4 / 5).max(Duration::from_millis(100))
}

/// The server-side lock-wait timeout for a client deadline `limit`: half of it, at least
/// 100 ms.
pub fn lock_timeout(limit: Duration) -> Duration {
    (limit / 2).max(Duration::from_millis(100))
}

/// Whole seconds for MySQL's integer timeouts (`lock_wait_timeout`), at least 1.
pub fn whole_seconds(d: Duration) -> u64 {
    d.as_secs().max(1)
}

/// Runs `work` on one connection of `pool`. Acquiring waits at most the pool's acquire
/// timeout (the `timeout` given to `connect`); `work` gets as long again. When `work` overruns,
/// its future is dropped and the connection is closed (Terminate, then the socket; at most
/// [`CLOSE_TIMEOUT`]) while it still counts against the pool's size, so the pool never holds
/// more than its maximum and never hands out a connection with a half-read answer.
///
/// # Errors
/// The pool's or `work`'s error; an overrun is `sqlx::Error::Io` of kind `TimedOut`
/// ("no answer within N s; connection closed"), which classifies as a timeout.
pub async fn on_conn<DB, T>(
    pool: &Pool<DB>,
    work: impl AsyncFnOnce(&mut DB::Connection) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error>
where
    DB: Database,
{
    let limit = pool.options().get_acquire_timeout();
    let mut conn = pool.acquire().await?;
    let outcome = tokio::time::timeout(limit, work(&mut *conn)).await;
    match outcome {
        Ok(result) => result,
        Err(_) => {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, conn.close()).await;
            Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "no answer within {:.1} s; connection closed",
                    limit.as_secs_f64()
                ),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_gives_up_before_the_client() {
        let limit = Duration::from_secs(5);
        assert_eq!(statement_timeout(limit), Duration::from_secs(4));
        assert_eq!(lock_timeout(limit), Duration::from_millis(2500));
        assert!(lock_timeout(limit) < statement_timeout(limit));
        assert_eq!(whole_seconds(lock_timeout(limit)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(10)), 1);
        assert_eq!(
            statement_timeout(Duration::from_millis(1)),
            Duration::from_millis(100)
        );
    }
}
