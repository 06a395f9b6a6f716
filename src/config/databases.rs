//! `[[database]]`: the environments besides the implicit `local` (staging, production, ...),
//! each naming the variable its URL is read from — never the URL itself.

use super::validate::{Invalid, fail};
use serde::Deserialize;
use toml::Spanned;

/// One `[[database]]` entry: an environment whose URL is read from the environment variable
/// `url_env` (process environment, then the project's .env, then prisma/.env). URLs are never
/// written in the config file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseEntry {
    /// Environment name shown in the panes ("staging").
    pub name: String,
    /// Name of the variable holding the URL ("STAGING_DATABASE_URL").
    pub url_env: String,
}

/// One `[[database]]` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    name: Spanned<String>,
    url_env: Spanned<String>,
}

impl RawDatabase {
    fn entry(&self) -> DatabaseEntry {
        DatabaseEntry {
            name: self.name.get_ref().clone(),
            url_env: self.url_env.get_ref().clone(),
        }
    }
}

/// Check `raw` (non-empty `name` and `url_env`, no name twice in one file), then the
/// environments: `base`'s, except those `raw` names again, followed by `raw`'s.
pub(super) fn resolve(
    raw: &[RawDatabase],
    base: &[DatabaseEntry],
) -> Result<Vec<DatabaseEntry>, Invalid> {
    let mut names = std::collections::HashSet::new();
    for d in raw {
        for v in [&d.name, &d.url_env] {
            if v.get_ref().trim().is_empty() {
                return fail(
                    v.span(),
                    "[[database]] needs a non-empty `name` and `url_env`".into(),
                );
            }
        }
        if !names.insert(d.name.get_ref().as_str()) {
            return fail(
                d.name.span(),
                format!("[[database]] name \"{}\" appears twice", d.name.get_ref()),
            );
        }
    }
    Ok(base
        .iter()
        .filter(|b| !names.contains(b.name.as_str()))
        .cloned()
        .chain(raw.iter().map(RawDatabase::entry))
        .collect())
}
