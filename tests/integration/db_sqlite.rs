//! devtop's database layer against SQLite files in a temporary directory.

use crate::db_common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use db_common::*;
use devtop::db::connect::{Db, connect};
use devtop::db::introspect::columns;
use devtop::db::lock::migrate_lock;
use devtop::db::prisma_table::{SQLITE_DDL, applied};
use devtop::db::probe::probe;
use devtop::model::db_error::DbErrorKind;
use devtop::model::provider::Provider;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor, SqliteConnection, SqlitePool};

/// A read-write admin connection that creates `dir/dev.db`.
async fn admin(dir: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(dir.join("dev.db"))
        .create_if_missing(true)
        .disable_statement_logging()
        .connect()
        .await
        .unwrap()
}

fn lite_pool(db: &Db) -> &SqlitePool {
    match db {
        Db::Lite(p) => p,
        other => panic!("expected an SQLite pool, got {:?}", other.provider()),
    }
}

/// Prisma's own layout: integer epoch milliseconds. Two cells are written as text instead
/// (`YYYY-MM-DD HH:MM:SS.mmm` and ISO `...T...Z`) to cover hand-made or older tables.
async fn insert_fixture(admin: &mut SqliteConnection) {
    admin.execute(SQLITE_DDL).await.unwrap();
    let inserts = fixture_inserts(|row, col, t| match (row, col) {
        (3, "started_at") => format!("'{}'", ts_text(t)),
        (1, "rolled_back_at") => format!("'{}'", ts_iso(t)),
        _ => ts_ms(t).to_string(),
    });
    for sql in inserts {
        admin.execute(AssertSqlSafe(sql)).await.unwrap();
    }
}

#[tokio::test]
async fn lite_probe_rows_lock_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut adm = admin(dir.path()).await;
    insert_fixture(&mut adm).await;
    adm.execute(r#"CREATE TABLE "User" (id INTEGER PRIMARY KEY, email TEXT NOT NULL, "createdAt" DATETIME)"#)
        .await
        .unwrap();

    let url = devtop::db::url::parse("file:./dev.db?connection_limit=1", dir.path()).unwrap();
    assert_eq!(url.provider, Provider::Sqlite);
    assert_eq!(
        url.sqlite_path.as_deref(),
        Some(dir.path().join("dev.db").as_path())
    );
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(db.provider(), Provider::Sqlite);

    let h = probe(&db).await.unwrap();
    assert!(h.version.starts_with('3'), "{h:?}");
    assert!(h.latency_ms >= 0.0 && h.latency_ms < 5_000.0, "{h:?}");
    assert_eq!(h.connections, None);
    assert_eq!(h.oldest_query_s, None);
    assert_eq!(h.lock_waiters, None);

    let rows = applied(&db, None).await.unwrap().unwrap();
    assert_fixture_rows(&rows);

    // The DDL's `DEFAULT current_timestamp` writes UTC text; it converts too.
    adm.execute(DEFAULT_NOW_INSERT).await.unwrap();
    let rows = applied(&db, None).await.unwrap().unwrap();
    assert_default_now_row(&rows);

    assert_eq!(migrate_lock(&db).await.unwrap(), None);

    let got = columns(&db, None).await.unwrap();
    let want = BTreeMap::from([(
        "User".to_owned(),
        ["id", "email", "createdAt"]
            .iter()
            .map(|c| c.to_string())
            .collect::<BTreeSet<_>>(),
    )]);
    assert_eq!(got, want);
    db.close().await;
    adm.close().await.unwrap();
}

#[tokio::test]
async fn lite_absent_table_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut adm = admin(dir.path()).await;
    adm.execute("CREATE TABLE t (id INTEGER)").await.unwrap();
    adm.close().await.unwrap();
    let url = devtop::db::url::parse("file:dev.db", dir.path()).unwrap();
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    assert_eq!(applied(&db, None).await.unwrap(), None);
    db.close().await;
}

#[tokio::test]
async fn lite_devtop_session_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut adm = admin(dir.path()).await;
    adm.execute("CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1);")
        .await
        .unwrap();
    adm.close().await.unwrap();
    let before = std::fs::read(dir.path().join("dev.db")).unwrap();

    let url = devtop::db::url::parse("file:./dev.db", dir.path()).unwrap();
    let db = connect(&url, DEVTOP_TIMEOUT).await.unwrap();
    let pool = lite_pool(&db);
    for sql in [
        "INSERT INTO t VALUES (2)",
        "CREATE TABLE devtop_must_fail (id INTEGER)",
        "DELETE FROM t",
    ] {
        let err = sqlx::query(sql).execute(pool).await.unwrap_err();
        let text = err.to_string().to_ascii_lowercase();
        assert!(
            text.contains("readonly") || text.contains("read-only") || text.contains("read only"),
            "{sql}: {err}"
        );
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM t")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    db.close().await;
    assert_eq!(std::fs::read(dir.path().join("dev.db")).unwrap(), before);
}

#[tokio::test]
async fn lite_missing_file_is_no_database_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let url = devtop::db::url::parse("file:./missing.db", dir.path()).unwrap();
    let err = connect(&url, Duration::from_secs(2)).await.unwrap_err();
    assert_eq!(err.kind, DbErrorKind::NoDatabase, "{err}");
    assert!(!dir.path().join("missing.db").exists());
}
