//! Data-dependent changes: they succeed on an empty table and fail on the rows a real database
//! holds. `ADD COLUMN … NOT NULL` without a default on an existing table (seed 003: "column
//! contains null values"; Prisma's own warning "Added the required column … without a default
//! value. This is not possible if the table is not empty"), `SET NOT NULL` / MySQL `MODIFY … NOT
//! NULL` on a column that allowed NULL, and a new unique index or constraint on an existing
//! table (fails on duplicates).

use super::parse::{AlterAction, Stmt};
use super::schema::key;
use super::{Analyzer, Cx, Finding};

/// Add the findings for `s`.
pub fn check(s: &Stmt, cx: &Cx<'_>, out: &mut Vec<Finding>) {
    match s {
        Stmt::AlterTable { name, actions } if cx.existing(name) => {
            for a in actions {
                alter(name, a, cx, out);
            }
        }
        Stmt::CreateIndex {
            name,
            table,
            unique: true,
        } if cx.existing(table) && !cx.schema.indexes.contains_key(&key(name)) => {
            out.push(unique(cx, table, name))
        }
        _ => {}
    }
}

fn unique(cx: &Cx<'_>, table: &str, what: &str) -> Finding {
    cx.finding(
        Analyzer::DataDependent,
        "unique-index",
        format!("new unique index {what} on existing table {table}: fails if the rows hold duplicates"),
        "check for duplicates first (SELECT col, count(*) … GROUP BY col HAVING count(*) > 1) and clean them in an earlier migration",
    )
}

fn alter(table: &str, a: &AlterAction, cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let old = cx.schema.table(table);
    match a {
        AlterAction::AddColumn(c) if c.not_null && !c.has_default => out.push(cx.finding(
            Analyzer::DataDependent,
            "not-null-column",
            format!(
                "ADD COLUMN {table}.{} {} NOT NULL without a DEFAULT: fails with \"column contains null values\" when {table} has rows",
                c.name, c.ty
            ),
            "add it nullable (or with a DEFAULT), backfill it, then make it required in a later migration",
        )),
        AlterAction::SetNotNull(c) => out.push(cx.finding(
            Analyzer::DataDependent,
            "set-not-null",
            format!("SET NOT NULL on {table}.{c}: fails if any row holds NULL"),
            "backfill the NULLs first (UPDATE … WHERE col IS NULL) in an earlier migration",
        )),
        AlterAction::Modify(c)
            if c.not_null
                && !c.has_default
                && old
                    .and_then(|t| t.column(&c.name))
                    .is_none_or(|o| !o.not_null) =>
        {
            out.push(cx.finding(
                Analyzer::DataDependent,
                "set-not-null",
                format!("MODIFY {table}.{} … NOT NULL: fails if any row holds NULL", c.name),
                "backfill the NULLs first (UPDATE … WHERE col IS NULL) in an earlier migration",
            ))
        }
        AlterAction::AddUnique(cols) => out.push(unique(cx, table, &format!("({})", cols.join(", ")))),
        _ => {}
    }
}
