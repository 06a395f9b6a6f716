//! Databases that flap, MariaDB: a data dir this test creates with `mariadb-install-db` in a
//! temp dir, served by `mariadbd` on its own free port and socket (as the `mysql` user when
//! root), under devtop's database health collector (`db_flap`'s helpers), is
//!
//! * stopped: down with "connection refused", retries backing off, up by itself once started
//!   again;
//! * full (`max_connections=10`, MariaDB's minimum; every slot — the one it keeps for a SUPER
//!   user included — held by the test's own connections): down with "too many connections", up by itself once
//!   the test closes them;
//! * frozen after the handshake (SIGSTOP to this test's `mariadbd`, devtop's connections
//!   established): down with "timed out" within devtop's operation limit — not a hang — and
//!   up by itself after SIGCONT.
//!
//! Without MariaDB's server binaries the test prints `skipping <test>: <reason>` and passes,
//! unless `DEVTOP_REQUIRE_DB=1`. The server is the test's child and is stopped (SIGCONT,
//! SIGTERM to its PID, SIGKILL after 10 s) when its guard drops, also on panic. The shared
//! server on 3306 is never touched.

use crate::db_flap::{
    end_server, free_port, is_up, kind, or_skip, run_as, wait_accepting, watch_env,
};

use devtop::model::database::DbStatus;
use devtop::model::db_error::DbErrorKind;
use sqlx::{Connection, MySqlConnection};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A MariaDB data dir in a temp dir (`mariadb-install-db`) served by `mariadbd` on its own
/// port and socket; the server is stopped (SIGTERM to its PID, SIGKILL after 10 s) on drop.
struct TempMaria {
    dir: tempfile::TempDir,
    ids: Option<(u32, u32)>,
    port: u16,
    max_connections: u32,
    child: Option<Child>,
}

impl TempMaria {
    fn init(max_connections: u32) -> Result<TempMaria, String> {
        let install = ["/usr/bin/mariadb-install-db", "/usr/bin/mysql_install_db"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .ok_or("no mariadb-install-db (MariaDB server not installed)")?;
        if !Path::new("/usr/sbin/mariadbd").exists() {
            return Err("no /usr/sbin/mariadbd (MariaDB server not installed)".into());
        }
        let ids = run_as("mysql", "mariadbd")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        if let Some((uid, gid)) = ids {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", dir.path().display()))?;
        }
        let mut cmd = Command::new(install);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", dir.path().join("data").display()))
            .args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        if ids.is_some() {
            cmd.arg("--user=mysql");
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("mariadb-install-db: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mariadb-install-db failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(TempMaria {
            dir,
            ids,
            port: free_port(),
            max_connections,
            child: None,
        })
    }

    fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/mysql", self.port)
    }

    async fn start(&mut self) {
        let d = self.dir.path();
        let log = std::fs::File::create(d.join("server.log")).expect("log file");
        let mut cmd = Command::new("/usr/sbin/mariadbd");
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", d.join("data").display()))
            .arg(format!("--socket={}", d.join("mysqld.sock").display()))
            .arg(format!("--pid-file={}", d.join("mysqld.pid").display()))
            .arg(format!("--port={}", self.port))
            .arg(format!("--max-connections={}", self.max_connections))
            .args(["--bind-address=127.0.0.1", "--skip-log-bin"]);
        if self.ids.is_some() {
            cmd.arg("--user=mysql");
        }
        let child = cmd
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start mariadbd");
        let (url, port, data) = (self.url(), self.port, d.join("data"));
        let log = d.join("server.log");
        let child = self.child.insert(child);
        wait_accepting("mariadbd", child, &log, async || {
            let Ok(mut c) = MySqlConnection::connect(&url).await else {
                return false;
            };
            // The free port may have been taken between choosing it and the server's bind:
            // make sure the server answering is this test's.
            let datadir: Result<(String,), _> =
                sqlx::query_as("SELECT @@datadir").fetch_one(&mut c).await;
            let _ = c.close().await;
            let ours = datadir.is_ok_and(|(served,)| Path::new(&served) == data);
            assert!(ours, "port {port} is answered by another server");
            true
        })
        .await;
    }

    /// This test's server process (its own child).
    fn pid(&self) -> Option<rustix::process::Pid> {
        let child = self.child.as_ref()?;
        rustix::process::Pid::from_raw(i32::try_from(child.id()).ok()?)
    }

    /// Freeze the server (SIGSTOP to its own PID): connections stay open, nothing answers.
    fn freeze(&self) {
        let pid = self.pid().expect("mariadbd runs");
        rustix::process::kill_process(pid, rustix::process::Signal::STOP).expect("SIGSTOP");
    }

    /// Let a frozen server run again (SIGCONT to its PID).
    fn thaw(&self) {
        if let Some(pid) = self.pid() {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::CONT);
        }
    }

    /// Stop the server: SIGCONT (in case it is frozen), SIGTERM, SIGKILL after 10 s; reaped.
    fn stop(&mut self) {
        self.thaw();
        end_server(self.child.take(), rustix::process::Signal::TERM);
    }
}

impl Drop for TempMaria {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A MariaDB server, or None after printing why not (see [`or_skip`]).
fn maria(test: &str, max_connections: u32) -> Option<TempMaria> {
    or_skip(test, TempMaria::init(max_connections))
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_restarted_under_devtop_recovers_by_itself() {
    let Some(mut m) = maria("mariadb_restarted_under_devtop_recovers_by_itself", 20) else {
        return;
    };
    m.start().await;
    let mut w = watch_env(&m.url());
    w.until("up", Duration::from_secs(20), is_up).await;

    m.stop();
    w.refused_with_backoff().await;

    m.start().await;
    let back = w.until("up again", Duration::from_secs(90), is_up).await;
    assert!(
        back.health.is_some(),
        "health read after recovery: {back:?}"
    );
}

/// The MySQL error number of a failed connect, if the server sent one.
fn error_number(e: &sqlx::Error) -> Option<u16> {
    e.as_database_error()?
        .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
        .map(sqlx::mysql::MySqlDatabaseError::number)
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_too_many_connections_then_recovers() {
    // 10: MariaDB's smallest max_connections (a smaller value is raised to it).
    let Some(mut m) = maria("mariadb_too_many_connections_then_recovers", 10) else {
        return;
    };
    m.start().await;
    // The test takes every slot before devtop tries: max_connections, plus the one MariaDB
    // keeps for a SUPER user (root) — until the server says 1040.
    let mut held = Vec::new();
    let refused = loop {
        assert!(
            held.len() <= 20,
            "still accepting after {} connections",
            held.len()
        );
        match MySqlConnection::connect(&m.url()).await {
            Ok(c) => held.push(c),
            Err(e) => break e,
        }
    };
    assert_eq!(error_number(&refused), Some(1040), "{refused}");
    assert!(
        held.len() >= 10,
        "only {} connections before 1040",
        held.len()
    );

    let mut w = watch_env(&m.url());
    let down = w
        .until("down, too many connections", Duration::from_secs(30), |e| {
            e.status == DbStatus::Down
        })
        .await;
    assert_eq!(
        kind(&down),
        Some(DbErrorKind::TooManyConnections),
        "{down:?}"
    );
    assert!(down.retry_in_s.is_some(), "{down:?}");
    for c in held {
        let _ = c.close().await;
    }
    let back = w
        .until("up once slots are free", Duration::from_secs(60), is_up)
        .await;
    assert!(
        back.health.is_some(),
        "health read after recovery: {back:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mariadb_frozen_after_handshake_times_out_then_recovers() {
    let Some(mut m) = maria("mariadb_frozen_after_handshake_times_out_then_recovers", 20) else {
        return;
    };
    m.start().await;
    let mut w = watch_env(&m.url());
    // Up: devtop's connections are established (handshake and a health read done).
    w.until("up", Duration::from_secs(20), is_up).await;

    m.freeze();
    w.times_out("the freeze").await;

    m.thaw();
    let back = w
        .until("up after the thaw", Duration::from_secs(90), is_up)
        .await;
    assert!(
        back.health.is_some(),
        "health read after recovery: {back:?}"
    );
}
