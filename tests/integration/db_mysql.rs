//! devtop's database layer against a real MySQL/MariaDB server (see `db_common` for setup,
//! environment variables and skipping).

use crate::db_common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use db_common::*;
use devtop::db::connect::{Db, connect};
use devtop::db::error::DbErrorKind;
use devtop::db::introspect::columns;
use devtop::db::lock::migrate_lock;
use devtop::db::prisma_table::{MYSQL_DDL, applied};
use devtop::db::probe::probe;
use devtop::db::url::Provider;
use sqlx::{AssertSqlSafe, Connection, Executor, MySqlPool};

fn my_pool(db: &Db) -> &MySqlPool {
    match db {
        Db::My(p) => p,
        other => panic!("expected a MySQL pool, got {:?}", other.provider()),
    }
}

async fn insert_fixture(admin: &mut sqlx::MySqlConnection) {
    // A non-UTC session zone proves the conversion does not depend on it.
    admin.execute("SET time_zone = '+05:30'").await.unwrap();
    admin.execute(MYSQL_DDL).await.unwrap();
    // Prisma writes DATETIME(3) values in UTC.
    for sql in fixture_inserts(|_, _, t| format!("'{}'", ts_text(t))) {
        admin.execute(AssertSqlSafe(sql)).await.unwrap();
    }
}

#[tokio::test]
async fn my_health_probe_reports_version_and_connections() {
    let Some(tdb) = MyTestDb::create("my_health_probe_reports_version_and_connections").await
    else {
        return;
    };
    let url = parse(&tdb.url);
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(db.provider(), Provider::Mysql);
    let h = probe(&db).await.unwrap();
    assert!(h.latency_ms > 0.0 && h.latency_ms < 5_000.0, "{h:?}");
    assert!(
        !h.version.is_empty() && h.version.chars().next().unwrap().is_ascii_digit(),
        "{h:?}"
    );
    let (in_use, max) = h.connections.unwrap();
    assert!(in_use >= 1 && max >= in_use, "{h:?}");
    assert_eq!(h.oldest_query_s, None);
    assert_eq!(h.lock_waiters, None);
    db.close().await;
}

#[tokio::test]
async fn my_prisma_migrations_rows_and_timestamps() {
    let Some(tdb) = MyTestDb::create("my_prisma_migrations_rows_and_timestamps").await else {
        return;
    };
    let mut admin = tdb.admin().await;
    insert_fixture(&mut admin).await;
    let url = parse(&tdb.url);
    assert_eq!(url.schema, None);
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    let rows = applied(&db, url.schema.as_deref()).await.unwrap().unwrap();
    assert_fixture_rows(&rows);

    // The CURRENT_TIMESTAMP(3) default, written by a UTC session as Prisma's is.
    admin.execute("SET time_zone = '+00:00'").await.unwrap();
    admin
        .execute(
            "INSERT INTO _prisma_migrations (id, checksum, migration_name) \
             VALUES ('default-now', 'x', '20990101000000_now')",
        )
        .await
        .unwrap();
    let rows = applied(&db, None).await.unwrap().unwrap();
    let now_row = rows.iter().find(|r| r.id == "default-now").unwrap();
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((now_row.started_at_ms - wall).abs() < 60_000, "{now_row:?}");
    db.close().await;
}

#[tokio::test]
async fn my_prisma_migrations_absent_is_none() {
    let Some(tdb) = MyTestDb::create("my_prisma_migrations_absent_is_none").await else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin.execute("CREATE TABLE `User` (id INT)").await.unwrap();
    let db = connect(&parse(&tdb.url), DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(applied(&db, None).await.unwrap(), None);
    db.close().await;
}

/// Named locks are server-wide, so this is the only MySQL test that touches
/// `prisma_migrate`: held and released are checked in sequence here.
#[tokio::test]
async fn my_migrate_lock_holder_and_release() {
    let Some(tdb) = MyTestDb::create("my_migrate_lock_holder_and_release").await else {
        return;
    };
    let db = connect(&parse(&tdb.url), DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    let mut other = tdb.admin().await;
    let got: i64 = sqlx::query_scalar("SELECT GET_LOCK('not_prisma', 10)")
        .fetch_one(&mut other)
        .await
        .unwrap();
    assert_eq!(got, 1);
    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    let mut migrate = tdb.admin().await;
    let id: i64 = sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
        .fetch_one(&mut migrate)
        .await
        .unwrap();
    let got: i64 = sqlx::query_scalar("SELECT GET_LOCK('prisma_migrate', 10)")
        .fetch_one(&mut migrate)
        .await
        .unwrap();
    assert_eq!(got, 1);

    let holder = migrate_lock(&db).await.unwrap().expect("lock is held");
    assert_eq!(holder.pid, Some(id));
    let host = holder.client_addr.clone().unwrap_or_default();
    assert!(
        host.starts_with("127.0.0.1") || host.starts_with("localhost"),
        "{holder:?}"
    );
    let held = holder.held_s.unwrap();
    assert!((0.0..60.0).contains(&held), "{holder:?}");
    assert_eq!(holder.application_name, None);

    let released: i64 = sqlx::query_scalar("SELECT RELEASE_LOCK('prisma_migrate')")
        .fetch_one(&mut migrate)
        .await
        .unwrap();
    assert_eq!(released, 1);
    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    // A connection that goes away while holding the lock releases it.
    let _: i64 = sqlx::query_scalar("SELECT GET_LOCK('prisma_migrate', 10)")
        .fetch_one(&mut migrate)
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
async fn my_devtop_session_cannot_write() {
    let Some(tdb) = MyTestDb::create("my_devtop_session_cannot_write").await else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin
        .execute("CREATE TABLE t (id INT) ENGINE=InnoDB")
        .await
        .unwrap();
    admin.execute("INSERT INTO t VALUES (1)").await.unwrap();
    let db = connect(&parse(&tdb.url), DEVTOP_TIMEOUT).await.unwrap();
    let pool = my_pool(&db);

    let err = sqlx::query("INSERT INTO t VALUES (2)")
        .execute(pool)
        .await
        .unwrap_err();
    let classified = devtop::db::error::classify(&err);
    assert!(classified.message.contains("error 1792"), "{classified}");
    let err = sqlx::query("UPDATE t SET id = 3")
        .execute(pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("1792"), "{err}");

    // Every pooled connection is read-only and UTC.
    let mut a = pool.acquire().await.unwrap();
    let mut b = pool.acquire().await.unwrap();
    for conn in [&mut *a, &mut *b] {
        let err = sqlx::query("DELETE FROM t")
            .execute(&mut *conn)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("1792"), "{err}");
        let tz: String = sqlx::query_scalar("SELECT CAST(@@session.time_zone AS CHAR)")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(tz, "+00:00");
    }
    drop((a, b));

    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(n, 1);
    db.close().await;
}

#[tokio::test]
async fn my_columns_lists_tables_without_prisma_migrations() {
    let Some(tdb) = MyTestDb::create("my_columns_lists_tables_without_prisma_migrations").await
    else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin.execute(MYSQL_DDL).await.unwrap();
    admin
        .execute("CREATE TABLE `User` (id INT PRIMARY KEY, email VARCHAR(191) NOT NULL, `createdAt` DATETIME(3))")
        .await
        .unwrap();
    admin
        .execute("CREATE TABLE `Post` (id INT, title TEXT, `authorId` INT)")
        .await
        .unwrap();
    let db = connect(&parse(&tdb.url), DEVTOP_TIMEOUT).await.unwrap();
    let got = columns(&db, None).await.unwrap();
    let set = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<BTreeSet<_>>();
    let want = BTreeMap::from([
        ("Post".to_owned(), set(&["id", "title", "authorId"])),
        ("User".to_owned(), set(&["id", "email", "createdAt"])),
    ]);
    assert_eq!(got, want);
    db.close().await;
}

#[tokio::test]
async fn my_wrong_password_is_auth_and_hides_password() {
    if !mysql_up("my_wrong_password_is_auth_and_hides_password").await {
        return;
    }
    let base = mysql_base_url();
    let user = url::Url::parse(&base).unwrap().username().to_owned();
    for (user, pw) in [
        (user.as_str(), "wrong-password-1234"),
        ("devtop_no_such_user", "wrong-password-1234"),
    ] {
        let url = parse(&with_credentials(&base, user, Some(pw)));
        let err = connect(&url, DEVTOP_TIMEOUT).await.unwrap_err();
        assert_eq!(err.kind, DbErrorKind::Auth, "{user}: {err}");
        assert!(!err.to_string().contains(pw), "{err}");
    }
}

#[tokio::test]
async fn my_missing_database_is_no_database() {
    if !mysql_up("my_missing_database_is_no_database").await {
        return;
    }
    let raw = with_database(&mysql_base_url(), &unique_name("my_nodb_absent"), "");
    let err = connect(&parse(&raw), DEVTOP_TIMEOUT).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::NoDatabase, "{err}");
}

#[tokio::test]
async fn my_black_hole_times_out_within_deadline() {
    let addr = black_hole();
    let url = parse(&format!("mysql://root:pw@{addr}/app"));
    let started = Instant::now();
    let err = connect(&url, Duration::from_secs(5)).await.unwrap_err();
    let took = started.elapsed();
    eprintln!("mysql black hole: {err} after {took:?}");
    assert_eq!(err.kind, DbErrorKind::Timeout, "{err}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(took >= Duration::from_millis(4_500), "took {took:?}");
}

#[tokio::test]
async fn my_closed_port_is_refused_quickly() {
    let port = closed_port();
    let url = parse(&format!("mysql://root@127.0.0.1:{port}/app"));
    let started = Instant::now();
    let err = connect(&url, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Refused, "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn my_server_gone_after_connect_is_refused_not_timeout() {
    let Some(tdb) = MyTestDb::create("my_server_gone_after_connect_is_refused_not_timeout").await
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
    eprintln!("mysql server gone: {err} after {took:?}");
    assert_eq!(err.kind, DbErrorKind::Refused, "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    db.close().await;
}
