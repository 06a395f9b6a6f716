//! Health pane: one row per database environment — status, `SELECT 1` latency, server
//! version, connections, time since the last success, the masked URL — and, with room, a
//! latency/up-down sparkline, the oldest running query and lock waiters.

use crate::app::state::{AppState, Focus};
use crate::model::database::{DbEnvSnapshot, DbStatus};
use crate::model::suspects::format_age;
use crate::sanitize::clean;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use std::time::SystemTime;

/// Colour and mark of a status: `●` up, `✗` down, `◌` connecting, `○` not configured.
pub fn status_style(s: DbStatus) -> (Color, &'static str) {
    match s {
        DbStatus::Up => (theme::OK, "●"),
        DbStatus::Down => (theme::BAD, "✗"),
        DbStatus::Connecting => (theme::WARN, "◌"),
        DbStatus::Unconfigured => (theme::MUTED, "○"),
    }
}

/// Up/down sparkline of the latency history: ▁…█ scaled to the maximum, `✗` for a failed
/// probe.
pub fn sparkline(history: &[Option<f64>], width: usize) -> String {
    let tail = &history[history.len().saturating_sub(width)..];
    let max = tail
        .iter()
        .flatten()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(1e-9);
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    tail.iter()
        .map(|s| match s {
            Some(v) => BARS[((v / max) * 7.0).round().clamp(0.0, 7.0) as usize],
            None => '✗',
        })
        .collect()
}

/// "PostgreSQL 15.20 (Debian …) on x86_64…" → "PostgreSQL 15.20"; MariaDB's
/// "10.11.19-MariaDB-0+deb12u1" → "MariaDB 10.11.19".
pub fn short_version(v: &str) -> String {
    let words: Vec<&str> = v.split_whitespace().collect();
    if words.len() >= 2 && words[0] == "PostgreSQL" {
        return format!("PostgreSQL {}", words[1].trim_end_matches(','));
    }
    if let Some((num, rest)) = v.split_once('-')
        && rest.starts_with("MariaDB")
    {
        return format!("MariaDB {num}");
    }
    if v.chars().next().is_some_and(|c| c.is_ascii_digit())
        && v.matches('.').count() == 2
        && !v.contains('-')
    {
        return format!("SQLite {v}");
    }
    v.chars().take(16).collect()
}

/// "never", "now" (under 2 s, or later than `now`), else "5m 2s ago".
pub fn since(t: Option<SystemTime>, now: SystemTime) -> String {
    let Some(t) = t else {
        return "never".into();
    };
    match now.duration_since(t) {
        Ok(d) if d.as_secs() >= 2 => format!("{} ago", format_age(d.as_secs())),
        _ => "now".into(),
    }
}

fn status_text(e: &DbEnvSnapshot) -> String {
    match e.status {
        DbStatus::Up => "up".into(),
        DbStatus::Connecting => "connecting".into(),
        DbStatus::Unconfigured => "not configured".into(),
        DbStatus::Down => e
            .error
            .as_ref()
            .map_or("down".into(), |x| x.kind.plain().to_owned()),
    }
}

/// True when an environment gets a detail line under the table (why it is unconfigured or
/// down, a long-running query, lock waiters).
fn has_detail(e: &DbEnvSnapshot) -> bool {
    e.unconfigured.is_some()
        || e.status == DbStatus::Down
        || e.health.as_ref().is_some_and(|h| {
            h.oldest_query_s.is_some_and(|q| q >= 10.0) || h.lock_waiters.is_some_and(|w| w > 0)
        })
}

/// Number of detail lines the Health pane draws under its table.
pub fn detail_count(state: &AppState) -> usize {
    state.dbs.envs.iter().filter(|e| has_detail(e)).count()
}

/// The table's rows (with its header) and the note rows under it in the pane `area` (see
/// [`crate::ui::table_and_notes`]).
fn split(state: &AppState, area: Rect) -> (usize, usize) {
    let inner = usize::from(ratatui::widgets::Block::bordered().inner(area).height);
    // Every environment's row before the notes (the rows carry the status); one row is left
    // for the notes, which then say how many are cut.
    crate::ui::table_and_notes(
        state.dbs.envs.len(),
        detail_count(state),
        inner,
        inner.saturating_sub(2),
    )
}

/// First environment row shown in the pane `area` (`health_offset`, kept within the rows) and
/// how many rows fit.
pub fn window(state: &AppState, area: Rect) -> (usize, usize) {
    let fit = split(state, area).0.saturating_sub(1);
    let start = state
        .health_offset
        .min(state.dbs.envs.len().saturating_sub(fit));
    (start, fit)
}

/// Draw the Health pane. Ages are computed against [`AppState::clock`]. When not every
/// environment fits, the title says which are shown (`1–5 of 30`) and ↑/↓ scroll them.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let envs = &state.dbs.envs;
    let (start, fit) = window(state, area);
    let shown = fit.min(envs.len().saturating_sub(start));
    let title = if envs.is_empty() {
        " Databases ".to_owned()
    } else {
        format!(
            " Databases {} ",
            crate::ui::scroll_position(start, shown, envs.len())
        )
    };
    let block = theme::pane(title, state.focus == Focus::Health);
    if envs.is_empty() {
        frame.render_widget(
            Paragraph::new("no database environments: set DATABASE_URL or add [[database]] entries to devtop.toml")
                .style(theme::dim())
                .block(block),
            area,
        );
        return;
    }
    let now = state.clock();
    let wide = area.width >= 120;
    let mut header = vec!["", "ENV", "STATUS", "LATENCY", "VERSION", "CONN", "LAST OK"];
    if wide {
        header.extend(["HISTORY", "URL"]);
    }
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(11),
        Constraint::Length(16),
        Constraint::Length(8),
        Constraint::Length(17),
        Constraint::Length(8),
        Constraint::Length(10),
    ];
    if wide {
        widths.extend([Constraint::Length(22), Constraint::Min(10)]);
    }
    let rows: Vec<Row> = envs
        .iter()
        .skip(start)
        .take(shown)
        .map(|e| env_row(e, now, wide))
        .collect();
    let (table_h, detail_h) = split(state, area);
    let inner = block.inner(area);
    let detail = crate::ui::fit_lines(
        envs.iter().filter_map(detail_line).collect(),
        detail_h,
        u16::MAX, // one row each: the notes are cut at the pane's edge, not wrapped
        ": `devtop status` prints them all",
    );
    frame.render_widget(block, area);
    let [top, bottom] =
        ratatui::layout::Layout::vertical([Constraint::Length(table_h as u16), Constraint::Min(0)])
            .areas(inner);
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme::header()))
            .column_spacing(1),
        top,
    );
    frame.render_widget(Paragraph::new(detail), bottom);
}

/// One environment's table row; `wide` adds the probe history and the masked URL.
fn env_row(e: &DbEnvSnapshot, now: std::time::SystemTime, wide: bool) -> Row<'static> {
    let (color, dot) = status_style(e.status);
    let h = e.health.as_ref();
    let latency = match (e.status, h) {
        (DbStatus::Up, Some(h)) => format!("{:.1}ms", h.latency_ms),
        _ => "—".into(),
    };
    let version: String = h.map_or("—".into(), |h| {
        clean(&short_version(&h.version)).into_owned()
    });
    let conn = h
        .and_then(|h| h.connections)
        .map_or("—".into(), |(used, max)| format!("{used}/{max}"));
    let last = if e.status == DbStatus::Unconfigured {
        "—".into()
    } else {
        since(e.last_success, now)
    };
    let mut cells = vec![
        Cell::from(Span::styled(dot, theme::fg(color))),
        Cell::from(Span::styled(
            clean(&e.name).into_owned(),
            Style::default().add_modifier(Modifier::BOLD),
        )),
        Cell::from(Span::styled(status_text(e), theme::fg(color))),
        Cell::from(latency),
        Cell::from(version),
        Cell::from(conn),
        Cell::from(last),
    ];
    if wide {
        cells.push(Cell::from(sparkline(&e.history, 22)));
        cells.push(Cell::from(
            clean(
                &e.masked_url
                    .clone()
                    .unwrap_or_else(|| format!("${}", e.url_env)),
            )
            .into_owned(),
        ));
    }
    Row::new(cells)
}

/// The detail line under the table for `e`, if it has one: why it is not configured, why it
/// is down (and when it is retried), or a long query / lock waiters.
fn detail_line(e: &DbEnvSnapshot) -> Option<Line<'static>> {
    if let Some(why) = &e.unconfigured {
        return Some(Line::from(Span::styled(
            format!("{}: {}", clean(&e.name), clean(why)),
            theme::dim(),
        )));
    }
    if e.status == DbStatus::Down {
        let err = e
            .error
            .as_ref()
            .map_or(String::new(), |x| clean(&x.message).into_owned());
        let retry = e
            .retry_in_s
            .map_or(String::new(), |s| format!(" · retry in {s:.0}s"));
        return Some(Line::from(Span::styled(
            format!("{}: {err}{retry}", clean(&e.name)),
            theme::fg(theme::BAD),
        )));
    }
    let h = e.health.as_ref()?;
    let mut bits = Vec::new();
    if let Some(q) = h.oldest_query_s.filter(|q| *q >= 10.0) {
        bits.push(format!("oldest query {}", format_age(q as u64)));
    }
    if let Some(w) = h.lock_waiters.filter(|w| *w > 0) {
        bits.push(format!("{w} waiting on locks"));
    }
    (!bits.is_empty()).then(|| {
        Line::from(Span::raw(format!(
            "{}: {}",
            clean(&e.name),
            bits.join(" · ")
        )))
    })
}
