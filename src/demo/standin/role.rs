//! The stand-in role: what the devtop binary does when it was started as a stand-in (see
//! [`run_if_requested`]) — act out the directives of `DEVTOP_STANDIN` and never return.

use super::{
    ChildSpec, Directive, ENV_CHILD, ENV_MODE, ENV_READY, ENV_WATCH_PID, Ready, clear_standin_env,
    format_directives, parse_directives, wait_ready,
};
use std::convert::Infallible;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Length of one busy duty cycle.
const BUSY_WINDOW: Duration = Duration::from_millis(100);
/// How often the watched PID is checked.
const WATCH_INTERVAL: Duration = Duration::from_secs(1);
/// How long an `orphan` spawner waits for its child's ready file.
const ORPHAN_READY_WAIT: Duration = Duration::from_secs(10);
/// The whole answer of the `listen` directive to any request.
const HTTP_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

/// The name the product binary runs under; a process started under it is never a stand-in.
const OWN_NAME: &str = env!("CARGO_PKG_NAME");
/// argv\[0\] of a stand-in's own child when its argv\[0\] said nothing usable.
const FALLBACK_ARGV0: &str = "devtop-standin";

/// Entry point for the binary: if this process was started as a stand-in (see
/// [`started_as_standin`]), act as one and exit the process (never returning); otherwise return
/// at once. Call it first thing in `main()`.
///
/// A stand-in that cannot be set up prints the reason to stderr and exits with status 2.
pub fn run_if_requested() {
    let argv0 = std::env::args_os().next();
    if !started_as_standin(argv0.as_deref(), || std::env::var_os(ENV_MODE).is_some()) {
        return;
    }
    let mode = std::env::var_os(ENV_MODE)
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    match run(&mode) {
        Ok(never) => match never {},
        Err(e) => {
            eprintln!("devtop stand-in ({ENV_MODE}={mode}): {e}");
            std::process::exit(2);
        }
    }
}

/// True when the process was started as a stand-in: argv\[0\]'s file name is not devtop's own
/// (stand-ins run through symlinks named `node`, `schema-engine`, …) and `mode_set()` — whether
/// `DEVTOP_STANDIN` is set — says so. A start as `devtop` returns false before the environment
/// is read, so no stray variable turns the dashboard into a stand-in.
pub(super) fn started_as_standin(argv0: Option<&OsStr>, mode_set: impl FnOnce() -> bool) -> bool {
    let own_name = argv0
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|name| name == OWN_NAME);
    !own_name && mode_set()
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn run(mode: &str) -> Result<Infallible, BoxError> {
    detach_stdin();
    let directives = parse_directives(mode)?;
    if directives.contains(&Directive::Exit) {
        std::process::exit(0);
    }
    if directives.contains(&Directive::ApplyMigrations) {
        let code = match super::apply::run() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("Error: {e}");
                1
            }
        };
        std::process::exit(code);
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
    let chatty = directives.contains(&Directive::Chatty);
    for d in &directives {
        if let Directive::Delay(ms) = *d {
            if chatty {
                say("\u{1b}[2m[dev]\u{1b}[0m compiling…");
            }
            std::thread::sleep(Duration::from_millis(u64::from(ms)));
        }
    }
    for d in &directives {
        if let Directive::Listen(port) = *d {
            let listener = TcpListener::bind(("127.0.0.1", port))?;
            let port = listener.local_addr()?.port();
            ready.port = Some(port);
            if chatty {
                say(&format!(
                    "\u{1b}[32m\u{1b}[1m  ➜ ready\u{1b}[0m  Local: \u{1b}[36mhttp://127.0.0.1:{port}/\u{1b}[0m"
                ));
                say("  DATABASE_URL=postgresql://demo:demo-secret@127.0.0.1:5432/demo");
                std::thread::Builder::new()
                    .name("standin-chatty".into())
                    .spawn(heartbeat)?;
            }
            std::thread::Builder::new()
                .name("standin-listen".into())
                .spawn(move || serve(&listener, chatty))?;
        }
    }
    // Children are deliberately never waited for (zombie-child) or only reaped at exit.
    let mut children: Vec<Child> = Vec::new();
    if directives.contains(&Directive::ZombieChild) {
        let (mut cmd, _) = own_command();
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

    for d in &directives {
        if let Directive::Hold(mib) = *d {
            hold(mib);
        }
    }
    if let Some(path) = &ready_path {
        ready.write_atomic(path)?;
    }

    for d in &directives {
        if let Directive::Grow(mib) = *d {
            std::thread::Builder::new()
                .name("standin-grow".into())
                .spawn(move || {
                    for _ in 0..mib.div_ceil(4) {
                        hold(4);
                        std::thread::sleep(Duration::from_millis(50));
                    }
                })?;
        }
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

/// The `hold` directive: allocate `mib` MiB, write to every page so it is resident, and keep it
/// for the life of the process.
fn hold(mib: u32) {
    let len = usize::try_from(mib).unwrap_or(0).saturating_mul(1 << 20);
    let mut block = vec![0u8; len];
    for i in (0..len).step_by(4096) {
        block[i] = 1;
    }
    std::hint::black_box(&block);
    std::mem::forget(block);
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

/// A command that starts this program again as it was started: through argv\[0\] (the symlink
/// the stand-in was started through) with the remaining arguments. When argv\[0\] is not a
/// usable path (found through `PATH`), it runs `/proc/self/exe` with argv\[0\] kept as it was,
/// so the child is a stand-in too (see [`started_as_standin`]). The arguments are returned for
/// the caller to add or drop.
fn own_command() -> (Command, Vec<OsString>) {
    let mut args = std::env::args_os();
    let argv0 = args.next();
    let cmd = match argv0.as_deref().map(Path::new) {
        Some(p) if p.components().count() > 1 && p.exists() => Command::new(p),
        _ => {
            let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
            let mut cmd = Command::new(exe);
            cmd.arg0(argv0.unwrap_or_else(|| FALLBACK_ARGV0.into()));
            cmd
        }
    };
    (cmd, args.collect())
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
            let (mut cmd, args) = own_command();
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

/// One line on stdout (`chatty`), flushed at once (stdout may be a file).
fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// `chatty`'s heartbeat: a line every 5 s, as a watcher would print.
fn heartbeat() {
    let mut n: u64 = 0;
    loop {
        std::thread::sleep(Duration::from_secs(5));
        n += 1;
        say(&format!(
            "\x1b[2m[watch]\x1b[0m no changes ({n} checks), \x1b[33m{}\x1b[0m connections open",
            n % 3
        ));
    }
}

/// Accept loop of `listen`: one connection at a time, answered and closed; with `chatty`, one
/// line per request.
fn serve(listener: &TcpListener, chatty: bool) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let line = answer(stream);
                if chatty && let Ok(Some(req)) = line {
                    say(&format!("{req} \x1b[32m200\x1b[0m"));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Reads the request head (up to 8 KiB, 1 s timeout), answers `200 OK` and closes; returns
/// the request line (`GET /health`), when there was one.
fn answer(mut stream: TcpStream) -> io::Result<Option<String>> {
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
    stream.shutdown(std::net::Shutdown::Both)?;
    let text = String::from_utf8_lossy(&head);
    Ok(text
        .lines()
        .next()
        .filter(|l| !l.is_empty())
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" ")))
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
pub(super) fn pid_exists(pid: u32) -> bool {
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
