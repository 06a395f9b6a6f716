//! devtop's database layer against a real PostgreSQL server: what only PostgreSQL has (lock
//! waiters and the oldest query in the health probe, `?schema=`, TLS-only servers, DNS). The
//! scenarios both servers share are in `db_servers`; see `db_common` for setup, environment
//! variables and skipping.

use std::time::Duration;

use crate::db_common::*;
use devtop::db::connect::{Db, connect};
use devtop::db::prisma_table::applied;
use devtop::db::probe::probe;
use devtop::model::db_error::DbErrorKind;
use devtop::model::provider::Provider;
use sqlx::{Executor, PgPool};

fn pg_pool(db: &Db) -> &PgPool {
    match db {
        Db::Pg(p) => p,
        other => panic!("expected a PostgreSQL pool, got {:?}", other.provider()),
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
async fn pg_prisma_migrations_absent_and_custom_schema() {
    let Some(tdb) = PgTestDb::create("pg_prisma_migrations_absent_and_custom_schema").await else {
        return;
    };
    let url = parse(&tdb.url);
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(applied(&db, Some("public")).await.unwrap(), None);
    db.close().await;

    // Prisma's ?schema=tenant: the table lives in "tenant", not in public.
    let mut admin = Admin::Pg(tdb.admin().await);
    admin
        .execute("CREATE SCHEMA tenant; SET search_path TO tenant")
        .await;
    insert_prisma_fixture(&mut admin).await;
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
async fn pg_unknown_host_is_dns() {
    let url = parse("postgresql://app@devtop-no-such-host.invalid:5432/app");
    let err = connect(&url, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Dns, "{err}");
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
