//! Applying a resolved [`Intent`] (a key from the key table) to the state: navigation,
//! sorting and views, and opening the confirm popup for the destructive ones.

use crate::app::confirm::{self, ConfirmAction};
use crate::app::keymap::Intent;
use crate::app::refresh::{format_interval, step_refresh};
use crate::app::server_intent;
use crate::app::state::{AppState, Focus, LogSource, Popup, View};
use crate::app::update::{Command, LogScroll};
use crate::model::kill_plan;
use crate::model::tree::SortKey;

/// True when `intent` acts on `view`'s screen. The process list's keys (kill, details, filter,
/// search, sort, tree) act only on screen 1 — Enter also opens a server's details on screen 3
/// — and restarting the selected server only on screen 3; every other key acts everywhere.
/// The key bar advertises only these ([`crate::app::key_bar`]); elsewhere the key says where
/// it acts.
pub fn acts_on(intent: Intent, view: View) -> bool {
    match intent {
        Intent::KillSelected
        | Intent::Filter
        | Intent::Search
        | Intent::SortCpu
        | Intent::SortRss
        | Intent::SortAge
        | Intent::SortNext
        | Intent::ToggleTree => view == View::Processes,
        Intent::Details => matches!(view, View::Processes | View::Servers),
        Intent::ServerRestart => view == View::Servers,
        _ => true,
    }
}

/// A key pressed on a screen it does not act on: say which screen it acts on.
fn elsewhere(state: &mut AppState, intent: Intent) {
    let key = state.keys.first_key(intent);
    let text = if intent == Intent::ServerRestart {
        let servers = state.keys.first_key(Intent::ViewServers);
        format!("{key} restarts the selected server: press {servers} for the Servers screen")
    } else {
        let processes = state.keys.first_key(Intent::ViewProcesses);
        format!("{key} acts on the process list: press {processes} first")
    };
    state.notify(text);
}

/// Apply a resolved intent; returns the commands for the effects executor.
pub fn apply(state: &mut AppState, intent: Intent) -> Vec<Command> {
    if state.popup.is_none() && !acts_on(intent, state.view) {
        elsewhere(state, intent);
        return vec![];
    }
    match intent {
        Intent::Up
        | Intent::Down
        | Intent::PageUp
        | Intent::PageDown
        | Intent::Home
        | Intent::End => return navigate(state, intent),
        Intent::Quit => {
            // Quit again in the quit question: its default (stop them, then quit).
            if let Some(Popup::Confirm(c)) = &state.popup
                && let ConfirmAction::QuitServers(names) = &c.action
            {
                let names = names.clone();
                state.popup = None;
                return server_intent::stop_and_quit(state, names);
            }
            server_intent::quit(state);
        }
        Intent::ViewServers => show(state, View::Servers),
        Intent::ServersUp => return server_intent::up(state),
        Intent::ServersDown => return server_intent::down(state),
        Intent::ServerRestart => return server_intent::restart(state),
        Intent::LogSource => server_intent::next_log_source(state),
        Intent::LeaveRunning => return server_intent::leave_and_quit(state),
        Intent::Adopt => return server_intent::answer_port_conflict(state, true),
        Intent::No => {
            if let Some(Popup::Confirm(c)) = &state.popup
                && let ConfirmAction::RestartServers(names) = &c.action
            {
                // The selected server alone, without what depends on it.
                let only = names.iter().take(1).cloned().collect();
                state.popup = None;
                return server_intent::restart_now(state, only);
            }
            return cancel(state);
        }
        Intent::Details if state.view == View::Servers => server_intent::details(state),
        Intent::Help => state.popup = Some(Popup::Help { scroll: 0 }),
        Intent::Cancel => return cancel(state),
        Intent::ViewProcesses => show(state, View::Processes),
        Intent::ViewDatabases => show(state, View::Databases),
        Intent::ViewPreflight => {
            show(state, View::Preflight);
            if state.preflight.run == 0 {
                return crate::app::preflight::start(state, None);
            }
        }
        Intent::Preflight => {
            show(state, View::Preflight);
            return crate::app::preflight::start(state, None);
        }
        Intent::PreflightTarget => {
            show(state, View::Preflight);
            return crate::app::preflight::next_target(state);
        }
        Intent::KillSuspects
            if state.view == View::Preflight && crate::app::preflight::ask_kill(state) => {}
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
            state.notify(format!("scope: {}", state.scope.label()));
            return vec![Command::SetScope(state.scope)];
        }
        Intent::KillSelected => ask_kill_selected(state),
        Intent::KillSuspects => ask_kill_suspects(state),
        Intent::GuardEnd => crate::app::guard_update::ask_drain(state),
        Intent::Pause => toggle_pause(state),
        Intent::Faster | Intent::Slower => {
            let next = step_refresh(state.refresh, intent == Intent::Faster);
            if next != state.refresh {
                state.refresh = next;
                state.notify(format!("refresh every {}", format_interval(next)));
                return vec![Command::SetRefresh(next)];
            }
        }
        Intent::Migrate => crate::app::migrate::open(state),
        Intent::Confirm => {
            if let Some(Popup::Confirm(c)) = state.popup.take() {
                return confirm::confirmed(state, c.action);
            }
        }
    }
    vec![]
}

/// Show `view`'s screen with its first pane focused.
fn show(state: &mut AppState, view: View) {
    state.view = view;
    state.focus = crate::app::panes::screen(view).panes[0];
}

/// Esc: close the popup, else clear the filter, else make the Logs pane follow again.
fn cancel(state: &mut AppState) -> Vec<Command> {
    if let Some(Popup::Confirm(c)) = &state.popup
        && let ConfirmAction::PortConflict(..) = c.action
    {
        return server_intent::answer_port_conflict(state, false);
    }
    if let Some(Popup::Confirm(c)) = &state.popup
        && let ConfirmAction::Migrate(env) = &c.action
    {
        // The prepared migrate is dropped: nothing runs.
        state.notify(format!("not migrating {env}"));
        state.migrating = None;
    }
    if state.popup.is_some() {
        state.popup = None;
    } else if !state.filter.is_empty() {
        state.filter.clear();
        fix_selection(state);
    } else if state.focus == Focus::Logs {
        state.server_log_scroll = 0;
        return vec![Command::LogScroll(LogScroll::Follow)];
    }
    vec![]
}

/// Up, down, pages, first and last: scroll the confirm popup while it is open, else the
/// focused pane (the migrations matrix, the logs, or the process list's selection).
fn navigate(state: &mut AppState, intent: Intent) -> Vec<Command> {
    let lines = |page: usize| -> isize {
        let page = page.max(1) as isize;
        match intent {
            Intent::Up => -1,
            Intent::Down => 1,
            Intent::PageUp => -page,
            Intent::PageDown => page,
            Intent::Home => isize::MIN / 2,
            _ => isize::MAX / 2,
        }
    };
    let paging = matches!(
        intent,
        Intent::Up | Intent::Down | Intent::PageUp | Intent::PageDown
    );
    if matches!(state.popup, Some(Popup::ServerDetails { .. })) {
        let page = usize::from(state.screen.height.saturating_sub(8));
        server_intent::scroll_server_log(state, lines(page));
    } else if matches!(state.popup, Some(Popup::Help { .. })) {
        crate::app::help::navigate(state, intent);
    } else if state.popup.is_some() && confirm::open(state).is_none() {
        // Process details do not scroll; the list behind them stays put.
    } else if paging && confirm::open(state).is_some() {
        scroll_kill_dialog(state, lines(kill_dialog_page(state)));
    } else if state.focus == Focus::Health
        && let Some(fit) = health_cut(state)
    {
        scroll_health(state, lines(fit));
    } else if paging
        && (state.focus == Focus::Migrations
            || (state.view == View::Databases && state.focus == Focus::Health))
    {
        let max = state.matrix.len().saturating_sub(1) as isize;
        let step = lines(state.page);
        state.matrix_offset = (state.matrix_offset as isize + step).clamp(0, max.max(0)) as usize;
    } else if state.focus == Focus::Logs && *state.logs_shown() != LogSource::Devtop {
        server_intent::scroll_server_log(state, lines(usize::from(state.screen.height / 3)));
    } else if state.focus == Focus::Servers {
        let n = state.servers.rows.len();
        let cur = state.servers.selected as isize;
        state.servers.selected = cur
            .saturating_add(lines(n))
            .clamp(0, n.saturating_sub(1) as isize) as usize;
    } else if state.focus == Focus::Preflight {
        let page = state.screen.height.saturating_sub(10).max(1) as usize;
        crate::app::preflight::scroll(state, lines(page));
    } else if matches!(intent, Intent::Up | Intent::Down) && state.focus == Focus::Logs {
        let dir = if intent == Intent::Up {
            LogScroll::Up
        } else {
            LogScroll::Down
        };
        return vec![Command::LogScroll(dir)];
    } else {
        move_by(state, lines(state.page));
    }
    vec![]
}

/// Rows the Databases table shows when not every environment fits it (`None` when all fit:
/// the movement keys then scroll the migrations matrix).
fn health_cut(state: &AppState) -> Option<usize> {
    let area = crate::ui::panes::pane_area(state, Focus::Health);
    let (_, fit) = crate::ui::health::window(state, area);
    (state.dbs.envs.len() > fit).then_some(fit)
}

/// Scroll the Databases table by `delta` rows (within its rows; nothing when all fit).
pub fn scroll_health(state: &mut AppState, delta: isize) {
    let area = crate::ui::panes::pane_area(state, Focus::Health);
    let (start, fit) = crate::ui::health::window(state, area);
    let max = state.dbs.envs.len().saturating_sub(fit);
    state.health_offset = start.saturating_add_signed(delta).min(max);
}

/// `x`: ask to kill the selected process (its tree root) and its descendants.
fn ask_kill_selected(state: &mut AppState) {
    let Some(p) = state.selected_process() else {
        state.notify("nothing selected");
        return;
    };
    let root = kill_plan::selected_root(&state.procs, p.pid);
    let target = root.pid;
    let plan = kill_plan::build(&state.procs, &state.protected, &[root]);
    let title = match plan.kills.len() {
        0 => format!("PID {target} cannot be killed"),
        1 => format!("Kill PID {target}?"),
        n => format!("Kill PID {target} and {} descendant(s)?", n - 1),
    };
    confirm::ask(state, title, ConfirmAction::Kill(plan));
}

/// `K`: ask to kill every suspect.
fn ask_kill_suspects(state: &mut AppState) {
    let plan = kill_plan::for_suspects(&state.procs, &state.protected);
    if plan.is_empty() {
        state.notify("no suspects to kill");
        return;
    }
    let n = crate::model::suspects::hard_count(&state.procs.suspects);
    let title = if plan.kills.is_empty() {
        format!("{n} suspect(s), none can be killed")
    } else {
        format!("Kill {n} suspect(s) ({} processes)?", plan.kills.len())
    };
    confirm::ask(state, title, ConfirmAction::Kill(plan));
}

/// `z`: freeze the process list, or resume it.
fn toggle_pause(state: &mut AppState) {
    if state.paused {
        resume(state);
        state.notify("resumed");
    } else {
        state.paused = true;
        let key = state.keys.first_key(Intent::Pause);
        state.notify(format!("paused: the list stays as it is ({key} resumes)"));
    }
}

/// Body lines the open confirm popup shows at once on the current screen (1 without one).
fn kill_dialog_page(state: &AppState) -> usize {
    match confirm::open(state).map(|c| &c.action) {
        Some(ConfirmAction::Kill(plan) | ConfirmAction::GuardDrain(plan)) => {
            crate::ui::kill_dialog::layout_for(state.screen, plan, state.grace)
                .visible()
                .max(1)
        }
        _ => 1,
    }
}

/// Scroll the open confirm popup's body by `delta` lines, within its first and last page.
pub fn scroll_kill_dialog(state: &mut AppState, delta: isize) {
    let (screen, grace) = (state.screen, state.grace);
    if let Some(Popup::Confirm(c)) = &mut state.popup {
        let max = match &c.action {
            ConfirmAction::Kill(plan) | ConfirmAction::GuardDrain(plan) => {
                crate::ui::kill_dialog::layout_for(screen, plan, grace).max_scroll()
            }
            ConfirmAction::RestartServers(_)
            | ConfirmAction::QuitServers(_)
            | ConfirmAction::PortConflict(..)
            | ConfirmAction::Migrate(_)
            | ConfirmAction::EndMigrate(..)
            | ConfirmAction::QuitMigrating(_) => 0,
        };
        c.scroll = c.scroll.saturating_add_signed(delta).min(max);
    }
}

/// Unfreeze the list, applying the snapshot that arrived meanwhile.
pub(crate) fn resume(state: &mut AppState) {
    state.paused = false;
    if let Some(snap) = state.held.take() {
        state.procs = snap;
        fix_selection(state);
    }
}

/// Move the process-list selection by `delta` rows, within the list.
pub fn move_by(state: &mut AppState, delta: isize) {
    let rows = state.rows();
    if rows.is_empty() {
        state.selected = None;
        return;
    }
    let cur = state.selected_index(&rows).unwrap_or(0) as isize;
    let next = cur.saturating_add(delta).clamp(0, rows.len() as isize - 1) as usize;
    state.selected = Some(state.procs.processes[rows[next].index].pid);
}

/// Select the first row matching the search, starting at the selected row (`skip_current`:
/// after it), wrapping around; says so in the notice area when nothing matches.
pub(crate) fn search_next(state: &mut AppState, skip_current: bool) {
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
        .find(|p| crate::app::state::matches_text(p, &state.search))
        .map(|p| p.pid);
    match found {
        Some(pid) => {
            state.selected = Some(pid);
            state.notice = None;
        }
        None => state.notify(format!("no row matches \"{}\"", state.search)),
    }
}

/// Keep the selection on a visible row: the same PID when still shown, else the first row.
pub(crate) fn fix_selection(state: &mut AppState) {
    let rows = state.rows();
    if state.selected_index(&rows).is_none() {
        state.selected = rows.first().map(|r| state.procs.processes[r.index].pid);
    }
}
