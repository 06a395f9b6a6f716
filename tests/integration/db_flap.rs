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
//! MariaDB likewise in `db_flap_maria`, with this module's helpers.
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
pub(crate) const INTERVAL: Duration = Duration::from_millis(200);
/// How long a started server may take to accept connections.
const START_DEADLINE: Duration = Duration::from_secs(30);

pub(crate) fn free_port() -> u16 {
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

/// `(uid, gid)` to run `tool` as: None when not root, `user`'s when root (initdb and mariadbd
/// refuse root); Err when there is no such user.
pub(crate) fn run_as(user: &str, tool: &str) -> Result<Option<(u32, u32)>, String> {
    if !rustix::process::geteuid().is_root() {
        return Ok(None);
    }
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, user])
            .output()
            .map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| format!("running as root and there is no `{user}` user to run {tool} as"))
    };
    Ok(Some((id("-u")?, id("-g")?)))
}

/// Waits until the server `child` (its log at `log`) accepts: `accepts` is tried every 100 ms
/// until it returns true; panics with the log when the server exits first, or after
/// [`START_DEADLINE`].
pub(crate) async fn wait_accepting(
    what: &str,
    child: &mut Child,
    log: &Path,
    mut accepts: impl AsyncFnMut() -> bool,
) {
    let deadline = Instant::now() + START_DEADLINE;
    loop {
        if accepts().await {
            return;
        }
        if let Ok(Some(st)) = child.try_wait() {
            panic!(
                "{what} exited ({st}) before accepting connections: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not start within {START_DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Ends a server the test started: `signal` to its own PID, SIGKILL after 10 s; reaped.
pub(crate) fn end_server(child: Option<Child>, signal: rustix::process::Signal) {
    let Some(mut child) = child else {
        return;
    };
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process(pid, signal);
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
        let ids = run_as("postgres", "initdb")?;
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
        let url = self.url();
        let log = self.dir.path().join("server.log");
        let child = self.child.insert(child);
        wait_accepting(
            "postgres",
            child,
            &log,
            async || match PgConnection::connect(&url).await {
                Ok(c) => {
                    let _ = c.close().await;
                    true
                }
                Err(_) => false,
            },
        )
        .await;
    }

    /// Fast shutdown (SIGINT to the server's own PID), SIGKILL after 10 s; reaped.
    fn stop(&mut self) {
        end_server(self.child.take(), rustix::process::Signal::INT);
    }
}

impl Drop for TempPg {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The server of `made`, or None after printing why this machine cannot run one (a failure
/// instead when `DEVTOP_REQUIRE_DB=1`).
pub(crate) fn or_skip<T>(test: &str, made: Result<T, String>) -> Option<T> {
    made.map_err(|reason| db_common::skip(test, &reason)).ok()
}

/// A cluster, or None after printing why not (see [`or_skip`]).
fn cluster(test: &str, max_connections: u32) -> Option<TempPg> {
    or_skip(test, TempPg::init(max_connections))
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
pub(crate) struct Watched {
    rx: watch::Receiver<Arc<devtop::model::database::DbSnapshot>>,
    cancel: CancellationToken,
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

pub(crate) fn watch_env(url: &str) -> Watched {
    let cancel = CancellationToken::new();
    let rx = databases::spawn(vec![spec(url)], INTERVAL, cancel.clone());
    Watched { rx, cancel }
}

impl Watched {
    /// The next published snapshot of the environment satisfying `pred`, within `within`.
    pub(crate) async fn until(
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

impl Watched {
    /// After the server stopped: down with "connection refused", then a longer retry delay
    /// (back-off: 5 s → 10 s → … → 60 s), still refused. Returns that later reading.
    pub(crate) async fn refused_with_backoff(&mut self) -> DbEnvSnapshot {
        let first = self
            .until("down, connection refused", Duration::from_secs(30), |e| {
                e.status == DbStatus::Down && kind(e) == Some(DbErrorKind::Refused)
            })
            .await;
        let first_retry = first.retry_in_s.expect("a retry delay while down");
        let second = self
            .until("a later retry delay", Duration::from_secs(30), |e| {
                e.status == DbStatus::Down && e.retry_in_s.is_some_and(|r| r > first_retry)
            })
            .await;
        assert_eq!(kind(&second), Some(DbErrorKind::Refused), "{second:?}");
        second
    }

    /// Right after the server stopped answering (`what`): down with "timed out" and a retry
    /// delay within devtop's operation limit (10 s of slack) — reported, not a hang.
    pub(crate) async fn times_out(&mut self, what: &str) -> DbEnvSnapshot {
        let since = Instant::now();
        let limit = OPERATION_LIMIT + Duration::from_secs(10);
        let down = self
            .until(&format!("down after {what}"), limit, |e| {
                e.status == DbStatus::Down
            })
            .await;
        assert_eq!(kind(&down), Some(DbErrorKind::Timeout), "{down:?}");
        assert!(down.retry_in_s.is_some(), "{down:?}");
        assert!(
            since.elapsed() <= limit,
            "{what} is reported within devtop's operation limit"
        );
        down
    }
}

pub(crate) fn kind(env: &DbEnvSnapshot) -> Option<DbErrorKind> {
    env.error.as_ref().map(|e| e.kind)
}

pub(crate) fn is_up(env: &DbEnvSnapshot) -> bool {
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
    let second = w.refused_with_backoff().await;
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
    w.times_out("the stall").await;

    proxy.resume();
    w.until("up after the stall ends", Duration::from_secs(90), is_up)
        .await;
}
