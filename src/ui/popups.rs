//! Popups: process details, kill confirmation; the help is [`crate::ui::help`].

use crate::app::confirm::{Confirm, ConfirmAction};
use crate::app::state::{AppState, Popup};
use crate::model::memory::format_bytes;
use crate::model::suspects::format_age;
use crate::sanitize::clean;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// A `width` × `height` rectangle centred in `area` (each clipped to `area`).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    h
}

fn bold(s: impl Into<String>) -> Span<'static> {
    Span::styled(s.into(), Style::default().add_modifier(Modifier::BOLD))
}

/// Draw the open popup, if any.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    match &state.popup {
        None => {}
        Some(Popup::Help { scroll }) => crate::ui::help::render(frame, area, &state.keys, *scroll),
        Some(Popup::Details(pid)) => details(frame, area, state, *pid),
        Some(Popup::Confirm(c)) => confirm(frame, area, c, state),
        Some(Popup::ServerDetails { name, scroll }) => {
            crate::ui::server_popups::details(frame, area, state, name, *scroll);
        }
        Some(Popup::Migrate(pick)) => crate::ui::migrate_popup::picker(frame, area, pick),
    }
}

/// The confirm popup: the body of its action (a kill plan: the kill dialog).
fn confirm(frame: &mut Frame<'_>, area: Rect, c: &Confirm, state: &AppState) {
    match &c.action {
        ConfirmAction::Kill(plan) | ConfirmAction::GuardDrain(plan) => {
            crate::ui::kill_dialog::render(frame, area, &c.title, plan, state.grace, c.scroll);
        }
        ConfirmAction::RestartServers(names) => {
            crate::ui::server_popups::restart(frame, area, &c.title, names, &state.keys);
        }
        ConfirmAction::PortConflict(name, conflict) => {
            crate::ui::server_popups::port_conflict(frame, area, &c.title, name, conflict);
        }
        ConfirmAction::QuitServers(names) => {
            crate::ui::server_popups::quit_question(frame, area, &c.title, names, state);
        }
        ConfirmAction::Migrate(_)
        | ConfirmAction::EndMigrate(..)
        | ConfirmAction::QuitMigrating(_) => {
            crate::ui::migrate_popup::confirm(frame, area, c);
        }
    }
}

fn details(frame: &mut Frame<'_>, area: Rect, state: &AppState, pid: u32) {
    let Some(p) = state.procs.get(pid) else {
        return;
    };
    let mut lines = process_lines(p, state);
    let children: Vec<String> = state
        .procs
        .processes
        .iter()
        .filter(|c| c.ppid == Some(pid))
        .map(|c| format!("{} {}", c.pid, c.role.label()))
        .collect();
    lines.push(kv(
        "children",
        if children.is_empty() {
            "none".into()
        } else {
            children.join(", ")
        },
    ));
    for e in state
        .dbs
        .envs
        .iter()
        .filter(|e| e.lock_local_pid == Some(pid))
    {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<13}", "migrate lock"), Style::default().fg(theme::WARN).add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                "holds Prisma's migrate lock on {}: other migrate runs wait on it (P1002 after 10 s)",
                clean(&e.name)
            )),
        ]));
    }
    if let Some(s) = state.procs.suspect_of(pid) {
        let c = theme::severity_color(s.severity);
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<13}", s.kind.label()),
                Style::default().fg(c).add_modifier(Modifier::BOLD),
            ),
            Span::styled(clean(&s.reason).into_owned(), Style::default().fg(c)),
        ]));
        lines.push(kv("advice", clean(&s.advice).into_owned()));
    }
    let r = centered(
        area,
        area.width.saturating_sub(4).min(120),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!(" PID {pid} {} · Esc closes ", clean(&p.name))),
        ),
        r,
    );
}

/// A `key  value` line of the details popup.
fn kv(k: &str, v: String) -> Line<'static> {
    Line::from(vec![bold(format!("{k:<13}")), Span::raw(v)])
}

/// The details popup's lines about the process itself (role to argv).
fn process_lines(p: &crate::model::process::ProcessInfo, state: &AppState) -> Vec<Line<'static>> {
    vec![
        kv(
            "role",
            format!("{} ({:?})", p.role.label(), p.relation).to_lowercase(),
        ),
        kv(
            "state",
            format!(
                "{}   PPID {}   pgrp {}   tty {}",
                p.state,
                p.ppid.map_or("-".into(), |x| x.to_string()),
                p.pgrp,
                if p.tty_nr == 0 {
                    "none".into()
                } else {
                    p.tty_nr.to_string()
                }
            ),
        ),
        kv(
            "age",
            format!(
                "{} (started {})",
                format_age(p.age_s),
                humantime::format_rfc3339_seconds(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(p.start_time)
                )
            ),
        ),
        kv(
            "CPU",
            format!(
                "{:.1}% of one core now, {:.1}% lifetime average",
                p.cpu_percent,
                p.lifetime_cpu_percent()
            ),
        ),
        kv("RSS", format_bytes(p.rss_bytes)),
        kv(
            "cwd",
            p.cwd
                .as_ref()
                .map_or("(unreadable)".into(), |c| crate::sanitize::path(c)),
        ),
        kv(
            "ports",
            if p.ports.is_empty() {
                "none listening".into()
            } else {
                p.ports
                    .iter()
                    .map(|x| format!(":{x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            },
        ),
        kv(
            "NODE_OPTIONS",
            p.node_options
                .as_deref()
                .map_or("(unset)".into(), |o| clean(o).into_owned()),
        ),
        kv("heap limit", heap_text(state, p)),
        kv("argv", clean(&p.cmd.join(" ")).into_owned()),
    ]
}

/// The details popup's heap limit: the node process's limit beside its RSS with the source,
/// and the warning when RSS nears it.
fn heap_text(state: &AppState, p: &crate::model::process::ProcessInfo) -> String {
    use crate::model::node_heap;
    let memory = state
        .memory
        .snapshot
        .as_ref()
        .map(node_heap::memory_node_sees);
    match node_heap::heap_limit(p, memory) {
        None if !node_heap::is_node(p) => "not a node process".into(),
        None => "V8 default (memory unknown)".into(),
        Some(limit) => {
            let text = format!(
                "{} · RSS {}",
                node_heap::describe(p, limit, memory),
                format_bytes(p.rss_bytes)
            );
            match node_heap::near_warning(&crate::app::guard::tool_name(p.role, &p.name), p, limit)
            {
                Some(w) => format!("{text} · ⚠ {w}"),
                None => text,
            }
        }
    }
}
