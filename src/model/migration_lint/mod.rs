//! Migration lint: Atlas-style analyzers over the SQL text of pending Prisma migrations
//! (`migration.sql`, as Prisma writes it for PostgreSQL, MySQL/MariaDB and SQLite, or as
//! hand-edited), each finding with its migration, file and line. Pure: the caller reads the
//! files (preflight check 13, `devtop migrate`).
//!
//! Analyzers, one per file: [`destructive`] (DROP TABLE, DROP COLUMN, TRUNCATE, DELETE without
//! WHERE, DROP SCHEMA, dropping a unique index), [`data_dependent`] (a NOT NULL column without
//! a default added to an existing table — seed 003's "column contains null values" — SET NOT
//! NULL, a new unique index or constraint on an existing table), [`narrowing`] (a column type
//! that existing values may not fit), [`primary_key`] (primary-key changes), [`many_tables`]
//! (more existing tables changed in one migration than `max_tables`: "one table at a time"),
//! and [`redefine`], which recognises SQLite's RedefineTables pattern (CREATE `new_X`; INSERT
//! … SELECT; DROP X; RENAME `new_X` TO X) as a change of X rather than a dropped table, and
//! judges what the copy keeps.
//!
//! Every finding is a warning; callers fail on them with `--strict`. A table is *existing*
//! unless a pending migration created it earlier in the run; the migrations already applied
//! (`history`) give the previous column types, primary keys and indexes.

pub mod data_dependent;
pub mod destructive;
pub mod lexer;
pub mod many_tables;
pub mod narrowing;
pub mod parse;
pub mod primary_key;
pub mod redefine;
pub mod schema;
pub mod types;
mod walk;

#[cfg(test)]
mod tests;

use parse::Stmt;
use schema::{Schema, key};
use std::collections::HashSet;

/// One migration's script.
#[derive(Debug, Clone, Copy)]
pub struct MigrationSql<'a> {
    /// Prisma's migration name (its folder), e.g. `20260210120000_add_uuid`.
    pub name: &'a str,
    /// The file as shown to the user, e.g. `prisma/migrations/20260210120000_add_uuid/migration.sql`.
    pub file: &'a str,
    /// The script's text.
    pub sql: &'a str,
}

/// Lint settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintOptions {
    /// Most existing tables one migration may change before [`many_tables`] warns
    /// (`[migrate] max_tables`, default 3).
    pub max_tables: usize,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions { max_tables: 3 }
    }
}

/// The kind of risk a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Analyzer {
    /// Data is deleted.
    Destructive,
    /// Succeeds or fails depending on the rows already there.
    DataDependent,
    /// A column type existing values may not fit.
    Narrowing,
    /// The primary key changes.
    PrimaryKey,
    /// Too many existing tables in one migration.
    ManyTables,
}

impl Analyzer {
    /// Its name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Analyzer::Destructive => "destructive",
            Analyzer::DataDependent => "data-dependent",
            Analyzer::Narrowing => "narrowing",
            Analyzer::PrimaryKey => "primary-key",
            Analyzer::ManyTables => "many-tables",
        }
    }
}

/// One finding (a warning).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The migration's name.
    pub migration: String,
    /// Its file, as given in [`MigrationSql::file`].
    pub file: String,
    /// 1-based line where the statement starts.
    pub line: u32,
    /// The analyzer.
    pub analyzer: Analyzer,
    /// A short stable code: `drop-table`, `drop-column`, `truncate`, `delete-all`,
    /// `drop-schema`, `drop-unique-index`, `not-null-column`, `set-not-null`, `unique-index`,
    /// `redefine-not-null`, `type-narrowing`, `primary-key`, `many-tables`.
    pub code: &'static str,
    /// What the statement does and why it is a risk, naming table and column.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file,
            self.line,
            self.analyzer.as_str(),
            self.message
        )
    }
}

/// What an analyzer knows about the statement it judges.
pub struct Cx<'a> {
    /// The schema before the statement.
    pub schema: &'a Schema,
    /// Lower-cased tables created by the pending migrations so far.
    pub new_tables: &'a HashSet<String>,
    /// The migration.
    pub migration: &'a MigrationSql<'a>,
    /// The statement's line.
    pub line: u32,
}

impl Cx<'_> {
    /// True when `table` existed before the pending migrations (was not created by them).
    pub fn existing(&self, table: &str) -> bool {
        !self.new_tables.contains(&key(table))
    }

    /// A finding at this statement.
    pub fn finding(
        &self,
        analyzer: Analyzer,
        code: &'static str,
        message: String,
        hint: &str,
    ) -> Finding {
        Finding {
            migration: self.migration.name.to_owned(),
            file: self.migration.file.to_owned(),
            line: self.line,
            analyzer,
            code,
            message,
            hint: hint.to_owned(),
        }
    }
}

/// Lint `pending` (in the order they will be applied) after `history` (the migrations
/// already applied, in order; may be empty). Findings come in file order.
pub fn lint(
    history: &[MigrationSql<'_>],
    pending: &[MigrationSql<'_>],
    opts: &LintOptions,
) -> Vec<Finding> {
    let mut schema = Schema::default();
    for m in history {
        let stmts: Vec<Stmt> = lexer::statements(m.sql)
            .iter()
            .map(|s| parse::parse(&s.tokens))
            .collect();
        let groups = redefine::find(&stmts);
        for (i, s) in stmts.iter().enumerate() {
            if let Some(g) = groups.iter().find(|g| g.drop == i) {
                redefine::apply(g, &stmts, &mut schema);
            } else if !groups.iter().any(|g| g.covers(i)) {
                schema.apply(s);
            }
        }
    }
    let mut new_tables = HashSet::new();
    let mut out = Vec::new();
    for m in pending {
        let lexed = lexer::statements(m.sql);
        let stmts: Vec<Stmt> = lexed.iter().map(|s| parse::parse(&s.tokens)).collect();
        let groups = redefine::find(&stmts);
        let mut touched = many_tables::Touched::default();
        for (i, s) in stmts.iter().enumerate() {
            let cx = Cx {
                schema: &schema,
                new_tables: &new_tables,
                migration: m,
                line: lexed[i].line,
            };
            if let Some(g) = groups.iter().find(|g| g.drop == i) {
                out.extend(redefine::check(g, &stmts, &cx));
                touched.add(&cx, &g.table);
                redefine::apply(g, &stmts, &mut schema);
                continue;
            }
            if groups.iter().any(|g| g.covers(i)) {
                continue;
            }
            destructive::check(s, &cx, &mut out);
            data_dependent::check(s, &cx, &mut out);
            narrowing::check(s, &cx, &mut out);
            primary_key::check(s, &cx, &mut out);
            touched.stmt(s, &cx);
            if let Stmt::CreateTable { name, .. } = s {
                new_tables.insert(key(name));
            }
            schema.apply(s);
        }
        if let Some(line) = lexed.first().map(|s| s.line) {
            out.extend(touched.check(m, line, opts.max_tables));
        }
    }
    out
}
