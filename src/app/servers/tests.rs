//! The Servers state machine through `update`: keys in, state and commands out; supervisor
//! events, op results and polls applied in the order the loop delivers them.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::app::confirm::ConfirmAction;
use crate::app::state::{AppState, Focus, LogSource, Popup, View};
use crate::app::update::{Action, Command, update};
use crate::collect::log_follow::ServerLine;
use crate::model::fixtures;
use crate::model::snapshot::ProcessSnapshot;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn specs() -> Vec<ServerSpec> {
    let toml = r#"
[[server]]
name = "api"
cmd = ["true"]
port = 3010

[[server]]
name = "web"
cmd = ["true"]
port = 3011
depends_on = ["api"]
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devtop.toml");
    std::fs::write(&path, toml).unwrap();
    crate::config::Config::load(Some(&path), dir.path())
        .unwrap()
        .servers
}

fn state() -> AppState {
    let snap = Arc::new(ProcessSnapshot::empty(
        crate::model::tree::Scope::Project,
        "/x".into(),
    ));
    let mut s = AppState::new(
        snap,
        Arc::new(fixtures::memory(6.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    s.servers = Servers::new(&specs(), 100);
    s
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn t(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + secs)
}

fn ev(s: &mut AppState, e: Event, at: u64) -> Vec<Command> {
    update(s, Action::ServerEvent(Box::new(e), t(at)))
}

fn phase(s: &AppState, name: &str) -> Phase {
    s.servers
        .rows
        .iter()
        .find(|r| r.name == name)
        .unwrap()
        .phase
        .clone()
}

fn servers_cmds(cmds: &[Command]) -> Vec<ServerOp> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Servers(op) => Some(op.clone()),
            _ => None,
        })
        .collect()
}

fn start_both(s: &mut AppState) {
    update(s, key('u'));
    ev(
        s,
        Event::Starting {
            name: "api".into(),
            pid: 100,
        },
        1,
    );
    ev(
        s,
        Event::Ready {
            name: "api".into(),
            after: Duration::from_millis(1200),
            how: "http http://127.0.0.1:3010/health".into(),
        },
        2,
    );
    ev(
        s,
        Event::Starting {
            name: "web".into(),
            pid: 200,
        },
        2,
    );
    ev(
        s,
        Event::Ready {
            name: "web".into(),
            after: Duration::from_millis(300),
            how: "tcp 3011".into(),
        },
        3,
    );
    update(
        s,
        Action::ServersDone(ServerOp::Up { force: false }, OpOutcome::Done),
    );
}

#[test]
fn u_shows_the_servers_screen_and_starts_them_in_order() {
    let mut s = state();
    assert_eq!(phase(&s, "api"), Phase::Stopped);
    let cmds = update(&mut s, key('u'));
    assert_eq!(servers_cmds(&cmds), [ServerOp::Up { force: false }]);
    assert_eq!(s.view, View::Servers);
    assert_eq!(s.focus, Focus::Servers);
    assert_eq!(s.servers.busy, Some(Busy::Starting));
    // A second u while starting does nothing more.
    assert!(servers_cmds(&update(&mut s, key('u'))).is_empty());
    ev(
        &mut s,
        Event::Starting {
            name: "api".into(),
            pid: 100,
        },
        1,
    );
    assert_eq!(phase(&s, "api"), Phase::Starting);
    assert_eq!(s.servers.rows[0].pid, Some(100));
    assert!(s.servers.rows[0].ours);
    start_both(&mut s);
    assert_eq!(phase(&s, "api"), Phase::Ready);
    assert_eq!(phase(&s, "web"), Phase::Ready);
    assert_eq!(
        s.servers.rows[0].ready_after,
        Some(Duration::from_millis(1200))
    );
    assert_eq!(s.servers.busy, None);
    assert_eq!(s.notice_text(), Some("2 server(s) running, all ready"));
}

#[test]
fn d_stops_in_reverse_and_the_pane_knows_which_pids_are_waited_for() {
    let mut s = state();
    start_both(&mut s);
    let cmds = update(&mut s, key('d'));
    assert_eq!(servers_cmds(&cmds), [ServerOp::Down { only: None }]);
    assert_eq!(s.servers.busy, Some(Busy::Stopping));
    ev(
        &mut s,
        Event::Stopping {
            name: "web".into(),
            pids: vec![200, 201],
        },
        4,
    );
    ev(
        &mut s,
        Event::Waiting {
            name: "web".into(),
            pids: vec![201],
        },
        5,
    );
    assert_eq!(phase(&s, "web"), Phase::Stopping);
    assert_eq!(s.servers.rows[1].waiting, [201]);
    ev(&mut s, Event::Stopped { name: "web".into() }, 6);
    ev(&mut s, Event::Stopped { name: "api".into() }, 6);
    update(
        &mut s,
        Action::ServersDone(ServerOp::Down { only: None }, OpOutcome::Done),
    );
    assert_eq!(phase(&s, "web"), Phase::Stopped);
    assert_eq!(s.servers.rows[1].pid, None);
    assert!(s.servers.ours_running().is_empty());
    assert_eq!(s.notice_text(), Some("every server stopped"));
    // Nothing runs: d says so and sends nothing.
    assert!(servers_cmds(&update(&mut s, key('d'))).is_empty());
    assert_eq!(s.notice_text(), Some("no server is running"));
}

#[test]
fn a_held_server_says_why_and_u_again_forces_it() {
    let mut s = state();
    update(&mut s, key('u'));
    ev(
        &mut s,
        Event::Held {
            name: "api".into(),
            reason: "local has 1 pending migration (20240101_x) — apply it".into(),
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
    assert!(matches!(phase(&s, "api"), Phase::Held(_)));
    assert_eq!(
        s.notice_text(),
        Some(
            "held: local has 1 pending migration (20240101_x) — apply it — press u again to start anyway"
        )
    );
    let cmds = update(&mut s, key('u'));
    assert_eq!(servers_cmds(&cmds), [ServerOp::Up { force: true }]);
    // The force is used once.
    assert!(!s.servers.force_next);
}

#[test]
fn a_failed_start_keeps_its_reason_and_last_lines_through_the_stop() {
    let mut s = state();
    update(&mut s, key('u'));
    ev(
        &mut s,
        Event::Starting {
            name: "api".into(),
            pid: 100,
        },
        1,
    );
    let cmds = ev(
        &mut s,
        Event::Failed {
            name: "api".into(),
            reason: "exited with code 3 during start".into(),
            last_lines: vec!["Error: listen EADDRINUSE".into()],
        },
        2,
    );
    assert!(cmds.contains(&Command::Log(
        log::Level::Warn,
        "api failed: exited with code 3 during start".into()
    )));
    ev(&mut s, Event::Stopped { name: "api".into() }, 3);
    update(
        &mut s,
        Action::ServersDone(
            ServerOp::Up { force: false },
            OpOutcome::Failed("api".into()),
        ),
    );
    assert_eq!(phase(&s, "api"), Phase::Failed);
    let row = &s.servers.rows[0];
    assert_eq!(
        row.last_error.as_deref(),
        Some("exited with code 3 during start")
    );
    assert_eq!(row.failed_lines, ["Error: listen EADDRINUSE"]);
    assert!(s.notice_text().unwrap().starts_with("api failed: exited"));
}

#[test]
fn d_during_u_interrupts_it_and_the_late_up_result_does_not_clear_the_stop() {
    let mut s = state();
    update(&mut s, key('u'));
    ev(
        &mut s,
        Event::Starting {
            name: "api".into(),
            pid: 100,
        },
        1,
    );
    let cmds = update(&mut s, key('d'));
    assert_eq!(servers_cmds(&cmds), [ServerOp::Down { only: None }]);
    update(
        &mut s,
        Action::ServersDone(ServerOp::Up { force: false }, OpOutcome::Interrupted),
    );
    assert_eq!(s.servers.busy, Some(Busy::Stopping));
    // u is refused while stopping.
    assert!(servers_cmds(&update(&mut s, key('u'))).is_empty());
}

fn polled(name: &str, pid: u32, listening: Option<bool>) -> PolledServer {
    PolledServer {
        name: name.into(),
        pid,
        started_unix: 1_700_000_000,
        leader_alive: true,
        members: vec![pid, pid + 1],
        rss_bytes: 50 << 20,
        cpu_percent: 12.5,
        listening,
        ready_after: None,
    }
}

#[test]
fn polls_adopt_recorded_servers_see_exits_and_unhealthy_ports() {
    let mut s = state();
    // Recorded by another devtop: adopted, with its tree's numbers.
    update(
        &mut s,
        Action::ServersPolled(ServersPoll {
            taken_at: Some(t(1)),
            running: vec![polled("api", 100, Some(true))],
            error: None,
        }),
    );
    assert_eq!(phase(&s, "api"), Phase::Adopted);
    assert!(!s.servers.rows[0].ours);
    assert_eq!(s.servers.rows[0].members, [100, 101]);
    assert_eq!(s.servers.rows[0].rss_bytes, Some(50 << 20));
    // It can be stopped: d acts on it.
    assert_eq!(
        servers_cmds(&update(&mut s, key('d'))),
        [ServerOp::Down { only: None }]
    );
    update(
        &mut s,
        Action::ServersDone(ServerOp::Down { only: None }, OpOutcome::Done),
    );
    // Ours and ready; its port stops listening: unhealthy; listening again: ready.
    start_both(&mut s);
    let poll = |at, listening| {
        Action::ServersPolled(ServersPoll {
            taken_at: Some(t(at)),
            running: vec![
                polled("api", 100, listening),
                polled("web", 200, Some(true)),
            ],
            error: None,
        })
    };
    update(&mut s, poll(10, Some(false)));
    assert_eq!(phase(&s, "api"), Phase::Unhealthy);
    update(&mut s, poll(11, Some(true)));
    assert_eq!(phase(&s, "api"), Phase::Ready);
    // A poll taken before the last event changes no phase (web stopped at 20).
    ev(&mut s, Event::Stopped { name: "web".into() }, 20);
    update(&mut s, poll(12, Some(true)));
    assert_eq!(phase(&s, "web"), Phase::Stopped);
    // api, launched here, vanished: the poll does not say how it ended, the supervisor does.
    update(
        &mut s,
        Action::ServersPolled(ServersPoll {
            taken_at: Some(t(30)),
            running: vec![],
            error: None,
        }),
    );
    assert_eq!(phase(&s, "api"), Phase::Ready);
    ev(
        &mut s,
        Event::Exited {
            name: "api".into(),
            code: Some(1),
        },
        31,
    );
    assert_eq!(phase(&s, "api"), Phase::Exited(Some(1)));
    assert_eq!(s.servers.rows[0].pid, None);
}

/// A run this devtop does not supervise (recorded by another devtop or `devtop up`) follows
/// the poll: adopted while found, exited once it vanishes.
#[test]
fn a_run_recorded_elsewhere_follows_the_poll() {
    let mut s = state();
    let poll = |at, running| {
        Action::ServersPolled(ServersPoll {
            taken_at: Some(t(at)),
            running,
            error: None,
        })
    };
    update(&mut s, poll(1, vec![polled("api", 100, Some(true))]));
    assert_eq!(phase(&s, "api"), Phase::Adopted);
    assert_eq!(s.servers.rows[0].supervised, None);
    update(&mut s, poll(2, vec![]));
    assert_eq!(phase(&s, "api"), Phase::Exited(None));
    assert_eq!(s.servers.rows[0].pid, None);
    assert!(!s.servers.rows[0].ours);
}

/// A2: a server launched here crashed and left members behind (its leader's children): the
/// supervisor owns that run, so the poll that still finds its members adds their numbers but
/// does not label it adopted; the supervisor's stop of the leftovers keeps it crashed (its end
/// is not reported), and nothing of it counts as running. Another run found later under a
/// new PID (started by another devtop) is adopted, and is not this devtop's.
#[test]
fn a_crashed_server_launched_here_with_members_left_stays_crashed() {
    let mut s = state();
    start_both(&mut s);
    ev(
        &mut s,
        Event::Crashed {
            name: "api".into(),
            signal: 11,
        },
        5,
    );
    let leftovers = PolledServer {
        leader_alive: false,
        members: vec![101],
        ..polled("api", 100, Some(false))
    };
    let poll = |at, running| {
        Action::ServersPolled(ServersPoll {
            taken_at: Some(t(at)),
            running,
            error: None,
        })
    };
    update(
        &mut s,
        poll(6, vec![leftovers, polled("web", 200, Some(true))]),
    );
    let api = s.servers.rows[0].clone();
    assert_eq!(api.phase, Phase::Crashed("SIGSEGV".into()), "{api:?}");
    assert_eq!(api.members, [101]);
    assert!(
        s.servers.ours_running() == ["web"],
        "{:?}",
        s.servers.ours_running()
    );
    // The supervisor stops what the leader left: still crashed.
    ev(
        &mut s,
        Event::Stopping {
            name: "api".into(),
            pids: vec![101],
        },
        6,
    );
    ev(
        &mut s,
        Event::Killed {
            name: "api".into(),
            pids: vec![101],
        },
        7,
    );
    assert_eq!(phase(&s, "api"), Phase::Crashed("SIGSEGV".into()));
    update(&mut s, poll(9, vec![polled("web", 200, Some(true))]));
    assert_eq!(phase(&s, "api"), Phase::Crashed("SIGSEGV".into()));
    assert!(s.servers.rows[0].members.is_empty());
    // Started again elsewhere (a new PID): that run is adopted, not this devtop's.
    update(
        &mut s,
        poll(
            12,
            vec![
                polled("api", 300, Some(true)),
                polled("web", 200, Some(true)),
            ],
        ),
    );
    assert_eq!(phase(&s, "api"), Phase::Adopted);
    assert!(!s.servers.rows[0].ours);
    assert_eq!(s.servers.ours_running(), ["web"]);
}

#[test]
fn quitting_with_our_servers_running_asks_and_defaults_to_stopping_them() {
    let mut s = state();
    start_both(&mut s);
    update(&mut s, key('q'));
    assert!(!s.quit);
    let Some(Popup::Confirm(c)) = &s.popup else {
        panic!("no question: {:?}", s.popup)
    };
    assert_eq!(
        c.action,
        ConfirmAction::QuitServers(vec!["api".into(), "web".into()])
    );
    // Enter: stop them, then quit once stopped.
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(servers_cmds(&cmds), [ServerOp::StopOurs]);
    assert!(!s.quit);
    update(
        &mut s,
        Action::ServersDone(ServerOp::StopOurs, OpOutcome::Done),
    );
    assert!(s.quit);
}

/// H7: `q` right after `u`, before any event of the start came back: the start may have
/// launched servers, so quitting asks, and its default stops what the worker launched.
#[test]
fn quitting_while_a_start_is_under_way_asks_and_stops_what_the_worker_launched() {
    let mut s = state();
    assert_eq!(servers_cmds(&update(&mut s, key('u'))).len(), 1);
    assert!(s.servers.ours_running().is_empty());
    update(&mut s, key('q'));
    assert!(!s.quit, "quit at once while a start is under way");
    let Some(Popup::Confirm(c)) = &s.popup else {
        panic!("no question: {:?}", s.popup)
    };
    assert_eq!(c.action, ConfirmAction::QuitServers(vec![]));
    let cmds = update(&mut s, code(KeyCode::Enter));
    assert_eq!(servers_cmds(&cmds), [ServerOp::StopOurs]);
    update(
        &mut s,
        Action::ServersDone(ServerOp::StopOurs, OpOutcome::Done),
    );
    assert!(s.quit);
}

#[test]
fn the_quit_question_can_leave_them_running_or_stay_and_keep_skips_it() {
    let mut s = state();
    start_both(&mut s);
    update(&mut s, key('q'));
    update(&mut s, code(KeyCode::Esc));
    assert!(!s.quit && s.popup.is_none());
    update(&mut s, key('q'));
    let cmds = update(&mut s, key('l'));
    assert!(s.quit);
    assert!(s.servers.leave_running);
    assert!(servers_cmds(&cmds).is_empty());

    let mut s = state();
    s.keep_servers = true;
    start_both(&mut s);
    update(&mut s, key('q'));
    assert!(s.quit, "--keep quits without asking");

    // Servers not started here (adopted) are not asked about.
    let mut s = state();
    update(
        &mut s,
        Action::ServersPolled(ServersPoll {
            taken_at: Some(t(1)),
            running: vec![polled("api", 100, Some(true))],
            error: None,
        }),
    );
    update(&mut s, key('q'));
    assert!(s.quit);
}

#[test]
fn r_restarts_the_selected_server_and_asks_about_its_dependents() {
    let mut s = state();
    start_both(&mut s);
    // web (selected second row) has no dependents: restarted at once.
    update(&mut s, code(KeyCode::Down));
    assert_eq!(s.servers.selected, 1);
    let cmds = update(&mut s, key('r'));
    assert_eq!(
        servers_cmds(&cmds),
        [ServerOp::Restart {
            names: vec!["web".into()]
        }]
    );
    update(
        &mut s,
        Action::ServersDone(
            ServerOp::Restart {
                names: vec!["web".into()],
            },
            OpOutcome::Done,
        ),
    );
    // api: web depends on it, so ask first.
    update(&mut s, code(KeyCode::Up));
    assert!(servers_cmds(&update(&mut s, key('r'))).is_empty());
    assert!(matches!(&s.popup, Some(Popup::Confirm(c))
        if c.action == ConfirmAction::RestartServers(vec!["api".into(), "web".into()])));
    let bar: Vec<String> = match &s.popup {
        Some(Popup::Confirm(c)) => c
            .action
            .key_bar(&s)
            .iter()
            .map(|e| e.name.to_string())
            .collect(),
        _ => Vec::new(),
    };
    assert_eq!(bar, ["With dependents", "Only this", "Cancel"]);
    let cmds = update(&mut s, key('y'));
    assert_eq!(
        servers_cmds(&cmds),
        [ServerOp::Restart {
            names: vec!["api".into(), "web".into()]
        }]
    );
    let done = ServerOp::Restart {
        names: vec!["api".into(), "web".into()],
    };
    update(&mut s, Action::ServersDone(done, OpOutcome::Done));
    // n: only api, not what depends on it.
    update(&mut s, key('r'));
    let cmds = update(&mut s, key('n'));
    assert_eq!(s.popup, None);
    assert_eq!(
        servers_cmds(&cmds),
        [ServerOp::Restart {
            names: vec!["api".into()]
        }]
    );
    let done = ServerOp::Restart {
        names: vec!["api".into()],
    };
    update(&mut s, Action::ServersDone(done, OpOutcome::Done));
    // Esc: nothing.
    update(&mut s, key('r'));
    assert!(servers_cmds(&update(&mut s, code(KeyCode::Esc))).is_empty());
    assert_eq!(s.popup, None);
}

#[test]
fn r_elsewhere_says_where_it_acts() {
    let mut s = state();
    assert!(update(&mut s, key('r')).is_empty());
    assert_eq!(
        s.notice_text(),
        Some("r restarts the selected server: press 3 for the Servers screen")
    );
}

#[test]
fn enter_opens_the_server_log_and_it_scrolls() {
    let mut s = state();
    update(&mut s, key('3'));
    let lines = (0..50)
        .map(|i| ServerLine {
            server: "api".into(),
            text: format!("line {i}"),
        })
        .collect();
    update(&mut s, Action::ServerLines(lines));
    update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        s.popup,
        Some(Popup::ServerDetails {
            name: "api".into(),
            scroll: 0
        })
    );
    update(&mut s, code(KeyCode::Up));
    update(&mut s, code(KeyCode::Up));
    assert!(matches!(
        s.popup,
        Some(Popup::ServerDetails { scroll: 2, .. })
    ));
    // New lines keep a scrolled view where it was.
    update(
        &mut s,
        Action::ServerLines(vec![ServerLine {
            server: "api".into(),
            text: "new".into(),
        }]),
    );
    assert!(matches!(
        s.popup,
        Some(Popup::ServerDetails { scroll: 3, .. })
    ));
    update(&mut s, code(KeyCode::End));
    assert!(matches!(
        s.popup,
        Some(Popup::ServerDetails { scroll: 0, .. })
    ));
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.popup, None);
}

#[test]
fn f_cycles_the_log_source_per_screen() {
    let mut s = state();
    assert_eq!(*s.logs_shown(), LogSource::Devtop);
    update(&mut s, key('f'));
    assert_eq!(*s.logs_shown(), LogSource::AllServers);
    update(&mut s, key('3'));
    assert_eq!(*s.logs_shown(), LogSource::AllServers);
    update(&mut s, key('f'));
    assert_eq!(*s.logs_shown(), LogSource::Server("api".into()));
    update(&mut s, key('f'));
    assert_eq!(*s.logs_shown(), LogSource::Server("web".into()));
    update(&mut s, key('f'));
    assert_eq!(*s.logs_shown(), LogSource::Devtop);
    update(&mut s, key('1'));
    assert_eq!(*s.logs_shown(), LogSource::AllServers);
}

#[test]
fn log_buffers_are_bounded_per_server_and_merge_in_arrival_order() {
    let mut logs = ServerLogs::new(3);
    for i in 0..5 {
        logs.push("api", &format!("a{i}"));
        logs.push("web", &format!("w{i}"));
    }
    assert_eq!(logs.len_of("api"), 3);
    assert_eq!(logs.of("api").collect::<Vec<_>>(), ["a2", "a3", "a4"]);
    assert_eq!(
        logs.tail(None, 4, 0),
        [("api", "a3"), ("web", "w3"), ("api", "a4"), ("web", "w4")]
    );
    assert_eq!(logs.tail(None, 2, 1), [("web", "w3"), ("api", "a4")]);
    assert_eq!(logs.tail(Some("web"), 2, 0), [("web", "w3"), ("web", "w4")]);
    assert_eq!(logs.last("web"), Some("w4"));
}

#[test]
fn without_servers_the_keys_say_how_to_configure_them() {
    let mut s = state();
    s.servers = Servers::new(&[], 10);
    assert!(update(&mut s, key('u')).is_empty());
    assert_eq!(
        s.notice_text(),
        Some("no [[server]] in devtop.toml (see the README: dev servers)")
    );
    update(&mut s, key('q'));
    assert!(s.quit);
}

fn conflict(adoptable: bool) -> Box<crate::model::port_conflict::Conflict> {
    use crate::effects::servers::state::Recorded;
    use crate::model::port_conflict::{Conflict, Holder};
    Box::new(Conflict {
        port: 3010,
        holder: Some(Holder {
            pid: 77,
            start_ticks: 5,
            role: "vite".into(),
            argv: vec!["node".into(), "vite".into()],
            cwd: Some("/p/web".into()),
            project: Some("/p".into()),
            same_server: adoptable.then(|| Recorded {
                name: "api".into(),
                pid: 77,
                pgid: 77,
                start_ticks: 5,
                port: Some(3010),
                started_unix: 1,
                adopted: false,
                ready_after_ms: None,
            }),
            to_end: vec![crate::model::port_conflict::EndTarget {
                pid: 77,
                start_ticks: 5,
                name: "node".into(),
            }],
        }),
    })
}

#[test]
fn a_taken_port_asks_end_adopt_or_cancel() {
    use crate::model::port_conflict::PortDecision;
    let decisions = |cmds: Vec<Command>| -> Vec<PortDecision> {
        cmds.into_iter()
            .filter_map(|c| match c {
                Command::PortDecision(d) => Some(d),
                _ => None,
            })
            .collect()
    };
    // Adopt, when the holder runs the server's command in its cwd.
    let mut s = state();
    update(&mut s, key('u'));
    update(&mut s, Action::PortConflict("api".into(), conflict(true)));
    assert!(matches!(&s.popup, Some(Popup::Confirm(c))
        if matches!(c.action, ConfirmAction::PortConflict(..))));
    assert_eq!(decisions(update(&mut s, key('a'))), [PortDecision::Adopt]);
    assert_eq!(s.popup, None);
    ev(
        &mut s,
        Event::Adopted {
            name: "api".into(),
            pid: 77,
        },
        1,
    );
    assert_eq!(phase(&s, "api"), Phase::Adopted);
    // Not adoptable: a says why and waits; Esc cancels the start.
    let mut s = state();
    update(&mut s, Action::PortConflict("api".into(), conflict(false)));
    assert!(decisions(update(&mut s, key('a'))).is_empty());
    assert!(s.popup.is_some());
    assert_eq!(
        decisions(update(&mut s, code(KeyCode::Esc))),
        [PortDecision::Cancel]
    );
    // y ends the holder (the safe kill, in the engine).
    update(&mut s, Action::PortConflict("api".into(), conflict(false)));
    assert_eq!(
        decisions(update(&mut s, key('y'))),
        [PortDecision::EndHolder]
    );
}

#[test]
fn exits_and_crashes_reported_by_the_supervisor_show_on_the_row() {
    let mut s = state();
    start_both(&mut s);
    ev(
        &mut s,
        Event::Exited {
            name: "web".into(),
            code: Some(3),
        },
        5,
    );
    assert_eq!(phase(&s, "web"), Phase::Exited(Some(3)));
    assert_eq!(Phase::Exited(Some(3)).label(), "exited(3)");
    ev(
        &mut s,
        Event::Crashed {
            name: "api".into(),
            signal: 11,
        },
        6,
    );
    assert_eq!(phase(&s, "api"), Phase::Crashed("SIGSEGV".into()));
    assert_eq!(phase(&s, "api").label(), "crashed(SIGSEGV)");
}

#[test]
fn a_back_off_shows_restarting_and_d_then_stops_it_without_a_stale_error() {
    let mut s = state();
    start_both(&mut s);
    ev(
        &mut s,
        Event::Exited {
            name: "web".into(),
            code: Some(3),
        },
        5,
    );
    ev(
        &mut s,
        Event::Restarting {
            name: "web".into(),
            after: Duration::from_secs(2),
            attempt: 2,
            give_up_after: 5,
        },
        5,
    );
    assert_eq!(phase(&s, "web").label(), "restarting");
    let web = s
        .servers
        .rows
        .iter()
        .find(|r| r.name == "web")
        .expect("web");
    assert_eq!(
        web.last_error.as_deref(),
        Some("restarting in 2s (attempt 2 of 4)")
    );
    assert!(s.servers.ours_running().contains(&"web".to_owned()));
    // `d` acts on it (quitting would stop it too).
    assert!(!crate::app::server_intent::down(&mut s).is_empty());
    ev(&mut s, Event::Stopped { name: "web".into() }, 6);
    let web = s
        .servers
        .rows
        .iter()
        .find(|r| r.name == "web")
        .expect("web");
    assert_eq!(web.phase, Phase::Stopped);
    assert_eq!(web.last_error, None);
}

/// READY IN belongs to a run: gone once it stopped, and an adopted run shows its own
/// recorded time (none when unknown), never the previous run's.
#[test]
fn ready_in_is_the_shown_runs_own() {
    let mut s = state();
    start_both(&mut s);
    let ready = |s: &AppState| s.servers.rows[0].ready_after;
    assert_eq!(ready(&s), Some(Duration::from_millis(1200)));
    ev(&mut s, Event::Stopped { name: "api".into() }, 10);
    assert_eq!(ready(&s), None);
    // Started by another devtop (PID 300), recorded with its time to ready.
    let mut other = polled("api", 300, Some(true));
    other.ready_after = Some(Duration::from_millis(450));
    update(
        &mut s,
        Action::ServersPolled(ServersPoll {
            taken_at: Some(t(11)),
            running: vec![other],
            error: None,
        }),
    );
    assert_eq!(phase(&s, "api"), Phase::Adopted);
    assert_eq!(ready(&s), Some(Duration::from_millis(450)));
    // Adopted from a port's holder: no time to ready of its own.
    ev(
        &mut s,
        Event::Adopted {
            name: "api".into(),
            pid: 400,
        },
        12,
    );
    assert_eq!(ready(&s), None);
}
