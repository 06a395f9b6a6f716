//! Column-level introspection of the live database, for drift checks against the Prisma schema.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use super::connect::{Db, pg_read};
use super::session_bounds::on_conn;
use crate::model::db_error::DbError;

const PG_COLUMNS: &str = "\
SELECT c.table_name::text AS table_name, c.column_name::text AS column_name
  FROM information_schema.columns c
  JOIN information_schema.tables t
    ON t.table_schema = c.table_schema AND t.table_name = c.table_name
 WHERE c.table_schema = $1 AND c.table_name <> '_prisma_migrations'
   AND t.table_type = 'BASE TABLE'";

// MySQL/MariaDB: two single-table information_schema reads joined here, not in SQL: MariaDB
// 10.11 crashed (SIGSEGV in ha_maria::drop_table, from create_tmp_table_for_schema) on the
// COLUMNS ⋈ TABLES join run every pass under load — twice on this project's machine.
const MY_TABLES: &str = "\
SELECT CAST(TABLE_NAME AS CHAR) AS table_name
  FROM information_schema.TABLES
 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
   AND TABLE_NAME <> '_prisma_migrations'";

const MY_COLUMNS: &str = "\
SELECT CAST(TABLE_NAME AS CHAR) AS table_name, CAST(COLUMN_NAME AS CHAR) AS column_name
  FROM information_schema.COLUMNS
 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '_prisma_migrations'";

const LITE_COLUMNS: &str = "\
SELECT m.name AS table_name, p.name AS column_name
  FROM sqlite_master AS m
  JOIN pragma_table_info(m.name) AS p
 WHERE m.type = 'table'
   AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
   AND m.name <> '_prisma_migrations'";

/// Table name → column names, as the database has them now (base tables only: views are
/// not part of a migration's drift).
///
/// * PostgreSQL: `information_schema.columns` of `schema` (Prisma's `?schema=`, default
///   `"public"`); only objects devtop's user has some privilege on are listed.
/// * MySQL/MariaDB: `information_schema.COLUMNS` of the URL's database (`DATABASE()`);
///   `schema` is ignored.
/// * SQLite: `sqlite_master` joined with `pragma_table_info` (internal `sqlite_*` tables
///   skipped); `schema` is ignored.
///
/// `_prisma_migrations` is always left out. Names are exactly as stored (case preserved).
///
/// # Errors
/// A classified [`DbError`] when no connection can be had or the query fails.
pub async fn columns(
    db: &Db,
    schema: Option<&str>,
) -> Result<BTreeMap<String, BTreeSet<String>>, DbError> {
    match columns_inner(db, schema).await {
        Ok(v) => Ok(v),
        Err(e) => Err(db.explain(&e).await),
    }
}

/// `(table_name, column_name)` of each row.
fn pairs<R>(rows: &[R]) -> Result<Vec<(String, String)>, sqlx::Error>
where
    R: Row,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|r| Ok((r.try_get("table_name")?, r.try_get("column_name")?)))
        .collect()
}

async fn columns_inner(
    db: &Db,
    schema: Option<&str>,
) -> Result<BTreeMap<String, BTreeSet<String>>, sqlx::Error> {
    let pairs: Vec<(String, String)> = match db {
        Db::Pg(pool) => {
            pg_read(pool, async |conn| {
                let rows = sqlx::query(PG_COLUMNS)
                    .persistent(false)
                    .bind(schema.unwrap_or("public"))
                    .fetch_all(&mut *conn)
                    .await?;
                pairs(&rows)
            })
            .await?
        }
        Db::My(pool) => {
            on_conn(pool, async |conn| {
                let tables: BTreeSet<String> = sqlx::query_scalar(MY_TABLES)
                    .persistent(false)
                    .fetch_all(&mut *conn)
                    .await?
                    .into_iter()
                    .collect();
                let rows = sqlx::query(MY_COLUMNS)
                    .persistent(false)
                    .fetch_all(&mut *conn)
                    .await?;
                let mut all = pairs(&rows)?;
                all.retain(|(t, _)| tables.contains(t));
                Ok(all)
            })
            .await?
        }
        Db::Lite(pool) => {
            on_conn(pool, async |conn| {
                pairs(&sqlx::query(LITE_COLUMNS).fetch_all(&mut *conn).await?)
            })
            .await?
        }
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (table, column) in pairs {
        out.entry(table).or_default().insert(column);
    }
    Ok(out)
}
