//! The real JS tools from npm for these tests: installed once under `target/js-fixture` (npm's
//! layout, and pnpm's in `target/js-fixture/pnpm`), a temporary project using them that ends
//! everything it started when dropped, `devtop status` over it, and readers of its JSON and of
//! the TUI's rows.

use crate::common;
use crate::tmux;

use common::{cmdline, devtop_command, kill_verified, run_command};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a stack may take to come up on a busy machine.
pub(super) const UP: Duration = Duration::from_secs(90);
/// The tools npm installs into the fixture (majors pinned); react and react-dom for next.
const PACKAGES: &[&str] = &[
    "vite@8",
    "tsx@4",
    "prisma@7",
    "concurrently@9",
    "next@16",
    "react@19",
    "react-dom@19",
    "pnpm@10",
    "typescript@5",
];
/// What the fixture's `pnpm` installs into `target/js-fixture/pnpm`: the same tools in pnpm's
/// layout (`node_modules/.pnpm/<pkg>@<ver>…/node_modules/<pkg>/`).
const PNPM_PACKAGES: &[&str] = &["vite@8", "prisma@7"];

fn require() -> bool {
    std::env::var("DEVTOP_REQUIRE_DB").is_ok_and(|v| v == "1")
}

/// Installs into `dir` by running `cmd` (in `dir`) unless `ready` already holds for
/// `<dir>/node_modules`; one installer at a time across test binaries (a lock file in `dir`).
fn install_into(
    dir: &Path,
    ready: impl Fn(&Path) -> bool,
    mut cmd: Command,
) -> Result<PathBuf, String> {
    let modules = dir.join("node_modules");
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lock = std::fs::File::create(dir.join(".lock")).map_err(|e| e.to_string())?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| e.to_string())?;
    if ready(&modules) {
        return Ok(modules);
    }
    let pkg = dir.join("package.json");
    if !pkg.exists() {
        std::fs::write(
            &pkg,
            "{\"name\": \"devtop-js-fixture\", \"private\": true}\n",
        )
        .map_err(|e| e.to_string())?;
    }
    let what = format!("{cmd:?}");
    let out = cmd
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() || !ready(&modules) {
        return Err(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .join(" / ")
        ));
    }
    Ok(modules)
}

/// True when every one of `bins` is in `<modules>/.bin`.
fn has_bins(modules: &Path, bins: &[&str]) -> bool {
    bins.iter().all(|b| modules.join(".bin").join(b).exists())
}

/// `target/js-fixture/node_modules` (npm's layout), installed on first use; `Err(reason)` when
/// it cannot be.
pub(crate) fn install() -> Result<PathBuf, String> {
    for tool in ["node", "npm"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Err(format!("{tool} is not installed"));
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/js-fixture");
    let mut npm = Command::new("npm");
    npm.args(["install", "--ignore-scripts", "--no-audit", "--no-fund"])
        .args(PACKAGES);
    install_into(
        &dir,
        |m| {
            has_bins(
                m,
                &[
                    "vite",
                    "tsx",
                    "prisma",
                    "concurrently",
                    "next",
                    "pnpm",
                    "tsc",
                ],
            ) && m.join("react-dom/package.json").exists()
        },
        npm,
    )
}

/// `target/js-fixture/pnpm/node_modules`: [`PNPM_PACKAGES`] installed by the fixture's pnpm
/// (its store under `target/js-fixture/pnpm-store`), on first use.
pub(crate) fn install_pnpm() -> Result<PathBuf, String> {
    let npm = install()?;
    let dir = npm.parent().expect("fixture dir").to_path_buf();
    let mut pnpm = Command::new(npm.join(".bin/pnpm"));
    pnpm.args(["add", "--ignore-scripts", "--store-dir"])
        .arg(dir.join("pnpm-store"))
        .args(PNPM_PACKAGES);
    install_into(
        &dir.join("pnpm"),
        |m| has_bins(m, &["vite", "prisma"]) && m.join(".pnpm").is_dir(),
        pnpm,
    )
}

/// What `install` gave (installed once per test process), or `None` after printing why
/// `test` is skipped (a failure instead when required).
fn installed(
    test: &str,
    cell: &'static OnceLock<Result<PathBuf, String>>,
    install: fn() -> Result<PathBuf, String>,
) -> Option<&'static Path> {
    match cell.get_or_init(install) {
        Ok(p) => Some(p),
        Err(reason) => {
            assert!(!require(), "{test}: real JS tools required but {reason}");
            eprintln!("skipping {test}: {reason}");
            None
        }
    }
}

/// The fixture's `node_modules` ([`install`]), or `None` when `test` is skipped.
pub(crate) fn tools(test: &str) -> Option<&'static Path> {
    static MODULES: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    installed(test, &MODULES, install)
}

/// pnpm's layout ([`install_pnpm`]), or `None` when `test` is skipped.
pub(super) fn pnpm_tools(test: &str) -> Option<&'static Path> {
    static MODULES: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    installed(test, &MODULES, install_pnpm)
}

/// A project with `config` for a test that drives tmux; `None` (the reason printed) when tmux
/// or the tools are missing.
pub(super) fn tmux_project(test: &str, config: &str) -> Option<Project> {
    if !tmux::available(test) {
        return None;
    }
    let p = Project::new(tools(test)?);
    p.config(config);
    Some(p)
}

/// True once `pid`'s parent is init or a known subreaper (adopted after its terminal died).
pub(super) fn adopted(pid: u32) -> bool {
    devtop::effects::signal::read_identity(pid).is_ok_and(|i| {
        i.ppid == 1
            || common::comm(i.ppid)
                .is_ok_and(|n| devtop::model::suspects::SUBREAPERS.contains(&n.as_str()))
    })
}

/// Closes the terminal `term` the hard way: SIGKILL of its shell (start time verified).
pub(super) fn kill_terminal(term: &tmux::Session) {
    let shell: u32 = term.format("#{pane_pid}").parse().expect("pane pid");
    kill_verified(
        shell,
        common::stat_start_ticks(shell).expect("shell's start"),
    );
}

/// A temporary project using the fixture's tools. Dropping it ends everything it started.
pub(super) struct Project {
    /// Removed after the processes are ended (fields drop after `Drop::drop`).
    _dir: tempfile::TempDir,
    pub(super) root: PathBuf,
    children: Vec<Child>,
}

impl Project {
    pub(super) fn new(modules: &Path) -> Project {
        let dir = tempfile::Builder::new()
            .prefix("devtop-real-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        let p = Project {
            _dir: dir,
            root,
            children: Vec::new(),
        };
        p.layout(&p.root, modules);
        p
    }

    /// package.json (scripts dev, api, migrate, web, both), a vite page, a tsx entry, a
    /// Next app (its Turbopack root `/`, as the fixture's `node_modules` is a link out of the
    /// project), a Prisma 7 schema and config, the stand-in engine, in `dir`.
    pub(super) fn layout(&self, dir: &Path, modules: &Path) {
        let w = |rel: &str, text: &str| {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        w(
            "package.json",
            r#"{"name": "real", "private": true, "type": "module", "scripts": {
  "dev": "vite --port 0",
  "api": "tsx watch src/index.ts",
  "migrate": "prisma migrate dev --name init",
  "web": "next dev --port 0",
  "both": "concurrently \"vite --port 0\" \"tsx watch src/index.ts\""}}
"#,
        );
        w("index.html", "<!doctype html><title>real</title>\n");
        w(
            "app/layout.js",
            "export default function RootLayout({ children }) {\n  return <html><body>{children}</body></html>;\n}\n",
        );
        w(
            "app/page.js",
            "export default function Page() {\n  return <p>real</p>;\n}\n",
        );
        w(
            "next.config.mjs",
            "export default { turbopack: { root: \"/\" } };\n",
        );
        w("src/index.ts", "setInterval(() => {}, 1000);\n");
        w(
            "prisma/schema.prisma",
            "datasource db {\n  provider = \"postgresql\"\n}\n\nmodel User {\n  id Int @id\n}\n",
        );
        w(
            "prisma.config.ts",
            "import { defineConfig } from \"prisma/config\";\nexport default defineConfig({\n  schema: \"prisma/schema.prisma\",\n  datasource: { url: process.env.DATABASE_URL ?? \"postgresql://devtop@127.0.0.1:1/devtop_test\" },\n});\n",
        );
        std::os::unix::fs::symlink(modules, dir.join("node_modules")).unwrap();
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let engine = devtop::demo::standin::link_as(
            &bin,
            "schema-engine",
            Path::new(env!("CARGO_BIN_EXE_devtop")),
        )
        .unwrap();
        for (name, mode) in [("engine-hang.sh", "sleep"), ("engine-spin.sh", "busy=40")] {
            let script = format!(
                "#!/bin/sh\nexport {}={mode}\nexport {}={}\nexec '{}' \"$@\"\n",
                devtop::demo::standin::ENV_MODE,
                devtop::demo::standin::ENV_WATCH_PID,
                std::process::id(),
                engine.display()
            );
            w(&format!("bin/{name}"), &script);
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(bin.join(name), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
    }

    /// The TUI on this project (project scope) in a 200x45 tmux session named `name`.
    pub(super) fn tui(&self, name: &str) -> tmux::Session {
        tmux::Session::start(
            name,
            200,
            45,
            &format!(
                "CHECKPOINT_DISABLE=1 '{}' --scope project --project '{}'",
                env!("CARGO_BIN_EXE_devtop"),
                self.root.display()
            ),
        )
    }

    /// A developer's terminal: an interactive bash in the project, with the pty of a 120x30
    /// tmux session named `name` as its controlling terminal.
    pub(super) fn terminal(&self, name: &str) -> tmux::Session {
        tmux::Session::start(
            name,
            120,
            30,
            &format!(
                "cd '{}' && exec env NPM_CONFIG_UPDATE_NOTIFIER=false bash --norc --noprofile",
                self.root.display()
            ),
        )
    }

    pub(super) fn config(&self, text: &str) {
        std::fs::write(self.root.join("devtop.toml"), text).unwrap();
    }

    /// A command run in `dir` with the tools' quiet settings and the stand-in engine `engine`.
    pub(super) fn command(&self, dir: &Path, argv: &[&str], engine: &str) -> Command {
        let mut cmd = Command::new(argv[0]);
        cmd.args(&argv[1..])
            .current_dir(dir)
            .env(
                "PRISMA_SCHEMA_ENGINE_BINARY",
                self.root.join("bin").join(engine),
            )
            .env("CHECKPOINT_DISABLE", "1")
            .env("PRISMA_HIDE_UPDATE_MESSAGE", "1")
            .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
            .env("NEXT_TELEMETRY_DISABLED", "1")
            .env_remove("DATABASE_URL");
        for (key, _) in std::env::vars_os() {
            if key
                .to_string_lossy()
                .starts_with(devtop::demo::standin::ENV_MODE)
            {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    /// Starts `argv` in `dir` in its own process group, output to `<dir>/<log>`.
    pub(super) fn start(&mut self, dir: &Path, argv: &[&str], engine: &str, log: &str) -> u32 {
        use std::os::unix::process::CommandExt;
        let out = std::fs::File::create(dir.join(log)).unwrap();
        let child = self
            .command(dir, argv, engine)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .expect("spawn");
        let pid = child.id();
        self.children.push(child);
        pid
    }

    /// `devtop status --json` over this project (project scope), parsed.
    pub(super) fn status(&self) -> Value {
        let mut cmd = devtop_command();
        cmd.args(["status", "--json", "--scope", "project", "--project"])
            .arg(&self.root)
            .env("CHECKPOINT_DISABLE", "1");
        let run = run_command(&mut cmd, vec!["status".into()]);
        assert_eq!(run.code, Some(0), "{run}");
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {run}"))
    }

    /// Polls `status` until `cond` holds, for at most `limit`; returns that document.
    pub(super) fn poll(&self, what: &str, limit: Duration, cond: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let json = self.status();
            if cond(&json) {
                return json;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not seen within {limit:?}; last status: {json:#}\nlogs: {}",
                self.logs()
            );
        }
    }

    pub(super) fn logs(&self) -> String {
        let mut out = String::new();
        for log in [
            "dev.log",
            "api.log",
            "migrate.log",
            "a/migrate.log",
            "b/migrate.log",
        ] {
            if let Ok(t) = std::fs::read_to_string(self.root.join(log)) {
                out.push_str(&format!("\n--- {log} ---\n{}", tail(&t)));
            }
        }
        out
    }

    /// Live processes whose cwd or argv is under this project, with start times.
    pub(super) fn leftovers(&self) -> Vec<(u32, u64)> {
        let me = std::process::id();
        let root = self.root.to_string_lossy().into_owned();
        devtop::collect::processes::list_pids(Path::new("/proc"))
            .into_iter()
            .filter(|&pid| pid != me)
            .filter(|&pid| {
                std::fs::read_link(format!("/proc/{pid}/cwd"))
                    .is_ok_and(|c| c.starts_with(&self.root))
                    || cmdline(pid).is_ok_and(|a| a.iter().any(|w| w.contains(&root)))
            })
            .filter_map(|pid| {
                devtop::effects::signal::read_identity(pid)
                    .ok()
                    .filter(|id| !matches!(id.state, 'Z' | 'X'))
                    .map(|id| (pid, id.start_ticks))
            })
            .collect()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        for child in &mut self.children {
            // Our unreaped child leads its group: the group ID cannot have been reused.
            if let Some(pgid) = rustix::process::Pid::from_raw(child.id() as i32) {
                let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for _ in 0..5 {
            let left = self.leftovers();
            if left.is_empty() {
                break;
            }
            for (pid, ticks) in left {
                kill_verified(pid, ticks);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

pub(super) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

pub(super) fn procs(json: &Value) -> &[Value] {
    json["processes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub(super) fn with_role<'a>(json: &'a Value, role: &str) -> Vec<&'a Value> {
    procs(json).iter().filter(|p| p["role"] == role).collect()
}

pub(super) fn by_pid(json: &Value, pid: u64) -> Option<&Value> {
    procs(json).iter().find(|p| p["pid"].as_u64() == Some(pid))
}

pub(super) fn parent<'a>(json: &'a Value, p: &Value) -> Option<&'a Value> {
    p["ppid"].as_u64().and_then(|pp| by_pid(json, pp))
}

/// A process's argv as one line (words joined by spaces).
pub(super) fn cmd_line(p: &Value) -> String {
    p["cmd"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

pub(super) fn has_port(p: &Value) -> bool {
    p["ports"].as_array().is_some_and(|a| !a.is_empty())
}

/// Quiet thresholds: only the rule under test fires.
pub(super) const QUIET: &str =
    "[suspects]\nhung_migrate_after = \"1h\"\nrunaway_for = \"1h\"\nrunaway_cpu_percent = 100\n";

/// Starts `argv` in a fresh project linked to `modules`, with `config` and the stand-in
/// `engine`, and polls `status` until `up` holds. The project guards the processes.
pub(super) fn started_in(
    modules: &Path,
    config: &str,
    engine: &str,
    argv: &[&str],
    up: impl Fn(&Value) -> bool,
) -> (Project, Value) {
    let mut p = Project::new(modules);
    p.config(config);
    let root = p.root.clone();
    p.start(&root, argv, engine, "dev.log");
    let json = p.poll(&format!("{argv:?} up"), UP, up);
    (p, json)
}

/// [`started_in`] the npm fixture; `None` when the tools are unavailable (skipped).
pub(super) fn started_with(
    test: &str,
    config: &str,
    engine: &str,
    argv: &[&str],
    up: impl Fn(&Value) -> bool,
) -> Option<(Project, Value)> {
    Some(started_in(tools(test)?, config, engine, argv, up))
}

/// Thresholds for the hung-migrate rule: hung after `after` ("4s"), nothing else fires.
pub(super) fn hung_after(after: &str) -> String {
    format!(
        "[suspects]\nhung_migrate_after = \"{after}\"\nrunaway_for = \"1h\"\nrunaway_cpu_percent = 100\n"
    )
}

/// The PID of a `prisma-migrate` process flagged `hung-migrate` in a status document.
pub(super) fn status_hung(json: &Value) -> Option<u64> {
    with_role(json, "prisma-migrate")
        .iter()
        .find(|m| m["suspect"]["kind"] == "hung-migrate")
        .and_then(|m| m["pid"].as_u64())
}

/// [`started_with`] quiet thresholds and an idle engine.
pub(super) fn started(
    test: &str,
    argv: &[&str],
    up: impl Fn(&Value) -> bool,
) -> Option<(Project, Value)> {
    started_with(test, QUIET, "engine-hang.sh", argv, up)
}

pub(super) fn vite_listening(j: &Value) -> bool {
    with_role(j, "vite").iter().any(|v| has_port(v))
}

/// The first cells of a process row of the TUI (`│●   16257 npm  S   0.3  …`): PID, ROLE,
/// state and CPU (a number, or `…` before the process's second sample).
pub(super) fn row_cells(line: &str) -> Option<(u32, &str, &str, &str)> {
    let mut cells = line
        .trim_start_matches('│')
        .split_whitespace()
        .skip_while(|c| matches!(*c, "●" | "○"));
    let pid = cells.next()?.parse::<u32>().ok()?;
    Some((pid, cells.next()?, cells.next()?, cells.next()?))
}

/// The ROLE cell of a process row of the TUI.
pub(super) fn row_role(line: &str) -> Option<&str> {
    row_cells(line).map(|(_, role, _, _)| role)
}

/// The row of `pid` on a TUI screen.
pub(super) fn row_of(screen: &str, pid: u32) -> Option<&str> {
    screen
        .lines()
        .find(|l| row_cells(l).is_some_and(|(p, ..)| p == pid))
}

/// Ports `port` on 127.0.0.1 and ::1 refuse connections.
pub(super) fn port_free(port: u16) -> bool {
    ["127.0.0.1", "[::1]"].iter().all(|h| {
        std::net::TcpStream::connect_timeout(
            &format!("{h}:{port}").parse().unwrap(),
            Duration::from_millis(200),
        )
        .is_err()
    })
}
