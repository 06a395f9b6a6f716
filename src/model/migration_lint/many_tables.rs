//! "One table at a time" (seed 003): a migration that changes more existing tables than
//! `max_tables` is one large, hard-to-recover step. Counted: tables altered, dropped,
//! truncated, redefined, indexed or deleted from that existed before the pending migrations;
//! new tables do not count.

use super::parse::Stmt;
use super::schema::key;
use super::{Analyzer, Cx, Finding, MigrationSql};

/// The existing tables one migration changes, in first-seen order.
#[derive(Debug, Default)]
pub struct Touched {
    names: Vec<String>,
}

impl Touched {
    /// Count `table` when it existed before.
    pub fn add(&mut self, cx: &Cx<'_>, table: &str) {
        if cx.existing(table) && !self.names.iter().any(|n| key(n) == key(table)) {
            self.names.push(table.to_owned());
        }
    }

    /// Count the tables `s` changes.
    pub fn stmt(&mut self, s: &Stmt, cx: &Cx<'_>) {
        match s {
            Stmt::AlterTable { name, .. } => self.add(cx, name),
            Stmt::DropTable(n) | Stmt::Truncate(n) => n.iter().for_each(|n| self.add(cx, n)),
            Stmt::CreateIndex { table, .. } | Stmt::Delete { table, .. } => self.add(cx, table),
            _ => {}
        }
    }

    /// The finding when more than `max` tables were changed, at `line` of `m`.
    pub fn check(&self, m: &MigrationSql<'_>, line: u32, max: usize) -> Option<Finding> {
        (self.names.len() > max).then(|| Finding {
            migration: m.name.to_owned(),
            file: m.file.to_owned(),
            line,
            analyzer: Analyzer::ManyTables,
            code: "many-tables",
            message: format!(
                "changes {} existing tables in one migration (more than {max}): {}",
                self.names.len(),
                self.names.join(", ")
            ),
            hint: "one table at a time: split it into migrations that each change one table, applied and checked in turn".to_owned(),
        })
    }
}
