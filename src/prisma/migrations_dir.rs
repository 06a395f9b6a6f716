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
use notify::{EventKind, RecursiveMode, Watcher};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The file holding a migration's SQL, inside its folder.
pub const MIGRATION_SCRIPT: &str = "migration.sql";
/// The lock file at the top of the migrations folder.
pub const LOCK_FILE: &str = "migration_lock.toml";

/// One migration folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocalMigration {
    /// Folder name, e.g. `20250917120000_add_personal_models` (Prisma's migration name).
    pub name: String,
    /// Lowercase SHA-256 hex digests of `migration.sql` (see [`checksum_variants`]); empty when
    /// the file is missing or unreadable.
    pub checksums: Vec<String>,
    /// Why the script could not be read: `"missing migration.sql"`,
    /// `"migration.sql: unreadable: permission denied"`, `"migration.sql: refused: a FIFO, not
    /// a regular file"`, ...
    pub error: Option<String>,
}

/// The migrations folder as read from disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigrationsDir {
    /// The folder that was read.
    pub path: PathBuf,
    /// Whether it exists (and is a directory).
    pub exists: bool,
    /// Its migrations, sorted by name (that is, by their timestamp prefix).
    pub migrations: Vec<LocalMigration>,
    /// `provider` of `migration_lock.toml`; `None` when the file is absent or invalid.
    pub lock_provider: Option<String>,
    /// Folder-level problems, each naming the file: an invalid `migration_lock.toml` (with the
    /// parse error), stray files, an unreadable folder, a path that is not a folder.
    pub problems: Vec<String>,
    /// Why the folder itself could not be listed ("not a folder", "unreadable: permission
    /// denied"), also in `problems`; `None` when it was listed or does not exist.
    pub unreadable: Option<String>,
}

impl MigrationsDir {
    /// An absent folder at `path` (no migrations, no problems).
    pub fn absent(path: &Path) -> Self {
        MigrationsDir {
            path: path.to_owned(),
            exists: false,
            migrations: Vec::new(),
            lock_provider: None,
            problems: Vec::new(),
            unreadable: None,
        }
    }
}

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

fn hex(digest: &[u8]) -> String {
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The three digests of [`checksum_variants`], fed chunk by chunk so a script is never held
/// in memory whole: as-is, CRLF → LF, and every line ending as CRLF (from the LF form).
#[derive(Default)]
struct Checksums {
    raw: Sha256,
    lf: Sha256,
    crlf: Sha256,
    /// A `\r` at the end of the previous chunk, not yet known to start a CRLF.
    pending_cr: bool,
    lf_buf: Vec<u8>,
    crlf_buf: Vec<u8>,
}

impl Checksums {
    fn emit_lf(&mut self, b: u8) {
        self.lf_buf.push(b);
        if b == b'\n' {
            self.crlf_buf.push(b'\r');
        }
        self.crlf_buf.push(b);
    }

    fn update(&mut self, chunk: &[u8]) {
        self.raw.update(chunk);
        for &b in chunk {
            if std::mem::take(&mut self.pending_cr) && b != b'\n' {
                self.emit_lf(b'\r');
            }
            if b == b'\r' {
                self.pending_cr = true;
            } else {
                self.emit_lf(b);
            }
        }
        self.flush();
    }

    fn flush(&mut self) {
        self.lf.update(&self.lf_buf);
        self.crlf.update(&self.crlf_buf);
        self.lf_buf.clear();
        self.crlf_buf.clear();
    }

    fn finish(mut self) -> Vec<String> {
        if std::mem::take(&mut self.pending_cr) {
            self.emit_lf(b'\r');
            self.flush();
        }
        let mut out: Vec<String> = Vec::with_capacity(3);
        for digest in [
            self.raw.finalize(),
            self.lf.finalize(),
            self.crlf.finalize(),
        ] {
            let sum = hex(&digest);
            if !out.contains(&sum) {
                out.push(sum);
            }
        }
        out
    }
}

/// The checksums a migration script may have been recorded with: lowercase SHA-256 hex of the
/// bytes as they are, then with CRLF turned into LF, then with every line ending turned into
/// CRLF (from the LF form, so a mixed file also yields its pure-CRLF variant); duplicates
/// removed, order kept. Mirrors Prisma's line-ending-agnostic `script_matches_checksum`.
pub fn checksum_variants(bytes: &[u8]) -> Vec<String> {
    let mut sums = Checksums::default();
    sums.update(bytes);
    sums.finish()
}

/// Canonical family of a provider name or URL scheme: `postgresql`, `mysql`, `sqlite`,
/// `sqlserver`, `mongodb`, `cockroachdb`, else the lowercased input.
fn family(p: &str) -> String {
    let p = p.trim().to_ascii_lowercase();
    match p.as_str() {
        "postgres" | "postgresql" => "postgresql".into(),
        "mysql" | "mariadb" => "mysql".into(),
        "sqlite" | "file" => "sqlite".into(),
        "sqlserver" | "mssql" => "sqlserver".into(),
        "mongodb" | "mongodb+srv" => "mongodb".into(),
        _ => p,
    }
}

/// Whether a `migration_lock.toml` provider fits a database URL's scheme: `postgresql` matches
/// `postgres`/`postgresql` URLs, `mysql` matches `mysql`/`mariadb`, `sqlite` matches `sqlite`
/// and `file:` URLs, `cockroachdb` matches `postgresql` URLs (CockroachDB speaks the PostgreSQL
/// protocol). Case-insensitive.
pub fn provider_matches(lock_provider: &str, url_scheme_provider: &str) -> bool {
    let lock = family(lock_provider);
    let url = family(url_scheme_provider);
    lock == url || (lock == "cockroachdb" && url == "postgresql")
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
#[path = "migrations_dir_tests.rs"]
mod tests;
