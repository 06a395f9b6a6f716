//! `devtop down` edge cases: a server ignoring SIGTERM, a leader that exits while its child
//! ignores SIGTERM, a stale state entry. See `servers_up` for the guard and the safety rules.

use crate::common::wait_until;
use crate::servers_up::{Servers, gone, kill_verified, line_of, started_pids};
use devtop::effects::servers::state::{self, Recorded, State};
use devtop::effects::signal::read_identity;
use std::time::Duration;

/// A project with one server `name` running `sh <name>.sh` (the script `script`), ready when
/// its log says "armed", with `grace` as its stop grace; `devtop up` run on it (exit 0
/// asserted). Returns the project and the leader's PID.
fn one_script_server(name: &str, script: &str, grace: &str) -> (Servers, u32) {
    let mut s = Servers::new("");
    s.write(&format!("{name}.sh"), script);
    s.write(
        "devtop.toml",
        &format!(
            "[[server]]\nname = \"{name}\"\ncmd = [\"sh\", \"{name}.sh\"]\n\
             ready = {{ log = \"armed\" }}\nstop_grace = \"{grace}\"\n"
        ),
    );
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    let leader = started_pids(&up.stdout)[0];
    (s, leader)
}

/// The PID the server's script logged as `child N`.
fn logged_child(s: &Servers, name: &str) -> u32 {
    let log = s.log(name);
    log.lines()
        .find_map(|l| l.strip_prefix("child ")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no child pid in the log: {log}"))
}

#[test]
fn a_server_ignoring_sigterm_is_killed_after_its_grace() {
    let script = "trap '' TERM\necho armed\nwhile :; do sleep 1; done\n";
    let (mut s, pid) = one_script_server("stubborn", script, "1500ms");
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    // The grace outlasts the 1 s report interval: the awaited PIDs are named meanwhile.
    assert!(
        line_of(&down, &format!("stubborn waiting for pids {pid}"))
            > line_of(&down, "stubborn stopping"),
        "{down}"
    );
    assert!(line_of(&down, "stubborn SIGKILL to pids") > line_of(&down, "stubborn stopping"));
    assert!(down.stdout.contains(&pid.to_string()), "{down}");
    assert!(gone(pid));
}

#[test]
fn nothing_survives_when_the_leader_exits_and_its_child_ignores_sigterm() {
    // The leader (sh) dies on SIGTERM; its child, in the same group, ignores it.
    let script = "sh -c 'trap \"\" TERM; echo armed; exec sleep 600' &\necho \"child $!\"\nwait\n";
    let (mut s, leader) = one_script_server("pair", script, "300ms");
    let child = logged_child(&s, "pair");
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    assert!(gone(leader));
    assert!(gone(child), "the child {child} survived down: {down}");
    assert!(
        down.stdout.contains(&format!("SIGKILL to pids {child}")),
        "{down}"
    );
}

#[test]
fn what_an_exited_leader_left_in_its_session_is_stopped() {
    // The leader exits by itself once its child (left in its session and group) is armed.
    let script = "sh -c 'echo armed; exec sleep 600' &\necho \"child $!\"\nsleep 0.2\nexit 0\n";
    let (mut s, leader) = one_script_server("orphan", script, "300ms");
    let child = logged_child(&s, "orphan");
    assert!(gone(leader), "the leader exits by itself");
    assert!(read_identity(child).is_ok_and(|id| !id.exited()));
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    assert!(
        down.stdout
            .contains(&format!("orphan stopping (pids {child})")),
        "{down}"
    );
    assert!(gone(child), "the child {child} survived down: {down}");
}

#[test]
fn an_entry_with_a_changed_start_time_is_dropped_not_signalled() {
    let s = Servers::new("");
    let mut bystander = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .expect("sleep");
    let pid = bystander.id();
    let ticks = read_identity(pid).expect("identity").start_ticks;
    let entry = Recorded {
        name: "old".into(),
        pid,
        pgid: pid,
        start_ticks: ticks.saturating_sub(1),
        port: None,
        started_unix: 0,
        adopted: false,
        ready_after_ms: None,
    };
    let lock = devtop::effects::servers::lock::try_acquire(s.root(), "test").expect("lock");
    state::write(
        &lock,
        s.root(),
        &State {
            version: 1,
            servers: vec![entry],
            outcomes: Vec::new(),
        },
    )
    .expect("write state");
    drop(lock);
    let mut s = s;
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    assert!(
        down.stdout.contains("old dropped from the state file"),
        "{down}"
    );
    assert!(!down.stdout.contains("stopping"), "{down}");
    // Left alone: still running a while after.
    assert!(!wait_until(Duration::from_millis(300), || bystander
        .try_wait()
        .ok()
        .flatten()
        .is_some()));
    assert!(s.recorded().is_empty());
    kill_verified(pid, ticks);
    let _ = bystander.wait();
}

/// H5: Ctrl-C in a foreground `up` before it started anything stops nothing. `base` runs from
/// an earlier `up --wait`; the new `up` finds it running and then waits on `api`'s
/// `requires` probe of a database that accepts the connection and never answers (a listener
/// of this test that never accepts). SIGINT then: `base` keeps running and stays recorded.
#[test]
fn an_up_interrupted_before_it_started_anything_stops_nothing() {
    use crate::servers_supervise::Foreground;
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let db_port = black_hole.local_addr().expect("addr").port();
    let toml = "[[database]]\nname = \"staging\"\nurl_env = \"DEVTOP_H5_STAGING_URL\"\n\n\
                [[server]]\nname = \"base\"\ncmd = [\"sleep\", \"600\"]\n\n\
                [[server]]\nname = \"api\"\ncmd = [\"sleep\", \"600\"]\n\
                requires = [\"db:staging\"]\n";
    let mut s = Servers::new(toml);
    s.write(
        ".env",
        &format!("DEVTOP_H5_STAGING_URL=\"postgresql://u:p@127.0.0.1:{db_port}/x\"\n"),
    );
    let first = s.devtop(&["up", "--wait", "--only", "base"]);
    assert_eq!(first.code, Some(0), "{first}");
    let base = started_pids(&first.stdout)[0];
    let mut up = Foreground::start(&s, &[], &[]);
    assert!(up.saw("base already running", 1), "{}", up.text());
    up.signal(rustix::process::Signal::INT);
    let status = up.wait().expect("devtop up ended");
    assert_eq!(status.code(), Some(130), "{}", up.text());
    assert!(!up.stdout().contains("starting (pid"), "{}", up.text());
    assert!(!up.stdout().contains("base stopping"), "{}", up.text());
    assert!(
        read_identity(base).is_ok_and(|id| !id.exited()),
        "base ({base}) was stopped by an up that did not start it: {}",
        up.text()
    );
    assert_eq!(s.recorded().len(), 1, "{:?}", s.recorded());
    let down = s.devtop(&["down"]);
    assert_eq!(down.code, Some(0), "{down}");
    assert!(gone(base));
}

/// SIGKILLs a process this test's server started outside the server's session (verified by
/// its start time) when dropped, so a test that fails still leaves nothing behind.
struct Escapee {
    pid: u32,
    start_ticks: u64,
}

impl Drop for Escapee {
    fn drop(&mut self) {
        kill_verified(self.pid, self.start_ticks);
    }
}

#[test]
fn a_descendant_that_left_the_session_does_not_survive_down() {
    // The child calls setsid (a session and group of its own), ignores SIGTERM; the leader
    // dies on SIGTERM, so the child is reparented and no longer linked to the server.
    let script = "setsid sh -c 'trap \"\" TERM; echo \"escapee $$\"; exec sleep 600' &\n\
                  sleep 0.3\necho armed\nwait\n";
    let (mut s, leader) = one_script_server("esc", script, "1s");
    let pid: u32 = s
        .log("esc")
        .lines()
        .find_map(|l| l.strip_prefix("escapee ")?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no escapee pid in the log: {}", s.log("esc")));
    let start_ticks = read_identity(pid).expect("the escapee runs").start_ticks;
    let _guard = Escapee { pid, start_ticks };
    let down = s.devtop(&["down"]);
    assert!(gone(leader));
    assert!(
        gone(pid),
        "the escapee {pid} (own session) survived down: {down}"
    );
    assert_eq!(down.code, Some(0), "{down}");
    assert!(
        down.stdout.contains(&format!("SIGKILL to pids {pid}")),
        "{down}"
    );
    assert!(s.recorded().is_empty(), "{:?}", s.recorded());
}

/// `down --only` with a name no server has is a usage error naming it (as for `up`); stopping
/// a server others depend on warns that those keep running.
#[test]
fn down_only_checks_its_names_and_warns_about_dependents_left_running() {
    let toml = "[[server]]\nname = \"base\"\ncmd = [\"sleep\", \"600\"]\n\n\
                [[server]]\nname = \"api\"\ncmd = [\"sleep\", \"600\"]\ndepends_on = [\"base\"]\n";
    let mut s = Servers::new(toml);
    let up = s.devtop(&["up", "--wait"]);
    assert_eq!(up.code, Some(0), "{up}");
    let pids = started_pids(&up.stdout);
    let unknown = s.devtop(&["down", "--only", "nope"]);
    assert_eq!(unknown.code, Some(2), "{unknown}");
    assert!(unknown.stderr.contains("--only nope"), "{unknown}");
    assert!(
        unknown.stderr.contains("configured: base, api"),
        "{unknown}"
    );
    assert!(!unknown.stdout.contains("stopping"), "{unknown}");
    let base = s.devtop(&["down", "--only", "base"]);
    assert_eq!(base.code, Some(0), "{base}");
    assert!(
        base.stderr
            .contains("warning: left running, although they depend on what this stops: api"),
        "{base}"
    );
    assert!(gone(pids[0]));
    assert!(
        read_identity(pids[1]).is_ok_and(|id| !id.exited()),
        "{base}"
    );
    let rest = s.devtop(&["down"]);
    assert_eq!(rest.code, Some(0), "{rest}");
    assert!(!rest.stderr.contains("warning"), "{rest}");
    assert!(gone(pids[1]));
}
