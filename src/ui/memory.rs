//! Memory pane: RAM and swap gauges, the whole machine's CPU (busy share and load averages),
//! cgroup v2 limit, PSI, a 5-minute sparkline of available memory with the projected time to
//! exhaustion, dev RSS and the top processes by RSS.

use crate::app::state::{AppState, Focus};
use crate::model::cpu::CpuLoad;
use crate::model::guard::shown_level;
use crate::model::memory::{Level, MemorySnapshot, format_bytes};
use crate::model::snapshot::MemoryView;
use crate::model::suspects::format_age;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{LineGauge, Paragraph, Sparkline};

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 / whole as f64).clamp(0.0, 1.0)
    }
}

/// Draws one line of the pane into its row.
type DrawLine<'a> = Box<dyn Fn(&mut Frame<'_>, Rect) + 'a>;

fn bold(s: &str) -> Span<'_> {
    Span::styled(s, Style::default().add_modifier(Modifier::BOLD))
}

fn gauge<'a>(label: &'a str, r: f64, text: String, color: Color) -> LineGauge<'a> {
    LineGauge::default()
        .label(Line::from(vec![
            Span::styled(
                format!("{label:<6}"),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Span::raw(text),
        ]))
        .ratio(r)
        .filled_style(Style::default().fg(color))
        .unfilled_style(Style::default().fg(theme::MUTED))
}

/// The whole machine's CPU on one line of `width` cells: busy share (`…` until the second
/// reading), the 1/5/15-minute load averages and, with room, the number of CPUs. A busy
/// share of 90 % or more and a 1-minute load above the CPU count are yellow and bold (bold
/// stays under NO_COLOR).
pub fn cpu_line(cpu: Option<&CpuLoad>, width: u16) -> Line<'static> {
    let Some(c) = cpu else {
        return Line::from(vec![
            bold("CPU   "),
            Span::raw("unavailable (/proc/loadavg)"),
        ]);
    };
    let hot = Style::default()
        .fg(theme::WARN)
        .add_modifier(Modifier::BOLD);
    let busy = match c.busy_percent {
        Some(b) => Span::styled(
            format!("{b:>3.0}% busy"),
            if b >= 90.0 { hot } else { Style::default() },
        ),
        None => Span::raw("  …% busy"),
    };
    let mut spans = vec![
        bold("CPU   "),
        busy,
        Span::raw("  load "),
        Span::styled(
            format!("{:.2}", c.load1),
            if c.overloaded() {
                hot
            } else {
                Style::default()
            },
        ),
        Span::raw(format!(" {:.2} {:.2}", c.load5, c.load15)),
    ];
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let cores = format!(" · {} CPUs", c.cores);
    if c.cores > 0 && used + cores.len() <= usize::from(width) {
        spans.push(Span::styled(cores, theme::dim()));
    }
    Line::from(spans)
}

/// Draw the Memory pane. Its level and reasons are `[memory]`'s assessment and the guard's
/// trigger together, the stricter (see [`shown_level`]).
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState) {
    let mem = &state.memory;
    let shown = shown_level(
        mem.assessment.as_ref(),
        state.guard.decision.as_ref().map(|d| &d.evidence),
    );
    let level = shown.as_ref().map_or(Level::Ok, |a| a.level);
    let block = pane_block(level, state.focus == Focus::Memory);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(m) = &mem.snapshot else {
        let msg = mem
            .error
            .clone()
            .unwrap_or_else(|| "reading /proc/meminfo…".into());
        frame.render_widget(Paragraph::new(msg).style(theme::dim()), inner);
        return;
    };
    let rows =
        Layout::vertical(vec![Constraint::Length(1); usize::from(inner.height)]).split(inner);
    let color = theme::level_color(level);
    let mut lines: Vec<DrawLine<'_>> = vec![
        ram_line(m, color),
        avail_line(mem, m, color),
        swap_line(m),
        Box::new(move |f, r| {
            f.render_widget(Paragraph::new(cpu_line(mem.cpu.as_ref(), r.width)), r)
        }),
    ];
    // Without a cgroup limit its line says little: it gives way when the pane is short.
    let reasons = shown.as_ref().map_or(0, |a| a.reasons.len());
    let limited = m.cgroup.as_ref().is_some_and(|c| c.max_bytes.is_some());
    let full_height = lines.len() + 4 + reasons;
    if limited || rows.len() >= full_height {
        lines.push(cgroup_line(m, color));
    }
    lines.push(psi_line(m));
    if let Some(a) = &shown {
        for reason in &a.reasons {
            lines.push(Box::new(move |f, r| {
                let text = Line::styled(format!("! {reason}"), theme::fg(color));
                f.render_widget(Paragraph::new(text), r)
            }));
        }
    }
    lines.push(history_line(mem, color));
    // With room, the top 5 by RSS get a line each below; without, they follow on this line.
    let compact = rows.len().saturating_sub(lines.len() + 1) < 2;
    lines.push(dev_rss_line(state, compact));
    let spare = rows.len().saturating_sub(lines.len());
    if !compact {
        for p in state.procs.top_rss(spare.min(5)) {
            lines.push(Box::new(move |f, r| {
                f.render_widget(
                    Paragraph::new(format!(
                        "  {:>8} {:>7} {} {}",
                        format_bytes(p.rss_bytes),
                        p.pid,
                        p.role.label(),
                        crate::ui::processes::short_command(p)
                    )),
                    r,
                )
            }));
        }
    }
    for (draw, r) in lines.iter().zip(rows.iter()) {
        draw(frame, *r);
    }
}

/// The pane's border, titled with the memory level.
fn pane_block(level: Level, focused: bool) -> ratatui::widgets::Block<'static> {
    let level_text = match level {
        Level::Ok => "ok",
        Level::Warn => "WARN",
        Level::Critical => "CRITICAL",
    };
    theme::pane(
        Line::from(vec![
            Span::raw(" Memory "),
            Span::styled(
                format!("{level_text} "),
                Style::default()
                    .fg(theme::level_color(level))
                    .add_modifier(Modifier::BOLD),
            ),
        ]),
        focused,
    )
}

/// `RAM` gauge: used share of the total, in the level's colour.
fn ram_line(m: &MemorySnapshot, color: Color) -> DrawLine<'_> {
    let used = m.used_bytes();
    Box::new(move |f, r| {
        let ratio = ratio(used, m.total_bytes);
        f.render_widget(
            gauge("RAM", ratio, format!("{:>3.0}% ", ratio * 100.0), color),
            r,
        )
    })
}

/// `avail`: available memory, of the total (when there is room), and the projected time to
/// exhaustion.
fn avail_line<'a>(mem: &'a MemoryView, m: &'a MemorySnapshot, color: Color) -> DrawLine<'a> {
    Box::new(move |f, r| {
        let mut spans = vec![
            Span::styled("avail ", Style::default().add_modifier(Modifier::BOLD)),
            Span::styled(format_bytes(m.available_bytes), theme::fg(color)),
        ];
        if mem.exhaustion_s.is_none() || r.width >= 46 {
            spans.push(Span::raw(format!(" of {}", format_bytes(m.total_bytes))));
        }
        if let Some(s) = mem.exhaustion_s {
            spans.push(Span::styled(
                format!(" · out in ~{}", format_age(s as u64)),
                theme::fg(theme::WARN),
            ));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), r)
    })
}

/// `Swap` gauge, or `none`.
fn swap_line(m: &MemorySnapshot) -> DrawLine<'_> {
    let swap_used = m.swap_total_bytes.saturating_sub(m.swap_free_bytes);
    Box::new(move |f, r| {
        if m.swap_total_bytes == 0 {
            f.render_widget(
                Paragraph::new(Line::from(vec![bold("Swap  "), Span::raw("none")])),
                r,
            );
            return;
        }
        let q = ratio(swap_used, m.swap_total_bytes);
        let c = if q > 0.8 { theme::WARN } else { theme::INFO };
        let text = format!(
            "{:>3.0}% {}/{} ",
            q * 100.0,
            format_bytes(swap_used),
            format_bytes(m.swap_total_bytes)
        );
        f.render_widget(gauge("Swap", q, text, c), r)
    })
}

/// `cgroup`: the v2 memory limit as a gauge (in the level's colour when it is the binding
/// limit), its usage without a limit, or that there is none.
fn cgroup_line(m: &MemorySnapshot, color: Color) -> DrawLine<'_> {
    Box::new(move |f, r| match m.cgroup.as_ref() {
        Some(c) => match c.max_bytes {
            Some(max) => {
                let col = if m.cgroup_is_binding() {
                    color
                } else {
                    theme::INFO
                };
                let text = format!(
                    " {} of {} limit ",
                    format_bytes(c.current_bytes),
                    format_bytes(max)
                );
                f.render_widget(gauge("cgroup", ratio(c.current_bytes, max), text, col), r)
            }
            None => f.render_widget(
                Paragraph::new(format!(
                    "cgroup {} in use, no limit",
                    format_bytes(c.current_bytes)
                )),
                r,
            ),
        },
        None => f.render_widget(Paragraph::new("cgroup no v2 memory limit"), r),
    })
}

/// `PSI`: memory pressure, 10 s and 60 s averages when there is room.
fn psi_line(m: &MemorySnapshot) -> DrawLine<'_> {
    Box::new(move |f, r| {
        let line = match &m.psi {
            Some(p) if r.width >= 46 => Line::from(vec![
                bold("PSI   "),
                Span::raw(format!(
                    "some {:.1}%/{:.1}%  full {:.1}%/{:.1}%",
                    p.some_avg10, p.some_avg60, p.full_avg10, p.full_avg60
                )),
                Span::styled(" avg10/60", theme::dim()),
            ]),
            Some(p) => Line::from(vec![
                bold("PSI   "),
                Span::raw(format!(
                    "some {:.1}% full {:.1}%",
                    p.some_avg10, p.full_avg10
                )),
                Span::styled(" avg10", theme::dim()),
            ]),
            None => Line::from("PSI   unavailable (kernel without /proc/pressure)"),
        };
        f.render_widget(Paragraph::new(line), r)
    })
}

/// `5 min`: sparkline of available memory, newest on the right.
fn history_line(mem: &MemoryView, color: Color) -> DrawLine<'_> {
    Box::new(move |f, r| {
        let [label, spark] =
            Layout::horizontal([Constraint::Length(6), Constraint::Min(1)]).areas(r);
        f.render_widget(Paragraph::new(Line::from(bold("5 min"))), label);
        let n = usize::from(spark.width);
        let data = &mem.sparkline[mem.sparkline.len().saturating_sub(n)..];
        f.render_widget(
            Sparkline::default().data(data).style(theme::fg(color)),
            spark,
        );
    })
}

/// `dev RSS`: the dev processes' total RSS and count; `compact`: the top 5 follow on the line.
fn dev_rss_line(state: &AppState, compact: bool) -> DrawLine<'_> {
    let snap = &state.procs;
    Box::new(move |f, r| {
        let mut spans = vec![
            Span::styled("dev RSS ", Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(format!(
                "{} in {} processes",
                format_bytes(snap.dev_rss_bytes()),
                snap.dev_processes().count()
            )),
        ];
        if compact {
            let top: Vec<String> = snap
                .top_rss(5)
                .iter()
                .map(|p| format!("{} {}", format_bytes(p.rss_bytes), p.role.label()))
                .collect();
            if !top.is_empty() {
                spans.push(Span::styled(
                    format!(" · top {}", top.join(", ")),
                    theme::dim(),
                ));
            }
        }
        f.render_widget(Paragraph::new(Line::from(spans)), r)
    })
}
