//! Starting one server so that it outlives the command that started it: a session of its own
//! (`setsid`, so its PID is also its process group and session ID and everything it starts is
//! found again by [`crate::collect::server_members`]), no parent-death signal, stdin from `/dev/null`, stdout
//! and stderr appended to `.devtop/logs/<name>.log` (a pipe would break, `SIGPIPE`, once
//! devtop exits). The log is opened `O_APPEND`, so earlier runs are kept and a copy-truncate
//! rotation ([`super::rotate`]) makes the server write at the new end, not at its old offset
//! (which would leave a hole of zero bytes). A log at the rotation size is rotated before the
//! start, so it stays bounded without a supervisor too (`devtop up --wait` every day).

use super::state::{Recorded, STATE_DIR};
use crate::model::server::{ServerCmd, ServerSpec};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// A server just started.
#[derive(Debug)]
pub struct Started {
    /// What goes into the state file.
    pub record: Recorded,
    /// The child handle (not killed on drop: the server outlives devtop), used to see an exit
    /// during the start with its code.
    pub child: tokio::process::Child,
    /// Its log file (stdout and stderr).
    pub log: PathBuf,
    /// Length of the log file before this start, bytes: where this run's output begins (a
    /// `log` readiness probe reads from here).
    pub log_start: u64,
}

/// `<root>/.devtop/logs/<name>.log`. The name is validated by the config (non-empty); `/`
/// and a leading `.` are replaced so the file stays in the directory.
pub fn log_path(root: &Path, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| if c == '/' || c == '\0' { '_' } else { c })
        .collect();
    let safe = safe.trim_start_matches('.');
    root.join(STATE_DIR)
        .join("logs")
        .join(format!("{safe}.log"))
}

/// Starts `spec` in the project `root` (see the module docs). Must run inside a tokio runtime.
///
/// # Errors
/// The log file cannot be opened, or the program cannot be started (not found, not
/// executable, a `cwd` that does not exist).
pub fn start(root: &Path, spec: &ServerSpec) -> io::Result<Started> {
    let log = log_path(root, &spec.name);
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // A rotation that fails (a full disk) must not keep the server from starting.
    let _ = super::rotate::rotate_if_large(&log, super::rotate::limit());
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&log)?;
    let log_start = file.metadata()?.len();
    let mut cmd = match &spec.cmd {
        ServerCmd::Argv(argv) => {
            let mut c = tokio::process::Command::new(argv.first().map_or("", String::as_str));
            c.args(argv.iter().skip(1));
            c
        }
        ServerCmd::Shell(line) => {
            let mut c = tokio::process::Command::new("/bin/sh");
            c.arg("-c").arg(line);
            c
        }
    };
    cmd.current_dir(
        spec.cwd
            .as_ref()
            .map_or_else(|| root.to_owned(), |d| root.join(d)),
    )
    .envs(&spec.env)
    .stdin(Stdio::null())
    .stdout(file.try_clone()?)
    .stderr(file)
    .kill_on_drop(false);
    // SAFETY: the closure only calls setsid(2), which is async-signal-safe and allocates
    // nothing.
    unsafe {
        cmd.pre_exec(|| rustix::process::setsid().map(drop).map_err(io::Error::from));
    }
    let child = cmd.spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| io::Error::other("the server was reaped at once"))?;
    // Not reaped yet (only this process waits for it), so the PID is still the server's.
    let start_ticks = crate::effects::signal::read_identity(pid)?.start_ticks;
    Ok(Started {
        record: Recorded::started(&spec.name, pid, start_ticks, spec.port),
        child,
        log,
        log_start,
    })
}

/// The last `n` lines one run wrote to the log at `path`: from `from` (its
/// [`Started::log_start`]; from the top when the file is shorter, rotated since), at most the
/// last 64 KiB, each redacted and sanitised for a terminal. Empty when it cannot be read or
/// the run wrote nothing (never an earlier run's lines).
pub fn last_lines(path: &Path, from: u64, n: usize) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    const TAIL: u64 = 64 * 1024;
    let Ok(mut f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let len = f.metadata().map_or(0, |m| m.len());
    let from = if from > len { 0 } else { from };
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(TAIL).max(from)));
    let mut bytes = Vec::new();
    let _ = f.take(TAIL).read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| crate::sanitize::clean(&crate::redact::text(l)).into_owned())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn log_paths_stay_in_the_directory_and_tails_are_clean() {
        let root = Path::new("/p");
        assert_eq!(log_path(root, "api"), Path::new("/p/.devtop/logs/api.log"));
        assert_eq!(
            log_path(root, "../x/y"),
            Path::new("/p/.devtop/logs/_x_y.log")
        );
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("l.log");
        std::fs::write(&f, "a\nb\nc \x1b[2J\n").unwrap();
        assert_eq!(last_lines(&f, 0, 2), ["b", "c \\x1b[2J"]);
        assert_eq!(last_lines(&f, 2, 9), ["b", "c \\x1b[2J"]);
        let len = std::fs::metadata(&f).unwrap().len();
        assert!(last_lines(&f, len, 9).is_empty(), "nothing written since");
        assert!(last_lines(&dir.path().join("none"), 0, 2).is_empty());
    }
}
