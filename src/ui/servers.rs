//! Servers pane: one row per configured `[[server]]` — state, PID, port, uptime, CPU and RSS
//! of its whole process tree, time to ready, last log line — and under the table what the
//! selected server needs said: why it is held, why its start failed with its last log lines,
//! or, while stopping, which PIDs are still waited for. The title says which rows are shown
//! when not all fit (`1–13 of 30`); the table scrolls with the selection.

use crate::app::keymap::Intent;
use crate::app::servers::{Busy, Phase, ServerRow};
use crate::app::state::{AppState, Focus};
use crate::model::memory::format_bytes;
use crate::model::suspects::format_age;
use crate::sanitize::clean;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use std::time::SystemTime;

/// Colour and mark of a phase: `●` ready, `◌` starting/stopping/restarting, `○` stopped,
/// `✗` failed.
pub fn phase_style(p: &Phase) -> (Color, &'static str) {
    match p {
        Phase::Ready | Phase::Adopted => (theme::OK, "●"),
        Phase::Starting | Phase::Stopping | Phase::Restarting => (theme::WARN, "◌"),
        Phase::Held(_) | Phase::Unhealthy => (theme::WARN, "!"),
        Phase::Exited(Some(0)) | Phase::Stopped => (theme::MUTED, "○"),
        Phase::Exited(_) | Phase::Crashed(_) | Phase::Failed => (theme::BAD, "✗"),
    }
}

/// Rows under the table in a pane `width` columns wide (0 when nothing needs saying): a
/// held reason, a failure (reason + its last log lines), a stop under way (1 per stopping
/// server); long lines wrap.
pub fn detail_lines(state: &AppState, width: u16) -> usize {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    detail(state)
        .iter()
        .map(|l| l.width().div_ceil(inner).max(1))
        .sum()
}

/// The lines under the table (see [`detail_lines`]).
fn detail(state: &AppState) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for r in state
        .servers
        .rows
        .iter()
        .filter(|r| r.phase == Phase::Stopping)
    {
        let pids = r
            .waiting
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        out.push(Line::from(vec![
            Span::styled("stopping ", Style::default().fg(theme::WARN)),
            Span::styled(
                clean(&r.name).into_owned(),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!(": waiting for PIDs {pids}")),
        ]));
    }
    let Some(r) = state.servers.selected_row() else {
        return out;
    };
    match &r.phase {
        Phase::Held(reason) => out.push(Line::from(vec![
            Span::styled("held: ", Style::default().fg(theme::WARN)),
            Span::raw({
                let u = state.keys.first_key(Intent::ServersUp);
                if reason.starts_with("waiting for ") {
                    // Held behind a failed or held dependency: `u` tries that one again.
                    format!("{} — press {u} to try again", clean(reason))
                } else {
                    format!("{} — press {u} again to start anyway", clean(reason))
                }
            }),
        ])),
        Phase::Restarting => out.push(Line::from(vec![
            Span::styled(
                format!("{}: ", clean(&r.name)),
                Style::default().fg(theme::WARN),
            ),
            Span::raw(format!(
                "{} — {} stops it for good",
                clean(r.last_error.as_deref().unwrap_or("restarting")),
                state.keys.first_key(Intent::ServersDown)
            )),
        ])),
        Phase::Failed | Phase::Exited(_) | Phase::Crashed(_) | Phase::Stopped
            if r.last_error.is_some() =>
        {
            let why = r.last_error.as_deref().unwrap_or_default();
            out.push(Line::from(vec![
                Span::styled(
                    format!("{} failed: ", clean(&r.name)),
                    Style::default().fg(theme::BAD).add_modifier(Modifier::BOLD),
                ),
                Span::raw(clean(why).into_owned()),
            ]));
            if !r.failed_lines.is_empty() {
                let n = r.failed_lines.len();
                out.push(Line::styled(
                    if n == 1 {
                        "its last log line:".to_owned()
                    } else {
                        format!("its last {n} log lines:")
                    },
                    Style::default().fg(theme::MUTED),
                ));
                // Already redacted and sanitised by the supervisor.
                out.extend(r.failed_lines.iter().map(|l| Line::raw(format!("  {l}"))));
            }
        }
        _ => {}
    }
    out
}

/// "1.2 s" / "350 ms".
fn short_duration(d: std::time::Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn row_cells(r: &ServerRow, now: u64, last: Option<&str>) -> Vec<Cell<'static>> {
    let (color, mark) = phase_style(&r.phase);
    let dash = || "-".to_owned();
    let uptime = match (r.phase.running(), r.started_unix) {
        (true, Some(s)) => format_age(now.saturating_sub(s)),
        _ => dash(),
    };
    let running = r.phase.running();
    vec![
        Cell::from(clean(&r.name).into_owned()),
        Cell::from(Span::styled(
            format!("{mark} {}", r.phase.label()),
            Style::default().fg(color),
        )),
        Cell::from(
            r.pid
                .filter(|_| running)
                .map_or_else(dash, |p| p.to_string()),
        ),
        Cell::from(r.port.map_or_else(dash, |p| p.to_string())),
        Cell::from(uptime),
        Cell::from(
            r.cpu_percent
                .filter(|_| running)
                .map_or_else(dash, |c| format!("{c:.1}")),
        ),
        Cell::from(
            r.rss_bytes
                .filter(|_| running)
                .map_or_else(dash, format_bytes),
        ),
        Cell::from(r.ready_after.map_or_else(dash, short_duration)),
        Cell::from(last.unwrap_or_default().trim_start().to_owned()),
    ]
}

/// The table's rows (with its header) and the note rows under it in the Servers pane `area`
/// (see [`crate::ui::table_and_notes`]).
fn split(state: &AppState, area: Rect) -> (usize, usize) {
    let inner = Block::bordered().inner(area);
    crate::ui::table_and_notes(
        state.servers.rows.len(),
        detail_lines(state, area.width),
        usize::from(inner.height),
        3, // the selected server's failure and log lines matter more than more rows
    )
}

/// First server row shown in the Servers pane `area` and how many rows fit: the table stays
/// where it was (`servers.offset`) and moves only as far as it takes to show the selection.
pub fn window(state: &AppState, area: Rect) -> (usize, usize) {
    let fit = split(state, area).0.saturating_sub(1);
    let sv = &state.servers;
    let start = crate::ui::window_start(sv.offset, Some(sv.selected), sv.rows.len(), fit);
    (start, fit)
}

/// Draw the Servers pane.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let focused = state.focus == Focus::Servers;
    let sv = &state.servers;
    let busy = match sv.busy {
        Some(Busy::Starting) => " · starting…",
        Some(Busy::Stopping) => " · stopping…",
        Some(Busy::Restarting) => " · restarting…",
        None => "",
    };
    let (start, fit) = window(state, area);
    let shown = fit.min(sv.rows.len().saturating_sub(start));
    let title = format!(
        " Servers {}{busy} ",
        crate::ui::scroll_position(start, shown, sv.rows.len())
    );
    let block = theme::pane(title, focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if sv.rows.is_empty() {
        let text = vec![
            Line::from("No [[server]] in devtop.toml."),
            Line::from("Add one per dev server (name, cmd, port, ready, depends_on), or run"),
            Line::from("`devtop init` for a proposal from package.json; see the README."),
        ];
        frame.render_widget(Paragraph::new(text), inner);
        return;
    }
    let (table_h, detail_h) = split(state, area);
    let more = format!(
        " ({}: the server's log)",
        state.keys.first_key(Intent::Details)
    );
    let detail = crate::ui::fit_lines(detail(state), detail_h, inner.width, &more);
    let [table_area, detail_area] =
        Layout::vertical([Constraint::Length(table_h as u16), Constraint::Fill(1)]).areas(inner);
    let now = sv
        .poll
        .taken_at
        .unwrap_or(SystemTime::UNIX_EPOCH)
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let header = Row::new([
        "NAME",
        "STATE",
        "PID",
        "PORT",
        "UPTIME",
        "CPU%",
        "RSS",
        "READY IN",
        "LAST LOG LINE",
    ])
    .style(Style::default().add_modifier(Modifier::BOLD));
    let rows = sv
        .rows
        .iter()
        .enumerate()
        .skip(start)
        .take(shown)
        .map(|(i, r)| {
            let row = Row::new(row_cells(r, now, sv.logs.last(&r.name)));
            if i == sv.selected {
                row.style(theme::selected())
            } else {
                row
            }
        });
    let name_w = sv
        .rows
        .iter()
        .map(|r| clean(&r.name).chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 20) as u16;
    // The mark, a space and the longest state shown ("✗ crashed(SIGSEGV)"), at least 13.
    let state_w = sv
        .rows
        .iter()
        .map(|r| r.phase.label().chars().count() + 2)
        .max()
        .unwrap_or(0)
        .clamp(13, 24) as u16;
    let widths = [
        Constraint::Length(name_w),
        Constraint::Length(state_w),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Length(9),
        Constraint::Length(8),
        Constraint::Fill(1),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), table_area);
    if !detail.is_empty() {
        frame.render_widget(
            Paragraph::new(detail).wrap(ratatui::widgets::Wrap { trim: false }),
            detail_area,
        );
    }
}
