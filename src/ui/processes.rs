//! Processes pane: the tree (or flat list) of dev processes with role, state, CPU, RSS, age,
//! ports and suspect marks. Context ancestors are dimmed; suspects red, warnings yellow.

use crate::app::keymap::Intent;
use crate::app::state::{AppState, Focus};
use crate::model::memory::format_bytes;
use crate::model::process::{ProcessInfo, Relation};
use crate::model::suspects::format_age;
use crate::sanitize::clean;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

/// The COMMAND column text: see [`crate::model::process::display_command`].
pub fn short_command(p: &ProcessInfo) -> String {
    crate::model::process::display_command(&p.name, &p.cmd)
}

/// Draw the Processes pane.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let focused = state.focus == Focus::Processes;
    let rows = state.rows();
    let selected = state.selected_index(&rows);
    let height = crate::ui::process_list_height(area);
    let start = crate::ui::process_window(state, &rows, area);
    let title = format!(
        " Processes {} · {} · sort {} ",
        crate::ui::scroll_position(
            start,
            height.min(rows.len() - start.min(rows.len())),
            rows.len()
        ),
        if state.tree { "tree" } else { "flat" },
        state.sort.label()
    );
    let block = theme::pane(title, focused);
    if rows.is_empty() {
        let msg = empty_message(state);
        frame.render_widget(Paragraph::new(msg).style(theme::dim()).block(block), area);
        return;
    }
    let wide = area.width >= 120;
    let mut header = vec!["", "    PID", "ROLE", "S", " CPU%", "     RSS", "    AGE"];
    if wide {
        header.extend(["PORTS", "SUSPECT"]);
    }
    header.push("COMMAND");
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(7),
        Constraint::Length(14),
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(7),
    ];
    if wide {
        widths.extend([Constraint::Length(11), Constraint::Length(18)]);
    }
    widths.push(Constraint::Min(10));
    // Only the rows on screen are built (a thousand matched processes would otherwise cost
    // a thousand formatted rows per frame); the table gets the window and a local selection.
    let end = (start + height).min(rows.len());
    let window = rows.get(start..end).unwrap_or_default();
    let body: Vec<Row> = window.iter().map(|r| process_row(state, r, wide)).collect();
    let table = Table::new(body, widths)
        .header(Row::new(header).style(theme::header()))
        .block(block)
        .column_spacing(1)
        .row_highlight_style(if focused {
            theme::selected()
        } else {
            Style::default().add_modifier(Modifier::UNDERLINED)
        });
    let mut ts = TableState::default().with_offset(0).with_selected(
        selected
            .filter(|&i| i >= start && i < end)
            .map(|i| i - start),
    );
    frame.render_stateful_widget(table, area, &mut ts);
}

/// What the empty list says: still collecting, nothing matches the filter, or nothing in
/// the scope.
fn empty_message(state: &AppState) -> String {
    if state.procs.scanned == 0 {
        "collecting…".to_owned()
    } else if !state.filter.is_empty() {
        format!(
            "no process matches the filter \"{}\" ({} clears)",
            state.filter,
            state.keys.first_key(Intent::Cancel)
        )
    } else {
        format!(
            "no node / prisma / tsx / vite process in {} scope{} ({} toggles the scope)",
            state.scope.label(),
            if state.scope == crate::model::tree::Scope::Project {
                format!(" under {}", crate::sanitize::path(&state.procs.root))
            } else {
                String::new()
            },
            state.keys.first_key(Intent::ToggleScope)
        )
    }
}

/// One row of the list; `wide` adds the ports and the suspect (or migrate lock) columns.
fn process_row<'a>(state: &'a AppState, r: &'a crate::model::tree::Row, wide: bool) -> Row<'a> {
    let p = &state.procs.processes[r.index];
    let suspect = state.procs.suspect_of(p.pid);
    let style = match (p.relation, suspect) {
        (Relation::Ancestor, _) => theme::dim(),
        (_, Some(s)) => Style::default().fg(theme::severity_color(s.severity)),
        _ => Style::default(),
    };
    let mark = suspect.map_or(" ", |s| theme::severity_mark(s.severity));
    let cpu = if p.cpu_sampled || p.cpu_percent > 0.0 {
        format!("{:.1}", p.cpu_percent)
    } else {
        "…".into()
    };
    let mut cells = vec![
        Cell::from(mark),
        Cell::from(format!("{:>7}", p.pid)),
        Cell::from(p.role.label()),
        Cell::from(p.state.to_string()),
        Cell::from(format!("{cpu:>5}")),
        Cell::from(format!("{:>8}", format_bytes(p.rss_bytes))),
        Cell::from(format!("{:>7}", format_age(p.age_s))),
    ];
    if wide {
        let ports = p
            .ports
            .iter()
            .map(|x| format!(":{x}"))
            .collect::<Vec<_>>()
            .join(" ");
        cells.push(Cell::from(ports));
        let lock = state
            .dbs
            .envs
            .iter()
            .find(|e| e.lock_local_pid == Some(p.pid));
        cells.push(match (suspect, lock) {
            (Some(s), _) => Cell::from(s.kind.label()),
            (None, Some(e)) => Cell::from(Span::styled(
                format!("lock:{}", clean(&e.name)),
                theme::fg(theme::WARN),
            )),
            (None, None) => Cell::from(""),
        });
    }
    let cmd = Line::from(vec![
        Span::styled(r.prefix.clone(), theme::dim()),
        Span::raw(clean(&short_command(p)).into_owned()),
    ]);
    cells.push(Cell::from(cmd));
    Row::new(cells).style(style)
}
