//! User key overrides end to end: `[keys]` in devtop.toml rebinds actions in the running
//! dashboard (tmux; skips with a printed reason when tmux is not installed), and a bad entry
//! is a configuration error (exit 2) naming devtop.toml, the line and the key.

use crate::tmux::{self, Session};
use std::time::Duration;

#[test]
fn an_override_rebinds_the_key_and_the_help_shows_it() {
    if !tmux::available("an_override_rebinds_the_key_and_the_help_shows_it") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("devtop.toml"),
        "refresh = \"5s\"\n[keys]\nhelp = \"h\"\nquit = [\"Q\", \"F10\"]\nkill = \"D\"\n",
    )
    .expect("config");
    let exe = env!("CARGO_BIN_EXE_devtop");
    let cmd = format!(
        "{exe} --project {} --scope project; echo \"[exited $?]\"; sleep 60",
        dir.path().display()
    );
    let s = Session::start(
        &format!("devtop-keys-{}", std::process::id()),
        100,
        30,
        &cmd,
    );
    // Wait for the whole first frame (title and key bar), not a partial draw.
    let first = s.wait(Duration::from_secs(20), "the dashboard", |t| {
        t.contains("Processes") && t.contains(" Help")
    });
    assert!(
        first.contains("h Help"),
        "the key bar shows the new key:\n{first}"
    );
    assert!(first.contains("  h help"), "so does the title:\n{first}");
    let bar = first.lines().last().unwrap_or_default();
    assert!(bar.contains("D Kill") && !bar.contains("F9"), "{bar}");
    // Screen 2's own bar: no process-list keys there.
    s.keys("2");
    let dbs = s.wait(Duration::from_secs(10), "the Databases bar", |t| {
        t.lines().last().is_some_and(|l| l.contains("m Migrate"))
    });
    let bar = dbs.lines().last().unwrap_or_default();
    assert!(
        bar.starts_with("h Help") && bar.contains("F10 Quit"),
        "{bar}"
    );
    assert!(!bar.contains("Kill") && !bar.contains("Search"), "{bar}");
    s.keys("1");
    s.wait(Duration::from_secs(10), "screen 1 again", |t| {
        t.lines().last().is_some_and(|l| l.contains("D Kill"))
    });
    s.keys("h");
    let help = s.wait(Duration::from_secs(10), "the help popup", |t| {
        t.contains("this help") && t.contains("quit")
    });
    assert!(help.contains(" h        this help"), "{help}");
    assert!(help.contains(" Q F10    quit"), "{help}");
    s.keys("Escape");
    s.wait(Duration::from_secs(10), "the help to close", |t| {
        !t.contains("this help")
    });
    // `q` is no longer quit; `Q` is. Keys act in order: if `q` had quit, the `h` after it would
    // never open the help.
    s.keys("q");
    s.keys("h");
    let after_q = s.wait(Duration::from_secs(10), "the help after q", |t| {
        t.contains("this help") || t.contains("[exited")
    });
    assert!(!after_q.contains("[exited"), "q still quits:\n{after_q}");
    s.keys("Escape");
    s.wait(Duration::from_secs(10), "the help to close", |t| {
        !t.contains("this help")
    });
    s.keys("Q");
    s.wait(Duration::from_secs(10), "devtop to exit 0", |t| {
        t.contains("[exited 0]")
    });
}

#[test]
fn a_clashing_override_is_a_config_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("devtop.toml"), "[keys]\nkill = \"q\"\n").expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_devtop"))
        .args(["--project"])
        .arg(dir.path())
        .args(["status", "--json"])
        .output()
        .expect("run devtop");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("devtop.toml:2:8:"), "{err}");
    assert!(
        err.contains("the key q is bound to both kill and quit"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
