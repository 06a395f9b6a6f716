//! Turning command-line options into a project root, a config and a collector selection —
//! shared by the TUI and the headless commands. Every failure here is bad input: exit 2.

use crate::cli::Common;
use crate::collect::environments::{EnvSpec, resolve as resolve_envs};
use crate::collect::processes::Selection;
use crate::config::{Config, find_project_root};
use crate::effects::prisma_cli::PrismaCliGate;
use crate::prisma::project::{PrismaProject, locate};
use std::path::PathBuf;

/// Exit code for success.
pub const EXIT_OK: i32 = 0;
/// Exit code when a command ran but its outcome is a failure (a kill target survived).
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for bad input: unknown flag, invalid config, missing project dir.
pub const EXIT_USAGE: i32 = 2;

/// Resolved project root, config and selection.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Absolute project root.
    pub root: PathBuf,
    /// Effective config (file + flags).
    pub config: Config,
    /// What the process collector looks for.
    pub selection: Selection,
    /// The project's Prisma files.
    pub prisma: PrismaProject,
    /// Database environments (local first).
    pub envs: Vec<EnvSpec>,
    /// Problems with the project's files that did not stop devtop, one line each naming the
    /// file and line: `.env` lines that were skipped, then the Prisma files that could not be
    /// read or parsed ([`PrismaProject::errors`]). Logged for the dashboard; headless
    /// commands print them on stderr.
    pub warnings: Vec<String>,
    /// `devtop --keep`: quitting the dashboard leaves the servers it started running
    /// (recorded in `.devtop/state.json`) without asking.
    pub keep_servers: bool,
    /// The session's one Prisma CLI gate (clones of this setup share it): the dashboard's
    /// drift diff, preflight's diff and the guarded migrate's command take turns at it.
    pub cli_gate: PrismaCliGate,
}

/// The project root: `--project` (it must be a directory), else the nearest ancestor of the
/// working directory holding devtop.toml, package.json or prisma/. Errors are one-line
/// messages for stderr (exit [`EXIT_USAGE`]).
pub fn project_root(common: &Common) -> Result<PathBuf, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the working directory: {e}"))?;
    Ok(match &common.project {
        Some(dir) => {
            let abs = cwd.join(dir);
            if !abs.is_dir() {
                return Err(format!("--project {}: no such directory", dir.display()));
            }
            abs.canonicalize().unwrap_or(abs)
        }
        None => find_project_root(&cwd),
    })
}

/// Resolve `--project`, `--config` and `--scope`. Errors are one-line messages for stderr
/// (exit [`EXIT_USAGE`]): a missing project directory, an unreadable or invalid config file
/// (with file:line:col).
pub fn resolve(common: &Common) -> Result<Setup, String> {
    let root = project_root(common)?;
    let mut config = Config::load(common.config.as_deref(), &root).map_err(|e| e.to_string())?;
    if let Some(s) = common.scope {
        config.scope = s.into();
    }
    let selection = Selection {
        match_words: config.match_words.clone(),
        scope: config.scope,
        root: root.clone(),
        rules: config.suspects.clone(),
        show_own_children: false,
    };
    let prisma = locate(
        &root,
        config.prisma_schema.as_deref(),
        config.prisma_migrations.as_deref(),
    );
    let (envs, mut warnings) = resolve_envs(&root, &config, &prisma);
    warnings.extend(prisma.errors.iter().cloned());
    Ok(Setup {
        root,
        config,
        selection,
        prisma,
        envs,
        warnings,
        keep_servers: false,
        cli_gate: PrismaCliGate::new(),
    })
}
