//! SQLite datasource URLs (`file:`, `sqlite:`): the database file's path.

use super::{DbUrl, UrlError, percent_decode};
use crate::model::provider::Provider;
use std::path::{Component, Path, PathBuf};

/// A `file:` / `sqlite:` URL: the path resolved against `schema_dir`, query parameters
/// dropped (listed in `dropped`).
pub(super) fn parse_sqlite(trimmed: &str, schema_dir: &Path) -> Result<DbUrl, UrlError> {
    let (scheme_len, _) = trimmed
        .char_indices()
        .find(|(_, c)| *c == ':')
        .ok_or_else(|| UrlError::Invalid("missing `file:` prefix".into()))?;
    let rest = &trimmed[scheme_len + 1..];
    let (path_part, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    // `file:///abs/dev.db` and `file://./dev.db` → strip the empty authority.
    let path_part = path_part.strip_prefix("//").unwrap_or(path_part);
    if path_part.is_empty() {
        return Err(UrlError::Invalid("SQLite URL has no file path".into()));
    }
    if path_part == ":memory:" || path_part.starts_with(":memory:") {
        return Err(UrlError::Invalid(
            "an in-memory SQLite database cannot be monitored".into(),
        ));
    }
    let path = resolve(schema_dir, &percent_decode(path_part));
    let mut dropped = Vec::new();
    if let Some(q) = query {
        for (k, _) in url::form_urlencoded::parse(q.as_bytes()) {
            let k = k.into_owned();
            if !dropped.contains(&k) {
                dropped.push(k);
            }
        }
    }
    Ok(DbUrl {
        provider: Provider::Sqlite,
        masked: trimmed.to_owned(),
        schema: None,
        sqlite_path: Some(path),
        dropped,
        raw: trimmed.to_owned(),
        sqlx_url: String::new(),
    })
}

/// `p` as is when absolute, else joined to `base`, with `.` components removed.
pub(super) fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    };
    joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}
