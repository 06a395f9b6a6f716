//! prisma.config.ts text → `prisma::config_ts::parse` (tokeniser, const bindings, object and
//! `path.join` evaluation), documented as "never fails and never panics".
//!
//! Invariants besides no panic, no hang and no memory blow-up: a file refused for its nesting
//! yields nothing else and its error starts with a line number; every `unreadable` note names
//! its key; the same text gives the same answer.
#![no_main]

use devtop::prisma::config_ts::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let first = parse(text);
    if !first.errors.is_empty() {
        // A file that is not read (nesting too deep) yields nothing else.
        assert!(first.schema.is_none() && first.migrations.is_none() && first.url_env.is_none());
        assert!(first.errors.iter().all(|e| {
            e.split(':')
                .next()
                .is_some_and(|l| l.parse::<usize>().is_ok_and(|l| l >= 1))
        }));
    }
    for u in &first.unreadable {
        assert!(u.contains(": "), "unreadable note without a key: {u:?}");
    }
    assert_eq!(first, parse(text), "parse is deterministic");
});
