//! The local Prisma migrations folder (`prisma/migrations` by default), read the way Prisma
//! reads it: every subdirectory is one migration whose script is `migration.sql`, and
//! `migration_lock.toml` records the provider (`provider = "postgresql"`). Dotfiles and
//! dot-directories are ignored. The checksums are those Prisma stores in
//! `_prisma_migrations.checksum`: lowercase SHA-256 hex of the script, with line-ending variants
//! because git may check a file out with other line endings than the machine that applied it.
//!
//! Reading never fails as a whole: problems are recorded per migration ([`LocalMigration::error`])
//! or for the folder ([`MigrationsDir::problems`]), each naming the file.

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
    /// `"unreadable: permission denied"`, ...
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
            let what = if path.is_file() {
                "not a folder".to_owned()
            } else {
                format!("unreadable: {}", io_reason(&e))
            };
            dir.problems.push(format!("{}: {what}", path.display()));
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
    match std::fs::read(&script) {
        Ok(bytes) => LocalMigration {
            name,
            checksums: checksum_variants(&bytes),
            error: None,
        },
        Err(e) => LocalMigration {
            name,
            checksums: Vec::new(),
            error: Some(if e.kind() == std::io::ErrorKind::NotFound {
                format!("missing {MIGRATION_SCRIPT}")
            } else {
                format!("unreadable: {}", io_reason(&e))
            }),
        },
    }
}

/// The provider of a `migration_lock.toml`, or the problem (with the file path).
fn read_lock(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: unreadable: {}", path.display(), io_reason(&e)))?;
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

/// An io::Error as a short lowercase reason: "permission denied", "is a directory".
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = match s.find(" (os error") {
        Some(i) => s.get(..i).unwrap_or(&s).to_owned(),
        None => s,
    };
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => s,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The checksums a migration script may have been recorded with: lowercase SHA-256 hex of the
/// bytes as they are, then with CRLF turned into LF, then with every line ending turned into
/// CRLF (from the LF form, so a mixed file also yields its pure-CRLF variant); duplicates
/// removed, order kept. Mirrors Prisma's line-ending-agnostic `script_matches_checksum`.
pub fn checksum_variants(bytes: &[u8]) -> Vec<String> {
    let mut lf = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            lf.push(b'\n');
            i += 2;
        } else {
            lf.push(b);
            i += 1;
        }
    }
    let mut crlf = Vec::with_capacity(lf.len() + lf.len() / 16);
    for &b in &lf {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    let mut out: Vec<String> = Vec::with_capacity(3);
    for variant in [bytes, &lf, &crlf] {
        let sum = sha256_hex(variant);
        if !out.contains(&sum) {
            out.push(sum);
        }
    }
    out
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
