//! The kill confirmation dialog: every process that will be signalled, then what is left alone
//! and why, with the footer (what the kill frees, the dialog's keys from the key table) pinned
//! to the bottom. When the list is taller than the dialog it scrolls (↑/↓, PgUp/PgDn, the mouse
//! wheel); the title says which lines are shown ("1–12 of 30") and a scrollbar marks the
//! position, so nothing that `y` would signal is ever out of reach or silently cut off.

use crate::app::keymap::{Context, Intent};
use crate::app::keys::KeyMap;
use crate::model::kill_plan::{KillPlan, total_rss};
use crate::model::memory::format_bytes;
use crate::sanitize::clean;
use crate::ui::popups::centered;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Alignment, Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use std::time::Duration;

/// The dialog's text, split into the parts that stay put and the part that scrolls.
pub struct DialogText {
    /// Column header of the kill list (pinned at the top), when there is something to kill.
    pub header: Option<Line<'static>>,
    /// The kills, then the "Left alone" section: the scrolling part.
    pub body: Vec<Line<'static>>,
    /// What the kill frees and the keys (pinned at the bottom).
    pub footer: Vec<Line<'static>>,
}

fn bold(s: impl Into<String>) -> Span<'static> {
    Span::styled(s.into(), Style::default().add_modifier(Modifier::BOLD))
}

/// Outer width of the kill dialog on a terminal of `area`, cells.
pub fn dialog_width(area: Rect) -> u16 {
    area.width.saturating_sub(4).min(110)
}

/// The dialog's lines for `plan` on a terminal of `area` (refusal reasons are wrapped to the
/// dialog's width); `grace` is the wait before SIGKILL, for the footer, which names the
/// dialog's keys of `keys`.
pub fn dialog_text(area: Rect, plan: &KillPlan, grace: Duration, keys: &KeyMap) -> DialogText {
    let label = |i| format!(" {} ", keys.label(Context::Confirm, i).unwrap_or("?"));
    let header = (!plan.kills.is_empty()).then(|| {
        Line::from(vec![
            bold(format!("{:>7} {:<15} {:>8}  ", "PID", "ROLE", "RSS")),
            bold("REASON"),
        ])
    });
    let mut body = Vec::new();
    for k in &plan.kills {
        body.push(Line::from(format!(
            "{:>7} {:<15} {:>8}  {}",
            k.pid,
            k.role.label(),
            format_bytes(k.rss_bytes),
            clean(&k.reason)
        )));
    }
    if !plan.refused.is_empty() {
        if !body.is_empty() {
            body.push(Line::from(""));
        }
        let warn = Style::default().fg(theme::WARN);
        body.push(Line::from(bold("Left alone (never signalled):")));
        // PID and role columns, then the reason wrapped in the rest of the dialog's width.
        let indent = 24;
        let width = usize::from(dialog_width(area).saturating_sub(2)).saturating_sub(indent);
        for r in plan.refused_roots() {
            let reason = format!("refused: {}", clean(&r.reason.to_string()));
            for (i, part) in wrap_words(&reason, width.max(16)).into_iter().enumerate() {
                let head = if i == 0 {
                    format!("{:>7} {:<15} ", r.pid, r.role.label())
                } else {
                    " ".repeat(indent)
                };
                body.push(Line::styled(format!("{head}{part}"), warn));
            }
        }
        let below = plan.refused.len() - plan.refused_roots().count();
        if below > 0 {
            body.push(Line::styled(
                format!("        and the {below} process(es) below them"),
                warn,
            ));
        }
    }
    let mut footer = vec![Line::from("")];
    if plan.kills.is_empty() {
        footer.push(Line::from("nothing will be signalled"));
        footer.push(Line::from(vec![
            Span::styled(
                label(Intent::Cancel),
                Style::default().add_modifier(Modifier::REVERSED),
            ),
            Span::raw(" close"),
        ]));
    } else {
        footer.push(Line::from(format!(
            "frees about {} · SIGTERM, then SIGKILL after {:.0} s · children first",
            format_bytes(total_rss(plan)),
            grace.as_secs_f64()
        )));
        footer.push(Line::from(vec![
            Span::styled(
                label(Intent::Confirm),
                Style::default().fg(theme::ON_BAD).bg(theme::BAD),
            ),
            Span::raw(" kill   "),
            Span::styled(
                label(Intent::Cancel),
                Style::default().add_modifier(Modifier::REVERSED),
            ),
            Span::raw(" cancel"),
        ]));
    }
    DialogText {
        header,
        body,
        footer,
    }
}

/// Where the dialog goes on a terminal of `area` and how many body lines it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialogLayout {
    /// The dialog's outer rectangle (centred, at most two rows short of the terminal).
    pub outer: Rect,
    /// The rows the body scrolls in.
    pub body: Rect,
    /// Body lines in all.
    pub total: usize,
}

impl DialogLayout {
    /// Body lines visible at once.
    pub fn visible(&self) -> usize {
        usize::from(self.body.height)
    }

    /// The largest useful scroll offset: the last body line on the last visible row.
    pub fn max_scroll(&self) -> usize {
        self.total.saturating_sub(self.visible())
    }
}

/// Lay out `text` on a terminal of `area`: as tall as the text when it fits, else as tall as
/// the terminal allows (the body then scrolls; header and footer keep their rows).
pub fn layout(area: Rect, text: &DialogText) -> DialogLayout {
    let fixed = u16::from(text.header.is_some()) + text.footer.len() as u16;
    let want = (text.body.len() as u16)
        .saturating_add(fixed)
        .saturating_add(2);
    let height = want.min(area.height.saturating_sub(2));
    let outer = centered(area, dialog_width(area), height);
    let inner = outer.inner(Margin::new(1, 1));
    let top = u16::from(text.header.is_some()).min(inner.height);
    let body_h = inner
        .height
        .saturating_sub(top)
        .saturating_sub(text.footer.len() as u16);
    DialogLayout {
        outer,
        body: Rect::new(inner.x, inner.y + top, inner.width, body_h),
        total: text.body.len(),
    }
}

/// The layout the dialog for `plan` gets on a terminal of `area` (for scrolling and mouse hits;
/// the keys its footer names do not change its lines, so the default table stands in).
pub fn layout_for(area: Rect, plan: &KillPlan, grace: Duration) -> DialogLayout {
    layout(area, &dialog_text(area, plan, grace, &KeyMap::default()))
}

/// Draw the dialog for `plan` with its body scrolled to `scroll` (clamped to the last page).
pub fn render(
    frame: &mut Frame<'_>,
    area: Rect,
    title: &str,
    plan: &KillPlan,
    grace: Duration,
    scroll: usize,
    keys: &KeyMap,
) {
    let text = dialog_text(area, plan, grace, keys);
    let k = |i| keys.key(Context::Confirm, i);
    let l = layout(area, &text);
    let scroll = scroll.min(l.max_scroll());
    let cut = l.max_scroll() > 0;
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(theme::BAD))
        .title(format!(" {} ", clean(title)));
    if cut {
        block = block.title(
            Line::from(format!(
                " {} · {}{} scroll ",
                crate::ui::scroll_position(scroll, l.visible(), l.total),
                k(Intent::Up),
                k(Intent::Down)
            ))
            .alignment(Alignment::Right),
        );
    }
    frame.render_widget(Clear, l.outer);
    frame.render_widget(block, l.outer);
    let inner = l.outer.inner(Margin::new(1, 1));
    if let Some(h) = text.header {
        frame.render_widget(Paragraph::new(h), Rect { height: 1, ..inner });
    }
    let body: Vec<Line<'static>> = text
        .body
        .into_iter()
        .skip(scroll)
        .take(l.visible())
        .collect();
    frame.render_widget(Paragraph::new(body), l.body);
    let mut footer = text.footer;
    if cut && let Some(first) = footer.first_mut() {
        // The blank line above the footer says what is out of view.
        let below = l.total - scroll - l.visible();
        *first = Line::styled(
            match (scroll, below) {
                (0, n) => format!(
                    "  ↓ {n} more line(s) below ({}/{})",
                    k(Intent::Down),
                    k(Intent::PageDown)
                ),
                (n, 0) => format!(
                    "  ↑ {n} more line(s) above ({}/{})",
                    k(Intent::Up),
                    k(Intent::PageUp)
                ),
                (a, b) => format!("  ↑ {a} more above · ↓ {b} more below"),
            },
            Style::default().add_modifier(Modifier::BOLD),
        );
    }
    let footer_y = l.body.y + l.body.height;
    let footer_h = (inner.y + inner.height).saturating_sub(footer_y);
    frame.render_widget(
        Paragraph::new(footer),
        Rect::new(inner.x, footer_y, inner.width, footer_h),
    );
    if cut {
        crate::ui::popup_scrollbar(
            frame,
            Rect::new(l.outer.x, l.body.y, l.outer.width, l.body.height),
            scroll,
            l.visible(),
            l.max_scroll(),
        );
    }
}

/// `text` split at spaces into lines of at most `width` characters (a longer word gets a line
/// of its own).
pub(crate) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}
