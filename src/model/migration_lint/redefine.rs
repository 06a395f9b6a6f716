//! SQLite's RedefineTables, as Prisma writes it when SQLite cannot ALTER a column:
//!
//! ```sql
//! CREATE TABLE "new_User" (…);
//! INSERT INTO "new_User" ("email", "id") SELECT "email", "id" FROM "User";
//! DROP TABLE "User";
//! ALTER TABLE "new_User" RENAME TO "User";
//! ```
//!
//! The DROP does not lose the table's rows (they were copied); what can be lost or fail is in
//! the copy: columns of the old table that the new one lacks (dropped), a NOT NULL column
//! without a default that the INSERT does not fill (fails when the table has rows, as ADD
//! COLUMN … NOT NULL would), a narrower type, a changed primary key, or no copy at all.

use super::parse::{ColumnDef, Stmt};
use super::schema::{Schema, Table, key};
use super::{Analyzer, Cx, Finding, narrowing, primary_key};

/// One redefinition of `table` through `temp`, by statement index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The table redefined.
    pub table: String,
    /// The temporary table (`new_<table>`).
    pub temp: String,
    /// Index of `CREATE TABLE temp`.
    pub create: usize,
    /// Index of `INSERT INTO temp … SELECT … FROM table`, when present.
    pub insert: Option<usize>,
    /// Index of `DROP TABLE table`.
    pub drop: usize,
    /// Index of `ALTER TABLE temp RENAME TO table`.
    pub rename: usize,
}

impl Group {
    /// True when statement `i` belongs to this group.
    pub fn covers(&self, i: usize) -> bool {
        i == self.create || Some(i) == self.insert || i == self.drop || i == self.rename
    }
}

/// The redefinitions in one migration's statements: a table created, then the original
/// dropped, then the created one renamed to the original's name.
pub fn find(stmts: &[Stmt]) -> Vec<Group> {
    let mut out = Vec::new();
    for (rename, s) in stmts.iter().enumerate() {
        let Stmt::AlterTable {
            name: temp,
            actions,
        } = s
        else {
            continue;
        };
        let [super::parse::AlterAction::RenameTo(table)] = actions.as_slice() else {
            continue;
        };
        let create = stmts[..rename]
            .iter()
            .rposition(|x| matches!(x, Stmt::CreateTable { name, .. } if key(name) == key(temp)));
        let drop = stmts[..rename].iter().rposition(
            |x| matches!(x, Stmt::DropTable(n) if n.len() == 1 && key(&n[0]) == key(table)),
        );
        let (Some(create), Some(drop)) = (create, drop) else {
            continue;
        };
        if drop < create {
            continue;
        }
        let insert = stmts[create..drop].iter().position(|x| {
            matches!(x, Stmt::InsertSelect { into, from: Some(f), .. }
                if key(into) == key(temp) && key(f) == key(table))
        });
        out.push(Group {
            table: table.clone(),
            temp: temp.clone(),
            create,
            insert: insert.map(|i| i + create),
            drop,
            rename,
        });
    }
    out
}

fn new_table(g: &Group, stmts: &[Stmt]) -> (Vec<ColumnDef>, Vec<String>) {
    match &stmts[g.create] {
        Stmt::CreateTable {
            columns,
            primary_key,
            ..
        } => (columns.clone(), primary_key.clone()),
        _ => (Vec::new(), Vec::new()),
    }
}

/// The schema after the group: `table` with the new definition (its indexes kept, since
/// Prisma re-creates them right after under the same names).
pub fn apply(g: &Group, stmts: &[Stmt], schema: &mut Schema) {
    let (columns, primary_key) = new_table(g, stmts);
    schema.tables.remove(&key(&g.temp));
    schema.tables.insert(
        key(&g.table),
        Table {
            columns,
            primary_key,
        },
    );
}

/// The findings of one redefinition (`cx` at its DROP).
pub fn check(g: &Group, stmts: &[Stmt], cx: &Cx<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let t = &g.table;
    if !cx.existing(t) {
        return out;
    }
    let (columns, pk) = new_table(g, stmts);
    let copied: Vec<String> = match g.insert.map(|i| &stmts[i]) {
        Some(Stmt::InsertSelect { columns, .. }) => columns.iter().map(|c| key(c)).collect(),
        _ => {
            out.push(cx.finding(
                Analyzer::Destructive,
                "drop-table",
                format!("{t} is recreated without copying its rows (no INSERT … SELECT FROM {t}): every row is lost"),
                "copy the rows into the new table before dropping the old one",
            ));
            return out;
        }
    };
    let old = cx.schema.table(t);
    if let Some(old) = old {
        for c in &old.columns {
            if !columns.iter().any(|n| key(&n.name) == key(&c.name)) {
                out.push(cx.finding(
                    Analyzer::Destructive,
                    "drop-column",
                    format!("{t}.{} is dropped (the redefined table lacks it): the column's data is lost", c.name),
                    "make sure nothing still needs this data; run it on staging first",
                ));
            }
        }
    }
    for c in &columns {
        let filled = copied.contains(&key(&c.name));
        let rowid = c.primary_key && c.ty == "INTEGER";
        if !filled && c.not_null && !c.has_default && !rowid {
            out.push(cx.finding(
                Analyzer::DataDependent,
                "redefine-not-null",
                format!(
                    "{t}.{} {} NOT NULL without a DEFAULT is not copied from the old table: the copy fails with \"NOT NULL constraint failed\" when {t} has rows",
                    c.name, c.ty
                ),
                "add it nullable (or with a DEFAULT), backfill it, then make it required in a later migration",
            ));
        }
        if filled {
            let prev = old.and_then(|o| o.column(&c.name)).map(|o| o.ty.as_str());
            if let Some(p) = prev {
                out.extend(narrowing::judge(cx, t, &c.name, Some(p), &c.ty));
            }
        }
    }
    if let Some(old) = old {
        let (was, now) = (old.primary_key.join(", "), pk.join(", "));
        if !was.is_empty() && key(&was) != key(&now) {
            out.push(cx.finding(
                Analyzer::PrimaryKey,
                "primary-key",
                format!("primary key of {t} changes to ({now}) (was {was})"),
                primary_key::HINT,
            ));
        }
    }
    out
}
