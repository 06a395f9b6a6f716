//! Making one raw log line safe to show: ANSI escape sequences stripped ([`strip_ansi`]),
//! a carriage return keeps what follows it (what a terminal would show), tabs become spaces,
//! secrets are redacted ([`crate::redact::text`]) and what is left of control bytes escaped
//! ([`crate::sanitize::clean`]). Used by the log follower ([`super::log_follow`]).

/// One raw line as shown: ANSI sequences stripped, the text after the last carriage return,
/// tabs as spaces, secrets redacted, control bytes escaped.
pub fn safe_line(raw: &str) -> String {
    let stripped = strip_ansi(raw);
    let shown = stripped
        .trim_end_matches('\r')
        .rsplit('\r')
        .next()
        .unwrap_or_default()
        .replace('\t', "    ");
    crate::sanitize::clean(&crate::redact::text(&shown)).into_owned()
}

/// `text` without ANSI escape sequences: CSI (`ESC [` … final byte, colours and cursor
/// moves), OSC (`ESC ]` … BEL or `ESC \`, titles and links) and two-byte escapes (`ESC X`).
/// Other control bytes are left for the sanitiser to escape visibly.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                // Parameters and intermediates, then one final byte in @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_is_stripped_and_the_rest_made_safe() {
        assert_eq!(
            strip_ansi("\u{1b}[32mready\u{1b}[0m in 3ms"),
            "ready in 3ms"
        );
        assert_eq!(strip_ansi("\u{1b}]0;title\u{7}x"), "x");
        assert_eq!(strip_ansi("\u{1b}]8;;http://a\u{1b}\\link"), "link");
        assert_eq!(safe_line("50%\r100%\tdone"), "100%    done");
        assert_eq!(safe_line("a\u{7}b"), "a\\x07b");
        let s = safe_line("DATABASE_URL=postgres://u:hunter2@h/db");
        assert!(!s.contains("hunter2"), "{s}");
    }
}
