//! Pure renderers: `render(frame, &AppState, &log state)` draws everything from the state;
//! no I/O, no awaits, no locks.

pub mod guard_banner;
pub mod header;
pub mod health;
pub mod help;
pub mod kill_dialog;
pub mod logs;
pub mod memory;
pub mod migrate_popup;
pub mod migrations;
pub mod panes;
pub mod popups;
pub mod preflight;
pub mod processes;
pub mod server_logs;
pub mod server_popups;
pub mod servers;
pub mod theme;

use crate::app::state::{AppState, Focus};
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
    /// Key bar (bottom line).
    pub keys: Rect,
}

/// Split the screen: header, processes (about 55 %), memory | logs, status line, key bar. Below 120
/// columns a focused Memory or Logs pane takes the whole lower row (Tab), and below 40 rows
/// half the height, so it has room.
pub fn areas(area: Rect, focus: Focus) -> Areas {
    let bottom = match focus {
        _ if area.height >= 40 => area.height * 2 / 5,
        Focus::Processes => 9,
        Focus::Memory | Focus::Logs => (area.height / 2).max(9),
        Focus::Health | Focus::Migrations | Focus::Servers | Focus::Preflight => 9,
    };
    let [header, processes, lower, footer, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(bottom),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let mem_width = match focus {
        _ if area.width >= 120 => area.width * 2 / 5,
        Focus::Memory => area.width,
        Focus::Logs => 0,
        Focus::Processes
        | Focus::Health
        | Focus::Migrations
        | Focus::Servers
        | Focus::Preflight => area.width / 2,
    };
    let [memory, logs] =
        Layout::horizontal([Constraint::Length(mem_width), Constraint::Fill(1)]).areas(lower);
    Areas {
        header,
        processes,
        memory,
        logs,
        footer,
        keys,
    }
}

/// Where a list is scrolled, for its title: "12–34 of 120" (1-based, inclusive) when not every
/// row is shown, else the count ("6").
pub fn scroll_position(first: usize, shown: usize, total: usize) -> String {
    if shown >= total {
        total.to_string()
    } else {
        format!("{}–{} of {total}", first + 1, first + shown)
    }
}

/// A popup's scrollbar on the right edge of `rows` (the popup's width, its scrolling rows):
/// positions 0..=`max_scroll`, the thumb at `scroll` spanning the `visible` share.
pub fn popup_scrollbar(
    frame: &mut Frame<'_>,
    rows: Rect,
    scroll: usize,
    visible: usize,
    max_scroll: usize,
) {
    use ratatui::widgets::{Scrollbar, ScrollbarOrientation, ScrollbarState};
    let mut sb = ScrollbarState::new(max_scroll + 1)
        .position(scroll)
        .viewport_content_length(visible);
    frame.render_stateful_widget(
        Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None),
        rows,
        &mut sb,
    );
}

/// Rows of a pane's `inner` height for a table of `rows` rows (plus its header) and `detail`
/// rows of notes under it: everything when it fits, else the notes get what the table leaves
/// once it has its header and `min_rows` rows (the table scrolls, the notes are cut with a
/// note, see [`fit_lines`]). Returns (table rows with header, note rows).
pub fn table_and_notes(
    rows: usize,
    detail: usize,
    inner: usize,
    min_rows: usize,
) -> (usize, usize) {
    let want = rows + 1;
    let table = if want + detail <= inner {
        want
    } else {
        inner
            .saturating_sub(detail)
            .max(rows.min(min_rows) + 1)
            .min(want)
    }
    .min(inner);
    (table, inner - table)
}

/// `lines` cut to `rows` rows of `width` columns (a line longer than `width` wraps): when not
/// all fit, the last row says how many lines were left out and `more` where to read them.
pub fn fit_lines(
    lines: Vec<Line<'static>>,
    rows: usize,
    width: u16,
    more: &str,
) -> Vec<Line<'static>> {
    let w = usize::from(width.max(1));
    let height = |l: &Line<'_>| l.width().div_ceil(w).max(1);
    if lines.iter().map(height).sum::<usize>() <= rows {
        return lines;
    }
    let mut out = Vec::new();
    let mut used = 0;
    for l in &lines {
        if used + height(l) > rows.saturating_sub(1) {
            break;
        }
        used += height(l);
        out.push(l.clone());
    }
    if rows > 0 {
        let left = lines.len() - out.len();
        out.push(Line::styled(
            format!("… {left} more line(s){more}"),
            theme::dim(),
        ));
    }
    out
}

/// First row shown of a `len`-row list in `height` rows: the list stays where it was
/// (`offset`, the first row shown last time) and moves only as far as it takes to show
/// `selected`, as htop's does; it never leaves rows empty at the bottom while rows are cut
/// off above.
pub fn window_start(offset: usize, selected: Option<usize>, len: usize, height: usize) -> usize {
    let mut start = offset.min(len.saturating_sub(height));
    if let Some(i) = selected
        && height > 0
    {
        if i < start {
            start = i;
        } else if i >= start + height {
            start = i + 1 - height;
        }
    }
    start
}

/// Rows of the process list that fit `area` (the pane: borders and the column header take 3).
pub fn process_list_height(area: Rect) -> usize {
    usize::from(area.height.saturating_sub(3))
}

/// First row of `rows` the process list shows in its pane `area` for `state` (the renderer,
/// the mouse and `update` agree through this one function).
pub fn process_window(state: &AppState, rows: &[crate::model::tree::Row], area: Rect) -> usize {
    window_start(
        state.list_offset,
        state.selected_index(rows),
        rows.len(),
        process_list_height(area),
    )
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
            Line::from(format!(
                "{} quits",
                state.keys.first_key(crate::app::keymap::Intent::Quit)
            )),
        ];
        frame.render_widget(Paragraph::new(msg), area);
        if state.no_color {
            theme::strip_colors(frame.buffer_mut());
        }
        return;
    }
    let a = panes::screen_areas(area, state);
    header::render_header(frame, a.header, state);
    guard_banner::render(frame, a.banner, state);
    for &(pane, r) in &a.panes {
        if r.width > 0 {
            panes::render_pane(frame, pane, r, state, logs);
        }
    }
    header::render_footer(frame, a.footer, state);
    header::render_key_bar(frame, a.keys, state);
    popups::render(frame, area, state);
    if state.no_color {
        theme::strip_colors(frame.buffer_mut());
    }
}

/// Areas of the Servers screen.
pub struct ServerAreas {
    /// Title line.
    pub header: Rect,
    /// Server table (and the selected server's failure or stop progress).
    pub servers: Rect,
    /// Log lines.
    pub logs: Rect,
    /// Status line.
    pub footer: Rect,
    /// Key bar (bottom line).
    pub keys: Rect,
}

/// Split the Servers screen: the server table sized to its rows plus room for the selected
/// server's failure (up to its last 20 log lines) or stop progress, the logs below (more
/// when focused).
pub fn server_areas(area: Rect, state: &AppState) -> ServerAreas {
    let rows = state.servers.rows.len().max(1) as u16;
    let extra = crate::ui::servers::detail_lines(state, area.width) as u16;
    let logs_min = match state.focus {
        Focus::Logs => area.height / 2,
        _ => 5,
    };
    let body = area.height.saturating_sub(3);
    let servers_h = (rows + 3 + extra).min(body.saturating_sub(logs_min)).max(5);
    let [header, servers, logs, footer, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(servers_h),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    ServerAreas {
        header,
        servers,
        logs,
        footer,
        keys,
    }
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
    /// Key bar (bottom line).
    pub keys: Rect,
}

/// Split the Databases screen: health sized to its environments and their notes (up to a
/// third of the height and a row), the matrix takes the rest, logs below (larger when
/// focused; 4 rows below 30, so that at 80x24 four environments with two notes and the
/// matrix's worst rows and verdicts all show).
pub fn database_areas(area: Rect, state: &AppState) -> DatabaseAreas {
    let envs = state.dbs.envs.len().max(1) as u16;
    let details = crate::ui::health::detail_count(state) as u16;
    let health_h = (envs + details + 3).min(area.height / 3 + 1).max(5);
    let logs_h = match state.focus {
        Focus::Logs => area.height / 3,
        _ if area.height >= 40 => 10,
        _ if area.height >= 30 => 5,
        _ => 4,
    };
    let [header, health, migrations, logs, footer, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(health_h),
        Constraint::Min(5),
        Constraint::Length(logs_h),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    DatabaseAreas {
        header,
        health,
        migrations,
        logs,
        footer,
        keys,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_its_notes_share_the_pane() {
        // Everything fits.
        assert_eq!(table_and_notes(4, 2, 7, 3), (5, 2));
        // Not all: the table keeps its header and 3 rows, the notes get the rest.
        assert_eq!(table_and_notes(30, 5, 12, 3), (7, 5));
        assert_eq!(table_and_notes(30, 20, 12, 3), (4, 8));
        // Rows first (one row left for the notes).
        assert_eq!(table_and_notes(30, 20, 12, 10), (11, 1));
        // A pane too small for the header and the minimum: all to the table.
        assert_eq!(table_and_notes(30, 20, 3, 3), (3, 0));
    }

    #[test]
    fn cut_notes_say_how_many_lines_are_left_out() {
        let lines = |n: usize| -> Vec<Line<'static>> {
            (0..n).map(|i| Line::from(format!("note {i}"))).collect()
        };
        assert_eq!(fit_lines(lines(3), 3, 80, "").len(), 3);
        let cut = fit_lines(lines(5), 3, 80, ": see X");
        let text: Vec<String> = cut.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["note 0", "note 1", "… 3 more line(s): see X"]);
        // A line that wraps takes its rows.
        let long = vec![Line::from("x".repeat(150)), Line::from("y")];
        let text: Vec<String> = fit_lines(long, 2, 80, "")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(text, ["… 2 more line(s)"]);
        assert!(fit_lines(lines(5), 0, 80, "").is_empty());
    }
}
