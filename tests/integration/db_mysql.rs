//! devtop's database layer against a real MySQL/MariaDB server: what only MySQL has (its health
//! probe's figures). The scenarios both servers share are in `db_servers`; see `db_common` for
//! setup, environment variables and skipping.

use crate::db_common::*;
use devtop::db::connect::connect;
use devtop::db::probe::probe;
use devtop::model::provider::Provider;

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
