//! Database environments: `local` (the Prisma datasource's variable, `DATABASE_URL` by
//! default) plus the `[[database]]` entries of devtop.toml. URLs only ever come from the
//! environment: the process environment first, then the project's `.env`, then `prisma/.env`
//! (the files Prisma loads), parsed like Prisma's dotenv ([`crate::prisma::dotenv`]) without
//! changing devtop's own environment. Each `.env` is read once, through
//! [`crate::bounded_read`].

use crate::bounded_read::{self, ReadError};
use crate::config::Config;
use crate::db::url::{DbUrl, parse};
use crate::prisma::dotenv::{self, Dotenv};
use crate::prisma::project::PrismaProject;
use std::path::{Path, PathBuf};

/// One environment to probe.
#[derive(Debug, Clone)]
pub struct EnvSpec {
    /// Name shown in the panes: "local", "staging", ...
    pub name: String,
    /// The variable holding the URL.
    pub url_env: String,
    /// The parsed URL, or why there is none ("STAGING_DATABASE_URL is not set (…)", a parse
    /// error, an unreadable `.env`). Never contains a password.
    pub url: Result<DbUrl, String>,
    /// True when `url` is an error in the configuration rather than an unset variable: the
    /// value is not a usable URL, or a `.env` that had to be read could not be.
    pub config_error: bool,
    /// Where the value was found: "environment", ".env", "prisma/.env".
    pub source: Option<String>,
}

impl EnvSpec {
    /// The masked URL, when there is one.
    pub fn masked(&self) -> Option<&str> {
        self.url.as_ref().ok().map(|u| u.masked.as_str())
    }
}

/// The `.env` files of a project, each read and parsed once.
#[derive(Debug, Clone)]
pub struct EnvFiles {
    /// `(name shown, the parsed file or why it could not be read)`, in lookup order; absent
    /// files are left out.
    files: Vec<(String, Result<Dotenv, ReadError>)>,
}

/// The result of looking a variable up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Its value and where it was found ("environment", ".env", "prisma/.env").
    Found(String, String),
    /// Set nowhere.
    NotSet,
    /// A `.env` that might hold it could not be read (the message names the file).
    Unreadable(String),
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl EnvFiles {
    /// Reads `<root>/.env`, then `<schema_dir>/.env` (when it is another file).
    pub fn load(root: &Path, schema_dir: &Path) -> EnvFiles {
        let mut paths: Vec<PathBuf> = vec![root.join(".env")];
        let prisma_env = schema_dir.join(".env");
        if !paths.contains(&prisma_env) {
            paths.push(prisma_env);
        }
        let files = paths
            .into_iter()
            // Absent files (or dangling symlinks) are skipped, like Prisma's `existsSync`.
            .filter(|p| {
                !matches!(std::fs::metadata(p), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
            })
            .map(|p| {
                let shown = p.strip_prefix(root).unwrap_or(&p).to_owned();
                let parsed = bounded_read::read_text(&p, bounded_read::DOTENV_MAX)
                    .map(|text| dotenv::parse(&text))
                    .map_err(|e| e.with_path(&shown));
                (shown.display().to_string(), parsed)
            })
            .collect();
        EnvFiles { files }
    }

    /// One warning per skipped line: "prisma/.env:3: skipped: not a `NAME=value` line …".
    /// The line itself is never quoted (it may hold a password).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (shown, parsed) in &self.files {
            if let Ok(d) = parsed {
                for line in &d.skipped {
                    out.push(format!(
                        "{shown}:{line}: skipped: not a `NAME=value` line (names are ASCII \
                         letters, digits, `_`, `.`, `-`)"
                    ));
                }
            }
        }
        out
    }

    /// Looks `name` up in the process environment (non-empty values only), then in each file
    /// in order (expanded like Prisma's dotenv-expand). A file that cannot be read stops the
    /// search with [`Lookup::Unreadable`]: Prisma would fail on it too.
    pub fn lookup(&self, name: &str) -> Lookup {
        if let Some(v) = process_env(name).filter(|v| !v.is_empty()) {
            return Lookup::Found(v, "environment".into());
        }
        self.lookup_files(name)
    }

    /// [`EnvFiles::lookup`] in the files only: what a Prisma CLI started without `name` in
    /// its environment reads (devtop's own environment is not that process's).
    pub fn lookup_files(&self, name: &str) -> Lookup {
        for (shown, parsed) in &self.files {
            match parsed {
                Ok(d) => {
                    if let Some(v) = d.get(name, &process_env).filter(|v| !v.is_empty()) {
                        return Lookup::Found(v, shown.clone());
                    }
                }
                Err(e) => return Lookup::Unreadable(e.to_string()),
            }
        }
        Lookup::NotSet
    }
}

fn spec(name: &str, url_env: &str, files: &EnvFiles, root: &Path, schema_dir: &Path) -> EnvSpec {
    let mut s = EnvSpec {
        name: name.to_owned(),
        url_env: url_env.to_owned(),
        url: Err(String::new()),
        config_error: false,
        source: None,
    };
    match files.lookup(url_env) {
        Lookup::Found(raw, source) => {
            s.url = parse(&raw, schema_dir).map_err(|e| format!("{url_env}: {e}"));
            s.config_error = s.url.is_err();
            s.source = Some(source);
        }
        Lookup::NotSet => {
            s.url = Err(format!(
                "{url_env} is not set (environment, .env, {}/.env)",
                schema_dir
                    .strip_prefix(root)
                    .unwrap_or(schema_dir)
                    .display()
            ));
        }
        Lookup::Unreadable(why) => {
            s.url = Err(format!("{url_env}: cannot be looked up: {why}"));
            s.config_error = true;
        }
    }
    s
}

/// The environments of a project: `local` first (unless devtop.toml defines its own entry
/// named "local"), then the `[[database]]` entries in file order; and the warnings about the
/// `.env` files (skipped lines), which are also logged.
pub fn resolve(
    root: &Path,
    config: &Config,
    project: &PrismaProject,
) -> (Vec<EnvSpec>, Vec<String>) {
    let schema_dir = project
        .schema_path
        .parent()
        .map_or_else(|| root.to_owned(), Path::to_owned);
    let files = EnvFiles::load(root, &schema_dir);
    let mut out = Vec::new();
    if !config.databases.iter().any(|d| d.name == "local") {
        out.push(spec("local", &project.url_env, &files, root, &schema_dir));
    }
    for d in &config.databases {
        out.push(spec(&d.name, &d.url_env, &files, root, &schema_dir));
    }
    for s in &out {
        if let Ok(u) = &s.url
            && !u.dropped.is_empty()
        {
            log::info!(
                "{}: Prisma-only URL parameters handled by devtop, not sent to the driver: {}",
                s.name,
                u.dropped.join(", ")
            );
        }
    }
    let warnings = files.warnings();
    for w in &warnings {
        log::warn!("{w}");
    }
    (out, warnings)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_files_in_prisma_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("prisma")).unwrap();
        std::fs::write(
            root.join("prisma/.env"),
            "DEVTOP_T_A=postgresql://a:secret@h/a\nDEVTOP_T_B=mysql://b@h/b\n",
        )
        .unwrap();
        std::fs::write(
            root.join(".env"),
            "# comment\nDEVTOP_T_A=postgresql://root:pw@h/root\n",
        )
        .unwrap();
        let schema_dir = root.join("prisma");
        let files = EnvFiles::load(root, &schema_dir);
        let found = |v: &str, src: &str| Lookup::Found(v.to_owned(), src.to_owned());
        assert_eq!(
            files.lookup("DEVTOP_T_A"),
            found("postgresql://root:pw@h/root", ".env")
        );
        assert_eq!(
            files.lookup("DEVTOP_T_B"),
            found("mysql://b@h/b", "prisma/.env")
        );
        assert_eq!(files.lookup("DEVTOP_T_MISSING"), Lookup::NotSet);
        let s = spec("staging", "DEVTOP_T_MISSING", &files, root, &schema_dir);
        assert_eq!(
            s.url.unwrap_err(),
            "DEVTOP_T_MISSING is not set (environment, .env, prisma/.env)"
        );
        let s = spec("local", "DEVTOP_T_A", &files, root, &schema_dir);
        let masked = s.masked().unwrap();
        assert!(!masked.contains("pw"), "{masked}");
    }

    #[test]
    fn bad_lines_are_skipped_and_unreadable_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let schema_dir = root.join("prisma");
        std::fs::create_dir_all(&schema_dir).unwrap();
        std::fs::write(
            root.join(".env"),
            "junk line\nÄPFEL=1\nDEVTOP_T_C=postgresql://u:pw@h/c\n",
        )
        .unwrap();
        let files = EnvFiles::load(root, &schema_dir);
        assert!(matches!(files.lookup("DEVTOP_T_C"), Lookup::Found(v, _) if v.ends_with("/c")));
        let w = files.warnings();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with(".env:1: skipped: not a `NAME=value` line"),
            "{w:?}"
        );
        assert!(w[1].starts_with(".env:2: skipped"), "{w:?}");

        // `.env -> /dev/zero`: refused, and the lookup says which file.
        std::fs::remove_file(root.join(".env")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join(".env")).unwrap();
        let files = EnvFiles::load(root, &schema_dir);
        let s = spec("local", "DEVTOP_T_C", &files, root, &schema_dir);
        assert!(s.config_error);
        let e = s.url.unwrap_err();
        assert!(e.contains(".env: refused: a character device"), "{e}");
        // An invalid URL is a configuration error too, an unset variable is not.
        std::fs::remove_file(root.join(".env")).unwrap();
        std::fs::write(schema_dir.join(".env"), "DEVTOP_T_C=mongodb://h/x\n").unwrap();
        let files = EnvFiles::load(root, &schema_dir);
        let s = spec("local", "DEVTOP_T_C", &files, root, &schema_dir);
        assert!(s.config_error && s.url.is_err());
        let s = spec("local", "DEVTOP_T_UNSET", &files, root, &schema_dir);
        assert!(!s.config_error && s.url.is_err());
    }
}
