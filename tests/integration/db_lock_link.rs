//! A migrate lock held by a local process is traced to that process: this test process holds
//! Prisma's advisory lock over TCP, and `devtop status --json` names its PID as the holder.

use crate::db_common;

use sqlx::Executor;

#[tokio::test(flavor = "multi_thread")]
async fn postgres_lock_holder_is_linked_to_the_local_process() {
    let Some(db) = db_common::PgTestDb::create("lock_link").await else {
        return;
    };
    let mut holder = db.admin().await;
    holder
        .execute("SELECT pg_advisory_lock(72707369)")
        .await
        .expect("take Prisma's migrate lock");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("prisma")).expect("prisma dir");
    std::fs::write(
        dir.path().join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n",
    )
    .expect("schema");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_devtop"))
        .args(["status", "--json", "--scope", "project", "--project"])
        .arg(dir.path())
        .env("DATABASE_URL", &db.url)
        .output()
        .await
        .expect("run devtop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let lock = &json["databases"][0]["lock"];
    assert!(lock.is_object(), "lock seen: {json:#}");
    assert_eq!(lock["local_pid"], u64::from(std::process::id()), "{lock:#}");
    let summary = json["migrations"][0]["lock"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(summary.contains("migrate lock held"), "{summary}");
    assert!(
        summary.contains(&format!("local process PID {}", std::process::id())),
        "{summary}"
    );
    holder
        .execute("SELECT pg_advisory_unlock(72707369)")
        .await
        .expect("unlock");
}
