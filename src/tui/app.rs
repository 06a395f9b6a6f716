//! The event loop: keys, snapshots, effect results and signals become actions; `update` changes
//! the state and returns commands; commands run here (the effects layer); the frame is redrawn
//! only when something changed, at most once per frame. Every input is awaited in one
//! `tokio::select!` — never polled with `now_or_never()` — so a key redraws within a frame
//! whatever the refresh interval. Generic over the backend and the event stream so a test
//! drives the real loop.

use crate::app::executor::Executor;
use crate::app::keys::KeyMap;
use crate::app::server_worker::{ServerProject, ServerWorker};
use crate::app::state::AppState;
use crate::app::update::{Action, Command, LogScroll, update};
use crate::collect::log_follow::ServerLine;
use crate::collect::tasks;
use crate::collect::{databases, migrations_watch};
use crate::effects::prisma_diff::{self, DiffTarget};
use crate::effects::signal;
use crate::model::database::DbSnapshot;
use crate::model::local_migrations::MigrationsDir;
use crate::model::servers_poll::ServersPoll;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Setup};
use crate::tui::input::{self, Input};
use crate::tui::signals::{self, Received, Signals};
use crate::tui::{logging, terminal};
use crossterm::event::{Event, KeyEventKind};
use futures::{FutureExt, Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tui_logger::{TuiWidgetEvent, TuiWidgetState};

/// Frame interval: at most one draw per frame, and only when something changed.
pub const FRAME: Duration = Duration::from_millis(16);

/// How the loop ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// `q`, Ctrl-C or F10.
    Quit,
    /// An ending signal from outside (SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1), by number.
    Signal(i32),
    /// The terminal went away (hang-up, end of input, a failed write): the reason.
    TerminalGone(String),
}

impl Ending {
    /// Exit code: 0 for quit, 128 + n for signal n, 129 (as SIGHUP) for a terminal gone.
    pub fn exit_code(&self) -> i32 {
        match self {
            Ending::Quit => EXIT_OK,
            Ending::Signal(n) => signals::exit_code(*n),
            Ending::TerminalGone(_) => signals::exit_code(rustix::process::Signal::HUP.as_raw()),
        }
    }
}

/// Open the TUI on `setup` and run it until it ends (quit, signal, terminal gone). Returns
/// the exit code; the terminal is restored on every path. Runs on the one runtime `main`
/// starts (which abandons leftover work — a kill still in its grace, a stuck DNS lookup —
/// after a short timeout once this returns).
pub async fn run(setup: Setup) -> i32 {
    run_with(async { Ok(setup) }).await
}

/// Like [`run`], with the setup made by `prepare` once the ending signals are caught: a
/// SIGINT or SIGTERM while `prepare` runs (the demo starting its processes, say) ends devtop
/// right after it, through the same path as any other ending, so the caller can clean up.
/// `prepare` yields the setup, or a message and an exit code.
pub async fn run_with(prepare: impl Future<Output = Result<Setup, (String, i32)>>) -> i32 {
    if !std::io::stdout().is_terminal() {
        crate::headless::out::error(
            "the dashboard needs a terminal; for scripts use `devtop status [--json]`",
        );
        return EXIT_USAGE;
    }
    logging::init();
    // Signals first: from here on SIGINT and friends end the loop instead of the process.
    let mut sigs = match Signals::new() {
        Ok(s) => s,
        Err(e) => {
            crate::headless::out::error(&format!("cannot install signal handlers: {e}"));
            return EXIT_FAILURE;
        }
    };
    let setup = match prepare.await {
        Ok(s) => s,
        Err((msg, code)) => {
            crate::headless::out::error(&msg);
            return code;
        }
    };
    // Let the signal driver run once, so a signal that came while `prepare` ran is seen.
    tokio::task::yield_now().await;
    if let Some(Received::End(n)) = sigs.recv().now_or_never() {
        return signals::exit_code(n);
    }
    let input = match input::spawn() {
        Ok(i) => i,
        Err(e) => {
            crate::headless::out::error(&format!("cannot read the terminal: {e}"));
            return EXIT_USAGE;
        }
    };
    let mut term = match terminal::init(setup.config.mouse) {
        Ok(t) => t,
        Err(e) => {
            crate::headless::out::error(&format!("cannot set up the terminal: {e}"));
            return EXIT_FAILURE;
        }
    };
    let guard = terminal::RestoreGuard;
    let result = run_loop(&mut term, setup, input, Some(sigs)).await;
    drop(guard);
    // ratatui's `Terminal` shows the cursor on drop and `eprintln!`s when that fails — on
    // a terminal that is gone that write fails too and the process would panic (exit
    // 101). The cursor was shown by the restore above; the terminal is not dropped.
    std::mem::forget(term);
    match result {
        Ok(ending) => ending.exit_code(),
        Err(e) => {
            // Not `eprintln!`: it panics when stderr is a terminal that is gone.
            let _ = writeln!(std::io::stderr(), "devtop: {e}");
            EXIT_FAILURE
        }
    }
}

/// The loop proper: runs the collectors for `setup` until quit, an ending signal (when
/// `signals` is given) or the end of `events`. Each input is awaited in one `select!` (events,
/// snapshots, effect results, signals, the frame deadline); the screen is drawn when something
/// changed, at most once per [`FRAME`]. Errors when a collector stops unexpectedly.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    setup: Setup,
    mut events: S,
    mut signals: Option<Signals>,
) -> Result<Ending, String>
where
    B: Backend,
    S: Stream<Item = Input> + Unpin,
{
    let cancel = CancellationToken::new();
    let _stop = cancel.clone().drop_guard();
    // The memory guard's readings (the servers devtop started, the kernel's OOM kills) are
    // read by the memory collector beside each memory reading, off the loop.
    let oom = crate::collect::oom::OomWatch::system();
    let kmsg_error = oom.kmsg_error.clone();
    let (mut c, mut db, mut state) = start(&setup, oom, &cancel).await?;
    for note in &setup.prisma.notes {
        log::warn!("{note}");
    }
    let (atx, mut arx) = mpsc::unbounded_channel::<Action>();
    let mut servers = start_servers(&setup, &cancel);
    let executor = Executor {
        control: c.control.clone(),
        results: atx.clone(),
        grace: state.grace,
        servers: server_worker(&setup, atx),
        migrate: Some(crate::app::executor::MigrateRunner::new(
            std::sync::Arc::new(setup.clone()),
        )),
        setup: Some(Arc::new(setup.clone())),
        drift: Some(db.cli.clone()),
        deaths: Some(crate::app::executor::deaths_writer(setup.root.clone())),
    };
    let logs = TuiWidgetState::new();
    log::info!(
        "devtop started: project {} scope {}, refresh {:?}",
        setup.root.display(),
        state.scope.label(),
        setup.config.refresh
    );
    if let Some(why) = kmsg_error {
        log::info!(
            "kernel log not readable ({why}): OOM kills are told from the cgroup counter only"
        );
    }
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut gone: Option<String> = None;
    while !state.quit {
        let deadline = last_draw.map_or_else(Instant::now, |t| t + FRAME);
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(deadline.into()), if dirty => {
                logging::pump();
                let drawn = terminal.draw(|f| crate::ui::render(f, &state, &logs));
                if let Err(e) = drawn {
                    // The terminal is gone (EIO) or refuses output: end like a hang-up.
                    gone = Some(format!("cannot draw: {e}"));
                    break;
                }
                let area = terminal.get_frame().area();
                update(&mut state, Action::Resize(area.width, area.height));
                last_draw = Some(Instant::now());
                dirty = false;
            }
            step = next_step(&mut events, &mut c, &mut db, &mut arx, &mut servers, signals.as_mut()) => match step {
                Step::Action(a) => {
                    for cmd in update(&mut state, a) {
                        if let Some(Command::LogScroll(dir)) = executor.execute(cmd) {
                            scroll_logs(&logs, dir);
                        }
                    }
                    dirty = true;
                }
                Step::Redraw => dirty = true,
                Step::Ignore => {}
                Step::InputClosed(why) => {
                    gone = Some(why);
                    break;
                }
                Step::Closed => {
                    cancel.cancel();
                    return Err("a collector stopped unexpectedly (see the log above)".into());
                }
            },
        }
    }
    super::exit::finish_migrate(&mut state, &executor, &mut arx).await;
    super::exit::stop_ours(&mut state, &executor, &mut arx).await;
    cancel.cancel();
    Ok(match (gone, state.ended_by) {
        (Some(why), _) => Ending::TerminalGone(why),
        (None, Some(n)) => Ending::Signal(n),
        (None, None) => Ending::Quit,
    })
}

/// Start the collectors for `setup` (stopped by `cancel`; the memory collector also reads
/// `oom` and the servers devtop started for the guard) and build the first state from their
/// first values and the setup (protected PIDs, colour, refresh, mouse, keys, Prisma files).
/// Errors when the process collector cannot start.
async fn start(
    setup: &Setup,
    oom: crate::collect::oom::OomWatch,
    cancel: &CancellationToken,
) -> Result<(tasks::Collectors, DbFeeds, AppState), String> {
    let c = tasks::spawn_with(
        setup.selection.clone(),
        setup.config.memory.clone(),
        setup.config.refresh,
        Some(tasks::GuardFeed::new(setup.root.clone(), oom)),
        cancel.clone(),
    )
    .map_err(|e| format!("cannot read processes: {e}"))?;
    let mut state = AppState::new(
        c.processes.borrow().clone(),
        c.memory.borrow().clone(),
        setup.config.grace,
    );
    let local = migrations_watch::spawn(setup.prisma.migrations_dir.clone(), cancel.clone()).await;
    let mut db = DbFeeds {
        dbs: databases::spawn(setup.envs.clone(), setup.config.db_interval, cancel.clone()),
        // The session's one Prisma CLI gate, shared with preflight and the guarded migrate.
        cli: prisma_diff::spawn(
            setup.cli_gate.clone(),
            DiffTarget::for_project(&setup.root, &setup.prisma),
            setup.envs.clone(),
            local.clone(),
            cancel.clone(),
        ),
        local,
    };
    state.protected = signal::protected();
    state.guard = crate::app::guard::GuardState::new(setup.config.guard.clone());
    state.no_color = crate::ui::theme::no_color_env() || setup.config.no_color;
    state.refresh = setup.config.refresh;
    state.mouse = setup.config.mouse;
    // Checked when the config was read; the defaults stand in should that ever disagree.
    state.keys = match KeyMap::with_overrides(&setup.config.keys) {
        Ok(k) => Arc::new(k),
        Err(e) => {
            log::warn!("{}", e.message);
            Arc::new(KeyMap::default())
        }
    };
    state.prisma = Arc::new(setup.prisma.clone());
    state.servers =
        crate::app::servers::Servers::new(&setup.config.servers, setup.config.server_log_lines);
    state.keep_servers = setup.keep_servers;
    state.preflight.targets = setup.envs.iter().map(|e| e.name.clone()).collect();
    state.dbs = db.dbs.borrow_and_update().clone();
    state.local_migrations = db.local.borrow_and_update().clone();
    state.derive_databases();
    Ok((c, db, state))
}

enum Step {
    Action(Action),
    Redraw,
    Ignore,
    /// The terminal's input ended (hang-up, end of file, read error): the reason.
    InputClosed(String),
    /// A collector's channel closed: its task ended (it panicked).
    Closed,
}

/// Receivers of the database collectors.
struct DbFeeds {
    dbs: watch::Receiver<Arc<DbSnapshot>>,
    local: watch::Receiver<Arc<MigrationsDir>>,
    cli: watch::Receiver<Arc<crate::model::cli_diff::DiffRound>>,
}

/// Receivers of the server collectors (with `[[server]]`s configured).
struct ServerFeeds {
    /// Batches of new log lines.
    lines: mpsc::Receiver<Vec<ServerLine>>,
    /// The latest poll of `.devtop/state.json` and `/proc` (`None`: no server configured).
    polls: Option<watch::Receiver<Arc<ServersPoll>>>,
}

/// The next poll of the servers; never when none are configured; `None` once the poller
/// stopped.
async fn next_poll(polls: Option<&mut watch::Receiver<Arc<ServersPoll>>>) -> Option<ServersPoll> {
    match polls {
        Some(rx) => match rx.changed().await {
            Ok(()) => Some(ServersPoll::clone(&rx.borrow_and_update())),
            Err(_) => None,
        },
        None => std::future::pending().await,
    }
}

/// The next signal, or never when there are no listeners (tests).
async fn next_signal(signals: Option<&mut Signals>) -> Received {
    match signals {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

/// A terminal event as a step of the loop.
fn event_step(ev: Option<Input>) -> Step {
    match ev {
        Some(Input::Event(Event::Key(k))) if k.kind == KeyEventKind::Press => {
            Step::Action(Action::Key(k))
        }
        Some(Input::Event(Event::Resize(w, h))) => Step::Action(Action::Resize(w, h)),
        Some(Input::Event(Event::Mouse(m))) if crate::tui::mouse::wanted(&m) => {
            Step::Action(Action::Mouse(m))
        }
        Some(Input::Event(_)) => Step::Ignore,
        Some(Input::Closed(why)) => Step::InputClosed(why),
        None => Step::InputClosed("the terminal's input ended".into()),
    }
}

async fn next_step<S>(
    events: &mut S,
    c: &mut tasks::Collectors,
    db: &mut DbFeeds,
    arx: &mut mpsc::UnboundedReceiver<Action>,
    servers: &mut ServerFeeds,
    signals: Option<&mut Signals>,
) -> Step
where
    S: Stream<Item = Input> + Unpin,
{
    tokio::select! {
        ev = events.next() => event_step(ev),
        r = c.processes.changed() => match r {
            Ok(()) => Step::Action(Action::Processes(c.processes.borrow_and_update().clone())),
            Err(_) => Step::Closed,
        },
        r = c.memory.changed() => match r {
            Ok(()) => Step::Action(Action::Memory(c.memory.borrow_and_update().clone())),
            Err(_) => Step::Closed,
        },
        Ok(()) = db.dbs.changed() => Step::Action(Action::Databases(db.dbs.borrow_and_update().clone())),
        Ok(()) = db.local.changed() => Step::Action(Action::LocalMigrations(db.local.borrow_and_update().clone())),
        Ok(()) = db.cli.changed() => Step::Action(Action::CliDiffs(db.cli.borrow_and_update().diffs.clone())),
        Some(a) = arx.recv() => Step::Action(a),
        Some(lines) = servers.lines.recv() => Step::Action(Action::ServerLines(lines)),
        Some(p) = next_poll(servers.polls.as_mut()) => Step::Action(Action::ServersPolled(p)),
        sig = next_signal(signals) => match sig {
            Received::End(n) => Step::Action(Action::Terminate(n)),
            Received::Resize => match crossterm::terminal::size() {
                Ok((w, h)) => Step::Action(Action::Resize(w, h)),
                Err(_) => Step::Redraw,
            },
        },
    }
}

/// Batches of server output buffered between the log follower and the loop (each at most
/// `server_log_lines` + 1 lines per server; the follower waits when they are not taken, and
/// then skips and counts what piled up in the files).
const SERVER_LINE_BATCHES: usize = 4;

/// With `[[server]]`s configured: the poll of `.devtop/state.json` and `/proc` every refresh
/// interval ([`crate::collect::servers_poll`]) and the follower of their log files. Both stop
/// with `cancel`.
fn start_servers(setup: &Setup, cancel: &CancellationToken) -> ServerFeeds {
    let (tx, lines) = mpsc::channel(SERVER_LINE_BATCHES);
    let specs = &setup.config.servers;
    if specs.is_empty() {
        return ServerFeeds { lines, polls: None };
    }
    let files = specs
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                crate::effects::servers::spawn::log_path(&setup.root, &s.name),
            )
        })
        .collect();
    crate::collect::server_logs::spawn(files, setup.config.server_log_lines, tx, cancel.clone());
    let polls = crate::collect::servers_poll::spawn(
        setup.root.clone(),
        setup.config.refresh,
        cancel.clone(),
    );
    ServerFeeds {
        lines,
        polls: Some(polls),
    }
}

/// The server supervisor's worker, when servers are configured (a failure to start it is
/// logged: `u` then says no server can be started).
fn server_worker(setup: &Setup, results: mpsc::UnboundedSender<Action>) -> Option<ServerWorker> {
    if setup.config.servers.is_empty() {
        return None;
    }
    let project = ServerProject::new(
        setup.root.clone(),
        setup.config.servers.clone(),
        setup.envs.clone(),
        setup.prisma.migrations_dir.clone(),
    );
    match ServerWorker::spawn(project, results) {
        Ok(w) => Some(w),
        Err(e) => {
            log::error!("cannot start the server supervisor: {e}");
            None
        }
    }
}

/// Scroll the Logs pane (the one command the terminal face applies itself).
fn scroll_logs(logs: &TuiWidgetState, dir: LogScroll) {
    logs.transition(match dir {
        LogScroll::Up => TuiWidgetEvent::PrevPageKey,
        LogScroll::Down => TuiWidgetEvent::NextPageKey,
        LogScroll::Follow => TuiWidgetEvent::EscapeKey,
    });
}
