//! Title line (project, scope, counts, sort) and status line (filter prompt, the selected
//! process's suspect evidence, the last action's result).

use crate::app::keymap::Intent;
use crate::app::keys::KeyMap;
use crate::app::state::{AppState, View};
use crate::app::update::format_interval;
use crate::sanitize::clean;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Below this width the tabs of the screens not shown give only their key (`1 2 4 Preflight`),
/// so the project, the counts and the help hint keep their room.
const FULL_TABS_WIDTH: u16 = 120;

/// The screen tabs of the pane table, the current one reversed (narrower than
/// [`FULL_TABS_WIDTH`]: the others by their key alone).
fn tabs(state: &AppState, width: u16) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (i, screen) in crate::app::panes::SCREENS.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        let style = if state.view == screen.view {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            theme::dim()
        };
        let key = state.keys.first_key(screen.intent);
        let text = if state.view == screen.view || width >= FULL_TABS_WIDTH {
            format!("{key} {}", screen.title)
        } else {
            key.to_owned()
        };
        spans.push(Span::styled(text, style));
    }
    spans
}

/// Suspect and warning counts, or "no suspects" once CPU has been sampled.
fn suspect_counts(snap: &crate::model::snapshot::ProcessSnapshot) -> Vec<Span<'static>> {
    let hard = crate::model::suspects::hard_count(&snap.suspects);
    let warn = snap.suspects.len() - hard;
    let mut spans = Vec::new();
    if hard > 0 {
        spans.push(Span::styled(
            format!("{hard} suspect{} ", if hard == 1 { "" } else { "s" }),
            Style::default().fg(theme::BAD).add_modifier(Modifier::BOLD),
        ));
    }
    if warn > 0 {
        spans.push(Span::styled(
            format!("{warn} warn "),
            Style::default().fg(theme::WARN),
        ));
    }
    if hard + warn == 0 && snap.cpu_ready {
        spans.push(Span::styled("no suspects ", Style::default().fg(theme::OK)));
    }
    spans
}

/// Title line: screen tabs, project and scope, suspect counts, database dots, process count.
/// Most important first, so a narrow terminal cuts the least useful part.
pub fn render_header(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let snap = &state.procs;
    let shown = snap.dev_processes().count();
    let project = clean(&snap.root.file_name().map_or_else(
        || snap.root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    ))
    .into_owned();
    let mut spans = vec![Span::styled(
        "devtop ",
        Style::default().add_modifier(Modifier::BOLD),
    )];
    spans.extend(tabs(state, area.width));
    spans.extend([
        Span::raw(format!(" {project} ")),
        Span::styled(
            format!("[{}] ", state.scope.label()),
            Style::default().fg(theme::ACCENT),
        ),
    ]);
    spans.extend(suspect_counts(snap));
    for e in &state.dbs.envs {
        let (color, dot) = crate::ui::health::status_style(e.status);
        spans.push(Span::styled(
            format!("{dot}{} ", clean(&e.name)),
            Style::default().fg(color),
        ));
    }
    spans.push(Span::raw(format!("{shown}/{} procs", snap.scanned)));
    // Refresh interval (and PAUSED) right after the name, where a narrow terminal keeps it.
    spans.insert(
        1,
        Span::styled(
            format!("↻{} ", format_interval(state.refresh)),
            theme::dim(),
        ),
    );
    if state.paused {
        spans.insert(
            1,
            Span::styled(
                "PAUSED ",
                Style::default()
                    .fg(theme::WARN)
                    .add_modifier(Modifier::REVERSED | Modifier::BOLD),
            ),
        );
    }
    if !snap.cpu_ready {
        spans.push(Span::styled(" sampling…", theme::dim()));
    }
    let right = format!("  {} help", state.keys.first_key(Intent::Help));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let right_len = right.chars().count();
    if used + right_len <= usize::from(area.width) {
        let pad = usize::from(area.width) - used - right_len;
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(right, theme::dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Status line.
pub fn render_footer(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let line = if state.search_editing {
        Line::from(vec![
            Span::styled("search: ", Style::default().fg(theme::ACCENT)),
            Span::raw(format!("{}▏", clean(&state.search))),
        ])
    } else if state.filter_editing {
        Line::from(vec![
            Span::styled("filter: ", Style::default().fg(theme::ACCENT)),
            Span::raw(format!("{}▏", clean(&state.filter))),
        ])
    } else if let Some(s) = state
        .selected
        // The evidence of the selected row, where the row is seen (elsewhere a key's notice,
        // such as "press 1 first", must not hide behind it).
        .filter(|_| state.view == View::Processes)
        .and_then(|pid| state.procs.suspect_of(pid))
    {
        Line::from(vec![
            Span::styled(
                format!("{}: ", s.kind.label()),
                Style::default()
                    .fg(theme::severity_color(s.severity))
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("{} → {}", clean(&s.reason), clean(&s.advice))),
        ])
    } else if let Some(msg) = state.notice_text() {
        Line::from(Span::raw(clean(msg).into_owned()))
    } else if !state.filter.is_empty() {
        Line::from(Span::styled(
            format!(
                "filter \"{}\" · {} clears",
                clean(&state.filter),
                state.keys.first_key(Intent::Cancel)
            ),
            theme::dim(),
        ))
    } else {
        Line::from(Span::styled(hint(&state.keys, state.view), theme::dim()))
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// Key bar on the bottom line, like htop's: the keys of the current context
/// ([`crate::app::key_bar`]), key reversed, name plain.
pub fn render_key_bar(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let mut spans = Vec::new();
    for (i, (key, name)) in crate::app::key_bar::bar(state, area.width)
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(
            key,
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
        spans.push(Span::raw(format!(" {name}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The footer's hint when nothing else is to say, with the keys in effect (`Enter details`
/// only on the screens where Enter opens details).
fn hint(keys: &KeyMap, view: View) -> String {
    let k = |i| keys.first_key(i);
    let details = if crate::app::intent::acts_on(Intent::Details, view) {
        format!("{} details · ", k(Intent::Details))
    } else {
        String::new()
    };
    format!(
        "{details}{} scope · {} pane · {}/{} refresh · {} every key",
        k(Intent::ToggleScope),
        k(Intent::FocusNext),
        k(Intent::Faster),
        k(Intent::Slower),
        k(Intent::Help)
    )
}
