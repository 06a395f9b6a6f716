//! End to end, in tmux: every ending restores the terminal, and a terminal that goes away
//! ends devtop. Skips (with a printed reason) when tmux is not installed. Each test signals
//! only the devtop it started (its PID from a pid file written by the `sh` that execs it).

use crate::tmux;

use std::path::Path;
use std::time::{Duration, Instant};
use tmux::Session;

/// A session running devtop on an empty project in `dir`, the PID in `dir/devtop.pid`; after
/// devtop ends the shell prints its exit status and the terminal's modes.
fn start(name: &str, dir: &Path, extra: &str) -> (Session, rustix::process::Pid) {
    start_with(name, dir, extra, "", "")
}

/// [`start`] with `project` added to the project's devtop.toml and `user` as the per-user
/// config (`$XDG_CONFIG_HOME/devtop/config.toml`, `XDG_CONFIG_HOME` under `dir`, so the
/// machine's own config never applies).
fn start_with(
    name: &str,
    dir: &Path,
    extra: &str,
    project: &str,
    user: &str,
) -> (Session, rustix::process::Pid) {
    let exe = env!("CARGO_BIN_EXE_devtop");
    let pidfile = dir.join("devtop.pid");
    std::fs::write(
        dir.join("devtop.toml"),
        format!("refresh = \"5s\"\n{project}"),
    )
    .expect("config");
    let xdg = dir.join("xdg");
    std::fs::create_dir_all(xdg.join("devtop")).expect("user config dir");
    std::fs::write(xdg.join("devtop").join("config.toml"), user).expect("user config");
    let cmd = format!(
        "sh -c 'echo $$ > {pf}; exec env XDG_CONFIG_HOME={x} {exe} --project {d} --scope project {extra}'; \
         echo \"[exited $?]\"; stty -a | tr ' ' '\\n' | grep -x -e '-\\?icanon' -e '-\\?echo'; sleep 60",
        pf = pidfile.display(),
        x = xdg.display(),
        d = dir.display()
    );
    let s = Session::start(name, 100, 30, &cmd);
    s.wait(Duration::from_secs(20), "the dashboard", |t| {
        t.contains("Processes")
    });
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    (s, rustix::process::Pid::from_raw(pid).expect("pid > 0"))
}

/// True while `pid` (started at `ticks`) is alive and not a zombie.
fn running(pid: rustix::process::Pid, ticks: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_pid())).is_ok_and(|s| {
        let after = s.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = after.split_whitespace().collect();
        fields.first() != Some(&"Z") && fields.get(19) == Some(&ticks)
    })
}

fn start_ticks(pid: rustix::process::Pid) -> String {
    let s = std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_pid())).expect("stat");
    let after = s.rsplit_once(')').map_or("", |(_, r)| r).to_owned();
    after
        .split_whitespace()
        .nth(19)
        .expect("field 22")
        .to_owned()
}

/// SIGTERM, SIGHUP, SIGINT, SIGQUIT and SIGUSR1 from outside end the dashboard through its one
/// restore path: main screen, cursor shown, cooked mode with echo; exit status 128 + signal.
#[test]
fn every_ending_signal_restores_the_terminal() {
    if !tmux::available("every_ending_signal_restores_the_terminal") {
        return;
    }
    use rustix::process::Signal;
    for (sig, name) in [
        (Signal::TERM, "term"),
        (Signal::HUP, "hup"),
        (Signal::INT, "int"),
        (Signal::QUIT, "quit"),
        (Signal::USR1, "usr1"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let session = format!("devtop-sig-{name}-{}", std::process::id());
        let (s, pid) = start(&session, dir.path(), "");
        assert_eq!(s.format("#{alternate_on}"), "1");
        rustix::process::kill_process(pid, sig).expect("signal devtop (started by this test)");
        // Both mode lines printed (`stty` output can reach the screen in two parts).
        let after = s.wait(Duration::from_secs(10), "devtop to exit", |t| {
            t.contains("[exited ")
                && t.lines()
                    .any(|l| l.trim().trim_start_matches('-') == "icanon")
                && t.lines()
                    .any(|l| l.trim().trim_start_matches('-') == "echo")
        });
        let want = format!("[exited {}]", 128 + sig.as_raw());
        assert!(after.contains(&want), "{name}: want {want}: {after}");
        assert!(
            after.lines().any(|l| l.trim() == "icanon")
                && after.lines().any(|l| l.trim() == "echo"),
            "{name}: cooked mode with echo restored: {after}"
        );
        assert_eq!(
            s.format("#{alternate_on}"),
            "0",
            "{name}: alternate screen left"
        );
        assert_eq!(s.format("#{cursor_flag}"), "1", "{name}: cursor shown");
    }
}

/// The terminal goes away right after a key (tmux kills the session): devtop ends within a
/// few seconds instead of spinning on `read() = 0`.
#[test]
fn devtop_exits_when_its_terminal_goes_away() {
    if !tmux::available("devtop_exits_when_its_terminal_goes_away") {
        return;
    }
    for round in 0..3 {
        let dir = tempfile::tempdir().expect("temp dir");
        let session = format!("devtop-gone-{round}-{}", std::process::id());
        let (s, pid) = start(&session, dir.path(), "");
        let ticks = start_ticks(pid);
        s.keys("j");
        s.kill();
        let deadline = Instant::now() + Duration::from_secs(5);
        while running(pid, &ticks) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let alive = running(pid, &ticks);
        if alive {
            // Never leave it spinning: end the devtop this test started.
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
        assert!(
            !alive,
            "round {round}: devtop still running 5 s after its terminal went away"
        );
    }
}

/// Mouse reporting: clicks and the wheel only (no motion tracking), in SGR encoding; a click
/// on the Memory pane focuses it (below 120 columns it then takes the whole lower row, so the
/// Logs pane goes). `q` turns reporting off again. Mouse off — `--no-mouse`, `mouse = false`
/// in the project's devtop.toml, or in the per-user config — nothing is requested, so the
/// terminal keeps its own selection and a real click never reaches devtop; and the same click
/// bytes sent anyway change nothing (the pane stays unfocused).
#[test]
fn mouse_reporting_follows_the_flag_and_is_restored() {
    if !tmux::available("mouse_reporting_follows_the_flag_and_is_restored") {
        return;
    }
    // 100x30: the lower row of panes spans rows 20..28 (1-based); Memory is on the left.
    let click_memory = "\x1b[<0;5;23M\x1b[<0;5;23m";
    for (how, extra, project, user, on) in [
        ("default", "", "", "", "1"),
        ("flag", "--no-mouse", "", "", "0"),
        ("project", "", "mouse = false\n", "", "0"),
        ("user", "", "", "mouse = false\n", "0"),
        // The project's file overrides the user's, the flag both.
        ("both", "", "mouse = true\n", "mouse = false\n", "1"),
        ("flag-over-file", "--no-mouse", "mouse = true\n", "", "0"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let session = format!("devtop-mouse-{how}-{}", std::process::id());
        let (s, _pid) = start_with(&session, dir.path(), extra, project, user);
        assert_eq!(s.format("#{mouse_standard_flag}"), on, "{how}: clicks");
        assert_eq!(s.format("#{mouse_sgr_flag}"), on, "{how}: SGR encoding");
        assert_eq!(s.format("#{mouse_all_flag}"), "0", "{how}: no motion");
        assert_eq!(s.format("#{mouse_button_flag}"), "0", "{how}: no drags");
        assert!(s.screen().contains("Logs"));
        s.tmux("send-keys", &["-l", click_memory]);
        if on == "1" {
            s.wait(
                Duration::from_secs(5),
                "Memory to take the lower row",
                |t| t.contains("Memory") && !t.contains("Logs"),
            );
        } else {
            // A key after the click: once it shows, the click was handled (and did nothing).
            s.keys("z");
            let t = s.wait(Duration::from_secs(5), "the pause", |t| {
                t.contains("PAUSED")
            });
            assert!(t.contains("Logs"), "{how}: a click focused a pane:\n{t}");
        }
        s.keys("q");
        s.wait(Duration::from_secs(10), "devtop to exit", |t| {
            t.contains("[exited 0]")
        });
        assert_eq!(s.format("#{mouse_any_flag}"), "0", "{how}: restored");
    }
}
