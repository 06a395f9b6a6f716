//! The guarded migrate's "one at a time" refusal resolves another run's database as Prisma
//! would (issue 11, auditor's finding): a project-local `prisma migrate dev` without
//! `DATABASE_URL` in its environment migrates what the project's `.env` names — it blocks a
//! migrate of that database, not of another environment's; a run whose database cannot be
//! told at all is refused, saying so.

use crate::common::{Fixture, devtop_command, run_command};
use crate::db_common::skip;
use crate::migrate_env::staging_project;
use crate::migrate_guarded::{APPLY, M1, M2, applied, have_sqlite3};
use std::path::Path;

/// A `node …/.bin/prisma migrate dev` stand-in (idle) in `cwd`, with no URL variable in its
/// environment; under the fixture's guard. Its PID.
fn migrate_dev_in(fx: &Fixture, cwd: &Path) -> u32 {
    let prisma = fx.root().join("node_modules/.bin/prisma");
    let mut cmd = std::process::Command::new(fx.link("node"));
    cmd.args([
        prisma.to_string_lossy().as_ref(),
        "migrate",
        "dev",
        fx.marker(),
    ])
    .current_dir(cwd)
    .env("DEVTOP_STANDIN", "sleep")
    .env_remove("DATABASE_URL")
    .env_remove("DIRECT_URL")
    .env_remove("STAGING_DATABASE_URL");
    fx.spawn_command(&mut cmd).0
}

fn migrate(fx: &Fixture, env: &str) -> crate::common::Run {
    let args: Vec<String> = vec![
        "migrate".into(),
        "--env".into(),
        env.into(),
        "--yes".into(),
        "--project".into(),
        fx.root().to_string_lossy().into_owned(),
    ];
    let mut cmd = devtop_command();
    cmd.env_remove("DATABASE_URL")
        .env_remove("DIRECT_URL")
        .args(&args);
    run_command(&mut cmd, args)
}

#[test]
fn a_local_migrate_dev_blocks_local_only() {
    if !have_sqlite3() {
        return skip("a_local_migrate_dev_blocks_local_only", "no sqlite3 CLI");
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    staging_project(&fx, APPLY);
    let pid = migrate_dev_in(&fx, fx.root());
    // Local: the run's project .env names local's database.
    let run = migrate(&fx, "local");
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout.contains(&format!(
            "refused: another migrate runs for this database: pid {pid} (prisma-migrate)"
        )),
        "{run}"
    );
    assert!(!run.stdout.contains("result:"), "{run}");
    assert_eq!(applied(&fx), M1, "nothing ran on local");
    // Staging: another database; the local run does not block it.
    let run = migrate(&fx, "staging");
    assert!(!run.stdout.contains("refused:"), "{run}");
    assert!(
        run.stdout
            .contains(&format!("staging: {M2} pending → applied")),
        "{run}"
    );
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(applied(&fx), M1, "local untouched");
}

#[test]
fn a_run_whose_database_cannot_be_told_refuses() {
    if !have_sqlite3() {
        return skip(
            "a_run_whose_database_cannot_be_told_refuses",
            "no sqlite3 CLI",
        );
    }
    // Its run refuses every guarded migrate of this user: no other test runs one meanwhile.
    let _alone = crate::common::migrate_alone();
    let fx = Fixture::new();
    staging_project(&fx, APPLY);
    // Another project: a schema, no .env, nothing in the run's environment.
    let other = fx.root().join("other");
    std::fs::create_dir_all(other.join("prisma")).expect("other");
    std::fs::write(other.join("package.json"), "{}").expect("package.json");
    std::fs::write(
        other.join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"OTHER_DB_URL\")\n}\n",
    )
    .expect("schema");
    let pid = migrate_dev_in(&fx, &other);
    let run = migrate(&fx, "staging");
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout.contains(&format!(
            "refused: cannot tell which database PID {pid} migrates: refusing to be safe"
        )),
        "{run}"
    );
    assert!(!run.stdout.contains("result:"), "{run}");
    // Without any schema Prisma stops at once: such a run blocks nothing.
    std::fs::remove_file(other.join("prisma/schema.prisma")).expect("rm schema");
    let run = migrate(&fx, "staging");
    assert!(!run.stdout.contains("refused:"), "{run}");
    assert_eq!(run.code, Some(0), "{run}");
}
