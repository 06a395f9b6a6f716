//! Type narrowing: a column changed to a type existing values may not fit (`BIGINT` →
//! `INTEGER`, `TEXT` → `VARCHAR(50)`, `VARCHAR(255)` → `VARCHAR(100)`, `DECIMAL(10,2)` →
//! `DECIMAL(8,2)`, text → number). The previous type comes from the applied migrations; when
//! it is unknown, a change to a bounded type is reported as possibly narrowing.

use super::parse::{AlterAction, Stmt};
use super::types;
use super::{Analyzer, Cx, Finding};

const HINT: &str = "check the longest / largest existing value first (SELECT max(length(col)) …), or widen instead";

/// The finding for changing `table.column` from `old` (when known) to `new`, if any.
pub fn judge(
    cx: &Cx<'_>,
    table: &str,
    column: &str,
    old: Option<&str>,
    new: &str,
) -> Option<Finding> {
    let why = match old {
        Some(o) => types::narrowing(o, new)?,
        None => format!(
            "{} (the previous type is not in the migrations folder)",
            types::bounded(new)?
        ),
    };
    Some(cx.finding(
        Analyzer::Narrowing,
        "type-narrowing",
        format!("{table}.{column}: {why}"),
        HINT,
    ))
}

/// Add the findings for `s`.
pub fn check(s: &Stmt, cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let Stmt::AlterTable { name, actions } = s else {
        return;
    };
    if !cx.existing(name) {
        return;
    }
    let old = cx.schema.table(name);
    for a in actions {
        let (column, ty) = match a {
            AlterAction::ColumnType { column, ty } => (column.as_str(), ty.as_str()),
            AlterAction::Modify(c) => (c.name.as_str(), c.ty.as_str()),
            _ => continue,
        };
        let prev = old.and_then(|t| t.column(column)).map(|c| c.ty.as_str());
        out.extend(judge(cx, name, column, prev, ty));
    }
}
