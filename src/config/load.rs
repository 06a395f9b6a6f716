//! Loading: reading a config file (a regular file within [`bounded_read::CONFIG_MAX`]),
//! parsing its TOML into the as-written form, and turning byte spans into file:line:col
//! errors; finding the project root.

use super::ConfigError;
use super::file::RawConfig;
use crate::bounded_read;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The text of config file `path`, read with [`bounded_read::read_text`].
///
/// # Errors
/// [`ConfigError::Read`] when it is missing, not a regular file, larger than
/// [`bounded_read::CONFIG_MAX`] or not UTF-8.
pub(super) fn read(path: &Path) -> Result<String, ConfigError> {
    bounded_read::read_text(path, bounded_read::CONFIG_MAX).map_err(|e| ConfigError::Read {
        path: path.to_owned(),
        reason: e.reason(),
    })
}

/// Parse `text` (of `path`, named in errors) into its as-written form.
///
/// # Errors
/// [`ConfigError::Invalid`] at a syntax error, an unknown key or a value of the wrong type,
/// quoting the line (secrets redacted, control bytes escaped, at most 120 characters).
pub(super) fn parse(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let (line, _) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        // Never echo a secret (a database URL's password, `password = "…"`) nor a control
        // byte: the snippet goes through the one redactor and the one sanitiser.
        let line_text = text.lines().nth(line - 1).unwrap_or("").trim();
        let snippet: String = crate::sanitize::clean(&crate::redact::text(line_text))
            .chars()
            .take(120)
            .collect();
        invalid(
            text,
            path,
            e.span(),
            format!("{} (in `{snippet}`)", e.message().trim()),
        )
    })
}

/// [`ConfigError::Invalid`] for `path` at byte range `span` of `text` (line 1, column 1
/// when there is none).
pub(super) fn invalid(
    text: &str,
    path: &Path,
    span: Option<Range<usize>>,
    message: String,
) -> ConfigError {
    let (line, col) = span.map_or((1, 1), |s| line_col(text, s.start));
    ConfigError::Invalid {
        path: path.to_owned(),
        line,
        col,
        message,
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The project root: the nearest ancestor of `start` (itself included) holding devtop.toml,
/// package.json or a prisma/ directory; `start` itself when none does.
pub fn find_project_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|d| {
            d.join("devtop.toml").is_file()
                || d.join("package.json").is_file()
                || d.join("prisma").is_dir()
        })
        .unwrap_or(start)
        .to_owned()
}
