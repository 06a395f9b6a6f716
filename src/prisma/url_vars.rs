//! The one rule for "the environment a Prisma child gets for target X": every variable
//! through which the project's Prisma CLI (and the schema-engine it starts) could read a
//! database URL is set to the target's URL, so a child run for staging can never fall back
//! on the local URL of `.env` (Prisma loads `.env` only for variables that are not set).
//!
//! The variables: prisma.config.ts's `datasource.url = env("X")`, the schema datasource's
//! `url = env("X")` and its `directUrl = env("X")` (the schema-engine prefers `directUrl`
//! for migrations and diffs), else `DATABASE_URL`. The URL goes in the environment only,
//! never in argv (which any user can read in `/proc`). Used by the drift diff
//! ([`crate::effects::prisma_diff`]) and the guarded migrate ([`crate::effects::migrate`]).

use crate::db::url::DbUrl;
use crate::model::schema::UrlSource;
use crate::prisma::project::PrismaProject;

/// The variables a Prisma child of `prisma` reads its database URL from, deduplicated, in
/// the order: the project's URL variable (prisma.config.ts's, else the datasource's, else
/// `DATABASE_URL`), the datasource's `url` variable, its `directUrl` variable.
pub fn url_vars(prisma: &PrismaProject) -> Vec<String> {
    let ds = prisma.schema.as_ref().and_then(|s| s.datasource.as_ref());
    let url = ds.and_then(|d| match &d.url {
        Some(UrlSource::Env(v)) => Some(v.as_str()),
        _ => None,
    });
    let direct = ds.and_then(|d| d.direct_url_env());
    let mut out: Vec<String> = Vec::new();
    for v in [Some(prisma.url_env.as_str()), url, direct]
        .into_iter()
        .flatten()
    {
        if !v.is_empty() && !out.iter().any(|o| o == v) {
            out.push(v.to_owned());
        }
    }
    out
}

/// The environment of a Prisma child for the database at `url`: each of `vars` (from
/// [`url_vars`]) set to its raw URL.
pub fn env_for(vars: &[String], url: &DbUrl) -> Vec<(String, String)> {
    vars.iter()
        .map(|v| (v.clone(), url.raw().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(config_var: &str, schema: &str) -> PrismaProject {
        PrismaProject {
            url_env: config_var.into(),
            schema: Some(crate::model::schema::parse(schema).expect("schema")),
            ..PrismaProject::default()
        }
    }

    #[test]
    fn config_datasource_and_direct_url_variables_all_get_the_url() {
        let p = project(
            "APP_DB",
            "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n  directUrl = env(\"DIRECT_URL\")\n}\n",
        );
        assert_eq!(url_vars(&p), ["APP_DB", "DATABASE_URL", "DIRECT_URL"]);
        let p = project(
            "DATABASE_URL",
            "datasource db {\n  provider = \"sqlite\"\n  url = env(\"DATABASE_URL\")\n}\n",
        );
        assert_eq!(url_vars(&p), ["DATABASE_URL"]);
        let dir = std::path::Path::new("/tmp");
        let url = crate::db::url::parse("postgresql://a:pw@h:1/d", dir).expect("url");
        assert_eq!(
            env_for(&url_vars(&p), &url),
            [(
                "DATABASE_URL".to_owned(),
                "postgresql://a:pw@h:1/d".to_owned()
            )]
        );
    }
}
