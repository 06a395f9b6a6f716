//! Which database a migrate run works on, as far as devtop can tell without asking it: the
//! `DATABASE_URL` in its environment (credentials left out), else its Prisma project
//! directory. Two runs with the same target fight over Prisma's one migrate lock.

use std::path::{Path, PathBuf};

/// `<scheme>://<host>[:<port>]/<db>` of a database URL, without user, password or parameters
/// (`?…`, `#…`, and SQL Server's `;key=value` ones, which may hold `password=`); `None` when it
/// has no `://`.
pub fn database_key(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let rest = rest.split(['?', '#', ';']).next().unwrap_or(rest);
    Some(format!("{scheme}://{}", rest.trim_end_matches('/')))
}

/// The `--schema` argument of a Prisma command line, when given.
fn schema_arg(cmd: &[String]) -> Option<&str> {
    let mut words = cmd.iter().flat_map(|w| w.split_whitespace());
    while let Some(w) = words.next() {
        if let Some(v) = w.strip_prefix("--schema=") {
            return Some(v);
        }
        if w == "--schema" {
            return words.next();
        }
    }
    None
}

/// The nearest directory at or above `dir` holding `prisma.config.ts`, `prisma/schema.prisma`
/// or `package.json`; `dir` itself when there is none.
pub fn project_dir(dir: &Path) -> PathBuf {
    const MARKS: &[&str] = &["prisma.config.ts", "prisma/schema.prisma", "package.json"];
    dir.ancestors()
        .find(|d| MARKS.iter().any(|m| d.join(m).exists()))
        .unwrap_or(dir)
        .to_owned()
}

/// The target of a migrate run: `database <key>` from `database_url` (its environment's
/// `DATABASE_URL`), else `project <dir>` from its `--schema` or its cwd; `None` when neither is
/// known.
pub fn migrate_target(
    database_url: Option<&str>,
    cmd: &[String],
    cwd: Option<&Path>,
) -> Option<String> {
    if let Some(key) = database_url.and_then(database_key) {
        return Some(format!("database {key}"));
    }
    let cwd = cwd?;
    let start = match schema_arg(cmd) {
        Some(schema) => cwd
            .join(schema)
            .parent()
            .map_or_else(|| cwd.to_owned(), Path::to_owned),
        None => cwd.to_owned(),
    };
    Some(format!("project {}", project_dir(&start).display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn database_keys_leave_credentials_and_parameters_out() {
        assert_eq!(
            database_key("postgresql://app:s3cret@db.local:5432/app?schema=public").as_deref(),
            Some("postgresql://db.local:5432/app")
        );
        assert_eq!(
            database_key("mysql://root@127.0.0.1:3306/test").as_deref(),
            Some("mysql://127.0.0.1:3306/test")
        );
        assert_eq!(database_key("file:./dev.db"), None);
    }

    #[test]
    fn project_from_schema_argument_or_cwd() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("api/prisma")).unwrap();
        std::fs::create_dir_all(root.join("api/src")).unwrap();
        std::fs::write(root.join("api/package.json"), "{}").unwrap();
        std::fs::write(root.join("api/prisma/schema.prisma"), "").unwrap();
        let api = root.join("api");
        let argv = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            migrate_target(
                None,
                &argv("node prisma migrate dev"),
                Some(&api.join("src"))
            ),
            Some(format!("project {}", api.display()))
        );
        assert_eq!(
            migrate_target(
                None,
                &argv("node prisma migrate dev --schema api/prisma/schema.prisma"),
                Some(root)
            ),
            Some(format!("project {}", api.display()))
        );
        assert_eq!(
            migrate_target(
                Some("postgresql://u:p@h:5432/d"),
                &argv("node prisma migrate dev"),
                Some(root)
            )
            .as_deref(),
            Some("database postgresql://h:5432/d")
        );
        assert_eq!(migrate_target(None, &[], None), None);
    }
}
