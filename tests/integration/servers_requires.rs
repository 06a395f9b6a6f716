//! `requires` gating in `devtop up`: a server that requires `migrations:local` is held while
//! the local SQLite database has a pending migration (nothing started, exit 1), starts with
//! `--force`, and starts once the row is applied; one that requires `db:staging` with a
//! closed port is held with the classified reason. Servers are Python `http.server`s under
//! the [`Servers`] guard of `servers_up` (every process a test starts is ended by it).

use super::servers_up::{Servers, free_port, http_server, line_of};
use devtop::db::prisma_table::SQLITE_DDL;
use sha2::{Digest, Sha256};

/// The local URL variable (unusual, so the test process's environment cannot interfere).
const LOCAL_VAR: &str = "DEVTOP_REQUIRES_TEST_URL";
const M1: &str = "20250101000000_init";
const M2: &str = "20251104150000_add_uuid";

/// `sqlite3` through Python (the tests here are synchronous), on `db`.
fn sqlite(db: &std::path::Path, sql: &str) {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()",
        ])
        .arg(db)
        .arg(sql)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A project with the `api` server requiring `migrations:local`, migrations M1 and M2 in the
/// folder, a SQLite database with `_prisma_migrations` and M1 applied. Returns it with the
/// checksum of M2's migration.sql.
fn project(port: u16) -> (Servers, String) {
    let toml = format!(
        "{}requires = [\"migrations:local\"]\n",
        http_server("api", port, &[], &format!("{{ tcp = {port} }}"))
    );
    let s = Servers::new(&toml);
    let prisma = s.root().join("prisma");
    let mut sums = Vec::new();
    for m in [M1, M2] {
        let dir = prisma.join("migrations").join(m);
        std::fs::create_dir_all(&dir).expect("migration dir");
        let sql = format!("CREATE TABLE t_{} (id INTEGER);\n", &m[..8]);
        std::fs::write(dir.join("migration.sql"), &sql).expect("migration.sql");
        sums.push(
            Sha256::digest(sql.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
    }
    std::fs::write(
        prisma.join("schema.prisma"),
        format!("datasource db {{\n  provider = \"sqlite\"\n  url = env(\"{LOCAL_VAR}\")\n}}\n"),
    )
    .expect("schema");
    s.write(".env", &format!("{LOCAL_VAR}=\"file:./dev.db\"\n"));
    sqlite(&prisma.join("dev.db"), SQLITE_DDL);
    sqlite(&prisma.join("dev.db"), &row("1", M1, &sums[0]));
    let m2 = sums.pop().expect("two");
    (s, m2)
}

/// An applied `_prisma_migrations` row.
fn row(id: &str, name: &str, checksum: &str) -> String {
    format!(
        "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, \
         rolled_back_at, started_at, applied_steps_count) VALUES ('{id}', '{checksum}', \
         1735725601500, '{name}', NULL, NULL, 1735725600000, 1)"
    )
}

#[test]
fn a_pending_migration_holds_the_server_until_applied_and_force_starts_it() {
    let port = free_port();
    let (mut s, m2_sum) = project(port);
    let held = s.devtop(&["up", "--wait"]);
    assert_eq!(held.code, Some(1), "{held}");
    let line = &held
        .stdout
        .lines()
        .nth(line_of(&held, "api held:"))
        .expect("held line")
        .to_owned();
    assert!(
        line.ends_with(&format!(
            "api held: local has 1 pending migration ({M2}) — apply it, or run devtop up \
             --force to start it anyway"
        )),
        "{held}"
    );
    assert!(!held.stdout.contains("starting"), "{held}");
    assert!(held.stderr.contains("api held"), "{held}");
    assert!(s.recorded().is_empty());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());

    // --force: a warning, and it starts.
    let forced = s.devtop(&["up", "--wait", "--force"]);
    assert_eq!(forced.code, Some(0), "{forced}");
    assert!(
        line_of(
            &forced,
            "api requires do not hold, starting it anyway (--force): local has 1 pending"
        ) < line_of(&forced, "api starting"),
        "{forced}"
    );
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");

    // Applied: it starts, no warning.
    sqlite(&s.root().join("prisma/dev.db"), &row("2", M2, &m2_sum));
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    assert!(
        up.stdout.contains("all 1 ready") && !up.stdout.contains("held"),
        "{up}"
    );
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
}

#[test]
fn an_unreachable_database_holds_the_server_with_the_reason() {
    let (db_port, port) = (free_port(), free_port());
    let toml = format!(
        "[[database]]\nname = \"staging\"\nurl_env = \"DEVTOP_REQUIRES_STAGING_URL\"\n\n{}\
         requires = [\"db:staging\"]\n",
        http_server("api", port, &[], &format!("{{ tcp = {port} }}"))
    );
    let mut s = Servers::new(&toml);
    s.write(
        ".env",
        &format!("DEVTOP_REQUIRES_STAGING_URL=\"postgresql://u:secretpw@127.0.0.1:{db_port}/x\"\n"),
    );
    let held = s.devtop(&["up", "--wait"]);
    assert_eq!(held.code, Some(1), "{held}");
    line_of(&held, "api held: staging unreachable: connection refused");
    assert!(!held.stdout.contains("starting"), "{held}");
    assert!(
        !held.stdout.contains("secretpw") && !held.stderr.contains("secretpw"),
        "{held}"
    );
    assert!(s.recorded().is_empty());
}

#[test]
fn requires_are_checked_once_the_dependencies_are_ready() {
    // `api` requires `db:local` and depends on `dbinit`, which puts the database file in
    // place when it starts: probed before `dbinit` ran, `local` would not answer.
    let (dbinit_port, port) = (free_port(), free_port());
    let (mut s, _) = project(port);
    let prisma = s.root().join("prisma");
    std::fs::rename(prisma.join("dev.db"), prisma.join("ready.db")).expect("rename");
    let dbinit = format!(
        "[[server]]\nname = \"dbinit\"\ncmd = [\"sh\", \"-c\", \"cp prisma/ready.db prisma/dev.db \
         && exec {py} -u -m http.server {dbinit_port} --bind 127.0.0.1\"]\n\
         ready = {{ tcp = {dbinit_port} }}\n\n",
        py = super::servers_up::python()
    );
    let api = format!(
        "{}requires = [\"db:local\"]\n",
        http_server("api", port, &["dbinit"], &format!("{{ tcp = {port} }}"))
    );
    s.write("devtop.toml", &format!("{dbinit}{api}"));
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    assert!(
        line_of(&up, "dbinit ready after") < line_of(&up, "api starting"),
        "{up}"
    );
    assert!(!up.stdout.contains("held"), "{up}");
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
}
