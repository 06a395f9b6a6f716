//! Primary-key changes: dropping or replacing a table's primary key (PostgreSQL `DROP
//! CONSTRAINT "<table>_pkey"` / `ADD CONSTRAINT … PRIMARY KEY`, MySQL `DROP PRIMARY KEY` / `ADD
//! PRIMARY KEY`). Every foreign key pointing at the table and every cached id is affected, and
//! adding one fails on duplicate or NULL values.

use super::parse::{AlterAction, Stmt};
use super::{Analyzer, Cx, Finding};

/// The hint of every primary-key finding.
pub const HINT: &str = "change primary keys in a migration of their own, after checking the new key is unique and not null; update the foreign keys that point at it";

/// Add the findings for `s` (one per table).
pub fn check(s: &Stmt, cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let Stmt::AlterTable { name, actions } = s else {
        return;
    };
    if !cx.existing(name) {
        return;
    }
    let old = cx
        .schema
        .table(name)
        .map(|t| t.primary_key.join(", "))
        .filter(|k| !k.is_empty());
    let new = actions.iter().find_map(|a| match a {
        AlterAction::AddPrimaryKey(c) => Some(c.join(", ")),
        _ => None,
    });
    let dropped = actions.iter().any(|a| match a {
        AlterAction::DropPrimaryKey => true,
        AlterAction::DropConstraint(n) => n.to_lowercase().ends_with("_pkey"),
        _ => false,
    });
    if new.is_none() && !dropped {
        return;
    }
    let was = old.map(|o| format!(" (was {o})")).unwrap_or_default();
    let msg = match new {
        Some(n) => format!("primary key of {name} changes to ({n}){was}"),
        None => format!("primary key of {name} dropped{was}"),
    };
    out.push(cx.finding(Analyzer::PrimaryKey, "primary-key", msg, HINT));
}
