//! Behaviour of the stand-in mode of the real devtop binary (`DEVTOP_STANDIN`).

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{Fixture, alive, cmdline, comm, cpu_ticks, wait_until};
use devtop::effects::signal::read_identity;

const PATIENCE: Duration = Duration::from_secs(10);

#[test]
fn comm_is_the_symlink_name() {
    let fx = Fixture::new();
    let node = fx.standin("node").arg("server.js").spawn();
    let engine = fx
        .standin("schema-engine")
        .args(["--datamodel", "prisma/schema.prisma"])
        .spawn();
    assert_eq!(comm(node.pid).unwrap(), "node");
    assert_eq!(comm(engine.pid).unwrap(), "schema-engine");
    assert_eq!(node.ready.pid, node.pid);
}

#[test]
fn argv_is_as_given() {
    let fx = Fixture::new();
    let prisma = fx.root().join("node_modules/.bin/prisma");
    let prisma = prisma.to_string_lossy();
    let s = fx
        .standin("node")
        .args([&*prisma, "migrate", "dev", "--name", "add_uuid"])
        .spawn();
    let argv = cmdline(s.pid).unwrap();
    assert_eq!(argv, s.argv);
    assert_eq!(argv[0], fx.bin_dir().join("node").to_string_lossy());
    assert_eq!(
        &argv[1..6],
        [&*prisma, "migrate", "dev", "--name", "add_uuid"]
    );
    assert_eq!(argv.last().unwrap(), fx.marker());
    // cwd is the project root.
    let cwd = std::fs::read_link(format!("/proc/{}/cwd", s.pid)).unwrap();
    assert_eq!(cwd, fx.root().canonicalize().unwrap());
}

#[test]
fn listen_zero_accepts_tcp_on_published_port() {
    let fx = Fixture::new();
    let vite = fx
        .standin("node")
        .args(["node_modules/.bin/vite", "--port", "0"])
        .mode("listen=0")
        .spawn();
    let port = vite.ready.port.expect("port published");
    assert_ne!(port, 0);
    for _ in 0..2 {
        let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer:?}");
    }
}

#[test]
fn busy_accumulates_cpu() {
    let fx = Fixture::new();
    let busy = fx.standin("node").arg("build.js").mode("busy=50").spawn();
    let before = cpu_ticks(busy.pid).unwrap();
    // 20 ticks = 0.2 s of CPU, about 0.4 s of wall time at 50 %.
    assert!(
        wait_until(PATIENCE, || cpu_ticks(busy.pid)
            .is_ok_and(|t| t >= before + 20)),
        "CPU time did not rise: {before} -> {:?}",
        cpu_ticks(busy.pid)
    );
}

#[test]
fn sleep_stays_idle() {
    let fx = Fixture::new();
    let idle = fx.standin("node").arg("idle.js").mode("sleep").spawn();
    let state = read_identity(idle.pid).unwrap().state;
    assert!(matches!(state, 'S' | 'R'), "{state}");
    // Whatever setup cost, it should not be burning a core: well under 1 s of CPU.
    assert!(cpu_ticks(idle.pid).unwrap() < 100);
}

#[test]
fn zombie_child_stays_in_state_z() {
    let fx = Fixture::new();
    let parent = fx
        .standin("node")
        .arg("leaky.js")
        .mode("zombie-child")
        .spawn();
    let child = parent.ready.child.expect("child published");
    assert!(
        wait_until(PATIENCE, || read_identity(child)
            .is_ok_and(|i| i.state == 'Z' && i.ppid == parent.pid)),
        "{:?}",
        read_identity(child)
    );
}

#[test]
fn child_directive_spawns_named_child_with_its_own_mode() {
    let fx = Fixture::new();
    let parent = fx
        .standin("node")
        .args(["node_modules/.bin/prisma", "migrate", "dev"])
        .mode("sleep,child")
        .child("schema-engine", ["--datamodel", "schema.prisma"], "busy=10")
        .spawn();
    let child = parent.ready.child.expect("child published");
    let id = read_identity(child).unwrap();
    assert_eq!(id.ppid, parent.pid);
    assert!(wait_until(PATIENCE, || comm(child).is_ok_and(|c| c == "schema-engine")));
    let argv = cmdline(child).unwrap();
    assert_eq!(
        argv,
        [
            fx.bin_dir()
                .join("schema-engine")
                .to_string_lossy()
                .as_ref(),
            "--datamodel",
            "schema.prisma",
            fx.marker(),
        ]
    );
    let env = procfs::process::Process::new(child as i32)
        .unwrap()
        .environ()
        .unwrap();
    assert_eq!(
        env.get(std::ffi::OsStr::new("DEVTOP_STANDIN")).unwrap(),
        "busy=10"
    );
    assert_eq!(
        env.get(std::ffi::OsStr::new("DEVTOP_STANDIN_WATCH_PID"))
            .unwrap(),
        std::process::id().to_string().as_str()
    );
    for gone in ["DEVTOP_STANDIN_CHILD", "DEVTOP_STANDIN_READY"] {
        assert!(!env.contains_key(std::ffi::OsStr::new(gone)), "{gone}");
    }
}

#[test]
fn orphan_is_reparented_and_its_session_leader_is_gone() {
    let fx = Fixture::new();
    let spawner = fx
        .standin("node")
        .args(["node_modules/.bin/tsx", "watch", "src/index.ts"])
        .mode("orphan,listen=0")
        .child("node", ["dist/index.js"], "ignored")
        .spawn();
    let orphan = spawner.ready.child.expect("orphan published");
    assert!(spawner.ready.port.is_some(), "orphan's port is published");
    // The spawner exits on its own.
    let status = fx.wait_exit(spawner.pid, PATIENCE).expect("spawner exits");
    assert!(status.success(), "{status:?}");
    assert!(
        wait_until(PATIENCE, || read_identity(orphan)
            .is_ok_and(|i| i.ppid != spawner.pid && i.state != 'Z')),
        "{:?}",
        read_identity(orphan)
    );
    // As after a closed terminal: the orphan stays in the session its spawner led, and that
    // leader is gone.
    let sid = rustix::process::getsid(rustix::process::Pid::from_raw(orphan as i32)).unwrap();
    assert_eq!(
        sid.as_raw_pid() as u32,
        spawner.pid,
        "session led by the spawner"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{}", spawner.pid)).exists()
            || read_identity(spawner.pid).is_ok_and(|i| i.start_ticks != spawner.start_ticks)
    );
    assert_eq!(comm(orphan).unwrap(), "node");
    assert_eq!(cmdline(orphan).unwrap()[1], "dist/index.js");
}

#[test]
fn ignore_term_survives_sigterm() {
    let fx = Fixture::new();
    let s = fx
        .standin("node")
        .arg("stubborn.js")
        .mode("ignore-term")
        .spawn();
    let status = procfs::process::Process::new(s.pid as i32)
        .unwrap()
        .status()
        .unwrap();
    let term = 1u64 << 14;
    assert!(
        (status.sigcgt | status.sigign) & term != 0,
        "SIGTERM is handled"
    );
    let pid = rustix::process::Pid::from_raw(s.pid as i32).unwrap();
    // Our own unreaped child: the PID cannot have been reused.
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    assert!(
        fx.wait_exit(s.pid, Duration::from_millis(500)).is_none(),
        "exited on SIGTERM"
    );
    assert!(alive(s.pid, s.start_ticks));
}

#[test]
fn exits_when_watched_pid_is_gone() {
    let fx = Fixture::new();
    let watched = fx.standin("node").arg("parent.js").spawn();
    let watcher = fx
        .standin("node")
        .arg("child.js")
        .watch_pid(Some(watched.pid))
        .spawn();
    let pid = rustix::process::Pid::from_raw(watched.pid as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
    assert!(fx.wait_exit(watched.pid, PATIENCE).is_some());
    let status = fx.wait_exit(watcher.pid, PATIENCE).expect("watcher exits");
    assert!(status.success(), "{status:?}");
}

#[test]
fn bad_mode_exits_with_status_2() {
    let fx = Fixture::new();
    let exe = fx.link("node");
    let out = std::process::Command::new(exe)
        .env("DEVTOP_STANDIN", "nap")
        .env_remove("DEVTOP_STANDIN_READY")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown directive"));
}

/// Started as `devtop`, the binary is the dashboard whatever its environment says: a stray
/// `DEVTOP_STANDIN` turns only a start under another name (a stand-in's symlink) into one.
#[test]
fn started_as_devtop_it_is_never_a_standin() {
    let mut cmd = common::devtop_command();
    cmd.arg("--version")
        .env(devtop::demo::standin::ENV_MODE, "sleep");
    let run = common::run_command(&mut cmd, vec!["--version".into()]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.starts_with("devtop "), "{run}");
}
