//! The memory guard on real processes: `devtop guard --auto` run as the real binary against
//! stand-ins that look like dev tools (a hung `prisma migrate` holding memory, a smaller one, a
//! healthy vite), scoped to the fixture's project directory so nothing else can be seen, and —
//! where the machine lets a test create one — inside a memory cgroup with a small limit (v2
//! `memory.max`, else v1 `memory.limit_in_bytes`) driven to critical by the hog.
//!
//! Safety: every process signalled is one this test started (the guard sees only the fixture's
//! project); the fixture SIGKILLs what is left by PID when the test ends, pass or fail, and the
//! guard process is ended by its own handle on drop. The cgroup is removed on drop.

use crate::common::{self, Fixture, Spawned, alive, devtop_command, wait_until};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Deadline for the guard to act (a hung migrate needs a few seconds to be judged hung).
const ACT_DEADLINE: Duration = Duration::from_secs(60);
/// A window in which a process that must be left alone must stay alive.
const UNTOUCHED_WINDOW: Duration = Duration::from_secs(3);

/// A `devtop guard` run whose stdout goes to a file; SIGKILLed by its own handle on drop.
struct GuardRun {
    child: Child,
    out: PathBuf,
}

impl GuardRun {
    fn start(cmd: &mut Command, out: PathBuf) -> GuardRun {
        let file = fs::File::create(&out).expect("guard output file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn devtop guard");
        GuardRun { child, out }
    }

    fn output(&self) -> String {
        fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM (our own unreaped child, so the PID is ours) and wait for the exit code.
    fn terminate(&mut self) -> Option<i32> {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        let status = common::wait_or_kill(&mut self.child)?;
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        assert!(err.is_empty(), "stderr: {err}");
        status.code()
    }
}

impl Drop for GuardRun {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin(fx: &Fixture, tool: &str) -> String {
    fx.root()
        .join("node_modules/.bin")
        .join(tool)
        .to_string_lossy()
        .into_owned()
}

/// `[suspects]` that judge a migrate hung after 1 s, and `[guard]` settings.
fn config(guard: &str) -> String {
    format!(
        "[suspects]\nhung_migrate_after = \"1s\"\n\n[guard]\ncooldown = \"1h\"\nnotify = false\n{guard}"
    )
}

fn mem_total_kib() -> u64 {
    fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .expect("MemTotal")
}

fn assert_untouched(s: &Spawned) {
    assert!(
        !wait_until(UNTOUCHED_WINDOW, || !alive(s.pid, s.start_ticks)),
        "PID {} was ended",
        s.pid
    );
}

/// A test-only threshold (`min_available` = all of the machine's memory) makes the level
/// critical without real pressure: the guard ends the largest dev-tool suspect (a Studio
/// holding memory: a suspect at once, so the order does not wait on a CPU window), then the
/// 1 h cool-down keeps it from ending the next (a hung migrate); the healthy vite is never a
/// victim; SIGTERM ends the guard with exit 0.
#[test]
fn guard_auto_ends_the_largest_dev_tool_suspect_and_nothing_else() {
    let fx = Fixture::new();
    fx.write_config(&config(&format!(
        "min_available = \"{}KiB\"\n",
        mem_total_kib()
    )));
    let hog = fx
        .standin("node")
        .args([bin(&fx, "prisma").as_str(), "studio", "--port", "5555"])
        .mode("sleep,hold=96")
        .spawn();
    let small = fx
        .standin("node")
        .args([
            bin(&fx, "prisma").as_str(),
            "migrate",
            "dev",
            "--name",
            "small",
        ])
        .mode("sleep")
        .spawn();
    let vite = fx
        .standin("node")
        .args([bin(&fx, "vite").as_str(), "--port", "0"])
        .mode("sleep,hold=128")
        .spawn();
    let mut cmd = devtop_command();
    cmd.args([
        "guard",
        "--auto",
        "--refresh",
        "200ms",
        "--scope",
        "project",
        "--project",
    ])
    .arg(fx.root());
    let mut guard = GuardRun::start(&mut cmd, fx.root().join("guard.out"));
    assert!(
        wait_until(ACT_DEADLINE, || !alive(hog.pid, hog.start_ticks)),
        "the hog survived:\n{}",
        guard.output()
    );
    let out = guard.output();
    assert!(
        out.contains("memory guard: CRITICAL — MemAvailable"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "memory guard (auto): ending PID {} (prisma-studio",
            hog.pid
        )),
        "{out}"
    );
    assert_untouched(&small);
    assert_untouched(&vite);
    let out = guard.output();
    assert!(!out.contains(&format!("ending PID {}", small.pid)), "{out}");
    assert!(!out.contains(&format!("ending PID {}", vite.pid)), "{out}");
    assert!(
        out.contains(&format!("PID {} (prisma-studio) ended", hog.pid)),
        "{out}"
    );
    assert_eq!(guard.terminate(), Some(0), "{}", guard.output());
    assert!(guard.output().contains("devtop guard: stopped (SIGTERM)"));
}

/// A memory cgroup this test created and removes on drop.
struct TestCgroup {
    dir: PathBuf,
    /// The file a process writes its PID to, to join.
    procs: PathBuf,
    version: u8,
}

impl TestCgroup {
    /// A cgroup with a `limit_mib` memory limit: v2 where the unified hierarchy has the memory
    /// controller, else v1's memory controller; `Err` says why neither could be made.
    fn create(name: &str, limit_mib: u64) -> Result<TestCgroup, String> {
        let limit = (limit_mib << 20).to_string();
        let mut why = Vec::new();
        for (version, root) in [
            (2u8, Path::new("/sys/fs/cgroup")),
            (2, Path::new("/sys/fs/cgroup/unified")),
            (1, Path::new("/sys/fs/cgroup/memory")),
        ] {
            let (limit_file, controllers) = match version {
                2 => (
                    "memory.max",
                    fs::read_to_string(root.join("cgroup.controllers")),
                ),
                _ => (
                    "memory.limit_in_bytes",
                    fs::read_to_string(root.join("memory.limit_in_bytes")),
                ),
            };
            match controllers {
                Ok(c) if version == 1 || c.split_whitespace().any(|w| w == "memory") => {}
                Ok(_) => {
                    why.push(format!("{}: no memory controller", root.display()));
                    continue;
                }
                Err(e) => {
                    why.push(format!("{}: {e}", root.display()));
                    continue;
                }
            }
            let dir = root.join(name);
            if let Err(e) = fs::create_dir(&dir) {
                why.push(format!("mkdir {}: {e}", dir.display()));
                continue;
            }
            let cg = TestCgroup {
                procs: dir.join("cgroup.procs"),
                dir,
                version,
            };
            match fs::write(cg.dir.join(limit_file), &limit) {
                Ok(()) => return Ok(cg),
                Err(e) => why.push(format!("{}: {e}", cg.dir.join(limit_file).display())),
            }
        }
        Err(why.join("; "))
    }

    /// `sh -c` that joins this cgroup, then execs `program args…` (so memory it allocates is
    /// charged here).
    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg("echo $$ > \"$0\" && exec \"$@\"")
            .arg(&self.procs)
            .arg(program);
        cmd
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        // Empty once the fixture's processes are reaped; rmdir fails while any is left.
        let _ = wait_until(Duration::from_secs(10), || {
            fs::read_to_string(&self.procs).map_or(true, |p| p.trim().is_empty())
        });
        let _ = fs::remove_dir(&self.dir);
    }
}

/// Real memory pressure: the guard and two stand-ins run in a 512 MiB cgroup; the hung migrate
/// holding 400 MiB drives the cgroup's headroom below the test's 20 % (`min_headroom_percent`):
/// the guard ends the hog and nothing else — the vite holding memory in the same cgroup, the
/// guard itself.
#[test]
fn guard_ends_the_hog_in_a_cgroup_near_its_limit() {
    let fx = Fixture::new();
    let name = format!(
        "devtop-test-{}",
        fx.marker().rsplit('=').next().unwrap_or("x")
    );
    let cg = match TestCgroup::create(&name, 512) {
        Ok(cg) => cg,
        Err(why) => {
            println!("skipped: cannot create a memory cgroup here ({why})");
            return;
        }
    };
    println!("memory cgroup v{} at {}", cg.version, cg.dir.display());
    fx.write_config(&config("min_headroom_percent = 20.0\n"));
    let ready_dir = fx.root().join("ready");
    let spawn_in = |name: &str, args: &[&str], mode: &str, ready: &str| -> (u32, u64) {
        let exe = fx.link(name);
        let mut cmd = cg.command(&exe);
        cmd.args(args)
            .arg(fx.marker())
            .current_dir(fx.root())
            .env(devtop::demo::standin::ENV_MODE, mode)
            .env(devtop::demo::standin::ENV_READY, ready_dir.join(ready))
            .env(
                devtop::demo::standin::ENV_WATCH_PID,
                std::process::id().to_string(),
            );
        let (pid, _) = fx.spawn_command(&mut cmd);
        devtop::demo::standin::wait_ready(&ready_dir.join(ready), common::READY_TIMEOUT)
            .expect("stand-in ready");
        let ticks = common::stat_start_ticks(pid).expect("start ticks");
        (pid, ticks)
    };
    let prisma = bin(&fx, "prisma");
    let vite_bin = bin(&fx, "vite");
    let vite = spawn_in(
        "node",
        &[vite_bin.as_str(), "--port", "0"],
        "sleep,hold=32",
        "cg-vite",
    );
    let hog = spawn_in(
        "node",
        &[prisma.as_str(), "migrate", "dev", "--name", "cg_hog"],
        "sleep,hold=400",
        "cg-hog",
    );
    let mut cmd = cg.command(Path::new(env!("CARGO_BIN_EXE_devtop")));
    cmd.args([
        "guard",
        "--auto",
        "--refresh",
        "200ms",
        "--scope",
        "project",
        "--project",
    ])
    .arg(fx.root())
    .env(
        "XDG_CONFIG_HOME",
        "/nonexistent/devtop-tests-have-no-user-config",
    )
    .env_remove(devtop::demo::standin::ENV_MODE);
    let mut guard = GuardRun::start(&mut cmd, fx.root().join("guard.out"));
    assert!(
        wait_until(ACT_DEADLINE, || !alive(hog.0, hog.1)),
        "the hog survived:\n{}",
        guard.output()
    );
    let out = guard.output();
    assert!(
        out.contains("memory guard: CRITICAL — cgroup headroom"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "memory guard (auto): ending PID {} (prisma-migrate",
            hog.0
        )),
        "{out}"
    );
    assert!(
        !wait_until(UNTOUCHED_WINDOW, || !alive(vite.0, vite.1)),
        "the vite was ended:\n{}",
        guard.output()
    );
    assert!(alive(
        guard.pid(),
        common::stat_start_ticks(guard.pid()).unwrap_or(0)
    ));
    assert_eq!(guard.terminate(), Some(0), "{}", guard.output());
    let out = guard.output();
    assert_eq!(
        out.matches("ending PID").count(),
        1,
        "exactly one kill:\n{out}"
    );
    fx.kill_all();
}

/// A real node-looking process with `NODE_OPTIONS=--max-old-space-size=64` holding 60 MiB:
/// `status --json` gives its heap limit, where it comes from and the warning; one with the flag
/// in argv and a small RSS gets no warning.
#[test]
fn status_json_shows_node_heap_limits_and_warns_near_them() {
    let fx = Fixture::new();
    let ready_dir = fx.root().join("ready");
    let exe = fx.link("node");
    let mut cmd = Command::new(&exe);
    cmd.args(["dist/server.js", fx.marker()])
        .current_dir(fx.root())
        .env("NODE_OPTIONS", "--max-old-space-size=64")
        .env(devtop::demo::standin::ENV_MODE, "sleep,hold=60")
        .env(devtop::demo::standin::ENV_READY, ready_dir.join("api"))
        .env(
            devtop::demo::standin::ENV_WATCH_PID,
            std::process::id().to_string(),
        );
    let (api, _) = fx.spawn_command(&mut cmd);
    devtop::demo::standin::wait_ready(&ready_dir.join("api"), common::READY_TIMEOUT)
        .expect("stand-in ready");
    let quiet = fx
        .standin("node")
        .args(["--max-old-space-size=4096", "dist/worker.js"])
        .spawn();
    let j = fx.status_json();
    let find = |pid: u32| {
        j["processes"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["pid"] == pid).cloned())
            .unwrap_or_else(|| panic!("PID {pid} not listed: {j:#}"))
    };
    let a = find(api);
    assert_eq!(a["heap_limit_bytes"], 64u64 << 20, "{a:#}");
    assert_eq!(a["heap_limit_source"], "flag", "{a:#}");
    let w = a["heap_warning"].as_str().unwrap_or_default();
    assert!(
        w.starts_with("node: RSS ")
            && w.ends_with(
                "near its 64 MiB old-space heap limit — if that is heap, it will die with \
                 'JavaScript heap out of memory'"
            ),
        "{a:#}"
    );
    let q = find(quiet.pid);
    assert_eq!(q["heap_limit_bytes"], 4096u64 << 20, "{q:#}");
    assert!(q["heap_warning"].is_null(), "{q:#}");
}

/// Exit 137 explained: a node-looking process grows past a 256 MiB cgroup limit and the kernel's
/// OOM killer ends it; `devtop guard` (outside that cgroup, alert only) names it from the kernel
/// log with its last RSS and the level then, and `status --json` lists it among the recent
/// deaths.
#[test]
fn an_oom_kill_is_explained_and_listed() {
    if let Err(e) = fs::File::open("/dev/kmsg") {
        println!("skipped: the kernel log is not readable here (/dev/kmsg: {e})");
        return;
    }
    let fx = Fixture::new();
    let name = format!(
        "devtop-oom-{}",
        fx.marker().rsplit('=').next().unwrap_or("x")
    );
    let cg = match TestCgroup::create(&name, 256) {
        Ok(cg) => cg,
        Err(why) => {
            println!("skipped: cannot create a memory cgroup here ({why})");
            return;
        }
    };
    fx.write_config("[guard]\nnotify = false\n");
    let mut cmd = devtop_command();
    cmd.args([
        "guard",
        "--refresh",
        "100ms",
        "--scope",
        "project",
        "--project",
    ])
    .arg(fx.root());
    let guard = GuardRun::start(&mut cmd, fx.root().join("guard.out"));
    assert!(
        wait_until(ACT_DEADLINE, || guard.output().contains("first reading")),
        "{}",
        guard.output()
    );
    let ready_dir = fx.root().join("ready");
    let exe = fx.link("node");
    let mut hog = cg.command(&exe);
    hog.args(["dist/leaky.js", fx.marker()])
        .current_dir(fx.root())
        .env(devtop::demo::standin::ENV_MODE, "sleep,grow=400")
        .env(devtop::demo::standin::ENV_READY, ready_dir.join("leaky"))
        .env(
            devtop::demo::standin::ENV_WATCH_PID,
            std::process::id().to_string(),
        );
    let (pid, _) = fx.spawn_command(&mut hog);
    let needle = format!("OOM killer ended PID {pid} (node, ");
    assert!(
        wait_until(ACT_DEADLINE, || guard.output().contains(&needle)),
        "no post-mortem for PID {pid}:\n{}",
        guard.output()
    );
    let out = guard.output();
    let line = out
        .lines()
        .find(|l| l.contains(&needle))
        .unwrap_or_default();
    assert!(line.contains("— available "), "{line}");
    assert!(line.contains("top dev tools then: node "), "{line}");
    assert!(line.ends_with("[kernel log]"), "{line}");
    let j = fx.status_json();
    let deaths = j["recent_deaths"].as_array().cloned().unwrap_or_default();
    assert!(
        deaths.iter().any(|d| d["pid"] == pid
            && d["cause"] == "oom-killer"
            && d["last_rss_bytes"].as_u64() > Some(0)),
        "{j:#}"
    );
    drop(guard);
    fx.kill_all();
    drop(cg);
}
