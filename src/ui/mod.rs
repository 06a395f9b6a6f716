//! Pure renderers: `render(frame, &AppState, &log state)` draws everything from the state;
//! no I/O, no awaits, no locks.

pub mod header;
pub mod health;
pub mod logs;
pub mod memory;
pub mod migrations;
pub mod popups;
pub mod processes;
pub mod theme;

use crate::tui::state::{AppState, Focus, View};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use tui_logger::TuiWidgetState;

/// Smallest usable terminal.
pub const MIN_WIDTH: u16 = 60;
/// Smallest usable terminal.
pub const MIN_HEIGHT: u16 = 16;

/// The areas of the main screen for a terminal of `area`.
pub struct Areas {
    /// Title line.
    pub header: Rect,
    /// Process list.
    pub processes: Rect,
    /// Memory gauges.
    pub memory: Rect,
    /// Log lines.
    pub logs: Rect,
    /// Status line.
    pub footer: Rect,
}

/// Split the screen: header, processes (about 55 %), memory | logs, footer. Below 120
/// columns a focused Memory or Logs pane takes the whole lower row (Tab), and below 40 rows
/// half the height, so it has room.
pub fn areas(area: Rect, focus: Focus) -> Areas {
    let bottom = match focus {
        _ if area.height >= 40 => area.height * 2 / 5,
        Focus::Processes => 9,
        Focus::Memory | Focus::Logs => (area.height / 2).max(9),
        Focus::Health | Focus::Migrations => 9,
    };
    let [header, processes, lower, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(bottom),
        Constraint::Length(1),
    ])
    .areas(area);
    let mem_width = match focus {
        _ if area.width >= 120 => area.width * 2 / 5,
        Focus::Memory => area.width,
        Focus::Logs => 0,
        Focus::Processes | Focus::Health | Focus::Migrations => area.width / 2,
    };
    let [memory, logs] =
        Layout::horizontal([Constraint::Length(mem_width), Constraint::Fill(1)]).areas(lower);
    Areas {
        header,
        processes,
        memory,
        logs,
        footer,
    }
}

/// Process rows visible per page for a terminal of `area` (for PgUp/PgDn).
pub fn process_page_rows(area: Rect) -> usize {
    usize::from(
        areas(area, Focus::Processes)
            .processes
            .height
            .saturating_sub(3),
    )
    .max(1)
}

/// Draw the whole screen.
pub fn render(frame: &mut Frame<'_>, state: &AppState, logs: &TuiWidgetState) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = vec![
            Line::from("devtop: terminal too small"),
            Line::from(format!(
                "need at least {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}",
                area.width, area.height
            )),
            Line::from("q quits"),
        ];
        frame.render_widget(Paragraph::new(msg), area);
        return;
    }
    match state.view {
        View::Processes => {
            let a = areas(area, state.focus);
            header::render_header(frame, a.header, state);
            processes::render(frame, a.processes, state);
            if a.memory.width > 0 {
                memory::render(frame, a.memory, state);
            }
            if a.logs.width > 0 {
                logs::render(frame, a.logs, state, logs);
            }
            header::render_footer(frame, a.footer, state);
        }
        View::Databases => {
            let a = database_areas(area, state);
            header::render_header(frame, a.header, state);
            health::render(frame, a.health, state);
            migrations::render(frame, a.migrations, state);
            logs::render(frame, a.logs, state, logs);
            header::render_footer(frame, a.footer, state);
        }
    }
    popups::render(frame, area, state);
}

/// Areas of the Databases screen.
pub struct DatabaseAreas {
    /// Title line.
    pub header: Rect,
    /// Health table.
    pub health: Rect,
    /// Migration matrix.
    pub migrations: Rect,
    /// Log lines.
    pub logs: Rect,
    /// Status line.
    pub footer: Rect,
}

/// Split the Databases screen: health sized to its environments, the matrix takes the rest,
/// logs below (larger when focused).
pub fn database_areas(area: Rect, state: &AppState) -> DatabaseAreas {
    let envs = state.dbs.envs.len().max(1) as u16;
    let details = crate::ui::health::detail_count(state) as u16;
    let health_h = (envs + details + 3).min(area.height / 3).max(5);
    let logs_h = match state.focus {
        Focus::Logs => area.height / 3,
        _ if area.height >= 40 => 10,
        _ => 5,
    };
    let [header, health, migrations, logs, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(health_h),
        Constraint::Min(5),
        Constraint::Length(logs_h),
        Constraint::Length(1),
    ])
    .areas(area);
    DatabaseAreas {
        header,
        health,
        migrations,
        logs,
        footer,
    }
}
