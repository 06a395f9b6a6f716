//! Check 3: the schema is valid — the project's own `prisma validate` when its CLI is
//! installed, else a static check of what devtop can read itself.

use super::{Check, CheckId, Status};
use crate::model::local_migrations::provider_matches;
use crate::model::schema::Schema;

/// What the project's `prisma validate` said.
#[derive(Debug, Clone, PartialEq)]
pub enum Validated {
    /// Exit 0.
    Valid,
    /// A non-zero exit: the CLI's first error lines (redacted), with the exit in words.
    Invalid {
        /// "exit 1".
        exit: String,
        /// The first lines of its output, stderr first.
        lines: Vec<String>,
    },
    /// Stopped at its time limit (seconds run).
    TimedOut(f64),
    /// It could not be started (why).
    CannotRun(String),
}

/// Check 3 from the CLI's verdict; `cli` is the CLI's path as shown, `schema` the schema's.
/// Valid → pass; invalid → fail with its errors; timed out → fail ("a hanging Prisma CLI");
/// could not start → `None`, so the caller falls back to [`static_check`].
pub fn from_cli(v: &Validated, cli: &str, schema: &str) -> Option<Check> {
    Some(match v {
        Validated::Valid => Check::new(
            CheckId::Schema,
            Status::Pass,
            format!("{cli} validate: {schema} is valid"),
        ),
        Validated::Invalid { exit, lines } => Check::new(
            CheckId::Schema,
            Status::Fail,
            format!("{cli} validate failed ({exit})"),
        )
        .lines(lines.iter().map(|l| format!("  {l}")))
        .hint(format!(
            "fix {schema} as the errors say, then run `npx prisma validate` until it passes"
        )),
        Validated::TimedOut(s) => Check::new(
            CheckId::Schema,
            Status::Fail,
            format!(
                "{cli} validate did not answer within {s:.1} s (stopped with its process group)"
            ),
        )
        .hint(
            "run `npx prisma validate` yourself and see where it hangs (prisma.config.ts \
             loading, a network call); end stray Prisma processes (`devtop kill --suspects`)",
        ),
        Validated::CannotRun(_) => return None,
    })
}

/// Check 3 without the CLI: the schema file exists and parsed (`errors` are the project's
/// read/parse problems, each naming file:line), has a `datasource` with a `provider`, and
/// that provider matches migration_lock.toml's (`lock_provider`). `why_no_cli` says why the
/// CLI was not used (shown as the first line).
pub fn static_check(
    schema_path: &str,
    exists: bool,
    schema: Option<&Schema>,
    errors: &[String],
    lock_provider: Option<&str>,
    why_no_cli: &str,
) -> Check {
    let head = format!("static check ({why_no_cli})");
    let fail = |line: String, hint: String| {
        Check::new(CheckId::Schema, Status::Fail, head.clone())
            .lines([line])
            .hint(hint)
    };
    if !exists {
        return fail(
            format!("{schema_path}: no such file"),
            "create the schema (`npx prisma init`) or point devtop at it: [prisma] schema in \
             devtop.toml"
                .into(),
        );
    }
    let Some(schema) = schema else {
        let first = errors
            .first()
            .cloned()
            .unwrap_or_else(|| format!("{schema_path}: cannot be parsed"));
        return fail(
            first,
            format!("fix {schema_path}, then run `npx prisma validate`"),
        );
    };
    if let Some(e) = errors.first() {
        return fail(
            e.clone(),
            "fix it, then run `npx prisma validate`".to_owned(),
        );
    }
    let Some(ds) = &schema.datasource else {
        return fail(
            format!("{schema_path}: no datasource block"),
            "add `datasource db { provider = \"postgresql\" }` (and its url) to the schema".into(),
        );
    };
    if ds.provider.trim().is_empty() {
        return fail(
            format!("{schema_path}: datasource {} has no provider", ds.name),
            format!(
                "add `provider = \"postgresql\"` (or mysql, sqlite) to datasource {}",
                ds.name
            ),
        );
    }
    let mut c = Check::new(CheckId::Schema, Status::Pass, head.clone()).lines([format!(
        "{schema_path}: datasource {} provider {}, {} models",
        ds.name,
        ds.provider,
        schema.models.len()
    )]);
    match lock_provider {
        Some(lock) if !provider_matches(lock, &ds.provider) => {
            return fail(
                format!(
                    "migration_lock.toml says provider {lock}, the schema's datasource says {}",
                    ds.provider
                ),
                "the migrations were made for another database: switch the datasource back, or \
                 start a new migration history for this provider (Prisma refuses to mix them, \
                 P3019)"
                    .into(),
            );
        }
        Some(lock) => c
            .detail
            .push(format!("migration_lock.toml provider {lock} matches")),
        None => c
            .detail
            .push("no migration_lock.toml yet (no migration made)".to_owned()),
    }
    c
}
