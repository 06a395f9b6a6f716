//! Destructive changes: DROP TABLE, DROP COLUMN, TRUNCATE, DELETE without WHERE, DROP SCHEMA /
//! DATABASE, and dropping a unique index (duplicates can then be written). SQLite's
//! RedefineTables drop is judged by [`super::redefine`] instead.

use super::parse::{AlterAction, Stmt};
use super::schema::key;
use super::{Analyzer, Cx, Finding};

const RESTORE: &str = "make sure nothing still needs this data (back it up, or move it in an earlier migration); run it on staging first";

/// Add the findings for `s`.
pub fn check(s: &Stmt, cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let f = |code, msg: String| cx.finding(Analyzer::Destructive, code, msg, RESTORE);
    match s {
        Stmt::DropTable(names) => {
            for n in names.iter().filter(|n| cx.existing(n)) {
                out.push(f(
                    "drop-table",
                    format!("DROP TABLE {n}: every row of the table is lost"),
                ));
            }
        }
        Stmt::AlterTable { name, actions } if cx.existing(name) => {
            for a in actions {
                if let AlterAction::DropColumn(c) = a {
                    out.push(f(
                        "drop-column",
                        format!("DROP COLUMN {name}.{c}: the column's data is lost"),
                    ));
                }
            }
        }
        Stmt::Truncate(names) => {
            for n in names {
                out.push(f("truncate", format!("TRUNCATE {n}: every row is deleted")));
            }
        }
        Stmt::Delete {
            table,
            filtered: false,
        } => out.push(f(
            "delete-all",
            format!("DELETE FROM {table} without WHERE: every row is deleted"),
        )),
        Stmt::DropSchema(n) => out.push(f(
            "drop-schema",
            format!("DROP SCHEMA/DATABASE {n}: every table in it is lost"),
        )),
        Stmt::DropIndex { name } => {
            let known = cx.schema.indexes.get(&key(name));
            // Prisma names unique indexes `<Table>_<cols>_key`.
            let unique = known.map_or(name.ends_with("_key"), |(_, u)| *u);
            let table_existing = known.is_none_or(|(t, _)| cx.existing(t));
            if unique && table_existing {
                out.push(cx.finding(
                    Analyzer::Destructive,
                    "drop-unique-index",
                    format!(
                        "DROP INDEX {name}: a unique index; duplicates can be written from now on"
                    ),
                    "keep the unique constraint unless the schema dropped @unique on purpose",
                ));
            }
        }
        _ => {}
    }
}
