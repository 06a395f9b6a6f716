//! devtop's database layer against both real servers, PostgreSQL and MySQL/MariaDB: each
//! scenario is written once and run for each provider (`<scenario>::postgres`,
//! `<scenario>::mysql`); what only one server has lives in `db_postgres` / `db_mysql`. See
//! `db_common` for setup, environment variables and skipping.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::db_common::*;
use devtop::db::connect::{Db, connect};
use devtop::db::introspect::columns;
use devtop::db::lock::migrate_lock;
use devtop::db::prisma_table::applied;
use devtop::db::probe::probe;
use devtop::model::db_error::DbErrorKind;

/// One `#[tokio::test]` per server for each scenario `async fn name(server: Server)`.
macro_rules! for_each_server {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use crate::db_common::Server;

            #[tokio::test]
            async fn postgres() {
                super::$scenario(Server::Postgres).await;
            }

            #[tokio::test]
            async fn mysql() {
                super::$scenario(Server::Mysql).await;
            }
        }
    )*};
}

for_each_server!(
    prisma_migrations_rows_and_timestamps,
    prisma_migrations_absent_is_none,
    migrate_lock_holder_and_release,
    devtop_session_cannot_write,
    columns_lists_tables_without_prisma_migrations,
    wrong_credentials_are_auth_and_hide_the_password,
    missing_database_is_no_database,
    black_hole_times_out_within_deadline,
    closed_port_is_refused_quickly,
    server_gone_after_connect_is_refused_not_timeout,
);

async fn prisma_migrations_rows_and_timestamps(server: Server) {
    let test = server.test_name("prisma_migrations_rows_and_timestamps");
    let Some(tdb) = server.create(&test).await else {
        return;
    };
    let mut admin = tdb.admin().await;
    insert_prisma_fixture(&mut admin).await;

    let url = parse(tdb.url());
    assert_eq!(url.schema.as_deref(), server.default_schema());
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    let rows = applied(&db, url.schema.as_deref()).await.unwrap().unwrap();
    assert_fixture_rows(&rows);

    // started_at's default (now() / CURRENT_TIMESTAMP(3)) also converts: within a minute of
    // our own clock. MySQL's default is written by a UTC session, as Prisma's is.
    if server == Server::Mysql {
        admin.execute("SET time_zone = '+00:00'").await;
    }
    admin.execute(DEFAULT_NOW_INSERT).await;
    let rows = applied(&db, url.schema.as_deref()).await.unwrap().unwrap();
    assert_eq!(assert_default_now_row(&rows).applied_steps_count, 0);
    db.close().await;
}

async fn prisma_migrations_absent_is_none(server: Server) {
    let test = server.test_name("prisma_migrations_absent_is_none");
    let Some(tdb) = server.create(&test).await else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin
        .execute(match server {
            Server::Postgres => r#"CREATE TABLE "User" (id int)"#,
            Server::Mysql => "CREATE TABLE `User` (id INT)",
        })
        .await;
    let url = parse(tdb.url());
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(applied(&db, url.schema.as_deref()).await.unwrap(), None);
    db.close().await;
}

/// On MySQL named locks are server-wide, so this is the only test that touches
/// `prisma_migrate`: held and released are checked in sequence here.
async fn migrate_lock_holder_and_release(server: Server) {
    let test = server.test_name("migrate_lock_holder_and_release");
    let Some(tdb) = server.create(&test).await else {
        return;
    };
    let db = connect(&parse(tdb.url()), DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    // Locks that are NOT Prisma's: another key (on PostgreSQL also the two-int4 form,
    // objsubid = 2).
    let mut other = tdb.admin().await;
    match server {
        Server::Postgres => {
            other
                .execute("SELECT pg_advisory_lock(72707370); SELECT pg_advisory_lock(0, 72707369)")
                .await;
        }
        Server::Mysql => {
            assert_eq!(other.i64("SELECT GET_LOCK('not_prisma', 10)").await, 1);
        }
    }
    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    let mut migrate = tdb.admin().await;
    let id = match server {
        Server::Postgres => {
            migrate
                .execute("SET application_name = 'devtop-test-migrate'")
                .await;
            migrate.i64("SELECT pg_backend_pid()::int8").await
        }
        Server::Mysql => migrate.i64("SELECT CAST(CONNECTION_ID() AS SIGNED)").await,
    };
    take_prisma_lock(server, &mut migrate).await;

    let holder = migrate_lock(&db).await.unwrap().expect("lock is held");
    assert_eq!(holder.pid, Some(id));
    let held = holder.held_s.unwrap();
    assert!((0.0..60.0).contains(&held), "{holder:?}");
    match server {
        Server::Postgres => {
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
            if let Some(addr) = &holder.client_addr {
                assert!(addr == "127.0.0.1" || addr == "::1", "{holder:?}");
            }
            migrate.execute("SELECT pg_advisory_unlock(72707369)").await;
        }
        Server::Mysql => {
            let host = holder.client_addr.clone().unwrap_or_default();
            assert!(
                host.starts_with("127.0.0.1") || host.starts_with("localhost"),
                "{holder:?}"
            );
            assert_eq!(holder.application_name, None);
            let released = migrate.i64("SELECT RELEASE_LOCK('prisma_migrate')").await;
            assert_eq!(released, 1);
        }
    }
    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    // A session that goes away while holding the lock releases it too.
    take_prisma_lock(server, &mut migrate).await;
    assert!(migrate_lock(&db).await.unwrap().is_some());
    migrate.close().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while migrate_lock(&db).await.unwrap().is_some() {
        assert!(
            Instant::now() < deadline,
            "lock still held after disconnect"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    other.close().await;
    db.close().await;
}

/// Takes Prisma's migrate lock on `admin`'s session, as `prisma migrate` does.
async fn take_prisma_lock(server: Server, admin: &mut Admin) {
    match server {
        Server::Postgres => admin.execute("SELECT pg_advisory_lock(72707369)").await,
        Server::Mysql => {
            assert_eq!(admin.i64("SELECT GET_LOCK('prisma_migrate', 10)").await, 1);
        }
    }
}

/// devtop's sessions are read-only: its writes fail with the server's read-only error (on
/// every pooled connection, not only the first) and the data stays as it was.
async fn devtop_session_cannot_write(server: Server) {
    let test = server.test_name("devtop_session_cannot_write");
    let Some(tdb) = server.create(&test).await else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin
        .execute(match server {
            Server::Postgres => "CREATE TABLE t (id int)",
            Server::Mysql => "CREATE TABLE t (id INT) ENGINE=InnoDB",
        })
        .await;
    admin.execute("INSERT INTO t VALUES (1)").await;
    let db = connect(&parse(tdb.url()), DEVTOP_TIMEOUT).await.unwrap();

    let (refused, writes): (&str, &[&'static str]) = match server {
        Server::Postgres => (
            "read-only transaction",
            &[
                "CREATE TABLE devtop_must_fail (id int)",
                "INSERT INTO t VALUES (2)",
                "UPDATE t SET id = 3",
            ],
        ),
        Server::Mysql => ("1792", &["INSERT INTO t VALUES (2)", "UPDATE t SET id = 3"]),
    };
    for &sql in writes {
        let err = devtop_execute(&db, sql).await.unwrap_err();
        assert!(err.to_string().contains(refused), "{sql}: {err}");
        let classified = devtop::db::error::classify(&err);
        assert!(classified.message.contains(refused), "{sql}: {classified}");
    }
    every_pooled_connection_is_read_only(&db).await;

    assert_eq!(admin.i64("SELECT COUNT(*) FROM t").await, 1);
    if server == Server::Postgres {
        let exists = admin
            .i64("SELECT count(*) FROM pg_class WHERE oid = to_regclass('public.devtop_must_fail')")
            .await;
        assert_eq!(exists, 0);
    }
    db.close().await;
}

/// `sql` run through devtop's own pool.
async fn devtop_execute(db: &Db, sql: &'static str) -> Result<(), sqlx::Error> {
    match db {
        Db::Pg(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::My(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        other => panic!("not a server pool: {:?}", other.provider()),
    }
}

/// Two connections of devtop's pool at once: PostgreSQL's are in read-only transactions;
/// MySQL's refuse a DELETE and run in UTC.
async fn every_pooled_connection_is_read_only(db: &Db) {
    match db {
        Db::Pg(pool) => {
            let mut a = pool.acquire().await.unwrap();
            let mut b = pool.acquire().await.unwrap();
            for conn in [&mut *a, &mut *b] {
                let ro: String =
                    sqlx::query_scalar("SELECT current_setting('transaction_read_only')")
                        .fetch_one(conn)
                        .await
                        .unwrap();
                assert_eq!(ro, "on");
            }
        }
        Db::My(pool) => {
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
        }
        other => panic!("not a server pool: {:?}", other.provider()),
    }
}

async fn columns_lists_tables_without_prisma_migrations(server: Server) {
    let test = server.test_name("columns_lists_tables_without_prisma_migrations");
    let Some(tdb) = server.create(&test).await else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin.execute(server.prisma_ddl()).await;
    let tables: &[&str] = match server {
        Server::Postgres => &[
            r#"CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL, "createdAt" timestamptz)"#,
            r#"CREATE TABLE "Post" (id int, title text, "authorId" int)"#,
            "CREATE SCHEMA other; CREATE TABLE other.hidden (x int)",
        ],
        Server::Mysql => &[
            "CREATE TABLE `User` (id INT PRIMARY KEY, email VARCHAR(191) NOT NULL, `createdAt` DATETIME(3))",
            "CREATE TABLE `Post` (id INT, title TEXT, `authorId` INT)",
        ],
    };
    for sql in tables {
        admin.execute(sql).await;
    }
    let url = parse(tdb.url());
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    let got = columns(&db, url.schema.as_deref()).await.unwrap();
    let set = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<BTreeSet<_>>();
    let want = BTreeMap::from([
        ("Post".to_owned(), set(&["id", "title", "authorId"])),
        ("User".to_owned(), set(&["id", "email", "createdAt"])),
    ]);
    assert_eq!(got, want);
    if server == Server::Postgres {
        let other = columns(&db, Some("other")).await.unwrap();
        assert_eq!(other.keys().collect::<Vec<_>>(), vec!["hidden"]);
    }
    db.close().await;
}

/// A wrong password for a role that does not exist (and, on MySQL, for the test's own user)
/// is an authentication error whose text never carries the password.
async fn wrong_credentials_are_auth_and_hide_the_password(server: Server) {
    let test = server.test_name("wrong_credentials_are_auth_and_hide_the_password");
    if !server.up(&test).await {
        return;
    }
    let base = server.base_url();
    let own_user = url::Url::parse(&base).unwrap().username().to_owned();
    let mut users = vec!["devtop_no_such_role"];
    if server == Server::Mysql {
        users.insert(0, own_user.as_str());
    }
    let pw = "wrong-password-1234";
    for user in users {
        let url = parse(&with_credentials(&base, user, Some(pw)));
        assert!(!url.masked.contains(pw));
        let err = connect(&url, DEVTOP_TIMEOUT).await.unwrap_err();
        assert_eq!(err.kind, DbErrorKind::Auth, "{user}: {err}");
        assert!(!err.to_string().contains(pw), "{err}");
    }
}

async fn missing_database_is_no_database(server: Server) {
    let test = server.test_name("missing_database_is_no_database");
    if !server.up(&test).await {
        return;
    }
    let absent = unique_name(&server.test_name("nodb_absent"));
    let raw = with_database(&server.base_url(), &absent, "");
    let err = connect(&parse(&raw), DEVTOP_TIMEOUT).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::NoDatabase, "{err}");
}

async fn black_hole_times_out_within_deadline(server: Server) {
    let addr = black_hole();
    let url = parse(&format!("{}://app:pw@{addr}/app", server.scheme()));
    let started = Instant::now();
    let err = connect(&url, Duration::from_secs(5)).await.unwrap_err();
    let took = started.elapsed();
    eprintln!("{server:?} black hole: {err} after {took:?}");
    assert_eq!(err.kind, DbErrorKind::Timeout, "{err}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(took >= Duration::from_millis(4_500), "took {took:?}");
}

async fn closed_port_is_refused_quickly(server: Server) {
    let port = closed_port();
    let url = parse(&format!("{}://app@127.0.0.1:{port}/app", server.scheme()));
    let started = Instant::now();
    let err = connect(&url, Duration::from_secs(5)).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::Refused, "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

async fn server_gone_after_connect_is_refused_not_timeout(server: Server) {
    let test = server.test_name("server_gone_after_connect_is_refused_not_timeout");
    let Some(tdb) = server.create(&test).await else {
        return;
    };
    let mut proxy = Proxy::start(socket_addr_of(tdb.url()));
    let mut via = url::Url::parse(tdb.url()).unwrap();
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
    eprintln!("{server:?} server gone: {err} after {took:?}");
    assert_eq!(err.kind, DbErrorKind::Refused, "{err}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    db.close().await;
}
