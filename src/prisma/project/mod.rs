//! Locate a project's Prisma files (schema, migrations folder, the variable holding the
//! database URL) the way the Prisma CLI does, without running anything.
//!
//! Schema, in order: the explicit override (devtop.toml `[prisma] schema`), `schema` of
//! `prisma.config.ts` (also `.mts`/`.cts`/`.js`/`.mjs`/`.cjs`, or `.config/prisma.ts`), the
//! `"prisma": {"schema": ...}` key of package.json (ignored when a config file exists, like
//! Prisma does), then `prisma/schema.prisma` (or `schema.prisma` at the root, or a
//! `prisma/schema/` folder of `.prisma` files when those exist instead).
//!
//! Migrations, in order: the override (`[prisma] migrations`), `migrations.path` of the config
//! file, then `migrations/` next to the schema (for a schema folder: next to the file holding
//! the datasource).
//!
//! URL variable: `datasource.url` of the config file, else the schema's `url = env("X")`, else
//! `DATABASE_URL`.
//!
//! Overrides are relative to the project root; config file paths to the config file's folder.
//! Anything that could not be read or had to be guessed is explained in
//! [`PrismaProject::notes`]; what could not be read at all (a file refused by
//! [`crate::bounded_read`], a schema with syntax errors, a configured schema that does not
//! exist, a config nested too deep) is also listed in [`PrismaProject::errors`].

use crate::bounded_read::{self, ReadError};
use crate::model::schema::{self, Schema, UrlSource};
use crate::prisma::config_ts::{self, PrismaConfigTs};
use std::path::{Path, PathBuf};

/// Config file names Prisma looks for at the project root, in its order.
pub const CONFIG_FILES: [&str; 7] = [
    "prisma.config.ts",
    "prisma.config.mts",
    "prisma.config.cts",
    "prisma.config.js",
    "prisma.config.mjs",
    "prisma.config.cjs",
    ".config/prisma.ts",
];

/// The URL variable when nothing names another one.
pub const DEFAULT_URL_ENV: &str = "DATABASE_URL";

/// Where a project's Prisma files are and what they say.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct PrismaProject {
    /// The schema file (or folder, for a multi-file schema); it may not exist (see `notes`).
    pub schema_path: PathBuf,
    /// The migrations folder; it may not exist yet.
    pub migrations_dir: PathBuf,
    /// The environment variable holding the database URL (default `DATABASE_URL`).
    pub url_env: String,
    /// The datasource `provider` of the schema (`postgresql`, `mysql`, `sqlite`, ...), when the
    /// schema was read and has a datasource.
    pub provider: Option<String>,
    /// The parsed schema; `None` when it is missing or could not be parsed. For a schema
    /// folder, the files that parsed, merged.
    pub schema: Option<Schema>,
    /// Human-readable notes on fallbacks and problems, e.g. "prisma.config.ts: schema: computed
    /// at runtime; devtop does not run it, so it used the default" or
    /// "prisma/schema.prisma:12: unmatched `}`".
    pub notes: Vec<String>,
    /// The notes that are errors (a file that could not be read or parsed, a configured schema
    /// that does not exist), each naming the file and, when known, the line. Headless
    /// commands print these and fail their check.
    pub errors: Vec<String>,
    /// Where the migrations folder was configured ("devtop.toml [prisma] migrations",
    /// "prisma.config.ts migrations.path"); `None` for the default next to the schema. A
    /// configured folder that does not exist is a configuration error.
    pub migrations_configured: Option<String>,
}

/// Notes and the subset of them that are errors, as they are collected.
#[derive(Default)]
struct Notes {
    notes: Vec<String>,
    errors: Vec<String>,
}

impl Notes {
    fn note(&mut self, n: String) {
        self.notes.push(n);
    }

    fn error(&mut self, e: String) {
        self.notes.push(e.clone());
        self.errors.push(e);
    }
}

/// Locate the Prisma files of the project at `root`. `schema_override` and
/// `migrations_override` come from devtop.toml's `[prisma]` section and are relative to `root`.
/// Never fails: problems end up in `notes`.
pub fn locate(
    root: &Path,
    schema_override: Option<&Path>,
    migrations_override: Option<&Path>,
) -> PrismaProject {
    let mut notes = Notes::default();
    let config = read_config(root, &mut notes);
    let (config_dir, cfg) = match &config {
        Some((dir, cfg, _)) => (dir.as_path(), Some(cfg)),
        None => (root, None),
    };

    let config_name = config
        .as_ref()
        .map(|(_, _, name)| name.as_str())
        .unwrap_or("prisma.config.ts");
    let (schema_path, schema_configured) =
        match (schema_override, cfg.and_then(|c| c.schema.as_deref())) {
            (Some(o), _) => (root.join(o), true),
            (None, Some(s)) => (config_dir.join(s), true),
            (None, None) => {
                let from_package = if config.is_none() {
                    package_json_schema(root, &mut notes)
                } else {
                    None
                };
                match from_package {
                    Some(s) => (root.join(s), true),
                    None => (default_schema(root), false),
                }
            }
        };

    let (schema, datasource_file) = read_schema(root, &schema_path, schema_configured, &mut notes);

    let (migrations_dir, migrations_configured) = migrations_location(
        root,
        config_dir,
        config_name,
        migrations_override,
        cfg.and_then(|c| c.migrations.as_deref()),
        &schema_path,
        datasource_file.as_deref(),
    );

    let datasource = schema.as_ref().and_then(|s| s.datasource.as_ref());
    let url_env = url_env_of(
        root,
        cfg.and_then(|c| c.url_env.clone()),
        datasource.and_then(|d| d.url.as_ref()),
        datasource_file.as_deref().unwrap_or(&schema_path),
        &mut notes,
    );

    PrismaProject {
        provider: datasource.map(|d| d.provider.clone()),
        schema_path,
        migrations_dir,
        url_env,
        schema,
        notes: notes.notes,
        errors: notes.errors,
        migrations_configured,
    }
}

/// The migrations folder and, when configured, where: `--migrations`/devtop.toml
/// `[prisma] migrations` (relative to the project root), then prisma.config.ts
/// `migrations.path` (relative to the config file), else `migrations/` beside the schema (beside
/// the datasource's file for a multi-file schema folder).
fn migrations_location(
    root: &Path,
    config_dir: &Path,
    config_name: &str,
    migrations_override: Option<&Path>,
    configured: Option<&str>,
    schema_path: &Path,
    datasource_file: Option<&Path>,
) -> (PathBuf, Option<String>) {
    match (migrations_override, configured) {
        (Some(o), _) => (
            root.join(o),
            Some("devtop.toml [prisma] migrations".to_owned()),
        ),
        (None, Some(m)) => (
            config_dir.join(m),
            Some(format!("{config_name} migrations.path")),
        ),
        (None, None) => {
            let base = if schema_path.is_dir() {
                datasource_file
                    .and_then(Path::parent)
                    .map_or_else(|| schema_path.to_owned(), Path::to_owned)
            } else {
                schema_path
                    .parent()
                    .map_or_else(|| root.to_owned(), Path::to_owned)
            };
            (base.join("migrations"), None)
        }
    }
}

/// The environment variable holding the database URL: prisma.config.ts's, then the datasource's
/// `env("…")`, else [`DEFAULT_URL_ENV`] (with a note when the URL is a literal string).
fn url_env_of(
    root: &Path,
    configured: Option<String>,
    url: Option<&UrlSource>,
    datasource_file: &Path,
    notes: &mut Notes,
) -> String {
    match (configured, url) {
        (Some(var), _) => var,
        (None, Some(UrlSource::Env(var))) => var.clone(),
        (None, Some(UrlSource::Literal)) => {
            notes.note(format!(
                "{}: the datasource url is a literal string (not shown); devtop reads \
                 {DEFAULT_URL_ENV} instead",
                shown(root, datasource_file)
            ));
            DEFAULT_URL_ENV.to_owned()
        }
        (None, None) => DEFAULT_URL_ENV.to_owned(),
    }
}

/// `path` relative to `root` when under it, for notes.
fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The first config file at `root`, read statically: (its folder, what it says, its name).
/// A config file that exists but cannot be read (refused, too large, not UTF-8) is an error;
/// the defaults are used instead.
fn read_config(root: &Path, notes: &mut Notes) -> Option<(PathBuf, PrismaConfigTs, String)> {
    let path = CONFIG_FILES
        .iter()
        .map(|name| root.join(name))
        .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir()))?;
    let dir = path
        .parent()
        .map_or_else(|| root.to_owned(), Path::to_owned);
    let name = shown(root, &path);
    let text = match bounded_read::read_text(&path, bounded_read::CONFIG_TS_MAX) {
        Ok(text) => text,
        Err(e) => {
            notes.error(format!(
                "{}; using the default locations",
                e.with_path(Path::new(&name))
            ));
            return Some((dir, PrismaConfigTs::default(), name));
        }
    };
    let cfg = config_ts::parse(&text);
    for e in &cfg.errors {
        notes.error(format!("{name}:{e}"));
    }
    if !cfg.unreadable.is_empty() {
        notes.note(format!(
            "{name}: {}; devtop does not run it, so the defaults are used there",
            cfg.unreadable.join("; ")
        ));
    }
    Some((dir, cfg, name))
}

/// `"prisma": {"schema": "..."}` of `<root>/package.json`. A package.json that exists but
/// cannot be read or is not JSON is an error.
fn package_json_schema(root: &Path, notes: &mut Notes) -> Option<String> {
    let path = root.join("package.json");
    let text = match bounded_read::read_text(&path, bounded_read::PACKAGE_JSON_MAX) {
        Ok(text) => text,
        Err(ReadError::NotFound { .. }) => return None,
        Err(e) => {
            notes.error(e.with_path(Path::new("package.json")).to_string());
            return None;
        }
    };
    let json: serde_json::Value = match serde_json::from_str(&text) {
        Ok(json) => json,
        Err(e) => {
            notes.error(format!("package.json:{}: invalid JSON: {e}", e.line()));
            return None;
        }
    };
    match json.get("prisma").and_then(|p| p.get("schema")) {
        None => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(_) => {
            notes.note("package.json: `prisma.schema` is not a string; ignored".to_owned());
            None
        }
    }
}

/// Prisma's default schema location: `prisma/schema.prisma`, else `schema.prisma`, else a
/// `prisma/schema/` folder; `prisma/schema.prisma` when none exists.
fn default_schema(root: &Path) -> PathBuf {
    let candidates = [
        root.join("prisma").join("schema.prisma"),
        root.join("schema.prisma"),
        root.join("prisma").join("schema"),
    ];
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| root.join("prisma").join("schema.prisma"))
}

/// Read and parse the schema file or folder. Returns the schema (None when nothing parsed)
/// and the file holding the datasource.
fn read_schema(
    root: &Path,
    path: &Path,
    configured: bool,
    notes: &mut Notes,
) -> (Option<Schema>, Option<PathBuf>) {
    if path.is_dir() {
        let mut files = Vec::new();
        collect_prisma_files(root, path, 0, &mut files, notes);
        files.sort();
        if files.is_empty() {
            notes.error(format!(
                "{}: no .prisma files in the schema folder",
                shown(root, path)
            ));
            return (None, None);
        }
        let mut merged: Option<Schema> = None;
        let mut datasource_file = None;
        for file in files {
            let Some(s) = parse_file(root, &file, notes) else {
                continue;
            };
            let m = merged.get_or_insert_with(Schema::default);
            if m.datasource.is_none() && s.datasource.is_some() {
                m.datasource = s.datasource;
                datasource_file = Some(file);
            }
            m.models.extend(s.models);
            m.enums.extend(s.enums);
        }
        // A field typed by a model of another file is a relation too (views of other files
        // are not known here: the parser skips them).
        if let Some(m) = merged.as_mut() {
            let names: std::collections::HashSet<String> =
                m.models.iter().map(|m| m.name.clone()).collect();
            for field in m.models.iter_mut().flat_map(|m| m.fields.iter_mut()) {
                field.is_relation |= names.contains(&field.type_name);
            }
        }
        return (merged, datasource_file);
    }
    if std::fs::symlink_metadata(path).is_err() {
        let msg = format!("schema not found: {}", shown(root, path));
        if configured {
            notes.error(msg);
        } else {
            notes.note(msg);
        }
        return (None, None);
    }
    let schema = parse_file(root, path, notes);
    let datasource_file = schema
        .as_ref()
        .filter(|s| s.datasource.is_some())
        .map(|_| path.to_owned());
    (schema, datasource_file)
}

fn parse_file(root: &Path, path: &Path, notes: &mut Notes) -> Option<Schema> {
    let text = match bounded_read::read_text(path, bounded_read::SCHEMA_MAX) {
        Ok(text) => text,
        Err(e) => {
            notes.error(e.with_path(Path::new(&shown(root, path))).to_string());
            return None;
        }
    };
    match schema::parse(&text) {
        Ok(s) => Some(s),
        Err(e) => {
            notes.error(format!("{}:{}: {}", shown(root, path), e.line, e.message));
            None
        }
    }
}

/// `.prisma` files under `dir`, recursively (skipping dot-folders and `migrations`; at most 8
/// levels deep, which also stops symlink loops).
fn collect_prisma_files(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<PathBuf>,
    notes: &mut Notes,
) {
    if depth > 8 {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            notes.error(format!(
                "{}: unreadable: {}",
                shown(root, dir),
                bounded_read::io_reason(&e)
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            if name != "migrations" {
                collect_prisma_files(root, &path, depth + 1, out, notes);
            }
        } else if path.extension().is_some_and(|e| e == "prisma") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests;
