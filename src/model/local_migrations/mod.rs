//! The local Prisma migrations folder as data: its migrations and their checksums (those
//! Prisma stores in `_prisma_migrations.checksum`: lowercase SHA-256 hex of the script, with
//! line-ending variants because git may check a file out with other line endings than the
//! machine that applied it), and the provider of `migration_lock.toml`.
//!
//! Pure: the folder is read by `crate::prisma::migrations_dir`.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

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
pub struct Checksums {
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

    /// Feed the next chunk of the script.
    pub fn update(&mut self, chunk: &[u8]) {
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

    /// The digests, as [`checksum_variants`] returns them.
    pub fn finish(mut self) -> Vec<String> {
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

#[cfg(test)]
mod tests;
