//! Schema drift: the tables and columns schema.prisma declares versus those the database has
//! (seed 003: `cameras.uuid` in the schema, no such column in the database, so every camera
//! query failed with "column cameras.uuid does not exist").
//!
//! Pure: the schema comes from `crate::model::schema`, the database side from the database
//! collector's introspection (table → column names of the connection's default schema).
//!
//! Rules:
//! - each model is a table named by `@@map` (else the model name); its columns are its
//!   non-relation fields named by `@map` (else the field name). Scalar lists (`String[]`) are
//!   columns (PostgreSQL arrays); relation fields are not.
//! - `_prisma_migrations` is Prisma's own table and is ignored.
//! - names are compared exactly, case-sensitively: that is how PostgreSQL stores quoted
//!   identifiers, which Prisma always quotes. On MySQL with `lower_case_table_names=1`
//!   (Windows, macOS) tables may come back lowercased and then show as drift.
//! - views are skipped by the schema parser, so the database side should list base tables only.
//! - multi-schema projects (`@@schema("auth")`) are matched by table name only.

use crate::model::schema::Schema;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Prisma's bookkeeping table, never part of a schema.
pub const PRISMA_MIGRATIONS_TABLE: &str = "_prisma_migrations";

/// How many names [`Drift::summary`] lists per side before "+N more".
const SUMMARY_NAMES: usize = 3;

/// Differences between schema.prisma and a database. Entries read `"table cameras"` or
/// `"column cameras.uuid"`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Drift {
    /// Declared in the schema, absent from the database (queries using them fail), in schema
    /// order. A missing table is listed once, without its columns.
    pub missing_in_db: Vec<String>,
    /// Present in the database, absent from the schema (e.g. a migration applied from another
    /// branch, or a column dropped from the schema without a migration), sorted by name. A
    /// table absent from the schema is listed once, without its columns.
    pub missing_in_schema: Vec<String>,
}

impl Drift {
    /// No differences.
    pub fn is_empty(&self) -> bool {
        self.missing_in_db.is_empty() && self.missing_in_schema.is_empty()
    }

    /// One line, e.g. "in sync" or "database lacks column cameras.uuid; schema lacks table
    /// legacy_users". At most three names per side, then "+N more".
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "in sync".to_owned();
        }
        let mut parts = Vec::new();
        for (who, items) in [
            ("database lacks", &self.missing_in_db),
            ("schema lacks", &self.missing_in_schema),
        ] {
            if items.is_empty() {
                continue;
            }
            let mut s = format!(
                "{who} {}",
                items
                    .iter()
                    .take(SUMMARY_NAMES)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if items.len() > SUMMARY_NAMES {
                s.push_str(&format!(" +{} more", items.len() - SUMMARY_NAMES));
            }
            parts.push(s);
        }
        parts.join("; ")
    }
}

/// Prisma's implicit many-to-many relation tables: `_<A>To<B>` (or a custom `_<Name>`).
fn is_implicit_join_table(name: &str) -> bool {
    name.starts_with('_') && name != PRISMA_MIGRATIONS_TABLE
}

/// Compare the schema's tables and columns with the database's (`db`: table name → column
/// names). See the module docs for the rules.
pub fn compare(schema: &Schema, db: &BTreeMap<String, BTreeSet<String>>) -> Drift {
    let mut drift = Drift::default();
    let mut declared: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for model in &schema.models {
        let columns = declared.entry(model.table.as_str()).or_default();
        let db_columns = db.get(&model.table);
        if db_columns.is_none() {
            let entry = format!("table {}", model.table);
            if !drift.missing_in_db.contains(&entry) {
                drift.missing_in_db.push(entry);
            }
        }
        for field in model.columns() {
            columns.insert(field.column.as_str());
            if let Some(db_columns) = db_columns
                && !db_columns.contains(&field.column)
            {
                drift
                    .missing_in_db
                    .push(format!("column {}.{}", model.table, field.column));
            }
        }
    }
    for (table, db_columns) in db {
        // Prisma's implicit many-to-many join tables (`_CategoryToPost`) have no model.
        if table == PRISMA_MIGRATIONS_TABLE || is_implicit_join_table(table) {
            continue;
        }
        match declared.get(table.as_str()) {
            None => drift.missing_in_schema.push(format!("table {table}")),
            Some(columns) => drift.missing_in_schema.extend(
                db_columns
                    .iter()
                    .filter(|c| !columns.contains(c.as_str()))
                    .map(|c| format!("column {table}.{c}")),
            ),
        }
    }
    drift
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::schema::parse;

    fn db(tables: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        tables
            .iter()
            .map(|(t, cols)| {
                (
                    (*t).to_owned(),
                    cols.iter().map(|c| (*c).to_owned()).collect(),
                )
            })
            .collect()
    }

    const CAMERAS: &str = r#"
model Camera {
  uuid         String  @unique @default(uuid())
  id           String
  productionId String  @map("production_id")
  ccu          Ccu?    @relation(fields: [ccuId], references: [id])
  ccuId        String? @map("ccu_id")
  @@map("cameras")
}
model Ccu {
  id      String   @id
  cameras Camera[]
  @@map("ccus")
}
"#;

    #[test]
    fn seed_003_cameras_uuid_missing_in_db() {
        let schema = parse(CAMERAS).unwrap();
        let database = db(&[
            ("_prisma_migrations", &["id", "checksum"]),
            ("cameras", &["id", "production_id", "ccu_id"]),
            ("ccus", &["id"]),
            ("_CameraToTag", &["A", "B"]),
        ]);
        let d = compare(&schema, &database);
        assert_eq!(d.missing_in_db, ["column cameras.uuid"]);
        assert!(
            d.missing_in_schema.is_empty(),
            "implicit m2m table ignored: {d:?}"
        );
        assert!(!d.is_empty());
        assert_eq!(d.summary(), "database lacks column cameras.uuid");
    }

    #[test]
    fn in_sync() {
        let schema = parse(CAMERAS).unwrap();
        let database = db(&[
            ("cameras", &["uuid", "id", "production_id", "ccu_id"]),
            ("ccus", &["id"]),
        ]);
        let d = compare(&schema, &database);
        assert!(d.is_empty());
        assert_eq!(d.summary(), "in sync");
    }

    #[test]
    fn missing_tables_and_extra_columns() {
        // Seed 004's staging: personal_models / analytics_events never created; an old column
        // left in the database.
        let schema = parse(include_str!("../../tests/fixtures/prisma/evermed.prisma")).unwrap();
        let database = db(&[
            ("users", &["id", "email", "location", "legacy_name"]),
            ("feature_flags", &["key", "enabled", "rollout_pct"]),
            ("user_feature_flags", &["user_id", "flag_key"]),
            ("old_events", &["id"]),
        ]);
        let d = compare(&schema, &database);
        assert_eq!(
            d.missing_in_db,
            ["table analytics_events", "table personal_models"]
        );
        assert_eq!(
            d.missing_in_schema,
            ["table old_events", "column users.legacy_name"]
        );
        assert_eq!(
            d.summary(),
            "database lacks table analytics_events, table personal_models; \
             schema lacks table old_events, column users.legacy_name"
        );
    }

    #[test]
    fn case_sensitive_names() {
        let schema = parse("model User {\n  id Int @id\n  createdAt DateTime\n}\n").unwrap();
        let d = compare(
            &schema,
            &db(&[("user", &["id"]), ("User", &["id", "createdat"])]),
        );
        assert_eq!(d.missing_in_db, ["column User.createdAt"]);
        assert_eq!(d.missing_in_schema, ["column User.createdat", "table user"]);
    }

    #[test]
    fn scalar_lists_are_columns_relations_are_not() {
        let schema = parse(include_str!(
            "../../tests/fixtures/prisma/video_production.prisma"
        ))
        .unwrap();
        let database = db(&[("sources", &["id", "production_id", "type", "name", "rate"])]);
        let d = compare(&schema, &database);
        assert!(d.missing_in_db.contains(&"column sources.tags".to_owned()));
        assert!(!d.missing_in_db.iter().any(|e| e.contains("sources.sends")));
        assert!(
            !d.missing_in_db
                .contains(&"column sources.production".to_owned())
        );
    }

    #[test]
    fn summary_truncates() {
        let d = Drift {
            missing_in_db: (1..=5).map(|i| format!("table t{i}")).collect(),
            missing_in_schema: vec![],
        };
        assert_eq!(
            d.summary(),
            "database lacks table t1, table t2, table t3 +2 more"
        );
    }

    #[test]
    fn two_models_mapped_to_one_table() {
        let schema = parse(
            "model A {\n id Int @id\n a Int\n @@map(\"t\")\n}\nmodel B {\n id Int @id\n b Int\n @@map(\"t\")\n}\n",
        )
        .unwrap();
        let d = compare(&schema, &db(&[]));
        assert_eq!(d.missing_in_db, ["table t"]);
        let d = compare(&schema, &db(&[("t", &["id", "a", "b"])]));
        assert!(d.is_empty(), "{d:?}");
    }
}
