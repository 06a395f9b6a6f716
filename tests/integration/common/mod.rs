//! Shared support for integration tests: a temporary project with stand-in processes.
//!
//! ```ignore
//! mod common;
//! let fx = common::Fixture::new();
//! let vite = fx.standin("node").args(["node_modules/.bin/vite", "--port", "0"]).mode("listen=0").spawn();
//! // ... look for vite.pid / fx.marker() in devtop's output ...
//! // dropping `fx` SIGKILLs and reaps everything it started
//! ```
//!
//! Every stand-in is the real devtop binary (`CARGO_BIN_EXE_devtop`) executed through a symlink
//! in `<root>/bin/` named like the program it plays, with [`Fixture::marker`] appended to its
//! argv so a test can tell its own processes from anything else on the machine. Stand-ins also
//! watch the test process's PID and exit on their own if it dies without cleaning up.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use devtop::demo::standin::{self, ChildSpec, Ready, StandInSpec};
use devtop::effects::signal::read_identity;
use rustix::process::{Pid, PidfdFlags, Signal};

/// How long to wait for a stand-in's ready file.
pub const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Polls `cond` every 10 ms until it is true or `limit` has passed; returns the last result.
pub fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `/proc/<pid>/comm` without the trailing newline.
pub fn comm(pid: u32) -> std::io::Result<String> {
    Ok(std::fs::read_to_string(format!("/proc/{pid}/comm"))?
        .trim_end_matches('\n')
        .to_owned())
}

/// `/proc/<pid>/cmdline` split at NULs.
pub fn cmdline(pid: u32) -> std::io::Result<Vec<String>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline"))?;
    Ok(raw
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect())
}

/// utime + stime of `pid` in clock ticks (`/proc/<pid>/stat` fields 14 and 15).
pub fn cpu_ticks(pid: u32) -> std::io::Result<u64> {
    let stat = procfs::process::Process::new(pid as i32)
        .and_then(|p| p.stat())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(stat.utime + stat.stime)
}

/// True while `pid` is the process that started at `start_ticks` and is neither zombie nor dead.
pub fn alive(pid: u32, start_ticks: u64) -> bool {
    read_identity(pid)
        .is_ok_and(|id| id.start_ticks == start_ticks && !matches!(id.state, 'Z' | 'X'))
}

/// SIGKILL `pid` only if it is still the process that started at `start_ticks`. The pidfd is
/// opened before the check, so a reused PID is never hit.
pub fn kill_verified(pid: u32, start_ticks: u64) {
    let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    if pid <= 1 || pid == std::process::id() {
        return;
    }
    let Ok(fd) = rustix::process::pidfd_open(p, PidfdFlags::empty()) else {
        return;
    };
    if read_identity(pid).is_ok_and(|id| id.start_ticks == start_ticks) {
        let _ = rustix::process::pidfd_send_signal(&fd, Signal::KILL);
    }
}

/// A stand-in the fixture started. The `Child` handle stays inside the fixture, which reaps it.
#[derive(Debug, Clone)]
pub struct Spawned {
    /// PID of the stand-in.
    pub pid: u32,
    /// Its start time (clock ticks since boot), read right after spawning.
    pub start_ticks: u64,
    /// What it published in its ready file.
    pub ready: Ready,
    /// The symlink it was executed through (its argv\[0\]).
    pub exe: PathBuf,
    /// Full argv as given: exe, args, marker.
    pub argv: Vec<String>,
}

#[derive(Default)]
struct Procs {
    children: Vec<Child>,
    /// Non-child processes learned from ready files, with start ticks.
    learned: Vec<(u32, u64)>,
}

/// A temporary project directory with `bin/` symlinks to devtop, plus a guard over every
/// process started through it: on drop, each is SIGKILLed by PID (non-children only after their
/// start time is verified) and direct children are reaped.
pub struct Fixture {
    dir: tempfile::TempDir,
    bin: PathBuf,
    marker: String,
    procs: Mutex<Procs>,
    counter: AtomicUsize,
}

static FIXTURES: AtomicUsize = AtomicUsize::new(0);

impl Fixture {
    /// Creates `<tmp>/bin/` and a `package.json`, and a marker unique to this fixture.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("devtop-fixture-")
            .tempdir()
            .expect("temp dir");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).expect("bin dir");
        std::fs::create_dir(dir.path().join("ready")).expect("ready dir");
        std::fs::write(
            dir.path().join("package.json"),
            "{\"name\": \"devtop-fixture\", \"private\": true}\n",
        )
        .expect("package.json");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let marker = format!(
            "--devtop-test-marker={:x}-{:x}-{:x}",
            std::process::id(),
            nanos,
            FIXTURES.fetch_add(1, Ordering::Relaxed)
        );
        Self {
            dir,
            bin,
            marker,
            procs: Mutex::new(Procs::default()),
            counter: AtomicUsize::new(0),
        }
    }

    /// The project directory (default cwd of stand-ins).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `<root>/bin`, where the symlinks live.
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// The argument appended to every stand-in's argv, `--devtop-test-marker=<id>`.
    pub fn marker(&self) -> &str {
        &self.marker
    }

    /// `<root>/bin/<name>` → the devtop binary; returns the link path.
    pub fn link(&self, name: &str) -> PathBuf {
        standin::link_as(&self.bin, name, Path::new(env!("CARGO_BIN_EXE_devtop"))).expect("symlink")
    }

    /// Starts building a stand-in that runs as `<root>/bin/<name>`.
    pub fn standin(&self, name: &str) -> StandInBuilder<'_> {
        StandInBuilder {
            fx: self,
            name: name.to_owned(),
            args: Vec::new(),
            mode: "sleep".to_owned(),
            child: None,
            cwd: None,
            watch_pid: Some(std::process::id()),
            marker: true,
        }
    }

    /// Puts a process that is not a direct child under the guard (start time read now).
    pub fn track(&self, pid: u32) {
        if let Ok(id) = read_identity(pid) {
            self.procs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .learned
                .push((pid, id.start_ticks));
        }
    }

    /// Waits up to `limit` for the direct child `pid` to exit, reaping it.
    pub fn wait_exit(&self, pid: u32, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            {
                let mut procs = self.procs.lock().unwrap_or_else(|e| e.into_inner());
                let child = procs.children.iter_mut().find(|c| c.id() == pid)?;
                if let Ok(Some(status)) = child.try_wait() {
                    return Some(status);
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGKILLs and reaps everything started so far (also done on drop).
    pub fn kill_all(&self) {
        let mut procs = self.procs.lock().unwrap_or_else(|e| e.into_inner());
        for (pid, ticks) in procs.learned.drain(..) {
            kill_verified(pid, ticks);
        }
        for mut child in procs.children.drain(..) {
            // Unreaped, so its PID cannot have been reused: std signals exactly this child.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn next_ready_file(&self) -> PathBuf {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        self.dir.path().join("ready").join(format!("{n}"))
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Builder for one stand-in; see [`Fixture::standin`].
pub struct StandInBuilder<'a> {
    fx: &'a Fixture,
    name: String,
    args: Vec<String>,
    mode: String,
    child: Option<ChildSpec>,
    cwd: Option<PathBuf>,
    watch_pid: Option<u32>,
    marker: bool,
}

impl StandInBuilder<'_> {
    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets the `DEVTOP_STANDIN` directives (default `sleep`).
    pub fn mode(mut self, mode: impl Into<String>) -> Self {
        self.mode = mode.into();
        self
    }

    /// Describes the child for `child` / `orphan`: runs as `<root>/bin/<name>` with `args`
    /// (plus the marker) and directives `mode`.
    pub fn child<I, S>(mut self, name: &str, args: I, mode: &str) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut args: Vec<String> = args.into_iter().map(Into::into).collect();
        if self.marker {
            args.push(self.fx.marker.clone());
        }
        self.child = Some(ChildSpec {
            exe: self.fx.link(name),
            args,
            mode: mode.to_owned(),
        });
        self
    }

    /// Working directory (default: the fixture root).
    pub fn cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = Some(cwd.into());
        self
    }

    /// PID whose end makes the stand-in exit (default: this test process); `None` for none.
    pub fn watch_pid(mut self, pid: Option<u32>) -> Self {
        self.watch_pid = pid;
        self
    }

    /// Leaves the marker out of argv.
    pub fn no_marker(mut self) -> Self {
        self.marker = false;
        self
    }

    /// Spawns the stand-in, waits for its ready file and puts it (and any child it published)
    /// under the fixture's guard. Panics on failure (test support).
    pub fn spawn(self) -> Spawned {
        let exe = self.fx.link(&self.name);
        let mut args = self.args;
        if self.marker {
            args.push(self.fx.marker.clone());
        }
        let ready_file = self.fx.next_ready_file();
        let spec = StandInSpec {
            exe: exe.clone(),
            args: args.clone(),
            mode: self.mode,
            cwd: self.cwd.unwrap_or_else(|| self.fx.root().to_owned()),
            child: self.child,
            watch_pid: self.watch_pid,
            ready_file: Some(ready_file.clone()),
        };
        let child = standin::spawn(&spec).expect("spawn stand-in");
        let pid = child.id();
        // Read before anyone can reap it: the fixture holds the only handle.
        let start_ticks = read_identity(pid).map(|i| i.start_ticks).unwrap_or(0);
        self.fx
            .procs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .children
            .push(child);
        let ready = standin::wait_ready(&ready_file, READY_TIMEOUT).expect("stand-in ready");
        if let Some(c) = ready.child {
            self.fx.track(c);
        }
        let mut argv = vec![exe.to_string_lossy().into_owned()];
        argv.extend(args);
        Spawned {
            pid,
            start_ticks,
            ready,
            exe,
            argv,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running the real devtop binary (used by tests/cli_*.rs).

/// How long one run of the devtop binary may take before the test fails (it is killed then).
pub const DEVTOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Exit code, stdout and stderr of one devtop run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The argv after the program name, for messages.
    pub args: Vec<String>,
    /// Exit code; `None` when ended by a signal.
    pub code: Option<i32>,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "devtop {:?} exited with {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

/// `CARGO_BIN_EXE_devtop` with stdin on `/dev/null` (never a terminal), stdout and stderr piped
/// and no `DEVTOP_STANDIN*` variables, so it runs as devtop and not as a stand-in; its per-user
/// config directory points nowhere (`XDG_CONFIG_HOME`), so the tester's own
/// `~/.config/devtop/config.toml` never changes a result (a test sets it to test that file).
pub fn devtop_command() -> std::process::Command {
    let mut cmd = piped_command(env!("CARGO_BIN_EXE_devtop"));
    cmd.env(
        "XDG_CONFIG_HOME",
        "/nonexistent/devtop-tests-have-no-user-config",
    );
    cmd
}

/// `program` with stdin on `/dev/null`, stdout and stderr piped and no `DEVTOP_STANDIN*`
/// variables (see [`devtop_command`]).
pub fn piped_command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with(standin::ENV_MODE) {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs `cmd` (made by [`devtop_command`] or alike, stdout/stderr piped) to completion, for at
/// most [`DEVTOP_TIMEOUT`]; on timeout the child is SIGKILLed (by its own handle) and the test
/// panics.
pub fn run_command(cmd: &mut std::process::Command, args: Vec<String>) -> Run {
    use std::io::Read;
    let mut child = cmd.spawn().expect("spawn devtop");
    let mut out = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = wait_or_kill(&mut child);
    let run = Run {
        args,
        code: status.and_then(|s| s.code()),
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    };
    assert!(
        status.is_some(),
        "timed out after {DEVTOP_TIMEOUT:?}: {run}"
    );
    run
}

/// Waits for our own child `child` for at most [`DEVTOP_TIMEOUT`]; on timeout SIGKILLs it (by
/// its own handle) and returns `None`.
pub fn wait_or_kill(child: &mut Child) -> Option<ExitStatus> {
    let deadline = Instant::now() + DEVTOP_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait devtop") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            // Our own unreaped child: its PID cannot have been reused.
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs the devtop binary with exactly `args`.
pub fn run_devtop<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    run_command(devtop_command().args(&args), args)
}

/// `/proc/<pid>/stat` field 22 (`starttime`), parsed by hand (independently of devtop).
pub fn stat_start_ticks(pid: u32) -> std::io::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised comm start with field 3 (state).
    let (_, rest) = stat
        .rsplit_once(')')
        .ok_or_else(|| std::io::Error::other("no ')' in stat"))?;
    rest.split_whitespace()
        .nth(22 - 3)
        .and_then(|f| f.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad stat {stat:?}")))
}

/// Live (not zombie) processes whose argv contains `marker`, other than this test process.
pub fn live_with_marker(marker: &str) -> Vec<u32> {
    let me = std::process::id();
    devtop::collect::processes::list_pids(Path::new("/proc"))
        .into_iter()
        .filter(|&pid| pid != me)
        .filter(|&pid| cmdline(pid).is_ok_and(|argv| argv.iter().any(|a| a == marker)))
        .filter(|&pid| read_identity(pid).is_ok_and(|id| !matches!(id.state, 'Z' | 'X')))
        .collect()
}

impl Fixture {
    /// Writes `<root>/devtop.toml`.
    pub fn write_config(&self, text: &str) {
        std::fs::write(self.root().join("devtop.toml"), text).expect("write devtop.toml");
    }

    /// The project root as devtop reports it (canonical).
    pub fn canonical_root(&self) -> PathBuf {
        self.root().canonicalize().expect("canonical root")
    }

    /// Runs devtop with `args` followed by `--scope project --project <root>`, so it can only
    /// see processes under this fixture's directory.
    pub fn devtop<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut args: Vec<String> = args.into_iter().map(Into::into).collect();
        args.extend([
            "--scope".to_owned(),
            "project".to_owned(),
            "--project".to_owned(),
            self.root().to_string_lossy().into_owned(),
        ]);
        run_devtop(args)
    }

    /// `devtop status --json` in project scope, parsed; panics unless it exits 0 with JSON.
    pub fn status_json(&self) -> serde_json::Value {
        let run = self.devtop(["status", "--json"]);
        assert_eq!(run.code, Some(0), "{run}");
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {run}"))
    }
}

impl Fixture {
    /// Spawns `cmd` (the caller sets program, args, cwd and env) with stdio on `/dev/null` and
    /// puts the child under the fixture's guard; returns its PID and start time.
    pub fn spawn_command(&self, cmd: &mut std::process::Command) -> (u32, u64) {
        self.spawn_command_to(cmd, std::process::Stdio::null())
    }

    /// [`spawn_command`](Self::spawn_command) with stdout and stderr going to `out` (a file).
    pub fn spawn_command_to(
        &self,
        cmd: &mut std::process::Command,
        out: impl Into<std::process::Stdio>,
    ) -> (u32, u64) {
        let child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let pid = child.id();
        let start_ticks = read_identity(pid).map(|i| i.start_ticks).unwrap_or(0);
        self.procs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .children
            .push(child);
        (pid, start_ticks)
    }
}

/// `root/node_modules/.bin/prisma`: a stand-in Prisma CLI (the `node` stand-in, carrying
/// `fx`'s marker) that never returns, with a child `schema-engine` that sleeps — a project's
/// CLI hung on an engine that never answers.
pub fn hanging_prisma_cli(fx: &Fixture, root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let child = ChildSpec {
        exe: fx.link("schema-engine"),
        args: vec![
            "--datamodels".into(),
            "prisma/schema.prisma".into(),
            fx.marker().into(),
        ],
        mode: "sleep".into(),
    };
    let bin = root.join("node_modules/.bin");
    std::fs::create_dir_all(&bin).expect("node_modules/.bin");
    let script = format!(
        "#!/bin/sh\nexport {}=sleep,child\nexport {}='{}'\nexec '{}' '{}' \"$@\" '{}'\n",
        standin::ENV_MODE,
        standin::ENV_CHILD,
        serde_json::to_string(&child).expect("child spec"),
        fx.link("node").display(),
        bin.join("prisma").display(),
        fx.marker()
    );
    std::fs::write(bin.join("prisma"), script).expect("prisma stand-in");
    std::fs::set_permissions(bin.join("prisma"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
}

/// The screen `devtop::ui::render` draws for `s` on a `w`×`h` test terminal, as text: one line
/// per row, each cell's symbol.
pub fn screen_text(s: &devtop::app::state::AppState, w: u16, h: u16) -> String {
    let mut t =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("test backend");
    let logs = tui_logger::TuiWidgetState::new();
    t.draw(|f| devtop::ui::render(f, s, &logs)).expect("draw");
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The guarded migrate tests run side by side, each on databases of its own; but a migrate run
/// whose database cannot be told makes `devtop migrate` refuse whatever the target (to be
/// safe), so the test that starts one holds this exclusively ([`migrate_alone`]) and every
/// test that runs a guarded migrate holds it shared ([`migrate_slot`]).
static MIGRATE_RUNS: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// A shared hold of [`MIGRATE_RUNS`] (released on drop). Async tests hold it across their
/// awaits: only other test threads contend for it, never a task of the same runtime.
pub struct MigrateSlot {
    _guard: std::sync::RwLockReadGuard<'static, ()>,
}

/// A shared hold of [`MIGRATE_RUNS`], for a test that runs a guarded migrate.
pub fn migrate_slot() -> MigrateSlot {
    MigrateSlot {
        _guard: MIGRATE_RUNS.read().unwrap_or_else(|e| e.into_inner()),
    }
}

/// The exclusive hold of [`MIGRATE_RUNS`], for a test that starts a migrate run whose
/// database cannot be told.
pub fn migrate_alone() -> std::sync::RwLockWriteGuard<'static, ()> {
    MIGRATE_RUNS.write().unwrap_or_else(|e| e.into_inner())
}
