//! The environment of a guarded migrate's command for a non-local target (issue 11, the
//! auditor's HIGH finding): the variables the schema's datasource reads (`url` and
//! `directUrl`) carry the target's URL, so the Prisma CLI — which loads `.env` for what is not
//! set — can never migrate the local database while devtop reports on staging.

use crate::common::{Fixture, devtop_command, run_command};
use crate::db_common::skip;
use crate::migrate_guarded::{
    APPLY, INIT_SQL, M1, M2, SCHEMA, TABLE, applied, have_sqlite3, project, sha256, sqlite,
};

/// Dumps its environment to `env.dump`, then applies like [`APPLY`] (to `$DATABASE_URL`).
fn dump_then_apply() -> String {
    format!(
        "#!/bin/sh\nenv > env.dump\n{}",
        APPLY.trim_start_matches("#!/bin/sh\n")
    )
}

/// [`project`] with a `staging` environment (`STAGING_DATABASE_URL`, `prisma/staging.db`
/// with M1 applied, M2 pending); the datasource reads `DATABASE_URL` and `DIRECT_URL`, whose
/// local values are in `.env`.
pub(crate) fn staging_project(fx: &Fixture, script: &str) {
    project(fx, script, "30s");
    let root = fx.root();
    // The datasource reads DATABASE_URL and DIRECT_URL; .env holds the local values of both
    // and staging's URL in its own variable.
    std::fs::write(
        root.join("prisma/schema.prisma"),
        SCHEMA.replace(
            "url      = env(\"DATABASE_URL\")",
            "url      = env(\"DATABASE_URL\")\n  directUrl = env(\"DIRECT_URL\")",
        ),
    )
    .expect("schema");
    std::fs::write(
        root.join(".env"),
        "DATABASE_URL=\"file:./dev.db\"\nDIRECT_URL=\"file:./dev.db\"\nSTAGING_DATABASE_URL=\"file:./staging.db\"\n",
    )
    .expect(".env");
    let config = std::fs::read_to_string(root.join("devtop.toml")).expect("config");
    fx.write_config(&format!(
        "{config}[[database]]\nname = \"staging\"\nurl_env = \"STAGING_DATABASE_URL\"\n"
    ));
    let staging = root.join("prisma/staging.db");
    sqlite(&staging, TABLE);
    sqlite(&staging, INIT_SQL);
    sqlite(
        &staging,
        &format!(
            "INSERT INTO _prisma_migrations VALUES ('a','{}',1735689600000,'{M1}',NULL,NULL,1735689600000,1)",
            sha256(INIT_SQL)
        ),
    );
}

#[test]
fn a_staging_migrate_gives_the_schemas_variables_the_staging_url() {
    if !have_sqlite3() {
        return skip(
            "a_staging_migrate_gives_the_schemas_variables_the_staging_url",
            "no sqlite3 CLI",
        );
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    staging_project(&fx, &dump_then_apply());
    let root = fx.root();
    // devtop's own environment has the local URL too (as after `source .env`).
    let args: Vec<String> = vec![
        "migrate".into(),
        "--env".into(),
        "staging".into(),
        "--yes".into(),
        "--project".into(),
        root.to_string_lossy().into_owned(),
    ];
    let mut cmd = devtop_command();
    cmd.env("DATABASE_URL", "file:./dev.db")
        .env("DIRECT_URL", "file:./dev.db")
        .args(&args);
    let run = run_command(&mut cmd, args);
    let dump = std::fs::read_to_string(root.join("env.dump")).expect("the command ran");
    let vars: Vec<&str> = dump.lines().collect();
    for want in [
        "DATABASE_URL=file:./staging.db",
        "DIRECT_URL=file:./staging.db",
        "STAGING_DATABASE_URL=file:./staging.db",
    ] {
        assert!(vars.contains(&want), "{want} missing: {dump}\n{run}");
    }
    assert!(
        !dump.contains("dev.db"),
        "no local URL in the child's environment: {dump}"
    );
    assert!(
        run.stdout
            .contains(&format!("staging: {M2} pending → applied")),
        "{run}"
    );
    assert_eq!(run.code, Some(0), "{run}");
    let applied_on = |db: &str| {
        sqlite(
            &root.join("prisma").join(db),
            "SELECT group_concat(migration_name, ',') FROM (SELECT migration_name FROM _prisma_migrations ORDER BY migration_name)",
        )
    };
    assert_eq!(applied_on("staging.db"), format!("{M1},{M2}"));
    assert_eq!(applied(&fx), M1, "the local database is untouched");
}
