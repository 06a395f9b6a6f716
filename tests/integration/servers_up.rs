//! `devtop up` / `devtop down` on real servers started in a temporary project: Python
//! `http.server`s and `sh` scripts, on free ports picked by the test.
//!
//! Safety: every server is started by the devtop the test runs, in a session of its own; a
//! [`Servers`] guard SIGKILLs, when the test ends, every process of the sessions devtop
//! reported starting (`starting (pid N)`) that began after the guard was made, through
//! pidfds of verified processes. Nothing else is signalled.

use crate::common::{Run, devtop_command, run_command, wait_until};
use devtop::collect::server_members::scan;
use devtop::effects::servers::state::{self, Recorded};
use devtop::effects::signal::read_identity;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Deadline for processes to disappear after `down` returned (they are gone already then;
/// this only absorbs /proc lag on a loaded machine).
pub(crate) const GONE: Duration = Duration::from_secs(10);

/// A temporary project with a devtop.toml, and the guard over the servers started in it.
pub(crate) struct Servers {
    dir: tempfile::TempDir,
    /// Sessions reported started, with the clock-tick floor for their members.
    sessions: Vec<u32>,
    since_ticks: u64,
}

impl Servers {
    /// A project whose devtop.toml is `toml`.
    pub(crate) fn new(toml: &str) -> Servers {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("devtop.toml"), toml).expect("devtop.toml");
        Servers {
            dir,
            sessions: Vec::new(),
            since_ticks: ticks_now(),
        }
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file in the project (a script the servers run).
    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.root().join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    /// Runs `devtop --project <root> <args>`; remembers the sessions it reports starting.
    pub(crate) fn devtop(&mut self, args: &[&str]) -> Run {
        self.devtop_env(args, &[])
    }

    /// [`Servers::devtop`] with `env` set.
    pub(crate) fn devtop_env(&mut self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let root = self.root().to_string_lossy().into_owned();
        let mut all: Vec<String> = vec!["--project".into(), root];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        let mut cmd = devtop_command();
        cmd.args(&all).envs(env.iter().copied());
        let run = run_command(&mut cmd, all.clone());
        for pid in started_pids(&run.stdout) {
            self.sessions.push(pid);
        }
        run
    }

    /// Puts the session of `pid` (a server devtop reported or recorded) under the guard.
    pub(crate) fn guard(&mut self, pid: u32) {
        self.sessions.push(pid);
    }

    /// The server log of `name`.
    pub(crate) fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.root().join(format!(".devtop/logs/{name}.log")))
            .unwrap_or_default()
    }

    /// The recorded state entries.
    pub(crate) fn recorded(&self) -> Vec<Recorded> {
        state::read(self.root()).expect("state").servers
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        for &pid in &self.sessions {
            let session = Recorded {
                name: String::new(),
                pid,
                pgid: pid,
                start_ticks: self.since_ticks,
                port: None,
                started_unix: 0,
                adopted: false,
                ready_after_ms: None,
            };
            for m in scan(&session) {
                kill_verified(m.pid, m.start_ticks);
            }
        }
    }
}

/// SIGKILL `pid` through a pidfd, only if it still started at `start_ticks`.
pub(crate) fn kill_verified(pid: u32, start_ticks: u64) {
    let Ok(fd) = devtop::effects::pidfd::open(pid) else {
        return;
    };
    if read_identity(pid).is_ok_and(|id| id.start_ticks == start_ticks) {
        let _ = rustix::process::pidfd_send_signal(&fd, rustix::process::Signal::KILL);
    }
}

/// Clock ticks since boot now (from `/proc/uptime`, 100 ticks a second), minus one second of
/// slack.
pub(crate) fn ticks_now() -> u64 {
    let up = std::fs::read_to_string("/proc/uptime").unwrap_or_default();
    let secs: f64 = up
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    ((secs - 1.0).max(0.0) * 100.0) as u64
}

/// PIDs in `<time> <name> starting (pid N)` lines.
pub(crate) fn started_pids(out: &str) -> Vec<u32> {
    out.lines()
        .filter_map(|l| {
            l.split_once("starting (pid ")?
                .1
                .strip_suffix(')')?
                .parse()
                .ok()
        })
        .collect()
}

/// Index of the first line containing `needle`; panics with the output when there is none.
pub(crate) fn line_of(run: &Run, needle: &str) -> usize {
    run.stdout
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}: {run}"))
}

/// A free TCP port on 127.0.0.1 (bound and released).
/// A port no one listens on, below the kernel's ephemeral range (32768–60999 by default), so a
/// client connection of another test (a database session) cannot take it between this check
/// and the server's bind. Each call in this process gets a different port.
pub(crate) fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    // Spread concurrent test processes over the range by PID.
    let base = 20_000 + (std::process::id() % 1_000) as u16 * 12;
    loop {
        let offset = NEXT.fetch_add(1, Ordering::Relaxed) % 12_000;
        let port = 20_000 + (base - 20_000 + offset) % 12_000;
        let free = ["127.0.0.1", "0.0.0.0"]
            .iter()
            .all(|h| std::net::TcpListener::bind((*h, port)).is_ok());
        if free {
            return port;
        }
    }
}

/// The Python interpreter itself (not a version-manager shim that would add a process).
pub(crate) fn python() -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A `[[server]]` running `python3 -u -m http.server PORT`.
pub(crate) fn http_server(name: &str, port: u16, deps: &[&str], ready: &str) -> String {
    let deps: Vec<String> = deps.iter().map(|d| format!("\"{d}\"")).collect();
    format!(
        "[[server]]\nname = \"{name}\"\ncmd = [\"{py}\", \"-u\", \"-m\", \"http.server\", \"{port}\", \"--bind\", \"127.0.0.1\"]\n\
         port = {port}\nready = {ready}\ndepends_on = [{deps}]\nready_timeout = \"60s\"\nstop_grace = \"5s\"\n\n",
        py = python(),
        deps = deps.join(", ")
    )
}

/// True once `pid` is gone or a zombie.
pub(crate) fn gone(pid: u32) -> bool {
    wait_until(GONE, || read_identity(pid).map_or(true, |id| id.exited()))
}

#[test]
fn three_servers_start_in_dependency_order_and_stop_in_reverse() {
    let (a, b, c) = (free_port(), free_port(), free_port());
    let toml = [
        // Configured in reverse, so file order cannot explain the start order.
        http_server("web", c, &["api"], "{ log = \"Serving HTTP on\" }"),
        http_server("api", b, &["db"], &format!("{{ tcp = {b} }}")),
        http_server(
            "db",
            a,
            &[],
            &format!("{{ http = \"http://127.0.0.1:{a}/\" }}"),
        ),
    ]
    .concat();
    let mut s = Servers::new(&toml);
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    assert!(
        line_of(&up, "db ready after") < line_of(&up, "api starting"),
        "{up}"
    );
    assert!(
        line_of(&up, "api ready after") < line_of(&up, "web starting"),
        "{up}"
    );
    assert!(up.stdout.contains(&format!("(tcp {b})")), "{up}");
    assert!(line_of(&up, "all 3 ready") > line_of(&up, "web ready after"));
    // After `up` returned the servers run on, recorded.
    let recorded = s.recorded();
    let names: Vec<&str> = recorded.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["db", "api", "web"]);
    for r in &recorded {
        assert!(
            read_identity(r.pid).is_ok_and(|id| !id.exited()),
            "{} runs",
            r.name
        );
        assert_eq!(r.pid, r.pgid);
    }
    assert!(std::net::TcpStream::connect(("127.0.0.1", c)).is_ok());
    // `down`, a new process, reads the state file and stops them in reverse order.
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    assert!(
        line_of(&down, "web stopped") < line_of(&down, "api stopping"),
        "{down}"
    );
    assert!(
        line_of(&down, "api stopped") < line_of(&down, "db stopping"),
        "{down}"
    );
    for r in &recorded {
        assert!(gone(r.pid), "{} ({}) survived down", r.name, r.pid);
    }
    assert!(s.recorded().is_empty());
}

#[test]
fn a_crash_during_start_fails_up_with_its_exit_code_and_stops_the_rest() {
    let port = free_port();
    let mut s = Servers::new("");
    s.write(
        "crash.sh",
        "echo boom on stdout\necho bad config >&2\nexit 3\n",
    );
    let toml = format!(
        "[[server]]\nname = \"base\"\ncmd = [\"sleep\", \"600\"]\n\n\
         [[server]]\nname = \"api\"\ncmd = [\"sh\", \"crash.sh\"]\nport = {port}\n\
         ready = {{ tcp = {port} }}\ndepends_on = [\"base\"]\n"
    );
    s.write("devtop.toml", &toml);
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(1), "{up}");
    assert!(
        up.stdout
            .contains("api failed: exited with code 3 during start"),
        "{up}"
    );
    assert!(up.stdout.contains("api | boom on stdout"), "{up}");
    assert!(up.stdout.contains("api | bad config"), "{up}");
    assert!(up.stderr.contains("api failed to start"), "{up}");
    assert!(
        line_of(&up, "base stopped") > line_of(&up, "api failed"),
        "{up}"
    );
    for pid in started_pids(&up.stdout) {
        assert!(gone(pid), "{pid} survived the failed up");
    }
    assert!(s.recorded().is_empty());
}

#[test]
fn a_server_not_ready_in_time_fails_with_the_reason_and_is_stopped() {
    let port = free_port();
    let mut s = Servers::new(&format!(
        "[[server]]\nname = \"mute\"\ncmd = \"echo still booting; exec sleep 600\"\n\
         shell = true\nready = {{ tcp = {port} }}\nready_timeout = \"1s\"\n"
    ));
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(1), "{up}");
    let reason = format!("mute failed: not ready after 1s (tcp {port})");
    assert!(up.stdout.contains(&reason), "{up}");
    assert!(up.stdout.contains("mute | still booting"), "{up}");
    for pid in started_pids(&up.stdout) {
        assert!(gone(pid), "{pid} survived the failed up");
    }
    assert!(s.recorded().is_empty());
}

#[test]
fn an_interrupted_up_stops_what_it_started() {
    let port = free_port();
    let mut s = Servers::new(&format!(
        "[[server]]\nname = \"slow\"\ncmd = [\"sleep\", \"600\"]\n\
         ready = {{ tcp = {port} }}\nready_timeout = \"10m\"\n"
    ));
    let root = s.root().to_string_lossy().into_owned();
    let mut devtop = devtop_command()
        .args(["--project", &root, "up"])
        .spawn()
        .expect("devtop up");
    let recorded = wait_until(Duration::from_secs(30), || !s.recorded().is_empty());
    let pid = s.recorded().first().map(|r| r.pid);
    if let Some(pid) = pid {
        s.guard(pid);
    }
    // Our own child, not reaped yet: its PID is still devtop's.
    let devtop_pid = rustix::process::Pid::from_raw(devtop.id() as i32).expect("pid");
    let _ = rustix::process::kill_process(devtop_pid, rustix::process::Signal::INT);
    let status = crate::common::wait_or_kill(&mut devtop).expect("devtop ended");
    assert!(recorded, "the server was never recorded");
    assert_eq!(status.code(), Some(130));
    let pid = pid.expect("recorded pid");
    assert!(gone(pid), "the server {pid} survived the interrupted up");
    assert!(s.recorded().is_empty());
}

#[test]
fn a_taken_port_is_reported_with_its_holder_and_nothing_starts() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = holder.local_addr().expect("addr").port();
    let mut s = Servers::new(&http_server(
        "api",
        port,
        &[],
        &format!("{{ tcp = {port} }}"),
    ));
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(1), "{up}");
    let expected = format!("port {port} is taken by PID {}", std::process::id());
    assert!(up.stdout.contains(&expected), "{up}");
    assert!(started_pids(&up.stdout).is_empty(), "{up}");
    assert!(s.recorded().is_empty());
}

/// A port free on 127.0.0.1, 0.0.0.0 and ::1.
fn free_port_v6() -> u16 {
    loop {
        let port = free_port();
        if std::net::TcpListener::bind(("::1", port)).is_ok() {
            return port;
        }
    }
}

/// Servers listening only on ::1 (vite where `localhost` resolves to ::1 first) become ready:
/// the tcp probe tries ::1 as well as 127.0.0.1, and an http URL's `[::1]` host is connected
/// to as an address.
#[test]
fn a_server_listening_only_on_ipv6_loopback_becomes_ready() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        println!("skipped: this machine has no IPv6 loopback (::1 cannot be bound)");
        return;
    }
    let (a, b) = (free_port_v6(), free_port_v6());
    let server = |name: &str, port: u16, ready: String| {
        format!(
            "[[server]]\nname = \"{name}\"\ncmd = [\"{py}\", \"-u\", \"-m\", \"http.server\", \"{port}\", \"--bind\", \"::1\"]\n\
             ready = {ready}\nready_timeout = \"20s\"\n\n",
            py = python()
        )
    };
    let toml = server("tcp6", a, format!("{{ tcp = {a} }}"))
        + &server("http6", b, format!("{{ http = \"http://[::1]:{b}/\" }}"));
    let mut s = Servers::new(&toml);
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    assert!(up.stdout.contains("tcp6 ready after"), "{up}");
    assert!(up.stdout.contains("http6 ready after"), "{up}");
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
}

#[test]
fn usage_errors_exit_2() {
    let mut s = Servers::new("");
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(2), "{up}");
    let mut s = Servers::new(&http_server("api", free_port(), &[], "{ tcp = 1 }"));
    let up = s.devtop(&["up", "--only", "nope"]);
    assert_eq!(up.code, Some(2), "{up}");
    assert!(up.stderr.contains("--only nope"), "{up}");
    assert!(started_pids(&up.stdout).is_empty());
    // An https probe cannot be tried (plain HTTP only): a config error at its place.
    let mut s = Servers::new(
        "[[server]]\nname = \"web\"\ncmd = [\"sleep\", \"600\"]\n\
         ready = { http = \"https://127.0.0.1:5173/\" }\n",
    );
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(2), "{up}");
    let at = format!("{}:4:18:", s.root().join("devtop.toml").display());
    assert!(up.stderr.contains(&at), "{up}");
    assert!(up.stderr.contains("only http:// is supported"), "{up}");
    assert!(started_pids(&up.stdout).is_empty(), "{up}");
}

/// M7: a start that fails without output shows none of the previous run's lines, and a log
/// at the rotation size is rotated before a start (bounded without a supervisor too).
#[test]
fn a_failed_start_shows_only_its_own_lines_and_a_large_log_is_rotated_first() {
    let mut s = Servers::new(
        "[[server]]\nname = \"api\"\nshell = true\nready = { log = \"first run line\" }\n\
         cmd = \"if [ -e ran ]; then exit 3; fi; touch ran; echo first run line; exec sleep 600\"\n",
    );
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    assert_eq!(s.devtop(&["down"]).code, Some(0));
    let failed = s.devtop(&["up", "--wait"]);
    assert_eq!(failed.code, Some(1), "{failed}");
    line_of(&failed, "api failed: exited with code 3 during start");
    assert!(!failed.stdout.contains("first run line"), "{failed}");
    // A log over the (test) rotation size is rotated before the next start.
    std::fs::remove_file(s.root().join("ran")).expect("rm ran");
    let log = s.root().join(".devtop/logs/api.log");
    std::fs::write(&log, "old line\n".repeat(100)).expect("big log");
    let up = s.devtop_env(&["up", "--wait"], &[("DEVTOP_TEST_ROTATE_BYTES", "500")]);
    assert_eq!(up.code, Some(0), "{up}");
    let rotated = std::fs::read_to_string(s.root().join(".devtop/logs/api.log.1"));
    assert!(rotated.is_ok_and(|r| r.contains("old line")), "not rotated");
    assert!(!s.log("api").contains("old line"), "{}", s.log("api"));
    assert!(s.log("api").contains("first run line"), "{}", s.log("api"));
    assert_eq!(s.devtop(&["down"]).code, Some(0));
}
