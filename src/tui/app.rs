//! The event loop: keys, snapshots and effect results become actions; `update` changes the
//! state and returns commands; commands run here (the effects layer); the frame is redrawn only
//! when something changed. Generic over the backend and the event stream so a test can drive it.

use crate::collect::tasks::{self, ProcessControl};
use crate::collect::{cli_drift, databases, migrations_watch};
use crate::effects::prisma_diff::find_cli;
use crate::effects::signal;
use crate::model::database::DbSnapshot;
use crate::model::kill_plan::PlannedKill;
use crate::prisma::migrations_dir::MigrationsDir;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Setup};
use crate::tui::state::AppState;
use crate::tui::update::{Action, Command, LogScroll, update};
use crate::tui::{logging, terminal};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::{FutureExt, Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use std::io::IsTerminal;
use std::sync::Arc;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tui_logger::{TuiWidgetEvent, TuiWidgetState};

/// Open the TUI on `setup` and block until the user quits. Returns the exit code.
pub fn run(setup: Setup) -> i32 {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "devtop: the dashboard needs a terminal; for scripts use `devtop status [--json]`"
        );
        return EXIT_USAGE;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("devtop: cannot start the runtime: {e}");
            return EXIT_FAILURE;
        }
    };
    logging::init();
    let code = rt.block_on(async move {
        let mut term = match terminal::init() {
            Ok(t) => t,
            Err(e) => {
                eprintln!("devtop: cannot set up the terminal: {e}");
                return EXIT_FAILURE;
            }
        };
        let guard = terminal::RestoreGuard;
        let result = run_loop(&mut term, setup, EventStream::new()).await;
        drop(guard);
        match result {
            Ok(()) => EXIT_OK,
            Err(e) => {
                eprintln!("devtop: {e}");
                EXIT_FAILURE
            }
        }
    });
    // Never hang on quit: a kill still waiting out its grace or a stuck DNS lookup is
    // abandoned (the terminal is already restored).
    rt.shutdown_timeout(std::time::Duration::from_millis(300));
    code
}

/// The loop proper: runs the collectors for `setup` until quit, SIGTERM or SIGHUP.
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    setup: Setup,
    mut events: S,
) -> Result<(), String>
where
    B: Backend,
    S: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let cancel = CancellationToken::new();
    let _stop = cancel.clone().drop_guard();
    let mut c = tasks::spawn(
        setup.selection.clone(),
        setup.config.memory.clone(),
        setup.config.refresh,
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
        cli: cli_drift::spawn(
            find_cli(&setup.root),
            setup.prisma.schema_path.clone(),
            setup.prisma.url_env.clone(),
            setup.envs.clone(),
            local.clone(),
            cancel.clone(),
        ),
        local,
    };
    state.prisma = Arc::new(setup.prisma.clone());
    state.dbs = db.dbs.borrow_and_update().clone();
    state.local_migrations = db.local.borrow_and_update().clone();
    state.derive_databases();
    for note in &setup.prisma.notes {
        log::warn!("{note}");
    }
    let (atx, mut arx) = mpsc::unbounded_channel::<Action>();
    let mut sigterm = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut sighup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    let logs = TuiWidgetState::new();
    log::info!(
        "devtop started: project {} scope {}, refresh {:?}",
        setup.root.display(),
        state.scope.label(),
        setup.config.refresh
    );
    // The next input of any kind (key, snapshot, effect result, signal), as a future.
    macro_rules! next {
        () => {
            next_action(
                &mut events,
                &mut c,
                &mut db,
                &mut arx,
                &mut sigterm,
                &mut sighup,
            )
        };
    }
    let mut dirty = true;
    loop {
        if dirty {
            logging::pump();
            terminal
                .draw(|f| {
                    crate::ui::render(f, &state, &logs);
                })
                .map_err(|e| format!("cannot draw: {e}"))?;
            state.page = crate::ui::process_page_rows(terminal.get_frame().area());
            dirty = false;
        }
        if state.quit {
            break;
        }
        let mut next = Some(next!().await);
        while let Some(step) = next {
            match step {
                Step::Action(a) => {
                    let cmds = update(&mut state, a);
                    dirty = true;
                    for cmd in cmds {
                        execute(cmd, &state, &c.control, &atx, &logs);
                    }
                }
                Step::Redraw => dirty = true,
                Step::Ignore => {}
                Step::InputClosed => state.quit = true,
                Step::Closed => {
                    cancel.cancel();
                    return Err("a collector stopped unexpectedly (see the log above)".into());
                }
            }
            // Drain whatever is already queued, then draw once.
            next = next!().now_or_never();
        }
    }
    cancel.cancel();
    Ok(())
}

enum Step {
    Action(Action),
    Redraw,
    Ignore,
    /// The terminal's input ended (like SIGHUP): quit normally.
    InputClosed,
    /// A collector's channel closed: its task ended (it panicked).
    Closed,
}

/// Receivers of the database collectors.
struct DbFeeds {
    dbs: watch::Receiver<Arc<DbSnapshot>>,
    local: watch::Receiver<Arc<MigrationsDir>>,
    cli: watch::Receiver<Arc<cli_drift::CliDiffs>>,
}

async fn next_action<S>(
    events: &mut S,
    c: &mut tasks::Collectors,
    db: &mut DbFeeds,
    arx: &mut mpsc::UnboundedReceiver<Action>,
    sigterm: &mut tokio::signal::unix::Signal,
    sighup: &mut tokio::signal::unix::Signal,
) -> Step
where
    S: Stream<Item = std::io::Result<Event>> + Unpin,
{
    tokio::select! {
        ev = events.next() => match ev {
            Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => Step::Action(Action::Key(k)),
            Some(Ok(Event::Resize(..))) => Step::Redraw,
            Some(Ok(_)) => Step::Ignore,
            Some(Err(_)) | None => Step::InputClosed,
        },
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
        Ok(()) = db.cli.changed() => Step::Action(Action::CliDiffs(db.cli.borrow_and_update().clone())),
        Some(a) = arx.recv() => Step::Action(a),
        _ = sigterm.recv() => Step::Action(Action::Terminate),
        _ = sighup.recv() => Step::Action(Action::Terminate),
    }
}

/// Run one command. Kills run on the blocking pool; their outcome comes back as an action.
fn execute(
    cmd: Command,
    state: &AppState,
    control: &mpsc::UnboundedSender<ProcessControl>,
    atx: &mpsc::UnboundedSender<Action>,
    logs: &TuiWidgetState,
) {
    match cmd {
        Command::Kill(plan) => {
            for k in &plan {
                log::info!(
                    "PID {} ({} {}): SIGTERM — {}",
                    k.pid,
                    k.role.label(),
                    k.name,
                    k.reason
                );
            }
            let grace = state.grace;
            let tx = atx.clone();
            tokio::task::spawn_blocking(move || {
                let targets: Vec<_> = plan.iter().map(PlannedKill::target).collect();
                let outcomes = signal::kill_targets(&targets, grace);
                let _ = tx.send(Action::KillDone(plan, outcomes));
            });
        }
        Command::SetScope(s) => {
            let _ = control.send(ProcessControl::SetScope(s));
        }
        Command::Refresh => {
            let _ = control.send(ProcessControl::RefreshNow);
        }
        Command::LogScroll(dir) => logs.transition(match dir {
            LogScroll::Up => TuiWidgetEvent::PrevPageKey,
            LogScroll::Down => TuiWidgetEvent::NextPageKey,
            LogScroll::Follow => TuiWidgetEvent::EscapeKey,
        }),
        Command::Log(level, msg) => log::log!(level, "{msg}"),
    }
}
