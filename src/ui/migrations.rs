//! Migrations pane: the matrix of migrations (newest first) × environments with a glyph and
//! colour per cell, then one summary line per environment, the migrate lock, drift and
//! problems of the local folder.

use crate::app::state::{AppState, Focus};
use crate::model::db_view::MatrixRow;
use crate::model::migrations::MigrationState;
use crate::sanitize::{clean, path};
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

/// Colour of a migration state.
pub fn state_color(s: MigrationState) -> Color {
    match s {
        MigrationState::Applied => theme::OK,
        MigrationState::Pending => theme::WARN,
        MigrationState::Failed => theme::BAD,
        MigrationState::RolledBack => theme::ROLLED_BACK,
        MigrationState::Edited => theme::BAD,
        MigrationState::Unreadable => theme::BAD,
        MigrationState::MissingLocally => theme::ELSEWHERE,
    }
}

fn notes(state: &AppState) -> Vec<Line<'static>> {
    // One summary per environment first, the worst first (the line that says "blocked by
    // failed …"), then the details (lock, provider, drift), then the folder's problems: a
    // short pane cuts details, not verdicts.
    let mut summaries = Vec::new();
    let mut details = Vec::new();
    for v in &state.env_views {
        let problem = v.has_problems() || v.migrations.is_none();
        let color = if v
            .migrations
            .as_ref()
            .is_some_and(|m| m.summary.failed > 0 || m.summary.edited > 0)
        {
            theme::BAD
        } else if problem {
            theme::WARN
        } else {
            theme::OK
        };
        // Red (failed, edited) before yellow before green: the worst shows when cut.
        let rank = match color {
            theme::BAD => 0,
            theme::WARN => 1,
            _ => 2,
        };
        summaries.push((
            rank,
            Line::styled(clean(&v.summary).into_owned(), Style::default().fg(color)),
        ));
        if let Some(l) = &v.lock_line {
            details.push(Line::styled(
                format!("  {}: {}", clean(&v.name), clean(l)),
                Style::default().fg(theme::WARN),
            ));
        }
        if let Some(m) = &v.provider_mismatch {
            details.push(Line::styled(
                format!("  {}", clean(m)),
                Style::default().fg(theme::BAD),
            ));
        }
        for l in v.drift_lines() {
            details.push(Line::styled(
                format!("  {} drift: {}", clean(&v.name), clean(&l)),
                Style::default().fg(theme::WARN),
            ));
        }
    }
    summaries.sort_by_key(|(rank, _)| *rank);
    let mut out: Vec<Line<'static>> = summaries.into_iter().map(|(_, l)| l).collect();
    out.extend(details);
    let local = &state.local_migrations;
    if !local.exists {
        out.push(Line::styled(
            format!("no migrations folder at {}", path(&local.path)),
            theme::dim(),
        ));
    }
    for p in &local.problems {
        out.push(Line::styled(
            clean(p).into_owned(),
            Style::default().fg(theme::BAD),
        ));
    }
    for n in &state.prisma.notes {
        out.push(Line::styled(clean(n).into_owned(), theme::dim()));
    }
    out
}

/// How urgent a matrix row is: 0 failed or edited somewhere, 1 pending, rolled back or missing
/// locally somewhere, 2 applied everywhere.
pub fn urgency(r: &MatrixRow) -> u8 {
    r.cells
        .iter()
        .flatten()
        .map(|s| match s {
            MigrationState::Failed | MigrationState::Edited | MigrationState::Unreadable => 0,
            MigrationState::Pending
            | MigrationState::RolledBack
            | MigrationState::MissingLocally => 1,
            MigrationState::Applied => 2,
        })
        .chain(r.local_error.as_ref().map(|_| 0))
        .min()
        .unwrap_or(2)
}

/// The matrix rows to show in `fit` rows, scrolled by `offset`: newest first when all fit;
/// otherwise failed and edited first, then pending, then the rest (newest first within each),
/// so no problem hides below the fold. Returns the rows and the 0-based index of the first.
pub fn visible_rows(matrix: &[MatrixRow], fit: usize, offset: usize) -> (Vec<&MatrixRow>, usize) {
    let mut order: Vec<&MatrixRow> = matrix.iter().collect();
    if matrix.len() > fit {
        order.sort_by_key(|r| urgency(r));
    }
    let first = offset.min(matrix.len().saturating_sub(fit));
    (order.into_iter().skip(first).take(fit).collect(), first)
}

/// Draw the Migrations pane: the matrix (at least a few rows when there is room), then the
/// summaries; the title says which rows are shown ("1–3 of 6 · problems first").
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let notes = notes(state);
    let inner_h = usize::from(area.height.saturating_sub(2));
    let total = state.matrix.len();
    // Header + up to 3 rows for the matrix first, then the notes, then the matrix takes the rest.
    let matrix_min = (total.min(3) + 1).min(inner_h);
    let notes_h = notes.len().min(inner_h - matrix_min);
    let fit = (inner_h - notes_h).saturating_sub(1);
    let (rows, first) = visible_rows(&state.matrix, fit, state.matrix_offset);
    let mut title = format!(
        " Migrations {}",
        crate::ui::scroll_position(first, rows.len(), total)
    );
    if rows.len() < total {
        title.push_str(" · problems first");
    }
    title.push_str(&format!(" · {} ", path(&state.local_migrations.path)));
    let block = theme::pane(title, state.focus == Focus::Migrations);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [top, bottom] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(notes_h as u16)]).areas(inner);
    if state.matrix.is_empty() {
        frame.render_widget(
            Paragraph::new("no migrations locally or in any database").style(theme::dim()),
            top,
        );
    } else {
        let mut header = vec![Cell::from("MIGRATION")];
        header.extend(
            state
                .env_views
                .iter()
                .map(|v| Cell::from(clean(&v.name).into_owned())),
        );
        let widths: Vec<Constraint> = std::iter::once(Constraint::Min(20))
            .chain(
                state
                    .env_views
                    .iter()
                    .map(|v| Constraint::Length(clean(&v.name).chars().count().max(10) as u16)),
            )
            .collect();
        let rows: Vec<Row> = rows.into_iter().map(matrix_row).collect();
        frame.render_widget(
            Table::new(rows, widths)
                .header(Row::new(header).style(theme::header()))
                .column_spacing(2),
            top,
        );
    }
    let mut notes = notes;
    if notes.len() > notes_h && notes_h > 0 {
        let hidden = notes.len() - notes_h + 1;
        notes.truncate(notes_h - 1);
        notes.push(Line::styled(
            format!("… {hidden} more line(s): `devtop migrations` prints them all"),
            theme::dim(),
        ));
    }
    frame.render_widget(Paragraph::new(notes), bottom);
}

fn matrix_row(r: &MatrixRow) -> Row<'static> {
    let mut name = vec![Span::raw(clean(&r.name).into_owned())];
    if let Some(e) = &r.local_error {
        name.push(Span::styled(
            format!("  ({})", clean(e)),
            Style::default().fg(theme::BAD),
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
}
