//! Connections never pile up while a statement is stuck: another session holds a lock on
//! `_prisma_migrations` (PostgreSQL `LOCK TABLE … IN ACCESS EXCLUSIVE MODE`, MariaDB/MySQL
//! `LOCK TABLES … WRITE`) over several probe cycles of the real collector. The server gives up
//! on devtop's query (lock timeout) before the client does, the read is reported as "blocked by
//! a lock", and the number of devtop sessions on the test's own database — counted from
//! `pg_stat_activity` / `information_schema.PROCESSLIST` every 20 ms by a separate monitor
//! connection — never exceeds the pool size, and drops to zero once the collector stops.

use crate::db_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use db_common::*;
use devtop::collect::databases::spawn;
use devtop::collect::environments::EnvSpec;
use devtop::db::connect::MAX_CONNECTIONS;
use devtop::db::prisma_table::{MYSQL_DDL, POSTGRES_DDL};
use devtop::model::database::{AppliedState, DbSnapshot, DbStatus};
use sqlx::{Connection, Executor};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Probe cycles to watch while the lock is held.
const CYCLES: usize = 3;

fn spec(url: &str) -> EnvSpec {
    EnvSpec {
        name: "local".into(),
        url_env: "DATABASE_URL".into(),
        url: Ok(parse(url)),
        config_error: false,
        source: Some("test".into()),
    }
}

/// Waits (up to `limit`) until `n` published snapshots satisfy `pred`.
async fn snapshots(
    rx: &mut watch::Receiver<Arc<DbSnapshot>>,
    n: usize,
    limit: Duration,
    pred: impl Fn(&DbSnapshot) -> bool,
) {
    let deadline = Instant::now() + limit;
    let mut seen = 0;
    while seen < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.changed()).await {
            Ok(Ok(())) => {
                let snap = rx.borrow_and_update().clone();
                if pred(&snap) {
                    seen += 1;
                }
            }
            _ => panic!(
                "only {seen} of {n} matching snapshots within {limit:?}; last: {:#?}",
                rx.borrow().envs.first()
            ),
        }
    }
}

fn blocked(s: &DbSnapshot) -> bool {
    s.envs.first().is_some_and(|e| {
        e.status == DbStatus::Up
            && matches!(&e.applied, AppliedState::Error(m) if m.starts_with("blocked by a lock"))
    })
}

fn readable(s: &DbSnapshot) -> bool {
    s.envs
        .first()
        .is_some_and(|e| matches!(&e.applied, AppliedState::Rows(r) if r.len() == 1))
}

/// The shared scenario once the lock is held and the monitor runs; `release` ends the lock.
async fn scenario(url: &str, monitor: &Monitor, release: impl Future<Output = ()>) {
    let cancel = CancellationToken::new();
    let mut rx = spawn(vec![spec(url)], Duration::from_millis(300), cancel.clone());
    snapshots(&mut rx, CYCLES, Duration::from_secs(90), blocked).await;
    let cap = i64::from(MAX_CONNECTIONS);
    assert!(monitor.max() >= 1, "the monitor saw devtop's session");
    assert!(
        monitor.max() <= cap,
        "devtop held {} sessions while the table was locked (pool size {cap})",
        monitor.max()
    );
    release.await;
    snapshots(&mut rx, 1, Duration::from_secs(30), readable).await;
    let now = monitor
        .wait_for(Duration::from_secs(10), |n| n <= cap)
        .await;
    assert!(now <= cap, "{now} sessions after the lock was released");
    cancel.cancel();
    let after = monitor.wait_for(Duration::from_secs(10), |n| n == 0).await;
    assert_eq!(after, 0, "devtop's sessions outlived the collector");
    assert!(
        monitor.max() <= cap,
        "max {} > pool size {cap}",
        monitor.max()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_locked_migrations_table_never_exceeds_the_pool() {
    let Some(tdb) = PgTestDb::create("pg_locked_pool").await else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin.execute(POSTGRES_DDL).await.unwrap();
    admin
        .execute(
            "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, \
             started_at, applied_steps_count) VALUES ('a', 'c', now(), '20250101000000_init', \
             now(), 1)",
        )
        .await
        .unwrap();
    let mut holder = tdb.admin().await;
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("LOCK TABLE _prisma_migrations IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let monitor = Monitor::pg(&tdb.name).await;
    scenario(&tdb.url, &monitor, async {
        holder.execute("ROLLBACK").await.unwrap();
    })
    .await;
    drop(monitor);
    let _ = holder.close().await;
    let _ = admin.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_locked_migrations_table_never_exceeds_the_pool() {
    let Some(tdb) = MyTestDb::create("my_locked_pool").await else {
        return;
    };
    let mut admin = tdb.admin().await;
    admin.execute(MYSQL_DDL).await.unwrap();
    admin
        .execute(
            "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, \
             started_at, applied_steps_count) VALUES ('a', 'c', NOW(3), '20250101000000_init', \
             NOW(3), 1)",
        )
        .await
        .unwrap();
    let mut holder = tdb.admin().await;
    let holder_id: i64 = sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    holder
        .execute("LOCK TABLES _prisma_migrations WRITE")
        .await
        .unwrap();
    // The admin connection also sits in the test database: leave it and the holder out.
    let admin_id: i64 = sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    let monitor = Monitor::my(&tdb.name, [holder_id, admin_id]).await;
    scenario(&tdb.url, &monitor, async {
        holder.execute("UNLOCK TABLES").await.unwrap();
    })
    .await;
    drop(monitor);
    let _ = holder.close().await;
    let _ = admin.close().await;
}
