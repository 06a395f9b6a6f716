//! Driving the TUI in a detached tmux session, as a person would: start a command at a given
//! size, send keys, read the screen, wait for a condition against a deadline. The session
//! (and so the program in it) is killed when the guard drops, also when a test fails.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A detached tmux session, killed on drop.
pub struct Session(pub String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .status();
    }
}

/// Runs tmux and returns its stdout.
pub fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("run tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// False (after printing why `test` is skipped) when tmux is not installed.
pub fn available(test: &str) -> bool {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipping {test}: tmux is not installed (apt-get install -y tmux)");
        return false;
    }
    true
}

impl Session {
    /// Starts `shell_cmd` in a new `width`×`height` session named `name`.
    pub fn start(name: &str, width: u16, height: u16, shell_cmd: &str) -> Session {
        let (w, h) = (width.to_string(), height.to_string());
        let status = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                name,
                "-x",
                &w,
                "-y",
                &h,
                shell_cmd,
            ])
            .status()
            .expect("start tmux");
        assert!(status.success(), "tmux new-session failed");
        Session(name.to_owned())
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        tmux(&["capture-pane", "-p", "-t", &self.0])
    }

    /// Sends keys (tmux send-keys syntax).
    pub fn keys(&self, keys: &str) {
        tmux(&["send-keys", "-t", &self.0, keys]);
    }

    /// Polls the screen every 100 ms until `cond` holds; panics with the screen after `limit`.
    pub fn wait(&self, limit: Duration, what: &str, cond: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.screen();
            if cond(&text) {
                return text;
            }
            assert!(
                start.elapsed() < limit,
                "timed out after {limit:?} waiting for {what}; screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
