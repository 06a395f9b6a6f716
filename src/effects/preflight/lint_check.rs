//! Check 13: the migration lint ([`crate::prisma::lint_files::lint_folder`], Atlas-style
//! analyzers over the SQL) of the target's pending migrations, with the folder's applied
//! migrations as history and `[migrate] max_tables` as its option.

use crate::model::migration_lint::LintOptions;
use crate::model::preflight::{Check, CheckId, Status, count_noun};
use std::path::PathBuf;

/// What check 13 lints.
#[derive(Debug, Clone)]
pub struct LintInput {
    /// The migrations folder (`prisma/migrations`).
    pub dir: PathBuf,
    /// The project root; files are shown relative to it.
    pub root: PathBuf,
    /// The pending migrations of the target (names, any order), or why they are unknown
    /// (the database did not answer, `_prisma_migrations` unreadable).
    pub pending: Result<Vec<String>, String>,
    /// `[migrate] max_tables`.
    pub opts: LintOptions,
    /// `--strict`: a finding fails the check instead of warning.
    pub strict: bool,
}

/// Check 13 from `input` (reads the migration.sql files; call off the async runtime).
/// Skipped when the pending migrations are unknown or none is pending; warn (fail with
/// `strict`) with one evidence line per finding, `file:line: analyzer: message`, and the
/// findings' advice as the hint; fail when a pending script cannot be read; else pass.
pub fn check13(input: &LintInput) -> Check {
    let pending = match &input.pending {
        Ok(p) => p,
        Err(why) => {
            return Check::skipped(CheckId::Lint, format!("not linted: {why}"));
        }
    };
    if pending.is_empty() {
        return Check::skipped(CheckId::Lint, "nothing pending, nothing to lint");
    }
    let report =
        crate::prisma::lint_files::lint_folder(&input.dir, &input.root, pending, &input.opts);
    if !report.problems.is_empty() {
        return Check::new(
            CheckId::Lint,
            Status::Fail,
            format!(
                "cannot lint {} of the pending migrations:",
                report.problems.len()
            ),
        )
        .lines(
            report
                .problems
                .iter()
                .map(|p| format!("  {}", crate::sanitize::clean(p))),
        )
        .hint("restore each pending migration's migration.sql (or remove the empty folder), then run the preflight again");
    }
    let linted = report.linted.len();
    if report.findings.is_empty() {
        return Check::new(
            CheckId::Lint,
            Status::Pass,
            format!(
                "{} linted, no risky statement",
                count_noun(linted, "pending migration")
            ),
        );
    }
    let status = if input.strict {
        Status::Fail
    } else {
        Status::Warn
    };
    let mut hints: Vec<String> = Vec::new();
    for f in &report.findings {
        let h = format!("{}:{}: {}", f.file, f.line, f.hint);
        if !hints.contains(&h) {
            hints.push(h);
        }
    }
    Check::new(
        CheckId::Lint,
        status,
        format!(
            "{} in {}:",
            count_noun(report.findings.len(), "risky statement"),
            count_noun(linted, "pending migration")
        ),
    )
    .lines(
        report
            .findings
            .iter()
            .map(|f| format!("  {}", crate::sanitize::clean(&f.to_string()))),
    )
    .hint(format!(
        "edit the migration before it applies: {}",
        crate::sanitize::clean(&hints.join("; "))
    ))
}
