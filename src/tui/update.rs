//! `update(&mut AppState, Action) -> Vec<Command>`: the only place the app state changes.
//! Testable without a terminal: actions in, state and commands out.

use crate::collect::tasks::MemoryView;
use crate::effects::signal::KillOutcome;
use crate::model::database::DbSnapshot;
use crate::model::kill_plan::{self, PlannedKill};
use crate::model::local_migrations::MigrationsDir;
use crate::model::snapshot::ProcessSnapshot;
use crate::model::tree::{Scope, SortKey};
use crate::tui::keymap::{Context, Intent, resolve};
pub use crate::tui::refresh::{REFRESH_STEPS, format_interval, step_refresh};
use crate::tui::state::{AppState, Focus, Popup, View};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};
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

/// The key context of `state`: a confirmation dialog, another popup, or the main screen.
pub fn context(state: &AppState) -> Context {
    match state.popup {
        Some(Popup::ConfirmKill { .. }) => Context::Confirm,
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

/// Keep the process list's first row where it was unless the selection left the view.
fn follow_selection(state: &mut AppState) {
    let rows = state.rows();
    let area = crate::ui::areas(state.screen, state.focus).processes;
    state.list_offset = crate::ui::process_window(state, &rows, area);
}

fn apply_action(state: &mut AppState, action: Action) -> Vec<Command> {
    match action {
        Action::Processes(snap) if state.paused => {
            state.held = Some(snap);
            vec![]
        }
        Action::Processes(snap) => {
            state.procs = snap;
            fix_selection(state);
            if let Some(Popup::Details(pid)) = state.popup
                && state.procs.get(pid).is_none()
            {
                state.popup = None;
                state.status = Some(format!("PID {pid} is gone"));
            }
            vec![]
        }
        Action::Memory(m) => {
            state.memory = m;
            vec![]
        }
        Action::Databases(d) => {
            state.dbs = d;
            state.derive_databases();
            vec![]
        }
        Action::LocalMigrations(m) => {
            state.local_migrations = m;
            state.derive_databases();
            vec![]
        }
        Action::CliDiffs(d) => {
            state.cli_diffs = d;
            state.derive_databases();
            vec![]
        }
        Action::KillDone(plan, outcomes) => {
            state.killing = state.killing.saturating_sub(1);
            // Show the list after the kill: a frozen list would still show what was killed.
            resume(state);
            let ended = outcomes.iter().filter(|(_, o)| o.ended()).count();
            state.status = Some(format!(
                "kill: {ended} of {} ended (see Logs)",
                outcomes.len()
            ));
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
            cmds.push(Command::Refresh);
            cmds
        }
        Action::Terminate(n) => {
            state.quit = true;
            state.ended_by = Some(n);
            vec![]
        }
        Action::Resize(w, h) => {
            state.screen = Rect::new(0, 0, w, h);
            state.page = crate::ui::process_page_rows(state.screen);
            vec![]
        }
        Action::Key(key) => on_key(state, key),
        Action::Mouse(ev) => {
            if !state.mouse || too_small(state) || state.filter_editing || state.search_editing {
                return vec![];
            }
            match crate::tui::mouse::resolve(state, ev) {
                Some(intent) => crate::tui::mouse::apply(state, intent),
                None => vec![],
            }
        }
    }
}

/// True when the terminal is below the minimum size: the screen shows only a notice, so keys
/// other than quit must not act on panes nobody sees.
pub fn too_small(state: &AppState) -> bool {
    state.screen.width < crate::ui::MIN_WIDTH || state.screen.height < crate::ui::MIN_HEIGHT
}

fn on_key(state: &mut AppState, key: KeyEvent) -> Vec<Command> {
    if too_small(state) {
        if resolve(key, Context::Main) == Some(Intent::Quit) {
            state.quit = true;
        }
        return vec![];
    }
    if state.search_editing {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            state.quit = true;
            return vec![];
        }
        match key.code {
            KeyCode::Char(c) => {
                state.search.push(c);
                search_next(state, false);
            }
            KeyCode::Backspace => {
                state.search.pop();
                search_next(state, false);
            }
            KeyCode::F(3) => search_next(state, true),
            KeyCode::Enter => state.search_editing = false,
            KeyCode::Esc => {
                state.search.clear();
                state.search_editing = false;
            }
            _ => {}
        }
        return vec![];
    }
    if state.filter_editing {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            state.quit = true;
            return vec![];
        }
        match key.code {
            KeyCode::Char(c) => state.filter.push(c),
            KeyCode::Backspace => {
                state.filter.pop();
            }
            KeyCode::Enter => state.filter_editing = false,
            KeyCode::Esc => {
                state.filter.clear();
                state.filter_editing = false;
            }
            _ => {}
        }
        fix_selection(state);
        return vec![];
    }
    let Some(intent) = resolve(key, context(state)) else {
        return vec![];
    };
    apply(state, intent)
}

/// Apply a resolved intent.
pub fn apply(state: &mut AppState, intent: Intent) -> Vec<Command> {
    match intent {
        Intent::Quit => state.quit = true,
        Intent::Help => state.popup = Some(Popup::Help),
        Intent::Cancel => {
            if state.popup.is_some() {
                state.popup = None;
            } else if !state.filter.is_empty() {
                state.filter.clear();
                fix_selection(state);
            } else if state.focus == Focus::Logs {
                return vec![Command::LogScroll(LogScroll::Follow)];
            }
        }
        Intent::ViewProcesses => {
            state.view = View::Processes;
            state.focus = Focus::Processes;
        }
        Intent::ViewDatabases => {
            state.view = View::Databases;
            state.focus = Focus::Health;
        }
        Intent::Up | Intent::Down | Intent::PageUp | Intent::PageDown
            if matches!(state.popup, Some(Popup::ConfirmKill { .. })) =>
        {
            let page = kill_dialog_page(state) as isize;
            let step = match intent {
                Intent::Up => -1,
                Intent::Down => 1,
                Intent::PageUp => -page,
                _ => page,
            };
            scroll_kill_dialog(state, step);
        }
        Intent::Up | Intent::Down | Intent::PageUp | Intent::PageDown
            if state.focus == Focus::Migrations
                || (state.view == View::Databases && state.focus == Focus::Health) =>
        {
            let step: isize = match intent {
                Intent::Up => -1,
                Intent::Down => 1,
                Intent::PageUp => -(state.page.max(1) as isize),
                _ => state.page.max(1) as isize,
            };
            let max = state.matrix.len().saturating_sub(1) as isize;
            state.matrix_offset =
                (state.matrix_offset as isize + step).clamp(0, max.max(0)) as usize;
        }
        Intent::Up | Intent::Down if state.focus == Focus::Logs => {
            let dir = if intent == Intent::Up {
                LogScroll::Up
            } else {
                LogScroll::Down
            };
            return vec![Command::LogScroll(dir)];
        }
        Intent::Up => move_by(state, -1),
        Intent::Down => move_by(state, 1),
        Intent::PageUp => move_by(state, -(state.page.max(1) as isize)),
        Intent::PageDown => move_by(state, state.page.max(1) as isize),
        Intent::Home => move_by(state, isize::MIN / 2),
        Intent::End => move_by(state, isize::MAX / 2),
        Intent::KillSelected | Intent::Details if state.view != View::Processes => {
            // The selection lives on screen 1; acting on it from another screen would act
            // on a process nobody sees.
            state.status = Some("x and Enter act on the process list: press 1 first".into());
        }
        Intent::Details => {
            if let Some(pid) = state.selected_process().map(|p| p.pid) {
                state.popup = Some(Popup::Details(pid));
            }
        }
        Intent::Filter => state.filter_editing = true,
        Intent::Search => {
            state.search_editing = true;
            if !state.search.is_empty() {
                search_next(state, true);
            }
        }
        Intent::SortCpu => state.sort = SortKey::Cpu,
        Intent::SortRss => state.sort = SortKey::Rss,
        Intent::SortAge => state.sort = SortKey::Age,
        Intent::SortNext => state.sort = state.sort.next(),
        Intent::ToggleTree => state.tree = !state.tree,
        Intent::FocusNext => state.focus = state.focus.next(state.view),
        Intent::ToggleScope => {
            state.scope = state.scope.toggled();
            state.status = Some(format!("scope: {}", state.scope.label()));
            return vec![Command::SetScope(state.scope)];
        }
        Intent::KillSelected => {
            let Some(p) = state.selected_process() else {
                state.status = Some("nothing selected".into());
                return vec![];
            };
            let root = kill_plan::selected_root(&state.procs, p.pid);
            let target = root.pid;
            let plan = kill_plan::build(&state.procs, &state.protected, &[root]);
            let title = match plan.kills.len() {
                0 => format!("PID {target} cannot be killed"),
                1 => format!("Kill PID {target}?"),
                n => format!("Kill PID {target} and {} descendant(s)?", n - 1),
            };
            state.popup = Some(Popup::ConfirmKill {
                title,
                plan,
                scroll: 0,
            });
        }
        Intent::KillSuspects => {
            let plan = kill_plan::for_suspects(&state.procs, &state.protected);
            if plan.is_empty() {
                state.status = Some("no suspects to kill".into());
                return vec![];
            }
            let n = crate::model::suspects::hard_count(&state.procs.suspects);
            let title = if plan.kills.is_empty() {
                format!("{n} suspect(s), none can be killed")
            } else {
                format!("Kill {n} suspect(s) ({} processes)?", plan.kills.len())
            };
            state.popup = Some(Popup::ConfirmKill {
                title,
                plan,
                scroll: 0,
            });
        }
        Intent::Pause => {
            if state.paused {
                resume(state);
                state.status = Some("resumed".into());
            } else {
                state.paused = true;
                state.status = Some("paused: the list stays as it is (z resumes)".into());
            }
        }
        Intent::Faster | Intent::Slower => {
            let next = step_refresh(state.refresh, intent == Intent::Faster);
            if next != state.refresh {
                state.refresh = next;
                state.status = Some(format!("refresh every {}", format_interval(next)));
                return vec![Command::SetRefresh(next)];
            }
        }
        Intent::Confirm => {
            if let Some(Popup::ConfirmKill { plan, .. }) = state.popup.take() {
                // Refusals are final outcomes: one log line per PID, now.
                let mut cmds: Vec<Command> = plan
                    .refused
                    .iter()
                    .map(|r| {
                        Command::Log(
                            log::Level::Warn,
                            format!(
                                "PID {} ({}): refused: {}",
                                r.pid,
                                who(r.role, &r.name),
                                r.reason
                            ),
                        )
                    })
                    .collect();
                if plan.kills.is_empty() {
                    state.status = Some("nothing was signalled (refused, see Logs)".into());
                    return cmds;
                }
                state.killing += 1;
                state.status = Some(format!("killing {} process(es)…", plan.kills.len()));
                cmds.push(Command::Kill(plan.kills));
                return cmds;
            }
        }
    }
    vec![]
}

/// Body lines the open kill dialog shows at once on the current screen (1 without a dialog).
fn kill_dialog_page(state: &AppState) -> usize {
    match &state.popup {
        Some(Popup::ConfirmKill { plan, .. }) => {
            crate::ui::kill_dialog::layout_for(state.screen, plan, state.grace)
                .visible()
                .max(1)
        }
        _ => 1,
    }
}

/// Scroll the open kill dialog's list by `delta` lines, within its first and last page.
pub fn scroll_kill_dialog(state: &mut AppState, delta: isize) {
    let (screen, grace) = (state.screen, state.grace);
    if let Some(Popup::ConfirmKill { plan, scroll, .. }) = &mut state.popup {
        let max = crate::ui::kill_dialog::layout_for(screen, plan, grace).max_scroll();
        *scroll = scroll.saturating_add_signed(delta).min(max);
    }
}

/// "role name" of a process in a log line.
fn who(role: crate::model::process::Role, name: &str) -> String {
    format!("{} {name}", role.label())
}

/// Unfreeze the list, applying the snapshot that arrived meanwhile.
fn resume(state: &mut AppState) {
    state.paused = false;
    if let Some(snap) = state.held.take() {
        state.procs = snap;
        fix_selection(state);
    }
}

/// Move the process-list selection by `delta` rows, within the list.
pub(crate) fn move_by(state: &mut AppState, delta: isize) {
    let rows = state.rows();
    if rows.is_empty() {
        state.selected = None;
        return;
    }
    let cur = state.selected_index(&rows).unwrap_or(0) as isize;
    let next = cur.saturating_add(delta).clamp(0, rows.len() as isize - 1) as usize;
    state.selected = Some(state.procs.processes[rows[next].index].pid);
}

/// Keep the selection on a visible row: the same PID when still shown, else the first row.
/// Select the first row matching the search, starting at the selected row (`skip_current`:
/// after it), wrapping around; says so in the status line when nothing matches.
fn search_next(state: &mut AppState, skip_current: bool) {
    if state.search.is_empty() {
        return;
    }
    let rows = state.rows();
    if rows.is_empty() {
        return;
    }
    let start = state.selected_index(&rows).unwrap_or(0);
    let first = usize::from(skip_current);
    let found = (first..rows.len() + first)
        .map(|k| (start + k) % rows.len())
        .map(|i| &state.procs.processes[rows[i].index])
        .find(|p| crate::tui::state::matches_text(p, &state.search))
        .map(|p| p.pid);
    match found {
        Some(pid) => {
            state.selected = Some(pid);
            state.status = None;
        }
        None => state.status = Some(format!("no row matches \"{}\"", state.search)),
    }
}

fn fix_selection(state: &mut AppState) {
    let rows = state.rows();
    if state.selected_index(&rows).is_none() {
        state.selected = rows.first().map(|r| state.procs.processes[r.index].pid);
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
