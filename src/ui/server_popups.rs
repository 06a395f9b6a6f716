//! The servers' popups: one server's details with its full log (Enter on the Servers
//! screen), the restart question (`r` on a server others depend on) and the quit question
//! (quitting while servers started here still run).

use crate::app::keymap::{Context, Intent};
use crate::app::keys::KeyMap;
use crate::app::servers::Phase;
use crate::app::state::AppState;
use crate::model::memory::format_bytes;
use crate::sanitize::clean;
use crate::ui::popups::centered;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

fn frame_block(title: String) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme::ACCENT))
        .title(Span::styled(
            title,
            Style::default().add_modifier(Modifier::BOLD),
        ))
}

fn field(name: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<11}"), Style::default().fg(theme::MUTED)),
        Span::raw(value),
    ])
}

/// Details of server `name` and its log, scrolled `scroll` lines back from the newest.
pub fn details(frame: &mut Frame<'_>, area: Rect, state: &AppState, name: &str, scroll: usize) {
    let Some(r) = state.servers.rows.iter().find(|r| r.name == name) else {
        return;
    };
    let popup = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, popup);
    let logs = &state.servers.logs;
    let total = logs.len_of(name);
    let block = frame_block(format!(" {} ", clean(name)));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let dash = || "-".to_owned();
    let running = r.phase.running();
    let mut head = vec![
        field(
            "state",
            match &r.phase {
                Phase::Held(reason) => format!("held: {}", clean(reason)),
                p => p.label(),
            },
        ),
        field(
            "PID",
            r.pid
                .filter(|_| running)
                .map_or_else(dash, |p| p.to_string()),
        ),
        field(
            "processes",
            if running && !r.members.is_empty() {
                r.members
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                dash()
            },
        ),
        field(
            "memory",
            r.rss_bytes
                .filter(|_| running)
                .map_or_else(dash, |b| format!("{} RSS (whole tree)", format_bytes(b))),
        ),
        field(
            "ready",
            match (&r.ready_after, &r.ready_how) {
                (Some(a), Some(how)) => format!("after {:.1} s ({})", a.as_secs_f64(), clean(how)),
                _ => dash(),
            },
        ),
        field(
            "depends on",
            if r.depends_on.is_empty() {
                dash()
            } else {
                clean(&r.depends_on.join(", ")).into_owned()
            },
        ),
    ];
    if let Some(e) = &r.last_error {
        head.push(Line::from(vec![
            Span::styled(format!("{:<11}", "error"), Style::default().fg(theme::BAD)),
            Span::raw(clean(e).into_owned()),
        ]));
    }
    let head_h = head.len() as u16 + 1;
    let [head_area, log_area] =
        Layout::vertical([Constraint::Length(head_h), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(head), head_area);
    let height = usize::from(log_area.height.saturating_sub(1));
    let first = total.saturating_sub(height + scroll);
    let shown: Vec<Line<'_>> = logs
        .of(name)
        .skip(first)
        .take(height)
        .map(Line::raw)
        .collect();
    let last = first + shown.len();
    let cap = thousands(logs.cap());
    let position = if total == 0 {
        "no output yet".to_owned()
    } else {
        // The popup scrolls with the main screen's movement keys (rebound ones too), each
        // named by its shortest key ("g" of "Home/g").
        let k = |i| {
            state
                .keys
                .label(Context::Main, i)
                .and_then(|l| l.split(['/', ' ']).min_by_key(|k| k.chars().count()))
                .unwrap_or("?")
        };
        let keys = [
            Intent::Up,
            Intent::Down,
            Intent::PageUp,
            Intent::PageDown,
            Intent::Home,
            Intent::End,
        ]
        .map(k);
        format!(
            "log lines {}–{last} of {total} (the last {cap} are kept; {}{} {} scroll, {} close)",
            first + 1,
            keys[0],
            keys[1],
            keys[2..].join(" "),
            state.keys.key(Context::Popup, Intent::Cancel)
        )
    };
    let [title_area, lines_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(log_area);
    frame.render_widget(
        Paragraph::new(Line::styled(position, Style::default().fg(theme::MUTED))),
        title_area,
    );
    frame.render_widget(Paragraph::new(shown), lines_area);
}

/// `10000` → `10,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The restart question: which servers each answer restarts (`names[0]` is the selected one,
/// the rest depend on it); the keys named from the key table `keys`.
pub fn restart(frame: &mut Frame<'_>, area: Rect, title: &str, names: &[String], keys: &KeyMap) {
    let key = |i| keys.bar_key(Context::Confirm, i).unwrap_or("?").to_owned();
    let only = names
        .first()
        .map(|n| clean(n).into_owned())
        .unwrap_or_default();
    let body = vec![
        Line::from(format!(
            "{} restarts, in order: {}",
            key(Intent::Confirm),
            clean(&names.join(", "))
        )),
        Line::from(format!("{} restarts only {only}", key(Intent::No))),
        Line::from(format!("{}: restart nothing", key(Intent::Cancel))),
        Line::from(""),
        Line::from("each is stopped (stop signal, then SIGKILL after its grace) and"),
        Line::from("started again once what it depends on is ready."),
    ];
    question(frame, area, title, body);
}

/// The quit question: stop the servers this devtop started (yes, the default), leave them
/// running, or stay — each with its keys from the key table.
pub fn quit_question(
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    names: &[String],
    state: &AppState,
) {
    let n = names
        .iter()
        .filter_map(|n| state.servers.rows.iter().find(|r| &r.name == n))
        .count();
    let key = key_column(&state.keys);
    let body = vec![
        Line::from(vec![
            key(Intent::Confirm),
            Span::raw(if n == 0 {
                "stop what it started, in reverse order, then quit (default)".to_owned()
            } else {
                format!("stop them in reverse order, then quit (default; {n} server(s))")
            }),
        ]),
        Line::from(vec![
            key(Intent::LeaveRunning),
            Span::raw("leave them running and quit: they stay recorded in"),
        ]),
        Line::from("        .devtop/state.json; `devtop down` or the next devtop stops them"),
        Line::from(vec![key(Intent::Cancel), Span::raw("stay in devtop")]),
        Line::from(""),
        Line::styled(
            "(devtop --keep leaves them running without asking)",
            Style::default().fg(theme::MUTED),
        ),
    ];
    question(frame, area, title, body);
}

/// A dialog's keys for an answer, as the key table labels them in dialogs (`"y/Enter"`), in a
/// column eight wide.
fn key_column(keys: &KeyMap) -> impl Fn(Intent) -> Span<'static> + '_ {
    move |intent| {
        Span::styled(
            format!("{:<8}", keys.label(Context::Confirm, intent).unwrap_or("?")),
            Style::default()
                .fg(theme::ACCENT)
                .add_modifier(Modifier::BOLD),
        )
    }
}

fn question(frame: &mut Frame<'_>, area: Rect, title: &str, body: Vec<Line<'static>>) {
    let width = body
        .iter()
        .map(Line::width)
        .chain(std::iter::once(title.chars().count() + 2))
        .max()
        .unwrap_or(40) as u16
        + 4;
    let width = width.min(area.width.saturating_sub(2));
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = body.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let popup = centered(area, width, rows as u16 + 2);
    frame.render_widget(Clear, popup);
    let block = frame_block(format!(" {title} "));
    frame.render_widget(
        Paragraph::new(body).block(block).wrap(Wrap { trim: false }),
        popup,
    );
}

/// "PID 77 node, PID 76 sh, PID 75 npm (3 processes)": what "end it" signals, at most
/// [`END_LIST_SHOWN`] named.
fn end_list(to_end: &[crate::model::port_conflict::EndTarget]) -> String {
    let named: Vec<String> = to_end
        .iter()
        .take(END_LIST_SHOWN)
        .map(|t| format!("PID {} {}", t.pid, clean(&t.name)))
        .collect();
    let more = to_end.len().saturating_sub(END_LIST_SHOWN);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "{}{more} ({} process{})",
        named.join(", "),
        to_end.len(),
        if to_end.len() == 1 { "" } else { "es" }
    )
}

/// Processes named in the port-conflict question's "ends" line.
const END_LIST_SHOWN: usize = 6;

/// The port-conflict question: who holds the port, and the three ways out.
pub fn port_conflict(
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    name: &str,
    conflict: &crate::model::port_conflict::Conflict,
    keys: &KeyMap,
) {
    let key = key_column(keys);
    let safe = |t: &str| clean(&crate::redact::text(t)).into_owned();
    let mut body = match &conflict.holder {
        Some(h) => vec![
            field("holder", format!("PID {} ({})", h.pid, safe(&h.role))),
            field("command", safe(&crate::redact::argv(&h.argv).join(" "))),
            field(
                "directory",
                h.cwd
                    .as_ref()
                    .map_or_else(|| "-".into(), |c| safe(&c.display().to_string())),
            ),
            field(
                "project",
                h.project
                    .as_ref()
                    .map_or_else(|| "-".into(), |c| safe(&c.display().to_string())),
            ),
        ],
        None => vec![Line::from(
            "its holder is not visible (another user's process?)",
        )],
    };
    if let Some(h) = &conflict.holder {
        body.push(field("ends", end_list(&h.to_end)));
    }
    body.push(Line::from(""));
    body.push(Line::from(vec![
        key(Intent::Confirm),
        Span::raw("end those: SIGTERM, SIGKILL after 5 s (the safe kill), then start"),
    ]));
    if conflict
        .holder
        .as_ref()
        .is_some_and(|h| h.same_server.is_some())
    {
        body.push(Line::from(vec![
            key(Intent::Adopt),
            Span::raw(format!(
                "adopt it: {}'s command, same directory; treat it as running",
                clean(name)
            )),
        ]));
    }
    body.push(Line::from(vec![
        key(Intent::Cancel),
        Span::raw("cancel: do not start it (never a second copy onto the port)"),
    ]));
    question(frame, area, title, body);
}
