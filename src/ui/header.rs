//! Title line (project, scope, counts, sort) and status line (filter prompt, the selected
//! process's suspect evidence, the last action's result).

use crate::sanitize::clean;
use crate::tui::keymap::key_bar;
use crate::tui::state::{AppState, View};
use crate::tui::update::format_interval;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Title line: screen tabs, project and scope, suspect counts, database dots, process count.
/// Most important first, so a narrow terminal cuts the least useful part.
pub fn render_header(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let snap = &state.procs;
    let shown = snap.dev_processes().count();
    let hard = crate::model::suspects::hard_count(&snap.suspects);
    let warn = snap.suspects.len() - hard;
    let tab = |n: &str, label: &str, on: bool| {
        let style = if on {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            theme::dim()
        };
        Span::styled(format!("{n} {label}"), style)
    };
    let project = clean(&snap.root.file_name().map_or_else(
        || snap.root.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    ))
    .into_owned();
    let mut spans = vec![
        Span::styled("devtop ", Style::default().add_modifier(Modifier::BOLD)),
        tab("1", "Processes", state.view == View::Processes),
        Span::raw(" "),
        tab("2", "Databases", state.view == View::Databases),
        Span::raw(format!(" {project} ")),
        Span::styled(
            format!("[{}] ", state.scope.label()),
            Style::default().fg(Color::Cyan),
        ),
    ];
    if hard > 0 {
        spans.push(Span::styled(
            format!("{hard} suspect{} ", if hard == 1 { "" } else { "s" }),
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        ));
    }
    if warn > 0 {
        spans.push(Span::styled(
            format!("{warn} warn "),
            Style::default().fg(Color::Yellow),
        ));
    }
    if hard + warn == 0 && snap.cpu_ready {
        spans.push(Span::styled(
            "no suspects ",
            Style::default().fg(Color::Green),
        ));
    }
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
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::REVERSED | Modifier::BOLD),
            ),
        );
    }
    if !snap.cpu_ready {
        spans.push(Span::styled(" sampling…", theme::dim()));
    }
    let right = "  ? help";
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if used + right.len() <= usize::from(area.width) {
        let pad = usize::from(area.width) - used - right.len();
        spans.push(Span::raw(" ".repeat(pad)));
        spans.push(Span::styled(right, theme::dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Status line.
pub fn render_footer(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let line = if state.search_editing {
        Line::from(vec![
            Span::styled("search: ", Style::default().fg(Color::Cyan)),
            Span::raw(format!("{}▏", clean(&state.search))),
            Span::styled("  F3 next · Enter keep · Esc clear", theme::dim()),
        ])
    } else if state.filter_editing {
        Line::from(vec![
            Span::styled("filter: ", Style::default().fg(Color::Cyan)),
            Span::raw(format!("{}▏", clean(&state.filter))),
            Span::styled("  Enter keep · Esc clear", theme::dim()),
        ])
    } else if let Some(s) = state.selected.and_then(|pid| state.procs.suspect_of(pid)) {
        Line::from(vec![
            Span::styled(
                format!("{}: ", s.kind.label()),
                Style::default()
                    .fg(theme::severity_color(s.severity))
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("{} → {}", clean(&s.reason), clean(&s.advice))),
        ])
    } else if let Some(msg) = &state.status {
        Line::from(Span::raw(clean(msg).into_owned()))
    } else if !state.filter.is_empty() {
        Line::from(Span::styled(
            format!("filter \"{}\" · Esc clears", clean(&state.filter)),
            theme::dim(),
        ))
    } else {
        Line::from(Span::styled(
            "Enter details · s scope · Tab pane · +/- refresh · ? every key",
            theme::dim(),
        ))
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// Key bar on the bottom line, like htop's: the keys of the current context from the key table
/// (key reversed, name plain).
pub fn render_key_bar(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let nothing_to_kill = matches!(
        &state.popup,
        Some(crate::tui::state::Popup::ConfirmKill { plan, .. }) if plan.kills.is_empty()
    );
    let keys: Vec<(&str, &str)> = if state.search_editing {
        vec![("F3", "Next"), ("Enter", "Keep"), ("Esc", "Clear")]
    } else if state.filter_editing {
        vec![("Enter", "Keep"), ("Esc", "Clear")]
    } else if nothing_to_kill {
        // A dialog that only says why nothing can be killed offers no "Kill".
        vec![("Esc", "Close")]
    } else {
        key_bar(crate::tui::update::context(state))
    };
    let mut spans = Vec::new();
    for (key, name) in keys {
        spans.push(Span::styled(
            key,
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ));
        spans.push(Span::raw(format!(" {name}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
