//! PostgreSQL behind PgBouncer in transaction pooling (`?pgbouncer=true`, as Supabase-style
//! hosts hand out): devtop connects without the startup parameters PgBouncer rejects, reads
//! `_prisma_migrations`, and its queries still run in read-only transactions.
//!
//! Needs the `pgbouncer` binary (`.ci/run` installs it) and PostgreSQL; skips with a printed
//! reason without them, fails instead when `DEVTOP_REQUIRE_DB=1`.

use crate::db_common;

use devtop::db::connect::{Db, connect, pg_read_tx};
use devtop::db::prisma_table::{POSTGRES_DDL, applied};
use devtop::db::probe::probe;
use sqlx::Executor;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A pgbouncer started by this test, killed (by its own PID) and reaped on drop.
struct Bouncer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_bouncer() -> Result<Bouncer, String> {
    let bin = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .ok_or("pgbouncer is not installed (apt-get install -y pgbouncer)")?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let ini = dir.path().join("pgbouncer.ini");
    std::fs::write(dir.path().join("users.txt"), "\"postgres\" \"\"\n")
        .map_err(|e| e.to_string())?;
    std::fs::write(
        &ini,
        format!(
            "[databases]\n* = host=127.0.0.1 port=5432\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nauth_type = trust\nauth_file = {users}\npool_mode = transaction\nunix_socket_dir =\nlogfile = {log}\n",
            users = dir.path().join("users.txt").display(),
            log = dir.path().join("pgbouncer.log").display()
        ),
    )
    .map_err(|e| e.to_string())?;
    let mut cmd = Command::new(bin);
    // PgBouncer refuses to run as root: drop to the postgres user then.
    if rustix::process::geteuid().is_root() {
        let pg = Command::new("id")
            .args(["-u", "postgres"])
            .output()
            .map_err(|e| e.to_string())?;
        let uid: u32 = String::from_utf8_lossy(&pg.stdout)
            .trim()
            .parse()
            .map_err(|_| "no postgres user")?;
        for f in ["", "pgbouncer.ini", "users.txt"] {
            std::os::unix::fs::chown(dir.path().join(f), Some(uid), None)
                .map_err(|e| e.to_string())?;
        }
        cmd.args(["-u", "postgres"]);
    }
    let child = cmd
        .arg(&ini)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let b = Bouncer {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("pgbouncer did not start listening".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(b)
}

#[tokio::test(flavor = "multi_thread")]
async fn pgbouncer_transaction_pooling() {
    let Some(db) = db_common::PgTestDb::create("pgbouncer").await else {
        return;
    };
    let bouncer = match start_bouncer() {
        Ok(b) => b,
        Err(reason) if !db_common::require_db() => {
            db_common::skip("pgbouncer_transaction_pooling", &reason);
            return;
        }
        Err(reason) => panic!("DEVTOP_REQUIRE_DB=1 but {reason}"),
    };
    let mut admin = db.admin().await;
    admin
        .execute(POSTGRES_DDL)
        .await
        .expect("create _prisma_migrations");
    admin
        .execute("INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ('a', 'c', now(), '20250101000000_init', now(), 1)")
        .await
        .expect("insert a row");

    let url = db_common::parse(&format!(
        "postgresql://postgres@127.0.0.1:{}/{}?pgbouncer=true&connection_limit=1",
        bouncer.port, db.name
    ));
    assert!(url.pgbouncer());
    let conn = connect(&url, Duration::from_secs(5))
        .await
        .expect("connect through pgbouncer");
    // Several rounds: the pool's two connections share PgBouncer's server connections.
    for _ in 0..3 {
        let h = probe(&conn).await.expect("probe");
        assert!(h.version.starts_with("PostgreSQL"), "{}", h.version);
        let rows = applied(&conn, None)
            .await
            .expect("read _prisma_migrations")
            .expect("table present");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].migration_name, "20250101000000_init");
    }
    let Db::Pg(pool) = &conn else {
        panic!("a PostgreSQL pool")
    };
    let mut c = pool.acquire().await.expect("a pooled connection");
    let mut tx = pg_read_tx(&mut c, Duration::from_secs(5))
        .await
        .expect("read-only transaction");
    let timeout: String = sqlx::query_scalar("SELECT current_setting('statement_timeout')")
        .persistent(false)
        .fetch_one(&mut *tx)
        .await
        .expect("statement_timeout");
    assert_eq!(timeout, "4s", "bounded on the server behind PgBouncer too");
    let err = (&mut *tx)
        .execute("CREATE TABLE devtop_must_not_write (i int)")
        .await
        .expect_err("a write in devtop's transaction must fail");
    assert!(err.to_string().contains("read-only transaction"), "{err}");
    drop(tx);
    drop(c);
    conn.close().await;
}
