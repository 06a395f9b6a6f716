//! The local Prisma migrations folder (`prisma/migrations` by default), read the way Prisma
//! reads it: every subdirectory is one migration whose script is `migration.sql`, and
//! `migration_lock.toml` records the provider (`provider = "postgresql"`). Dotfiles and
//! dot-directories are ignored. The checksums are those Prisma stores in
//! `_prisma_migrations.checksum`: lowercase SHA-256 hex of the script, with line-ending variants
//! because git may check a file out with other line endings than the machine that applied it.
//!
//! Reading never fails as a whole: problems are recorded per migration ([`LocalMigration::error`])
//! or for the folder ([`MigrationsDir::problems`]), each naming the file.

use crate::bounded_read::{self, ReadError, io_reason};
use crate::model::local_migrations::{Checksums, LocalMigration, MigrationsDir};
use notify::{EventKind, RecursiveMode, Watcher};
use std::path::Path;

/// The file holding a migration's SQL, inside its folder.
pub const MIGRATION_SCRIPT: &str = "migration.sql";
/// The lock file at the top of the migrations folder.
pub const LOCK_FILE: &str = "migration_lock.toml";

/// Read the migrations folder at `path`. Never fails: an absent folder gives `exists: false`,
/// everything else wrong is recorded in `problems` or per migration.
pub fn read(path: &Path) -> MigrationsDir {
    let mut dir = MigrationsDir::absent(path);
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return dir,
        Err(e) => {
            dir.exists = path.exists();
            let what = if path.exists() && !path.is_dir() {
                "not a folder".to_owned()
            } else {
                format!("unreadable: {}", io_reason(&e))
            };
            dir.problems.push(format!("{}: {what}", path.display()));
            dir.unreadable = Some(what);
            return dir;
        }
    };
    dir.exists = true;
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                dir.problems
                    .push(format!("{}: unreadable: {}", path.display(), io_reason(&e)));
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let entry_path = entry.path();
        // Follow symlinks, like Prisma.
        if entry_path.is_dir() {
            dir.migrations.push(read_migration(name, &entry_path));
        } else if name == LOCK_FILE {
            match read_lock(&entry_path) {
                Ok(provider) => dir.lock_provider = Some(provider),
                Err(problem) => dir.problems.push(problem),
            }
        } else {
            dir.problems.push(format!(
                "{}: stray file (not a migration folder)",
                entry_path.display()
            ));
        }
    }
    dir.migrations.sort_by(|a, b| a.name.cmp(&b.name));
    dir.problems.sort();
    dir
}

fn read_migration(name: String, folder: &Path) -> LocalMigration {
    let script = folder.join(MIGRATION_SCRIPT);
    let mut sums = Checksums::default();
    match bounded_read::read_chunks(&script, bounded_read::MIGRATION_SQL_MAX, |c| sums.update(c)) {
        Ok(()) => LocalMigration {
            name,
            checksums: sums.finish(),
            error: None,
        },
        Err(e) => LocalMigration {
            name,
            checksums: Vec::new(),
            error: Some(match e {
                ReadError::NotFound { .. } => format!("missing {MIGRATION_SCRIPT}"),
                e => e.with_path(Path::new(MIGRATION_SCRIPT)).to_string(),
            }),
        },
    }
}

/// The provider of a `migration_lock.toml`, or the problem (with the file path).
fn read_lock(path: &Path) -> Result<String, String> {
    let text =
        bounded_read::read_text(path, bounded_read::LOCK_TOML_MAX).map_err(|e| e.to_string())?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .and_then(|span| text.get(..span.start))
            .map_or(1, |before| before.matches('\n').count() + 1);
        format!("{}:{line}: invalid TOML: {}", path.display(), e.message())
    })?;
    match table.get("provider") {
        Some(toml::Value::String(p)) => Ok(p.clone()),
        Some(_) => Err(format!("{}: `provider` is not a string", path.display())),
        None => Err(format!("{}: no `provider` key", path.display())),
    }
}

/// Watch the migrations folder recursively and call `on_change` for every create, modify,
/// rename or remove event under it (reads are ignored, so reading the folder after a change does
/// not trigger another). The callback runs on notify's thread and may be called in bursts: the
/// caller debounces. When `path` does not exist yet, its nearest existing ancestor is watched
/// (non-recursively) so its creation is noticed; the caller should then call `watch` again.
/// Keep the returned watcher alive for as long as events are wanted.
///
/// Errors: notify's, e.g. when no ancestor exists or the inotify watch limit is reached.
pub fn watch(
    path: &Path,
    on_change: impl Fn() + Send + 'static,
) -> notify::Result<notify::RecommendedWatcher> {
    let mut watcher =
        notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
            Ok(event) if matches!(event.kind, EventKind::Access(_)) => {}
            Ok(_) => on_change(),
            Err(e) => log::warn!("migrations folder watch: {e}"),
        })?;
    if path.is_dir() {
        watcher.watch(path, RecursiveMode::Recursive)?;
    } else {
        let ancestor = path
            .ancestors()
            .skip(1)
            .find(|a| a.is_dir())
            .unwrap_or_else(|| Path::new("."));
        watcher.watch(ancestor, RecursiveMode::NonRecursive)?;
    }
    Ok(watcher)
}

#[cfg(test)]
mod tests;
