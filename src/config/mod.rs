//! `devtop.toml` → [`Config`]: every key optional, defaults documented here and in the README.
//! The per-user file applies first and the project's over it ([`layers`]). Errors name the
//! file, line, column and the offending text — for syntax, types and unknown keys (from the
//! TOML parser) as for ranges and relations (from validation, through each value's span).
//!
//! One concept per file: `load` reads and parses, [`layers`] stacks the user's file under
//! the project's, `file` is a file as written (top-level keys and one field per section),
//! one file per section (`processes`, `suspects`, `memory`, `databases`, `prisma`,
//! `servers`, `keys`, `guard`), and
//! `validate` / `values` hold what the sections share.

mod databases;
mod deploy;
mod file;
mod guard;
pub mod keys;
pub mod layers;
mod load;
mod memory;
mod migrate;
mod preflight;
mod prisma;
mod processes;
mod servers;
mod suspects;
mod validate;
mod values;

use crate::model::memory::MemoryThresholds;
use crate::model::server::ServerSpec;
use crate::model::suspects::SuspectRules;
use crate::model::tree::Scope;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use databases::DatabaseEntry;
pub use load::find_project_root;
pub use migrate::MigrateSettings;
pub use processes::DEFAULT_MATCH;
pub use validate::Machine;

/// Lines of each server's output the dashboard keeps when `server_log_lines` is not set.
pub const DEFAULT_SERVER_LOG_LINES: usize = 10_000;

/// The effective configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Collector interval (`refresh`, default 1 s).
    pub refresh: Duration,
    /// Scope (`scope`, default user).
    pub scope: Scope,
    /// Seconds between SIGTERM and SIGKILL (`grace`, default 3 s).
    pub grace: Duration,
    /// Words matched against process names and argv: `[processes] match` + `extra`.
    pub match_words: Vec<String>,
    /// `[suspects]` thresholds.
    pub suspects: SuspectRules,
    /// `[memory]` thresholds.
    pub memory: MemoryThresholds,
    /// `[[database]]` environments besides the implicit `local` (staging, production, ...).
    pub databases: Vec<DatabaseEntry>,
    /// How often each database is probed (`db_interval`, default 5 s).
    pub db_interval: Duration,
    /// `[prisma] schema`: schema.prisma path relative to the project root, when set.
    pub prisma_schema: Option<PathBuf>,
    /// `[prisma] migrations`: migrations folder relative to the project root, when set.
    pub prisma_migrations: Option<PathBuf>,
    /// Mouse capture in the dashboard (`mouse`, default true): clicks select and focus, the
    /// wheel scrolls; off, the terminal keeps its own mouse selection.
    pub mouse: bool,
    /// Draw without colour (`no_color`, default false), as the `NO_COLOR` environment
    /// variable does (either one turns colour off).
    pub no_color: bool,
    /// `[[server]]` dev servers, in the order configured (the user file's, then the
    /// project's; an entry of the same name replaces the earlier one). Checked: names unique,
    /// dependencies known and acyclic, ports unique (see [`crate::model::server_order`]).
    pub servers: Vec<ServerSpec>,
    /// Lines of each server's output the dashboard keeps (`server_log_lines`, 100 to
    /// 1,000,000; default 10,000): older lines are dropped, the log file keeps them.
    pub server_log_lines: usize,
    /// `[keys]`: the user's key overrides (action name → keys), checked against the key table.
    pub keys: keys::KeyOverrides,
    /// `[guard]`: the memory guard's trigger, cool-down and whether it acts by itself.
    pub guard: crate::model::guard::GuardRules,
    /// `[migrate]` and `[prisma] migrate`: the guarded migrate's command and watchdog.
    pub migrate: MigrateSettings,
    /// `[deploy] order`: environments in deploy order (default staging, production; names
    /// not configured are ignored). Set, every name must be an environment.
    pub deploy_order: Vec<String>,
    /// `[preflight]` settings.
    pub preflight: crate::model::preflight::PreflightSettings,
    /// The files this was read from, in the order they applied (the per-user file, then the
    /// project's); empty for the built-in defaults.
    pub sources: Vec<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            refresh: Duration::from_secs(1),
            scope: Scope::User,
            grace: Duration::from_secs(3),
            match_words: DEFAULT_MATCH.iter().map(|s| (*s).to_owned()).collect(),
            suspects: SuspectRules::default(),
            memory: MemoryThresholds::default(),
            databases: Vec::new(),
            db_interval: Duration::from_secs(5),
            prisma_schema: None,
            prisma_migrations: None,
            mouse: true,
            no_color: false,
            servers: Vec::new(),
            server_log_lines: DEFAULT_SERVER_LOG_LINES,
            keys: Vec::new(),
            guard: crate::model::guard::GuardRules::default(),
            migrate: MigrateSettings::default(),
            deploy_order: crate::model::preflight::DEFAULT_DEPLOY_ORDER
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            preflight: crate::model::preflight::PreflightSettings::default(),
            sources: Vec::new(),
        }
    }
}

/// A config file that could not be read or understood.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("{path}: cannot read: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// TOML syntax error, unknown key or invalid value.
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong, naming the key or value.
        message: String,
    },
}

impl Config {
    /// Parse config text, checking thresholds against this machine (see [`Config::parse_for`]).
    /// `path` is only used in error messages.
    ///
    /// Errors: [`ConfigError::Invalid`] with the line and column of a syntax error, an unknown
    /// key (`unknown field \`foo\``), an invalid value, or a value out of range.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Config::parse_for(text, path, Machine::current())
    }

    /// Parse config text for `machine` over the built-in defaults; see [`Config::parse_over`].
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] with file, line, column and a message naming the key.
    pub fn parse_for(text: &str, path: &Path, machine: Machine) -> Result<Config, ConfigError> {
        Config::parse_over(&Config::default(), text, path, machine)
    }

    /// Parse config text for `machine`, each key it sets overriding `base` (the built-in
    /// defaults, or what the per-user file made of them): scalars and table keys one by one,
    /// `[processes] match` replaces the words and `extra` adds to them, a `[[database]]` entry
    /// replaces the base's entry of the same name. Besides syntax and types, values are range-checked
    /// (`refresh` 100ms..=1h, `db_interval` 1s..=1h, `grace` ≤ 1h, `hung_migrate_after`
    /// 1s..=7d, `runaway_for` 1s..=1d, `engine_max_age` 1s..=30d, `runaway_cpu_percent`
    /// 1..=100 × CPUs, PSI percentages 0..=100, memory sizes ≤ the machine's RAM) and related
    /// (`critical_available` below `warn_available`, defaults included); nesting deeper than
    /// the TOML parser's limit is a syntax error; relations are checked against the base for
    /// keys this text leaves out. Errors point at the offending value in `path`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] with file, line, column and a message naming the key.
    pub fn parse_over(
        base: &Config,
        text: &str,
        path: &Path,
        machine: Machine,
    ) -> Result<Config, ConfigError> {
        load::parse(text, path)?
            .resolve(base, path, machine)
            .map_err(|e| load::invalid(text, path, Some(e.span), e.message))
    }
}

#[cfg(test)]
mod tests;
