//! Colours and styles. Colour always carries a meaning: green ok, yellow warn, red critical or
//! suspect, dim for context rows.

use crate::model::memory::Level;
use crate::model::suspects::Severity;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders};

/// Good: up, applied, ok.
pub const OK: Color = Color::Green;
/// Needs a look: warnings, pending, connecting, paused.
pub const WARN: Color = Color::Yellow;
/// Bad: down, failed, critical, suspect, the kill dialog.
pub const BAD: Color = Color::Red;
/// Text on a [`BAD`] background.
pub const ON_BAD: Color = Color::Black;
/// Labels and prompts: key names, the scope, the focused border.
pub const ACCENT: Color = Color::Cyan;
/// Secondary: unconfigured, the unfilled part of a gauge, context rows.
pub const MUTED: Color = Color::DarkGray;
/// Plain borders.
pub const FRAME: Color = Color::Gray;
/// Neutral measure: history bars below their warning level.
pub const INFO: Color = Color::Blue;
/// Rolled back (neither applied nor failed).
pub const ROLLED_BACK: Color = Color::Magenta;
/// A missing-locally migration (applied, but not in the folder).
pub const ELSEWHERE: Color = Color::Cyan;

/// Foreground `c`.
pub fn fg(c: Color) -> Style {
    Style::default().fg(c)
}

/// Colour of a memory level.
pub fn level_color(level: Level) -> Color {
    match level {
        Level::Ok => OK,
        Level::Warn => WARN,
        Level::Critical => BAD,
    }
}

/// Colour of a suspect severity.
pub fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Warn => WARN,
        Severity::Suspect => BAD,
    }
}

/// Context ancestor rows and secondary text: dark grey and the dim attribute (seen without
/// colour too).
pub fn dim() -> Style {
    Style::default().fg(MUTED).add_modifier(Modifier::DIM)
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
        Style::default().fg(ACCENT)
    } else {
        Style::default().fg(FRAME)
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

#[cfg(test)]
mod tests {
    /// Every colour goes through this file: no `Color::` in any other product source file.
    #[test]
    fn no_raw_colours_outside_the_theme() {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs")
                    && !p.ends_with("ui/theme.rs")
                    && !p.to_string_lossy().ends_with("_tests.rs")
                    && std::fs::read_to_string(&p).is_ok_and(|t| t.contains("Color::"))
                {
                    out.push(p.display().to_string());
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(
            found.is_empty(),
            "raw colours outside ui/theme.rs: {found:?}"
        );
    }
}
