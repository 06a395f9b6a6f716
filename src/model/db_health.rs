//! What a database probe found: its health sample and the holder of Prisma Migrate's lock.
//!
//! Pure data: filled in by `crate::db::probe` and `crate::db::lock`.

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

/// The session holding Prisma Migrate's lock.
#[derive(Debug, Clone, PartialEq)]
pub struct LockHolder {
    /// PostgreSQL backend pid (`pg_locks.pid`) / MySQL connection id (`IS_USED_LOCK`).
    pub pid: Option<i64>,
    /// Client address: PostgreSQL `host(pg_stat_activity.client_addr)` (`None` over a Unix
    /// socket); MySQL `information_schema.PROCESSLIST.HOST` (`host:port`).
    pub client_addr: Option<String>,
    /// Client TCP port: PostgreSQL `pg_stat_activity.client_port`; MySQL the port of
    /// `PROCESSLIST.HOST`. Used to find a local holder process by its socket.
    pub client_port: Option<u16>,
    /// Seconds: PostgreSQL `clock_timestamp() - backend_start`, the age of the holding
    /// session (an upper bound for how long the lock is held: Prisma takes it right after
    /// connecting); MySQL `PROCESSLIST.TIME`, seconds the connection has been in its current
    /// state.
    pub held_s: Option<f64>,
    /// The holder's current or last statement (`pg_stat_activity.query` /
    /// `PROCESSLIST.INFO`; `None` when empty or not visible to devtop's user).
    pub query: Option<String>,
    /// PostgreSQL `pg_stat_activity.application_name` (`None` when empty); always `None` on
    /// MySQL.
    pub application_name: Option<String>,
}
