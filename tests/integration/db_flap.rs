//! Databases that flap, under devtop's database health collector (`collect::databases::spawn`,
//! the task the dashboard runs): a PostgreSQL cluster this test creates with `initdb` in a temp
//! dir and runs on its own free port is
//!
//! * stopped: the environment goes down with "connection refused", retries back off (5 s, then
//!   10 s), and it comes back up by itself once the server is started again;
//! * full (`max_connections=3`, every slot held by the test): down with "too many
//!   connections", up by itself once the slots are freed;
//! * stalled after the handshake (a TCP proxy of this test accepts and then stops forwarding):
//!   down with "timed out" within devtop's operation limit, up by itself once the proxy
//!   forwards again.
//!
//! MariaDB likewise (`mariadb-install-db` into a temp dir, `mariadbd` on its own port and
//! socket, as the `mysql` user when root): stopped and restarted.
//!
//! Needs PostgreSQL's server binaries (`/usr/lib/postgresql/<version>/bin/initdb` and
//! `postgres`). As root, the cluster runs as the `postgres` user (initdb refuses root). When
//! the binaries or that user are missing the test prints `skipping <test>: <reason>` and
//! passes, unless `DEVTOP_REQUIRE_DB=1`: then a machine that cannot run the cluster FAILS,
//! so a CI that requires databases never passes these tests without running them.
//!
//! The server is started as a child of the test and stopped (SIGINT to its PID: fast
//! shutdown, then SIGKILL after 10 s) when its guard drops, also on panic.

use crate::db_common;

use devtop::collect::databases::{self, OPERATION_LIMIT};
use devtop::collect::environments::EnvSpec;
use devtop::model::database::{DbEnvSnapshot, DbStatus};
use devtop::model::db_error::DbErrorKind;
use sqlx::{Connection, PgConnection};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How often devtop probes while up in these tests.
const INTERVAL: Duration = Duration::from_millis(200);
/// How long a started server may take to accept connections.
const START_DEADLINE: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `postgres`.
fn pg_bin_dir() -> Result<PathBuf, String> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("no PostgreSQL server binaries (/usr/lib/postgresql: {e})"))?
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("postgres").exists()).then_some((v, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop()
        .map(|(_, b)| b)
        .ok_or_else(|| "no /usr/lib/postgresql/*/bin/initdb".to_owned())
}

/// `(uid, gid)` to run the cluster as: None when not root, the `postgres` user's when root.
fn run_as() -> Result<Option<(u32, u32)>, String> {
    if !rustix::process::geteuid().is_root() {
        return Ok(None);
    }
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| "running as root and there is no `postgres` user to run initdb as".into())
    };
    Ok(Some((id("-u")?, id("-g")?)))
}

/// A PostgreSQL cluster in a temp dir on its own port; the server is stopped on drop.
struct TempPg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    ids: Option<(u32, u32)>,
    port: u16,
    max_connections: u32,
    child: Option<Child>,
}

impl TempPg {
    /// `initdb` a cluster (trust auth, user `postgres`); Err says why it cannot be done here.
    fn init(max_connections: u32) -> Result<TempPg, String> {
        let bin = pg_bin_dir()?;
        let ids = run_as()?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        if let Some((uid, gid)) = ids {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(|e| format!("chown {}: {e}", dir.path().display()))?;
        }
        let pg = TempPg {
            bin,
            ids,
            port: free_port(),
            max_connections,
            child: None,
            dir,
        };
        let out = pg
            .command("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "-D",
            ])
            .arg(pg.data())
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let mut c = Command::new(self.bin.join(tool));
        c.current_dir(self.dir.path()).stdin(Stdio::null());
        if let Some((uid, gid)) = self.ids {
            c.uid(uid).gid(gid);
        }
        c
    }

    fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Start the server and wait until it accepts a session.
    async fn start(&mut self) {
        let log = std::fs::File::create(self.dir.path().join("server.log")).expect("log file");
        if let Some((uid, gid)) = self.ids {
            let _ =
                std::os::unix::fs::chown(self.dir.path().join("server.log"), Some(uid), Some(gid));
        }
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data())
            .args(["-p", &self.port.to_string()])
            .arg("-k")
            .arg(self.dir.path())
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                &format!("max_connections={}", self.max_connections),
                "-c",
                "superuser_reserved_connections=0",
                "-c",
                "fsync=off",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(c) = PgConnection::connect(&self.url()).await {
                let _ = c.close().await;
                return;
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(st)) = c.try_wait()
            {
                panic!(
                    "postgres exited ({st}) before accepting connections: {}",
                    std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not start within {START_DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Fast shutdown (SIGINT to the server's own PID), SIGKILL after 10 s; reaped.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for TempPg {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A cluster, or None after printing why this machine cannot run one (a failure instead when
/// `DEVTOP_REQUIRE_DB=1`).
fn cluster(test: &str, max_connections: u32) -> Option<TempPg> {
    match TempPg::init(max_connections) {
        Ok(pg) => Some(pg),
        Err(reason) => {
            db_common::skip(test, &reason);
            None
        }
    }
}

fn spec(url: &str) -> EnvSpec {
    EnvSpec {
        name: "flap".to_owned(),
        url_env: "DATABASE_URL".to_owned(),
        url: Ok(devtop::db::url::parse(url, Path::new(".")).expect("test URL parses")),
        config_error: false,
        source: Some("environment".to_owned()),
    }
}

/// devtop's health collector on one environment; cancelled on drop.
struct Watched {
    rx: watch::Receiver<Arc<devtop::model::database::DbSnapshot>>,
    cancel: CancellationToken,
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn watch_env(url: &str) -> Watched {
    let cancel = CancellationToken::new();
    let rx = databases::spawn(vec![spec(url)], INTERVAL, cancel.clone());
    Watched { rx, cancel }
}

impl Watched {
    /// The next published snapshot of the environment satisfying `pred`, within `within`.
    async fn until(
        &mut self,
        what: &str,
        within: Duration,
        mut pred: impl FnMut(&DbEnvSnapshot) -> bool,
    ) -> DbEnvSnapshot {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let env = self.rx.borrow_and_update().envs[0].clone();
            if pred(&env) {
                return env;
            }
            match tokio::time::timeout_at(deadline, self.rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => panic!("the collector stopped while waiting for {what}"),
                Err(_) => panic!(
                    "no {what} within {within:?}; last: {:?} {:?} retry {:?}",
                    env.status, env.error, env.retry_in_s
                ),
            }
        }
    }
}

fn kind(env: &DbEnvSnapshot) -> Option<DbErrorKind> {
    env.error.as_ref().map(|e| e.kind)
}

fn is_up(env: &DbEnvSnapshot) -> bool {
    env.status == DbStatus::Up && env.error.is_none() && env.retry_in_s.is_none()
}

#[tokio::test(flavor = "multi_thread")]
async fn pg_restarted_under_devtop_recovers_by_itself() {
    let Some(mut pg) = cluster("pg_restarted_under_devtop_recovers_by_itself", 20) else {
        return;
    };
    pg.start().await;
    let mut w = watch_env(&pg.url());
    w.until("up", Duration::from_secs(20), is_up).await;

    pg.stop();
    let first = w
        .until("down, connection refused", Duration::from_secs(30), |e| {
            e.status == DbStatus::Down && kind(e) == Some(DbErrorKind::Refused)
        })
        .await;
    let first_retry = first.retry_in_s.expect("a retry delay while down");
    // Back-off: the next failed attempt waits longer (5 s → 10 s → … → 60 s).
    let second = w
        .until("a later retry delay", Duration::from_secs(30), |e| {
            e.status == DbStatus::Down && e.retry_in_s.is_some_and(|r| r > first_retry)
        })
        .await;
    assert_eq!(kind(&second), Some(DbErrorKind::Refused), "{second:?}");
    assert!(second.history.last().is_some_and(Option::is_none));

    pg.start().await;
    let back = w.until("up again", Duration::from_secs(90), is_up).await;
    assert!(
        back.health.is_some(),
        "health read after recovery: {back:?}"
    );
    assert!(back.history.last().is_some_and(Option::is_some));
}

#[tokio::test(flavor = "multi_thread")]
async fn pg_too_many_connections_then_recovers() {
    let Some(mut pg) = cluster("pg_too_many_connections_then_recovers", 3) else {
        return;
    };
    pg.start().await;
    // The test holds every slot before devtop tries.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(
            PgConnection::connect(&pg.url())
                .await
                .expect("admin connection"),
        );
    }
    let mut w = watch_env(&pg.url());
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
    assert!(down.retry_in_s.is_some());
    for c in held {
        let _ = c.close().await;
    }
    w.until("up once slots are free", Duration::from_secs(60), is_up)
        .await;
}

/// A TCP proxy to `target` that forwards until [`StallProxy::stall`], then accepts and holds
/// connections without forwarding a byte; [`StallProxy::resume`] closes the stalled ones and
/// forwards new ones again. Its threads end on drop.
struct StallProxy {
    port: u16,
    stalled: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl StallProxy {
    fn start(target: u16) -> StallProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy listener");
        let port = listener.local_addr().expect("proxy address").port();
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let stalled = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (stalled.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((inbound, _)) => {
                        let _ = inbound.set_nonblocking(false);
                        let Ok(outbound) = TcpStream::connect(("127.0.0.1", target)) else {
                            continue;
                        };
                        for (from, to) in [
                            (inbound.try_clone(), outbound.try_clone()),
                            (outbound.try_clone(), inbound.try_clone()),
                        ] {
                            if let (Ok(from), Ok(to)) = (from, to) {
                                let (s, st) = (s.clone(), st.clone());
                                std::thread::spawn(move || pump(from, to, &s, &st));
                            }
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        StallProxy {
            port,
            stalled,
            stop,
        }
    }

    fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    fn resume(&self) {
        self.stalled.store(false, Ordering::SeqCst);
    }
}

impl Drop for StallProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Copies `from` → `to` while not stalled; a connection that saw a stall is closed when it
/// ends (as a network that drops a path resets its connections).
fn pump(mut from: TcpStream, mut to: TcpStream, stalled: &AtomicBool, stop: &AtomicBool) {
    let _ = from.set_read_timeout(Some(Duration::from_millis(20)));
    let mut buf = [0u8; 16 * 1024];
    let mut saw_stall = false;
    while !stop.load(Ordering::Relaxed) {
        if stalled.load(Ordering::SeqCst) {
            saw_stall = true;
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        if saw_stall {
            break;
        }
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

#[tokio::test(flavor = "multi_thread")]
async fn pg_stall_after_handshake_times_out_then_recovers() {
    let Some(mut pg) = cluster("pg_stall_after_handshake_times_out_then_recovers", 20) else {
        return;
    };
    pg.start().await;
    let proxy = StallProxy::start(pg.port);
    let url = format!("postgresql://postgres@127.0.0.1:{}/postgres", proxy.port);
    let mut w = watch_env(&url);
    w.until("up through the proxy", Duration::from_secs(20), is_up)
        .await;

    proxy.stall();
    let stalled_at = Instant::now();
    let down = w
        .until(
            "down after the stall",
            OPERATION_LIMIT + Duration::from_secs(10),
            |e| e.status == DbStatus::Down,
        )
        .await;
    assert_eq!(kind(&down), Some(DbErrorKind::Timeout), "{down:?}");
    assert!(
        stalled_at.elapsed() <= OPERATION_LIMIT + Duration::from_secs(10),
        "a stalled server is reported within devtop's operation limit"
    );

    proxy.resume();
    w.until("up after the stall ends", Duration::from_secs(90), is_up)
        .await;
}

/// `(uid, gid)` of the `mysql` user when root (mariadbd refuses root without `--user`).
fn mysql_ids() -> Result<Option<(u32, u32)>, String> {
    if !rustix::process::geteuid().is_root() {
        return Ok(None);
    }
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, "mysql"])
            .output()
            .map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| "running as root and there is no `mysql` user to run mariadbd as".into())
    };
    Ok(Some((id("-u")?, id("-g")?)))
}

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
        let ids = mysql_ids()?;
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
        self.child = Some(child);
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(mut c) = sqlx::MySqlConnection::connect(&self.url()).await {
                // The free port may have been taken between choosing it and the server's bind:
                // make sure the server answering is this test's.
                let datadir: Result<(String,), _> =
                    sqlx::query_as("SELECT @@datadir").fetch_one(&mut c).await;
                let _ = c.close().await;
                let ours = datadir.is_ok_and(|(d,)| Path::new(&d) == d_data(d_path(&self.dir)));
                assert!(ours, "port {} is answered by another server", self.port);
                return;
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(st)) = c.try_wait()
            {
                panic!(
                    "mariadbd exited ({st}) before accepting connections: {}",
                    std::fs::read_to_string(d.join("server.log")).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd did not start within {START_DEADLINE:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for TempMaria {
    fn drop(&mut self) {
        self.stop();
    }
}

fn d_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().to_owned()
}

fn d_data(dir: PathBuf) -> PathBuf {
    dir.join("data")
}

fn maria(test: &str, max_connections: u32) -> Option<TempMaria> {
    match TempMaria::init(max_connections) {
        Ok(m) => Some(m),
        Err(reason) => {
            db_common::skip(test, &reason);
            None
        }
    }
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
    let first = w
        .until("down, connection refused", Duration::from_secs(30), |e| {
            e.status == DbStatus::Down && kind(e) == Some(DbErrorKind::Refused)
        })
        .await;
    let first_retry = first.retry_in_s.expect("a retry delay while down");
    let second = w
        .until("a later retry delay", Duration::from_secs(30), |e| {
            e.status == DbStatus::Down && e.retry_in_s.is_some_and(|r| r > first_retry)
        })
        .await;
    assert_eq!(kind(&second), Some(DbErrorKind::Refused), "{second:?}");

    m.start().await;
    let back = w.until("up again", Duration::from_secs(90), is_up).await;
    assert!(
        back.health.is_some(),
        "health read after recovery: {back:?}"
    );
}
