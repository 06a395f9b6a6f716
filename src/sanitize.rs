//! The one sanitiser for text that reaches a terminal.
//!
//! Process argv, migration folder names, `_prisma_migrations.migration_name` rows, database
//! error messages and `[[database]] name` values come from outside devtop. Printed raw, a byte
//! like ESC (`ESC ] 0 ; title BEL` retitles the terminal, `ESC [ 2 J` clears it) or a newline
//! (which forges a row: `FAKE LINE ✓ applied`) takes over the user's terminal. Every text
//! channel — the dashboard, `status`/`migrations`/`kill` text, error messages on stderr and the
//! Logs pane — passes such text through [`clean`] first. JSON output is not sanitised: serde
//! escapes control characters itself, so a JSON string round-trips exactly.
//!
//! What is escaped, as visible text (so nothing disappears silently, unlike a filter):
//! - `\n`, `\r`, `\t` as those two-character escapes;
//! - the other C0 controls (U+0000–U+001F) and DEL (U+007F) as `\xNN` (ESC → `\x1b`);
//! - C1 controls (U+0080–U+009F, e.g. the one-byte CSI U+009B) as `\u{9b}`;
//! - bidirectional overrides, embeddings, isolates and marks (U+202A–U+202E, U+2066–U+2069,
//!   U+200E, U+200F, U+061C), which reorder what the user sees ("Trojan Source"), and the
//!   line/paragraph separators U+2028, U+2029, as `\u{202e}`.
//!
//! Everything else, including a backslash and any other Unicode, is left as it is.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for a character [`clean`] escapes.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` with every control character, DEL and bidi control replaced by a visible escape
/// (see the module docs); borrowed unchanged when there is nothing to escape, which is the
/// common case and costs one scan.
///
/// The result holds no byte that a terminal interprets: it is safe to print on one line.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// [`clean`] for a path (shown with [`Path::display`](std::path::Path::display), lossy for
/// non-UTF-8 bytes).
pub fn path(p: &std::path::Path) -> String {
    clean(&p.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(clean("node …/.bin/vite ✓"), Cow::Borrowed(_)));
        assert_eq!(clean(r"C:\path"), r"C:\path");
    }

    #[test]
    fn escapes_are_visible() {
        let cases = [
            ("\x1b]0;pwned\x07", r"\x1b]0;pwned\x07"),
            ("\x1b[2J", r"\x1b[2J"),
            ("a\nFAKE LINE ✓ applied", r"a\nFAKE LINE ✓ applied"),
            ("tab\there\r", r"tab\there\r"),
            ("nul\0del\x7f", r"nul\x00del\x7f"),
            ("csi\u{9b}31m", r"csi\u{9b}31m"),
            ("evil\u{202e}txt.exe", r"evil\u{202e}txt.exe"),
            ("iso\u{2066}x\u{2069}", r"iso\u{2066}x\u{2069}"),
            ("ls\u{2028}ps\u{2029}", r"ls\u{2028}ps\u{2029}"),
        ];
        for (raw, want) in cases {
            assert_eq!(clean(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn output_has_no_unsafe_character() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let out = clean(&all);
        assert!(!out.chars().any(is_unsafe));
        assert!(!out.contains('\x1b') && !out.contains('\n'));
    }
}
