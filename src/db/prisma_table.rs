//! Prisma's migration history table, `_prisma_migrations`, read-only.
//!
//! Timestamps are converted to milliseconds since the Unix epoch (UTC) in SQL, so no date
//! library is needed on this side.

use sqlx::{AssertSqlSafe, Row};

use super::connect::{Db, pg_read};
use super::session_bounds::on_conn;
use crate::model::db_error::DbError;
/// Re-exported for callers of [`applied`]: one row of `_prisma_migrations`.
pub use crate::model::migrations::AppliedRow;

/// Prisma's PostgreSQL DDL for `_prisma_migrations`, verbatim from prisma-engines
/// `schema-engine/connectors/sql-schema-connector/src/flavour/postgres.rs`
/// (`create_migrations_table`). The table lands in the session's `search_path` schema.
/// For tests and the demo; devtop itself never runs DDL against a monitored database.
pub const POSTGRES_DDL: &str = r#"CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
"#;

/// Prisma's MySQL/MariaDB DDL for `_prisma_migrations`, verbatim from prisma-engines
/// `schema-engine/connectors/sql-schema-connector/src/flavour/mysql.rs`
/// (`create_migrations_table`). For tests and the demo.
pub const MYSQL_DDL: &str = r#"CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
"#;

/// Prisma's SQLite DDL for `_prisma_migrations`, verbatim from prisma-engines
/// `schema-engine/connectors/sql-schema-connector/src/flavour/sqlite.rs`
/// (`create_migrations_table`). Prisma itself writes the `DATETIME` columns as integer
/// milliseconds since the epoch; the `current_timestamp` default writes UTC text
/// (`YYYY-MM-DD HH:MM:SS`). For tests and the demo.
pub const SQLITE_DDL: &str = r#"CREATE TABLE "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);
"#;

const PG_EXISTS: &str = "\
SELECT EXISTS (
  SELECT 1 FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relname = '_prisma_migrations'
    AND c.relkind IN ('r', 'p', 'v', 'f')
)";

const MY_EXISTS: &str = "\
SELECT COUNT(*) FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '_prisma_migrations'";

/// Timestamps as UTC milliseconds: `DATETIME(3)` is a naive UTC value as Prisma writes it
/// (and the session time zone is `+00:00` for `TIMESTAMP` columns).
const MY_SELECT: &str = "\
SELECT
  CAST(id AS CHAR) AS id,
  CAST(checksum AS CHAR) AS checksum,
  CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', finished_at) DIV 1000 AS SIGNED) AS finished_at_ms,
  CAST(migration_name AS CHAR) AS migration_name,
  CAST(logs AS CHAR) AS logs,
  CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', rolled_back_at) DIV 1000 AS SIGNED) AS rolled_back_at_ms,
  CAST(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', started_at) DIV 1000 AS SIGNED) AS started_at_ms,
  CAST(applied_steps_count AS SIGNED) AS applied_steps_count
FROM _prisma_migrations
ORDER BY started_at ASC, migration_name ASC";

const LITE_EXISTS: &str =
    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'";

/// SQLite expression turning a `DATETIME` cell into epoch milliseconds: integers (Prisma's
/// own layout) pass through, reals are truncated, digit-only text is cast, other text is
/// parsed as an SQLite time string (`YYYY-MM-DD HH:MM:SS[.SSS]`, optional `T`, `Z` or
/// `±HH:MM`) via `julianday`; anything else is NULL.
fn lite_ms(col: &str) -> String {
    format!(
        "CASE typeof({col}) \
           WHEN 'integer' THEN {col} \
           WHEN 'real' THEN CAST({col} AS INTEGER) \
           WHEN 'text' THEN CASE \
             WHEN {col} <> '' AND {col} NOT GLOB '*[^0-9]*' THEN CAST({col} AS INTEGER) \
             ELSE CAST(round((julianday({col}) - 2440587.5) * 86400000.0) AS INTEGER) END \
           ELSE NULL END"
    )
}

fn lite_select() -> String {
    format!(
        "SELECT CAST(id AS TEXT) AS id, CAST(checksum AS TEXT) AS checksum, \
         {} AS finished_at_ms, CAST(migration_name AS TEXT) AS migration_name, \
         CAST(logs AS TEXT) AS logs, {} AS rolled_back_at_ms, {} AS started_at_ms, \
         CAST(applied_steps_count AS INTEGER) AS applied_steps_count \
         FROM \"_prisma_migrations\" ORDER BY started_at_ms ASC, migration_name ASC",
        lite_ms("finished_at"),
        lite_ms("rolled_back_at"),
        lite_ms("started_at"),
    )
}

fn pg_select(schema: &str) -> String {
    let table = format!("\"{}\".\"_prisma_migrations\"", schema.replace('"', "\"\""));
    let ms = |c: &str| format!("floor(extract(epoch FROM {c}) * 1000)::bigint");
    format!(
        "SELECT id::text AS id, checksum::text AS checksum, {} AS finished_at_ms, \
         migration_name::text AS migration_name, logs::text AS logs, \
         {} AS rolled_back_at_ms, {} AS started_at_ms, \
         applied_steps_count::bigint AS applied_steps_count \
         FROM {table} ORDER BY started_at ASC, migration_name ASC",
        ms("finished_at"),
        ms("rolled_back_at"),
        ms("started_at"),
    )
}

/// Reads every row of `_prisma_migrations`, oldest `started_at` first (ties by name), as
/// Prisma's `migrate status` does.
///
/// * PostgreSQL: `schema` (Prisma's `?schema=`, default `"public"`) is where the table is
///   looked up (`pg_catalog.pg_class` / `pg_namespace`) and read; timestamps are
///   `floor(extract(epoch FROM x) * 1000)::bigint`.
/// * MySQL/MariaDB: the URL's database (`DATABASE()`, looked up in
///   `information_schema.TABLES`); `schema` is ignored; timestamps are
///   `TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', x) DIV 1000`.
/// * SQLite: the main database (`sqlite_master`); integer milliseconds and text timestamps
///   are both accepted.
///
/// Returns `Ok(None)` when the table does not exist (a database Prisma never migrated),
/// `Ok(Some(rows))` otherwise (possibly empty). Rows are returned as stored: several rows for
/// one migration (failed, rolled back, re-applied), `finished_at_ms = None` for a failed or
/// running migration. A `started_at` SQLite cell that is not a timestamp reads as 0.
///
/// # Errors
/// A classified [`DbError`] when the pool cannot hand out a connection or a query fails
/// (e.g. missing `SELECT` privilege).
pub async fn applied(db: &Db, schema: Option<&str>) -> Result<Option<Vec<AppliedRow>>, DbError> {
    match applied_inner(db, schema).await {
        Ok(v) => Ok(v),
        Err(e) => Err(db.explain(&e).await),
    }
}

async fn applied_inner(
    db: &Db,
    schema: Option<&str>,
) -> Result<Option<Vec<AppliedRow>>, sqlx::Error> {
    match db {
        Db::Pg(pool) => {
            let schema = schema.unwrap_or("public");
            pg_read(pool, async |conn| {
                let exists: bool = sqlx::query_scalar(PG_EXISTS)
                    .persistent(false)
                    .bind(schema)
                    .fetch_one(&mut *conn)
                    .await?;
                if !exists {
                    return Ok(None);
                }
                let rows = sqlx::query(AssertSqlSafe(pg_select(schema)))
                    .persistent(false)
                    .fetch_all(&mut *conn)
                    .await?;
                rows.iter().map(to_row).collect::<Result<_, _>>().map(Some)
            })
            .await
        }
        Db::My(pool) => {
            on_conn(pool, async |conn| {
                let n: i64 = sqlx::query_scalar(MY_EXISTS).fetch_one(&mut *conn).await?;
                if n == 0 {
                    return Ok(None);
                }
                let rows = sqlx::query(MY_SELECT).fetch_all(&mut *conn).await?;
                rows.iter().map(to_row).collect::<Result<_, _>>().map(Some)
            })
            .await
        }
        Db::Lite(pool) => {
            on_conn(pool, async |conn| {
                let n: i64 = sqlx::query_scalar(LITE_EXISTS)
                    .fetch_one(&mut *conn)
                    .await?;
                if n == 0 {
                    return Ok(None);
                }
                let rows = sqlx::query(AssertSqlSafe(lite_select()))
                    .fetch_all(&mut *conn)
                    .await?;
                rows.iter().map(to_row).collect::<Result<_, _>>().map(Some)
            })
            .await
        }
    }
}

/// One result row (columns named as in [`AppliedRow`]) into an [`AppliedRow`].
fn to_row<R>(row: &R) -> Result<AppliedRow, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    let migration_name: String = row.try_get("migration_name")?;
    let started: Option<i64> = row.try_get("started_at_ms")?;
    let started_at_ms = started.unwrap_or_else(|| {
        log::warn!("_prisma_migrations: started_at of {migration_name} is not a timestamp");
        0
    });
    Ok(AppliedRow {
        id: row.try_get("id")?,
        checksum: row.try_get("checksum")?,
        finished_at_ms: row.try_get("finished_at_ms")?,
        migration_name,
        logs: row.try_get("logs")?,
        rolled_back_at_ms: row.try_get("rolled_back_at_ms")?,
        started_at_ms,
        applied_steps_count: row
            .try_get::<Option<i64>, _>("applied_steps_count")?
            .unwrap_or(0),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pg_select_quotes_schema() {
        let s = pg_select("we\"ird");
        assert!(s.contains("FROM \"we\"\"ird\".\"_prisma_migrations\""));
        assert!(s.contains("floor(extract(epoch FROM finished_at) * 1000)::bigint"));
    }

    #[test]
    fn ddl_constants_name_the_table() {
        for ddl in [POSTGRES_DDL, MYSQL_DDL, SQLITE_DDL] {
            assert!(ddl.contains("_prisma_migrations"));
            assert!(ddl.contains("applied_steps_count"));
        }
        assert!(MYSQL_DDL.contains("utf8mb4_unicode_ci"));
        assert!(SQLITE_DDL.contains("DEFAULT current_timestamp"));
    }
}
