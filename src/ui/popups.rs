//! Popups: help (from the key table), process details, kill confirmation.

use crate::model::kill_plan::total_rss;
use crate::model::memory::format_bytes;
use crate::model::suspects::format_age;
use crate::tui::keymap::{BINDINGS, Context};
use crate::tui::state::{AppState, Popup};
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn centered(area: Rect, width: u16, height: u16) -> Rect {
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
        Some(Popup::Help) => help(frame, area),
        Some(Popup::Details(pid)) => details(frame, area, state, *pid),
        Some(Popup::ConfirmKill { title, plan }) => {
            let mut lines = vec![Line::from(vec![
                bold(format!("{:>7} {:<15} {:>8}  ", "PID", "ROLE", "RSS")),
                bold("REASON"),
            ])];
            for k in plan {
                lines.push(Line::from(format!(
                    "{:>7} {:<15} {:>8}  {}",
                    k.pid,
                    k.role.label(),
                    format_bytes(k.rss_bytes),
                    k.reason
                )));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(format!(
                "frees about {} · SIGTERM, then SIGKILL after {:.0} s · children first",
                format_bytes(total_rss(plan)),
                state.grace.as_secs_f64()
            )));
            lines.push(Line::from(vec![
                Span::styled(
                    " y/Enter ",
                    Style::default().fg(Color::Black).bg(Color::Red),
                ),
                Span::raw(" kill   "),
                Span::styled(" n/Esc ", Style::default().add_modifier(Modifier::REVERSED)),
                Span::raw(" cancel"),
            ]));
            let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
            let r = centered(area, area.width.saturating_sub(4).min(110), h);
            frame.render_widget(Clear, r);
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(Style::default().fg(Color::Red))
                .title(format!(" {title} "));
            frame.render_widget(Paragraph::new(lines).block(block), r);
        }
    }
}

fn help(frame: &mut Frame<'_>, area: Rect) {
    let entries: Vec<Line> = [(Context::Main, ""), (Context::Confirm, "in a dialog: ")]
        .iter()
        .flat_map(|(ctx, prefix)| {
            BINDINGS
                .iter()
                .filter(move |b| b.context == *ctx)
                .map(move |b| {
                    Line::from(vec![
                        Span::styled(format!(" {:<9}", b.label), Style::default().fg(Color::Cyan)),
                        Span::raw(format!("{prefix}{}", b.desc)),
                    ])
                })
        })
        .collect();
    let rows_fit = usize::from(area.height.saturating_sub(2));
    let two_columns = entries.len() > rows_fit || area.width < 100;
    let per_col = if two_columns {
        entries.len().div_ceil(2)
    } else {
        entries.len()
    };
    let width = if two_columns { area.width.min(84) } else { 60 };
    let r = centered(area, width, per_col as u16 + 2);
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Help · Esc closes ");
    let inner = block.inner(r);
    frame.render_widget(block, r);
    if two_columns {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(inner);
        let (a, b) = entries.split_at(per_col);
        frame.render_widget(Paragraph::new(a.to_vec()), left);
        frame.render_widget(Paragraph::new(b.to_vec()), right);
    } else {
        frame.render_widget(Paragraph::new(entries), inner);
    }
}

fn details(frame: &mut Frame<'_>, area: Rect, state: &AppState, pid: u32) {
    let Some(p) = state.procs.get(pid) else {
        return;
    };
    let kv = |k: &str, v: String| Line::from(vec![bold(format!("{k:<13}")), Span::raw(v)]);
    let mut lines = vec![
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
                .map_or("(unreadable)".into(), |c| c.display().to_string()),
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
            p.node_options.clone().unwrap_or_else(|| "(unset)".into()),
        ),
        kv(
            "heap limit",
            p.max_old_space_mib
                .map_or("node default (--max-old-space-size not set)".into(), |m| {
                    format!("--max-old-space-size={m} MiB")
                }),
        ),
        kv("argv", p.cmd.join(" ")),
    ];
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
            Span::styled(format!("{:<13}", "migrate lock"), Style::default().fg(Color::Yellow).add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                "holds Prisma's migrate lock on {}: other migrate runs wait on it (P1002 after 10 s)",
                e.name
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
            Span::styled(s.reason.clone(), Style::default().fg(c)),
        ]));
        lines.push(kv("advice", s.advice.clone()));
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
                .title(format!(" PID {pid} {} · Esc closes ", p.name)),
        ),
        r,
    );
}
