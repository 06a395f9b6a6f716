//! Database environments: `local` (the Prisma datasource's variable, `DATABASE_URL` by
//! default) plus the `[[database]]` entries of devtop.toml. URLs only ever come from the
//! environment: the process environment first, then the project's `.env`, then `prisma/.env`
//! (the files Prisma loads), read with dotenvy without changing devtop's own environment.

use crate::config::Config;
use crate::db::url::{DbUrl, parse};
use crate::prisma::project::PrismaProject;
use std::path::Path;

/// One environment to probe.
#[derive(Debug, Clone)]
pub struct EnvSpec {
    /// Name shown in the panes: "local", "staging", ...
    pub name: String,
    /// The variable holding the URL.
    pub url_env: String,
    /// The parsed URL, or why there is none ("STAGING_DATABASE_URL is not set (…)", a parse
    /// error). Never contains a password.
    pub url: Result<DbUrl, String>,
    /// Where the value was found: "environment", ".env", "prisma/.env".
    pub source: Option<String>,
}

impl EnvSpec {
    /// The masked URL, when there is one.
    pub fn masked(&self) -> Option<&str> {
        self.url.as_ref().ok().map(|u| u.masked.as_str())
    }
}

/// Look `name` up in the process environment, then `<root>/.env`, then `<schema_dir>/.env`.
/// Returns the value and where it was found.
pub fn lookup_var(name: &str, root: &Path, schema_dir: &Path) -> Option<(String, String)> {
    if let Ok(v) = std::env::var(name)
        && !v.is_empty()
    {
        return Some((v, "environment".into()));
    }
    let mut files = vec![root.join(".env")];
    let prisma_env = schema_dir.join(".env");
    if !files.contains(&prisma_env) {
        files.push(prisma_env);
    }
    for file in files {
        let Ok(iter) = dotenvy::from_path_iter(&file) else {
            continue;
        };
        for item in iter {
            match item {
                Ok((k, v)) if k == name && !v.is_empty() => {
                    let shown = file
                        .strip_prefix(root)
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    return Some((v, shown));
                }
                Ok(_) => {}
                Err(_) => {
                    // dotenvy's message quotes the raw line, which may hold a URL: name the file only.
                    log::warn!("{}: cannot parse (later lines ignored)", file.display());
                    break;
                }
            }
        }
    }
    None
}

fn spec(name: &str, url_env: &str, root: &Path, schema_dir: &Path) -> EnvSpec {
    match lookup_var(url_env, root, schema_dir) {
        Some((raw, source)) => EnvSpec {
            name: name.to_owned(),
            url_env: url_env.to_owned(),
            url: parse(&raw, schema_dir).map_err(|e| format!("{url_env}: {e}")),
            source: Some(source),
        },
        None => EnvSpec {
            name: name.to_owned(),
            url_env: url_env.to_owned(),
            url: Err(format!(
                "{url_env} is not set (environment, .env, {}/.env)",
                schema_dir
                    .strip_prefix(root)
                    .unwrap_or(schema_dir)
                    .display()
            )),
            source: None,
        },
    }
}

/// The environments of a project: `local` first (unless devtop.toml defines its own entry
/// named "local"), then the `[[database]]` entries in file order.
pub fn resolve(root: &Path, config: &Config, project: &PrismaProject) -> Vec<EnvSpec> {
    let schema_dir = project
        .schema_path
        .parent()
        .map_or_else(|| root.to_owned(), Path::to_owned);
    let mut out = Vec::new();
    if !config.databases.iter().any(|d| d.name == "local") {
        out.push(spec("local", &project.url_env, root, &schema_dir));
    }
    for d in &config.databases {
        out.push(spec(&d.name, &d.url_env, root, &schema_dir));
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
    out
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
        let (v, src) = lookup_var("DEVTOP_T_A", root, &schema_dir).unwrap();
        assert_eq!(
            (v.as_str(), src.as_str()),
            ("postgresql://root:pw@h/root", ".env")
        );
        let (v, src) = lookup_var("DEVTOP_T_B", root, &schema_dir).unwrap();
        assert_eq!((v.as_str(), src.as_str()), ("mysql://b@h/b", "prisma/.env"));
        assert!(lookup_var("DEVTOP_T_MISSING", root, &schema_dir).is_none());
        let s = spec("staging", "DEVTOP_T_MISSING", root, &schema_dir);
        assert_eq!(
            s.url.unwrap_err(),
            "DEVTOP_T_MISSING is not set (environment, .env, prisma/.env)"
        );
        let s = spec("local", "DEVTOP_T_A", root, &schema_dir);
        let masked = s.masked().unwrap();
        assert!(!masked.contains("pw"), "{masked}");
    }
}
