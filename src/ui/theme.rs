//! Colours and styles. Colour always carries a meaning: green ok, yellow warn, red critical or
//! suspect, dim for context rows.

use crate::model::memory::Level;
use crate::model::suspects::Severity;
use ratatui::style::{Color, Modifier, Style};

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

/// Context ancestor rows.
pub fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
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
