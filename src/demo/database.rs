//! The demo's databases: three SQLite files (local, staging, production) with Prisma's own
//! `_prisma_migrations` table in the mixed states of seed 004 — local up to date but for one
//! pending migration, staging three behind, production blocked by a failed migration — and
//! seed 003's drift: schema.prisma declares `cameras.uuid`, the tables lack it.
//!
//! These files are the demo's own fixtures, written before devtop starts watching them;
//! devtop's monitoring sessions stay read-only.

use crate::db::prisma_table::SQLITE_DDL;
use crate::model::local_migrations::checksum_variants;
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use std::io;
use std::path::Path;

/// The demo's migrations: (folder name, SQL from assets/demo/prisma/migrations). Oldest first.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "20250801090000_init",
        include_str!("../../assets/demo/prisma/migrations/20250801090000_init/migration.sql"),
    ),
    (
        "20250820100000_add_ccus",
        include_str!("../../assets/demo/prisma/migrations/20250820100000_add_ccus/migration.sql"),
    ),
    (
        "20250917120000_add_personal_models",
        include_str!(
            "../../assets/demo/prisma/migrations/20250917120000_add_personal_models/migration.sql"
        ),
    ),
    (
        "20250930080000_add_analytics_events",
        include_str!(
            "../../assets/demo/prisma/migrations/20250930080000_add_analytics_events/migration.sql"
        ),
    ),
    (
        "20251011000000_fix_personal_model_schema",
        include_str!(
            "../../assets/demo/prisma/migrations/20251011000000_fix_personal_model_schema/migration.sql"
        ),
    ),
    (
        "20251104150000_add_uuid_to_cameras",
        include_str!(
            "../../assets/demo/prisma/migrations/20251104150000_add_uuid_to_cameras/migration.sql"
        ),
    ),
];

/// How far each environment got: how many migrations applied, and which one failed.
struct EnvPlan {
    file: &'static str,
    applied: usize,
    failed: Option<usize>,
}

const PLANS: &[EnvPlan] = &[
    EnvPlan {
        file: "dev.db",
        applied: 5,
        failed: None,
    },
    EnvPlan {
        file: "staging.db",
        applied: 3,
        failed: None,
    },
    EnvPlan {
        file: "production.db",
        applied: 2,
        failed: Some(2),
    },
];

/// The `.env` lines pointing the three environments at the files (relative to prisma/, as
/// Prisma resolves `file:` URLs).
pub const DOTENV: &str = include_str!("../../assets/demo/.env");

fn err(e: sqlx::Error) -> io::Error {
    io::Error::other(e.to_string())
}

/// Write the migrations folder under `prisma_dir` and the three databases beside it.
pub async fn create(prisma_dir: &Path) -> io::Result<()> {
    let mdir = prisma_dir.join("migrations");
    std::fs::create_dir_all(&mdir)?;
    std::fs::write(
        mdir.join("migration_lock.toml"),
        include_str!("../../assets/demo/prisma/migrations/migration_lock.toml"),
    )?;
    for (name, sql) in MIGRATIONS {
        std::fs::create_dir_all(mdir.join(name))?;
        std::fs::write(mdir.join(name).join("migration.sql"), sql)?;
    }
    for plan in PLANS {
        write_env(&prisma_dir.join(plan.file), plan).await?;
    }
    Ok(())
}

async fn write_env(path: &Path, plan: &EnvPlan) -> io::Result<()> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .map_err(err)?;
    sqlx::raw_sql(SQLITE_DDL)
        .execute(&mut conn)
        .await
        .map_err(err)?;
    let base_ms: i64 = 1_754_038_800_000; // 2025-08-01 09:00 UTC
    let last = plan.failed.map_or(plan.applied, |f| f + 1);
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().take(last) {
        // Apply the SQL itself so the tables match, except a failed one.
        let failed = plan.failed == Some(i);
        if !failed {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*sql))
                .execute(&mut conn)
                .await
                .map_err(err)?;
        }
        let checksum = checksum_variants(sql.as_bytes())
            .into_iter()
            .next()
            .unwrap_or_default();
        let started = base_ms + i as i64 * 86_400_000 * 12;
        let logs: Option<&str> = failed.then_some(
            "Error: P3018\nA migration failed to apply.\nDatabase error: table \"personal_models\" already exists",
        );
        sqlx::query(
            "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
        )
        .bind(format!("demo-{}-{i}", plan.file))
        .bind(checksum)
        .bind(if failed { None } else { Some(started + 1500) })
        .bind(*name)
        .bind(logs)
        .bind(started)
        .bind(if failed { 0 } else { 1 })
        .execute(&mut conn)
        .await
        .map_err(err)?;
    }
    Ok(())
}
