//! `[migrate]` and `[prisma] migrate`: how `devtop migrate` runs a migration and when its
//! watchdog calls it hung.

use super::validate::{Invalid, duration_in, fail, number_in};
use super::values::Dur;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// The guarded migrate's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrateSettings {
    /// The command (`[prisma] migrate`, default `["npx", "prisma", "migrate", "deploy"]`), run
    /// in the project root with the target's URL in the datasource's variable.
    pub command: Vec<String>,
    /// `[migrate] hang_after` (default 60 s, 1 s to 1 h): no output and ~0 % CPU of the whole
    /// process group for this long marks the run hung.
    pub hang_after: Duration,
    /// `[migrate] max_tables` (default 3, 1 to 1000): the lint's "many tables in one
    /// migration" threshold.
    pub max_tables: usize,
}

impl Default for MigrateSettings {
    fn default() -> Self {
        MigrateSettings {
            command: ["npx", "prisma", "migrate", "deploy"]
                .map(str::to_owned)
                .to_vec(),
            hang_after: Duration::from_secs(60),
            max_tables: 3,
        }
    }
}

/// `[migrate]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMigrate {
    hang_after: Option<Spanned<Dur>>,
    max_tables: Option<Spanned<f64>>,
}

impl RawMigrate {
    /// Range-check, then each key as set here, else `base`'s; `command` is `[prisma]
    /// migrate`'s value when given (non-empty, no empty word).
    pub(super) fn resolve(
        &self,
        command: Option<&Spanned<Vec<String>>>,
        base: &MigrateSettings,
    ) -> Result<MigrateSettings, Invalid> {
        duration_in(
            "hang_after",
            &self.hang_after,
            Duration::from_secs(1),
            Duration::from_secs(3600),
        )?;
        number_in("max_tables", &self.max_tables, 1.0, 1000.0)?;
        if let Some(c) = &self.max_tables
            && c.get_ref().fract() != 0.0
        {
            return fail(
                c.span(),
                format!("max_tables = {} must be a whole number", c.get_ref()),
            );
        }
        if let Some(c) = command
            && (c.get_ref().is_empty() || c.get_ref().iter().any(|w| w.trim().is_empty()))
        {
            return fail(
                c.span(),
                "migrate must be a command as a list of words, e.g. [\"npx\", \"prisma\", \"migrate\", \"deploy\"]"
                    .to_owned(),
            );
        }
        Ok(MigrateSettings {
            command: command.map_or_else(|| base.command.clone(), |c| c.get_ref().clone()),
            hang_after: self
                .hang_after
                .as_ref()
                .map_or(base.hang_after, |v| v.get_ref().0),
            max_tables: self
                .max_tables
                .as_ref()
                .map_or(base.max_tables, |v| *v.get_ref() as usize),
        })
    }
}
