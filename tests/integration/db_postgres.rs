//! devtop's database layer against a real PostgreSQL server (see `db_common` for setup,
//! environment variables and skipping).

use crate::db_common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use db_common::*;
use devtop::db::connect::{Db, connect};
use devtop::db::error::DbErrorKind;
use devtop::db::introspect::columns;
use devtop::db::lock::migrate_lock;
use devtop::db::prisma_table::{POSTGRES_DDL, applied};
use devtop::db::probe::probe;
use devtop::db::url::Provider;
use sqlx::{AssertSqlSafe, Connection, Executor, PgPool};

fn pg_pool(db: &Db) -> &PgPool {
    match db {
        Db::Pg(p) => p,
        other => panic!("expected a PostgreSQL pool, got {:?}", other.provider()),
    }
}

async fn insert_fixture(admin: &mut sqlx::PgConnection) {
    // A non-UTC session zone proves the conversion does not depend on it.
    admin.execute("SET TIME ZONE 'Asia/Kolkata'").await.unwrap();
    admin.execute(POSTGRES_DDL).await.unwrap();
    for sql in fixture_inserts(|_, _, t| format!("TIMESTAMPTZ '{}+00'", ts_text(t))) {
        admin.execute(AssertSqlSafe(sql)).await.unwrap();
    }
}

#[tokio::test]
async fn pg_health_probe_reports_version_connections_and_waiters() {
    let Some(tdb) =
        PgTestDb::create("pg_health_probe_reports_version_connections_and_waiters").await
    else {
        return;
    };
    let mut setup = tdb.admin().await;
    setup
        .execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1)")
        .await
        .unwrap();

    let url = parse(&tdb.url);
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(db.provider(), Provider::Postgres);

    // Quiet database: nothing running, nobody waiting.
    let quiet = probe(&db).await.unwrap();
    assert!(
        quiet.latency_ms > 0.0 && quiet.latency_ms < 5_000.0,
        "{quiet:?}"
    );
    assert!(quiet.version.starts_with("PostgreSQL "), "{quiet:?}");
    let (in_use, max) = quiet.connections.unwrap();
    assert!(in_use >= 1 && max >= in_use, "{quiet:?}");
    assert_eq!(quiet.oldest_query_s, None, "{quiet:?}");
    assert_eq!(quiet.lock_waiters, Some(0), "{quiet:?}");

    // A slow query, a lock holder (idle in transaction) and a session waiting on it.
    let mut sleeper = tdb.admin().await;
    let sleep = tokio::spawn(async move {
        sleeper.execute("SELECT pg_sleep(2)").await.unwrap();
    });
    let mut holder = tdb.admin().await;
    holder
        .execute("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let mut waiter = tdb.admin().await;
    let wait = tokio::spawn(async move {
        waiter.execute("SELECT count(*) FROM t").await.unwrap();
    });
    tokio::time::sleep(Duration::from_millis(700)).await;

    let busy = probe(&db).await.unwrap();
    let oldest = busy.oldest_query_s.unwrap();
    assert!((0.5..30.0).contains(&oldest), "{busy:?}");
    assert_eq!(busy.lock_waiters, Some(1), "{busy:?}");
    let (busy_in_use, _) = busy.connections.unwrap();
    assert!(busy_in_use >= 4, "{busy:?}");

    holder.execute("ROLLBACK").await.unwrap();
    wait.await.unwrap();
    sleep.await.unwrap();
    db.close().await;
}

#[tokio::test]
async fn pg_prisma_migrations_rows_and_timestamps() {
    let Some(tdb) = PgTestDb::create("pg_prisma_migrations_rows_and_timestamps").await else {
        return;
    };
    let mut admin = tdb.admin().await;
    insert_fixture(&mut admin).await;

    let url = parse(&tdb.url);
    assert_eq!(url.schema.as_deref(), Some("public"));
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    let rows = applied(&db, url.schema.as_deref()).await.unwrap().unwrap();
    assert_fixture_rows(&rows);

    // started_at's default (now()) also converts: within a minute of our own clock.
    admin
        .execute(
            "INSERT INTO _prisma_migrations (id, checksum, migration_name) \
             VALUES ('default-now', 'x', '20990101000000_now')",
        )
        .await
        .unwrap();
    let rows = applied(&db, Some("public")).await.unwrap().unwrap();
    let now_row = rows.iter().find(|r| r.id == "default-now").unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((now_row.started_at_ms - wall).abs() < 60_000, "{now_row:?}");
    assert_eq!(now_row.applied_steps_count, 0);
    db.close().await;
}

#[tokio::test]
async fn pg_prisma_migrations_absent_and_custom_schema() {
    let Some(tdb) = PgTestDb::create("pg_prisma_migrations_absent_and_custom_schema").await else {
        return;
    };
    let url = parse(&tdb.url);
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(applied(&db, Some("public")).await.unwrap(), None);
    db.close().await;

    // Prisma's ?schema=tenant: the table lives in "tenant", not in public.
    let mut admin = tdb.admin().await;
    admin
        .execute("CREATE SCHEMA tenant; SET search_path TO tenant")
        .await
        .unwrap();
    insert_fixture(&mut admin).await;
    let url = parse(&tdb.url_with("schema=tenant&connection_limit=3"));
    assert_eq!(url.schema.as_deref(), Some("tenant"));
    assert!(url.dropped.contains(&"connection_limit".to_owned()));
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    let rows = applied(&db, url.schema.as_deref()).await.unwrap().unwrap();
    assert_fixture_rows(&rows);
    assert_eq!(applied(&db, Some("public")).await.unwrap(), None);
    // The session's search_path follows ?schema=.
    let sp: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(pg_pool(&db))
        .await
        .unwrap();
    assert_eq!(sp, "tenant");
    db.close().await;
}

#[tokio::test]
async fn pg_migrate_lock_holder_and_release() {
    let Some(tdb) = PgTestDb::create("pg_migrate_lock_holder_and_release").await else {
        return;
    };
    let url = parse(&tdb.url);
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    // Locks that are NOT Prisma's: another key, and the two-int4 form (objsubid = 2).
    let mut other = tdb.admin().await;
    other
        .execute("SELECT pg_advisory_lock(72707370); SELECT pg_advisory_lock(0, 72707369)")
        .await
        .unwrap();
    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    let mut migrate = tdb.admin().await;
    migrate
        .execute("SET application_name = 'devtop-test-migrate'")
        .await
        .unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut migrate)
        .await
        .unwrap();
    migrate
        .execute("SELECT pg_advisory_lock(72707369)")
        .await
        .unwrap();

    let holder = migrate_lock(&db).await.unwrap().expect("lock is held");
    assert_eq!(holder.pid, Some(i64::from(pid)));
    assert_eq!(
        holder.application_name.as_deref(),
        Some("devtop-test-migrate")
    );
    assert!(
        holder
            .query
            .as_deref()
            .unwrap_or("")
            .contains("pg_advisory_lock(72707369)")
    );
    let held = holder.held_s.unwrap();
    assert!((0.0..60.0).contains(&held), "{holder:?}");
    if let Some(addr) = &holder.client_addr {
        assert!(addr == "127.0.0.1" || addr == "::1", "{holder:?}");
    }

    migrate
        .execute("SELECT pg_advisory_unlock(72707369)")
        .await
        .unwrap();
    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    // A session that dies while holding the lock releases it too.
    migrate
        .execute("SELECT pg_advisory_lock(72707369)")
        .await
        .unwrap();
    assert!(migrate_lock(&db).await.unwrap().is_some());
    migrate.close().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while migrate_lock(&db).await.unwrap().is_some() {
        assert!(
            Instant::now() < deadline,
            "lock still held after disconnect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = other.close().await;
    db.close().await;
}

#[tokio::test]
async fn pg_devtop_session_cannot_write() {
    let Some(tdb) = PgTestDb::create("pg_devtop_session_cannot_write").await else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin
        .execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    let url = parse(&tdb.url);
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    let pool = pg_pool(&db);

    let err = sqlx::query("CREATE TABLE devtop_must_fail (id int)")
        .execute(pool)
        .await
        .unwrap_err();
    let msg = devtop::db::error::classify(&err).message;
    assert!(msg.contains("read-only transaction"), "{msg}");
    let err = sqlx::query("INSERT INTO t VALUES (2)")
        .execute(pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("read-only transaction"), "{err}");
    let err = sqlx::query("UPDATE t SET id = 3")
        .execute(pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("read-only transaction"), "{err}");

    // Every pooled connection (not only the first) is read-only.
    let mut a = pool.acquire().await.unwrap();
    let mut b = pool.acquire().await.unwrap();
    for conn in [&mut *a, &mut *b] {
        let ro: String = sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
            .fetch_one(conn)
            .await
            .unwrap();
        assert_eq!(ro, "on");
    }
    drop((a, b));

    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let exists: bool =
        sqlx::query_scalar("SELECT to_regclass('public.devtop_must_fail') IS NOT NULL")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert!(!exists);
    db.close().await;
}

#[tokio::test]
async fn pg_columns_lists_tables_without_prisma_migrations() {
    let Some(tdb) = PgTestDb::create("pg_columns_lists_tables_without_prisma_migrations").await
    else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin.execute(POSTGRES_DDL).await.unwrap();
    admin
        .execute(
            r#"CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL, "createdAt" timestamptz);
               CREATE TABLE "Post" (id int, title text, "authorId" int);
               CREATE SCHEMA other; CREATE TABLE other.hidden (x int);"#,
        )
        .await
        .unwrap();
    let url = parse(&tdb.url);
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    let got = columns(&db, url.schema.as_deref()).await.unwrap();
    let set = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<BTreeSet<_>>();
    let want = BTreeMap::from([
        ("Post".to_owned(), set(&["id", "title", "authorId"])),
        ("User".to_owned(), set(&["id", "email", "createdAt"])),
    ]);
    assert_eq!(got, want);
    let other = columns(&db, Some("other")).await.unwrap();
    assert_eq!(other.keys().collect::<Vec<_>>(), vec!["hidden"]);
    db.close().await;
}

#[tokio::test]
async fn pg_wrong_role_is_auth_and_hides_password() {
    if !pg_up("pg_wrong_role_is_auth_and_hides_password").await {
        return;
    }
    let raw = with_credentials(
        &pg_base_url(),
        "devtop_no_such_role",
        Some("wrong-password-1234"),
    );
    let url = parse(&raw);
    assert!(!url.masked.contains("wrong-password-1234"));
    let err = connect(&url, DEVTOP_TIMEOUT).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Auth, "{err}");
    assert!(!err.to_string().contains("wrong-password-1234"), "{err}");
}

#[tokio::test]
async fn pg_missing_database_is_no_database() {
    if !pg_up("pg_missing_database_is_no_database").await {
        return;
    }
    let raw = with_database(&pg_base_url(), &unique_name("pg_nodb_absent"), "");
    let err = connect(&parse(&raw), DEVTOP_TIMEOUT).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::NoDatabase, "{err}");
}

#[tokio::test]
async fn pg_black_hole_times_out_within_deadline() {
    let addr = black_hole();
    let url = parse(&format!("postgresql://app:pw@{addr}/app"));
    let started = Instant::now();
    let err = connect(&url, Duration::from_secs(5)).await.unwrap_err();
    let took = started.elapsed();
    eprintln!("pg black hole: {err} after {took:?}");
    assert_eq!(err.kind, DbErrorKind::Timeout, "{err}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(took >= Duration::from_millis(4_500), "took {took:?}");
}

#[tokio::test]
async fn pg_closed_port_is_refused_quickly() {
    let port = closed_port();
    let url = parse(&format!("postgresql://app@127.0.0.1:{port}/app"));
    let started = Instant::now();
    let err = connect(&url, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Refused, "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn pg_unknown_host_is_dns() {
    let url = parse("postgresql://app@devtop-no-such-host.invalid:5432/app");
    let err = connect(&url, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Dns, "{err}");
}

#[tokio::test]
async fn pg_server_gone_after_connect_is_refused_not_timeout() {
    let Some(tdb) = PgTestDb::create("pg_server_gone_after_connect_is_refused_not_timeout").await
    else {
        return;
    };
    let mut proxy = Proxy::start(socket_addr_of(&tdb.url));
    let mut via = url::Url::parse(&tdb.url).unwrap();
    via.set_host(Some("127.0.0.1")).unwrap();
    via.set_port(Some(proxy.addr.port())).unwrap();
    let db = connect(&parse(via.as_str()), Duration::from_secs(2))
        .await
        .unwrap();
    probe(&db).await.unwrap();

    proxy.stop();
    let started = Instant::now();
    let err = probe(&db).await.unwrap_err();
    let took = started.elapsed();
    eprintln!("pg server gone: {err} after {took:?}");
    assert_eq!(err.kind, DbErrorKind::Refused, "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    db.close().await;
}

/// A server that only accepts TLS (pg_hba.conf with `hostssl` lines only) refuses a plain
/// connection with SQLSTATE 28000 "… no encryption": devtop says "TLS required", not
/// "authentication failed". The shared test server cannot be reconfigured, so a local listener
/// answers exactly what PostgreSQL 15 sends on the wire: `N` to the SSLRequest, then that
/// ErrorResponse to the startup message.
#[tokio::test]
async fn pg_tls_required_server_is_reported_as_tls_required() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let read_message = |s: &mut std::net::TcpStream| {
            let mut len = [0u8; 4];
            s.read_exact(&mut len).unwrap();
            let mut body = vec![0u8; u32::from_be_bytes(len) as usize - 4];
            s.read_exact(&mut body).unwrap();
            body
        };
        let first = read_message(&mut s);
        if first.get(..4) == Some(&80877103u32.to_be_bytes()[..]) {
            s.write_all(b"N").unwrap();
            read_message(&mut s);
        }
        let mut fields = Vec::new();
        for (tag, value) in [
            (b'S', "FATAL"),
            (b'V', "FATAL"),
            (b'C', "28000"),
            (
                b'M',
                "no pg_hba.conf entry for host \"127.0.0.1\", user \"postgres\", database \"app\", no encryption",
            ),
            (b'F', "auth.c"),
            (b'L', "543"),
            (b'R', "ClientAuthentication"),
        ] {
            fields.push(tag);
            fields.extend_from_slice(value.as_bytes());
            fields.push(0);
        }
        fields.push(0);
        let mut msg = vec![b'E'];
        msg.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
        msg.extend_from_slice(&fields);
        s.write_all(&msg).unwrap();
    });
    let url = parse(&format!("postgresql://postgres@127.0.0.1:{port}/app"));
    let err = connect(&url, DEVTOP_TIMEOUT).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::TlsRequired, "{err}");
    assert!(
        err.to_string()
            .starts_with("TLS required: no pg_hba.conf entry"),
        "{err}"
    );
    server.join().unwrap();
}
