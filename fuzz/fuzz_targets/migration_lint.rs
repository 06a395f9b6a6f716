//! Fuzz bytes → `model::migration_lint` (lexer, parser, analyzers).
//!
//! Input layout: NUL-separated SQL scripts (lossy UTF-8); a script starting with `>` is a
//! pending migration, any other one an applied migration (history). At most 16 scripts.
//!
//! Invariants besides no panic: every statement's line is within the script and increasing;
//! every finding names a pending migration and a line within its script; the lint is
//! deterministic; a `max_tables` of `usize::MAX` yields no `many-tables` finding and the same
//! other findings.
#![no_main]

use devtop::model::migration_lint::{LintOptions, MigrationSql, lexer, lint};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scripts: Vec<String> = data
        .split(|b| *b == 0)
        .take(16)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    let names: Vec<String> = (0..scripts.len()).map(|i| format!("m{i:02}")).collect();
    let mut history = Vec::new();
    let mut pending = Vec::new();
    for (i, s) in scripts.iter().enumerate() {
        let lines = s.split('\n').count() as u32;
        let mut prev = 0;
        for st in lexer::statements(s) {
            assert!(
                st.line >= 1 && st.line <= lines,
                "line {} of {lines}",
                st.line
            );
            assert!(st.line >= prev, "statement lines increase");
            assert!(!st.tokens.is_empty());
            prev = st.line;
        }
        let (list, sql) = match s.strip_prefix('>') {
            Some(sql) => (&mut pending, sql),
            None => (&mut history, s.as_str()),
        };
        list.push(MigrationSql {
            name: &names[i],
            file: &names[i],
            sql,
        });
    }
    let opts = LintOptions::default();
    let found = lint(&history, &pending, &opts);
    assert_eq!(found, lint(&history, &pending, &opts), "deterministic");
    for f in &found {
        let m = pending
            .iter()
            .find(|m| m.name == f.migration)
            .expect("a finding names a pending migration");
        assert_eq!(f.file, m.file);
        let lines = m.sql.split('\n').count() as u32;
        assert!(f.line >= 1 && f.line <= lines, "{f}");
        assert!(!f.message.is_empty() && !f.hint.is_empty());
    }
    let unlimited = lint(
        &history,
        &pending,
        &LintOptions {
            max_tables: usize::MAX,
        },
    );
    let without: Vec<_> = found
        .iter()
        .filter(|f| f.code != "many-tables")
        .cloned()
        .collect();
    assert_eq!(unlimited, without);
});
