//! Mouse: where a click or a wheel notch lands, as a pure function of the screen layout (the
//! same areas the renderer draws, from [`AppState`]) and the event. Clicks select a process row
//! or focus a pane; the wheel scrolls the list under the pointer, or the kill dialog or the
//! help while it is open. A click never confirms anything: killing stays on the keyboard.

use crate::app::state::{AppState, Focus, Popup};
use crate::app::update::{Command, LogScroll, move_by, scroll_kill_dialog};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

/// Rows one wheel notch moves a list.
pub const WHEEL_LINES: isize = 3;

/// What scrolls under a wheel notch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A pane's list: the process list (the selection moves), the migrations matrix, the logs.
    Pane(Focus),
    /// The open kill dialog's list.
    KillDialog,
    /// The open help popup.
    Help,
}

/// What a mouse event asks for, before it is applied to the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseIntent {
    /// Focus this pane (a click on it).
    Focus(Focus),
    /// Select row `n` (0-based, display order) of the process list and focus it.
    SelectRow(usize),
    /// Scroll a list by this many rows (negative: up).
    Scroll(Target, isize),
}

fn hit(r: Rect, x: u16, y: u16) -> bool {
    r.width > 0 && r.contains(Position::new(x, y))
}

/// The pane under (`x`, `y`) on the current screen, if any.
pub fn pane_at(state: &AppState, x: u16, y: u16) -> Option<Focus> {
    crate::ui::panes::screen_areas(state.screen, state)
        .panes
        .into_iter()
        .find(|(_, r)| hit(*r, x, y))
        .map(|(f, _)| f)
}

/// The process-list row (0-based, display order) drawn at screen row `y`, if a row is there.
pub fn process_row_at(state: &AppState, y: u16) -> Option<usize> {
    let area = crate::ui::panes::processes_area(state);
    // Border, then the column header, then the rows; the bottom border closes the pane.
    let first = area.y + 2;
    let last = area.y + area.height.saturating_sub(1);
    if y < first || y >= last {
        return None;
    }
    let rows = state.rows();
    let start = crate::ui::process_window(state, &rows, area);
    let n = start + usize::from(y - first);
    (n < rows.len()).then_some(n)
}

/// Resolve a mouse event on the current screen. `None`: nothing under the pointer acts on it.
pub fn resolve(state: &AppState, ev: MouseEvent) -> Option<MouseIntent> {
    let lines = match ev.kind {
        MouseEventKind::ScrollUp => Some(-WHEEL_LINES),
        MouseEventKind::ScrollDown => Some(WHEEL_LINES),
        MouseEventKind::Down(MouseButton::Left) => None,
        _ => return None,
    };
    match &state.popup {
        // The dialog is modal: the wheel scrolls it wherever the pointer is; clicks do nothing.
        Some(Popup::Confirm(_)) => {
            return lines.map(|n| MouseIntent::Scroll(Target::KillDialog, n));
        }
        Some(Popup::Help { .. }) => return lines.map(|n| MouseIntent::Scroll(Target::Help, n)),
        Some(Popup::ServerDetails { .. }) => {
            return lines.map(|n| MouseIntent::Scroll(Target::Pane(Focus::Servers), n));
        }
        Some(_) => return None,
        None => {}
    }
    let pane = pane_at(state, ev.column, ev.row)?;
    match lines {
        Some(n) => match pane {
            Focus::Processes
            | Focus::Migrations
            | Focus::Logs
            | Focus::Servers
            | Focus::Preflight
            | Focus::Health => Some(MouseIntent::Scroll(Target::Pane(pane), n)),
            Focus::Memory => None,
        },
        None if pane == Focus::Processes => Some(
            process_row_at(state, ev.row)
                .map_or(MouseIntent::Focus(Focus::Processes), MouseIntent::SelectRow),
        ),
        None => Some(MouseIntent::Focus(pane)),
    }
}

/// Apply a resolved mouse intent; returns the commands it needs (a log scroll).
pub fn apply(state: &mut AppState, intent: MouseIntent) -> Vec<Command> {
    match intent {
        MouseIntent::Focus(f) => state.focus = f,
        MouseIntent::SelectRow(n) => {
            let rows = state.rows();
            if let Some(r) = rows.get(n) {
                state.selected = Some(state.procs.processes[r.index].pid);
            }
            state.focus = Focus::Processes;
        }
        MouseIntent::Scroll(Target::KillDialog, n) => scroll_kill_dialog(state, n),
        MouseIntent::Scroll(Target::Help, n) => crate::app::help::scroll(state, n),
        MouseIntent::Scroll(Target::Pane(Focus::Processes), n) => move_by(state, n),
        MouseIntent::Scroll(Target::Pane(Focus::Servers), n) => {
            if matches!(state.popup, Some(Popup::ServerDetails { .. })) {
                crate::app::server_intent::scroll_server_log(state, n);
            } else {
                let last = state.servers.rows.len().saturating_sub(1);
                state.servers.selected = state.servers.selected.saturating_add_signed(n).min(last);
            }
        }
        MouseIntent::Scroll(Target::Pane(Focus::Logs), n)
            if *state.logs_shown() != crate::app::state::LogSource::Devtop =>
        {
            crate::app::server_intent::scroll_server_log(state, n);
        }
        MouseIntent::Scroll(Target::Pane(Focus::Logs), n) => {
            return vec![Command::LogScroll(if n < 0 {
                LogScroll::Up
            } else {
                LogScroll::Down
            })];
        }
        MouseIntent::Scroll(Target::Pane(Focus::Migrations), n) => {
            let max = state.matrix.len().saturating_sub(1);
            state.matrix_offset = state.matrix_offset.saturating_add_signed(n).min(max);
        }
        MouseIntent::Scroll(Target::Pane(Focus::Preflight), n) => {
            crate::app::preflight::scroll(state, n);
        }
        MouseIntent::Scroll(Target::Pane(Focus::Health), n) => {
            crate::app::intent::scroll_health(state, n);
        }
        MouseIntent::Scroll(Target::Pane(Focus::Memory), _) => {}
    }
    vec![]
}

#[cfg(test)]
mod tests;
