//! `.env` text → `prisma::dotenv::parse` (Prisma's dotenv line rules) and `Dotenv::get`
//! (Prisma's dotenv-expand), with an empty process environment.
//!
//! Invariants besides no panic and no hang: skipped line numbers are increasing and exist in
//! the text (`\n`, `\r\n` and `\r` end lines); every name is non-empty and made of ASCII
//! letters, digits, `_`, `.`, `-`; `raw` is the last definition; a value without `$` expands
//! to itself; parsing is deterministic.
#![no_main]

use devtop::prisma::dotenv::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let d = parse(text);
    let lines = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .count();
    for w in d.skipped.windows(2) {
        assert!(w[0] < w[1], "skipped lines out of order: {:?}", d.skipped);
    }
    if let Some(&last) = d.skipped.last() {
        assert!(d.skipped[0] >= 1 && last <= lines, "line {last} of {lines}");
    }
    let no_env = |_: &str| None;
    // Expansion of every name would cost the budget per name; the product looks a few up.
    let mut expanded_names = 0;
    for (name, value) in &d.vars {
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')),
            "name {name:?}"
        );
        let last = d
            .vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        assert_eq!(d.raw(name), last);
        if expanded_names < 2 {
            expanded_names += 1;
            let expanded = d.get(name, &no_env).expect("a parsed name has a value");
            if !value.contains('$') && d.raw(name) == Some(value.as_str()) {
                assert_eq!(&expanded, value, "no `$`, nothing to expand");
            }
        }
    }
    assert_eq!(d, parse(text), "parse is deterministic");
});
