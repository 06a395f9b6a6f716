//! Which database another migrate run on this machine works on, resolved as the Prisma CLI
//! resolves it: the variable in its own environment (`/proc/<pid>/environ`), else the value
//! in the `.env` files of the project it runs in (Prisma loads them for what is not set) —
//! so a project-local `prisma migrate dev` without `DATABASE_URL` in its environment is
//! known to migrate the local database, not production. What cannot be resolved at all is
//! [`RunDb::Unknown`]: the guarded migrate refuses then, to be safe.

use crate::collect::environments::{EnvFiles, Lookup};
use crate::collect::migrate_target::database_key;
use crate::db::url::DbUrl;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// What a run works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunDb {
    /// The databases it may migrate ([`key`]s: the datasource's `url` and `directUrl`).
    Keys(BTreeSet<String>),
    /// Neither its environment nor its project's `.env` says.
    Unknown,
}

/// A database's identity, credentials left out: `<scheme>://<host>[:<port>]/<db>`, or for
/// SQLite `sqlite <absolute file>` (canonical when it exists).
pub fn key(url: &DbUrl) -> Option<String> {
    match &url.sqlite_path {
        Some(p) => Some(format!(
            "sqlite {}",
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
        )),
        None => database_key(url.raw()),
    }
}

/// Resolves runs' databases, reading each project's Prisma files and `.env` once.
#[derive(Default)]
pub struct Resolver {
    projects: Vec<(PathBuf, Project)>,
}

/// What a project says: its URL variables, its schema folder, its `.env` files, whether its
/// schema exists.
struct Project {
    vars: Vec<String>,
    schema_dir: PathBuf,
    files: EnvFiles,
    schema_exists: bool,
}

/// The schema files named on a Prisma command line: `--schema X`, `--schema=X`, the
/// schema-engine's `--datamodels X [Y …]`.
fn schema_args(cmd: &[String]) -> Vec<&str> {
    let words: Vec<&str> = cmd.iter().flat_map(|w| w.split_whitespace()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if let Some(v) = w.strip_prefix("--schema=") {
            out.push(v);
        } else if w == "--schema" || w == "--datamodels" {
            let many = w == "--datamodels";
            while let Some(v) = words.get(i + 1).filter(|v| !v.starts_with("--")) {
                out.push(v);
                i += 1;
                if !many {
                    break;
                }
            }
        }
        i += 1;
    }
    out
}

impl Resolver {
    /// Whether the schema a Prisma process (command line `cmd`, working directory `cwd`, in
    /// project `dir`) works with exists: the files its `--schema` / `--datamodels` name, else
    /// the project's schema as Prisma locates it. Without one Prisma stops at once ("Could not
    /// find Prisma Schema"): such a process migrates nothing.
    pub fn has_schema(&mut self, cmd: &[String], cwd: Option<&Path>, dir: &Path) -> bool {
        let named = schema_args(cmd);
        if named.is_empty() {
            return self.project(dir).schema_exists;
        }
        named.iter().any(|f| match cwd {
            Some(c) => c.join(f).exists(),
            None => Path::new(f).is_absolute() && Path::new(f).exists(),
        })
    }

    /// The database(s) process `pid`, working in project `dir`, migrates.
    pub fn resolve(&mut self, pid: u32, dir: &Path) -> RunDb {
        let p = self.project(dir);
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let mut keys = BTreeSet::new();
        for var in &p.vars {
            let own =
                crate::collect::proc_stat::environ_value(&environ, var).filter(|v| !v.is_empty());
            let value = own.or_else(|| match p.files.lookup_files(var) {
                Lookup::Found(v, _) => Some(v),
                Lookup::NotSet | Lookup::Unreadable(_) => None,
            });
            if let Some(k) = value
                .and_then(|v| crate::db::url::parse(&v, &p.schema_dir).ok())
                .and_then(|u| key(&u))
            {
                keys.insert(k);
            }
        }
        if keys.is_empty() {
            RunDb::Unknown
        } else {
            RunDb::Keys(keys)
        }
    }

    fn project(&mut self, dir: &Path) -> &Project {
        let at = match self.projects.iter().position(|(d, _)| d == dir) {
            Some(i) => i,
            None => {
                let prisma = crate::prisma::project::locate(dir, None, None);
                let schema_dir = prisma
                    .schema_path
                    .parent()
                    .map_or_else(|| dir.to_owned(), Path::to_owned);
                let files = EnvFiles::load(dir, &schema_dir);
                let project = Project {
                    vars: crate::prisma::url_vars::url_vars(&prisma),
                    schema_dir,
                    files,
                    schema_exists: prisma.schema_path.exists(),
                };
                self.projects.push((dir.to_owned(), project));
                self.projects.len() - 1
            }
        };
        &self.projects[at].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_without_the_variable_reads_its_projects_env_file() {
        let dir = tempfile::tempdir().expect("dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("prisma")).expect("prisma");
        std::fs::write(
            root.join("prisma/schema.prisma"),
            "datasource db {\n  provider = \"sqlite\"\n  url = env(\"APP_DB\")\n}\n",
        )
        .expect("schema");
        // This test process has no APP_DB in its environment: only the .env says.
        let me = std::process::id();
        let mut r = Resolver::default();
        assert!(r.has_schema(&[], Some(root), root));
        let argv = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert!(!r.has_schema(
            &argv("prisma migrate dev --schema=x.prisma"),
            Some(root),
            root
        ));
        assert!(r.has_schema(
            &argv("schema-engine --datamodels nope.prisma prisma/schema.prisma"),
            Some(root),
            root
        ));
        assert_eq!(Resolver::default().resolve(me, root), RunDb::Unknown);
        std::fs::write(root.join(".env"), "APP_DB=\"file:./dev.db\"\n").expect(".env");
        let want = format!("sqlite {}", root.join("prisma/dev.db").display());
        assert_eq!(
            Resolver::default().resolve(me, root),
            RunDb::Keys([want].into())
        );
    }
}
