//! The Logs pane when it shows server output (`f`): every server's lines tagged with its name
//! in arrival order, or one server's lines; the title names the source and says how far it is
//! scrolled back. Lines arrive already stripped of ANSI sequences, redacted and sanitised
//! (see [`crate::collect::server_logs`]).

use crate::app::state::{AppState, Focus, LogSource};
use crate::sanitize::clean;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Colours the name tags cycle through (a server keeps its colour: its index in the config).
const TAGS: [ratatui::style::Color; 4] =
    [theme::ACCENT, theme::INFO, theme::ROLLED_BACK, theme::OK];

/// Draw the Logs pane over the servers' output.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let focused = state.focus == Focus::Logs;
    let only = match state.logs_shown() {
        LogSource::Server(n) => Some(n.as_str()),
        _ => None,
    };
    let source = only.map_or_else(|| "all servers".to_owned(), |n| clean(n).into_owned());
    let scroll = state.server_log_scroll;
    let position = if scroll > 0 {
        let esc = state.keys.first_key(crate::app::keymap::Intent::Cancel);
        format!(", {scroll} lines back ({esc}: follow)")
    } else {
        String::new()
    };
    let f = state.keys.first_key(crate::app::keymap::Intent::LogSource);
    let title = format!(" Logs: {source}{position} ({f} next source) ");
    let block = theme::pane(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height);
    let lines = state.servers.logs.tail(only, height, scroll);
    if lines.is_empty() {
        let msg = match only {
            Some(_) => "no output yet".to_owned(),
            None => format!(
                "no server output yet ({} starts the servers)",
                state.keys.first_key(crate::app::keymap::Intent::ServersUp)
            ),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(msg, Style::default().fg(theme::MUTED))),
            inner,
        );
        return;
    }
    let width = state
        .servers
        .rows
        .iter()
        .map(|r| clean(&r.name).chars().count())
        .max()
        .unwrap_or(0)
        .min(16);
    let text: Vec<Line<'_>> = lines
        .into_iter()
        .map(|(name, line)| {
            if only.is_some() {
                return Line::raw(line);
            }
            let i = state
                .servers
                .rows
                .iter()
                .position(|r| r.name == name)
                .unwrap_or(0);
            Line::from(vec![
                Span::styled(
                    format!("{:<width$} │ ", clean(name)),
                    Style::default()
                        .fg(TAGS[i % TAGS.len()])
                        .add_modifier(Modifier::BOLD),
                ),
                Span::raw(line),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(text), inner);
}
