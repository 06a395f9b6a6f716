//! End to end: the dashboard in tmux on a temporary project with two real HTTP servers
//! (`web` depends on `api`). `u` starts them (every row "ready" on screen), `d` stops them
//! (every row "stopped", no process of theirs left); started again, quitting asks, and its
//! default stops them before devtop exits. Measures the time from `u` to the screen showing
//! it (printed, never asserted). Skips (with a printed reason) when tmux is not installed.
//!
//! Safety: the servers are started by the devtop under test in sessions of their own; the
//! [`Servers`] guard SIGKILLs, when the test ends (also on failure), every process of the
//! sessions recorded in the project's state file, through pidfds of verified processes.

use crate::servers_up::{GONE, Servers, free_port, gone, http_server};
use crate::tmux::{self, Session};
use std::time::{Duration, Instant};

/// Long enough for a loaded CI machine to start two Python servers.
const READY: Duration = Duration::from_secs(60);

/// The Servers pane's row of `name` on `screen` (the line starting `│name `).
fn row<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.starts_with(&format!("│{name} ")))
        .unwrap_or("")
}

/// Puts every recorded server of the project under the guard (their PIDs lead their
/// sessions).
fn guard_recorded(p: &mut Servers) -> Vec<u32> {
    let pids: Vec<u32> = p.recorded().iter().map(|r| r.pid).collect();
    for &pid in &pids {
        p.guard(pid);
    }
    pids
}

#[test]
fn u_starts_in_order_d_stops_all_and_quit_stops_what_it_started() {
    if !tmux::available("u_starts_in_order_d_stops_all_and_quit_stops_what_it_started") {
        return;
    }
    let (a, b) = (free_port(), free_port());
    let toml = [
        http_server(
            "api",
            a,
            &[],
            &format!("{{ http = \"http://127.0.0.1:{a}/\" }}"),
        ),
        http_server("web", b, &["api"], &format!("{{ tcp = {b} }}")),
    ]
    .concat();
    let mut p = Servers::new(&toml);
    let exe = env!("CARGO_BIN_EXE_devtop");
    let cmd = format!(
        "{exe} --project {} --scope project; echo \"[exited $?]\"; sleep 60",
        p.root().display()
    );
    let s = Session::start(
        &format!("devtop-servers-{}", std::process::id()),
        120,
        32,
        &cmd,
    );
    s.wait(READY, "the dashboard", |t| t.contains("1 Processes"));
    s.keys("3");
    s.wait(READY, "the Servers screen", |t| {
        row(t, "api").contains("stopped") && row(t, "web").contains("stopped")
    });

    // u: the screen answers at once (api starting, or already ready).
    let pressed = Instant::now();
    s.keys("u");
    s.wait(READY, "u acknowledged", |t| {
        t.contains("starting") || t.contains("ready")
    });
    eprintln!("u → first redraw showing it: {:?}", pressed.elapsed());
    let screen = s.wait(READY, "both servers ready", |t| {
        row(t, "api").contains("● ready") && row(t, "web").contains("● ready")
    });
    eprintln!("u → both ready on screen: {:?}", pressed.elapsed());
    let pids = guard_recorded(&mut p);
    assert_eq!(pids.len(), 2, "both recorded: {:?}\n{screen}", p.recorded());
    // The rows show their PIDs and ports.
    for (name, port) in [("api", a), ("web", b)] {
        assert!(
            row(&screen, name).contains(&port.to_string()),
            "{name}'s port on its row:\n{screen}"
        );
    }

    // d: all stopped, nothing of theirs survives, the state file is empty.
    s.keys("d");
    s.wait(GONE + READY, "both servers stopped", |t| {
        row(t, "api").contains("stopped") && row(t, "web").contains("stopped")
    });
    for pid in &pids {
        assert!(gone(*pid), "PID {pid} survived d");
    }
    assert!(p.recorded().is_empty(), "{:?}", p.recorded());

    // Started again, q asks; Enter (the default) stops them, then devtop exits.
    s.keys("u");
    s.wait(READY, "both servers ready again", |t| {
        row(t, "api").contains("● ready") && row(t, "web").contains("● ready")
    });
    let pids = guard_recorded(&mut p);
    s.keys("q");
    s.wait(READY, "the quit question", |t| {
        t.contains("started here still run") && t.contains("leave them running")
    });
    s.keys("Enter");
    s.wait(GONE + READY, "devtop to exit", |t| t.contains("[exited 0]"));
    for pid in &pids {
        assert!(gone(*pid), "PID {pid} survived quitting");
    }
    assert!(p.recorded().is_empty(), "{:?}", p.recorded());
}

#[test]
fn keep_leaves_the_servers_running_and_recorded() {
    if !tmux::available("keep_leaves_the_servers_running_and_recorded") {
        return;
    }
    let a = free_port();
    let toml = http_server("api", a, &[], &format!("{{ tcp = {a} }}"));
    let mut p = Servers::new(&toml);
    let exe = env!("CARGO_BIN_EXE_devtop");
    let cmd = format!(
        "{exe} --keep --project {} --scope project; echo \"[exited $?]\"; sleep 60",
        p.root().display()
    );
    let s = Session::start(
        &format!("devtop-keep-{}", std::process::id()),
        100,
        30,
        &cmd,
    );
    s.wait(READY, "the dashboard", |t| t.contains("1 Processes"));
    s.keys("u");
    s.wait(READY, "api ready", |t| row(t, "api").contains("● ready"));
    let pids = guard_recorded(&mut p);
    s.keys("q");
    s.wait(READY, "devtop to exit", |t| t.contains("[exited 0]"));
    assert_eq!(pids.len(), 1);
    assert!(
        devtop::effects::signal::read_identity(pids[0]).is_ok_and(|id| !id.exited()),
        "--keep left it running"
    );
    assert_eq!(p.recorded().len(), 1, "still recorded for devtop down");
    // `devtop down` stops it (the guard would too).
    let run = p.devtop(&["down"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(gone(pids[0]));
}
