//! `update(&mut AppState, Action) -> Vec<Command>`: the only place the app state changes.
//! Testable without a terminal: actions in, state and commands out.

use crate::app::confirm::who;
pub use crate::app::intent::{apply, move_by, scroll_kill_dialog};
use crate::app::intent::{fix_selection, resume, search_next};
use crate::app::keymap::{Context, Intent};
pub use crate::app::refresh::{REFRESH_STEPS, format_interval, step_refresh};
use crate::app::server_intent;
use crate::app::servers::{OpOutcome, ServerOp, ServersPoll};
use crate::app::state::{AppState, Focus, Popup, View};
use crate::effects::signal::KillOutcome;
use crate::model::database::DbSnapshot;
use crate::model::kill_plan::PlannedKill;
use crate::model::local_migrations::MigrationsDir;
use crate::model::snapshot::MemoryView;
use crate::model::snapshot::ProcessSnapshot;
use crate::model::tree::Scope;
use crossterm::event::{KeyCode, KeyEvent, MouseEvent};
use ratatui::layout::Rect;
use std::sync::Arc;
use std::time::Duration;

/// Something that happened: a key, a new snapshot, an effect's result.
#[derive(Debug, Clone)]
pub enum Action {
    /// A key press.
    Key(KeyEvent),
    /// The process collector published.
    Processes(Arc<ProcessSnapshot>),
    /// The memory collector published.
    Memory(Arc<MemoryView>),
    /// The database collector published.
    Databases(Arc<DbSnapshot>),
    /// The migrations folder was read again.
    LocalMigrations(Arc<MigrationsDir>),
    /// The project's Prisma CLI diffed the databases against the schema.
    CliDiffs(Arc<crate::model::cli_diff::CliDiffs>),
    /// A kill finished: outcome per PID, with the plan it came from.
    KillDone(Vec<PlannedKill>, Vec<(u32, KillOutcome)>),
    /// An ending signal to devtop itself (SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGUSR1), by number.
    Terminate(i32),
    /// The terminal's size in columns and rows (after a resize or a draw).
    Resize(u16, u16),
    /// A click or a wheel notch (only those reach the state, see [`crate::tui::mouse::wanted`]).
    Mouse(MouseEvent),
    /// A step of a server start or stop, and when it was seen.
    ServerEvent(Box<crate::effects::servers::Event>, std::time::SystemTime),
    /// A server operation ended.
    ServersDone(ServerOp, OpOutcome),
    /// The periodic look at `.devtop/state.json` and `/proc` (see [`crate::collect::servers_poll`]).
    ServersPolled(ServersPoll),
    /// New lines of the servers' logs.
    ServerLines(Vec<crate::collect::log_follow::ServerLine>),
    /// A server's port is taken: the supervisor waits for the user's decision.
    PortConflict(String, Box<crate::model::port_conflict::Conflict>),
    /// The guarded migrate reports (see [`crate::app::migrate`]).
    Migrate(crate::app::migrate::MigrateUpdate),
    /// The preflight runner reported (a tick, a check, the end of a run).
    Preflight(crate::app::preflight::PreflightEvent),
}

/// A request to the effects layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Signal these processes (children first).
    Kill(Vec<PlannedKill>),
    /// Switch the collector's scope.
    SetScope(Scope),
    /// Collect again now.
    Refresh,
    /// Scroll the log view.
    LogScroll(LogScroll),
    /// Collect every this often from now on.
    SetRefresh(Duration),
    /// Write a log line (shown in the Logs pane).
    Log(log::Level, String),
    /// Start, stop or restart dev servers (the executor's server worker).
    Servers(ServerOp),
    /// The answer to the port-conflict question.
    PortDecision(crate::model::port_conflict::PortDecision),
    /// The memory guard triggered: ring the terminal bell and, when `notify` and `notify-send`
    /// exists, send a desktop notification.
    Alert {
        /// Notification title.
        summary: String,
        /// Notification text.
        body: String,
        /// Send the desktop notification.
        notify: bool,
    },
    /// Guarded migrate of this environment: refusals and preflight, then the run when the
    /// gate passes (a warning waits for [`Command::MigrateRun`]).
    Migrate(String),
    /// Run the prepared migrate of this environment despite the gate's warnings.
    MigrateRun(String),
    /// End the running migrate's process group.
    MigrateEnd,
    /// Run the preflight (run number).
    Preflight(crate::effects::preflight::Request, u64),
    /// Append these post-mortems to `.devtop/deaths.json` (off the runtime thread, in order).
    RecordDeaths(Vec<crate::model::deaths::Death>),
}

/// Log pane scrolling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogScroll {
    /// Back in history.
    Up,
    /// Forward.
    Down,
    /// Back to following new lines.
    Follow,
}

/// The key context of `state`: a line being typed (search, filter, an environment's name), a
/// confirmation dialog, the migrate choice, another popup, or the main screen.
pub fn context(state: &AppState) -> Context {
    if state.search_editing {
        return Context::Search;
    }
    if state.filter_editing {
        return Context::Filter;
    }
    match &state.popup {
        Some(Popup::Confirm(_)) => Context::Confirm,
        Some(Popup::Migrate(pick)) if pick.typed.is_some() => Context::MigrateName,
        Some(Popup::Migrate(_)) => Context::Migrate,
        Some(_) => Context::Popup,
        None => Context::Main,
    }
}

/// Apply one action.
pub fn update(state: &mut AppState, action: Action) -> Vec<Command> {
    let moves_list = matches!(
        action,
        Action::Key(_) | Action::Mouse(_) | Action::Processes(_) | Action::Resize(..)
    );
    let cmds = apply_action(state, action);
    if moves_list {
        follow_selection(state);
    }
    cmds
}

/// Keep each list's first row where it was unless its selection left the view (the process
/// list, the server table), and the scrolled panes within what there is to scroll (the
/// Databases table, the preflight checks), so the next key moves them at once.
fn follow_selection(state: &mut AppState) {
    let rows = state.rows();
    let area = crate::ui::panes::processes_area(state);
    state.list_offset = crate::ui::process_window(state, &rows, area);
    let pane = |state: &AppState, f| crate::ui::panes::pane_area(state, f);
    match state.view {
        View::Servers => {
            let area = pane(state, Focus::Servers);
            state.servers.offset = crate::ui::servers::window(state, area).0;
        }
        View::Databases => {
            let area = pane(state, Focus::Health);
            state.health_offset = crate::ui::health::window(state, area).0;
        }
        View::Preflight => {
            let area = pane(state, Focus::Preflight);
            state.preflight.scroll = crate::ui::preflight::window(state, area).0;
        }
        View::Processes => {}
    }
}

fn apply_action(state: &mut AppState, action: Action) -> Vec<Command> {
    match action {
        Action::Processes(snap) => on_processes(state, snap),
        Action::Memory(m) => {
            state.memory = m;
            return crate::app::guard_update::observe(state);
        }
        Action::Databases(d) => {
            state.dbs = d;
            state.derive_databases();
        }
        Action::LocalMigrations(m) => {
            state.local_migrations = m;
            state.derive_databases();
        }
        Action::CliDiffs(d) => {
            state.cli_diffs = d;
            state.derive_databases();
        }
        Action::KillDone(plan, outcomes) => return kill_done(state, &plan, outcomes),
        Action::Migrate(u) => return crate::app::migrate::update(state, u),
        Action::Terminate(n) => {
            state.quit = true;
            state.ended_by = Some(n);
        }
        Action::Resize(w, h) => {
            state.screen = Rect::new(0, 0, w, h);
            state.page = crate::ui::process_page_rows(state.screen);
        }
        Action::Key(key) => return on_key(state, key),
        Action::ServerEvent(event, at) => return server_intent::on_event(state, *event, at),
        Action::ServersDone(op, outcome) => return server_intent::on_done(state, op, outcome),
        Action::ServersPolled(poll) => server_intent::on_poll(state, poll),
        Action::ServerLines(lines) => server_intent::on_lines(state, lines),
        Action::PortConflict(name, conflict) => {
            return server_intent::on_port_conflict(state, name, conflict);
        }
        Action::Preflight(ev) => crate::app::preflight::on_event(state, ev),
        Action::Mouse(ev) => {
            if !state.mouse || too_small(state) || state.filter_editing || state.search_editing {
                return vec![];
            }
            if let Some(intent) = crate::app::mouse::resolve(state, ev) {
                return crate::app::mouse::apply(state, intent);
            }
        }
    }
    vec![]
}

/// A new process snapshot: held while paused, else shown (a details popup of a PID that is
/// gone closes with a notice).
fn on_processes(state: &mut AppState, snap: Arc<ProcessSnapshot>) {
    if state.paused {
        state.held = Some(snap);
        return;
    }
    state.procs = snap;
    fix_selection(state);
    if let Some(Popup::Details(pid)) = state.popup
        && state.procs.get(pid).is_none()
    {
        state.popup = None;
        state.notify(format!("PID {pid} is gone"));
    }
}

/// A kill finished: the notice counts what ended, one log line per PID, and collect again.
fn kill_done(
    state: &mut AppState,
    plan: &[PlannedKill],
    outcomes: Vec<(u32, KillOutcome)>,
) -> Vec<Command> {
    state.killing = state.killing.saturating_sub(1);
    let guard_lines = crate::app::guard_update::kill_done(state, plan, &outcomes);
    // Show the list after the kill: a frozen list would still show what was killed.
    resume(state);
    let ended = outcomes.iter().filter(|(_, o)| o.ended()).count();
    let text = format!("kill: {ended} of {} ended (see Logs)", outcomes.len());
    if ended == outcomes.len() {
        state.notify(text);
    } else {
        state.warn(text);
    }
    let mut cmds: Vec<Command> = outcomes
        .into_iter()
        .map(|(pid, o)| {
            let label = plan
                .iter()
                .find(|k| k.pid == pid)
                .map(|k| who(k.role, &k.name))
                .unwrap_or_default();
            let level = if o.ended() {
                log::Level::Info
            } else {
                log::Level::Warn
            };
            Command::Log(level, format!("PID {pid} ({label}): {o}"))
        })
        .collect();
    cmds.extend(guard_lines);
    cmds.push(Command::Refresh);
    cmds
}

/// True when the terminal is below the minimum size: the screen shows only a notice, so keys
/// other than quit must not act on panes nobody sees.
pub fn too_small(state: &AppState) -> bool {
    state.screen.width < crate::ui::MIN_WIDTH || state.screen.height < crate::ui::MIN_HEIGHT
}

fn on_key(state: &mut AppState, key: KeyEvent) -> Vec<Command> {
    if too_small(state) {
        if state.keys.resolve(key, Context::Main) == Some(Intent::Quit) {
            state.quit = true;
        }
        return vec![];
    }
    let ctx = context(state);
    let mut intent = state.keys.resolve(key, ctx);
    match ctx {
        // Ctrl-C while typing or choosing: stop typing (what was typed is kept, as Enter
        // does), then the quit action's flow with its questions (servers of this devtop
        // running, a migrate running), as on the main screen.
        Context::Search | Context::Filter | Context::Migrate | Context::MigrateName
            if intent == Some(Intent::Quit) =>
        {
            state.search_editing = false;
            state.filter_editing = false;
            return apply(state, Intent::Quit);
        }
        Context::Search => {
            search_key(state, intent, key.code);
            return vec![];
        }
        Context::Filter => {
            filter_key(state, intent, key.code);
            return vec![];
        }
        Context::Migrate | Context::MigrateName => {
            return crate::app::migrate::key(state, intent, key.code);
        }
        Context::Main | Context::Confirm | Context::Popup => {}
    }
    if intent.is_none() {
        intent = popup_key(state, key);
    }
    let Some(intent) = intent else {
        return vec![];
    };
    apply(state, intent)
}

/// A key the popup's own keys do not bind: the server log popup and the help scroll with the
/// main screen's movement keys (rebound ones too), and the help key closes the help.
fn popup_key(state: &AppState, key: KeyEvent) -> Option<Intent> {
    let scrolls = matches!(
        state.popup,
        Some(Popup::ServerDetails { .. } | Popup::Help { .. })
    );
    match state.keys.resolve(key, Context::Main)? {
        Intent::Help if matches!(state.popup, Some(Popup::Help { .. })) => Some(Intent::Cancel),
        i @ (Intent::Up
        | Intent::Down
        | Intent::PageUp
        | Intent::PageDown
        | Intent::Home
        | Intent::End)
            if scrolls =>
        {
            Some(i)
        }
        _ => None,
    }
}

/// A key while typing the search (F3): the search context's keys (next, keep, clear), else a
/// character of the search.
fn search_key(state: &mut AppState, intent: Option<Intent>, code: KeyCode) {
    match (intent, code) {
        (Some(Intent::Search), _) => search_next(state, true),
        (Some(Intent::Confirm), _) => state.search_editing = false,
        (Some(Intent::Cancel), _) => {
            state.search.clear();
            state.search_editing = false;
        }
        (None, KeyCode::Char(c)) => {
            state.search.push(c);
            search_next(state, false);
        }
        (None, KeyCode::Backspace) => {
            state.search.pop();
            search_next(state, false);
        }
        _ => {}
    }
}

/// A key while typing the filter (`/`): keep or clear, else a character of the filter.
fn filter_key(state: &mut AppState, intent: Option<Intent>, code: KeyCode) {
    match (intent, code) {
        (Some(Intent::Confirm), _) => state.filter_editing = false,
        (Some(Intent::Cancel), _) => {
            state.filter.clear();
            state.filter_editing = false;
        }
        (None, KeyCode::Char(c)) => state.filter.push(c),
        (None, KeyCode::Backspace) => {
            state.filter.pop();
        }
        _ => {}
    }
    fix_selection(state);
}

#[cfg(test)]
mod key_names_tests;
#[cfg(test)]
mod quit_tests;
#[cfg(test)]
mod tests;
