//! Stand-in processes for the demo and the integration tests.
//!
//! The devtop binary doubles as a stand-in for the programs it watches. `main()` calls
//! [`run_if_requested`] first; when the binary was started under another name than its own
//! (argv\[0\] is a symlink such as `node`, never `devtop`) and [`ENV_MODE`] (`DEVTOP_STANDIN`)
//! is set, the process acts out the requested behaviour and never returns; a start as `devtop`
//! goes on at once, whatever its environment says. To look like the real thing, the caller
//! executes a symlink named like the real program (so `/proc/<pid>/comm` reads `node` or
//! `schema-engine`) with a realistic argv, e.g.
//! `<tmp>/bin/node <tmp>/node_modules/.bin/prisma migrate dev --name add_uuid`
//! with `DEVTOP_STANDIN=sleep`. [`link_as`], [`spawn`] and [`wait_ready`] do that.
//!
//! # Environment
//! - `DEVTOP_STANDIN`: comma-separated directives, see [`Directive`]. With no activity
//!   directive (`busy`) the stand-in idles.
//! - `DEVTOP_STANDIN_CHILD`: JSON [`ChildSpec`] for the `child` and `orphan` directives.
//! - `DEVTOP_STANDIN_READY=<path>`: after setup, write [`Ready`] (`pid=N port=N child=N`) to
//!   `<path>.tmp` and rename it to `<path>`.
//! - `DEVTOP_STANDIN_WATCH_PID=N`: exit when PID N no longer exists (checked once a second).
//!
//! Stand-ins always detach stdin (it becomes `/dev/null`).

mod apply;
mod directive;
mod role;
#[cfg(test)]
mod tests;

pub use directive::{Directive, DirectiveError, format_directives, parse_directives};
pub use role::run_if_requested;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Env var holding the directives; its presence turns the binary into a stand-in.
pub const ENV_MODE: &str = "DEVTOP_STANDIN";
/// Env var holding a JSON [`ChildSpec`] for the `child` / `orphan` directives.
pub const ENV_CHILD: &str = "DEVTOP_STANDIN_CHILD";
/// Env var naming the ready file written after setup.
pub const ENV_READY: &str = "DEVTOP_STANDIN_READY";
/// Env var with a PID whose disappearance makes the stand-in exit.
pub const ENV_WATCH_PID: &str = "DEVTOP_STANDIN_WATCH_PID";

/// The child a stand-in spawns for `child` (and whose exe/args `orphan` uses); serialized as
/// JSON into `DEVTOP_STANDIN_CHILD`: `{"exe": "/path/to/symlink", "args": [...], "mode": "busy=60"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildSpec {
    /// Program to execute, normally a symlink made by [`link_as`]; also becomes argv\[0\].
    pub exe: PathBuf,
    /// Arguments after argv\[0\].
    #[serde(default)]
    pub args: Vec<String>,
    /// The child's `DEVTOP_STANDIN` value.
    #[serde(default)]
    pub mode: String,
}

/// How to start one stand-in with [`spawn`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandInSpec {
    /// Program to execute: a symlink to the devtop binary named like the real program; it is
    /// also argv\[0\].
    pub exe: PathBuf,
    /// Arguments after argv\[0\], e.g. `["node_modules/.bin/prisma", "migrate", "dev"]`.
    pub args: Vec<String>,
    /// `DEVTOP_STANDIN` directives, e.g. `"listen=0,busy=20"`.
    pub mode: String,
    /// Working directory of the stand-in.
    pub cwd: PathBuf,
    /// Child for the `child` / `orphan` directives.
    pub child: Option<ChildSpec>,
    /// Exit when this PID disappears (the demo passes its own PID).
    pub watch_pid: Option<u32>,
    /// Ready file to write after setup; removed by [`spawn`] first so [`wait_ready`] never sees
    /// a stale one.
    pub ready_file: Option<PathBuf>,
}

/// What a stand-in publishes in its ready file once set up: `pid=N port=N child=N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ready {
    /// PID of the stand-in that wrote the file.
    pub pid: u32,
    /// Port bound by `listen` (for `orphan`: the orphan's port).
    pub port: Option<u16>,
    /// PID of the spawned child: `child` wins over `zombie-child`; for `orphan` the orphan.
    pub child: Option<u32>,
}

impl fmt::Display for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid={}", self.pid)?;
        if let Some(port) = self.port {
            write!(f, " port={port}")?;
        }
        if let Some(child) = self.child {
            write!(f, " child={child}")?;
        }
        Ok(())
    }
}

impl Ready {
    /// Parses `pid=N [port=N] [child=N]` (whitespace separated, unknown keys ignored);
    /// `None` without a valid `pid`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut ready = Self::default();
        let mut has_pid = false;
        for item in text.split_whitespace() {
            let Some((key, value)) = item.split_once('=') else {
                continue;
            };
            match key {
                "pid" => {
                    ready.pid = value.parse().ok()?;
                    has_pid = true;
                }
                "port" => ready.port = Some(value.parse().ok()?),
                "child" => ready.child = Some(value.parse().ok()?),
                _ => {}
            }
        }
        has_pid.then_some(ready)
    }

    /// Writes `self` to `<path>.tmp` and renames it to `path`, so readers see all or nothing.
    ///
    /// # Errors
    /// I/O errors of the write or rename.
    pub fn write_atomic(&self, path: &Path) -> io::Result<()> {
        let tmp = tmp_path(path);
        fs::write(&tmp, format!("{self}\n"))?;
        fs::rename(&tmp, path)
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    PathBuf::from(tmp)
}

/// Creates the symlink `dir/name` → `exe`, replacing whatever is at `dir/name`; returns its path.
///
/// # Errors
/// I/O errors from removing the old entry or creating the link.
pub fn link_as(dir: &Path, name: &str, exe: &Path) -> io::Result<PathBuf> {
    let link = dir.join(name);
    for _ in 0..3 {
        match fs::symlink_metadata(&link) {
            Ok(_) => match fs::remove_file(&link) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        match std::os::unix::fs::symlink(exe, &link) {
            Ok(()) => return Ok(link),
            // Someone created it in between; replace again.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{} keeps reappearing", link.display()),
    ))
}

/// Removes every `DEVTOP_STANDIN*` variable from `cmd`'s environment except those in `keep`.
fn clear_standin_env(cmd: &mut Command, keep: &[&str]) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with(ENV_MODE) && !keep.contains(&key) {
            cmd.env_remove(key);
        }
    }
}

/// Starts a stand-in as described by `spec`, with stdin, stdout and stderr on `/dev/null` and
/// argv\[0\] = `spec.exe` (the symlink path). Removes a stale ready file first. The caller owns
/// the returned child and must reap it.
///
/// # Errors
/// I/O errors from removing the stale ready file or from spawning; `InvalidData` if the child
/// spec cannot be serialized.
pub fn spawn(spec: &StandInSpec) -> io::Result<Child> {
    if let Some(ready) = &spec.ready_file {
        for p in [ready.clone(), tmp_path(ready)] {
            match fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    let mut cmd = Command::new(&spec.exe);
    cmd.args(&spec.args)
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    clear_standin_env(&mut cmd, &[]);
    cmd.env(ENV_MODE, &spec.mode);
    if let Some(child) = &spec.child {
        let json = serde_json::to_string(child).map_err(io::Error::other)?;
        cmd.env(ENV_CHILD, json);
    }
    if let Some(pid) = spec.watch_pid {
        cmd.env(ENV_WATCH_PID, pid.to_string());
    }
    if let Some(ready) = &spec.ready_file {
        cmd.env(ENV_READY, ready);
    }
    cmd.spawn()
}

/// Polls `path` every 10 ms until a stand-in has written its ready file, for at most `deadline`.
///
/// # Errors
/// `TimedOut` when no file appeared in time, `InvalidData` when it does not parse, other I/O
/// errors from reading it.
pub fn wait_ready(path: &Path, deadline: Duration) -> io::Result<Ready> {
    let until = Instant::now() + deadline;
    loop {
        match fs::read_to_string(path) {
            Ok(text) => {
                return Ready::parse(&text).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("bad ready file {}: {text:?}", path.display()),
                    )
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if Instant::now() >= until {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no ready file {} after {deadline:?}", path.display()),
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
