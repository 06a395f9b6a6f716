//! Shared support for the database integration tests (`db_servers`, `db_postgres`, `db_mysql`,
//! `db_sqlite`, ...); [`Server`] runs one scenario on PostgreSQL and on MySQL/MariaDB.
//!
//! Every test gets its own freshly created database, uniquely named
//! `devtop_t_<tag>_<pid>_<n>`, so tests run in parallel; a drop guard removes it at the end
//! (also when the test panics). Fixture tables are created through the test's OWN admin
//! connection, never through devtop's read-only one.
//!
//! Servers: `DEVTOP_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) and
//! `DEVTOP_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`). When a server cannot
//! be reached the test prints `skipping <test>: <reason>` and passes, unless
//! `DEVTOP_REQUIRE_DB=1`, in which case it fails.
#![allow(dead_code)]

mod server;
pub use server::{Admin, Server, insert_prisma_fixture};

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use devtop::db::prisma_table::AppliedRow;
use devtop::db::url::DbUrl;
use sqlx::mysql::MySqlConnectOptions;
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, MySqlConnection, PgConnection};

/// How long the admin side waits for a server before declaring it unreachable.
pub const ADMIN_TIMEOUT: Duration = Duration::from_secs(5);
/// The timeout devtop's connections get in these tests.
pub const DEVTOP_TIMEOUT: Duration = Duration::from_secs(5);

pub fn pg_base_url() -> String {
    std::env::var("DEVTOP_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub fn mysql_base_url() -> String {
    std::env::var("DEVTOP_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".to_owned())
}

pub fn require_db() -> bool {
    std::env::var("DEVTOP_REQUIRE_DB").is_ok_and(|v| v == "1")
}

/// Prints `skipping <test>: <reason>`, or panics when `DEVTOP_REQUIRE_DB=1`.
pub fn skip(test: &str, reason: &str) {
    assert!(!require_db(), "{test}: database required but {reason}");
    eprintln!("skipping {test}: {reason}");
}

/// A database name unique to this process and call.
pub fn unique_name(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let tag: String = tag
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(24)
        .collect();
    format!("devtop_t_{tag}_{}_{n}", std::process::id()).to_ascii_lowercase()
}

/// `base` with its path (database name) replaced by `db` and extra query `params`.
pub fn with_database(base: &str, db: &str, params: &str) -> String {
    let mut u = url::Url::parse(base).expect("test base URL parses");
    u.set_path(&format!("/{db}"));
    if params.is_empty() {
        u.set_query(None);
    } else {
        u.set_query(Some(params));
    }
    u.to_string()
}

/// `base` with user and password replaced.
pub fn with_credentials(base: &str, user: &str, password: Option<&str>) -> String {
    let mut u = url::Url::parse(base).expect("test base URL parses");
    u.set_username(user).expect("URL has a host");
    u.set_password(password).expect("URL has a host");
    u.to_string()
}

pub fn parse(url: &str) -> DbUrl {
    devtop::db::url::parse(url, std::path::Path::new("/")).expect("devtop parses the test URL")
}

/// Runs `f` on a fresh current-thread runtime in a new OS thread and waits for it: used by
/// drop guards, which cannot `.await`.
fn block_on_thread<F>(f: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let handle = std::thread::spawn(move || {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(f),
            Err(e) => eprintln!("cleanup runtime: {e}"),
        }
    });
    let _ = handle.join();
}

// ------------------------------------------------------------------ PostgreSQL

/// A fresh PostgreSQL database, dropped (`WITH (FORCE)`) when this guard goes away.
pub struct PgTestDb {
    pub name: String,
    /// URL of the test database (same server and credentials as the base URL).
    pub url: String,
    base: String,
}

impl PgTestDb {
    /// Creates the database, or prints a skip line (see module docs) and returns `None`.
    pub async fn create(test: &str) -> Option<PgTestDb> {
        let base = pg_base_url();
        let mut admin = match pg_admin(&base).await {
            Ok(c) => c,
            Err(reason) => {
                skip(test, &reason);
                return None;
            }
        };
        let name = unique_name(test);
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .await
            .expect("CREATE DATABASE");
        let _ = admin.close().await;
        let url = with_database(&base, &name, "");
        Some(PgTestDb { name, url, base })
    }

    /// A new admin (read-write) connection to the test database.
    pub async fn admin(&self) -> PgConnection {
        pg_admin(&self.url)
            .await
            .expect("admin connection to test db")
    }

    /// The test database's URL with extra query parameters (e.g. `schema=tenant`).
    pub fn url_with(&self, params: &str) -> String {
        with_database(&self.base, &self.name, params)
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let base = self.base.clone();
        let name = self.name.clone();
        block_on_thread(async move {
            match pg_admin(&base).await {
                Ok(mut c) => {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    if let Err(e) = c.execute(AssertSqlSafe(sql)).await {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                    let _ = c.close().await;
                }
                Err(e) => eprintln!("could not drop test database {name}: {e}"),
            }
        });
    }
}

/// An admin connection, bounded by [`ADMIN_TIMEOUT`]; `Err` carries a printable reason.
pub async fn pg_admin(url: &str) -> Result<PgConnection, String> {
    let opts: PgConnectOptions = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let opts = opts.disable_statement_logging();
    match tokio::time::timeout(ADMIN_TIMEOUT, opts.connect()).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(format!("PostgreSQL unreachable: {e}")),
        Err(_) => Err("PostgreSQL unreachable: timed out".to_owned()),
    }
}

// ------------------------------------------------------------------ MySQL / MariaDB

/// A fresh MySQL/MariaDB database, dropped when this guard goes away.
pub struct MyTestDb {
    pub name: String,
    pub url: String,
    base: String,
}

impl MyTestDb {
    /// Creates the database, or prints a skip line (see module docs) and returns `None`.
    pub async fn create(test: &str) -> Option<MyTestDb> {
        let base = mysql_base_url();
        let mut admin = match my_admin(&base).await {
            Ok(c) => c,
            Err(reason) => {
                skip(test, &reason);
                return None;
            }
        };
        let name = unique_name(test);
        admin
            .execute(AssertSqlSafe(format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )))
            .await
            .expect("CREATE DATABASE");
        let _ = admin.close().await;
        let url = with_database(&base, &name, "");
        Some(MyTestDb { name, url, base })
    }

    /// A new admin (read-write) connection to the test database.
    pub async fn admin(&self) -> MySqlConnection {
        my_admin(&self.url)
            .await
            .expect("admin connection to test db")
    }
}

impl Drop for MyTestDb {
    fn drop(&mut self) {
        let base = self.base.clone();
        let name = self.name.clone();
        block_on_thread(async move {
            match my_admin(&base).await {
                Ok(mut c) => {
                    let sql = format!("DROP DATABASE IF EXISTS `{name}`");
                    if let Err(e) = c.execute(AssertSqlSafe(sql)).await {
                        eprintln!("could not drop test database {name}: {e}");
                    }
                    let _ = c.close().await;
                }
                Err(e) => eprintln!("could not drop test database {name}: {e}"),
            }
        });
    }
}

/// An admin connection, bounded by [`ADMIN_TIMEOUT`]; `Err` carries a printable reason.
pub async fn my_admin(url: &str) -> Result<MySqlConnection, String> {
    let opts: MySqlConnectOptions = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let opts = opts.disable_statement_logging();
    match tokio::time::timeout(ADMIN_TIMEOUT, opts.connect()).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(format!("MySQL unreachable: {e}")),
        Err(_) => Err("MySQL unreachable: timed out".to_owned()),
    }
}

/// `true` when the server at `base` answers (used by tests that do not need a fresh DB).
pub async fn mysql_up(test: &str) -> bool {
    match my_admin(&mysql_base_url()).await {
        Ok(c) => {
            let _ = c.close().await;
            true
        }
        Err(reason) => {
            skip(test, &reason);
            false
        }
    }
}

/// `true` when the PostgreSQL server answers.
pub async fn pg_up(test: &str) -> bool {
    match pg_admin(&pg_base_url()).await {
        Ok(c) => {
            let _ = c.close().await;
            true
        }
        Err(reason) => {
            skip(test, &reason);
            false
        }
    }
}

// ------------------------------------------------------------------ session counting

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::time::Instant;

/// Counts devtop's sessions on one database every 20 ms until dropped; keeps the maximum.
pub struct Monitor {
    max: Arc<AtomicI64>,
    last: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Monitor {
    /// devtop's sessions (`application_name = 'devtop'`) on PostgreSQL database `db`,
    /// counted from `pg_stat_activity` over a connection to the base database.
    pub async fn pg(db: &str) -> Monitor {
        let conn = pg_admin(&pg_base_url()).await.expect("monitor connection");
        let conn = std::sync::Arc::new(tokio::sync::Mutex::new(conn));
        let db = db.to_owned();
        Monitor::start(move || {
            let (conn, db) = (conn.clone(), db.clone());
            Box::pin(async move {
                let mut c = conn.lock().await;
                sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = $1 AND application_name = 'devtop'",
                )
                .bind(&db)
                .fetch_one(&mut *c)
                .await
                .unwrap_or(-1)
            })
        })
    }

    /// Sessions on MySQL/MariaDB database `db` (information_schema.PROCESSLIST), leaving out
    /// the test's own connections `exclude`.
    pub async fn my(db: &str, exclude: [i64; 2]) -> Monitor {
        let conn = my_admin(&mysql_base_url())
            .await
            .expect("monitor connection");
        let conn = std::sync::Arc::new(tokio::sync::Mutex::new(conn));
        let db = db.to_owned();
        Monitor::start(move || {
            let (conn, db) = (conn.clone(), db.clone());
            Box::pin(async move {
                let mut c = conn.lock().await;
                sqlx::query_scalar::<_, i64>(
                    "SELECT CAST(COUNT(*) AS SIGNED) FROM information_schema.PROCESSLIST \
                     WHERE DB = ? AND ID NOT IN (?, ?, CONNECTION_ID())",
                )
                .bind(&db)
                .bind(exclude[0])
                .bind(exclude[1])
                .fetch_one(&mut *c)
                .await
                .unwrap_or(-1)
            })
        })
    }

    /// `count` runs one counting query on the monitor's own connection.
    fn start<F>(mut count: F) -> Monitor
    where
        F: FnMut() -> futures::future::BoxFuture<'static, i64> + Send + 'static,
    {
        let max = Arc::new(AtomicI64::new(0));
        let last = Arc::new(AtomicI64::new(-1));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, l, s) = (max.clone(), last.clone(), stop.clone());
        let task = tokio::spawn(async move {
            while !s.load(Ordering::SeqCst) {
                let n = count().await;
                m.fetch_max(n, Ordering::SeqCst);
                l.store(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Monitor {
            max,
            last,
            stop,
            task: Some(task),
        }
    }

    pub fn max(&self) -> i64 {
        self.max.load(Ordering::SeqCst)
    }

    /// Waits (up to `limit`) for a fresh count satisfying `ok`; returns the last count.
    pub async fn wait_for(&self, limit: Duration, ok: impl Fn(i64) -> bool) -> i64 {
        let deadline = Instant::now() + limit;
        loop {
            self.last.store(-1, Ordering::SeqCst);
            let mut n = -1;
            while n < 0 && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
                n = self.last.load(Ordering::SeqCst);
            }
            if ok(n) || Instant::now() >= deadline {
                return n;
            }
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

// ------------------------------------------------------------------ network oddities

/// A TCP listener on 127.0.0.1 that accepts connections and never says a word (the
/// connections are kept open until the test process exits).
pub fn black_hole() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind black hole");
    let addr = listener.local_addr().expect("black hole address");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            match stream {
                Ok(s) => held.push(s),
                Err(_) => break,
            }
        }
    });
    addr
}

/// A TCP forwarder from a local port to `upstream`, which can be switched off to simulate
/// a server that goes away: [`Proxy::stop`] closes the listening port (new connections are
/// refused) and cuts every forwarded connection.
pub struct Proxy {
    pub addr: SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    streams: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
    accept_thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    pub fn start(upstream: SocketAddr) -> Proxy {
        use std::sync::atomic::AtomicBool;
        use std::sync::{Arc, Mutex};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let stop = Arc::new(AtomicBool::new(false));
        let streams: Arc<Mutex<Vec<std::net::TcpStream>>> = Arc::new(Mutex::new(Vec::new()));
        let (stop2, streams2) = (stop.clone(), streams.clone());
        let accept_thread = std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { break };
                let Ok(server) = std::net::TcpStream::connect(upstream) else {
                    continue;
                };
                let pipes = (
                    client.try_clone(),
                    server.try_clone(),
                    client.try_clone(),
                    server.try_clone(),
                );
                let (Ok(mut c_read), Ok(mut s_write), Ok(mut c_write), Ok(mut s_read)) = pipes
                else {
                    continue;
                };
                if let Ok(mut list) = streams2.lock() {
                    list.push(client);
                    list.push(server);
                }
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_read, &mut s_write);
                    let _ = s_write.shutdown(std::net::Shutdown::Both);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s_read, &mut c_write);
                    let _ = c_write.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Proxy {
            addr,
            stop,
            streams,
            accept_thread: Some(accept_thread),
        }
    }

    /// Stops listening (the port then refuses connections) and cuts all forwarded streams.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so the thread sees the flag and drops the listener.
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
        if let Ok(list) = self.streams.lock() {
            for s in list.iter() {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `host:port` of a URL as a socket address (resolving `localhost`).
pub fn socket_addr_of(url: &str) -> SocketAddr {
    use std::net::ToSocketAddrs;
    let u = url::Url::parse(url).expect("URL parses");
    let host = u.host_str().expect("URL has a host").to_owned();
    let port = u.port_or_known_default().or(match u.scheme() {
        "mysql" => Some(3306),
        _ => Some(5432),
    });
    (host.as_str(), port.unwrap_or(5432))
        .to_socket_addrs()
        .expect("resolve")
        .next()
        .expect("an address")
}

/// A local port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    port
}

// ------------------------------------------------------------------ _prisma_migrations fixture

/// A UTC timestamp `(year, month, day, hour, minute, second, millisecond)`.
pub type Ts = (i64, i64, i64, i64, i64, i64, i64);

/// Milliseconds since the Unix epoch of a UTC timestamp (proleptic Gregorian calendar).
pub fn ts_ms(t: Ts) -> i64 {
    let (y, m, d, hh, mm, ss, ms) = t;
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms
}

/// `YYYY-MM-DD HH:MM:SS.mmm`.
pub fn ts_text(t: Ts) -> String {
    let (y, m, d, hh, mm, ss, ms) = t;
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}.{ms:03}")
}

/// ISO 8601 with `T` and `Z`.
pub fn ts_iso(t: Ts) -> String {
    ts_text(t).replacen(' ', "T", 1) + "Z"
}

/// One `_prisma_migrations` row of the shared fixture.
#[derive(Debug, Clone)]
pub struct FixtureRow {
    pub id: &'static str,
    pub checksum: String,
    pub name: &'static str,
    pub logs: Option<&'static str>,
    pub started: Ts,
    pub finished: Option<Ts>,
    pub rolled_back: Option<Ts>,
    pub steps: i64,
}

/// A history covering the interesting states, in `started_at` order:
/// * `20240102030405_init` applied (up to date);
/// * `20240201000000_add_posts` failed once, rolled back, then applied (two rows);
/// * `20240301000000_broken` failed (finished_at NULL, not rolled back).
///
/// [`PENDING`] exists only "on disk": it has no row.
pub fn fixture_rows() -> Vec<FixtureRow> {
    vec![
        FixtureRow {
            id: "00000000-0000-4000-8000-000000000001",
            checksum: "a".repeat(64),
            name: "20240102030405_init",
            logs: None,
            started: (2024, 1, 2, 3, 4, 5, 123),
            finished: Some((2024, 1, 2, 3, 4, 5, 678)),
            rolled_back: None,
            steps: 1,
        },
        FixtureRow {
            id: "00000000-0000-4000-8000-000000000002",
            checksum: "b".repeat(64),
            name: "20240201000000_add_posts",
            logs: Some("Database error: relation \"Post\" already exists"),
            started: (2024, 2, 1, 0, 0, 0, 0),
            finished: None,
            rolled_back: Some((2024, 2, 1, 0, 0, 10, 0)),
            steps: 0,
        },
        FixtureRow {
            id: "00000000-0000-4000-8000-000000000003",
            checksum: "b".repeat(64),
            name: "20240201000000_add_posts",
            logs: None,
            started: (2024, 2, 1, 0, 4, 59, 999),
            finished: Some((2024, 2, 1, 0, 5, 0, 500)),
            rolled_back: None,
            steps: 1,
        },
        FixtureRow {
            id: "00000000-0000-4000-8000-000000000004",
            checksum: "c".repeat(64),
            name: "20240301000000_broken",
            logs: Some("ERROR: syntax error at or near \"CREAT\""),
            started: (2024, 3, 1, 12, 0, 0, 1),
            finished: None,
            rolled_back: None,
            steps: 0,
        },
    ]
}

/// A migration present in the migrations directory but never applied.
pub const PENDING: &str = "20240401000000_pending";

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn opt_sql(v: Option<String>) -> String {
    v.unwrap_or_else(|| "NULL".to_owned())
}

/// INSERT statements for the fixture; `ts` renders a timestamp as an SQL literal.
pub fn fixture_inserts(ts: impl Fn(usize, &str, Ts) -> String) -> Vec<String> {
    fixture_rows()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, \
                 rolled_back_at, started_at, applied_steps_count) \
                 VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
                sql_str(r.id),
                sql_str(&r.checksum),
                opt_sql(r.finished.map(|t| ts(i, "finished_at", t))),
                sql_str(r.name),
                opt_sql(r.logs.map(sql_str)),
                opt_sql(r.rolled_back.map(|t| ts(i, "rolled_back_at", t))),
                ts(i, "started_at", r.started),
                r.steps
            )
        })
        .collect()
}

/// Asserts devtop read back exactly the fixture, in order, with exact millisecond times.
pub fn assert_fixture_rows(rows: &[AppliedRow]) {
    let expected = fixture_rows();
    assert_eq!(rows.len(), expected.len(), "rows: {rows:#?}");
    for (got, want) in rows.iter().zip(&expected) {
        assert_eq!(got.id, want.id);
        assert_eq!(got.checksum, want.checksum);
        assert_eq!(got.migration_name, want.name);
        assert_eq!(got.logs.as_deref(), want.logs, "{}", want.id);
        assert_eq!(
            got.started_at_ms,
            ts_ms(want.started),
            "started_at of {}",
            want.id
        );
        assert_eq!(
            got.finished_at_ms,
            want.finished.map(ts_ms),
            "finished_at of {}",
            want.id
        );
        assert_eq!(
            got.rolled_back_at_ms,
            want.rolled_back.map(ts_ms),
            "rolled_back_at of {}",
            want.id
        );
        assert_eq!(got.applied_steps_count, want.steps);
    }
    assert!(rows.iter().all(|r| r.migration_name != PENDING));
    // Spot-check the calendar arithmetic itself against a known value.
    assert_eq!(ts_ms((2024, 1, 2, 3, 4, 5, 678)), 1_704_164_645_678);
}

/// A row that leaves `started_at` to the table's default (the server's clock).
pub const DEFAULT_NOW_INSERT: &str = "INSERT INTO _prisma_migrations (id, checksum, migration_name) \
     VALUES ('default-now', 'x', '20990101000000_now')";

/// Asserts the [`DEFAULT_NOW_INSERT`] row was read back with a `started_at` within a minute of
/// our own clock.
pub fn assert_default_now_row(rows: &[AppliedRow]) -> &AppliedRow {
    let now_row = rows.iter().find(|r| r.id == "default-now").unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((now_row.started_at_ms - wall).abs() < 60_000, "{now_row:?}");
    now_row
}
