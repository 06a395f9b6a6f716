//! `update(&mut AppState, Action) -> Vec<Command>`: the only place the app state changes.
//! Testable without a terminal: actions in, state and commands out.

use crate::collect::tasks::MemoryView;
use crate::effects::signal::KillOutcome;
use crate::model::database::DbSnapshot;
use crate::model::kill_plan::{self, PlannedKill};
use crate::model::snapshot::ProcessSnapshot;
use crate::model::tree::{Scope, SortKey};
use crate::prisma::migrations_dir::MigrationsDir;
use crate::tui::keymap::{Context, Intent, resolve};
use crate::tui::state::{AppState, Focus, Popup, View};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;

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
    CliDiffs(Arc<crate::collect::cli_drift::CliDiffs>),
    /// A kill finished: outcome per PID, with the plan it came from.
    KillDone(Vec<PlannedKill>, Vec<(u32, KillOutcome)>),
    /// SIGTERM or SIGHUP to devtop itself.
    Terminate,
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

fn context(state: &AppState) -> Context {
    match state.popup {
        Some(Popup::ConfirmKill { .. }) => Context::Confirm,
        Some(_) => Context::Popup,
        None => Context::Main,
    }
}

/// Apply one action.
pub fn update(state: &mut AppState, action: Action) -> Vec<Command> {
    match action {
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
                        .map(|k| format!("{} {}", k.role.label(), k.name))
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
        Action::Terminate => {
            state.quit = true;
            vec![]
        }
        Action::Key(key) => on_key(state, key),
    }
}

fn on_key(state: &mut AppState, key: KeyEvent) -> Vec<Command> {
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
        Intent::Details => {
            if let Some(pid) = state.selected_process().map(|p| p.pid) {
                state.popup = Some(Popup::Details(pid));
            }
        }
        Intent::Filter => state.filter_editing = true,
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
            let target = state
                .procs
                .suspect_of(p.pid)
                .filter(|s| {
                    s.kill_pid != p.pid
                        && state.procs.get(s.kill_pid).is_some_and(|pp| {
                            pp.relation != crate::model::process::Relation::Ancestor
                        })
                })
                .map_or(p.pid, |s| s.kill_pid);
            let plan = kill_plan::for_pids(&state.procs, &[target]);
            let title = match plan.len() {
                1 => format!("Kill PID {target}?"),
                n => format!("Kill PID {target} and {} descendant(s)?", n - 1),
            };
            state.popup = Some(Popup::ConfirmKill { title, plan });
        }
        Intent::KillSuspects => {
            let plan = kill_plan::for_suspects(&state.procs);
            if plan.is_empty() {
                state.status = Some("no suspects to kill".into());
                return vec![];
            }
            let n = state
                .procs
                .suspects
                .iter()
                .filter(|s| s.severity == crate::model::suspects::Severity::Suspect)
                .count();
            state.popup = Some(Popup::ConfirmKill {
                title: format!("Kill {n} suspect(s) ({} processes)?", plan.len()),
                plan,
            });
        }
        Intent::Confirm => {
            if let Some(Popup::ConfirmKill { plan, .. }) = state.popup.take() {
                state.killing += 1;
                state.status = Some(format!("killing {} process(es)…", plan.len()));
                return vec![Command::Kill(plan)];
            }
        }
    }
    vec![]
}

fn move_by(state: &mut AppState, delta: isize) {
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
fn fix_selection(state: &mut AppState) {
    let rows = state.rows();
    if state.selected_index(&rows).is_none() {
        state.selected = rows.first().map(|r| state.procs.processes[r.index].pid);
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
