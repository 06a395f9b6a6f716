//! `[prisma]`: where the schema and the migrations folder are, when not where Prisma looks.

use serde::Deserialize;
use std::path::PathBuf;

/// `[prisma]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrisma {
    schema: Option<PathBuf>,
    migrations: Option<PathBuf>,
    /// Reserved for the guarded-migration command; accepted so a config written for it loads.
    #[allow(dead_code)]
    migrate: Option<Vec<String>>,
}

impl RawPrisma {
    /// (schema, migrations): each as set here, else `base`'s.
    pub(super) fn resolve(
        self,
        base: (&Option<PathBuf>, &Option<PathBuf>),
    ) -> (Option<PathBuf>, Option<PathBuf>) {
        (
            self.schema.or_else(|| base.0.clone()),
            self.migrations.or_else(|| base.1.clone()),
        )
    }
}
