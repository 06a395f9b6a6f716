//! Check 7: the migrations folder exists and every entry is well formed, from one read of the
//! folder (`crate::prisma::migrations_dir`: each `<name>/migration.sql` and
//! migration_lock.toml).

use super::{Check, CheckId, Status, count_noun};
use crate::model::local_migrations::MigrationsDir;

/// Check 7. Fail when the folder cannot be read, does not exist, or has malformed entries
/// (a folder without migration.sql, an unreadable file, a bad migration_lock.toml — each
/// named); pass with the count and the lock file's provider.
pub fn folder(dir: &MigrationsDir, shown: &str) -> Check {
    if let Some(why) = &dir.unreadable {
        return Check::new(
            CheckId::MigrationsFolder,
            Status::Fail,
            format!("{shown}: cannot be read: {why}"),
        )
        .hint("fix the folder's permissions");
    }
    if !dir.exists {
        return Check::new(
            CheckId::MigrationsFolder,
            Status::Fail,
            format!("{shown}: no such folder"),
        )
        .hint(
            "create the first migration (`npx prisma migrate dev --name init`), or point devtop \
             at the folder: [prisma] migrations in devtop.toml",
        );
    }
    let bad: Vec<String> = dir
        .migrations
        .iter()
        .filter_map(|m| m.error.as_ref().map(|e| format!("  {}: {e}", m.name)))
        .chain(dir.problems.iter().map(|p| format!("  {p}")))
        .collect();
    let lock = dir
        .lock_provider
        .as_deref()
        .map_or("no migration_lock.toml".to_owned(), |p| {
            format!("migration_lock.toml provider {p}")
        });
    let head = format!(
        "{shown}: {}, {lock}",
        count_noun(dir.migrations.len(), "migration")
    );
    if bad.is_empty() {
        return Check::new(CheckId::MigrationsFolder, Status::Pass, head);
    }
    Check::new(CheckId::MigrationsFolder, Status::Fail, head)
        .lines(bad)
        .hint(
            "every migration is a folder `<timestamp>_<name>/` holding migration.sql: restore \
             the missing files from git, or remove stray folders",
        )
}
