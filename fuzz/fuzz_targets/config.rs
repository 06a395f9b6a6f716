//! devtop.toml text → `Config::parse` (TOML, serde, validation, error positions).
//!
//! Invariants checked besides "no panic": an accepted config satisfies the validation rules
//! (refresh ≥ 100 ms, db_interval ≥ 1 s, grace ≤ 1 h, non-empty unique `[[database]]` names, `[[server]]` entries that can be put in a start
//! order),
//! and a rejected one points at a line that exists (1-based) and a column ≥ 1.
#![no_main]

use devtop::config::{Config, ConfigError};
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/devtop.toml");
    match Config::parse(text, path) {
        Ok(c) => {
            assert!(
                c.refresh >= Duration::from_millis(100),
                "refresh {:?}",
                c.refresh
            );
            assert!(c.db_interval >= Duration::from_secs(1));
            assert!(c.grace <= Duration::from_secs(3600));
            let mut names = std::collections::HashSet::new();
            for d in &c.databases {
                assert!(!d.name.trim().is_empty() && !d.url_env.trim().is_empty());
                assert!(names.insert(d.name.clone()), "duplicate {:?}", d.name);
            }
            assert_eq!(c.sources.last().map(|p| p.as_path()), Some(path));
            // Accepted servers can be ordered: names known, no cycle.
            assert!(devtop::model::server_order::start_order(&c.servers).is_ok());
        }
        Err(e) => {
            if let ConfigError::Invalid { line, col, .. } = &e {
                // `str::lines` drops a trailing empty line: a span at the very end of a
                // text ending in '\n' is on line count + 1.
                let lines = text.split('\n').count().max(1);
                assert!(*line >= 1 && *line <= lines, "line {line} of {lines}");
                assert!(*col >= 1);
            }
            let shown = e.to_string();
            assert!(shown.starts_with("/fuzz/devtop.toml"), "{shown}");
        }
    }
});
