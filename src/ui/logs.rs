//! Logs pane: tui-logger's widget over the kill outcomes and collector errors.

use crate::app::keymap::Intent;
use crate::app::state::{AppState, Focus};
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use tui_logger::{TuiLoggerLevelOutput, TuiLoggerWidget, TuiWidgetState};

/// Draw the Logs pane.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, logs: &TuiWidgetState) {
    let focused = state.focus == Focus::Logs;
    let servers = !state.servers.rows.is_empty();
    // The keys from the key table (rebound ones show rebound).
    let k = |i| state.keys.first_key(i);
    let f = k(Intent::LogSource);
    let (up, down, esc) = (k(Intent::Up), k(Intent::Down), k(Intent::Cancel));
    let block = theme::pane(
        match (focused, servers) {
            (true, true) => {
                format!(" Logs: devtop ({up}{down} scroll, {esc} follow, {f} servers) ")
            }
            (true, false) => format!(" Logs ({up}{down} scroll, {esc} follow) "),
            (false, true) => format!(" Logs: devtop ({f} servers) "),
            (false, false) => " Logs ".to_owned(),
        },
        focused,
    );
    let widget = TuiLoggerWidget::default()
        .block(block)
        .output_timestamp(Some("%H:%M:%S".into()))
        .output_level(Some(TuiLoggerLevelOutput::Abbreviated))
        .output_target(false)
        .output_file(false)
        .output_line(false)
        .output_separator(' ')
        .style_error(Style::default().fg(theme::BAD))
        .style_warn(Style::default().fg(theme::WARN))
        .style_info(Style::default())
        .state(logs);
    frame.render_widget(widget, area);
}
