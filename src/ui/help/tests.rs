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
