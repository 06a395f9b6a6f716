//! Preflight screen (`p`, `4`): every check of the current run, live — a spinner while it
//! runs, then its mark, status, title and time, the evidence, the hint (`→ …`) and, where one
//! exists, the key that does it (`[K] press K to end 1 hung migration`, the key as in effect). Scrollable (↑/↓, PgUp/PgDn,
//! the wheel). Pure: drawn from [`crate::app::preflight::PreflightState`].

use crate::app::keymap::Intent;
use crate::app::keys::KeyMap;
use crate::app::preflight::SPINNER;
use crate::app::state::{AppState, Focus};
use crate::model::preflight::{Check, CheckAction, Status, Verdict};
use crate::sanitize::clean;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, Wrap};

/// The areas of the Preflight screen.
pub struct PreflightAreas {
    /// Title line.
    pub header: Rect,
    /// The checks.
    pub checks: Rect,
    /// Log lines.
    pub logs: Rect,
    /// Status (notice) line.
    pub footer: Rect,
    /// Key bar.
    pub keys: Rect,
}

/// Split `area`: header, checks, logs (5 lines, 10 from 40 rows, a third when focused),
/// footer, key bar.
pub fn areas(area: Rect, state: &AppState) -> PreflightAreas {
    let logs_h = match state.focus {
        Focus::Logs => area.height / 3,
        _ if area.height >= 40 => 10,
        _ => 5,
    };
    let [header, checks, logs, footer, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(logs_h),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    PreflightAreas {
        header,
        checks,
        logs,
        footer,
        keys,
    }
}

/// Style of a status: green pass, blue info, yellow warn, red fail, dim skipped, cyan running.
fn status_style(s: Status) -> Style {
    match s {
        Status::Pass => theme::fg(theme::OK),
        Status::Info => theme::fg(theme::INFO),
        Status::Warn => theme::fg(theme::WARN).add_modifier(Modifier::BOLD),
        Status::Fail => theme::fg(theme::BAD).add_modifier(Modifier::BOLD),
        Status::Skipped => theme::dim(),
        Status::Running => theme::fg(theme::ACCENT),
    }
}

/// Indent of detail and hint lines (under the title).
const INDENT: usize = 11;

/// `text` wrapped at `width` columns (word boundaries where there are some), every row
/// indented by [`INDENT`], styled `style`.
fn indented(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    let room = width.saturating_sub(INDENT).max(20);
    let pad = " ".repeat(INDENT);
    let mut out = Vec::new();
    let mut row = String::new();
    for word in text.split(' ') {
        let (rw, ww) = (row.chars().count(), word.chars().count());
        if rw > 0 && rw + 1 + ww > room {
            out.push(Line::styled(format!("{pad}{row}"), style));
            row.clear();
        }
        let mut word = word.to_owned();
        while word.chars().count() > room {
            let head: String = word.chars().take(room).collect();
            word = word.chars().skip(room).collect();
            if !row.is_empty() {
                out.push(Line::styled(format!("{pad}{row}"), style));
                row.clear();
            }
            out.push(Line::styled(format!("{pad}{head}"), style));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(&word);
    }
    out.push(Line::styled(format!("{pad}{row}"), style));
    out
}

/// The lines of one check, detail and hint wrapped at `width`; its action names the key of
/// `keys` that does it.
fn check_lines(c: &Check, spinner: &str, width: usize, keys: &KeyMap) -> Vec<Line<'static>> {
    let mark = if c.status == Status::Running {
        spinner.to_owned()
    } else {
        c.status.glyph().to_owned()
    };
    let time = c
        .elapsed_ms
        .map(|ms| format!("  {:.1}s", ms as f64 / 1000.0))
        .unwrap_or_default();
    let style = status_style(c.status);
    let mut out = vec![Line::from(vec![
        Span::styled(
            format!("{mark} {:>2} {:<7} ", c.id.number(), c.status.label()),
            style,
        ),
        Span::styled(c.id.title(), Style::default().add_modifier(Modifier::BOLD)),
        Span::styled(time, theme::dim()),
    ])];
    let detail_style = if c.status == Status::Skipped {
        theme::dim()
    } else {
        Style::default()
    };
    for d in &c.detail {
        out.extend(indented(&clean(d), width, detail_style));
    }
    if let Some(h) = &c.hint {
        out.extend(indented(
            &format!("→ {}", clean(h)),
            width,
            theme::fg(theme::ACCENT),
        ));
    }
    if let Some(CheckAction::KillSuspects { what, .. }) = &c.action {
        let k = keys.first_key(Intent::KillSuspects);
        out.push(Line::from(vec![
            Span::raw("           "),
            Span::styled(
                format!("[{k}]"),
                theme::fg(theme::BAD).add_modifier(Modifier::BOLD | Modifier::REVERSED),
            ),
            Span::styled(
                format!(" press {k} to end {}", clean(what)),
                Style::default().add_modifier(Modifier::BOLD),
            ),
        ]));
    }
    out
}

/// Every line of the screen's body for `state`, `width` columns wide.
pub fn body(state: &AppState, width: usize) -> Vec<Line<'static>> {
    let pf = &state.preflight;
    if pf.run == 0 {
        let k = |i| state.keys.first_key(i);
        let w = [
            Intent::Preflight,
            Intent::PreflightTarget,
            Intent::KillSuspects,
        ]
        .map(|i| k(i).chars().count())
        .into_iter()
        .max()
        .unwrap_or(1)
        .max(3);
        let row = |i, what: &str| Line::from(format!("{:<w$} {what}", k(i)));
        return vec![
            Line::from("No preflight run yet."),
            Line::from(""),
            row(
                Intent::Preflight,
                "run the checks before a migration (target: local)",
            ),
            row(
                Intent::PreflightTarget,
                "next target environment (staging, production, …), run again",
            ),
            row(
                Intent::KillSuspects,
                "end the suspects check 1 names (with confirmation)",
            ),
        ];
    }
    let spinner = SPINNER[pf.spinner % SPINNER.len()];
    pf.checks
        .iter()
        .flat_map(|c| check_lines(c, spinner, width, &state.keys))
        .collect()
}

/// The title: target and progress, or the verdict and counts once done.
fn title(state: &AppState) -> Line<'static> {
    let pf = &state.preflight;
    let target = pf.target.as_deref().map(|t| clean(t).into_owned());
    let Some(target) = target else {
        return Line::from(" Preflight ");
    };
    let done = pf
        .checks
        .iter()
        .filter(|c| c.status != Status::Running)
        .count();
    if pf.running || pf.summary.is_none() {
        return Line::from(format!(
            " Preflight · {target} · {done} of {} done ",
            pf.checks.len()
        ));
    }
    let Some(s) = &pf.summary else {
        return Line::from(" Preflight ");
    };
    let (pass, warn, fail, skipped) = s.counts();
    let (word, style) = match s.verdict() {
        Verdict::Pass => ("PASS", theme::fg(theme::OK)),
        Verdict::Warn => ("WARN", theme::fg(theme::WARN)),
        Verdict::Fail => ("FAIL", theme::fg(theme::BAD)),
    };
    Line::from(vec![
        Span::raw(format!(" Preflight · {target} · ")),
        Span::styled(word, style.add_modifier(Modifier::BOLD)),
        Span::raw(format!(
            " · {pass} pass {warn} warn {fail} fail {skipped} skipped · {:.1} s ",
            s.elapsed_ms as f64 / 1000.0
        )),
    ])
}

/// Rows `lines` take in `width` columns once wrapped.
fn wrapped_rows(lines: &[Line<'_>], width: u16) -> usize {
    let w = usize::from(width.max(1));
    lines.iter().map(|l| l.width().max(1).div_ceil(w)).sum()
}

/// The checks pane's rows in `area`: (first row shown, rows shown, rows in all). The first row
/// is `preflight.scroll`, kept within what there is to scroll.
pub fn window(state: &AppState, area: Rect) -> (usize, usize, usize) {
    let inner = ratatui::widgets::Block::bordered().inner(area);
    let total = wrapped_rows(&body(state, usize::from(inner.width)), inner.width);
    let height = usize::from(inner.height);
    let first = state.preflight.scroll.min(total.saturating_sub(height));
    (first, height.min(total - first), total)
}

/// Draw the checks pane; when not every row fits, a scrollbar on the right border and the
/// bottom border say which rows are shown (`rows 12–25 of 40`).
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let mut block = theme::pane(title(state), state.focus == Focus::Preflight);
    let inner = block.inner(area);
    let lines = body(state, usize::from(inner.width));
    let (first, shown, total) = window(state, area);
    let cut = shown < total;
    if cut {
        block = block.title_bottom(
            Line::from(format!(
                " rows {} ",
                crate::ui::scroll_position(first, shown, total)
            ))
            .right_aligned(),
        );
    }
    let para = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((u16::try_from(first).unwrap_or(u16::MAX), 0))
        .block(block);
    frame.render_widget(para, area);
    if cut {
        let mut sb = ScrollbarState::new(total - shown + 1)
            .position(first)
            .viewport_content_length(shown);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None),
            Rect::new(area.x, inner.y, area.width, inner.height),
            &mut sb,
        );
    }
}
