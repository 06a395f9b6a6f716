//! Schema ↔ database drift through the project's own Prisma CLI: `prisma migrate diff
//! --exit-code`, which only reads the database.
//!
//! - [`DiffTarget`]: which CLI, which schema, which variables the datasource reads — from the
//!   project the caller has already read (the schema is never parsed again here);
//! - [`command::spec`]: the command line and environment (the URL in the environment only);
//! - [`run`]: one diff as a [`Supervised`] child (its own tethered process group, a time
//!   limit, the whole group ended afterwards), waiting for its turn at the [`PrismaCliGate`];
//! - [`verdict::interpret`]: exit code and output → [`DiffResult`];
//! - [`schedule`]: when the diffs run (the dashboard's background task, the headless round).

pub mod command;
pub mod schedule;
pub mod verdict;

use crate::db::url::DbUrl;
use crate::effects::child::Supervised;
use crate::effects::prisma_cli::{PrismaCliGate, PrismaCliTurn, find_cli};
use crate::model::cli_diff::DiffResult;
use crate::prisma::project::PrismaProject;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use schedule::{EVERY, HEADLESS_BUDGET, round, spawn};

/// Default time limit of one diff (the TUI's background check), the stop included.
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// Lines of the CLI's summary kept.
pub const MAX_LINES: usize = 12;
/// Time between `SIGTERM` and `SIGKILL` when a diff is stopped at its time limit.
pub const GRACE: Duration = Duration::from_millis(500);
/// Output lines read from one diff (stdout and stderr together); the rest is dropped.
const KEEP_LINES: usize = 200;

/// What a diff runs against: the CLI and the parts of the project it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffTarget {
    /// The project's Prisma CLI (`node_modules/.bin/prisma`).
    pub cli: PathBuf,
    /// The schema file (or folder).
    pub schema: PathBuf,
    /// The variables the CLI reads its database URL from ([`crate::prisma::url_vars`]:
    /// prisma.config.ts's, the datasource's `url` and `directUrl` variables), each set to
    /// the target's URL.
    pub url_vars: Vec<String>,
}

impl DiffTarget {
    /// The target for the project at `root` as `prisma` describes it (its parsed schema
    /// included); `None` when the project has no Prisma CLI.
    pub fn for_project(root: &Path, prisma: &PrismaProject) -> Option<DiffTarget> {
        Some(DiffTarget {
            cli: find_cli(root)?,
            schema: prisma.schema_path.clone(),
            url_vars: crate::prisma::url_vars::url_vars(prisma),
        })
    }
}

/// Runs one diff against the database at `url`, after waiting for `gate` (no other Prisma CLI
/// of devtop runs meanwhile). `timeout` bounds the run from its start (the wait at the gate
/// excluded); the whole process group of the CLI (its schema-engine included) is ended
/// afterwards, whatever happened.
pub async fn run(
    gate: &PrismaCliGate,
    target: &DiffTarget,
    url: &DbUrl,
    timeout: Duration,
) -> DiffResult {
    let turn = gate.turn().await;
    run_in_turn(&turn, target, url, timeout).await
}

/// [`run`] for a caller that already holds its `turn` at the session's gate (and waited for
/// it on its own terms).
pub async fn run_in_turn(
    _turn: &PrismaCliTurn,
    target: &DiffTarget,
    url: &DbUrl,
    timeout: Duration,
) -> DiffResult {
    let child = match Supervised::spawn(command::spec(target, url, timeout)) {
        Ok(c) => c,
        Err(e) => {
            return DiffResult::Failed(format!(
                "cannot run {} (or /bin/sh, which ties it to devtop): {e}",
                target.cli.display()
            ));
        }
    };
    // If this future is dropped (devtop quits mid-diff), dropping the child kills its group.
    let ran = child.run(KEEP_LINES).await;
    verdict::interpret(&ran, url)
}

#[cfg(test)]
mod tests;
