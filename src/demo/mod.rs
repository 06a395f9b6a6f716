//! `devtop demo`: a throwaway project in a temp dir with a realistic stack of stand-in processes
//! (the devtop binary itself, exec'd through symlinks named `node`, `schema-engine` and `npm`
//! so names and argv look real), then the TUI scoped to that project with short thresholds so
//! suspects appear within seconds. Every process it started is ended on exit; each stand-in
//! also exits by itself when devtop disappears (it watches devtop's PID).
//!
//! The stack, modelled on seed 000:
//! - `node …/.bin/prisma migrate dev --name add_uuid`, idle → hung-migrate after 5 s
//! - `node …/.bin/prisma migrate dev --name add_field_versions` with a `schema-engine` child at
//!   ~75 % CPU → concurrent-migrate and runaway-engine
//! - `node …/.bin/prisma studio --port 5555`, listening → studio (warn)
//! - `node …/.bin/tsx watch src/index.ts` left behind by a closed terminal → orphan
//! - `npm run dev` → `node …/.bin/vite --port 5173`, really listening → healthy
//!
//! and three SQLite databases (local, staging, production) with Prisma's migrations table in
//! the mixed states of seed 004, see [`database`].

pub mod database;
pub mod standin;

use crate::cli::{Common, ScopeArg};
use crate::effects::signal::{self, KillTarget};
use crate::setup::{EXIT_FAILURE, EXIT_USAGE, resolve};
use standin::{ChildSpec, StandInSpec, link_as, spawn, wait_ready};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Duration;

/// The demo project's devtop.toml: short thresholds so suspects show within seconds, and
/// the staging and production environments.
pub const DEMO_CONFIG: &str = include_str!("../../assets/demo/devtop.toml");

/// The demo's schema.prisma (declares `cameras.uuid`, which the databases lack: drift).
const SCHEMA: &str = include_str!("../../assets/demo/prisma/schema.prisma");

/// Processes the demo started, ended on drop (also on panic).
struct Stack {
    /// (pid, start_ticks) of everything started, children before parents.
    started: Vec<(u32, u64)>,
    _dir: tempfile::TempDir,
}

impl Stack {
    fn end_all(&mut self) {
        let targets: Vec<KillTarget> = self
            .started
            .iter()
            .map(|&(pid, ticks)| KillTarget::new(pid, ticks, "demo stand-in"))
            .collect();
        signal::kill_targets(&targets, Duration::from_secs(1));
        self.started.clear();
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.end_all();
    }
}

/// Reap a direct child as soon as it exits so it never lingers as a zombie (state Z) under
/// devtop after a kill.
fn reap_when_done(mut child: Child) {
    std::thread::spawn(move || {
        let _ = child.wait();
    });
}

fn free_port(preferred: u16) -> u16 {
    if std::net::TcpListener::bind(("127.0.0.1", preferred)).is_ok() {
        return preferred;
    }
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map_or(preferred, |a| a.port())
}

fn write(root: &Path, rel: &str, text: &str) -> io::Result<()> {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, text)
}

/// The demo's two dev servers, appended to its devtop.toml: `api` (a `tsx watch` stand-in
/// that compiles for 1.2 s, then answers HTTP: ready on `/health`) and `web` (`npm run dev`
/// with a `vite` child, ready on its port) depending on it. Both print like dev servers
/// (ANSI colours, a database URL with a password to redact, a line per request) and exit by
/// themselves when devtop is gone.
fn demo_servers(root: &Path, api_port: u16, web_port: u16) -> String {
    let bin = root.join(".demo-bin");
    let node = bin.join("node").display().to_string();
    let npm = bin.join("npm").display().to_string();
    let dot_bin = |tool: &str| {
        root.join("node_modules/.bin")
            .join(tool)
            .display()
            .to_string()
    };
    let me = std::process::id();
    let vite_child = serde_json::json!({
        "exe": node,
        "args": [dot_bin("vite"), "--port", web_port.to_string()],
        "mode": format!("delay=600,listen={web_port},chatty"),
    });
    format!(
        r#"
# Dev servers: u starts them in order (web waits for api's /health), d stops them.
[[server]]
name = "api"
cmd = ["{node}", "{tsx}", "watch", "src/index.ts"]
port = {api_port}
ready = {{ http = "http://127.0.0.1:{api_port}/health" }}
ready_timeout = "20s"
stop_grace = "2s"
env = {{ DEVTOP_STANDIN = "delay=1200,listen={api_port},chatty", DEVTOP_STANDIN_WATCH_PID = "{me}" }}

[[server]]
name = "web"
cmd = ["{npm}", "run", "dev"]
port = {web_port}
depends_on = ["api"]
ready = {{ tcp = {web_port} }}
ready_timeout = "20s"
stop_grace = "2s"
env = {{ DEVTOP_STANDIN = "sleep,child", DEVTOP_STANDIN_WATCH_PID = "{me}", DEVTOP_STANDIN_CHILD = '{vite_child}' }}
"#,
        tsx = dot_bin("tsx"),
    )
}

async fn write_project(root: &Path) -> io::Result<()> {
    let servers = demo_servers(root, free_port(3010), free_port(3011));
    write(root, "devtop.toml", &format!("{DEMO_CONFIG}{servers}"))?;
    write(
        root,
        "package.json",
        include_str!("../../assets/demo/package.json"),
    )?;
    write(root, "prisma/schema.prisma", SCHEMA)?;
    write(root, ".env", database::DOTENV)?;
    database::create(&root.join("prisma")).await?;
    write(
        root,
        "src/index.ts",
        include_str!("../../assets/demo/src/index.ts"),
    )?;
    Ok(())
}

// Long only because the table of the six stand-ins (argv as the real tools show it) is written
// out here, in one place, beside the loop that starts them.
fn start(root: &Path, stack: &mut Stack) -> io::Result<()> {
    let exe = std::env::current_exe()?;
    let bin = root.join(".demo-bin");
    fs::create_dir_all(&bin)?;
    let node = link_as(&bin, "node", &exe)?;
    let engine = link_as(&bin, "schema-engine", &exe)?;
    let npm = link_as(&bin, "npm", &exe)?;
    let dot_bin = |tool: &str| {
        root.join("node_modules/.bin")
            .join(tool)
            .display()
            .to_string()
    };
    let me = std::process::id();
    let ready_dir = root.join(".demo-ready");
    fs::create_dir_all(&ready_dir)?;
    let studio_port = free_port(5555);
    let vite_port = free_port(5173);
    let specs: Vec<(&str, StandInSpec)> = vec![
        (
            "migrate-hung",
            StandInSpec {
                exe: node.clone(),
                args: vec![
                    dot_bin("prisma"),
                    "migrate".into(),
                    "dev".into(),
                    "--name".into(),
                    "add_uuid".into(),
                ],
                mode: "sleep".into(),
                cwd: root.to_owned(),
                child: None,
                watch_pid: Some(me),
                ready_file: None,
            },
        ),
        (
            "migrate-engine",
            StandInSpec {
                exe: node.clone(),
                args: vec![
                    dot_bin("prisma"),
                    "migrate".into(),
                    "dev".into(),
                    "--name".into(),
                    "add_field_versions".into(),
                ],
                mode: "sleep,child".into(),
                cwd: root.to_owned(),
                child: Some(ChildSpec {
                    exe: engine,
                    args: vec![
                        "--datamodels".into(),
                        root.join("prisma/schema.prisma").display().to_string(),
                    ],
                    mode: "busy=75".into(),
                }),
                watch_pid: Some(me),
                ready_file: None,
            },
        ),
        (
            "studio",
            StandInSpec {
                exe: node.clone(),
                args: vec![
                    dot_bin("prisma"),
                    "studio".into(),
                    "--port".into(),
                    studio_port.to_string(),
                ],
                mode: format!("listen={studio_port}"),
                cwd: root.to_owned(),
                child: None,
                watch_pid: Some(me),
                ready_file: None,
            },
        ),
        (
            "tsx-orphan",
            StandInSpec {
                exe: node.clone(),
                args: vec![dot_bin("tsx"), "watch".into(), "src/index.ts".into()],
                mode: "orphan,sleep".into(),
                cwd: root.to_owned(),
                child: Some(ChildSpec {
                    exe: node.clone(),
                    args: vec![dot_bin("tsx"), "watch".into(), "src/index.ts".into()],
                    mode: "sleep".into(),
                }),
                watch_pid: Some(me),
                ready_file: None,
            },
        ),
        (
            "npm-vite",
            StandInSpec {
                exe: npm,
                args: vec!["run".into(), "dev".into()],
                mode: "sleep,child".into(),
                cwd: root.to_owned(),
                child: Some(ChildSpec {
                    exe: node,
                    args: vec![dot_bin("vite"), "--port".into(), vite_port.to_string()],
                    mode: format!("listen={vite_port}"),
                }),
                watch_pid: Some(me),
                ready_file: None,
            },
        ),
    ];
    for (name, mut spec) in specs {
        let ready = ready_dir.join(name);
        spec.ready_file = Some(ready.clone());
        let child = spawn(&spec)?;
        reap_when_done(child);
        let r = wait_ready(&ready, Duration::from_secs(10))?;
        let mut pids = Vec::new();
        if let Some(c) = r.child {
            pids.push(c);
        }
        pids.push(r.pid);
        for pid in pids {
            if let Ok(id) = signal::read_identity(pid) {
                stack.started.push((pid, id.start_ticks));
            }
        }
    }
    Ok(())
}

/// Run the demo: set up, open the TUI, end everything. Returns the exit code.
pub async fn run(common: &Common) -> i32 {
    let dir = match tempfile::Builder::new().prefix("devtop-demo-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            crate::headless::out::error(&format!("demo: cannot create a temp dir: {e}"));
            return EXIT_FAILURE;
        }
    };
    let root: PathBuf = dir
        .path()
        .canonicalize()
        .unwrap_or_else(|_| dir.path().to_owned());
    let mut stack = Stack {
        started: Vec::new(),
        _dir: dir,
    };
    let demo_common = Common {
        project: Some(root.clone()),
        scope: Some(common.scope.unwrap_or(ScopeArg::Project)),
        ..common.clone()
    };
    // The stand-ins start once SIGINT/SIGTERM are caught, so every ending — quit, a signal
    // (also while starting), the terminal closing — comes back here to end them and remove
    // the directory (on drop of `stack`).
    let code = crate::tui::run_with(async {
        let written = write_project(&root).await;
        written
            .and_then(|()| start(&root, &mut stack))
            .map_err(|e| {
                (
                    format!("demo: cannot start the stand-in processes: {e}"),
                    EXIT_FAILURE,
                )
            })?;
        let mut setup = resolve(&demo_common).map_err(|msg| (msg, EXIT_USAGE))?;
        demo_common.apply(&mut setup.config);
        // The demo's stand-ins are devtop's children: list them (nowhere else).
        setup.selection.show_own_children = true;
        Ok(setup)
    })
    .await;
    // The demo's servers end with it, whatever the quit question's answer (they would also
    // exit by themselves within a second: they watch devtop's PID).
    if let Ok(lock) = crate::effects::servers::lock::try_acquire(&root, "demo") {
        let _ = crate::app::executor::servers_down(&root, &lock, &[], None, &mut |_| {}).await;
    }
    stack.end_all();
    code
}
