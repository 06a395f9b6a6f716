//! Headless database views: the `databases` and `migrations` members of `status --json`, and
//! `devtop migrations [--env NAME] [--json]` (the matrix; exit 1 when an environment has
//! pending, failed, rolled-back, edited or unreadable migrations or cannot be read, like
//! `prisma migrate status`, or when a project file could not be read; exit 2 for a
//! configuration error: an invalid or unsupported URL, an unreadable `.env`, a configured
//! migrations folder that does not exist or cannot be read).

use crate::collect::databases;
use crate::effects::prisma_diff::{self, DiffTarget};
use crate::headless::db_json::migrations_doc;
use crate::headless::out;
use crate::model::cli_diff::CliDiffs;
use crate::model::database::{AppliedState, DbSnapshot, DbStatus};
use crate::model::db_view::{EnvView, MatrixRow, derive_all, matrix};
use crate::model::local_migrations::MigrationsDir;
use crate::prisma::migrations_dir::read;
use crate::sanitize::{clean, path};
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Setup};

/// Everything the headless database views need, collected once.
pub struct DbReport {
    /// One probe per environment.
    pub dbs: DbSnapshot,
    /// The local migrations folder.
    pub local: MigrationsDir,
    /// Derived views, same order as `dbs.envs`.
    pub views: Vec<EnvView>,
    /// Problems that make the check fail, each naming the file: Prisma files that could not
    /// be read or parsed, a migrations folder that cannot be read, or one that does not exist
    /// while a database has migrations applied.
    pub problems: Vec<String>,
}

/// Probe every environment once (in parallel, 5 s timeout each), run the CLI diff meanwhile
/// (at most [`prisma_diff::HEADLESS_BUDGET`]) and read the folder.
pub async fn collect(setup: &Setup) -> Result<DbReport, String> {
    // The CLI diff runs beside the probes, bounded by its share of the command's time.
    let drift = async {
        match DiffTarget::for_project(&setup.root, &setup.prisma) {
            Some(target) => {
                let budget = Some(prisma_diff::HEADLESS_BUDGET);
                prisma_diff::round(&setup.cli_gate, &target, &setup.envs, budget).await
            }
            None => CliDiffs::new(),
        }
    };
    let (dbs, cli) = tokio::join!(databases::once(&setup.envs), drift);
    let local = read(&setup.prisma.migrations_dir);
    let views = derive_all(&local, setup.prisma.schema.as_ref(), &dbs, &cli);
    let problems = problems(setup, &local, &dbs);
    Ok(DbReport {
        dbs,
        local,
        views,
        problems,
    })
}

/// See [`DbReport::problems`].
fn problems(setup: &Setup, local: &MigrationsDir, dbs: &DbSnapshot) -> Vec<String> {
    let mut out = setup.prisma.errors.clone();
    if let Some(why) = &local.unreadable {
        out.push(format!("migrations folder {}: {why}", local.path.display()));
    } else if !local.exists {
        let applied = dbs
            .envs
            .iter()
            .any(|e| matches!(&e.applied, AppliedState::Rows(r) if !r.is_empty()));
        if applied {
            out.push(format!(
                "migrations folder {} does not exist, but migrations are applied in the \
                 database",
                local.path.display()
            ));
        }
    }
    out
}

/// Configuration errors that stop `migrations` before anything is probed (exit 2): an
/// environment whose URL is invalid or whose `.env` cannot be read, a configured migrations
/// folder that does not exist or cannot be listed.
fn config_errors(setup: &Setup) -> Vec<String> {
    let mut out: Vec<String> = setup
        .envs
        .iter()
        .filter(|e| e.config_error)
        .filter_map(|e| e.url.as_ref().err().map(|why| format!("{}: {why}", e.name)))
        .collect();
    if let Some(source) = &setup.prisma.migrations_configured {
        let dir = &setup.prisma.migrations_dir;
        let shown = dir.strip_prefix(&setup.root).unwrap_or(dir).display();
        match std::fs::read_dir(dir) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(format!("{shown} ({source}): no such folder"));
            }
            Err(e) => out.push(format!(
                "{shown} ({source}): cannot be read: {}",
                crate::bounded_read::io_reason(&e)
            )),
        }
    }
    out
}

/// The matrix as text: a header of environments, a row per migration, then summaries and
/// `problem:` lines (the folder's, then `extra`). Every name, message and path from outside is
/// [`clean`]ed: one row per line, no control bytes.
pub fn matrix_text(
    local: &MigrationsDir,
    views: &[EnvView],
    rows: &[MatrixRow],
    extra: &[String],
) -> String {
    let names: Vec<_> = rows.iter().map(|r| clean(&r.name)).collect();
    let name_w = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let mut out = format!(
        "migrations in {}\n{:<name_w$}",
        path(&local.path),
        "MIGRATION"
    );
    for v in views {
        out.push_str(&format!("  {:<16}", clean(&v.name)));
    }
    out.push('\n');
    for (r, name) in rows.iter().zip(&names) {
        out.push_str(&format!("{name:<name_w$}"));
        for c in &r.cells {
            let cell = c.map_or("?".to_owned(), |s| format!("{} {}", s.glyph(), s.label()));
            out.push_str(&format!("  {cell:<16}"));
        }
        if let Some(e) = &r.local_error {
            out.push_str(&format!("  (local: {})", clean(e)));
        }
        out.push('\n');
    }
    for v in views {
        out.push_str(&format!("{}\n", clean(&v.summary)));
        for extra in [&v.lock_line, &v.provider_mismatch].into_iter().flatten() {
            out.push_str(&format!("  {}\n", clean(extra)));
        }
        for l in v.drift_lines() {
            out.push_str(&format!("  drift: {}\n", clean(&l)));
        }
    }
    for p in local.problems.iter().chain(extra) {
        out.push_str(&format!("problem: {}\n", clean(p)));
    }
    out
}

/// `devtop migrations [--env NAME] [--json]`. Returns the exit code.
pub async fn run(setup: &Setup, env: Option<&str>, as_json: bool) -> i32 {
    if let Some(name) = env
        && !setup.envs.iter().any(|e| e.name == name)
    {
        let have: Vec<&str> = setup.envs.iter().map(|e| e.name.as_str()).collect();
        out::error(&format!(
            "no environment named \"{name}\" (have: {})",
            have.join(", ")
        ));
        return EXIT_USAGE;
    }
    // Only the asked-for environment is contacted.
    let mut scoped = setup.clone();
    if let Some(name) = env {
        scoped.envs.retain(|e| e.name == name);
    }
    let config = config_errors(&scoped);
    if !config.is_empty() {
        for e in &config {
            out::error(e);
        }
        return EXIT_USAGE;
    }
    let report = match collect(&scoped).await {
        Ok(r) => r,
        Err(e) => {
            out::error(&e);
            return EXIT_FAILURE;
        }
    };
    let rows = matrix(&report.local, &report.views);
    if as_json {
        match serde_json::to_string_pretty(&migrations_doc(&report)) {
            Ok(s) => out::json(&s),
            Err(e) => {
                out::error(&format!("cannot encode JSON: {e}"));
                return EXIT_FAILURE;
            }
        }
    } else {
        out::text(&matrix_text(
            &report.local,
            &report.views,
            &rows,
            &report.problems,
        ));
    }
    // Like `prisma migrate status`: unreachable, pending, failed (and here edited, rolled back,
    // unreadable) → 1. An environment without a URL is skipped unless it was asked for by name.
    let failing = !report.problems.is_empty()
        || report
            .dbs
            .envs
            .iter()
            .zip(&report.views)
            .any(|(e, v)| match e.status {
                DbStatus::Unconfigured => env.is_some(),
                DbStatus::Up => v.migrations.is_none() || v.has_problems(),
                DbStatus::Down | DbStatus::Connecting => true,
            });
    if failing { EXIT_FAILURE } else { EXIT_OK }
}
