//! Driving the TUI in a detached tmux session, as a person would: start a command at a given
//! size, send keys, read the screen, wait for a condition against a deadline. The session
//! (and so the program in it) is killed when the guard drops, also when a test fails. Each
//! session runs on a tmux server of its own (`-L <name>`), so tests running in parallel — or
//! another user of the default server ending its last session — never disturb one another.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// A detached tmux session on its own server, killed on drop.
pub struct Session(pub String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .output();
    }
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
                "-L",
                name,
                "-f",
                "/dev/null",
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

    /// Runs a tmux command on this session's server (`-t <session>` is added) and returns its
    /// stdout.
    pub fn tmux(&self, cmd: &str, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.0, cmd, "-t", &self.0])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A format variable of the pane (`#{alternate_on}`, `#{cursor_flag}`).
    pub fn format(&self, var: &str) -> String {
        self.tmux("display", &["-p", var]).trim().to_owned()
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        self.tmux("capture-pane", &["-p"])
    }

    /// Sends keys (tmux send-keys syntax).
    pub fn keys(&self, keys: &str) {
        self.tmux("send-keys", &[keys]);
    }

    /// Kills the session (its terminal goes away; the programs in it get a hang-up).
    pub fn kill(&self) {
        self.tmux("kill-session", &[]);
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
