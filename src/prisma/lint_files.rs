//! The migration lint over a migrations folder: reads the `migration.sql` of every local
//! migration (bounded, regular files only) and runs [`crate::model::migration_lint::lint`] on
//! the pending ones, with the others (those already applied) as history. Used by preflight
//! check 13 and by `devtop migrate`.

use crate::bounded_read;
use crate::model::migration_lint::{Finding, LintOptions, MigrationSql, lint};
use std::path::Path;

/// The largest migration.sql the lint reads (bytes); a larger one is reported, not linted.
pub const LINT_SQL_MAX: u64 = 16 << 20;

/// What [`lint_folder`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintReport {
    /// Findings (all warnings), in the order the pending migrations apply.
    pub findings: Vec<Finding>,
    /// The pending migrations linted, in order.
    pub linted: Vec<String>,
    /// Scripts that could not be read, each naming the file ("… migration.sql: not found").
    pub problems: Vec<String>,
}

/// Lint the pending migrations `pending` (names of folders under `dir`, any order; applied in
/// name order as Prisma does) after the folder's other migrations. Files are shown relative
/// to `root` (the project root) when under it.
pub fn lint_folder(dir: &Path, root: &Path, pending: &[String], opts: &LintOptions) -> LintReport {
    let mut report = LintReport::default();
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(e) => {
            report.problems.push(format!(
                "{}: unreadable: {}",
                dir.display(),
                bounded_read::io_reason(&e)
            ));
            return report;
        }
    };
    names.sort();
    let mut scripts: Vec<(String, String, String, bool)> = Vec::new();
    for name in names {
        let path = dir.join(&name).join("migration.sql");
        let shown = path.strip_prefix(root).unwrap_or(&path).to_owned();
        let is_pending = pending.contains(&name);
        match bounded_read::read_text(&path, LINT_SQL_MAX) {
            Ok(sql) => scripts.push((name, shown.display().to_string(), sql, is_pending)),
            Err(e) if is_pending => report.problems.push(e.with_path(&shown).to_string()),
            Err(_) => {} // an applied script that cannot be read only costs history
        }
    }
    let to_sql = |p: bool| -> Vec<MigrationSql<'_>> {
        scripts
            .iter()
            .filter(|s| s.3 == p)
            .map(|(name, file, sql, _)| MigrationSql { name, file, sql })
            .collect()
    };
    let (history, todo) = (to_sql(false), to_sql(true));
    report.linted = todo.iter().map(|m| m.name.to_owned()).collect();
    report.findings = lint(&history, &todo, opts);
    report
}
