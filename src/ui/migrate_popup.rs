//! The guarded migrate's popups (`m`): the environment picker (with the type-its-name step for
//! production) and the bodies of its two confirm popups (migrate despite warnings; end a hung
//! run). Pure renderers of [`crate::app::migrate`] state.

use crate::app::confirm::Confirm;
use crate::app::keymap::{Context, Intent};
use crate::app::keys::KeyMap;
use crate::app::migrate::{MigratePick, confirm_lines, is_production};
use crate::sanitize::clean;
use crate::ui::popups::centered;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// The picker, naming the keys of `keys` (the effective table).
pub fn picker(frame: &mut Frame<'_>, area: Rect, pick: &MigratePick, keys: &KeyMap) {
    let mut lines: Vec<Line<'static>> = vec![
        Line::from("Run preflight, then the migrate command, on:"),
        Line::from(""),
    ];
    for (i, env) in pick.envs.iter().enumerate() {
        let mark = if i == pick.selected { "▶ " } else { "  " };
        let note = if is_production(env) {
            "  (asks to type its name)"
        } else {
            ""
        };
        let style = if i == pick.selected {
            theme::selected()
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{mark}{}", clean(env)), style),
            Span::styled(note, theme::dim()),
        ]));
    }
    lines.push(Line::from(""));
    match &pick.typed {
        Some(typed) => {
            let env = clean(&pick.envs[pick.selected]).into_owned();
            let enter = keys.key(Context::MigrateName, Intent::Confirm);
            lines.push(Line::from(format!(
                "Type {env} and press {enter} to migrate it:"
            )));
            lines.push(Line::from(Span::styled(
                format!("> {}▏", clean(typed)),
                Style::default().add_modifier(Modifier::BOLD),
            )));
        }
        None => {
            let k = |i| keys.key(Context::Migrate, i);
            lines.push(Line::from(Span::styled(
                format!(
                    "{}/{} choose · {} migrate · {} cancel",
                    k(Intent::Up),
                    k(Intent::Down),
                    k(Intent::Confirm),
                    k(Intent::Cancel)
                ),
                theme::dim(),
            )));
        }
    }
    let r = centered(area, 60, lines.len() as u16 + 2);
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Migrate · choose the environment ");
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}

/// A migrate confirm popup (its title and body from [`confirm_lines`]).
pub fn confirm(frame: &mut Frame<'_>, area: Rect, c: &Confirm, keys: &KeyMap) {
    let lines: Vec<Line<'static>> = confirm_lines(&c.action, keys)
        .into_iter()
        .map(Line::from)
        .collect();
    let width = area.width.min(72);
    let r = centered(area, width, lines.len() as u16 + 4);
    frame.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", clean(&c.title)));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}
