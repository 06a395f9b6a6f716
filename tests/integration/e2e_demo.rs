//! End to end: run `devtop demo` in tmux, read the screen as a person would, press `K`,
//! confirm, and see the suspects gone; quit and check that nothing the demo started survives.
//! Skips (with a printed reason) when tmux is not installed.

use crate::tmux;

use std::path::PathBuf;
use std::time::{Duration, Instant};
use tmux::Session;

/// One demo at a time: two demos starting together could both find port 5555 free.
pub(crate) static ONE_DEMO: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn wait_screen(s: &Session, limit: Duration, what: &str, cond: impl Fn(&str) -> bool) -> String {
    s.wait(limit, what, cond)
}

/// The Processes pane of a screen (everything above the Memory pane).
fn processes_pane(screen: &str) -> &str {
    screen.split("┌ Memory").next().unwrap_or(screen)
}

/// PIDs of processes whose cwd is under `dir` (reads /proc only).
fn processes_under(dir: &std::path::Path) -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|c| c.starts_with(dir))
        })
        .collect()
}

/// The port in `vite --port N` on the screen.
fn vite_port(screen: &str) -> u16 {
    let after = screen
        .split("vite --port ")
        .nth(1)
        .expect("vite's command line on the screen");
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("vite's port")
}

/// The demo's project directory, named in the header.
fn demo_dir(screen: &str) -> PathBuf {
    screen
        .split_whitespace()
        .find(|w| w.starts_with("devtop-demo-"))
        .map(|d| std::env::temp_dir().join(d))
        .expect("demo project name in the header")
}

/// Waits until no process runs under `dir` and `dir` is gone; panics after `limit`.
fn wait_cleaned(dir: &std::path::Path, limit: Duration, how: &str) {
    let start = Instant::now();
    while (!processes_under(dir).is_empty() || dir.exists()) && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        processes_under(dir).is_empty(),
        "{how}: demo processes survived: {:?}",
        processes_under(dir)
    );
    assert!(
        !dir.exists(),
        "{how}: demo dir {} left behind",
        dir.display()
    );
}

/// Every ending of the demo — SIGINT, SIGTERM from outside, its terminal closing — ends the
/// processes it started, removes its directory and (for the signals) restores the screen.
#[test]
fn demo_cleans_up_on_every_ending() {
    if !tmux::available("demo_cleans_up_on_every_ending") {
        return;
    }
    let _one = ONE_DEMO.lock().unwrap_or_else(|e| e.into_inner());
    let exe = env!("CARGO_BIN_EXE_devtop");
    for how in ["int", "term", "closed"] {
        let name = format!("devtop-e2e-end-{how}-{}", std::process::id());
        let pidfile = std::env::temp_dir().join(format!("{name}.pid"));
        let cmd = format!(
            "sh -c 'echo $$ > {pf}; exec {exe} demo'; echo \"[exited $?]\"; sleep 60",
            pf = pidfile.display()
        );
        let s = Session::start(&name, 160, 48, &cmd);
        let screen = wait_screen(&s, Duration::from_secs(40), "the demo", |t| {
            t.contains("devtop-demo-") && t.contains("vite --port")
        });
        let dir = demo_dir(&screen);
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .expect("pid file")
            .trim()
            .parse()
            .expect("pid");
        let _ = std::fs::remove_file(&pidfile);
        let pid = rustix::process::Pid::from_raw(pid).expect("pid > 0");
        match how {
            "closed" => s.kill(),
            _ => {
                let sig = if how == "int" {
                    rustix::process::Signal::INT
                } else {
                    rustix::process::Signal::TERM
                };
                rustix::process::kill_process(pid, sig).expect("signal the devtop this test ran");
                let after = wait_screen(&s, Duration::from_secs(15), "devtop to exit", |t| {
                    t.contains("[exited ")
                });
                let want = format!("[exited {}]", 128 + sig.as_raw());
                assert!(after.contains(&want), "{how}: {after}");
                assert_eq!(s.format("#{alternate_on}"), "0", "{how}: screen restored");
            }
        }
        wait_cleaned(&dir, Duration::from_secs(10), how);
    }
}

#[test]
fn demo_kill_suspects_in_tmux() {
    if !tmux::available("demo_kill_suspects_in_tmux") {
        return;
    }
    let _one = ONE_DEMO.lock().unwrap_or_else(|e| e.into_inner());
    let exe = env!("CARGO_BIN_EXE_devtop");
    let name = format!("devtop-e2e-{}", std::process::id());
    let cmd = format!("{exe} demo; echo \"[exited $?]\"; sleep 60");
    let s = Session::start(&name, 160, 48, &cmd);

    let first = wait_screen(&s, Duration::from_secs(40), "the demo's suspects", |t| {
        ["hung-migrate", "runaway-engine", "orphan", "studio"]
            .iter()
            .all(|k| t.contains(k))
    });
    assert!(first.contains("[project]"), "{first}");
    // The port the demo's vite listens on: 5173 when free, else whatever the demo chose.
    let vite_port = vite_port(&first);
    let demo_dir = demo_dir(&first);
    assert!(!processes_under(&demo_dir).is_empty());

    s.keys("K");
    let dialog = wait_screen(&s, Duration::from_secs(10), "the confirmation", |t| {
        t.contains("Kill ") && t.contains("y/Enter")
    });
    assert!(dialog.contains("runaway-engine"), "{dialog}");
    assert!(
        !dialog.contains("studio: Prisma Studio"),
        "studio is warn-only: {dialog}"
    );

    s.keys("y");
    let after = wait_screen(
        &s,
        Duration::from_secs(20),
        "the suspects to be gone",
        |t| {
            let procs = processes_pane(t);
            (t.contains("terminated (SIGTERM)") || t.contains("killed (SIGKILL"))
                && !procs.contains("hung-migrate")
                && !procs.contains("runaway-engine")
                && !procs.contains(" orphan ")
        },
    );
    assert!(
        processes_pane(&after).contains("prisma-studio"),
        "the warn-only studio stays: {after}"
    );
    assert!(
        processes_pane(&after).contains(&format!(":{vite_port}")),
        "the healthy vite stays: {after}"
    );

    s.keys("q");
    wait_screen(&s, Duration::from_secs(15), "devtop to exit 0", |t| {
        t.contains("[exited 0]")
    });
    wait_cleaned(&demo_dir, Duration::from_secs(10), "q");
}
