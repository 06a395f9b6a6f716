//! devtop against the real JS tools from npm — vite, tsx, the Prisma 7 CLI, started through
//! npm and npx as a developer starts them — not stand-ins.
//!
//! The tools are installed once into `target/js-fixture` (`npm install --ignore-scripts`); each
//! test makes its own temporary project whose `node_modules` links there. Prisma's schema
//! engine is a stand-in (`PRISMA_SCHEMA_ENGINE_BINARY`: the devtop binary acting as a
//! `schema-engine` that idles or spins), as on a machine whose database never answers. Without
//! node/npm or the registry the tests are skipped with the reason printed; with
//! `DEVTOP_REQUIRE_DB=1` (CI) they fail instead.
//!
//! Every process a test starts is ended by that test, also when it fails: stacks run in their
//! own process group (killed by the guard), and the guard then kills by PID (start time
//! verified) anything left whose cwd or argv is under the test's unique temporary project.

use crate::common;
use crate::tmux;

use common::{cmdline, devtop_command, kill_verified, run_command, wait_until};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long a stack may take to come up on a busy machine.
const UP: Duration = Duration::from_secs(90);
/// The tools installed into the fixture (majors pinned).
const PACKAGES: &[&str] = &["vite@8", "tsx@4", "prisma@7", "concurrently@9"];

fn require() -> bool {
    std::env::var("DEVTOP_REQUIRE_DB").is_ok_and(|v| v == "1")
}

/// `target/js-fixture/node_modules`, installed on first use; `Err(reason)` when it cannot be.
pub(crate) fn install() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/js-fixture");
    let modules = dir.join("node_modules");
    let ready = |m: &Path| {
        ["vite", "tsx", "prisma", "concurrently"]
            .iter()
            .all(|b| m.join(".bin").join(b).exists())
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // One installer at a time across test binaries.
    let lock = std::fs::File::create(dir.join(".lock")).map_err(|e| e.to_string())?;
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| e.to_string())?;
    if ready(&modules) {
        return Ok(modules);
    }
    for tool in ["node", "npm"] {
        if Command::new(tool).arg("--version").output().is_err() {
            return Err(format!("{tool} is not installed"));
        }
    }
    let pkg = dir.join("package.json");
    if !pkg.exists() {
        std::fs::write(
            &pkg,
            "{\"name\": \"devtop-js-fixture\", \"private\": true}\n",
        )
        .map_err(|e| e.to_string())?;
    }
    let out = Command::new("npm")
        .args(["install", "--ignore-scripts", "--no-audit", "--no-fund"])
        .args(PACKAGES)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("npm install: {e}"))?;
    if !out.status.success() || !ready(&modules) {
        return Err(format!(
            "npm install {} failed ({}): {}",
            PACKAGES.join(" "),
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

/// The fixture's `node_modules`, or `None` after printing why `test` is skipped.
pub(crate) fn tools(test: &str) -> Option<&'static Path> {
    static MODULES: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match MODULES.get_or_init(install) {
        Ok(p) => Some(p),
        Err(reason) => {
            assert!(!require(), "{test}: real JS tools required but {reason}");
            eprintln!("skipping {test}: {reason}");
            None
        }
    }
}

/// A temporary project using the fixture's tools. Dropping it ends everything it started.
struct Project {
    /// Removed after the processes are ended (fields drop after `Drop::drop`).
    _dir: tempfile::TempDir,
    root: PathBuf,
    children: Vec<Child>,
}

impl Project {
    fn new(modules: &Path) -> Project {
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

    /// package.json (scripts dev, api, migrate), a vite page, a tsx entry, a Prisma 7
    /// schema and config, the stand-in engine, in `dir`.
    fn layout(&self, dir: &Path, modules: &Path) {
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
  "migrate": "prisma migrate dev --name init"}}
"#,
        );
        w("index.html", "<!doctype html><title>real</title>\n");
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

    fn config(&self, text: &str) {
        std::fs::write(self.root.join("devtop.toml"), text).unwrap();
    }

    /// A command run in `dir` with the tools' quiet settings and the stand-in engine `engine`.
    fn command(&self, dir: &Path, argv: &[&str], engine: &str) -> Command {
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
    fn start(&mut self, dir: &Path, argv: &[&str], engine: &str, log: &str) -> u32 {
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
    fn status(&self) -> Value {
        let mut cmd = devtop_command();
        cmd.args(["status", "--json", "--scope", "project", "--project"])
            .arg(&self.root)
            .env("CHECKPOINT_DISABLE", "1");
        let run = run_command(&mut cmd, vec!["status".into()]);
        assert_eq!(run.code, Some(0), "{run}");
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {run}"))
    }

    /// Polls `status` until `cond` holds, for at most `limit`; returns that document.
    fn poll(&self, what: &str, limit: Duration, cond: impl Fn(&Value) -> bool) -> Value {
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

    fn logs(&self) -> String {
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
    fn leftovers(&self) -> Vec<(u32, u64)> {
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

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

fn procs(json: &Value) -> &[Value] {
    json["processes"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn with_role<'a>(json: &'a Value, role: &str) -> Vec<&'a Value> {
    procs(json).iter().filter(|p| p["role"] == role).collect()
}

fn by_pid(json: &Value, pid: u64) -> Option<&Value> {
    procs(json).iter().find(|p| p["pid"].as_u64() == Some(pid))
}

fn parent<'a>(json: &'a Value, p: &Value) -> Option<&'a Value> {
    p["ppid"].as_u64().and_then(|pp| by_pid(json, pp))
}

fn has_port(p: &Value) -> bool {
    p["ports"].as_array().is_some_and(|a| !a.is_empty())
}

/// Quiet thresholds: only the rule under test fires.
const QUIET: &str =
    "[suspects]\nhung_migrate_after = \"1h\"\nrunaway_for = \"1h\"\nrunaway_cpu_percent = 100\n";

/// vite, its `sh -c` shell and the npm (or npx) wrapper above: roles, relations, tree, port.
fn assert_vite_stack(json: &Value, wrapper_cmd: &str) {
    let vite = with_role(json, "vite");
    let server = vite
        .iter()
        .find(|p| has_port(p))
        .unwrap_or_else(|| panic!("no listening vite: {json:#}"));
    assert_eq!(vite.len(), 1, "one vite, its shell is not vite: {json:#}");
    assert!(server["suspect"].is_null(), "{server:#}");
    let shell = parent(json, server).expect("vite's parent listed");
    assert_eq!(shell["role"], "shell", "{shell:#}");
    assert_eq!(shell["relation"], "wrapper", "{shell:#}");
    let npm = parent(json, shell).expect("the shell's parent listed");
    assert_eq!(npm["role"], "npm", "{npm:#}");
    assert_eq!(npm["relation"], "wrapper", "{npm:#}");
    let cmd = npm["cmd"].as_array().unwrap();
    let words: Vec<&str> = cmd
        .iter()
        .flat_map(|w| w.as_str().unwrap().split_whitespace())
        .collect();
    assert!(
        words.join(" ").contains(wrapper_cmd),
        "{wrapper_cmd:?} in {words:?}"
    );
    assert!(
        json["processes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["suspect"].is_null()),
        "no suspects in a healthy stack: {json:#}"
    );
}

/// Starts `argv` in a fresh project with `config` and the stand-in `engine`, and polls
/// `status` until `up` holds; `None` when the tools are unavailable (skipped). The project
/// guards the processes.
fn started_with(
    test: &str,
    config: &str,
    engine: &str,
    argv: &[&str],
    up: impl Fn(&Value) -> bool,
) -> Option<(Project, Value)> {
    let modules = tools(test)?;
    let mut p = Project::new(modules);
    p.config(config);
    let root = p.root.clone();
    p.start(&root, argv, engine, "dev.log");
    let json = p.poll(&format!("{argv:?} up"), UP, up);
    Some((p, json))
}

/// [`started_with`] quiet thresholds and an idle engine.
fn started(test: &str, argv: &[&str], up: impl Fn(&Value) -> bool) -> Option<(Project, Value)> {
    started_with(test, QUIET, "engine-hang.sh", argv, up)
}

fn vite_listening(j: &Value) -> bool {
    with_role(j, "vite").iter().any(|v| has_port(v))
}

#[test]
fn npm_run_dev_is_npm_shell_vite() {
    let test = "npm_run_dev_is_npm_shell_vite";
    if let Some((_p, json)) = started(test, &["npm", "run", "dev"], vite_listening) {
        assert_vite_stack(&json, "npm run dev");
    }
}

#[test]
fn npx_vite_is_npm_exec_shell_vite() {
    let test = "npx_vite_is_npm_exec_shell_vite";
    if let Some((_p, json)) = started(test, &["npx", "vite", "--port", "0"], vite_listening) {
        assert_vite_stack(&json, "npm exec vite");
    }
}

#[test]
fn npx_tsx_watch_is_one_server_under_its_wrappers() {
    let test = "npx_tsx_watch_is_one_server_under_its_wrappers";
    // tsx watch → its loader child (node --require …/tsx/…) running src/index.ts.
    let argv = ["npx", "tsx", "watch", "src/index.ts"];
    let Some((_p, json)) = started(test, &argv, |j| with_role(j, "tsx").len() >= 2) else {
        return;
    };
    let tsx = with_role(&json, "tsx");
    let watch = tsx
        .iter()
        .find(|p| p["cmd"].to_string().contains("watch"))
        .expect("tsx watch");
    let shell = parent(&json, watch).expect("shell");
    assert_eq!(shell["role"], "shell", "{json:#}");
    let npm = parent(&json, shell).expect("npm exec");
    assert_eq!(npm["role"], "npm", "{json:#}");
    assert!(
        npm["cmd"]
            .to_string()
            .contains("npm exec tsx watch src/index.ts"),
        "npm's one-string argv: {npm:#}"
    );
    assert!(
        procs(&json).iter().all(|p| p["suspect"].is_null()),
        "tsx's loader child is no duplicate server: {json:#}"
    );
}

#[test]
fn npm_run_migrate_with_a_hanging_engine_is_hung_and_a_spinning_one_is_not() {
    let test = "npm_run_migrate_hung";
    let config = "[suspects]\nhung_migrate_after = \"4s\"\nrunaway_for = \"1h\"\nrunaway_cpu_percent = 100\n";
    let argv = ["npm", "run", "migrate"];
    let hung = |j: &Value| {
        with_role(j, "prisma-migrate")
            .iter()
            .any(|m| m["suspect"]["kind"] == "hung-migrate")
    };
    let Some((p, json)) = started_with(test, config, "engine-hang.sh", &argv, hung) else {
        return;
    };
    let m = with_role(&json, "prisma-migrate")[0];
    let reason = m["suspect"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("prisma migrate dev --name init"),
        "{reason}"
    );
    assert_eq!(m["suspect"]["level"], "suspect");
    // The real tree: npm run migrate → sh -c → node …/prisma migrate dev → schema-engine.
    let engine = with_role(&json, "schema-engine");
    assert!(
        engine.iter().any(|e| e["ppid"] == m["pid"]),
        "engine under the CLI: {json:#}"
    );
    let shell = parent(&json, m).expect("shell");
    assert_eq!(shell["role"], "shell");
    assert_eq!(parent(&json, shell).expect("npm")["role"], "npm");
    drop(p);

    // Same run with an engine that works: never hung.
    let past = |j: &Value| {
        with_role(j, "prisma-migrate")
            .iter()
            .any(|m| m["age_s"].as_u64().is_some_and(|a| a >= 8))
    };
    let Some((_p, json)) = started_with(test, config, "engine-spin.sh", &argv, past) else {
        return;
    };
    let m = with_role(&json, "prisma-migrate")[0];
    assert!(m["suspect"].is_null(), "busy engine: not hung: {json:#}");
}

#[test]
fn two_projects_each_with_one_migrate_are_not_concurrent() {
    let Some(modules) = tools("two_projects_each_with_one_migrate") else {
        return;
    };
    let mut p = Project::new(modules);
    p.config(QUIET);
    for sub in ["a", "b"] {
        let dir = p.root.join(sub);
        std::fs::create_dir_all(&dir).unwrap();
        p.layout(&dir, modules);
        p.start(
            &dir,
            &["npx", "prisma", "migrate", "dev", "--name", "init"],
            "engine-hang.sh",
            "migrate.log",
        );
    }
    let json = p.poll("two migrate runs", UP, |j| {
        with_role(j, "prisma-migrate").len() == 2
    });
    for m in with_role(&json, "prisma-migrate") {
        assert!(m["suspect"].is_null(), "one run per project: {json:#}");
    }
    // A second run in project a is concurrent with the first, and says where.
    let a = p.root.join("a");
    p.start(
        &a,
        &["npx", "prisma", "migrate", "dev", "--name", "init"],
        "engine-hang.sh",
        "migrate2.log",
    );
    let json = p.poll("concurrent runs in project a", UP, |j| {
        with_role(j, "prisma-migrate")
            .iter()
            .filter(|m| m["suspect"]["kind"] == "concurrent-migrate")
            .count()
            == 2
    });
    let reason = with_role(&json, "prisma-migrate")
        .iter()
        .find_map(|m| m["suspect"]["reason"].as_str())
        .unwrap()
        .to_owned();
    assert!(
        reason.contains(&format!("project {}", a.display())),
        "{reason}"
    );
}

#[test]
fn status_is_bounded_with_a_hanging_prisma_cli() {
    let Some(modules) = tools("status_is_bounded_with_a_hanging_prisma_cli") else {
        return;
    };
    let p = Project::new(modules);
    p.config(QUIET);
    std::fs::write(
        p.root.join(".env"),
        "DATABASE_URL=postgresql://devtop@127.0.0.1:1/devtop_test\n",
    )
    .unwrap();
    let mut cmd = devtop_command();
    cmd.args(["status", "--json", "--scope", "project", "--project"])
        .arg(&p.root)
        .env(
            "PRISMA_SCHEMA_ENGINE_BINARY",
            p.root.join("bin/engine-hang.sh"),
        )
        .env("CHECKPOINT_DISABLE", "1");
    let run = run_command(&mut cmd, vec!["status".into()]);
    assert_eq!(run.code, Some(0), "{run}");
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        json["migrations"][0]["drift_cli"]["status"], "timed-out",
        "{json:#}"
    );
    assert!(
        procs(&json).is_empty(),
        "its own helper is not listed: {json:#}"
    );
    assert!(
        wait_until(Duration::from_secs(5), || p.leftovers().is_empty()),
        "the CLI or its engine outlived devtop status: {:?}",
        p.leftovers()
    );
}

/// The ROLE cell of a process row of the TUI (`│●   16257 npm  S …`).
fn row_role(line: &str) -> Option<&str> {
    let mut cells = line
        .trim_start_matches('│')
        .split_whitespace()
        .skip_while(|c| *c == "●");
    cells.next().filter(|pid| pid.parse::<u32>().is_ok())?;
    cells.next()
}

/// Ports `port` on 127.0.0.1 and ::1 refuse connections.
fn port_free(port: u16) -> bool {
    ["127.0.0.1", "[::1]"].iter().all(|h| {
        std::net::TcpStream::connect_timeout(
            &format!("{h}:{port}").parse().unwrap(),
            Duration::from_millis(200),
        )
        .is_err()
    })
}

#[test]
fn stack_orphaned_by_a_closed_terminal_is_flagged_by_an_open_tui_and_k_ends_it() {
    let test = "stack_orphaned_by_a_closed_terminal";
    if !tmux::available(test) {
        return;
    }
    let Some(modules) = tools(test) else { return };
    let p = Project::new(modules);
    p.config(QUIET);
    let tag = format!("devtop-real-{}", std::process::id());
    // The developer's terminal: a shell with a controlling terminal (tmux's pty).
    let term = tmux::Session::start(
        &format!("{tag}-term"),
        120,
        30,
        &format!("cd '{}' && exec bash --norc --noprofile", p.root.display()),
    );
    // The TUI is open before the orphan exists.
    let tui = tmux::Session::start(
        &format!("{tag}-tui"),
        200,
        45,
        &format!(
            "CHECKPOINT_DISABLE=1 '{}' --scope project --project '{}'",
            env!("CARGO_BIN_EXE_devtop"),
            p.root.display()
        ),
    );
    term.keys(
        "npm run dev </dev/null >dev.log 2>&1 & (npx tsx watch src/index.ts </dev/null >api.log 2>&1 &)",
    );
    term.keys("Enter");
    let json = p.poll("vite and tsx up", UP, |j| {
        with_role(j, "vite").iter().any(|v| has_port(v)) && with_role(j, "tsx").len() >= 2
    });
    let vite = with_role(&json, "vite")
        .into_iter()
        .find(|v| has_port(v))
        .unwrap();
    let port = vite["ports"][0].as_u64().unwrap() as u16;
    let npm_pids: Vec<u64> = with_role(&json, "npm")
        .iter()
        .filter_map(|n| n["pid"].as_u64())
        .collect();
    assert_eq!(npm_pids.len(), 2, "npm run dev and npm exec tsx: {json:#}");
    tui.wait(UP, "the TUI lists vite", |s| s.contains(" vite "));
    // Close the terminal the hard way: SIGKILL its shell (started by this test, in tmux).
    let shell: u32 = term.format("#{pane_pid}").parse().expect("pane pid");
    let ticks = common::stat_start_ticks(shell).unwrap();
    kill_verified(shell, ticks);
    let adopter_ok = |pid: u64| {
        devtop::effects::signal::read_identity(pid as u32).is_ok_and(|i| {
            i.ppid == 1
                || common::comm(i.ppid)
                    .is_ok_and(|n| devtop::model::suspects::SUBREAPERS.contains(&n.as_str()))
        })
    };
    let reparented = wait_until(Duration::from_secs(10), || {
        npm_pids.iter().all(|&pid| adopter_ok(pid))
    });
    if !reparented {
        eprintln!("skipped {test}: the wrappers were not adopted by init or a known subreaper");
        return;
    }
    // The open TUI flags both stacks on their npm wrappers (re-reading tty and session).
    let screen = tui.wait(Duration::from_secs(30), "two orphan npm rows", |s| {
        s.lines()
            .filter(|l| row_role(l) == Some("npm") && l.contains(" orphan "))
            .count()
            >= 2
    });
    for line in screen.lines() {
        if matches!(row_role(line), Some("vite" | "tsx" | "shell")) {
            assert!(
                !line.contains("orphan"),
                "only the wrapper is flagged: {line}\n{screen}"
            );
        }
    }
    // status agrees, and the tools under the wrappers are not flagged themselves.
    let json = p.status();
    for pid in &npm_pids {
        let n = by_pid(&json, *pid).expect("wrapper listed");
        assert_eq!(n["suspect"]["kind"], "orphan", "{n:#}");
        assert_eq!(
            n["relation"], "wrapper",
            "a suspect row, not context: {n:#}"
        );
    }
    let flagged = procs(&json)
        .iter()
        .filter(|p| !p["suspect"].is_null())
        .count();
    assert_eq!(flagged, 2, "once per stack: {json:#}");
    // K ends both stacks; vite's port is freed.
    tui.keys("K");
    tui.wait(Duration::from_secs(10), "the kill confirmation", |s| {
        s.contains("Kill 2 suspect")
    });
    tui.keys("y");
    // Gone, or zombies waiting for an init that reaps late (warn-only, see the zombie rule).
    assert!(
        wait_until(Duration::from_secs(30), || {
            procs(&p.status()).iter().all(|x| x["state"] == "Z")
        }),
        "stacks left after K: {:#}",
        p.status()
    );
    assert!(port_free(port), "vite's port {port} still answers");
    drop(tui);
    drop(term);
}
