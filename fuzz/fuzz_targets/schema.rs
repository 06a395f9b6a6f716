//! schema.prisma text → `model::schema::parse` (lexer, block splitter, model/field parser).
//!
//! Invariants: a parsed model has a name and named fields with a type, and its
//! `line` exists in the text; an error points at a line that exists (1-based). Parsing the
//! same text twice gives the same answer.
#![no_main]

use devtop::model::schema::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Line numbers count '\n'; a lone '\r' is not a line end for them.
    let lines = text.split('\n').count().max(1);
    let first = parse(text);
    match &first {
        Ok(schema) => {
            for m in &schema.models {
                // (`@@map("")` / `@map("")` give an empty table / column: a subset reader,
                // not Prisma's validator.)
                assert!(!m.name.is_empty());
                assert!(
                    m.line >= 1 && m.line <= lines,
                    "model line {} of {lines}",
                    m.line
                );
                for f in &m.fields {
                    assert!(!f.name.is_empty() && !f.type_name.is_empty());
                }
            }
            for e in &schema.enums {
                assert!(!e.is_empty());
            }
        }
        Err(e) => {
            assert!(
                e.line >= 1 && e.line <= lines,
                "error line {} of {lines}",
                e.line
            );
            assert!(!e.message.is_empty());
        }
    }
    assert_eq!(first, parse(text), "parse is deterministic");
});
