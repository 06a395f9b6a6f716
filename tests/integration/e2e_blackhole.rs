//! A database that accepts TCP connections and never answers (a "black hole": a listener on
//! 127.0.0.1 whose thread accepts and holds every socket) as the project's `DATABASE_URL`:
//!
//! * `devtop status --json` and `devtop migrations` still finish promptly, with error kind
//!   `timeout`;
//! * the dashboard (in a detached tmux session) keeps drawing and answering keys while the
//!   connect hangs, then shows "timed out" on the Databases screen within 7 s; `q` quits at
//!   once even in the middle of the hang.
//!
//! The tmux tests skip (with a printed reason) when tmux is not installed.

use crate::common;
use crate::tmux;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Fixture, Run, Spawned, devtop_command, run_command};
use serde_json::Value;
use tmux::Session;

/// Behaviour deadline for a headless command against a black hole (devtop's connect timeout
/// is 5 s; processes are sampled meanwhile).
const HEADLESS_DEADLINE: Duration = Duration::from_secs(9);
/// The Databases screen must say "timed out" this soon after the dashboard starts.
const TUI_TIMEOUT_DEADLINE: Duration = Duration::from_secs(7);
/// Devtop's connect timeout: until then the connect hangs.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A listener on 127.0.0.1 whose thread accepts every connection, holds it open and never
/// sends a byte (sockets live until the test process exits). Counts the connections.
struct BlackHole {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl BlackHole {
    fn new() -> BlackHole {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind black hole");
        let addr = listener.local_addr().expect("black hole address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                match stream {
                    Ok(s) => {
                        held.push(s);
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => break,
                }
            }
        });
        BlackHole { addr, accepted }
    }

    /// Its URL, with a (one-letter) password that must never be shown.
    fn url(&self) -> String {
        format!("postgresql://u:p@127.0.0.1:{}/db", self.addr.port())
    }

    /// The URL as devtop must show it.
    fn masked(&self) -> String {
        format!("postgresql://u:***@127.0.0.1:{}/db", self.addr.port())
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// A project with a PostgreSQL schema reading `DATABASE_URL`.
fn project(fx: &Fixture) {
    let prisma = fx.root().join("prisma");
    std::fs::create_dir_all(prisma.join("migrations/20250101000000_init")).expect("prisma dir");
    std::fs::write(
        prisma.join("schema.prisma"),
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n\n\
         model Camera {\n  id   Int    @id\n  name String\n  uuid String\n\n  @@map(\"cameras\")\n}\n",
    )
    .expect("schema.prisma");
    std::fs::write(
        prisma.join("migrations/20250101000000_init/migration.sql"),
        "CREATE TABLE \"cameras\" (\"id\" INTEGER NOT NULL);\n",
    )
    .expect("migration.sql");
    std::fs::write(
        prisma.join("migrations/migration_lock.toml"),
        "provider = \"postgresql\"\n",
    )
    .expect("migration_lock.toml");
}

/// Runs devtop headless on the fixture's project with the variables `env` set; returns the
/// run and how long it took.
fn headless(fx: &Fixture, args: &[&str], env: &[(&str, &str)]) -> (Run, Duration) {
    let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    args.extend([
        "--project".to_owned(),
        fx.root().to_string_lossy().into_owned(),
        "--scope".to_owned(),
        "project".to_owned(),
    ]);
    let mut cmd = devtop_command();
    cmd.args(&args)
        .env_remove("DATABASE_URL")
        .env_remove("STAGING_DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let run = run_command(&mut cmd, args);
    (run, started.elapsed())
}

#[test]
fn headless_commands_time_out_promptly() {
    let fx = Fixture::new();
    project(&fx);
    let hole = BlackHole::new();
    let url = hole.url();
    let env = [("DATABASE_URL", url.as_str())];

    let (run, took) = headless(&fx, &["status", "--json"], &env);
    eprintln!("status --json against a black hole took {took:?}");
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        took < HEADLESS_DEADLINE,
        "status --json took {took:?}: {run}"
    );
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    let local = doc["databases"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["name"] == "local"))
        .unwrap_or_else(|| panic!("no local database: {doc:#}"));
    assert_eq!(local["status"], "down", "{local:#}");
    assert_eq!(local["error"]["kind"], "timeout", "{local:#}");
    assert_eq!(local["url"], hole.masked(), "{local:#}");
    assert!(!run.stdout.contains(&url), "{run}");
    // It did connect and wait: the timeout is the hang's, not some other failure.
    assert!(hole.accepted() >= 1, "devtop never connected");

    let (run, took) = headless(&fx, &["migrations", "--json"], &env);
    eprintln!("migrations --json against a black hole took {took:?}");
    assert_eq!(run.code, Some(1), "{run}");
    assert!(took < HEADLESS_DEADLINE, "migrations took {took:?}: {run}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    assert_eq!(doc["databases"][0]["error"]["kind"], "timeout", "{doc:#}");
    assert_eq!(doc["environments"][0]["readable"], false, "{doc:#}");
}

/// `migrations --env local` asks about local only: a hanging `staging` must be neither
/// connected to nor waited for (local here is a missing SQLite file: an instant answer).
#[test]
fn migrations_env_filter_leaves_other_environments_alone() {
    let fx = Fixture::new();
    project(&fx);
    fx.write_config("[[database]]\nname = \"staging\"\nurl_env = \"STAGING_DATABASE_URL\"\n");
    let hole = BlackHole::new();
    let staging = hole.url();
    let env = [
        ("DATABASE_URL", "file:./absent.db"),
        ("STAGING_DATABASE_URL", staging.as_str()),
    ];
    let (run, took) = headless(&fx, &["migrations", "--json", "--env", "local"], &env);
    assert_eq!(run.code, Some(1), "{run}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"));
    assert_eq!(
        doc["databases"][0]["error"]["kind"], "nodatabase",
        "{doc:#}"
    );
    assert_eq!(
        doc["databases"].as_array().map(Vec::len),
        Some(1),
        "{doc:#}"
    );
    assert_eq!(hole.accepted(), 0, "devtop connected to staging");
    assert!(took < Duration::from_secs(2), "took {took:?}: {run}");
}

// ------------------------------------------------------------------------------ tmux

/// A detached tmux session, killed on drop (which also ends the devtop inside it).
/// Starts `devtop --project <root> --scope project` with `DATABASE_URL` = `url` in a
/// 160×48 session; returns the session and the moment it was started.
fn start_tui(fx: &Fixture, url: &str, tag: &str) -> (Session, Instant) {
    let exe = env!("CARGO_BIN_EXE_devtop");
    let name = format!("devtop-bh-{tag}-{}", std::process::id());
    let cmd = format!(
        "env DATABASE_URL='{url}' {exe} --project '{}' --scope project; \
         echo \"[exited $?]\"; sleep 60",
        fx.root().display()
    );
    let started = Instant::now();
    (Session::start(&name, 160, 48, &cmd), started)
}

fn tmux_missing(test: &str) -> bool {
    !tmux::available(test)
}

/// The header (first line) of a screen.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// The AGE cell of the process row of `pid` (e.g. "3s"), if the row is on screen.
fn age_of(screen: &str, pid: u32) -> Option<u64> {
    let pid = pid.to_string();
    let line = screen
        .lines()
        .find(|l| l.split_whitespace().any(|w| w == pid))?;
    line.split_whitespace()
        .find_map(|w| w.strip_suffix('s')?.parse::<u64>().ok())
}

/// A `node` stand-in under the project, whose AGE column ticks every second: the live
/// counter watched while the database connect hangs.
fn ticking_process(fx: &Fixture) -> Spawned {
    fx.standin("node").args(["server.js"]).spawn()
}

/// While the connect to the black hole hangs, the dashboard keeps drawing (the AGE of a
/// process ticks) and answers keys (`2` switches to the Databases screen at once); within
/// 7 s of the start the Databases screen shows "timed out" for local.
#[test]
fn tui_keeps_drawing_while_the_connect_hangs() {
    let test = "tui_keeps_drawing_while_the_connect_hangs";
    if tmux_missing(test) {
        return;
    }
    let fx = Fixture::new();
    project(&fx);
    let node = ticking_process(&fx);
    let hole = BlackHole::new();
    let url = hole.url();
    let (s, started) = start_tui(&fx, &url, "draw");

    // Processes screen with the stand-in's age, local still connecting (◌ in the header).
    let first = s.wait(Duration::from_secs(4), "the process row", |t| {
        age_of(t, node.pid).is_some()
    });
    let first_at = started.elapsed();
    let age1 = age_of(&first, node.pid).unwrap_or_default();
    assert!(header(&first).contains("◌local"), "{first}");
    let second = s.wait(Duration::from_millis(2500), "the age column to tick", |t| {
        age_of(t, node.pid).is_some_and(|a| a > age1)
    });
    let second_at = started.elapsed();
    assert!(
        second_at < Duration::from_secs(4),
        "the age ticked only {second_at:?} after the start (first capture at {first_at:?}):\n{second}"
    );
    // Both captures fell inside the hang: the header still shows local connecting.
    assert!(header(&second).contains("◌local"), "{second}");
    assert!(second_at < CONNECT_TIMEOUT, "{second_at:?}");

    // Keys are answered during the hang: the Databases screen appears at once.
    s.keys("2");
    let pressed = started.elapsed();
    let dbs = s.wait(Duration::from_secs(1), "the Databases screen", |t| {
        t.contains("ENV") && t.contains("STATUS") && t.contains("LAST OK")
    });
    if started.elapsed() < Duration::from_millis(4500) {
        assert!(
            dbs.contains("connecting"),
            "pressed 2 at {pressed:?}, still within the hang:\n{dbs}"
        );
    }
    assert!(
        dbs.contains(&hole.masked()),
        "masked URL in the health pane:\n{dbs}"
    );
    assert!(!dbs.contains(&url), "{dbs}");

    // Then the connect times out: "timed out" within 7 s of the start.
    let timed_out = s.wait(
        TUI_TIMEOUT_DEADLINE.saturating_sub(started.elapsed()),
        "\"timed out\" on the Databases screen",
        |t| t.contains("timed out"),
    );
    let at = started.elapsed();
    assert!(at < TUI_TIMEOUT_DEADLINE, "{at:?}:\n{timed_out}");
    assert!(
        at >= Duration::from_secs(4),
        "too early ({at:?}):\n{timed_out}"
    );
    let row = timed_out
        .lines()
        .find(|l| l.contains("local") && l.contains("timed out"))
        .unwrap_or_else(|| panic!("no local row saying timed out:\n{timed_out}"));
    assert!(row.contains("never"), "no success yet: {row}");
    assert!(
        timed_out.contains("retry in"),
        "the retry is announced:\n{timed_out}"
    );
    assert!(header(&timed_out).contains("✗local"), "down: {timed_out}");

    s.keys("q");
    let after = s.wait(Duration::from_secs(5), "devtop to exit", |t| {
        t.contains("[exited ")
    });
    assert!(after.contains("[exited 0]"), "{after}");
}

/// `q` in the middle of the hang quits at once: nothing waits for the connect timeout.
#[test]
fn tui_quits_at_once_during_the_hang() {
    let test = "tui_quits_at_once_during_the_hang";
    if tmux_missing(test) {
        return;
    }
    let fx = Fixture::new();
    project(&fx);
    let hole = BlackHole::new();
    let (s, started) = start_tui(&fx, &hole.url(), "quit");
    s.wait(Duration::from_secs(4), "the dashboard", |t| {
        header(t).contains("◌local")
    });
    s.keys("2");
    s.wait(Duration::from_secs(1), "the Databases screen", |t| {
        t.contains("connecting")
    });
    let pressed = started.elapsed();
    assert!(pressed < Duration::from_secs(4), "{pressed:?}");
    s.keys("q");
    let quit = Instant::now();
    let after = s.wait(Duration::from_secs(3), "devtop to exit", |t| {
        t.contains("[exited ")
    });
    assert!(after.contains("[exited 0]"), "{after}");
    let took = quit.elapsed();
    assert!(
        took < Duration::from_millis(1500)
            && started.elapsed() < CONNECT_TIMEOUT + Duration::from_secs(1),
        "quitting took {took:?} (pressed {pressed:?} after the start)"
    );
}
