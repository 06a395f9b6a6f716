//! The `apply-migrations` stand-in: `prisma migrate deploy` for the demo's SQLite databases.
//! It is the migrate command the demo's `m` runs (devtop itself never writes to a database):
//! each migration folder without a `_prisma_migrations` row is applied and recorded as Prisma
//! records it (id, SHA-256 checksum of migration.sql, started/finished in epoch ms, one step).

use crate::model::local_migrations::checksum_variants;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::path::Path;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Apply the pending migrations of `prisma/migrations` (from the working directory) to the
/// SQLite file of `DATABASE_URL`.
pub fn run() -> Result<(), BoxError> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let file = url
        .strip_prefix("file:")
        .ok_or("the apply-migrations stand-in only knows SQLite file: URLs")?;
    let db = Path::new("prisma").join(file.trim_start_matches("./"));
    println!("Prisma schema loaded from prisma/schema.prisma");
    println!("Datasource \"db\": SQLite database \"{file}\"");
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    rt.block_on(async {
        let mut conn = SqliteConnectOptions::new()
            .filename(&db)
            .create_if_missing(true)
            .connect()
            .await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(crate::db::prisma_table::SQLITE_DDL.replacen(
            "CREATE TABLE",
            "CREATE TABLE IF NOT EXISTS",
            1,
        )))
            .execute(&mut conn)
            .await?;
        let mut names: Vec<String> = std::fs::read_dir("prisma/migrations")?
            .filter_map(Result::ok)
            .filter(|e| e.path().join("migration.sql").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut applied = 0;
        for name in &names {
            let have: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM _prisma_migrations WHERE migration_name = ? AND finished_at IS NOT NULL",
            )
            .bind(name)
            .fetch_optional(&mut conn)
            .await?;
            if have.is_some() {
                continue;
            }
            let sql = std::fs::read_to_string(Path::new("prisma/migrations").join(name).join("migration.sql"))?;
            println!("Applying migration `{name}`");
            let started = now_ms();
            let mut tx = conn.begin().await?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&mut *tx)
                .await?;
            let checksum = checksum_variants(sql.as_bytes())
                .into_iter()
                .next()
                .unwrap_or_default();
            sqlx::query(
                "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)",
            )
            .bind(format!("standin-{name}"))
            .bind(checksum)
            .bind(now_ms())
            .bind(name)
            .bind(started)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            applied += 1;
        }
        println!();
        if applied == 0 {
            println!("No pending migrations to apply.");
        } else {
            println!("The following migration(s) have been applied: {applied}");
            println!("All migrations have been successfully applied.");
        }
        Ok::<(), BoxError>(())
    })
}
