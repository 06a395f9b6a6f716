//! Prisma datasource URLs: provider detection, password masking, and translation of Prisma's
//! own query parameters into what sqlx understands.
//!
//! Prisma accepts parameters that no driver knows (`schema`, `connection_limit`,
//! `pgbouncer`, `sslaccept`, ...). [`parse`] strips them from the URL handed to sqlx, translates
//! the few that matter for connecting (`schema` → PostgreSQL `search_path`, `sslcert` → the CA
//! file, `sslaccept` → the TLS verification level, `socket` → the MySQL socket path) and lists
//! every parameter it did not pass through verbatim in [`DbUrl::dropped`] for one log line.
//!
//! The raw URL (which may carry a password) is kept private: nothing in this module's public
//! surface, `Debug` output or errors ever contains the password.

use std::fmt;
use std::path::{Path, PathBuf};

use url::Url;

use crate::model::provider::Provider;

mod sqlite;
mod translate;
use sqlite::{parse_sqlite, resolve};
use translate::{Translated, translate_mysql, translate_postgres};

/// Why a datasource URL could not be used. Never contains the password (nor any other part of
/// the URL except its scheme).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The URL is empty or only whitespace.
    #[error("database URL is empty")]
    Empty,
    /// The scheme is not one devtop can connect to (e.g. `prisma+postgres://`, `mongodb://`).
    #[error(
        "unsupported database URL scheme `{0}` (devtop reads postgresql://, postgres://, mysql:// and file: URLs)"
    )]
    UnsupportedScheme(String),
    /// The URL does not parse; the text names the problem, not the URL.
    #[error("database URL is not valid: {0}")]
    Invalid(String),
}

/// A parsed Prisma datasource URL.
///
/// `masked` is safe to display and log; the raw URL is private and never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct DbUrl {
    /// Which engine the URL points at.
    pub provider: Provider,
    /// The URL with the password (and any `password` / `sslpassword` parameter value) replaced
    /// by `***`, e.g. `postgresql://app:***@db.example:5432/app`. SQLite URLs are shown as given.
    pub masked: String,
    /// PostgreSQL only: Prisma's `?schema=` (default `"public"`), used as the session's
    /// `search_path` and to find `_prisma_migrations`. `None` for MySQL and SQLite.
    pub schema: Option<String>,
    /// SQLite only: the database file, resolved against the schema file's directory as Prisma
    /// does (`file:./dev.db` next to `prisma/schema.prisma` → `prisma/dev.db`).
    pub sqlite_path: Option<PathBuf>,
    /// Names of the query parameters that were understood-and-translated or dropped instead of
    /// being handed to sqlx verbatim (names only, never values), for one log line.
    pub dropped: Vec<String>,
    /// The URL exactly as configured. Private: may contain a password; never logged.
    raw: String,
    /// The URL handed to sqlx (Prisma-only parameters removed or translated). Contains the
    /// password; empty for SQLite.
    sqlx_url: String,
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbUrl")
            .field("provider", &self.provider)
            .field("masked", &self.masked)
            .field("schema", &self.schema)
            .field("sqlite_path", &self.sqlite_path)
            .field("dropped", &self.dropped)
            .finish_non_exhaustive()
    }
}

impl DbUrl {
    /// The connection URL for sqlx (PostgreSQL / MySQL; empty for SQLite). Contains the
    /// password: only for building connect options, never for display.
    pub(crate) fn sqlx_url(&self) -> &str {
        &self.sqlx_url
    }

    /// True for a PostgreSQL URL with Prisma's `pgbouncer=true`: behind PgBouncer's
    /// transaction pooling, session settings and extra startup parameters cannot be used.
    pub fn pgbouncer(&self) -> bool {
        self.provider == Provider::Postgres
            && Url::parse(&self.raw).is_ok_and(|u| {
                u.query_pairs()
                    .any(|(k, v)| k == "pgbouncer" && v.eq_ignore_ascii_case("true"))
            })
    }

    /// The URL as given (with its password), only to hand to the project's own Prisma CLI
    /// through its environment (never argv, never displayed).
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// Secrets that must not appear in any message: the raw URL, the sqlx URL, and the
    /// password and the values of secret parameters (`password=`, `sslpassword=`, `api_key=`,
    /// see [`crate::redact::is_secret_key`]), as written and percent-decoded, when at least 4
    /// characters long (shorter ones would mask ordinary words).
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for s in [&self.raw, &self.sqlx_url] {
            if !s.is_empty() {
                out.push(s.clone());
            }
        }
        if let Ok(u) = Url::parse(&self.raw) {
            let mut values: Vec<String> = u.password().map(str::to_owned).into_iter().collect();
            // As written: the parser re-encodes a raw `@` (`pa@ss` → `pa%40ss`).
            values.extend(
                crate::redact::url_passwords_in(&self.raw)
                    .into_iter()
                    .map(str::to_owned),
            );
            values.extend(
                u.query_pairs()
                    .filter(|(k, _)| crate::redact::is_secret_key(k))
                    .map(|(_, v)| v.into_owned()),
            );
            for v in values {
                let decoded = percent_decode(&v);
                for p in [v, decoded] {
                    if p.chars().count() >= 4 && !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
        }
        // Longest first so a URL is replaced before the password inside it.
        out.sort_by_key(|s| std::cmp::Reverse(s.len()));
        out
    }

    /// `text` with every secret of this URL (see [`DbUrl::secrets`]) replaced by `***`, then
    /// redacted by [`crate::redact::known`] like every other message (URL passwords and
    /// secret parameters of any other URL in it too).
    #[doc(hidden)] // public for the fuzz targets (fuzz/)
    pub fn scrub(&self, text: &str) -> String {
        crate::redact::known(text, &self.secrets())
    }
}

/// Parses a Prisma datasource URL.
///
/// * `postgresql://` / `postgres://` → [`Provider::Postgres`]; `schema` defaults to `"public"`.
/// * `mysql://` → [`Provider::Mysql`].
/// * `file:<path>` (also `file://<abs path>`, `sqlite:<path>`) → [`Provider::Sqlite`]; relative
///   paths are resolved against `schema_dir` (the directory holding `schema.prisma`), as Prisma
///   does. The file is not touched.
///
/// Prisma-only parameters are removed from the URL handed to sqlx; see the module docs.
///
/// # Errors
/// [`UrlError::Empty`], [`UrlError::UnsupportedScheme`] (only the scheme is quoted) or
/// [`UrlError::Invalid`] (names the problem, never the URL or its password).
pub fn parse(raw: &str, schema_dir: &Path) -> Result<DbUrl, UrlError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(UrlError::Empty);
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("file:") || lower.starts_with("sqlite:") {
        return parse_sqlite(trimmed, schema_dir);
    }
    let Some((scheme, _)) = trimmed.split_once(':') else {
        return Err(UrlError::Invalid(
            "missing scheme (e.g. postgresql://)".into(),
        ));
    };
    let provider = match scheme.to_ascii_lowercase().as_str() {
        "postgres" | "postgresql" => Provider::Postgres,
        "mysql" => Provider::Mysql,
        _ => {
            // Only report the scheme when it looks like one; otherwise it could be anything.
            let shown = if scheme.len() <= 32
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            {
                scheme.to_owned()
            } else {
                "?".to_owned()
            };
            return Err(UrlError::UnsupportedScheme(shown));
        }
    };
    let url = Url::parse(trimmed).map_err(|e| UrlError::Invalid(e.to_string()))?;
    if url.cannot_be_a_base() {
        return Err(UrlError::Invalid(
            "expected scheme://user:password@host:port/database".into(),
        ));
    }
    let mut translated = Translated::default();
    match provider {
        Provider::Postgres => translate_postgres(&url, schema_dir, &mut translated),
        Provider::Mysql => translate_mysql(&url, schema_dir, &mut translated),
        // `file:` URLs were handled above.
        Provider::Sqlite => {}
    }
    let mut sqlx = url.clone();
    sqlx.set_query(None);
    if !translated.pairs.is_empty() {
        let mut q = sqlx.query_pairs_mut();
        for (k, v) in &translated.pairs {
            q.append_pair(k, v);
        }
    }
    Ok(DbUrl {
        provider,
        masked: mask(&url),
        schema: translated.schema,
        sqlite_path: None,
        dropped: translated.dropped,
        raw: trimmed.to_owned(),
        sqlx_url: sqlx.to_string(),
    })
}

/// `s` percent-decoded (a `+` stays a `+`, a `&` stays a `&`).
fn percent_decode(s: &str) -> String {
    // `+` and `&` mean space and "next pair" to the form decoder, not in a URL's user info
    // or path (`&` found by fuzz/url_redact: `pa&ss` decoded to `pa`).
    url::form_urlencoded::parse(
        format!("x={}", s.replace('+', "%2B").replace('&', "%26")).as_bytes(),
    )
    .next()
    .map(|(_, v)| v.into_owned())
    .unwrap_or_else(|| s.to_owned())
}

/// The URL with its password and any secret-bearing parameter values replaced by `***`,
/// through the one redactor ([`crate::redact::text`]).
fn mask(url: &Url) -> String {
    crate::redact::text(url.as_str()).into_owned()
}

#[cfg(test)]
mod tests;
