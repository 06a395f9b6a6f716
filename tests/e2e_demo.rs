//! End to end: run `devtop demo` in tmux, read the screen as a person would, press `K`,
//! confirm, and see the suspects gone; quit and check that nothing the demo started survives.
//! Skips (with a printed reason) when tmux is not installed.

mod tmux;

use std::path::PathBuf;
use std::time::{Duration, Instant};
use tmux::{Session, tmux};

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

#[test]
fn demo_kill_suspects_in_tmux() {
    if !tmux::available("demo_kill_suspects_in_tmux") {
        return;
    }
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
    assert!(first.contains(":5173") || first.contains("vite"), "{first}");
    let demo_dir = first
        .split_whitespace()
        .find(|w| w.starts_with("devtop-demo-"))
        .map(|d| std::env::temp_dir().join(d))
        .expect("demo project name in the header");
    assert!(!processes_under(&demo_dir).is_empty());

    tmux(&["send-keys", "-t", &s.0, "K"]);
    let dialog = wait_screen(&s, Duration::from_secs(10), "the confirmation", |t| {
        t.contains("Kill ") && t.contains("y/Enter")
    });
    assert!(dialog.contains("runaway-engine"), "{dialog}");
    assert!(
        !dialog.contains("studio: Prisma Studio"),
        "studio is warn-only: {dialog}"
    );

    tmux(&["send-keys", "-t", &s.0, "y"]);
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
        processes_pane(&after).contains(":5173"),
        "the healthy vite stays: {after}"
    );

    tmux(&["send-keys", "-t", &s.0, "q"]);
    wait_screen(&s, Duration::from_secs(15), "devtop to exit 0", |t| {
        t.contains("[exited 0]")
    });
    let start = Instant::now();
    let mut left: Vec<u32> = processes_under(&demo_dir);
    while !left.is_empty() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
        left = processes_under(&demo_dir);
    }
    assert!(left.is_empty(), "demo processes survived: {left:?}");
    assert!(!PathBuf::from(&demo_dir).exists(), "demo dir removed");
}

/// SIGTERM and SIGHUP end the dashboard normally: the terminal leaves the alternate screen and
/// devtop exits 0.
#[test]
fn signals_restore_the_terminal() {
    if !tmux::available("signals_restore_the_terminal") {
        return;
    }
    let exe = env!("CARGO_BIN_EXE_devtop");
    for (sig, name) in [
        (rustix::process::Signal::TERM, "term"),
        (rustix::process::Signal::HUP, "hup"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let pidfile = dir.path().join("devtop.pid");
        let session = format!("devtop-sig-{name}-{}", std::process::id());
        let cmd = format!(
            "sh -c 'echo $$ > {pf}; exec {exe} --project {d} --scope project'; echo \"[exited $?]\"; sleep 60",
            pf = pidfile.display(),
            d = dir.path().display()
        );
        let s = Session::start(&session, 100, 30, &cmd);
        wait_screen(&s, Duration::from_secs(20), "the dashboard", |t| {
            t.contains("Processes")
        });
        assert_eq!(
            tmux(&["display", "-p", "-t", &s.0, "#{alternate_on}"]).trim(),
            "1"
        );
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .expect("pid file")
            .trim()
            .parse()
            .expect("pid");
        let pid = rustix::process::Pid::from_raw(pid).expect("pid > 0");
        rustix::process::kill_process(pid, sig).expect("signal devtop (started by this test)");
        let after = wait_screen(&s, Duration::from_secs(10), "devtop to exit", |t| {
            t.contains("[exited ")
        });
        assert!(after.contains("[exited 0]"), "{after}");
        assert_eq!(
            tmux(&["display", "-p", "-t", &s.0, "#{alternate_on}"]).trim(),
            "0",
            "alternate screen left"
        );
    }
}
