//! `[prisma]`: where the schema and the migrations folder are, when not where Prisma looks.

use serde::Deserialize;
use std::path::PathBuf;

/// `[prisma]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrisma {
    schema: Option<PathBuf>,
    migrations: Option<PathBuf>,
    /// The guarded migrate's command (see [`super::migrate::MigrateSettings::command`]).
    pub(super) migrate: Option<toml::Spanned<Vec<String>>>,
}

impl RawPrisma {
    /// (schema, migrations): each as set here, else `base`'s.
    pub(super) fn resolve(
        &self,
        base: (&Option<PathBuf>, &Option<PathBuf>),
    ) -> (Option<PathBuf>, Option<PathBuf>) {
        (
            self.schema.clone().or_else(|| base.0.clone()),
            self.migrations.clone().or_else(|| base.1.clone()),
        )
    }
}
