//! The foreground `devtop up` (supervision): `on-failure` restarts with back-off and giving
//! up, a crash detected with its signal, readiness again after a restart, the state-file lock
//! refusing a second `up` / `down`, SIGTERM stopping everything it started; and port
//! conflicts: the holder named, adopted (`--adopt`), ended (`--end-holder`), or the start
//! cancelled.
//!
//! Safety: servers are started by the devtop under test in sessions of their own; a
//! [`Foreground`] guard SIGKILLs its devtop (by its own child handle) and then every process
//! of the sessions devtop reported starting, through pidfds of verified processes; port
//! holders are the test's own children, killed by their handles on drop.

use crate::common::{devtop_command, wait_or_kill, wait_until};
use crate::servers_up::{Servers, free_port, gone, python, started_pids, ticks_now};
use devtop::collect::server_members::scan;
use devtop::effects::servers::state::Recorded;
use serde_json::Value;
use std::io::Read;
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a step of a foreground run may take on a loaded machine.
pub(crate) const STEP: Duration = Duration::from_secs(30);

/// A foreground `devtop up` running in the background of the test, its output collected.
pub(crate) struct Foreground {
    child: Child,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
    since_ticks: u64,
}

impl Foreground {
    /// `devtop --project <root> up <args>` with `env`.
    pub(crate) fn start(s: &Servers, args: &[&str], env: &[(&str, &str)]) -> Foreground {
        let since_ticks = ticks_now();
        let mut cmd = devtop_command();
        cmd.arg("--project").arg(s.root()).arg("up").args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn devtop up");
        let collect = |mut r: Box<dyn Read + Send>| {
            let buf = Arc::new(Mutex::new(String::new()));
            let b = Arc::clone(&buf);
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n) = r.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    b.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&chunk[..n]));
                }
            });
            buf
        };
        let out = collect(Box::new(child.stdout.take().expect("stdout")));
        let err = collect(Box::new(child.stderr.take().expect("stderr")));
        Foreground {
            child,
            out,
            err,
            since_ticks,
        }
    }

    pub(crate) fn stdout(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    pub(crate) fn text(&self) -> String {
        format!(
            "--- stdout ---\n{}--- stderr ---\n{}",
            self.stdout(),
            self.err.lock().unwrap()
        )
    }

    /// True once stdout holds `needle` `times` times.
    pub(crate) fn saw(&self, needle: &str, times: usize) -> bool {
        wait_until(STEP, || self.stdout().matches(needle).count() >= times)
    }

    /// Sends `signal` to the devtop (our own unreaped child: its PID is still it).
    pub(crate) fn signal(&self, signal: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("pid");
        rustix::process::kill_process(pid, signal).expect("signal devtop");
    }

    pub(crate) fn wait(&mut self) -> Option<ExitStatus> {
        let status = wait_or_kill(&mut self.child);
        // Let the readers drain the pipes.
        wait_until(Duration::from_secs(5), || Arc::strong_count(&self.out) == 1);
        status
    }
}

impl Drop for Foreground {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for pid in started_pids(&self.stdout()) {
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
                crate::servers_up::kill_verified(m.pid, m.start_ticks);
            }
        }
    }
}

/// A process the test started itself, SIGKILLed by its handle on drop.
pub(crate) struct Own(pub(crate) Child);

impl Drop for Own {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `devtop status --json` of the project.
pub(crate) fn status(s: &mut Servers) -> Value {
    let run = s.devtop(&["status", "--json"]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"))
}

pub(crate) fn server<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["servers"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no server {name}: {status:#}"))
}

#[test]
fn on_failure_restarts_with_backoff_and_gives_up_at_the_fifth_failure() {
    let mut s = Servers::new(
        "[[server]]\nname = \"flaky\"\ncmd = \"echo run $$; exit 3\"\nshell = true\n\
         restart = \"on-failure\"\n",
    );
    let mut fg = Foreground::start(&s, &[], &[("DEVTOP_TEST_RESTART_BASE_MS", "50")]);
    let status_code = fg.wait();
    let out = fg.text();
    assert_eq!(status_code.and_then(|c| c.code()), Some(1), "{out}");
    assert_eq!(out.matches("flaky exited with code 3").count(), 5, "{out}");
    for (i, wait) in ["50ms", "100ms", "200ms", "400ms"].iter().enumerate() {
        let line = format!("flaky restarting in {wait} (attempt {} of 4)", i + 1);
        assert!(out.contains(&line), "{line}: {out}");
    }
    assert!(
        out.contains("flaky gave up after 5 failures in a row"),
        "{out}"
    );
    assert_eq!(started_pids(&fg.stdout()).len(), 5, "{out}");
    // Its log lines, followed from the log file and tagged with its name.
    assert!(out.matches("flaky | run ").count() >= 1, "{out}");
    for pid in started_pids(&fg.stdout()) {
        assert!(gone(pid), "{pid} survived");
    }
    let st = status(&mut s);
    let flaky = server(&st, "flaky");
    assert_eq!(flaky["state"], "stopped", "{st:#}");
    let err = flaky["last_error"].as_str().unwrap_or_default();
    assert!(
        err.contains("exited with code 3; gave up after 5"),
        "{st:#}"
    );
}

#[test]
fn a_crash_is_detected_restarted_to_ready_and_sigterm_stops_everything() {
    let port = free_port();
    let py = python();
    let mut s = Servers::new("");
    // First run: listen, accept the readiness probe, then die by SIGSEGV; later runs serve.
    s.write(
        "crashy.sh",
        &format!(
            "if [ -f crashed ]; then exec {py} -u -m http.server {port} --bind 127.0.0.1; fi\n\
             touch crashed\n\
             {py} -c \"import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', {port})); s.listen(); s.accept()\"\n\
             echo crashing now\n\
             kill -SEGV $$\n"
        ),
    );
    s.write(
        "devtop.toml",
        &format!(
            "[[server]]\nname = \"base\"\ncmd = [\"sleep\", \"600\"]\n\n\
             [[server]]\nname = \"api\"\ncmd = [\"sh\", \"crashy.sh\"]\nport = {port}\n\
             ready = {{ tcp = {port} }}\ndepends_on = [\"base\"]\nrestart = \"on-failure\"\n"
        ),
    );
    let mut fg = Foreground::start(&s, &[], &[("DEVTOP_TEST_RESTART_BASE_MS", "50")]);
    assert!(
        fg.saw("api crashed: killed by signal 11", 1),
        "{}",
        fg.text()
    );
    assert!(
        fg.saw("api restarting in 50ms (attempt 1 of 4)", 1),
        "{}",
        fg.text()
    );
    assert!(fg.saw("api ready after", 2), "{}", fg.text());
    assert!(fg.stdout().contains("api  | crashing now"), "{}", fg.text());
    let st = status(&mut s);
    let api = server(&st, "api");
    assert_eq!(api["state"], "running", "{st:#}");
    assert!(api["ready_after_s"].as_f64().is_some(), "{st:#}");
    assert_eq!(api["last_error"], "killed by signal 11", "{st:#}");
    // The lock: a second up is refused, naming the foreground devtop (a `down` beside it
    // stops the servers instead: see `tui_servers_ops`).
    let who = format!("PID {}, up", fg.child.id());
    let second = s.devtop(&["up", "--wait"]);
    assert_eq!(second.code, Some(1), "{second}");
    assert!(second.stderr.contains(&who), "{second}");
    // SIGTERM: everything it started is stopped in reverse order, then it exits 143.
    fg.signal(rustix::process::Signal::TERM);
    let code = fg.wait().and_then(|c| c.code());
    let out = fg.text();
    assert_eq!(code, Some(143), "{out}");
    let (api_at, base_at) = (
        out.find("api stopped").expect("api stopped"),
        out.find("base stopped").expect("base stopped"),
    );
    assert!(api_at < base_at, "{out}");
    for pid in started_pids(&fg.stdout()) {
        assert!(gone(pid), "{pid} survived: {out}");
    }
    assert!(s.recorded().is_empty(), "{out}");
}

/// The test's own `python3 -m http.server PORT` (with `extra` args) in `dir`.
pub(crate) fn holder(dir: &std::path::Path, port: u16, extra: &[&str]) -> Own {
    let child = std::process::Command::new(python())
        .args([
            "-u",
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .args(extra)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("holder");
    let own = Own(child);
    assert!(
        wait_until(STEP, || std::net::TcpStream::connect(("127.0.0.1", port))
            .is_ok()),
        "the holder never listened"
    );
    own
}

#[test]
fn a_taken_port_names_its_holder_and_is_cancelled_adopted_or_ended() {
    let port = free_port();
    let mut s = Servers::new(&format!(
        "[[server]]\nname = \"web\"\ncmd = [\"{py}\", \"-u\", \"-m\", \"http.server\", \"{port}\", \"--bind\", \"127.0.0.1\"]\n\
         port = {port}\nready = {{ tcp = {port} }}\n",
        py = python()
    ));
    let root = s.root().canonicalize().expect("root");
    let mut same = holder(&root, port, &[]);
    let hpid = same.0.id();
    // Default: cancelled, the holder named with role, argv and project; the flags suggested.
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(1), "{up}");
    // python3 is neither node nor a dev tool: role `other`.
    let named = format!("web port {port} is taken by PID {hpid} (other) ");
    assert!(up.stdout.contains(&named), "{up}");
    assert!(up.stdout.contains("http.server"), "{up}");
    assert!(
        up.stdout.contains(&format!("(project {})", root.display())),
        "{up}"
    );
    assert!(up.stdout.contains("(adoptable)"), "{up}");
    assert!(
        up.stderr.contains("--adopt") && up.stderr.contains("--end-holder"),
        "{up}"
    );
    assert!(started_pids(&up.stdout).is_empty(), "{up}");
    assert!(
        same.0.try_wait().expect("try_wait").is_none(),
        "holder untouched"
    );
    // --adopt: recorded as adopted, shown as such, and `down` stops it.
    let up = s.devtop(&["up", "--wait", "--adopt"]);
    assert_eq!(up.code, Some(0), "{up}");
    assert!(
        up.stdout.contains(&format!("web adopted (pid {hpid})")),
        "{up}"
    );
    let rec = s.recorded();
    assert!(
        rec.len() == 1 && rec[0].adopted && rec[0].pid == hpid,
        "{rec:?}"
    );
    let st = status(&mut s);
    assert_eq!(server(&st, "web")["state"], "adopted", "{st:#}");
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    assert!(
        wait_until(STEP, || same.0.try_wait().ok().flatten().is_some()),
        "down did not stop the adopted holder"
    );
    // Another command on the port: not adoptable; --end-holder ends it and starts web.
    let mut other = holder(&root, port, &["--directory", "."]);
    let opid = other.0.id();
    let up = s.devtop(&["up", "--wait", "--adopt"]);
    assert_eq!(up.code, Some(1), "{up}");
    assert!(up.stdout.contains("cannot adopt it"), "{up}");
    let up = s.devtop(&["up", "--wait", "--end-holder"]);
    assert_eq!(up.code, Some(0), "{up}");
    assert!(
        up.stdout.contains(&format!(
            "web ended the holder of port {port} (pids {opid})"
        )),
        "{up}"
    );
    assert!(up.stdout.contains("web ready after"), "{up}");
    assert!(
        wait_until(STEP, || other.0.try_wait().ok().flatten().is_some()),
        "the holder survived --end-holder"
    );
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
}

#[test]
fn a_chatty_log_is_rotated_while_supervised_and_still_followed() {
    let mut s = Servers::new(
        "[[server]]\nname = \"chatty\"\n\
         cmd = \"i=0; while :; do for j in 1 2 3 4 5 6 7 8 9 10; do i=$((i+1)); \
         echo line-$i-padding-padding-padding; done; sleep 0.01; done\"\n\
         shell = true\n",
    );
    // About 40 KB a second against a 20 KB limit checked every second.
    let env = [("DEVTOP_TEST_ROTATE_BYTES", "20000")];
    let mut fg = Foreground::start(&s, &[], &env);
    let rotated = s.root().join(".devtop/logs/chatty.log.1");
    assert!(wait_until(STEP, || rotated.exists()), "{}", fg.text());
    let lines_then = fg.stdout().matches("chatty | line-").count();
    // Still followed after the truncation: more lines arrive.
    assert!(
        wait_until(STEP, || fg.stdout().matches("chatty | line-").count()
            > lines_then + 100),
        "{}",
        fg.text()
    );
    let old = std::fs::metadata(&rotated).expect("rotated").len();
    assert!(old >= 20_000, "rotated at the limit: {old} bytes");
    fg.signal(rustix::process::Signal::INT);
    assert_eq!(fg.wait().and_then(|c| c.code()), Some(130), "{}", fg.text());
    // The log holds what came after the last rotation only: the limit plus about a second
    // of output, far from everything printed.
    let log = std::fs::metadata(s.root().join(".devtop/logs/chatty.log"))
        .expect("log")
        .len();
    assert!(log < 1024 * 1024, "{log} bytes");
    assert!(s.recorded().is_empty(), "{}", fg.text());
    let st = status(&mut s);
    assert_eq!(server(&st, "chatty")["state"], "stopped", "{st:#}");
}

/// A server printing 200,000 lines in a burst: the foreground `up` prints at most
/// `server_log_lines` of them per poll and counts the rest in "… N lines skipped"; every line
/// is either printed, in order, or counted.
#[test]
fn a_burst_of_output_is_printed_capped_with_the_rest_counted() {
    let s = Servers::new(
        "server_log_lines = 100\n\n[[server]]\nname = \"flood\"\n\
         cmd = \"seq 1 200000\"\nshell = true\n",
    );
    let mut fg = Foreground::start(&s, &[], &[]);
    assert_eq!(fg.wait().and_then(|c| c.code()), Some(0), "{}", fg.text());
    let out = fg.stdout();
    let (mut next, mut printed, mut reports) = (1u64, 0u64, 0);
    for line in out.lines().filter_map(|l| l.strip_prefix("flood | ")) {
        if let Some(n) = line.strip_prefix("… ").and_then(|r| {
            r.strip_suffix(" lines skipped")
                .or(r.strip_suffix(" line skipped"))
        }) {
            next += n.parse::<u64>().expect("count");
            reports += 1;
        } else {
            assert_eq!(line.parse::<u64>().ok(), Some(next), "out of order: {line}");
            next += 1;
            printed += 1;
        }
    }
    assert_eq!(next, 200_001, "every line printed or counted");
    assert!(reports >= 1 && printed < 200_000, "{printed} printed");
    assert!(out.contains("flood | 200000\n"), "the newest line is shown");
    eprintln!("{printed} printed, {reports} skip reports");
}
