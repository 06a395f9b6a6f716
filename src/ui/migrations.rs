//! Migrations pane: the matrix of migrations (newest first) × environments with a glyph and
//! colour per cell, then one summary line per environment, the migrate lock, drift and
//! problems of the local folder.

use crate::model::migrations::MigrationState;
use crate::tui::state::{AppState, Focus};
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

/// Colour of a migration state.
pub fn state_color(s: MigrationState) -> Color {
    match s {
        MigrationState::Applied => Color::Green,
        MigrationState::Pending => Color::Yellow,
        MigrationState::Failed => Color::Red,
        MigrationState::RolledBack => Color::Magenta,
        MigrationState::Edited => Color::Red,
        MigrationState::MissingLocally => Color::Cyan,
    }
}

fn notes(state: &AppState) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for v in &state.env_views {
        let problem = v.has_problems() || v.migrations.is_none();
        let color = if v
            .migrations
            .as_ref()
            .is_some_and(|m| m.summary.failed > 0 || m.summary.edited > 0)
        {
            Color::Red
        } else if problem {
            Color::Yellow
        } else {
            Color::Green
        };
        out.push(Line::styled(v.summary.clone(), Style::default().fg(color)));
        if let Some(l) = &v.lock_line {
            out.push(Line::styled(
                format!("  {}: {l}", v.name),
                Style::default().fg(Color::Yellow),
            ));
        }
        if let Some(m) = &v.provider_mismatch {
            out.push(Line::styled(
                format!("  {m}"),
                Style::default().fg(Color::Red),
            ));
        }
        for l in v.drift_lines() {
            out.push(Line::styled(
                format!("  {} drift: {l}", v.name),
                Style::default().fg(Color::Yellow),
            ));
        }
    }
    let local = &state.local_migrations;
    if !local.exists {
        out.push(Line::styled(
            format!("no migrations folder at {}", local.path.display()),
            theme::dim(),
        ));
    }
    for p in &local.problems {
        out.push(Line::styled(p.clone(), Style::default().fg(Color::Red)));
    }
    for n in &state.prisma.notes {
        out.push(Line::styled(n.clone(), theme::dim()));
    }
    out
}

/// Draw the Migrations pane.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme::border(state.focus == Focus::Migrations))
        .title(format!(
            " Migrations · {} ",
            state.local_migrations.path.display()
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let notes = notes(state);
    // Summaries first: the matrix scrolls (↑↓), a hidden summary would not be seen at all.
    let notes_h = (notes.len() as u16).min(inner.height.saturating_sub(3));
    let [top, bottom] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(notes_h)]).areas(inner);
    if state.matrix.is_empty() {
        frame.render_widget(
            Paragraph::new("no migrations locally or in any database").style(theme::dim()),
            top,
        );
    } else {
        let mut header = vec![Cell::from("MIGRATION")];
        header.extend(state.env_views.iter().map(|v| Cell::from(v.name.clone())));
        let widths: Vec<Constraint> = std::iter::once(Constraint::Min(20))
            .chain(
                state
                    .env_views
                    .iter()
                    .map(|v| Constraint::Length(v.name.chars().count().max(10) as u16)),
            )
            .collect();
        let rows: Vec<Row> = state
            .matrix
            .iter()
            .skip(state.matrix_offset)
            .map(|r| {
                let mut name = vec![Span::raw(r.name.clone())];
                if let Some(e) = &r.local_error {
                    name.push(Span::styled(
                        format!("  ({e})"),
                        Style::default().fg(Color::Red),
                    ));
                }
                let mut cells = vec![Cell::from(Line::from(name))];
                for c in &r.cells {
                    cells.push(match c {
                        Some(s) => Cell::from(Span::styled(
                            format!("{} {}", s.glyph(), s.label()),
                            Style::default()
                                .fg(state_color(*s))
                                .add_modifier(Modifier::BOLD),
                        )),
                        None => Cell::from(Span::styled("?", theme::dim())),
                    });
                }
                Row::new(cells)
            })
            .collect();
        frame.render_widget(
            Table::new(rows, widths)
                .header(Row::new(header).style(theme::header()))
                .column_spacing(2),
            top,
        );
    }
    frame.render_widget(Paragraph::new(notes), bottom);
}
