//! devtop.toml as written: the top-level keys and one field per section, each section in its
//! own file. A new section (`[migrate]`, `[guard]`, `[keys]`) is one file with its `Raw…`
//! type and `resolve`, one field in [`RawConfig`] and one in [`Config`].

use super::Config;
use super::databases::{self, RawDatabase};
use super::deploy::RawDeploy;
use super::guard::RawGuard;
use super::keys;
use super::memory::RawMemory;
use super::migrate::RawMigrate;
use super::preflight::RawPreflight;
use super::prisma::RawPrisma;
use super::processes::RawProcesses;
use super::servers::{self, RawServer};
use super::suspects::RawSuspects;
use super::validate::{Invalid, Machine, duration_in};
use super::values::Dur;
use crate::model::tree::Scope;
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

/// One config file's content, every value with its span so an error points at it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    refresh: Option<Spanned<Dur>>,
    scope: Option<Scope>,
    grace: Option<Spanned<Dur>>,
    db_interval: Option<Spanned<Dur>>,
    mouse: Option<bool>,
    no_color: Option<bool>,
    server_log_lines: Option<Spanned<f64>>,
    #[serde(default)]
    processes: RawProcesses,
    #[serde(default)]
    suspects: RawSuspects,
    #[serde(default)]
    memory: RawMemory,
    #[serde(default)]
    database: Vec<RawDatabase>,
    #[serde(default)]
    prisma: RawPrisma,
    #[serde(default)]
    server: Vec<RawServer>,
    #[serde(default)]
    keys: keys::RawKeys,
    #[serde(default)]
    guard: RawGuard,
    #[serde(default)]
    migrate: RawMigrate,
    #[serde(default)]
    deploy: RawDeploy,
    #[serde(default)]
    preflight: RawPreflight,
}

impl RawConfig {
    /// Check every value (ranges, relations, references) and apply it over `base`; `path`
    /// joins the sources. Top-level keys are checked first, then each section in file order.
    ///
    /// # Errors
    /// [`Invalid`] at the first offending value.
    pub(super) fn resolve(
        self,
        base: &Config,
        path: &Path,
        machine: Machine,
    ) -> Result<Config, Invalid> {
        let hour = Duration::from_secs(3600);
        duration_in("refresh", &self.refresh, Duration::from_millis(100), hour)?;
        duration_in("grace", &self.grace, Duration::ZERO, hour)?;
        duration_in(
            "db_interval",
            &self.db_interval,
            Duration::from_secs(1),
            hour,
        )?;
        super::validate::number_in("server_log_lines", &self.server_log_lines, 100.0, 1e6)?;
        let suspects = self.suspects.resolve(&base.suspects, machine)?;
        let memory = self.memory.resolve(base, machine)?;
        let databases = databases::resolve(&self.database, &base.databases)?;
        let environments: Vec<&str> = std::iter::once("local")
            .chain(databases.iter().map(|d| d.name.as_str()))
            .collect();
        let servers = servers::resolve(&self.server, &base.servers, &environments)?;
        let (prisma_schema, prisma_migrations) = self
            .prisma
            .resolve((&base.prisma_schema, &base.prisma_migrations));
        let keys = keys::merge(&base.keys, &self.keys)?;
        let guard = self.guard.resolve(&base.guard, machine)?;
        let migrate = self
            .migrate
            .resolve(self.prisma.migrate.as_ref(), &base.migrate)?;
        let deploy_order = self.deploy.resolve(&base.deploy_order, &environments)?;
        let preflight = self.preflight.resolve(&base.preflight, machine)?;
        let dur =
            |v: Option<Spanned<Dur>>, default: Duration| v.map_or(default, |v| v.into_inner().0);
        Ok(Config {
            refresh: dur(self.refresh, base.refresh),
            scope: self.scope.unwrap_or(base.scope),
            grace: dur(self.grace, base.grace),
            match_words: self.processes.resolve(&base.match_words),
            suspects,
            memory,
            databases,
            db_interval: dur(self.db_interval, base.db_interval),
            prisma_schema,
            prisma_migrations,
            mouse: self.mouse.unwrap_or(base.mouse),
            no_color: self.no_color.unwrap_or(base.no_color),
            servers,
            server_log_lines: self
                .server_log_lines
                .map_or(base.server_log_lines, |v| v.into_inner() as usize),
            keys,
            guard,
            migrate,
            deploy_order,
            preflight,
            sources: base
                .sources
                .iter()
                .cloned()
                .chain([path.to_owned()])
                .collect(),
        })
    }
}
