//! The memory guard's banner: while the level is critical, rows below the title with the
//! evidence (the rules that fired, PSI, MemAvailable, cgroup headroom), the top dev-tool
//! consumers by RSS, and what happens next (`E`, an automatic kill, the cool-down, or nothing
//! devtop may end). Pure: drawn from [`crate::app::guard::GuardState`].

use crate::app::guard::{tool_name, top_consumers};
use crate::app::state::AppState;
use crate::model::guard::{Action, Mode};
use crate::model::memory::format_bytes;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Rows the banner takes on a screen of `area`: 0 unless critical; 3 from 24 rows, else 1.
pub fn height(area: Rect, state: &AppState) -> u16 {
    if !state.guard.critical() {
        0
    } else if area.height >= 24 {
        3
    } else {
        1
    }
}

/// The banner's lines: evidence, numbers and top consumers, next step.
pub fn lines(state: &AppState) -> [String; 3] {
    let g = &state.guard;
    let Some(d) = g.decision.as_ref() else {
        return Default::default();
    };
    let fired: Vec<String> = d.evidence.fired.iter().map(ToString::to_string).collect();
    let snap = state.held.as_ref().unwrap_or(&state.procs);
    let evidence = format!("MEMORY CRITICAL  {}", fired.join("; "));
    let numbers = format!(
        "{} · top dev tools: {}",
        d.evidence.numbers(),
        top_consumers(snap)
    );
    let list = |n: usize| {
        d.victims
            .iter()
            .take(n)
            .map(|v| {
                format!(
                    "{} PID {} {}",
                    tool_name(v.role, &v.name),
                    v.pid,
                    format_bytes(v.rss_bytes)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let next = match (&d.action, g.in_flight.as_ref()) {
        (_, Some(v)) => format!(
            "ending PID {} ({}, {}) — the level is re-checked when it is gone",
            v.pid,
            tool_name(v.role, &v.name),
            format_bytes(v.rss_bytes)
        ),
        (Action::NothingToEnd, _) | (Action::Alert, _) if d.victims.is_empty() => format!(
            "no dev-tool suspect devtop may end{} — close something yourself",
            if d.spared.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} spared: servers, editor, not dev tools)",
                    d.spared.len()
                )
            }
        ),
        (Action::Alert, _) => format!(
            "{} ends {} dev-tool suspect(s), largest first, until it recovers: {}",
            state.keys.first_key(crate::app::keymap::Intent::GuardEnd),
            d.victims.len(),
            list(3)
        ),
        (Action::ConfirmedGone, _) => format!(
            "the suspects you confirmed are gone; {} reviews {} more: {}",
            state.keys.first_key(crate::app::keymap::Intent::GuardEnd),
            d.victims.len(),
            list(3)
        ),
        (Action::CoolDown { remaining_s }, _) => format!(
            "auto: next kill in {remaining_s:.0}s if still critical ({})",
            list(1)
        ),
        (Action::Settling | Action::Busy, _) => "re-checking the level…".to_owned(),
        (Action::End { victim }, _) => format!("ending PID {}", victim.pid),
        (Action::Idle | Action::NothingToEnd, _) => String::new(),
    };
    let next = if g.mode() == Mode::Auto && matches!(d.action, Action::Alert) {
        format!("auto: {next}")
    } else {
        next
    };
    [evidence, numbers, next]
}

/// Draw the banner into `area` (nothing when its height is 0).
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    if area.height == 0 {
        return;
    }
    let [evidence, numbers, next] = lines(state);
    let style = Style::default()
        .fg(theme::ON_BAD)
        .bg(theme::BAD)
        .add_modifier(Modifier::BOLD);
    // Without colour the reversed video and the words carry it.
    let style = if state.no_color {
        style.add_modifier(Modifier::REVERSED)
    } else {
        style
    };
    let text: Vec<Line> = if area.height >= 3 {
        vec![
            Line::from(Span::styled(format!(" {evidence}"), style)),
            Line::from(Span::styled(format!(" {numbers}"), style)),
            Line::from(Span::styled(format!(" {next}"), style)),
        ]
    } else {
        vec![Line::from(Span::styled(
            format!(" {evidence} · {next}"),
            style,
        ))]
    };
    frame.render_widget(Paragraph::new(text).style(style), area);
}
