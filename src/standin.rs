//! Stand-in processes for the demo and the integration tests.
//!
//! The devtop binary doubles as a stand-in for the programs it watches. `main()` calls
//! [`run_if_requested`] first; when [`ENV_MODE`] (`DEVTOP_STANDIN`) is set, the process acts out
//! the requested behaviour and never returns. To look like the real thing, the caller executes a
//! symlink named like the real program (so `/proc/<pid>/comm` reads `node` or `schema-engine`)
//! with a realistic argv, e.g.
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

use std::convert::Infallible;
use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Env var holding the directives; its presence turns the binary into a stand-in.
pub const ENV_MODE: &str = "DEVTOP_STANDIN";
/// Env var holding a JSON [`ChildSpec`] for the `child` / `orphan` directives.
pub const ENV_CHILD: &str = "DEVTOP_STANDIN_CHILD";
/// Env var naming the ready file written after setup.
pub const ENV_READY: &str = "DEVTOP_STANDIN_READY";
/// Env var with a PID whose disappearance makes the stand-in exit.
pub const ENV_WATCH_PID: &str = "DEVTOP_STANDIN_WATCH_PID";

/// Length of one busy duty cycle.
const BUSY_WINDOW: Duration = Duration::from_millis(100);
/// How often the watched PID is checked.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// How long an `orphan` spawner waits for its child's ready file.
const ORPHAN_READY_WAIT: Duration = Duration::from_secs(10);
/// The whole answer of the `listen` directive to any request.
const HTTP_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

/// One directive of `DEVTOP_STANDIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// `sleep`: idle at ~0 % CPU (the default).
    Sleep,
    /// `busy=P`: burn about P percent (0–100) of one core, as a duty cycle over 100 ms windows.
    Busy(u8),
    /// `listen=PORT`: listen on 127.0.0.1:PORT (0 = any free port, published in the ready file)
    /// and answer every connection with a minimal `HTTP/1.1 200 OK`, then close it.
    Listen(u16),
    /// `ignore-term`: survive `SIGTERM` (a handler that does nothing is installed).
    IgnoreTerm,
    /// `zombie-child`: spawn a child that exits at once and is never reaped (state `Z`).
    ZombieChild,
    /// `child`: spawn one child from `DEVTOP_STANDIN_CHILD`, which runs that spec's `mode`;
    /// it is not reaped until the parent exits.
    Child,
    /// `orphan`: lead a new session (`setsid`), spawn a child running the remaining directives
    /// (exe/args from `DEVTOP_STANDIN_CHILD`, else the spawner's own) in it, publish its
    /// PID as `child=` and exit, so the child is reparented to init or a subreaper.
    Orphan,
    /// `exit`: exit 0 at once (used for the `zombie-child` child).
    Exit,
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sleep => f.write_str("sleep"),
            Self::Busy(p) => write!(f, "busy={p}"),
            Self::Listen(port) => write!(f, "listen={port}"),
            Self::IgnoreTerm => f.write_str("ignore-term"),
            Self::ZombieChild => f.write_str("zombie-child"),
            Self::Child => f.write_str("child"),
            Self::Orphan => f.write_str("orphan"),
            Self::Exit => f.write_str("exit"),
        }
    }
}

/// A `DEVTOP_STANDIN` value that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad {ENV_MODE} directive {directive:?}: {problem}")]
pub struct DirectiveError {
    /// The offending directive text.
    pub directive: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl FromStr for Directive {
    type Err = DirectiveError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem| DirectiveError {
            directive: s.to_owned(),
            problem,
        };
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (s.trim(), None),
        };
        match (name, value) {
            ("sleep", None) => Ok(Self::Sleep),
            ("busy", Some(v)) => match v.parse::<u8>() {
                Ok(p) if p <= 100 => Ok(Self::Busy(p)),
                _ => Err(bad("busy wants a percentage 0..=100")),
            },
            ("listen", Some(v)) => v
                .parse::<u16>()
                .map(Self::Listen)
                .map_err(|_| bad("listen wants a port 0..=65535")),
            ("ignore-term", None) => Ok(Self::IgnoreTerm),
            ("zombie-child", None) => Ok(Self::ZombieChild),
            ("child", None) => Ok(Self::Child),
            ("orphan", None) => Ok(Self::Orphan),
            ("exit", None) => Ok(Self::Exit),
            ("sleep" | "ignore-term" | "zombie-child" | "child" | "orphan" | "exit", Some(_)) => {
                Err(bad("takes no value"))
            }
            ("busy" | "listen", None) => Err(bad("needs a value")),
            _ => Err(bad("unknown directive")),
        }
    }
}

/// Parses a comma-separated `DEVTOP_STANDIN` value; empty items are skipped.
///
/// # Errors
/// The first item that is not a valid [`Directive`].
pub fn parse_directives(spec: &str) -> Result<Vec<Directive>, DirectiveError> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

/// Formats directives back into a `DEVTOP_STANDIN` value (inverse of [`parse_directives`]).
pub fn format_directives(directives: &[Directive]) -> String {
    directives
        .iter()
        .map(Directive::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

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

/// Entry point for the binary: if `DEVTOP_STANDIN` is set, act as a stand-in and exit the
/// process (never returning); otherwise return at once. Call it first thing in `main()`.
///
/// A stand-in that cannot be set up prints the reason to stderr and exits with status 2.
pub fn run_if_requested() {
    let Some(mode) = std::env::var_os(ENV_MODE) else {
        return;
    };
    let mode = mode.to_string_lossy().into_owned();
    match run(&mode) {
        Ok(never) => match never {},
        Err(e) => {
            eprintln!("devtop stand-in ({ENV_MODE}={mode}): {e}");
            std::process::exit(2);
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn run(mode: &str) -> Result<Infallible, BoxError> {
    detach_stdin();
    let directives = parse_directives(mode)?;
    if directives.contains(&Directive::Exit) {
        std::process::exit(0);
    }
    let ready_path = std::env::var_os(ENV_READY).map(PathBuf::from);
    let watch_pid = match std::env::var(ENV_WATCH_PID) {
        Ok(v) => Some(
            v.trim()
                .parse::<u32>()
                .map_err(|_| format!("bad {ENV_WATCH_PID}={v:?}"))?,
        ),
        Err(_) => None,
    };

    if directives.contains(&Directive::Orphan) {
        return run_orphan(&directives, ready_path.as_deref());
    }

    // Kept alive for the life of the process: it owns the SIGTERM handler's plumbing.
    let _term_guard = if directives.contains(&Directive::IgnoreTerm) {
        Some(ignore_sigterm()?)
    } else {
        None
    };

    let mut ready = Ready {
        pid: std::process::id(),
        ..Ready::default()
    };
    for d in &directives {
        if let Directive::Listen(port) = *d {
            let listener = TcpListener::bind(("127.0.0.1", port))?;
            ready.port = Some(listener.local_addr()?.port());
            std::thread::Builder::new()
                .name("standin-listen".into())
                .spawn(move || serve(&listener))?;
        }
    }
    // Children are deliberately never waited for (zombie-child) or only reaped at exit.
    let mut children: Vec<Child> = Vec::new();
    if directives.contains(&Directive::ZombieChild) {
        let (exe, _) = own_exe_and_args();
        let mut cmd = Command::new(exe);
        cmd.stdin(Stdio::null());
        clear_standin_env(&mut cmd, &[]);
        cmd.env(ENV_MODE, Directive::Exit.to_string());
        let child = cmd.spawn()?;
        ready.child = Some(child.id());
        children.push(child);
    }
    if directives.contains(&Directive::Child) {
        let spec = child_spec_from_env()?.ok_or_else(|| format!("child needs {ENV_CHILD}"))?;
        let mut cmd = Command::new(&spec.exe);
        cmd.args(&spec.args).stdin(Stdio::null());
        clear_standin_env(&mut cmd, &[ENV_WATCH_PID]);
        cmd.env(ENV_MODE, &spec.mode);
        let child = cmd.spawn()?;
        ready.child = Some(child.id());
        children.push(child);
    }

    if let Some(path) = &ready_path {
        ready.write_atomic(path)?;
    }

    let busy = directives
        .iter()
        .rev()
        .find_map(|d| match d {
            Directive::Busy(p) => Some(*p),
            _ => None,
        })
        .unwrap_or(0);
    main_loop(busy, watch_pid)
}

/// Points fd 0 at `/dev/null`; stand-ins never read the terminal.
fn detach_stdin() {
    if let Ok(null) = fs::File::open("/dev/null") {
        let _ = rustix::stdio::dup2_stdin(&null);
    }
}

/// Installs a SIGTERM handler that does nothing. The returned runtime owns the handler's
/// registration and must be kept alive.
fn ignore_sigterm() -> io::Result<(tokio::runtime::Runtime, tokio::signal::unix::Signal)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let signal = {
        let _enter = rt.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?
    };
    Ok((rt, signal))
}

/// argv\[0\] (the symlink the stand-in was started through) and the remaining arguments;
/// falls back to `/proc/self/exe` when argv\[0\] is not a usable path.
fn own_exe_and_args() -> (PathBuf, Vec<std::ffi::OsString>) {
    let mut args = std::env::args_os();
    let argv0 = args.next().map(PathBuf::from);
    let exe = match argv0 {
        Some(p) if p.components().count() > 1 && p.exists() => p,
        _ => std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe")),
    };
    (exe, args.collect())
}

fn child_spec_from_env() -> Result<Option<ChildSpec>, BoxError> {
    match std::env::var(ENV_CHILD) {
        Ok(json) => Ok(Some(
            serde_json::from_str(&json).map_err(|e| format!("bad {ENV_CHILD}: {e}"))?,
        )),
        Err(_) => Ok(None),
    }
}

/// The `orphan` directive: start the rest as a child in a new session, publish it, exit.
fn run_orphan(directives: &[Directive], ready_path: Option<&Path>) -> Result<Infallible, BoxError> {
    let rest: Vec<Directive> = directives
        .iter()
        .copied()
        .filter(|d| *d != Directive::Orphan)
        .collect();
    let rest = if rest.is_empty() {
        Directive::Sleep.to_string()
    } else {
        format_directives(&rest)
    };
    let mut cmd = match child_spec_from_env()? {
        Some(spec) => {
            let mut cmd = Command::new(&spec.exe);
            cmd.args(&spec.args);
            cmd
        }
        None => {
            let (exe, args) = own_exe_and_args();
            let mut cmd = Command::new(exe);
            cmd.args(args);
            cmd
        }
    };
    cmd.stdin(Stdio::null());
    clear_standin_env(&mut cmd, &[ENV_WATCH_PID, ENV_CHILD]);
    cmd.env(ENV_MODE, rest);
    let child_ready = ready_path.map(|p| {
        let mut s = p.as_os_str().to_owned();
        s.push(".child");
        PathBuf::from(s)
    });
    if let Some(p) = &child_ready {
        let _ = fs::remove_file(p);
        cmd.env(ENV_READY, p);
    }
    // The spawner leads a new session without a terminal; the orphan stays in that session, so
    // once the spawner exits the orphan's session leader is gone — as when a terminal closes.
    let _ = rustix::process::setsid();
    let child = cmd.spawn()?;
    let orphan_pid = child.id();
    let mut ready = Ready {
        pid: std::process::id(),
        port: None,
        child: Some(orphan_pid),
    };
    if let (Some(path), Some(child_path)) = (ready_path, &child_ready) {
        // Publish the orphan's port too; if it never gets ready, still publish its PID.
        if let Ok(r) = wait_ready(child_path, ORPHAN_READY_WAIT) {
            ready.port = r.port;
        }
        let _ = fs::remove_file(child_path);
        ready.write_atomic(path)?;
    }
    // Exit without reaping: the child is reparented.
    std::process::exit(0);
}

/// Accept loop of `listen`: one connection at a time, answered and closed.
fn serve(listener: &TcpListener) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let _ = answer(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Reads the request head (up to 8 KiB, 1 s timeout), answers `200 OK` and closes.
fn answer(mut stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    stream.set_write_timeout(Some(Duration::from_secs(1)))?;
    let mut buf = [0u8; 1024];
    let mut head = Vec::new();
    while head.len() < 8192 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    stream.write_all(HTTP_RESPONSE)?;
    stream.flush()?;
    stream.shutdown(std::net::Shutdown::Both)
}

/// Idles or burns `busy` percent of a core until the watched PID disappears.
fn main_loop(busy: u8, watch_pid: Option<u32>) -> ! {
    let on = BUSY_WINDOW * u32::from(busy) / 100;
    let mut next_watch = Instant::now() + WATCH_INTERVAL;
    loop {
        if on.is_zero() {
            let now = Instant::now();
            std::thread::sleep(next_watch.saturating_duration_since(now));
        } else {
            let start = Instant::now();
            let mut x: u64 = 1;
            while start.elapsed() < on {
                for _ in 0..1000 {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            std::thread::sleep(BUSY_WINDOW.saturating_sub(start.elapsed()));
        }
        if Instant::now() >= next_watch {
            next_watch = Instant::now() + WATCH_INTERVAL;
            if let Some(pid) = watch_pid
                && !pid_exists(pid)
            {
                std::process::exit(0);
            }
        }
    }
}

/// True while PID exists and is not a zombie.
fn pid_exists(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next());
            !matches!(state, Some('Z' | 'X'))
        }
        Err(e) => e.kind() != io::ErrorKind::NotFound,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_directives() {
        let d = parse_directives(
            "sleep, busy=60,listen=0,listen=5173,ignore-term,zombie-child,child,orphan,exit,",
        )
        .unwrap();
        assert_eq!(
            d,
            vec![
                Directive::Sleep,
                Directive::Busy(60),
                Directive::Listen(0),
                Directive::Listen(5173),
                Directive::IgnoreTerm,
                Directive::ZombieChild,
                Directive::Child,
                Directive::Orphan,
                Directive::Exit,
            ]
        );
        assert_eq!(parse_directives("").unwrap(), vec![]);
        assert_eq!(
            format_directives(&d),
            "sleep,busy=60,listen=0,listen=5173,ignore-term,zombie-child,child,orphan,exit"
        );
    }

    #[test]
    fn rejects_bad_directives() {
        for bad in [
            "busy",
            "busy=101",
            "busy=-1",
            "busy=x",
            "listen",
            "listen=70000",
            "sleep=1",
            "orphan=yes",
            "nap",
        ] {
            let err = parse_directives(&format!("sleep,{bad}")).unwrap_err();
            assert_eq!(err.directive, bad, "{err}");
        }
    }

    #[test]
    fn ready_round_trip() {
        let r = Ready {
            pid: 42,
            port: Some(5173),
            child: Some(43),
        };
        assert_eq!(r.to_string(), "pid=42 port=5173 child=43");
        assert_eq!(Ready::parse(&format!("{r}\n")), Some(r));
        let bare = Ready {
            pid: 7,
            ..Ready::default()
        };
        assert_eq!(bare.to_string(), "pid=7");
        assert_eq!(Ready::parse("pid=7"), Some(bare));
        assert_eq!(Ready::parse("port=1"), None);
        assert_eq!(Ready::parse("pid=x"), None);
        assert_eq!(Ready::parse(""), None);
    }

    #[test]
    fn ready_file_is_written_atomically_and_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ready");
        let err = wait_ready(&path, Duration::from_millis(30)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        let r = Ready {
            pid: 1234,
            port: None,
            child: Some(99),
        };
        r.write_atomic(&path).unwrap();
        assert!(!tmp_path(&path).exists());
        assert_eq!(wait_ready(&path, Duration::from_secs(1)).unwrap(), r);
        fs::write(&path, "garbage").unwrap();
        assert_eq!(
            wait_ready(&path, Duration::from_secs(1))
                .unwrap_err()
                .kind(),
            io::ErrorKind::InvalidData
        );
    }

    #[test]
    fn child_spec_json_shape() {
        let spec: ChildSpec = serde_json::from_str(
            r#"{"exe": "/t/bin/node", "args": ["a", "b"], "mode": "busy=60"}"#,
        )
        .unwrap();
        assert_eq!(spec.exe, PathBuf::from("/t/bin/node"));
        assert_eq!(spec.args, ["a", "b"]);
        assert_eq!(spec.mode, "busy=60");
        let minimal: ChildSpec = serde_json::from_str(r#"{"exe": "/x"}"#).unwrap();
        assert!(minimal.args.is_empty() && minimal.mode.is_empty());
    }

    #[test]
    fn link_as_creates_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, "a").unwrap();
        fs::write(&b, "b").unwrap();
        let link = link_as(dir.path(), "node", &a).unwrap();
        assert_eq!(link, dir.path().join("node"));
        assert_eq!(fs::read_link(&link).unwrap(), a);
        let link = link_as(dir.path(), "node", &b).unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), b);
        assert_eq!(fs::read_to_string(&link).unwrap(), "b");
    }

    #[test]
    fn pid_exists_for_self_not_for_nonsense() {
        assert!(pid_exists(std::process::id()));
        assert!(!pid_exists(u32::MAX));
    }
}
