//! The help popup (`?` / F1), as htop's and btm's: the key table's groups
//! ([`crate::app::help::sections`]) under their headings, in as many columns as fit without
//! cutting a description (one at 80 columns; a long description wraps under itself, never
//! cut), using the fewest columns that show everything at once. When the groups are taller
//! than the terminal the popup scrolls (the main screen's movement keys, the wheel) and its
//! bottom border says which rows it shows ("rows 1–20 of 95"). A page never ends on a group's
//! heading: a heading on the last visible row is left blank there and paging shows it on top
//! of the next page, with its keys (as a word processor keeps a heading with its next line).

use crate::app::help::{Section, sections};
use crate::app::keymap::{Context, Intent};
use crate::app::keys::KeyMap;
use crate::ui::kill_dialog::wrap_words;
use crate::ui::popups::centered;
use crate::ui::theme;
use ratatui::Frame;
use ratatui::layout::{Alignment, Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// The narrowest column, in characters: keys plus ~34 characters of description.
pub const MIN_COLUMN: u16 = 44;
/// The widest column, in characters: a reading width; a longer description wraps.
pub const MAX_COLUMN: u16 = 76;
/// Columns at most, however wide the terminal.
pub const MAX_COLUMNS: u16 = 4;
/// Blank characters between two columns.
const GAP: u16 = 2;
/// The narrowest key column (`"y/Enter"` and two spaces).
const MIN_KEY_WIDTH: usize = 9;

/// Where the help goes on a terminal and what each of its columns holds.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpLayout {
    /// The popup's outer rectangle (centred, at most two rows and columns short of the screen).
    pub outer: Rect,
    /// Width of one column, in characters.
    pub column_width: u16,
    /// The lines of each column, left to right (headings, keys, blank lines between groups).
    pub columns: Vec<Vec<Line<'static>>>,
    /// Per column, the rows (indices into its lines) that hold a group's heading.
    pub headings: Vec<Vec<usize>>,
}

impl HelpLayout {
    /// Rows of the tallest column: what there is to scroll through.
    pub fn total(&self) -> usize {
        self.columns.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// Rows visible at once.
    pub fn visible(&self) -> usize {
        usize::from(self.outer.height.saturating_sub(2))
    }

    /// The largest useful scroll offset: the last row on the last visible row.
    pub fn max_scroll(&self) -> usize {
        self.total().saturating_sub(self.visible())
    }

    /// True when the view from `scroll` would end on a group's heading in column `col` (a
    /// page of at least two rows; one row cannot keep a heading with its key).
    fn cuts_heading(&self, col: usize, scroll: usize) -> bool {
        let v = self.visible();
        v >= 2
            && self
                .headings
                .get(col)
                .is_some_and(|h| h.contains(&(scroll + v - 1)))
    }

    /// True when the view from `scroll` would end on a heading in any column.
    fn ends_on_heading(&self, scroll: usize) -> bool {
        (0..self.columns.len()).any(|c| self.cuts_heading(c, scroll))
    }

    /// The lines column `col` shows from `scroll`: a page, a heading on its last row left
    /// blank (the next page shows it with its keys).
    pub fn page_lines(&self, col: usize, scroll: usize) -> Vec<Line<'static>> {
        let mut lines: Vec<Line<'static>> = self.columns.get(col).map_or_else(Vec::new, |c| {
            c.iter()
                .skip(scroll)
                .take(self.visible())
                .cloned()
                .collect()
        });
        if self.cuts_heading(col, scroll)
            && let Some(last) = lines.last_mut()
        {
            *last = Line::from("");
        }
        lines
    }

    /// The offset a page down from `scroll`: the row after the last one shown, or the held
    /// back heading when the view ended on one; at most [`max_scroll`](Self::max_scroll).
    pub fn page_down(&self, scroll: usize) -> usize {
        let s = scroll.min(self.max_scroll());
        let v = self.visible().max(1);
        let step = if self.ends_on_heading(s) { v - 1 } else { v };
        (s + step).min(self.max_scroll())
    }

    /// The offset a page up from `scroll`: the page ending on the row above the first one
    /// shown, or one row further down when that row is a heading (so it shows with its keys).
    pub fn page_up(&self, scroll: usize) -> usize {
        let s = scroll.min(self.max_scroll());
        let t = s.saturating_sub(self.visible().max(1));
        if t > 0 && self.ends_on_heading(t) {
            (t + 1).min(s)
        } else {
            t
        }
    }
}

/// `section`'s lines in a column `width` wide whose keys take `key_width`: the heading, then
/// one line per key, its description wrapped under itself when longer than the column.
fn block(section: &Section, width: usize, key_width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        section.heading.clone(),
        Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    )];
    let desc_width = width.saturating_sub(key_width + 1).max(12);
    for (label, desc) in &section.rows {
        for (i, part) in wrap_words(desc, desc_width).into_iter().enumerate() {
            let key = if i == 0 { label.as_str() } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!(" {key:<key_width$}"), theme::fg(theme::ACCENT)),
                Span::raw(part),
            ]));
        }
    }
    lines
}

/// The smallest column height that puts `heights` (blocks in order, a blank row between two
/// in one column) into at most `columns` columns, each block whole.
fn balanced_height(heights: &[usize], columns: usize) -> usize {
    let fits = |limit: usize| {
        let (mut used, mut col) = (1, 0);
        for &h in heights {
            let need = if col == 0 { h } else { col + 1 + h };
            if need <= limit {
                col = need;
            } else {
                used += 1;
                col = h;
            }
        }
        used <= columns
    };
    let total: usize = heights.iter().sum::<usize>() + heights.len().saturating_sub(1);
    let tallest = heights.iter().copied().max().unwrap_or(0);
    (tallest..=total).find(|&h| fits(h)).unwrap_or(total)
}

/// Columns of lines, with the rows of each column that hold a heading.
type Filled = (Vec<Vec<Line<'static>>>, Vec<Vec<usize>>);

/// `blocks` (each starting with its heading) split into columns of at most `limit` rows (a
/// block taller than `limit` gets a column of its own), a blank row between two blocks in
/// one column; with the row of each block's heading per column.
fn fill(blocks: Vec<Vec<Line<'static>>>, limit: usize) -> Filled {
    let mut out: Vec<Vec<Line<'static>>> = vec![Vec::new()];
    let mut heads: Vec<Vec<usize>> = vec![Vec::new()];
    for b in blocks {
        let col = out.last_mut().expect("one column");
        if col.is_empty() {
            heads.last_mut().expect("one column").push(0);
            col.extend(b);
        } else if col.len() + 1 + b.len() <= limit {
            col.push(Line::from(""));
            heads.last_mut().expect("one column").push(col.len());
            col.extend(b);
        } else {
            out.push(b);
            heads.push(vec![0]);
        }
    }
    (out, heads)
}

/// The help's layout on a terminal of `area` for the key table `keys`: the fewest columns
/// (each [`MIN_COLUMN`] to [`MAX_COLUMN`] wide) that show every row at once, else as many as
/// fit.
pub fn layout(area: Rect, keys: &KeyMap) -> HelpLayout {
    let sections = sections(keys);
    let key_width = sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|(k, _)| k.chars().count() + 2))
        .max()
        .unwrap_or(0)
        .max(MIN_KEY_WIDTH);
    let longest = sections
        .iter()
        .flat_map(|s| {
            s.rows
                .iter()
                .map(|(_, d)| 1 + key_width + d.chars().count())
        })
        .max()
        .unwrap_or(0)
        .clamp(MIN_COLUMN.into(), MAX_COLUMN.into());
    // Two columns of margin, the borders, and a blank column before the right border (where
    // the scrollbar goes).
    let inner_width = area.width.saturating_sub(5);
    let rows = usize::from(area.height.saturating_sub(4));
    let most = ((inner_width + GAP) / (MIN_COLUMN + GAP)).clamp(1, MAX_COLUMNS);
    let mut chosen = None;
    for n in 1..=most {
        let width = usize::from((inner_width - GAP * (n - 1)) / n).min(longest);
        let blocks: Vec<_> = sections
            .iter()
            .map(|s| block(s, width, key_width))
            .collect();
        let heights: Vec<usize> = blocks.iter().map(Vec::len).collect();
        let limit = balanced_height(&heights, usize::from(n));
        let filled = fill(blocks, limit);
        let done = limit <= rows;
        chosen = Some((width as u16, filled));
        if done {
            break;
        }
    }
    let (column_width, (columns, headings)) = chosen.unwrap_or_default();
    let n = columns.len() as u16;
    let width = n * column_width + GAP * n.saturating_sub(1) + 3;
    let height = columns.iter().map(Vec::len).max().unwrap_or(0) as u16 + 2;
    HelpLayout {
        outer: centered(area, width, height.min(area.height.saturating_sub(2))),
        column_width,
        columns,
        headings,
    }
}

/// Draw the help for the key table `keys` on `area`, scrolled `scroll` rows down (clamped to
/// the last page).
pub fn render(frame: &mut Frame<'_>, area: Rect, keys: &KeyMap, scroll: usize) {
    let l = layout(area, keys);
    let scroll = scroll.min(l.max_scroll());
    let close = keys
        .bar_key(Context::Popup, Intent::Cancel)
        .unwrap_or("Esc");
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" Help · {close} closes "));
    let cut = l.max_scroll() > 0;
    if cut {
        let key = |i| keys.bar_key(Context::Main, i).unwrap_or_default();
        block = block.title_bottom(
            Line::from(format!(
                " rows {} · {}{} {} {} scroll ",
                crate::ui::scroll_position(scroll, l.visible(), l.total()),
                key(Intent::Up),
                key(Intent::Down),
                key(Intent::PageUp),
                key(Intent::PageDown),
            ))
            .alignment(Alignment::Right),
        );
    }
    frame.render_widget(Clear, l.outer);
    frame.render_widget(block, l.outer);
    let inner = l.outer.inner(Margin::new(1, 1));
    for i in 0..l.columns.len() {
        let x = inner.x + i as u16 * (l.column_width + GAP);
        let r = Rect::new(x, inner.y, l.column_width, inner.height).intersection(inner);
        frame.render_widget(Paragraph::new(l.page_lines(i, scroll)), r);
    }
    if cut {
        crate::ui::popup_scrollbar(
            frame,
            Rect::new(l.outer.x, inner.y, l.outer.width, inner.height),
            scroll,
            l.visible(),
            l.max_scroll(),
        );
    }
}

#[cfg(test)]
mod tests;
