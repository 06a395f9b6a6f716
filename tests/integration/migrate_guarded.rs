//! `devtop migrate` (issue 11) as the real binary on a temporary Prisma project (SQLite) with
//! stand-in migrate commands written as shell scripts: one applies the pending migration (it
//! runs the SQL and writes the `_prisma_migrations` row as Prisma does, with `sqlite3`; devtop
//! itself only reads), one fails, one hangs with a child named `schema-engine`. Also: a second
//! migrate while one runs is refused, a held PostgreSQL advisory lock (72707369) is refused,
//! and `devtop hook install`.
//!
//! The SQLite tests skip with a printed reason without the `sqlite3` CLI (the stand-in's
//! writer); the PostgreSQL test skips when the server is unreachable unless
//! `DEVTOP_REQUIRE_DB=1`.

use crate::common::{self, Fixture, Run, devtop_command, run_command, wait_until};
use crate::db_common::{MyTestDb, PgTestDb, skip};
use sqlx::Executor;
use std::path::Path;
use std::time::Duration;

pub(crate) const M1: &str = "20250101000000_init";
pub(crate) const M2: &str = "20250102000000_add_uuid";

pub(crate) const SCHEMA: &str = r#"datasource db {
  provider = "sqlite"
  url      = env("DATABASE_URL")
}

model Camera {
  id    Int     @id @default(autoincrement())
  label String?
  uuid  String  @default("")
  @@map("cameras")
}
"#;

pub(crate) const INIT_SQL: &str = "-- CreateTable\nCREATE TABLE \"cameras\" (\n    \"id\" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n    \"label\" TEXT\n);\n";
pub(crate) const ADD_SQL: &str =
    "-- AlterTable\nALTER TABLE \"cameras\" ADD COLUMN \"uuid\" TEXT NOT NULL DEFAULT '';\n";

/// Prisma's SQLite `_prisma_migrations` DDL.
pub(crate) const TABLE: &str = "CREATE TABLE \"_prisma_migrations\" (\"id\" TEXT PRIMARY KEY NOT NULL, \"checksum\" TEXT NOT NULL, \"finished_at\" DATETIME, \"migration_name\" TEXT NOT NULL, \"logs\" TEXT, \"rolled_back_at\" DATETIME, \"started_at\" DATETIME NOT NULL DEFAULT current_timestamp, \"applied_steps_count\" INTEGER UNSIGNED NOT NULL DEFAULT 0);";

/// The stand-in for `prisma migrate deploy` on SQLite: applies each migration without a row
/// and records it (checksum = SHA-256 of migration.sql, times in epoch ms), as Prisma does.
pub(crate) const APPLY: &str = r#"#!/bin/sh
db="prisma/${DATABASE_URL#file:./}"
echo "Datasource \"db\": SQLite database at \"$DATABASE_URL\""
for d in prisma/migrations/*/; do
  n=$(basename "$d")
  if [ -z "$(sqlite3 "$db" "SELECT 1 FROM _prisma_migrations WHERE migration_name='$n'")" ]; then
    sqlite3 "$db" < "$d/migration.sql" || exit 1
    sum=$(sha256sum "$d/migration.sql" | cut -d' ' -f1)
    now=$(($(date +%s)*1000))
    sqlite3 "$db" "INSERT INTO _prisma_migrations VALUES ('$n-id','$sum',$now,'$n',NULL,NULL,$now,1)" || exit 1
    echo "Applying migration \`$n\`"
  fi
done
echo "All migrations have been successfully applied."
"#;

const FAIL: &str = r#"#!/bin/sh
echo "Error: P3018"
echo "A migration failed to apply. Database error: table cameras already exists" >&2
exit 1
"#;

/// Hangs with an idle child named schema-engine (a copy of `sleep`), writing its PID first.
pub(crate) const HANG: &str = r#"#!/bin/sh
echo "Prisma schema loaded from prisma/schema.prisma"
./bin/schema-engine 600 &
echo $! > engine.pid
wait
"#;

/// Applies like [`APPLY`] once the test creates `go` (so the test can signal devtop while
/// the migration runs); writes `started` first.
fn gated_apply() -> String {
    format!(
        "#!/bin/sh\ntouch started\nwhile [ ! -f go ]; do sleep 0.05; done\n{}",
        APPLY.trim_start_matches("#!/bin/sh\n")
    )
}

/// `devtop migrate --yes` on `fx`'s project with `DATABASE_URL=url`, off the test's runtime.
async fn migrate_on(fx: &Fixture, url: &str) -> Run {
    let url = url.to_owned();
    let root = fx.root().to_string_lossy().into_owned();
    tokio::task::spawn_blocking(move || {
        let args = vec![
            "migrate".to_owned(),
            "--yes".into(),
            "--project".into(),
            root,
        ];
        let mut cmd = devtop_command();
        cmd.env("DATABASE_URL", &url).args(&args);
        run_command(&mut cmd, args)
    })
    .await
    .expect("run")
}

/// The state letter of `pid` (`None` when it is gone).
pub(crate) fn state(pid: u32) -> Option<char> {
    devtop::effects::signal::read_identity(pid)
        .ok()
        .map(|i| i.state)
}

pub(crate) fn have_sqlite3() -> bool {
    std::process::Command::new("sqlite3")
        .arg("-version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `sql` (on stdin) against `db` with the sqlite3 CLI; its output.
pub(crate) fn sqlite(db: &Path, sql: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("sqlite3")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sqlite3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(sql.as_bytes())
        .expect("write sql");
    let out = child.wait_with_output().expect("sqlite3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A project with M1 applied and M2 pending; the stand-in scripts under
/// `node_modules/.bin/prisma-*`; `devtop.toml` running `script` with `hang_after`.
pub(crate) fn project(fx: &Fixture, script: &str, hang_after: &str) {
    let root = fx.root();
    let m = root.join("prisma/migrations");
    for (name, sql) in [(M1, INIT_SQL), (M2, ADD_SQL)] {
        std::fs::create_dir_all(m.join(name)).expect("migration dir");
        std::fs::write(m.join(name).join("migration.sql"), sql).expect("sql");
    }
    std::fs::write(m.join("migration_lock.toml"), "provider = \"sqlite\"\n").expect("lock");
    std::fs::write(root.join("prisma/schema.prisma"), SCHEMA).expect("schema");
    std::fs::write(root.join(".env"), "DATABASE_URL=\"file:./dev.db\"\n").expect(".env");
    let db = root.join("prisma/dev.db");
    sqlite(&db, TABLE);
    sqlite(&db, INIT_SQL);
    let sum = sha256(INIT_SQL);
    sqlite(
        &db,
        &format!(
            "INSERT INTO _prisma_migrations VALUES ('a','{sum}',1735689600000,'{M1}',NULL,NULL,1735689600000,1)"
        ),
    );
    // The stand-in lives outside node_modules/.bin: the preflight would run it as the
    // project's Prisma CLI (`prisma validate`, `migrate diff`).
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    std::fs::write(bin.join("prisma"), script).expect("script");
    std::fs::copy("/bin/sleep", root.join("bin/schema-engine")).expect("schema-engine");
    // The full preflight gates the run: its process checks (1, 2, 6) see only this project's
    // processes, and the machine's memory and pressure (check 5) do not decide the test.
    fx.write_config(&format!(
        "grace = \"1s\"\nscope = \"project\"\n[prisma]\nmigrate = [\"sh\", \"bin/prisma\", \"migrate\", \"deploy\", \"{}\"]\n[migrate]\nhang_after = \"{hang_after}\"\n[preflight]\nmin_available = \"1MiB\"\n[memory]\npsi_warn_some_avg10 = 100\npsi_critical_full_avg10 = 100\n",
        fx.marker()
    ));
}

pub(crate) fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn migrate(fx: &Fixture, extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec!["migrate".into()];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.extend(["--project".into(), fx.root().to_string_lossy().into_owned()]);
    let mut cmd = devtop_command();
    cmd.env_remove("DATABASE_URL").args(&args);
    run_command(&mut cmd, args)
}

pub(crate) fn applied(fx: &Fixture) -> String {
    sqlite(
        &fx.root().join("prisma/dev.db"),
        "SELECT group_concat(migration_name, ',') FROM (SELECT migration_name FROM _prisma_migrations ORDER BY migration_name)",
    )
}

#[test]
fn applies_the_pending_migration() {
    if !have_sqlite3() {
        return skip("applies_the_pending_migration", "no sqlite3 CLI");
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, APPLY, "30s");
    let run = migrate(&fx, &["--yes"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stdout.contains(&format!("local: 1 pending: {M2}")),
        "{run}"
    );
    // The full preflight ran (check 11 warns: the pending migration accounts for the drift).
    assert!(
        run.stdout.contains("Migrations folder well formed"),
        "{run}"
    );
    assert!(!run.stdout.contains("preflight: fail"), "{run}");
    assert!(
        run.stdout.contains(&format!("  Applying migration `{M2}`")),
        "{run}"
    );
    assert!(run.stdout.contains("result: succeeded in"), "{run}");
    assert!(
        run.stdout
            .contains(&format!("local: {M2} pending → applied")),
        "{run}"
    );
    assert!(
        run.stdout.contains("local: 2 applied, 0 pending, 0 failed"),
        "{run}"
    );
    assert!(
        run.stdout.contains("no process of the run is left"),
        "{run}"
    );
    assert_eq!(applied(&fx), format!("{M1},{M2}"));
    // Again: nothing pending, still 0.
    let run = migrate(&fx, &["--yes"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.contains("(nothing changed)"), "{run}");
}

#[test]
fn lint_warning_needs_yes() {
    if !have_sqlite3() {
        return skip("lint_warning_needs_yes", "no sqlite3 CLI");
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, APPLY, "30s");
    // Seed 003: a required column without a default on an existing table.
    std::fs::write(
        fx.root()
            .join("prisma/migrations")
            .join(M2)
            .join("migration.sql"),
        "-- AlterTable\nALTER TABLE \"cameras\" ADD COLUMN \"uuid\" TEXT NOT NULL;\n",
    )
    .expect("sql");
    let run = migrate(&fx, &[]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout.contains(&format!(
            "  prisma/migrations/{M2}/migration.sql:2: data-dependent: ADD COLUMN cameras.uuid TEXT NOT NULL without a DEFAULT"
        )) && run.stdout.contains("13 WARN Migration lint"),
        "{run}"
    );
    assert!(run.stdout.contains("not migrating (pass --yes"), "{run}");
    assert!(!run.stdout.contains("result:"), "{run}");
    assert_eq!(applied(&fx), M1, "nothing ran");
    // With --yes it runs (the table is empty, so SQLite accepts it).
    let run = migrate(&fx, &["--yes"]);
    assert!(run.stdout.contains("preflight: warn"), "{run}");
    assert!(run.stdout.contains("result: succeeded"), "{run}");
}

#[test]
fn failing_command_exits_1() {
    if !have_sqlite3() {
        return skip("failing_command_exits_1", "no sqlite3 CLI");
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, FAIL, "30s");
    let run = migrate(&fx, &["--yes"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stdout.contains("  Error: P3018"), "{run}");
    assert!(
        run.stdout.contains("  A migration failed to apply"),
        "{run}"
    );
    assert!(run.stdout.contains("result: failed in"), "{run}");
    assert!(run.stdout.contains("(exit code 1)"), "{run}");
    assert!(
        run.stdout
            .contains("local: 1 applied, 1 pending, 0 failed (nothing changed)"),
        "{run}"
    );
}

#[test]
fn hung_run_is_ended_with_its_engine() {
    if !have_sqlite3() {
        return skip("hung_run_is_ended_with_its_engine", "no sqlite3 CLI");
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, HANG, "2s");
    let run = migrate(&fx, &["--yes"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout
            .contains("hung: no output and no CPU for 2 s (processes: "),
        "{run}"
    );
    assert!(run.stdout.contains(" schema-engine)"), "{run}");
    let pid: u32 = std::fs::read_to_string(fx.root().join("engine.pid"))
        .expect("engine.pid")
        .trim()
        .parse()
        .expect("pid");
    assert!(
        run.stdout.contains(&format!("{pid} schema-engine")),
        "{run}"
    );
    // Ended within hang_after (2 s) + grace (1 s) + a sampling period, generously.
    let after: f64 = run
        .stdout
        .split("ended after ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no duration: {run}"));
    assert!(after < 2.0 + 1.0 + 3.0, "{after} s: {run}");
    assert!(
        run.stdout.contains("no process of the run is left"),
        "{run}"
    );
    // Nothing left: not the engine, nothing carrying the marker.
    let gone = state(pid).is_none_or(|s| s == 'Z');
    assert!(gone, "schema-engine {pid} still alive");
    assert!(common::live_with_marker(fx.marker()).is_empty());
}

#[test]
fn second_migrate_is_refused_while_one_runs() {
    if !have_sqlite3() {
        return skip("second_migrate_is_refused_while_one_runs", "no sqlite3 CLI");
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, HANG, "60s");
    let mut first = devtop_command();
    first.env_remove("DATABASE_URL").args([
        "migrate",
        "--yes",
        "--project",
        &fx.root().to_string_lossy(),
    ]);
    let (first_pid, _) = fx.spawn_command(&mut first);
    let pidfile = fx.root().join("engine.pid");
    assert!(
        wait_until(Duration::from_secs(20), || std::fs::read_to_string(
            &pidfile
        )
        .is_ok_and(|s| s.trim().parse::<u32>().is_ok())),
        "the first migrate never started its engine"
    );
    let engine: u32 = std::fs::read_to_string(&pidfile)
        .expect("pid")
        .trim()
        .parse()
        .expect("pid");
    let run = migrate(&fx, &["--yes"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout
            .contains("refused: another migrate runs for this database: pid "),
        "{run}"
    );
    assert!(
        run.stdout
            .contains(&format!("pid {engine} (schema-engine)")),
        "{run}"
    );
    assert!(!run.stdout.contains("result:"), "nothing ran: {run}");
    // Ending the first devtop ends its run's group (the tether), engine included.
    fx.kill_all();
    assert!(
        wait_until(Duration::from_secs(10), || state(engine)
            .is_none_or(|s| s == 'Z')),
        "engine {engine} outlived devtop {first_pid}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_advisory_lock_is_refused() {
    let Some(db) = PgTestDb::create("migrate_lock").await else {
        return;
    };
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    pg_project(&fx, "[\"true\"]");
    let (_holder, backend) = hold_migrate_lock(&db).await;
    let run = migrate_on(&fx, &db.url).await;
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout.contains(&format!(
            "refused: the migrate lock of local is held by session {backend}"
        )),
        "{run}"
    );
    // The holder connects over loopback from this test process: named as the local PID.
    assert!(
        run.stdout
            .contains(&format!("(local pid {}): ", std::process::id())),
        "{run}"
    );
    assert!(!run.stdout.contains("result:"), "{run}");
    assert!(
        !run.stdout.contains("postgresql://postgres:"),
        "URL masked: {run}"
    );
}

/// A session of the test holding Prisma's PostgreSQL migrate lock (advisory lock 72707369),
/// and its backend PID.
async fn hold_migrate_lock(db: &PgTestDb) -> (sqlx::PgConnection, i32) {
    let mut holder = db.admin().await;
    holder
        .execute("SELECT pg_advisory_lock(72707369)")
        .await
        .expect("lock");
    let backend: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut holder)
        .await
        .expect("pid");
    (holder, backend)
}

/// A PostgreSQL project (no migrations) in `fx` whose migrate command is `migrate` (TOML).
fn pg_project(fx: &Fixture, migrate: &str) {
    std::fs::create_dir_all(fx.root().join("prisma/migrations")).expect("dirs");
    std::fs::write(
        fx.root().join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n",
    )
    .expect("schema");
    fx.write_config(&format!("[prisma]\nmigrate = {migrate}\n"));
}

/// The lock is taken after `prepare` (while the confirmation waits): `execute` re-checks,
/// refuses naming the session and starts nothing; with the lock released it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_taken_after_prepare_is_refused_by_execute() {
    use devtop::effects::migrate::guarded::{Event, execute};
    let Some(db) = PgTestDb::create("migrate_late_lock").await else {
        return;
    };
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    pg_project(&fx, "[\"sh\", \"-c\", \"touch ran\"]");
    std::fs::write(
        fx.root().join(".env"),
        format!("DATABASE_URL=\"{}\"\n", db.url),
    )
    .expect(".env");
    let (setup, p) = prepared(&fx).await;
    assert!(
        p.before.lock.is_none() && p.before.unreachable.is_none(),
        "{:?}",
        p.before
    );
    let (mut holder, backend) = hold_migrate_lock(&db).await;
    let mut lines = Vec::new();
    let done = execute(&setup, &p, true, None, &mut |e: Event| lines.push(e)).await;
    assert!(done.refused && !done.ok(), "{lines:?}");
    let want = format!("refused: the migrate lock of local is held by session {backend}");
    assert!(
        lines
            .iter()
            .any(|e| matches!(e, Event::Warn(l) if l.contains(&want))),
        "{lines:?}"
    );
    assert!(!fx.root().join("ran").exists(), "nothing started");
    assert!(
        setup.cli_gate.try_turn().is_some(),
        "the gate is free again"
    );

    holder
        .execute("SELECT pg_advisory_unlock(72707369)")
        .await
        .expect("unlock");
    let done = execute(&setup, &p, true, None, &mut |_| {}).await;
    assert!(
        !done.refused && done.outcome.succeeded(),
        "{:?}",
        done.outcome
    );
    assert!(fx.root().join("ran").exists(), "ran once the lock was free");
}

/// MariaDB/MySQL: the test holds Prisma's named lock (`GET_LOCK('prisma_migrate', …)`, the
/// name prisma-engines' MySQL flavour takes) on its own connection; devtop refuses, naming the
/// connection id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_mysql_named_lock_is_refused() {
    let Some(db) = MyTestDb::create("migrate_mylock").await else {
        return;
    };
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    std::fs::create_dir_all(fx.root().join("prisma/migrations")).expect("dirs");
    std::fs::write(
        fx.root().join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"mysql\"\n  url = env(\"DATABASE_URL\")\n}\n",
    )
    .expect("schema");
    fx.write_config("[prisma]\nmigrate = [\"true\"]\n");
    let mut holder = db.admin().await;
    let got: i64 = sqlx::query_scalar("SELECT CAST(GET_LOCK('prisma_migrate', 5) AS SIGNED)")
        .fetch_one(&mut holder)
        .await
        .expect("lock");
    assert_eq!(got, 1);
    let id: i64 = sqlx::query_scalar("SELECT CAST(CONNECTION_ID() AS SIGNED)")
        .fetch_one(&mut holder)
        .await
        .expect("id");
    let run = migrate_on(&fx, &db.url).await;
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout.contains(&format!(
            "refused: the migrate lock of local is held by session {id}"
        )),
        "{run}"
    );
    assert!(!run.stdout.contains("result:"), "{run}");
}

#[test]
fn hook_install_git_and_husky() {
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    let root = fx.root();
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status();
    if !git.is_ok_and(|s| s.success()) {
        return skip("hook_install_git_and_husky", "no git");
    }
    let hook = |extra: &[&str]| {
        let mut args: Vec<String> = vec!["hook".into(), "install".into()];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.extend(["--project".into(), root.to_string_lossy().into_owned()]);
        run_command(devtop_command().args(&args), args)
    };
    let run = hook(&["pre-push"]);
    assert_eq!(run.code, Some(0), "{run}");
    let file = root.join(".git/hooks/pre-push");
    let text = std::fs::read_to_string(&file).expect("hook");
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(text.contains("devtop preflight --strict"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "executable");
    assert!(
        run.stdout
            .contains("with husky, put these lines in .husky/pre-push"),
        "{run}"
    );
    // Never over an existing hook without --force.
    std::fs::write(&file, "#!/bin/sh\necho mine\n").expect("own hook");
    let run = hook(&["pre-push"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("exists; not replacing it"), "{run}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("hook"),
        "#!/bin/sh\necho mine\n"
    );
    let run = hook(&["pre-push", "--force"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        std::fs::read_to_string(&file)
            .expect("hook")
            .contains("preflight --strict")
    );
    // With husky: .husky/pre-commit, no shebang needed (husky v9 runs it with sh).
    std::fs::create_dir(root.join(".husky")).expect(".husky");
    let run = hook(&["pre-commit"]);
    assert_eq!(run.code, Some(0), "{run}");
    let text = std::fs::read_to_string(root.join(".husky/pre-commit")).expect("husky hook");
    assert!(text.contains("devtop preflight --strict"), "{text}");
    assert!(!root.join(".git/hooks/pre-commit").exists());
}

/// The real Prisma 7 CLI (`prisma migrate deploy`, from the npm fixture of `real_stack`) on a
/// real PostgreSQL database with one pending migration, its schema engine a stand-in that
/// never answers (`PRISMA_SCHEMA_ENGINE_BINARY`): the watchdog calls the run hung and ends the
/// CLI and the engine; nothing is left and nothing was applied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_prisma_cli_hung_on_its_engine_is_ended() {
    let test = "real_prisma_cli_hung_on_its_engine_is_ended";
    let Some(modules) = crate::real_stack::tools(test) else {
        return;
    };
    let Some(db) = PgTestDb::create("migrate_real").await else {
        return;
    };
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    let root = fx.root();
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dirs");
        std::fs::write(p, text).expect("write");
    };
    w(
        "prisma/schema.prisma",
        "datasource db {\n  provider = \"postgresql\"\n}\n\nmodel User {\n  id Int @id\n}\n",
    );
    w(
        "prisma.config.ts",
        "import { defineConfig, env } from \"prisma/config\";\nexport default defineConfig({\n  schema: \"prisma/schema.prisma\",\n  datasource: { url: env(\"DATABASE_URL\") },\n});\n",
    );
    w(
        "prisma/migrations/migration_lock.toml",
        "provider = \"postgresql\"\n",
    );
    w(
        &format!("prisma/migrations/{M1}/migration.sql"),
        "-- CreateTable\nCREATE TABLE \"User\" (\n    \"id\" INTEGER NOT NULL,\n    CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\")\n);\n",
    );
    std::os::unix::fs::symlink(modules, root.join("node_modules")).expect("node_modules");
    let engine = root.join("bin/schema-engine");
    std::fs::write(
        &engine,
        "#!/bin/sh\n# a schema engine that never answers\nsleep 600\n",
    )
    .expect("engine");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&engine, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    fx.write_config(
        // Project scope: the gate's process checks see only this project, not a demo or
        // another test's stand-ins running at the same time.
        "grace = \"1s\"\nscope = \"project\"\n[prisma]\nmigrate = [\"node_modules/.bin/prisma\", \"migrate\", \"deploy\"]\n[migrate]\nhang_after = \"4s\"\n[preflight]\nmin_available = \"1MiB\"\n[memory]\npsi_warn_some_avg10 = 100\npsi_critical_full_avg10 = 100\n",
    );
    let (url, dir) = (db.url.clone(), root.to_string_lossy().into_owned());
    let engine = engine.clone();
    let run = tokio::task::spawn_blocking(move || {
        let args = vec![
            "migrate".to_owned(),
            "--yes".into(),
            "--project".into(),
            dir,
        ];
        let mut cmd = devtop_command();
        cmd.env("DATABASE_URL", &url)
            .env("PRISMA_SCHEMA_ENGINE_BINARY", &engine)
            .env("CHECKPOINT_DISABLE", "1")
            .env("PRISMA_HIDE_UPDATE_MESSAGE", "1")
            .args(&args);
        run_command(&mut cmd, args)
    })
    .await
    .expect("run");
    assert!(
        run.stdout.contains(&format!("local: 1 pending: {M1}")),
        "{run}"
    );
    assert!(
        run.stdout.contains("hung: no output and no CPU for 4 s"),
        "{run}"
    );
    assert!(
        run.stdout.contains(" node"),
        "the CLI was among the processes: {run}"
    );
    assert!(
        run.stdout.contains(" schema-engine, "),
        "and its engine: {run}"
    );
    assert!(
        run.stdout.contains("no process of the run is left"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("local: 0 applied, 1 pending, 0 failed (nothing changed)"),
        "{run}"
    );
    assert_eq!(run.code, Some(1), "{run}");
}

/// Writes `ran` in the project (its working directory) when it runs at all.
const MARK: &str = "#!/bin/sh\ntouch ran\necho ran\n";

#[test]
fn failed_preflight_stops_before_the_command() {
    if !have_sqlite3() {
        return skip(
            "failed_preflight_stops_before_the_command",
            "no sqlite3 CLI",
        );
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, MARK, "30s");
    // M2 started and never finished: a failed migration blocks the target (check 8).
    sqlite(
        &fx.root().join("prisma/dev.db"),
        &format!(
            "INSERT INTO _prisma_migrations VALUES ('b','{}',NULL,'{M2}','boom',NULL,1735689600000,0)",
            sha256(ADD_SQL)
        ),
    );
    // Even with --yes: a failed check is not a question.
    let run = migrate(&fx, &["--yes"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stdout.contains(" 8 FAIL"), "{run}");
    assert!(
        run.stdout
            .contains(&format!("migrate resolve --rolled-back {M2}")),
        "the hint says what to do: {run}"
    );
    assert!(
        run.stdout.contains("preflight: fail — not migrating"),
        "{run}"
    );
    assert!(!run.stdout.contains("result:"), "{run}");
    assert!(!fx.root().join("ran").exists(), "the command ran: {run}");

    // A corrupt migrations folder (a migration without its migration.sql) fails check 7.
    let fx = Fixture::new();
    project(&fx, MARK, "30s");
    std::fs::remove_file(
        fx.root()
            .join("prisma/migrations")
            .join(M2)
            .join("migration.sql"),
    )
    .expect("rm");
    let run = migrate(&fx, &["--yes"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stdout.contains(" 7 FAIL"), "{run}");
    assert!(!fx.root().join("ran").exists(), "the command ran: {run}");
}

/// Start `devtop migrate --yes` on `fx` with its output in `out.txt`; returns its PID once
/// the stand-in migrate command has started.
fn migrate_in_background(fx: &Fixture) -> (u32, std::path::PathBuf) {
    let log = fx.root().join("out.txt");
    let file = std::fs::File::create(&log).expect("out.txt");
    let mut cmd = devtop_command();
    cmd.env_remove("DATABASE_URL").args([
        "migrate",
        "--yes",
        "--project",
        &fx.root().to_string_lossy(),
    ]);
    let (pid, _) = fx.spawn_command_to(&mut cmd, file);
    assert!(
        wait_until(Duration::from_secs(30), || fx
            .root()
            .join("started")
            .exists()),
        "the migrate command never started: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    (pid, log)
}

fn sigint(pid: u32) {
    // Only the devtop this test spawned, by PID (unreaped, so it cannot have been reused).
    let pid = rustix::process::Pid::from_raw(i32::try_from(pid).expect("pid")).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
}

#[test]
fn one_sigint_waits_for_the_migration_a_second_ends_it() {
    if !have_sqlite3() {
        return skip(
            "one_sigint_waits_for_the_migration_a_second_ends_it",
            "no sqlite3 CLI",
        );
    }
    // One signal: the run is not cut; it applies M2 and devtop exits 0.
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, &gated_apply(), "60s");
    let (pid, log) = migrate_in_background(&fx);
    sigint(pid);
    let said = || std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        wait_until(Duration::from_secs(10), || said()
            .contains("waiting for it to end so it is not cut")),
        "{}",
        said()
    );
    std::fs::write(fx.root().join("go"), "").expect("go");
    let status = fx.wait_exit(pid, Duration::from_secs(30));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", said());
    assert_eq!(applied(&fx), format!("{M1},{M2}"), "{}", said());

    // Two signals: the run is ended (exit 1), nothing of it is left, M2 not applied.
    let fx = Fixture::new();
    project(&fx, &gated_apply(), "60s");
    let (pid, log) = migrate_in_background(&fx);
    let said = || std::fs::read_to_string(&log).unwrap_or_default();
    sigint(pid);
    assert!(
        wait_until(Duration::from_secs(10), || said()
            .contains("waiting for it")),
        "{}",
        said()
    );
    sigint(pid);
    let status = fx.wait_exit(pid, Duration::from_secs(30));
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{}", said());
    assert!(said().contains("ending the migrate"), "{}", said());
    assert_eq!(applied(&fx), M1, "{}", said());
    assert!(common::live_with_marker(fx.marker()).is_empty());
}

/// The setup of `fx`'s project as `devtop migrate` resolves it, and a migrate of `local`
/// prepared as if its gate had passed (the refusals and the preflight are other tests').
async fn prepared(
    fx: &Fixture,
) -> (
    devtop::setup::Setup,
    devtop::effects::migrate::guarded::Prepared,
) {
    use devtop::effects::migrate::gate::{GateReport, GateVerdict};
    let common = devtop::cli::Common {
        project: Some(fx.root().to_owned()),
        ..devtop::cli::Common::default()
    };
    let setup = devtop::setup::resolve(&common).expect("setup");
    let env = setup.envs[0].clone();
    let before = devtop::effects::migrate::target::read(&setup, &env).await;
    let p = devtop::effects::migrate::guarded::Prepared {
        env,
        before,
        gate: GateReport {
            verdict: GateVerdict::Pass,
            lines: Vec::new(),
        },
    };
    (setup, p)
}

/// The migrate command runs under a turn of the session's one Prisma CLI gate, held for the
/// whole run: it waits while a drift diff of devtop holds the gate, and no diff can start
/// while it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migrate_run_holds_the_session_gate_for_its_whole_run() {
    use devtop::effects::migrate::guarded::{Event, execute};
    if !have_sqlite3() {
        return skip("the_migrate_run_holds_the_session_gate", "no sqlite3 CLI");
    }
    let _slot = crate::common::migrate_slot();
    let fx = Fixture::new();
    project(&fx, &gated_apply(), "30s");
    let (setup, p) = prepared(&fx).await;
    let (started, go) = (fx.root().join("started"), fx.root().join("go"));
    let diff = setup.cli_gate.turn().await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let s = setup.clone();
    let run = tokio::spawn(async move {
        let mut report = move |e: Event| {
            let _ = tx.send(e);
        };
        execute(&s, &p, true, None, &mut report).await
    });
    let first = rx.recv().await.expect("an event");
    assert!(
        matches!(&first, Event::Info(l) if l.contains("waiting for devtop's running Prisma CLI")),
        "{first:?}"
    );
    assert!(!started.exists(), "the command waits for the gate");
    drop(diff);
    assert!(
        wait_until(Duration::from_secs(10), || started.exists()),
        "started once the gate was free"
    );
    assert_eq!(setup.cli_gate.deploys(), 1);
    assert!(
        setup.cli_gate.try_turn().is_none(),
        "no diff while the migration runs"
    );
    std::fs::write(&go, "").expect("go");
    let done = run.await.expect("execute");
    assert!(done.ok(), "{:?}", done.outcome);
    assert!(
        setup.cli_gate.try_turn().is_some(),
        "given back after the run"
    );
    assert_eq!(applied(&fx), format!("{M1},{M2}"));
}
