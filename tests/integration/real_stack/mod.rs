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

mod concurrently;
mod cpu_ready;
mod fixture;
mod hung_migrate;
mod next;
mod pnpm;
mod preflight_heavy;

pub(crate) use fixture::{install, tools};

use crate::common;

use common::{devtop_command, run_command, wait_until};
use fixture::*;
use serde_json::Value;
use std::time::{Duration, Instant};

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
    let config = hung_after("4s");
    let argv = ["npm", "run", "migrate"];
    let hung = |j: &Value| status_hung(j).is_some();
    let Some((p, json)) = started_with(test, &config, "engine-hang.sh", &argv, hung) else {
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
    let Some((_p, json)) = started_with(test, &config, "engine-spin.sh", &argv, past) else {
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

/// How long `devtop status` may take with a Prisma CLI that never returns: the drift check's
/// share ([`devtop::effects::prisma_diff::HEADLESS_BUDGET`]) beside the CPU sampling, with
/// room for a busy machine — far from the helper's old 60 s timeout.
const STATUS_BOUND: Duration = Duration::from_secs(15);

#[test]
fn status_is_bounded_with_a_hanging_prisma_cli() {
    let test = "status_is_bounded_with_a_hanging_prisma_cli";
    let Some(modules) = tools(test) else {
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
    // While it runs, the drift helper (`node …/.bin/prisma migrate diff …`) and its hanging
    // engine are seen under this project: the bound below is kept with the CLI really running.
    let start = Instant::now();
    let (run, elapsed, seen) = std::thread::scope(|s| {
        let status = s.spawn(|| {
            let run = run_command(&mut cmd, vec!["status".into()]);
            (run, start.elapsed())
        });
        let mut seen = (false, false);
        while !status.is_finished() {
            for (pid, _) in p.leftovers() {
                let argv = common::cmdline(pid).unwrap_or_default().join(" ");
                seen.0 |= argv.contains("migrate diff");
                seen.1 |= argv.contains("schema-engine");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let (run, elapsed) = status.join().unwrap();
        (run, elapsed, seen)
    });
    // The engine starts once the CLI has loaded its config: on a loaded machine the budget can
    // end the CLI before that, so only the helper itself is required.
    eprintln!(
        "{test}: devtop status answered in {:.2} s (engine seen: {})",
        elapsed.as_secs_f64(),
        seen.1
    );
    assert_eq!(run.code, Some(0), "{run}");
    assert!(seen.0, "the helper (migrate diff) ran during status");
    assert!(
        elapsed <= STATUS_BOUND,
        "status took {elapsed:?} with a hanging CLI"
    );
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

#[test]
fn stack_orphaned_by_a_closed_terminal_is_flagged_by_an_open_tui_and_k_ends_it() {
    let test = "stack_orphaned_by_a_closed_terminal";
    let Some(p) = tmux_project(test, QUIET) else {
        return;
    };
    let tag = format!("devtop-real-{}", std::process::id());
    // The developer's terminal: a shell with a controlling terminal (tmux's pty).
    let term = p.terminal(&format!("{tag}-term"));
    // The TUI is open before the orphan exists.
    let tui = p.tui(&format!("{tag}-tui"));
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
    kill_terminal(&term);
    let reparented = wait_until(Duration::from_secs(10), || {
        npm_pids.iter().all(|&pid| adopted(pid as u32))
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
