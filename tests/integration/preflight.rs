//! `devtop preflight` against real fixtures: the demo's three SQLite databases with Prisma's
//! `_prisma_migrations` in seed 004's states (local one behind with seed 003's drift, staging
//! three behind, production blocked by a failed migration), temp migration folders, stand-in
//! Prisma processes scoped to the test, a PostgreSQL / MariaDB session holding Prisma's
//! migrate lock, and a black-holed database with a hanging Prisma CLI (the bound).

use crate::common;
use crate::db_common;

use common::{Fixture, Run, live_with_marker, wait_until};
use devtop::demo::standin::ENV_MODE;
use serde_json::Value;
use sqlx::{Connection, Executor};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Generous bound for a whole preflight on a loaded machine (the real figure is in the
/// benchmark; the design bound is 10 s).
const BOUND: Duration = Duration::from_secs(20);

/// The demo project (schema, `.env`, migrations and three databases) in `root`, with
/// `[[database]]` staging and production; `extra` is appended to devtop.toml.
fn demo_project(root: &Path, extra: &str) {
    let prisma = root.join("prisma");
    std::fs::create_dir_all(&prisma).unwrap();
    std::fs::write(
        prisma.join("schema.prisma"),
        include_str!("../../assets/demo/prisma/schema.prisma"),
    )
    .unwrap();
    std::fs::write(prisma.join(".env"), devtop::demo::database::DOTENV).unwrap();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(devtop::demo::database::create(&prisma))
        .unwrap();
    config(root, extra);
}

/// devtop.toml: `[[database]]` staging and production, then `extra`.
fn config(root: &Path, extra: &str) {
    std::fs::write(
        root.join("devtop.toml"),
        format!(
            "[[database]]\nname = \"staging\"\nurl_env = \"STAGING_DATABASE_URL\"\n\n\
             [[database]]\nname = \"production\"\nurl_env = \"PRODUCTION_DATABASE_URL\"\n{extra}"
        ),
    )
    .unwrap();
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {run}"))
}

/// The check with `id` in a preflight document.
fn check<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}: {doc:#}"))
}

/// Phrases that name a key of the dashboard: `devtop preflight` runs without one, so its text
/// never says them (the dashboard adds its own key line, with the key in effect).
const DASHBOARD_KEY_PHRASES: [&str; 8] = [
    "press ", " pane", "(K", "with K", " K ", "x on it", "screen 4", "Esc",
];

/// No check of `text` (a preflight's output) names a key of the dashboard.
fn names_no_dashboard_key(text: &str) {
    for phrase in DASHBOARD_KEY_PHRASES {
        assert!(
            !text.contains(phrase),
            "names a dashboard key ({phrase:?}): {text}"
        );
    }
}

fn status<'a>(doc: &'a Value, id: &str) -> &'a str {
    check(doc, id)["status"].as_str().unwrap()
}

fn detail(doc: &Value, id: &str) -> String {
    check(doc, id)["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn demo_databases_local_staging_production() {
    let fx = Fixture::new();
    demo_project(fx.root(), "");
    // local: one pending migration (info), drift it may account for (warn): exit 0, 1 with
    // --strict.
    let run = fx.devtop(["preflight", "--json"]);
    let doc = json_of(&run);
    assert_eq!(doc["target"], "local");
    assert_eq!(status(&doc, "connection"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "migrations-folder"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "schema"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "failed-migrations"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "migrate-lock"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "edited-migrations"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "pending"), "info", "{doc:#}");
    assert!(
        detail(&doc, "pending").contains("1. 20251104150000_add_uuid_to_cameras"),
        "{doc:#}"
    );
    assert_eq!(status(&doc, "drift"), "warn", "{doc:#}");
    assert!(detail(&doc, "drift").contains("cameras.uuid"), "{doc:#}");
    // local is not in [deploy] order: check 14 is skipped, saying so, with how production
    // stands as evidence (a skipped check never makes `--strict` exit 1).
    assert_eq!(status(&doc, "deploy-order"), "skipped", "{doc:#}");
    let order = detail(&doc, "deploy-order");
    assert!(
        order.starts_with("local is not in [deploy] order"),
        "{order}"
    );
    assert!(
        order.contains("production is blocked by failed migration"),
        "{order}"
    );
    if doc["verdict"] == "warn" {
        assert_eq!(run.code, Some(0), "{run}");
        let strict = fx.devtop(["preflight", "--strict"]);
        assert_eq!(strict.code, Some(1), "{strict}");
        assert!(strict.stdout.contains("--strict"), "{strict}");
    } else {
        // Something on this machine (memory, inotify) failed: that is exit 1 either way.
        assert_eq!(run.code, Some(1), "{run}");
    }

    // production: blocked by a failed migration, and behind staging's order.
    let run = fx.devtop(["preflight", "--env", "production", "--json"]);
    assert_eq!(run.code, Some(1), "{run}");
    let doc = json_of(&run);
    assert_eq!(doc["verdict"], "fail");
    assert_eq!(status(&doc, "failed-migrations"), "fail", "{doc:#}");
    assert!(
        detail(&doc, "failed-migrations").contains("20250917120000_add_personal_models"),
        "{doc:#}"
    );
    assert!(
        check(&doc, "failed-migrations")["hint"]
            .as_str()
            .unwrap()
            .contains("migrate resolve --rolled-back 20250917120000_add_personal_models"),
        "{doc:#}"
    );
    assert_eq!(status(&doc, "deploy-order"), "fail", "{doc:#}");
    let order = detail(&doc, "deploy-order");
    assert!(order.contains("not applied on staging"), "{order}");
    assert!(
        order.contains("20250930080000_add_analytics_events"),
        "{order}"
    );

    // staging: first in the order.
    let doc = json_of(&fx.devtop(["preflight", "--env", "staging", "--json"]));
    assert_eq!(status(&doc, "deploy-order"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "pending"), "info", "{doc:#}");
    assert!(
        detail(&doc, "pending").contains("3 migrations to apply"),
        "{doc:#}"
    );

    // Text output: every check numbered, the verdict last.
    let text = fx.devtop(["preflight", "--env", "production"]);
    assert!(text.stdout.contains(" 8 FAIL"), "{text}");
    assert!(
        text.stdout.lines().last().unwrap().starts_with("FAIL:"),
        "{text}"
    );
}

#[test]
fn usage_and_config_errors_exit_2() {
    let fx = Fixture::new();
    demo_project(fx.root(), "");
    let run = fx.devtop(["preflight", "--env", "stagin"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("no environment named \"stagin\""),
        "{run}"
    );
    assert!(run.stderr.contains("staging"), "{run}");

    config(fx.root(), "\n[deploy]\norder = [\"staging\", \"prod\"]\n");
    let run = fx.devtop(["preflight"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("devtop.toml:"), "{run}");
    assert!(
        run.stderr.contains("\"prod\", which is no environment"),
        "{run}"
    );

    config(fx.root(), "\n[preflight]\ncheck_timeout = \"5m\"\n");
    let run = fx.devtop(["preflight"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("check_timeout"), "{run}");

    let run = fx.devtop(["preflight", "--bogus"]);
    assert_eq!(run.code, Some(2), "{run}");
}

#[test]
fn folder_edited_and_drift_without_a_migration() {
    let fx = Fixture::new();
    demo_project(fx.root(), "");
    let mdir = fx.root().join("prisma/migrations");
    // Seed 003: the schema declares cameras.uuid, the migration that adds it is gone, so the
    // database is "up to date" and still lacks the column.
    std::fs::remove_dir_all(mdir.join("20251104150000_add_uuid_to_cameras")).unwrap();
    let doc = json_of(&fx.devtop(["preflight", "--json"]));
    assert_eq!(status(&doc, "pending"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "drift"), "fail", "{doc:#}");
    assert!(detail(&doc, "drift").contains("cameras.uuid"), "{doc:#}");
    assert!(
        check(&doc, "drift")["hint"]
            .as_str()
            .unwrap()
            .contains("prisma migrate dev --name"),
        "{doc:#}"
    );

    // An applied migration edited afterwards.
    let sql = mdir.join("20250801090000_init/migration.sql");
    let mut text = std::fs::read_to_string(&sql).unwrap();
    text.push_str("\n-- edited after apply\n");
    std::fs::write(&sql, text).unwrap();
    // A folder without migration.sql.
    std::fs::create_dir_all(mdir.join("20260101000000_half_made")).unwrap();
    let run = fx.devtop(["preflight", "--json"]);
    assert_eq!(run.code, Some(1), "{run}");
    let doc = json_of(&run);
    assert_eq!(status(&doc, "edited-migrations"), "fail", "{doc:#}");
    assert!(
        detail(&doc, "edited-migrations").contains("edited after apply: 20250801090000_init"),
        "{doc:#}"
    );
    assert_eq!(status(&doc, "migrations-folder"), "fail", "{doc:#}");
    assert!(
        detail(&doc, "migrations-folder").contains("20260101000000_half_made"),
        "{doc:#}"
    );

    // No folder at all.
    std::fs::remove_dir_all(&mdir).unwrap();
    let doc = json_of(&fx.devtop(["preflight", "--json"]));
    assert_eq!(status(&doc, "migrations-folder"), "fail", "{doc:#}");
    assert!(
        detail(&doc, "migrations-folder").contains("no such folder"),
        "{doc:#}"
    );
}

#[test]
fn schema_static_fallback_provider_mismatch_and_missing_schema() {
    let fx = Fixture::new();
    demo_project(fx.root(), "");
    let lock = fx.root().join("prisma/migrations/migration_lock.toml");
    std::fs::write(&lock, "provider = \"postgresql\"\n").unwrap();
    let doc = json_of(&fx.devtop(["preflight", "--json"]));
    assert_eq!(status(&doc, "schema"), "fail", "{doc:#}");
    assert!(
        detail(&doc, "schema").contains("migration_lock.toml says provider postgresql"),
        "{doc:#}"
    );
    std::fs::remove_file(fx.root().join("prisma/schema.prisma")).unwrap();
    let doc = json_of(&fx.devtop(["preflight", "--json"]));
    assert_eq!(status(&doc, "schema"), "fail", "{doc:#}");
    assert!(detail(&doc, "schema").contains("no such file"), "{doc:#}");
}

#[test]
fn memory_below_the_configured_minimum_fails() {
    let fx = Fixture::new();
    let total_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    demo_project(
        fx.root(),
        &format!("\n[preflight]\nmin_available = \"{total_kib}KiB\"\n"),
    );
    let run = fx.devtop(["preflight", "--json"]);
    assert_eq!(run.code, Some(1), "{run}");
    let doc = json_of(&run);
    assert_eq!(status(&doc, "memory"), "fail", "{doc:#}");
    assert!(detail(&doc, "memory").contains("required"), "{doc:#}");
    names_no_dashboard_key(&run.stdout);
}

/// `<root>/node_modules/.bin/<name>` → the devtop binary as a `node` stand-in.
fn bin(fx: &Fixture, name: &str) -> String {
    fx.root()
        .join("node_modules/.bin")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn suspects_studio_and_heavy_processes() {
    let fx = Fixture::new();
    demo_project(
        fx.root(),
        "\n[suspects]\nhung_migrate_after = \"1s\"\nstudio = \"warn\"\n",
    );
    let doc = json_of(&fx.devtop(["preflight", "--json"]));
    assert_eq!(status(&doc, "suspects"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "studio"), "pass", "{doc:#}");
    assert_eq!(status(&doc, "heavy-processes"), "pass", "{doc:#}");

    let migrate = fx
        .standin("node")
        .args([
            bin(&fx, "prisma").as_str(),
            "migrate",
            "dev",
            "--name",
            "add_uuid",
        ])
        .spawn();
    let studio = fx
        .standin("node")
        .args([bin(&fx, "prisma").as_str(), "studio", "--port", "5555"])
        .spawn();
    let vite = fx
        .standin("node")
        .args([bin(&fx, "vite").as_str(), "--port", "0"])
        .spawn();
    let deadline = Instant::now() + Duration::from_secs(40);
    let doc = loop {
        let run = fx.devtop(["preflight", "--json"]);
        assert_eq!(run.code, Some(1).max(run.code), "{run}");
        let doc = json_of(&run);
        if status(&doc, "suspects") == "fail" {
            assert_eq!(run.code, Some(1), "{run}");
            break doc;
        }
        assert!(Instant::now() < deadline, "never flagged: {doc:#}");
    };
    let c1 = check(&doc, "suspects");
    assert_eq!(c1["action"]["kind"], "kill-suspects", "{c1:#}");
    assert_eq!(
        c1["action"]["targets"][0]["pid"],
        serde_json::json!(migrate.pid),
        "{c1:#}"
    );
    assert_eq!(c1["action"]["targets"].as_array().map(Vec::len), Some(1));
    assert!(
        c1["action"]["targets"][0]["start_ticks"].as_u64().is_some(),
        "{c1:#}"
    );
    assert_eq!(c1["action"]["what"], "1 hung migration", "{c1:#}");
    assert!(
        detail(&doc, "suspects").contains(&format!("PID {}", migrate.pid)),
        "{doc:#}"
    );
    assert_eq!(status(&doc, "studio"), "warn", "{doc:#}");
    assert!(
        detail(&doc, "studio").contains(&format!("PID {}", studio.pid)),
        "{doc:#}"
    );
    assert_eq!(status(&doc, "heavy-processes"), "warn", "{doc:#}");
    let heavy = detail(&doc, "heavy-processes");
    assert!(
        heavy.contains(&format!("PID {} dev server (vite)", vite.pid)),
        "{heavy}"
    );
    assert!(
        heavy.contains(&format!("PID {} Prisma Studio", studio.pid)),
        "{heavy}"
    );
    assert!(heavy.contains("RSS"), "{heavy}");
    names_no_dashboard_key(&doc.to_string());
    let text = fx.devtop(["preflight"]);
    assert!(text.stdout.contains("devtop kill --suspects"), "{text}");
    names_no_dashboard_key(&text.stdout);
}

/// A project whose database is a black hole (accepts, never answers) and whose Prisma CLI
/// hangs with a schema-engine child: the preflight still ends within the bound, says both
/// timed out, and leaves no Prisma process behind.
#[test]
fn black_hole_and_hanging_cli_finish_within_the_bound() {
    let fx = Fixture::new();
    let root = fx.root();
    std::fs::create_dir_all(root.join("prisma/migrations")).unwrap();
    std::fs::write(
        root.join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n",
    )
    .unwrap();
    let hole = db_common::black_hole();
    std::fs::write(
        root.join(".env"),
        format!("DATABASE_URL=postgresql://devtop:s3cret@{hole}/devtop_test\n"),
    )
    .unwrap();
    common::hanging_prisma_cli(&fx, root);

    let t0 = Instant::now();
    let run = fx.devtop(["preflight", "--json"]);
    let took = t0.elapsed();
    for pid in live_with_marker(fx.marker()) {
        fx.track(pid);
    }
    assert!(took < BOUND, "took {took:?}: {run}");
    assert_eq!(run.code, Some(1), "{run}");
    assert!(!run.stdout.contains("s3cret"), "{run}");
    let doc = json_of(&run);
    assert_eq!(status(&doc, "connection"), "fail", "{doc:#}");
    assert!(detail(&doc, "connection").contains("timed out"), "{doc:#}");
    // It accepted the connection: not a firewall (SYN_SENT) but a silent server.
    let hint = check(&doc, "connection")["hint"].as_str().unwrap();
    assert!(
        hint.starts_with("connected, but the server never answered the protocol handshake"),
        "{hint}"
    );
    assert!(hint.contains("is this port a database?"), "{hint}");
    assert!(!hint.contains("SYN_SENT"), "{hint}");
    assert_eq!(status(&doc, "schema"), "fail", "{doc:#}");
    assert!(detail(&doc, "schema").contains("did not answer"), "{doc:#}");
    names_no_dashboard_key(&run.stdout);
    assert_eq!(status(&doc, "drift"), "skipped", "{doc:#}");
    assert!(
        wait_until(Duration::from_secs(5), || live_with_marker(fx.marker())
            .is_empty()),
        "Prisma CLI or engine left behind: {:?}",
        live_with_marker(fx.marker())
    );
}

/// A project for `provider` with an empty migrations folder.
fn lock_project(provider: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("prisma/migrations")).unwrap();
    std::fs::write(
        dir.path().join("prisma/schema.prisma"),
        format!(
            "datasource db {{\n  provider = \"{provider}\"\n  url = env(\"DATABASE_URL\")\n}}\n"
        ),
    )
    .unwrap();
    dir
}

async fn preflight_json(url: &str, dir: &Path) -> Value {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_devtop"))
        .args(["preflight", "--json", "--scope", "project", "--project"])
        .arg(dir)
        .env("DATABASE_URL", url)
        .output()
        .await
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Check 9 while this process holds Prisma's migrate lock: fail, naming the holder as this
/// process.
fn assert_lock_held(doc: &Value) {
    assert_eq!(status(doc, "connection"), "pass", "{doc:#}");
    assert_eq!(status(doc, "migrate-lock"), "fail", "{doc:#}");
    let d = detail(doc, "migrate-lock");
    assert!(d.contains("migrate lock held"), "{d}");
    assert!(
        d.contains(&format!("local process PID {}", std::process::id())),
        "{d}"
    );
    names_no_dashboard_key(&doc.to_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_migrate_lock_held() {
    let Some(db) = db_common::PgTestDb::create("preflight_lock").await else {
        return;
    };
    let dir = lock_project("postgresql");
    let mut holder = db.admin().await;
    holder
        .execute("SELECT pg_advisory_lock(72707369)")
        .await
        .unwrap();
    assert_lock_held(&preflight_json(&db.url, dir.path()).await);
    holder
        .execute("SELECT pg_advisory_unlock(72707369)")
        .await
        .unwrap();
    let doc = preflight_json(&db.url, dir.path()).await;
    assert_eq!(status(&doc, "migrate-lock"), "pass", "{doc:#}");
    // No _prisma_migrations table yet: nothing applied, nothing failed.
    assert_eq!(status(&doc, "failed-migrations"), "pass", "{doc:#}");
    let _ = holder.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_migrate_lock_held() {
    let Some(db) = db_common::MyTestDb::create("preflight_lock").await else {
        return;
    };
    let dir = lock_project("mysql");
    let mut holder = db.admin().await;
    holder
        .execute("SELECT GET_LOCK('prisma_migrate', 20)")
        .await
        .unwrap();
    assert_lock_held(&preflight_json(&db.url, dir.path()).await);
    holder
        .execute("SELECT RELEASE_LOCK('prisma_migrate')")
        .await
        .unwrap();
    // MySQL named locks are server-wide: another test on this server may hold it meanwhile,
    // but not this process any more.
    let doc = preflight_json(&db.url, dir.path()).await;
    let ours = format!("local process PID {}", std::process::id());
    assert!(
        status(&doc, "migrate-lock") == "pass" || !detail(&doc, "migrate-lock").contains(&ours),
        "{doc:#}"
    );
    let _ = holder.close().await;
}

/// Check 3 through the real Prisma 7 CLI from the npm fixture (`real_stack::install`): a
/// schema it accepts passes, one with an unknown type fails with Prisma's own P1012 lines,
/// without colour escapes. Skipped (saying why) without node/npm, failing with
/// `DEVTOP_REQUIRE_DB=1`.
#[test]
fn real_prisma_validate_passes_and_fails() {
    let modules = match crate::real_stack::install() {
        Ok(m) => m,
        Err(why) if !db_common::require_db() => {
            eprintln!("skipping real_prisma_validate_passes_and_fails: {why}");
            return;
        }
        Err(why) => panic!("the npm fixture is required: {why}"),
    };
    let fx = Fixture::new();
    let root = fx.root();
    std::fs::create_dir_all(root.join("prisma/migrations")).unwrap();
    std::os::unix::fs::symlink(&modules, root.join("node_modules")).unwrap();
    std::fs::write(
        root.join("prisma.config.ts"),
        "import { defineConfig } from \"prisma/config\";\nexport default defineConfig({ schema: \"prisma/schema.prisma\", datasource: { url: process.env.DATABASE_URL } });\n",
    )
    .unwrap();
    std::fs::write(
        root.join(".env"),
        format!(
            "DATABASE_URL=postgresql://devtop@127.0.0.1:{}/x\n",
            db_common::closed_port()
        ),
    )
    .unwrap();
    // Prisma 7 wants an engine binary to start; validate never runs it (an idle stand-in).
    let engine = fx.link("schema-engine");
    let script = root.join("bin/engine.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexport {ENV_MODE}=sleep\nexec '{}' \"$@\" '{}'\n",
            engine.display(),
            fx.marker()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let schema = |body: &str| {
        std::fs::write(
            root.join("prisma/schema.prisma"),
            format!("datasource db {{\n  provider = \"postgresql\"\n}}\n{body}"),
        )
        .unwrap();
        let mut cmd = common::devtop_command();
        cmd.args(["preflight", "--json", "--scope", "project", "--project"])
            .arg(root)
            .env("PRISMA_SCHEMA_ENGINE_BINARY", &script)
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("DATABASE_URL");
        let run = common::run_command(&mut cmd, vec!["preflight".into()]);
        for pid in live_with_marker(fx.marker()) {
            fx.track(pid);
        }
        json_of(&run)
    };
    let ok = schema("model User {\n  id Int @id\n}\n");
    assert_eq!(status(&ok, "schema"), "pass", "{ok:#}");
    assert!(detail(&ok, "schema").contains("validate"), "{ok:#}");
    let bad = schema("model User {\n  id Int @id\n  posts Post[]\n}\n");
    assert_eq!(status(&bad, "schema"), "fail", "{bad:#}");
    let d = detail(&bad, "schema");
    assert!(d.contains("P1012") || d.contains("\"Post\""), "{d}");
    assert!(!d.contains('\u{1b}'), "colour escapes: {d:?}");
}

#[test]
fn lint_of_the_pending_migrations() {
    let fx = Fixture::new();
    demo_project(fx.root(), "");
    // The demo's pending migration adds a nullable column: clean.
    let doc = json_of(&fx.devtop(["preflight", "--json"]));
    assert_eq!(status(&doc, "lint"), "pass", "{doc:#}");
    assert!(
        detail(&doc, "lint").contains("1 pending migration linted"),
        "{doc:#}"
    );
    // Seed 003: the pending migration adds a NOT NULL column without a default to an existing
    // table.
    let file = "prisma/migrations/20251104150000_add_uuid_to_cameras/migration.sql";
    std::fs::write(
        fx.root().join(file),
        "-- AlterTable\nALTER TABLE \"cameras\" ADD COLUMN \"uuid\" TEXT NOT NULL;\n",
    )
    .unwrap();
    let run = fx.devtop(["preflight", "--json"]);
    let doc = json_of(&run);
    assert_eq!(status(&doc, "lint"), "warn", "{doc:#}");
    assert_eq!(check(&doc, "lint")["number"], 13, "{doc:#}");
    let d = detail(&doc, "lint");
    assert!(
        d.contains(&format!(
            "{file}:2: data-dependent: ADD COLUMN cameras.uuid"
        )),
        "{d}"
    );
    let hint = check(&doc, "lint")["hint"].as_str().unwrap();
    assert!(hint.contains("nullable"), "{hint}");
    let strict = fx.devtop(["preflight", "--strict"]);
    assert_eq!(strict.code, Some(1), "{strict}");
    assert!(strict.stdout.contains("13 FAIL"), "{strict}");
    // The text output (redacted like every output) keeps the analyzer's name and its message
    // (auditor: the redactor took `primary-key:` for a secret's key).
    std::fs::write(
        fx.root().join(file),
        "ALTER TABLE `cameras` DROP PRIMARY KEY,\n    ADD PRIMARY KEY (`name`);\n",
    )
    .unwrap();
    let text = fx.devtop(["preflight"]);
    assert!(
        text.stdout
            .contains(&format!("{file}:1: primary-key: primary key of cameras")),
        "{text}"
    );
    assert!(!text.stdout.contains("***"), "{text}");

    // A database that does not answer (nothing listens on port 1): pending unknown, skipped.
    let env = fx.root().join("prisma/.env");
    let mut dotenv = std::fs::read_to_string(&env).unwrap();
    dotenv.push_str("GONE_DATABASE_URL=\"postgresql://u@127.0.0.1:1/x\"\n");
    std::fs::write(&env, dotenv).unwrap();
    config(
        fx.root(),
        "\n[[database]]\nname = \"gone\"\nurl_env = \"GONE_DATABASE_URL\"\n",
    );
    let doc = json_of(&fx.devtop(["preflight", "--env", "gone", "--json"]));
    assert_eq!(status(&doc, "lint"), "skipped", "{doc:#}");
    assert!(detail(&doc, "lint").contains("not linted"), "{doc:#}");

    // Nothing pending: skipped, with the reason.
    std::fs::remove_dir_all(
        fx.root()
            .join("prisma/migrations/20251104150000_add_uuid_to_cameras"),
    )
    .unwrap();
    let doc = json_of(&fx.devtop(["preflight", "--json"]));
    assert_eq!(status(&doc, "lint"), "skipped", "{doc:#}");
    assert!(detail(&doc, "lint").contains("nothing pending"), "{doc:#}");
}

/// The demo project with a stand-in Prisma CLI in `node_modules/.bin`: `validate` passes,
/// `migrate diff` appends a line to `diffs.log` and says "in sync" (exit 0). The setup as
/// the commands resolve it.
fn gated_project(fx: &Fixture) -> devtop::setup::Setup {
    demo_project(fx.root(), "");
    let bin = fx.root().join("node_modules/.bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = fx.root().join("diffs.log");
    let cli = bin.join("prisma");
    std::fs::write(
        &cli,
        format!(
            "#!/bin/sh\nif [ \"$1\" = migrate ] && [ \"$2\" = diff ]; then echo diff >> '{}'; fi\nexit 0\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
    let common = devtop::cli::Common {
        project: Some(fx.root().to_owned()),
        ..devtop::cli::Common::default()
    };
    let mut setup = devtop::setup::resolve(&common).unwrap();
    setup.config.preflight.check_timeout = Duration::from_secs(3);
    setup.config.preflight.cli_timeout = Duration::from_secs(3);
    setup
}

fn diffs_run(fx: &Fixture) -> usize {
    std::fs::read_to_string(fx.root().join("diffs.log"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Check 11 of a preflight of `local` run in-process (with the dashboard's `round`, if any).
fn drift_check(
    rt: &tokio::runtime::Runtime,
    setup: &devtop::setup::Setup,
    round: Option<&devtop::model::cli_diff::DiffRound>,
) -> devtop::model::preflight::Check {
    use devtop::effects::preflight::{Request, run};
    let s = rt.block_on(run(setup, &Request::new("local"), round, |_| {}));
    s.checks
        .into_iter()
        .find(|c| c.id == devtop::model::preflight::CheckId::Drift)
        .unwrap()
}

/// Check 11's diff waits for its turn at the session's one Prisma CLI gate: while another
/// holder (the background diff, a migrate run) keeps it past the time a diff needs to finish
/// within the preflight, no `migrate diff` starts and the check says so (devtop's own
/// comparison stands in, nothing times out); once it is free, the diff runs.
#[test]
fn the_drift_diff_takes_turns_at_the_session_gate() {
    let fx = Fixture::new();
    let setup = gated_project(&fx);
    let rt = runtime();
    let held = rt.block_on(setup.cli_gate.turn());
    let began = Instant::now();
    let drift = drift_check(&rt, &setup, None);
    let text = drift.detail.join("\n");
    assert!(
        text.contains("prisma migrate diff did not run: devtop's other Prisma CLI"),
        "{drift:?}"
    );
    assert!(!text.contains("did not finish"), "{drift:?}");
    assert_eq!(diffs_run(&fx), 0, "no diff while the gate is held");
    assert!(began.elapsed() < BOUND, "bounded while the gate is held");
    drop(held);
    let drift = drift_check(&rt, &setup, None);
    assert!(!drift.detail[0].contains("did not finish"), "{drift:?}");
    assert_eq!(diffs_run(&fx), 1, "{drift:?}");
    assert!(
        setup.cli_gate.try_turn().is_some(),
        "the turn was given back"
    );
}

/// In the dashboard, check 11 reuses the background round when it was taken for the same
/// migrations folder and schema file (not edited since) and no migrate ran since; otherwise
/// it diffs itself.
#[test]
fn the_dashboard_round_is_reused_only_while_fresh() {
    use devtop::model::cli_diff::{CliDiffs, DiffResult, DiffRound};
    use std::sync::Arc;
    let fx = Fixture::new();
    let setup = gated_project(&fx);
    let folder = Arc::new(devtop::prisma::migrations_dir::read(
        &setup.prisma.migrations_dir,
    ));
    let mut diffs = CliDiffs::new();
    diffs.insert(
        "local".into(),
        DiffResult::Differs(vec!["[+] Added tables".into(), "  - reused_marker".into()]),
    );
    let round = DiffRound {
        diffs: Arc::new(diffs),
        folder: folder.clone(),
        schema: devtop::prisma::schema_stamp::read(&setup.prisma.schema_path),
        deploys: setup.cli_gate.deploys(),
    };
    let rt = runtime();
    let drift_of = |round: &DiffRound| drift_check(&rt, &setup, Some(round));
    let drift = drift_of(&round);
    assert!(
        drift.detail.join("\n").contains("reused_marker"),
        "{drift:?}"
    );
    assert_eq!(diffs_run(&fx), 0, "fresh: no diff of its own");

    // Taken for another folder (a migration was added since): diffed again.
    let mut other = (*folder).clone();
    other.migrations.pop();
    let stale = DiffRound {
        folder: Arc::new(other),
        ..round.clone()
    };
    let drift = drift_of(&stale);
    assert!(
        !drift.detail.join("\n").contains("reused_marker"),
        "{drift:?}"
    );
    assert_eq!(diffs_run(&fx), 1);

    // schema.prisma was edited since (the folder unchanged): diffed again; the round taken
    // for the edited schema is fresh again.
    let schema_file = &setup.prisma.schema_path;
    let text = std::fs::read_to_string(schema_file).unwrap();
    std::fs::write(
        schema_file,
        format!("{text}\nmodel EditedSince {{\n  id Int @id\n}}\n"),
    )
    .unwrap();
    let drift = drift_of(&round);
    assert!(
        !drift.detail.join("\n").contains("reused_marker"),
        "an edited schema: {drift:?}"
    );
    assert_eq!(diffs_run(&fx), 2);
    let retaken = DiffRound {
        schema: devtop::prisma::schema_stamp::read(schema_file),
        ..round.clone()
    };
    let drift = drift_of(&retaken);
    assert!(
        drift.detail.join("\n").contains("reused_marker"),
        "{drift:?}"
    );
    assert_eq!(diffs_run(&fx), 2, "fresh for the edited schema");

    // A migrate run took a turn since: diffed again.
    rt.block_on(async { drop(setup.cli_gate.deploy_turn().await) });
    let drift = drift_of(&retaken);
    assert!(
        !drift.detail.join("\n").contains("reused_marker"),
        "{drift:?}"
    );
    assert_eq!(diffs_run(&fx), 3);
}
