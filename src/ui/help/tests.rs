use super::*;

fn text(line: &Line<'_>) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

fn collapsed(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

const SIZES: [(u16, u16); 5] = [(60, 16), (80, 24), (100, 30), (120, 40), (200, 60)];

/// No line is wider than its column, and every key's whole description is in its column
/// (wrapped lines read in order): nothing is cut.
#[test]
fn nothing_is_cut() {
    let keys = KeyMap::default();
    for (w, h) in SIZES {
        let l = layout(Rect::new(0, 0, w, h), &keys);
        let inner = l.outer.width - 3; // borders and the blank column before the scrollbar
        let n = l.columns.len() as u16;
        assert!(n * l.column_width + GAP * (n - 1) <= inner, "{w}x{h}");
        let mut all = String::new();
        for col in &l.columns {
            for line in col {
                assert!(
                    line.width() <= usize::from(l.column_width),
                    "{w}x{h}: {:?} wider than {}",
                    text(line),
                    l.column_width
                );
                all.push_str(&text(line));
                all.push(' ');
            }
        }
        let all = collapsed(&all);
        for k in keys.keys() {
            let row = collapsed(&format!("{} {}", k.label, k.binding.desc));
            assert!(all.contains(&row), "{w}x{h}: lacks {row}");
        }
    }
}

#[test]
fn columns_as_the_width_allows() {
    let keys = KeyMap::default();
    let cols = |w, h| layout(Rect::new(0, 0, w, h), &keys).columns.len();
    assert_eq!(cols(80, 24), 1);
    assert_eq!(cols(120, 40), 2);
    let wide = layout(Rect::new(0, 0, 200, 60), &keys);
    assert_eq!(wide.max_scroll(), 0, "all of it at once at 200x60");
    let small = layout(Rect::new(0, 0, 80, 24), &keys);
    assert_eq!(small.visible(), 20);
    assert!(small.max_scroll() > 0, "80x24 scrolls");
}

#[test]
fn groups_keep_whole_in_a_column() {
    assert_eq!(balanced_height(&[3, 3, 3], 3), 3);
    assert_eq!(balanced_height(&[3, 3, 3], 2), 7);
    assert_eq!(balanced_height(&[5, 1, 1], 1), 9);
}

/// Each column's text on every inner row of the help as drawn from `scroll` on a `w`x`h`
/// terminal: `rows[row][column]`, trailing blanks trimmed.
fn drawn(w: u16, h: u16, keys: &KeyMap, scroll: usize) -> Vec<Vec<String>> {
    use ratatui::{Terminal, backend::TestBackend};
    let area = Rect::new(0, 0, w, h);
    let l = layout(area, keys);
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| render(f, area, keys, scroll)).expect("draw");
    let buf = t.backend().buffer();
    let inner = l.outer.inner(Margin::new(1, 1));
    (inner.y..inner.y + inner.height)
        .map(|y| {
            (0..l.columns.len() as u16)
                .map(|c| {
                    let x0 = inner.x + c * (l.column_width + GAP);
                    let s: String = (x0..x0 + l.column_width)
                        .map(|x| buf[(x, y)].symbol().to_owned())
                        .collect();
                    s.trim_end().to_owned()
                })
                .collect()
        })
        .collect()
}

/// Paging through the help (PageDown from the top to the end, then PageUp back) never shows
/// a page whose last row is a group's heading, and every heading is shown with its first key
/// row under it on some page — at the sizes people use.
#[test]
fn a_page_never_ends_on_a_heading() {
    use crate::app::state::{AppState, Popup};
    use crate::app::update::{Action, update};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let keys = KeyMap::default();
    let heads: Vec<String> = sections(&keys).into_iter().map(|s| s.heading).collect();
    for (w, h) in [
        (80, 24),
        (100, 30),
        (120, 40),
        (80, 30),
        (100, 24),
        (60, 16),
    ] {
        let mut s = AppState::new(
            std::sync::Arc::new(crate::model::fixtures::process_snapshot()),
            std::sync::Arc::new(crate::model::fixtures::memory(6.0, 0.0, 0.0)),
            std::time::Duration::from_secs(1),
        );
        update(&mut s, Action::Resize(w, h));
        s.popup = Some(Popup::Help { scroll: 0 });
        let scroll = |s: &AppState| match s.popup {
            Some(Popup::Help { scroll }) => scroll,
            _ => usize::MAX,
        };
        let max = layout(s.screen, &keys).max_scroll();
        let mut seen_with_key: Vec<String> = Vec::new();
        let mut look = |at: usize| {
            let rows = drawn(w, h, &keys, at);
            for (c, last) in rows.last().expect("rows").iter().enumerate() {
                assert!(
                    !heads.contains(last),
                    "{w}x{h} from row {at}: column {c} ends on the heading {last:?}"
                );
            }
            for pair in rows.windows(2) {
                for (c, cell) in pair[0].iter().enumerate() {
                    if heads.contains(cell)
                        && pair[1][c].starts_with(' ')
                        && !pair[1][c].trim().is_empty()
                    {
                        seen_with_key.push(cell.clone());
                    }
                }
            }
        };
        look(0);
        for key in [KeyCode::PageDown, KeyCode::PageUp] {
            for _ in 0..100 {
                let before = scroll(&s);
                update(&mut s, Action::Key(KeyEvent::new(key, KeyModifiers::NONE)));
                if scroll(&s) == before {
                    break;
                }
                look(scroll(&s));
            }
            let end = if key == KeyCode::PageDown { max } else { 0 };
            assert_eq!(scroll(&s), end, "{w}x{h}: {key:?} reaches the end");
        }
        for head in &heads {
            assert!(
                seen_with_key.contains(head),
                "{w}x{h}: {head:?} never shown with a key under it"
            );
        }
    }
}
