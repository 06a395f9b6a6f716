//! `devtop status` (`servers`) and `devtop logs` on a real server started by `devtop up` in a
//! temporary project (a `sh` script that prints, then `exec`s Python's `http.server` on a free
//! port).
//!
//! Safety: the server is under the [`Servers`] guard of `servers_up` (its session is SIGKILLed
//! when the test ends); the `devtop logs -f` process is the test's own child, ended by SIGTERM
//! through its PID (not reaped yet, so not reused) and SIGKILLed by its handle on drop; so
//! is the port holder an adoption test starts itself.

use crate::common::{wait_or_kill, wait_until};
use crate::servers_up::{Servers, free_port, gone, python};
use std::io::BufRead;
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A project with one server `web` that prints a line holding ESC, then serves HTTP.
fn project() -> (Servers, u16) {
    let port = free_port();
    let s = Servers::new(&format!(
        "[[server]]\nname = \"web\"\ncmd = [\"sh\", \"web.sh\"]\nport = {port}\n\
         ready = {{ tcp = {port} }}\nready_timeout = \"60s\"\nstop_grace = \"5s\"\n"
    ));
    s.write(
        "web.sh",
        &format!(
            "printf 'hello \\033[31mred\\033[0m bell\\007\\n'\nexec {} -u -m http.server {port} --bind 127.0.0.1\n",
            python()
        ),
    );
    (s, port)
}

/// The `servers` entry named `name` of `status --json`.
fn server_json(s: &mut Servers, name: &str) -> serde_json::Value {
    let run = s.devtop(&["status", "--json"]);
    assert_eq!(run.code, Some(0), "{run}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    doc["servers"]
        .as_array()
        .and_then(|a| a.iter().find(|v| v["name"] == name).cloned())
        .unwrap_or_else(|| panic!("no server {name}: {run}"))
}

#[test]
fn status_shows_a_running_server_then_stopped() {
    let (mut s, port) = project();
    let before = server_json(&mut s, "web");
    assert_eq!(before["state"], "stopped", "{before}");
    assert!(before["pid"].is_null(), "{before}");
    assert_eq!(before["port"], port);
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    let pid = s.recorded().first().expect("recorded").pid;
    let running = server_json(&mut s, "web");
    assert_eq!(running["state"], "running", "{running}");
    assert_eq!(running["pid"], pid, "{running}");
    assert_eq!(running["pgid"], pid, "{running}");
    assert!(running["rss_bytes"].as_u64().unwrap_or(0) > 0, "{running}");
    assert!(running["uptime_s"].is_u64(), "{running}");
    let text = s.devtop(&["status"]);
    assert!(text.stdout.contains("servers:"), "{text}");
    assert!(
        text.stdout
            .lines()
            .any(|l| l.contains("web") && l.contains("running") && l.contains(&pid.to_string())),
        "{text}"
    );
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    assert!(gone(pid), "{pid} survived down");
    let after = server_json(&mut s, "web");
    assert_eq!(after["state"], "stopped", "{after}");
    assert!(after["rss_bytes"].is_null(), "{after}");
}

/// A `devtop logs -f` child with its stdout lines sent through a channel; SIGKILLed by its
/// own handle on drop if still running.
struct Follow {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Follow {
    /// Waits (at most 30 s) for a line containing `needle`.
    fn wait_for(&mut self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.seen.iter().any(|l| l.contains(needle)) {
                return true;
            }
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(100)) {
                self.seen.push(l);
            }
        }
        false
    }
}

impl Drop for Follow {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn logs_prints_escaped_lines_and_follows_appended_ones() {
    let (mut s, _port) = project();
    let unknown = s.devtop(&["logs", "nope"]);
    assert_eq!(unknown.code, Some(2), "{unknown}");
    assert!(unknown.stderr.contains("configured: web"), "{unknown}");
    let none = s.devtop(&["logs", "web"]);
    assert_eq!(none.code, Some(1), "{none}");
    assert!(none.stderr.contains("no log yet"), "{none}");
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    let logs = s.devtop(&["logs", "web"]);
    assert_eq!(logs.code, Some(0), "{logs}");
    // Colours stripped as in the Logs pane, other control bytes escaped.
    assert!(logs.stdout.contains("hello red bell\\x07\n"), "{logs}");
    assert!(!logs.stdout.contains('\x1b'), "{logs}");
    assert!(!logs.stdout.contains("\\x1b"), "{logs}");
    let one = s.devtop(&["logs", "web", "-n", "1"]);
    assert_eq!(one.stdout.lines().count(), 1, "{one}");

    let root = s.root().to_string_lossy().into_owned();
    let mut child = crate::common::devtop_command()
        .args(["--project", &root, "logs", "web", "-f"])
        .spawn()
        .expect("devtop logs -f");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut follow = Follow {
        child,
        lines: rx,
        seen: Vec::new(),
    };
    assert!(follow.wait_for("hello"), "{:?}", follow.seen);
    let log = s.root().join(".devtop/logs/web.log");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open log");
    std::io::Write::write_all(&mut f, b"appended \x1b]0;title\x07 later \x01\n").expect("append");
    assert!(follow.wait_for("appended"), "{:?}", follow.seen);
    assert!(
        follow
            .seen
            .iter()
            .any(|l| l.contains("appended  later \\x01")),
        "{:?}",
        follow.seen
    );
    // Our own child, not reaped yet: its PID is still devtop's.
    let pid = rustix::process::Pid::from_raw(follow.child.id() as i32).expect("pid");
    let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    let status = wait_or_kill(&mut follow.child).expect("logs -f ended");
    assert_eq!(status.code(), Some(0));
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
}

#[test]
fn logs_follow_ends_when_its_reader_goes_away() {
    // No server needed: a log file as `up` leaves it.
    let (s, _port) = project();
    std::fs::create_dir_all(s.root().join(".devtop/logs")).expect("logs dir");
    std::fs::write(s.root().join(".devtop/logs/web.log"), "quiet\n").expect("log");
    let root = s.root().to_string_lossy().into_owned();
    let mut child = crate::common::devtop_command()
        .args(["--project", &root, "logs", "web", "-f"])
        .spawn()
        .expect("devtop logs -f");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 6];
    std::io::Read::read_exact(&mut stdout, &mut first).expect("first line");
    assert_eq!(&first, b"quiet\n");
    // Nothing more is written: only the closed pipe can end it.
    drop(stdout);
    let status = wait_or_kill(&mut child);
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{status:?}");
}

/// An adopted server: its uptime counts from its process's start, not from the adoption, and
/// the "port is taken" error that adopting resolved is no longer its last error.
#[test]
fn an_adopted_server_keeps_its_own_uptime_and_loses_the_port_error() {
    use crate::servers_supervise::{holder, server, status};
    let port = crate::servers_up::free_port();
    let mut s = Servers::new(&format!(
        "[[server]]\nname = \"web\"\ncmd = [\"{py}\", \"-u\", \"-m\", \"http.server\", \"{port}\", \"--bind\", \"127.0.0.1\"]\n\
         port = {port}\nready = {{ tcp = {port} }}\n",
        py = python()
    ));
    let root = s.root().canonicalize().expect("root");
    let same = holder(&root, port, &[]);
    let hpid = same.0.id();
    let refused = s.devtop(&["up", "--wait"]);
    assert_eq!(refused.code, Some(1), "{refused}");
    let st = status(&mut s);
    let error = server(&st, "web")["last_error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("is taken"), "{st:#}");
    // The holder has run for 2 s at least before it is adopted.
    let ticks = devtop::effects::signal::read_identity(hpid)
        .expect("holder")
        .start_ticks;
    let aged = || crate::servers_up::ticks_now() >= ticks + 300;
    assert!(
        wait_until(Duration::from_secs(30), aged),
        "the holder's age"
    );
    let up = s.devtop(&["up", "--wait", "--adopt"]);
    assert_eq!(up.code, Some(0), "{up}");
    let st = status(&mut s);
    let web = server(&st, "web");
    assert_eq!(web["state"], "adopted", "{st:#}");
    assert!(web["last_error"].is_null(), "{st:#}");
    let uptime = web["uptime_s"].as_u64().unwrap_or_default();
    assert!(uptime >= 2, "uptime {uptime} s from the adoption: {st:#}");
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    drop(same);
}
