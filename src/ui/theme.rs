//! Colours and styles. Colour always carries a meaning: green ok, yellow warn, red critical or
//! suspect, dim for context rows.

use crate::model::memory::Level;
use crate::model::suspects::Severity;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders};

/// Colour of a memory level.
pub fn level_color(level: Level) -> Color {
    match level {
        Level::Ok => Color::Green,
        Level::Warn => Color::Yellow,
        Level::Critical => Color::Red,
    }
}

/// Colour of a suspect severity.
pub fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Warn => Color::Yellow,
        Severity::Suspect => Color::Red,
    }
}

/// Context ancestor rows and secondary text: dark grey and the dim attribute (seen without
/// colour too).
pub fn dim() -> Style {
    Style::default()
        .fg(Color::DarkGray)
        .add_modifier(Modifier::DIM)
}

/// Column headers.
pub fn header() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

/// Selected row.
pub fn selected() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

/// Border of a pane: highlighted when focused.
pub fn border(focused: bool) -> Style {
    if focused {
        Style::default().fg(Color::Cyan)
    } else {
        Style::default().fg(Color::Gray)
    }
}

/// Mark of a suspect row: `●` suspect, `○` warning — told apart without colour.
pub fn severity_mark(s: Severity) -> &'static str {
    match s {
        Severity::Suspect => "●",
        Severity::Warn => "○",
    }
}

/// A bordered pane. The focused one has a cyan border and a reversed title, so focus shows
/// without colour too.
pub fn pane<'a>(title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border(focused))
        .title(title);
    if focused {
        block.title_style(Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD))
    } else {
        block
    }
}

/// `NO_COLOR` (set and not empty, <https://no-color.org>): drop every colour from the frame,
/// keeping bold, dim, underline and reverse. Done here rather than by crossterm, whose
/// `NO_COLOR` handling writes `ESC [ ; m` for a colour change — a reset that also clears
/// reverse video (the selection then shows on one cell only).
pub fn strip_colors(buf: &mut Buffer) {
    for cell in &mut buf.content {
        cell.fg = Color::Reset;
        cell.bg = Color::Reset;
        cell.underline_color = Color::Reset;
    }
}

/// True when the environment asks for no colour (`NO_COLOR` set and not empty).
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}
