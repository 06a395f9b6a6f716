//! Output safety, run as the real binary (issue 7, items 8, 9 and 14):
//! - hostile bytes (ESC sequences, a newline that forges a row, a bidi override) planted in a
//!   process's argv, a migration folder name, a `_prisma_migrations.migration_name` row of a
//!   real SQLite database and a `[[database]] name` never reach the text output raw, while
//!   the JSON output round-trips them exactly;
//! - a closed stdout ends a command quietly with exit 0 (`kill` still does what it was asked);
//! - the dashboard without a controlling terminal exits 2 with a message (in tmux, `setsid`).
//!
//! Every process is a stand-in of this test's own fixture (temp project, project scope), ended
//! by the fixture's guard; only those are ever signalled.

use crate::common;
use crate::tmux;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{Fixture, Run, devtop_command, run_command, wait_or_kill};
use devtop::db::prisma_table::SQLITE_DDL;
use serde_json::Value;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor};

/// Retitles the terminal, clears it, forges a row, flips the text direction.
const HOSTILE: &str = "ev\u{1b}]0;pwned\u{7}il\u{1b}[2J\nFAKE LINE ✓ applied\u{202e}dne";
/// How the text output shows [`HOSTILE`].
const ESCAPED: &str = r"ev\x1b]0;pwned\x07il\x1b[2J\nFAKE LINE ✓ applied\u{202e}dne";

/// Panics when `text` holds a byte a terminal would interpret (other than the `\n` between
/// rows), or a row forged by a newline.
fn assert_terminal_safe(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|&c| c != '\n' && devtop::sanitize::is_unsafe(c))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: raw control characters {bad:?} in\n{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("FAKE LINE")),
        "{what}: a forged row in\n{text}"
    );
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {run}"))
}

/// devtop with `args` + `--project <root> --scope project`, cwd `root`, URL variables cleared
/// and `env` set.
fn devtop_in(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    args.extend([
        "--project".to_owned(),
        root.to_string_lossy().into_owned(),
        "--scope".to_owned(),
        "project".to_owned(),
    ]);
    let mut cmd = devtop_command();
    cmd.args(&args).current_dir(root).env_remove("DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(&mut cmd, args)
}

#[test]
fn argv_control_bytes_are_escaped_in_text_and_exact_in_json() {
    let fx = Fixture::new();
    let p = fx
        .standin("node")
        .args(["server.js", HOSTILE, "\u{1b}[31mred\u{9b}0m"])
        .spawn();
    let text = fx.devtop(["status"]);
    assert_eq!(text.code, Some(0), "{text}");
    assert_terminal_safe("status", &text.stdout);
    assert!(text.stdout.contains(ESCAPED), "{text}");
    assert!(text.stdout.contains(r"\x1b[31mred\u{9b}0m"), "{text}");

    let doc = fx.status_json();
    let listed = doc["processes"]
        .as_array()
        .and_then(|ps| {
            ps.iter()
                .find(|x| x["pid"].as_u64() == Some(u64::from(p.pid)))
        })
        .unwrap_or_else(|| panic!("PID {} not listed: {doc:#}", p.pid));
    let cmd: Vec<&str> = listed["cmd"]
        .as_array()
        .expect("cmd")
        .iter()
        .map(|w| w.as_str().expect("string"))
        .collect();
    assert_eq!(cmd, p.argv, "JSON keeps argv exactly");
}

/// A SQLite project: schema, `migration_lock.toml`, `prisma/dev.db` with Prisma's
/// `_prisma_migrations` table holding `rows` (finished migrations).
async fn sqlite_project(root: &Path, rows: &[&str]) {
    let prisma = root.join("prisma");
    std::fs::create_dir_all(prisma.join("migrations")).expect("migrations dir");
    std::fs::write(
        prisma.join("schema.prisma"),
        "datasource db {\n  provider = \"sqlite\"\n  url      = env(\"DATABASE_URL\")\n}\n",
    )
    .expect("schema");
    std::fs::write(
        prisma.join("migrations/migration_lock.toml"),
        "provider = \"sqlite\"\n",
    )
    .expect("lock file");
    let mut c = SqliteConnectOptions::new()
        .filename(prisma.join("dev.db"))
        .create_if_missing(true)
        .disable_statement_logging()
        .connect()
        .await
        .expect("SQLite admin connection");
    c.execute(AssertSqlSafe(SQLITE_DDL.to_owned()))
        .await
        .expect("DDL");
    for (i, name) in rows.iter().enumerate() {
        sqlx::query(
            "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, \
             rolled_back_at, started_at, applied_steps_count) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)",
        )
        .bind(format!("00000000-0000-4000-8000-{i:012}"))
        .bind("0".repeat(64))
        .bind(1_735_725_601_500_i64)
        .bind(*name)
        .bind(1_735_725_600_000_i64)
        .execute(&mut c)
        .await
        .expect("insert row");
    }
    let _ = c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_names_from_folder_and_table_are_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_owned();
    let folder = format!("20250101000000_{HOSTILE}");
    let row = format!("20250102000000_db_{HOSTILE}");
    sqlite_project(&root, &[&row]).await;
    let m = root.join("prisma/migrations").join(&folder);
    std::fs::create_dir_all(&m).expect("hostile folder");
    std::fs::write(m.join("migration.sql"), "CREATE TABLE t (id INTEGER);\n").expect("sql");
    let env = [("DATABASE_URL", "file:./dev.db")];

    let root2 = root.clone();
    let (text, doc, status) = tokio::task::spawn_blocking(move || {
        (
            devtop_in(&root2, &["migrations"], &env),
            devtop_in(&root2, &["migrations", "--json"], &env),
            devtop_in(&root2, &["status"], &env),
        )
    })
    .await
    .expect("runner");
    for run in [&text, &status] {
        assert!(run.code.is_some(), "{run}");
        assert_terminal_safe("text output", &run.stdout);
        assert_terminal_safe("stderr", &run.stderr);
    }
    assert!(
        text.stdout.contains(&format!("20250101000000_{ESCAPED}")),
        "{text}"
    );
    assert!(
        text.stdout
            .contains(&format!("20250102000000_db_{ESCAPED}")),
        "{text}"
    );

    let doc = json(&doc);
    let local: Vec<&str> = doc["local"]
        .as_array()
        .expect("local")
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(local.contains(&folder.as_str()), "{doc:#}");
    let names: Vec<&str> = doc["environments"][0]["migrations"]
        .as_array()
        .unwrap_or_else(|| panic!("no migrations: {doc:#}"))
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert!(names.contains(&folder.as_str()), "{doc:#}");
    assert!(names.contains(&row.as_str()), "{doc:#}");
}

#[test]
fn database_name_with_control_bytes() {
    let fx = Fixture::new();
    let toml_name = HOSTILE
        .replace('\u{1b}', "\\u001b")
        .replace('\u{7}', "\\u0007")
        .replace('\n', "\\n")
        .replace('\u{202e}', "\\u202e");
    fx.write_config(&format!(
        "[[database]]\nname = \"{toml_name}\"\nurl_env = \"DEVTOP_TEST_UNSET_URL\"\n"
    ));
    let text = fx.devtop(["status"]);
    assert_terminal_safe("status stdout", &text.stdout);
    assert_terminal_safe("status stderr", &text.stderr);
    let migrations = fx.devtop(["migrations", "--env", HOSTILE]);
    assert_terminal_safe("migrations stdout", &migrations.stdout);
    assert_terminal_safe("migrations stderr", &migrations.stderr);
    if text.code == Some(2) {
        // Refused as bad input: fine, as long as the message is safe (checked above).
        return;
    }
    assert_eq!(text.code, Some(0), "{text}");
    assert!(text.stdout.contains(ESCAPED), "{text}");
    let doc = fx.status_json();
    let names: Vec<&str> = doc["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(
        names.contains(&HOSTILE),
        "JSON keeps the name exactly: {doc:#}"
    );
}

// ------------------------------------------------------------------------- closed stdout

/// Spawns devtop with `args` + project scope on `root`, stdout piped.
fn spawn_devtop(root: &Path, args: &[&str]) -> Child {
    devtop_command()
        .args(args)
        .args(["--scope", "project", "--project"])
        .arg(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn devtop")
}

/// Waits for our own child (see [`wait_or_kill`]); returns its exit code and stderr.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let mut err = child.stderr.take().expect("stderr piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = wait_or_kill(&mut child);
    let stderr = reader.join().unwrap_or_default();
    assert!(status.is_some(), "devtop did not end: {stderr}");
    (status.and_then(|s| s.code()), stderr)
}

#[test]
fn closed_stdout_ends_quietly() {
    let fx = Fixture::new();
    // More than a pipe's 64 KiB of output, so the write really meets the closed end.
    fx.standin("node")
        .args(["server.js", &"a".repeat(100_000)])
        .spawn();
    for args in [&["status"][..], &["status", "--json"]] {
        // `| head -1`: read the first line, then close.
        let mut child = spawn_devtop(fx.root(), args);
        let mut out = child.stdout.take().expect("stdout piped");
        let mut first = Vec::new();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).is_ok_and(|n| n == 1) && byte[0] != b'\n' {
            first.push(byte[0]);
        }
        drop(out);
        let (code, stderr) = finish(child);
        assert!(!first.is_empty(), "{args:?}: no first line");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: quiet, got {stderr}");
    }
    for args in [
        &["migrations"][..],
        &["migrations", "--json"],
        &["kill", "--suspects", "--dry-run"],
    ] {
        // Closed before anything is written.
        let mut child = spawn_devtop(fx.root(), args);
        drop(child.stdout.take());
        let (code, stderr) = finish(child);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(code, Some(101), "{args:?}: {stderr}");
        if args[0] != "migrations" {
            // (`migrations` without a database exits by its own rules.)
            assert_eq!(code, Some(0), "{args:?}: {stderr}");
        }
    }
}

#[test]
fn kill_still_signals_when_stdout_closes() {
    let fx = Fixture::new();
    let target = fx.standin("node").args(["server.js"]).spawn();
    let mut child = spawn_devtop(
        fx.root(),
        &[
            "kill",
            "--yes",
            "--grace",
            "2",
            "--pid",
            &target.pid.to_string(),
        ],
    );
    drop(child.stdout.take());
    let (code, stderr) = finish(child);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, Some(0), "the outcome decides the exit code: {stderr}");
    assert!(
        fx.wait_exit(target.pid, Duration::from_secs(5)).is_some(),
        "the confirmed kill happened although nobody read the output"
    );
}

// ------------------------------------------------------------------- no controlling terminal

#[test]
fn dashboard_without_a_controlling_terminal_exits_2() {
    if !tmux::available("dashboard_without_a_controlling_terminal_exits_2") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let exe = env!("CARGO_BIN_EXE_devtop");
    // stdout is the tmux pane (a terminal), but there is no controlling terminal and stdin is
    // not one: nothing to read keys from.
    let cmd = format!(
        "setsid {exe} --project {} </dev/null; echo \"[exit $?]\"; sleep 60",
        dir.path().display()
    );
    let name = format!("devtop-notty-{}", std::process::id());
    let s = tmux::Session::start(&name, 120, 20, &cmd);
    let screen = s.wait(Duration::from_secs(20), "devtop to exit", |t| {
        t.contains("[exit ")
    });
    assert!(screen.contains("[exit 2]"), "{screen}");
    assert!(screen.contains("controlling terminal"), "{screen}");
}
