//! The tables, columns and indexes that the migrations before a statement have made, so that
//! analyzers can tell an existing table from a new one and know a column's previous type.
//! Names are compared case-insensitively.

use super::parse::{AlterAction, ColumnDef, Stmt};
use std::collections::HashMap;

/// One table as the migrations made it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Columns in order.
    pub columns: Vec<ColumnDef>,
    /// Primary-key columns.
    pub primary_key: Vec<String>,
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnDef> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }
}

/// Tables and indexes so far.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Lower-cased table name → table.
    pub tables: HashMap<String, Table>,
    /// Lower-cased index name → (lower-cased table, unique).
    pub indexes: HashMap<String, (String, bool)>,
}

/// Lower-case key of a name.
pub fn key(name: &str) -> String {
    name.to_lowercase()
}

impl Schema {
    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(&key(name))
    }

    /// Apply one statement.
    pub fn apply(&mut self, s: &Stmt) {
        match s {
            Stmt::CreateTable {
                name,
                columns,
                primary_key,
            } => {
                self.tables.insert(
                    key(name),
                    Table {
                        columns: columns.clone(),
                        primary_key: primary_key.clone(),
                    },
                );
            }
            Stmt::DropTable(names) => {
                for n in names {
                    self.tables.remove(&key(n));
                    self.indexes.retain(|_, (t, _)| *t != key(n));
                }
            }
            Stmt::CreateIndex {
                name,
                table,
                unique,
            } => {
                self.indexes.insert(key(name), (key(table), *unique));
            }
            Stmt::DropIndex { name } => {
                self.indexes.remove(&key(name));
            }
            Stmt::AlterTable { name, actions } => {
                for a in actions {
                    self.alter(name, a);
                }
            }
            _ => {}
        }
    }

    fn alter(&mut self, name: &str, a: &AlterAction) {
        if let AlterAction::RenameTo(to) = a {
            if let Some(t) = self.tables.remove(&key(name)) {
                self.tables.insert(key(to), t);
            }
            for (_, (t, _)) in self.indexes.iter_mut() {
                if *t == key(name) {
                    *t = key(to);
                }
            }
            return;
        }
        let t = self.tables.entry(key(name)).or_default();
        match a {
            AlterAction::AddColumn(c) => t.columns.push(c.clone()),
            AlterAction::DropColumn(c) => t.columns.retain(|x| !x.name.eq_ignore_ascii_case(c)),
            AlterAction::ColumnType { column, ty } => {
                if let Some(x) = t
                    .columns
                    .iter_mut()
                    .find(|x| x.name.eq_ignore_ascii_case(column))
                {
                    x.ty = ty.clone();
                }
            }
            AlterAction::SetNotNull(column) => {
                if let Some(x) = t
                    .columns
                    .iter_mut()
                    .find(|x| x.name.eq_ignore_ascii_case(column))
                {
                    x.not_null = true;
                }
            }
            AlterAction::Modify(c) => {
                match t
                    .columns
                    .iter_mut()
                    .find(|x| x.name.eq_ignore_ascii_case(&c.name))
                {
                    Some(x) => *x = c.clone(),
                    None => t.columns.push(c.clone()),
                }
            }
            AlterAction::AddPrimaryKey(cols) => t.primary_key = cols.clone(),
            AlterAction::DropPrimaryKey => t.primary_key.clear(),
            AlterAction::DropConstraint(n) if n.to_lowercase().ends_with("_pkey") => {
                t.primary_key.clear()
            }
            _ => {}
        }
    }
}
