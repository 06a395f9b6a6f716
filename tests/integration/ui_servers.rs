//! UI snapshots of the Servers screen (80x24 and 160x48): servers starting, ready, held,
//! failed with their last log lines, stopping with the PIDs waited for; the server log
//! popup; the quit question; the Logs pane over server output. Fixed events and polls, so
//! the screens are the same on every run.

use crate::common::screen_text as draw;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use devtop::app::servers::{OpOutcome, PolledServer, ServerOp, Servers, ServersPoll};
use devtop::app::state::AppState;
use devtop::app::update::{Action, update};
use devtop::collect::log_follow::ServerLine;
use devtop::effects::servers::Event;
use devtop::model::fixtures;
use devtop::model::server::{ReadyProbe, RestartPolicy, ServerCmd, ServerSpec, StopSignal};
use devtop::model::snapshot::ProcessSnapshot;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn spec(name: &str, port: u16, deps: &[&str], ready: ReadyProbe) -> ServerSpec {
    ServerSpec {
        name: name.into(),
        cmd: ServerCmd::Argv(vec!["npm".into(), "run".into(), "dev".into()]),
        cwd: None,
        env: Default::default(),
        port: Some(port),
        ready: Some(ready),
        ready_timeout: Duration::from_secs(60),
        depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
        requires: vec![],
        stop_signal: StopSignal::TERM,
        stop_grace: Duration::from_secs(5),
        restart: RestartPolicy::No,
    }
}

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn app() -> AppState {
    let mut s = AppState::new(
        Arc::new(ProcessSnapshot::empty(
            devtop::model::tree::Scope::Project,
            fixtures::ROOT.into(),
        )),
        Arc::new(fixtures::memory(6.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    update(
        &mut s,
        Action::Processes(Arc::new(fixtures::process_snapshot())),
    );
    s.servers = Servers::new(
        &[
            spec(
                "api",
                3010,
                &[],
                ReadyProbe::Http("http://127.0.0.1:3010/health".into()),
            ),
            spec("web", 3011, &["api"], ReadyProbe::Tcp(3011)),
            spec("worker", 3012, &["api"], ReadyProbe::Tcp(3012)),
        ],
        10_000,
    );
    s
}

fn key(s: &mut AppState, k: KeyCode) {
    update(s, Action::Key(KeyEvent::new(k, KeyModifiers::NONE)));
}

fn ev(s: &mut AppState, e: Event, at: u64) {
    update(s, Action::ServerEvent(Box::new(e), t(at)));
}

fn lines(s: &mut AppState, server: &str, texts: &[&str]) {
    let batch = texts
        .iter()
        .map(|l| ServerLine {
            server: server.into(),
            text: (*l).into(),
        })
        .collect();
    update(s, Action::ServerLines(batch));
}

fn polled(name: &str, pid: u32, rss_mib: u64, cpu: f32) -> PolledServer {
    PolledServer {
        name: name.into(),
        pid,
        started_unix: 1_700_000_001,
        leader_alive: true,
        members: vec![pid, pid + 1],
        rss_bytes: rss_mib << 20,
        cpu_percent: cpu,
        listening: Some(true),
        ready_after: None,
    }
}

/// api and web ready (web's tree polled), worker failed with its last lines.
fn running() -> AppState {
    let mut s = app();
    key(&mut s, KeyCode::Char('u'));
    ev(
        &mut s,
        Event::Starting {
            name: "api".into(),
            pid: 4242,
        },
        1,
    );
    lines(
        &mut s,
        "api",
        &[
            "[dev] compiling…",
            "  ➜ ready  Local: http://127.0.0.1:3010/",
        ],
    );
    ev(
        &mut s,
        Event::Ready {
            name: "api".into(),
            after: Duration::from_millis(1250),
            how: "http http://127.0.0.1:3010/health".into(),
        },
        2,
    );
    ev(
        &mut s,
        Event::Starting {
            name: "web".into(),
            pid: 4300,
        },
        2,
    );
    ev(
        &mut s,
        Event::Starting {
            name: "worker".into(),
            pid: 4400,
        },
        2,
    );
    lines(&mut s, "web", &["  VITE v5.4.0  ready in 312 ms"]);
    lines(&mut s, "api", &["GET /health 200"]);
    lines(
        &mut s,
        "worker",
        &[
            "worker: connecting to redis://127.0.0.1:6379",
            "Error: connect ECONNREFUSED 127.0.0.1:6379",
            "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)",
        ],
    );
    ev(
        &mut s,
        Event::Ready {
            name: "web".into(),
            after: Duration::from_millis(312),
            how: "tcp 3011".into(),
        },
        3,
    );
    ev(
        &mut s,
        Event::Failed {
            name: "worker".into(),
            reason: "exited with code 1 during start".into(),
            last_lines: vec![
                "worker: connecting to redis://127.0.0.1:6379".into(),
                "Error: connect ECONNREFUSED 127.0.0.1:6379".into(),
            ],
        },
        3,
    );
    update(
        &mut s,
        Action::ServersPolled(ServersPoll {
            taken_at: Some(t(125)),
            running: vec![polled("api", 4242, 61, 2.5), polled("web", 4300, 143, 11.0)],
            error: None,
        }),
    );
    update(
        &mut s,
        Action::ServersDone(ServerOp::Up { force: false }, OpOutcome::Done),
    );
    s
}

fn snap(name: &str, s: &AppState) {
    for (w, h) in [(80, 24), (160, 48)] {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), draw(s, w, h));
    }
}

#[test]
fn servers_stopped() {
    let mut s = app();
    key(&mut s, KeyCode::Char('3'));
    snap("servers_stopped", &s);
}

/// 30 servers at 80x24: the title says which rows are shown, the table follows the
/// selection row by row to the last server (each one on screen when selected) and stays put
/// when the selection moves back inside it.
#[test]
fn many_servers_scroll_with_the_selection() {
    let mut s = app();
    let specs: Vec<ServerSpec> = (0..30u16)
        .map(|i| {
            spec(
                &format!("svc{i:02}"),
                4000 + i,
                &[],
                ReadyProbe::Tcp(4000 + i),
            )
        })
        .collect();
    s.servers = Servers::new(&specs, 100);
    key(&mut s, KeyCode::Char('3'));
    let top = draw(&s, 80, 24);
    assert!(
        top.contains("Servers 1–") && top.contains(" of 30 "),
        "{top}"
    );
    assert!(!top.contains("svc29"), "{top}");
    for i in 0..30 {
        let t = draw(&s, 80, 24);
        assert!(
            t.contains(&format!("svc{i:02}")),
            "row {i} selected but not shown:\n{t}"
        );
        key(&mut s, KeyCode::Down);
    }
    let bottom = draw(&s, 80, 24);
    assert!(
        bottom.contains("–30 of 30 ") && !bottom.contains("svc00"),
        "{bottom}"
    );
    key(&mut s, KeyCode::Up);
    let up = draw(&s, 80, 24);
    assert_eq!(
        up.lines().nth(1),
        bottom.lines().nth(1),
        "one row up inside the view: the table stays put"
    );
    snap("servers_many_bottom", &s);
}

#[test]
fn servers_running_with_a_failed_one_selected() {
    let mut s = running();
    key(&mut s, KeyCode::End);
    snap("servers_failed", &s);
}

#[test]
fn servers_held() {
    let mut s = app();
    key(&mut s, KeyCode::Char('u'));
    ev(
        &mut s,
        Event::Held {
            name: "api".into(),
            reason: "local has 1 pending migration (20240102_add_uuid) — apply it".into(),
        },
        1,
    );
    update(
        &mut s,
        Action::ServersDone(
            ServerOp::Up { force: false },
            OpOutcome::Failed("api".into()),
        ),
    );
    snap("servers_held", &s);
}

#[test]
fn servers_stopping_shows_the_pids_waited_for() {
    let mut s = running();
    key(&mut s, KeyCode::Char('d'));
    ev(
        &mut s,
        Event::Stopping {
            name: "web".into(),
            pids: vec![4300, 4301],
        },
        130,
    );
    ev(
        &mut s,
        Event::Waiting {
            name: "web".into(),
            pids: vec![4301],
        },
        131,
    );
    snap("servers_stopping", &s);
}

#[test]
fn server_log_popup() {
    let mut s = running();
    key(&mut s, KeyCode::Enter);
    snap("server_details", &s);
}

#[test]
fn quit_question() {
    let mut s = running();
    key(&mut s, KeyCode::Char('q'));
    assert!(!s.quit);
    snap("quit_question", &s);
}

/// `q` right after `u`, before the start reported anything: asked, with nothing named.
#[test]
fn quit_question_while_a_start_is_under_way() {
    let mut s = app();
    key(&mut s, KeyCode::Char('u'));
    key(&mut s, KeyCode::Char('q'));
    assert!(!s.quit);
    snap("quit_question_starting", &s);
}

#[test]
fn logs_pane_filtered_to_one_server() {
    let mut s = running();
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Char('f'));
    snap("server_logs_api", &s);
}

#[test]
fn port_conflict_question() {
    use devtop::effects::servers::port_conflict::{Conflict, EndTarget, Holder};
    use devtop::effects::servers::state::Recorded;
    let mut s = app();
    key(&mut s, KeyCode::Char('u'));
    let conflict = Conflict {
        port: 3010,
        holder: Some(Holder {
            pid: 7717,
            start_ticks: 5,
            role: "tsx".into(),
            argv: vec![
                "node".into(),
                "node_modules/.bin/tsx".into(),
                "watch".into(),
                "src/index.ts".into(),
            ],
            cwd: Some("/home/dev/video-production-manager/api".into()),
            project: Some("/home/dev/video-production-manager".into()),
            same_server: Some(Recorded {
                name: "api".into(),
                pid: 7717,
                pgid: 7717,
                start_ticks: 5,
                port: Some(3010),
                started_unix: 1,
                adopted: false,
                ready_after_ms: None,
            }),
            to_end: vec![
                EndTarget {
                    pid: 7719,
                    start_ticks: 9,
                    name: "esbuild".into(),
                },
                EndTarget {
                    pid: 7717,
                    start_ticks: 5,
                    name: "node".into(),
                },
            ],
        }),
    };
    update(
        &mut s,
        Action::PortConflict("api".into(), Box::new(conflict)),
    );
    snap("port_conflict", &s);
}

/// `r` on api, which web depends on: the question names what each answer restarts, and the
/// key bar its answers (y both, n only api, Esc nothing).
#[test]
fn restart_question() {
    let mut s = running();
    key(&mut s, KeyCode::Home);
    key(&mut s, KeyCode::Char('r'));
    snap("restart_question", &s);
}

/// The STATE column fits the longest state shown (`✗ crashed(SIGSEGV)`, not cut to
/// `crashed(SIG`), and one failed log line is "its last log line".
#[test]
fn a_crashed_state_fits_and_one_log_line_is_singular() {
    let mut s = running();
    ev(
        &mut s,
        Event::Crashed {
            name: "web".into(),
            signal: 11,
        },
        4,
    );
    ev(
        &mut s,
        Event::Failed {
            name: "worker".into(),
            reason: "exited with code 1 during start".into(),
            last_lines: vec!["Error: connect ECONNREFUSED 127.0.0.1:6379".into()],
        },
        4,
    );
    key(&mut s, KeyCode::End);
    for (w, h) in [(80, 24), (160, 48)] {
        let screen = draw(&s, w, h);
        assert!(screen.contains("crashed(SIGSEGV)"), "{screen}");
        assert!(screen.contains("its last log line:"), "{screen}");
    }
    snap("servers_crashed", &s);
}
