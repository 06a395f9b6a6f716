//! Layer rules, checked on the source text. `model/` is a leaf: its product code imports
//! nothing from the layers that do I/O or drive the program (`db`, `collect`, `effects`,
//! `prisma`, `app`, `tui`, `ui`, `headless`, `demo`, `config`). Collectors read the world and
//! never import what changes it or what shows it (`effects`, `app`, `tui`, `ui`, `headless`,
//! `demo`). Effects never import the faces that drive them (`app`, `tui`, `ui`, `headless`).
//! Renderers draw the app state and nothing else: `ui/` never imports what reads or changes
//! the world or the faces (`effects`, `collect`, `db`, `tui`, `headless`, `demo`).
//! However the path is spelled: `crate::db::…`, grouped `crate::{db, …}`,
//! `super::super::db` that climbs out of the folder, `self::super::…`, the crate's own name
//! (`devtop::db`, `::devtop::db`), a glob or an alias of the crate root, or a `#[path]` /
//! `include!` that pulls another layer's file in.
//!
//! Scanned: every `.rs` file under the folder at test time (new files are covered without
//! registration), with comments, string and char literals and `#[cfg(test)]` items removed.
//! Not scanned: test files (`tests.rs`, `*_tests.rs`) and `fixtures.rs` (test support that
//! issue 9 moves to a test-only place; it builds a `prisma::project::PrismaProject`).
#![cfg(test)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// Top-level modules of the crate that `model/` must not import.
const NOT_IN_MODEL: &[&str] = &[
    "db", "collect", "effects", "prisma", "app", "tui", "ui", "headless", "demo", "config",
];
/// Top-level modules of the crate that `collect/` must not import.
const NOT_IN_COLLECT: &[&str] = &["effects", "app", "tui", "ui", "headless", "demo"];
/// Top-level modules of the crate that `effects/` must not import: the faces that drive it.
const NOT_IN_EFFECTS: &[&str] = &["app", "tui", "ui", "headless"];
/// Top-level modules of the crate that `ui/` must not import: it draws `app` state and
/// `model` values only.
const NOT_IN_UI: &[&str] = &["effects", "collect", "db", "tui", "headless", "demo"];

/// Files under `src/model/` that are test support, not product code.
fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name == "tests.rs" || name.ends_with("_tests.rs") || name == "fixtures.rs"
}

/// The module path of a file under `src/`: `src/model/foo.rs` → `["model", "foo"]`,
/// `src/model/schema/mod.rs` → `["model", "schema"]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_owned());
    }
    parts
}

/// The end (exclusive) of the string, raw string or char literal starting at `b[i]`, if one
/// starts there (a `'` that starts a lifetime is not a literal).
fn literal_end(b: &[char], i: usize) -> Option<usize> {
    let c = b[i];
    let next = b.get(i + 1).copied();
    if c == 'r' && matches!(next, Some('"' | '#')) && !ident_before(b, i) {
        let mut j = i + 1;
        let mut hashes = 0;
        while b.get(j) == Some(&'#') {
            hashes += 1;
            j += 1;
        }
        if b.get(j) != Some(&'"') {
            return None;
        }
        j += 1;
        while j < b.len() {
            if b[j] == '"' && (1..=hashes).all(|k| b.get(j + k) == Some(&'#')) {
                return Some(j + 1 + hashes);
            }
            j += 1;
        }
        return Some(b.len());
    }
    if c == '"' {
        let mut j = i + 1;
        while j < b.len() && b[j] != '"' {
            j += if b[j] == '\\' { 2 } else { 1 };
        }
        return Some((j + 1).min(b.len()));
    }
    if c == '\'' && next == Some('\\') {
        let mut j = i + 2;
        while j < b.len() && b[j] != '\'' {
            j += 1;
        }
        return Some((j + 1).min(b.len()));
    }
    if c == '\'' && b.get(i + 2) == Some(&'\'') {
        return Some(i + 3);
    }
    None
}

/// `text` with comments replaced by a space, and (unless `keep_strings`) string literals
/// (plain, byte and raw) and char literals too, so that only code remains.
fn strip_comments_and_literals(text: &str, keep_strings: bool) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if let Some(end) = literal_end(&b, i) {
            if keep_strings {
                out.extend(&b[i..end]);
            } else {
                out.push(' ');
            }
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn ident_before(b: &[char], i: usize) -> bool {
    i > 0 && is_ident(b[i - 1])
}

/// `code` (already stripped) without its `#[cfg(test)]` items: the attribute, any further
/// attributes, and the item up to its `;` or its balanced `{ … }`. A file-wide
/// `#![cfg(test)]` empties it.
fn strip_cfg_test(code: &str) -> String {
    let squeezed: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    if squeezed.contains("#![cfg(test)]") || squeezed.contains("#! [cfg(test)]") {
        return String::new();
    }
    let mut out = String::new();
    let mut rest = squeezed.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let mut depth = 0usize;
        let mut end = item.len();
        for (k, ch) in item.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = k + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = k + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// Tokens of stripped code: identifiers, `::`, and single punctuation characters.
fn tokens(code: &str) -> Vec<String> {
    let b: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if is_ident(c) {
            let start = i;
            while i < b.len() && is_ident(b[i]) {
                i += 1;
            }
            out.push(b[start..i].iter().collect());
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            out.push("::".into());
            i += 2;
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// Absolute paths (from the crate root) named by the path or use tree starting at `t[i]`,
/// resolved against `prefix`; `None` entries of `prefix` mean "not anchored yet". A path that
/// climbs above the root resolves to `["<above the crate root>"]`.
fn expand(t: &[String], mut i: usize, file_mod: &[String], out: &mut Vec<Vec<String>>) {
    fn tree(
        t: &[String],
        i: &mut usize,
        mut prefix: Option<Vec<String>>,
        file_mod: &[String],
        out: &mut Vec<Vec<String>>,
    ) {
        while let Some(seg) = t.get(*i).cloned() {
            match seg.as_str() {
                "{" => {
                    *i += 1;
                    while *i < t.len() && t[*i] != "}" {
                        tree(t, i, prefix.clone(), file_mod, out);
                        // Past the separator (or a token the tree did not take).
                        if t.get(*i).map(String::as_str) != Some("}") {
                            *i += 1;
                        }
                    }
                    *i += 1;
                    return;
                }
                "*" => {
                    *i += 1;
                    if let Some(mut p) = prefix {
                        p.push("*".into());
                        out.push(p);
                    }
                    return;
                }
                _ if seg.chars().all(is_ident) => {
                    *i += 1;
                    prefix = match (prefix, seg.as_str()) {
                        (None, "crate" | "devtop") => Some(Vec::new()),
                        (None, "self") => Some(file_mod.to_vec()),
                        (None, "super") => {
                            let mut p = file_mod.to_vec();
                            p.pop();
                            Some(p)
                        }
                        (None, _) => return,
                        (Some(mut p), "super") => {
                            if p.pop().is_none() {
                                out.push(vec!["<above the crate root>".into()]);
                                return;
                            }
                            Some(p)
                        }
                        (Some(p), "self") => Some(p),
                        (Some(mut p), other) => {
                            p.push(other.to_owned());
                            Some(p)
                        }
                    };
                    if t.get(*i).map(String::as_str) == Some("::") {
                        *i += 1;
                        continue;
                    }
                    if let Some(p) = prefix {
                        // The crate root itself is only a problem when it is given a name.
                        let aliased = t.get(*i).map(String::as_str) == Some("as");
                        if !p.is_empty() || aliased {
                            out.push(if p.is_empty() {
                                vec!["<root>".into()]
                            } else {
                                p
                            });
                        }
                    }
                    return;
                }
                _ => break,
            }
        }
        if let Some(p) = prefix.filter(|p| !p.is_empty()) {
            out.push(p);
        }
    }
    tree(t, &mut i, None, file_mod, out);
}

/// The imports of one file's text (module path `file_mod`) that name a `forbidden` top-level
/// module, as `"crate::db::url"`-style strings.
fn violations(text: &str, file_mod: &[String], forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let code = strip_comments_and_literals(text, false);
    if code
        .split_whitespace()
        .collect::<String>()
        .contains("#![cfg(test)]")
    {
        return found;
    }
    let raw = strip_comments_and_literals(text, true);
    let raw = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    for (at, _) in raw
        .match_indices("#[path")
        .chain(raw.match_indices("include!"))
    {
        let snippet: String = raw[at..].chars().take(60).collect();
        if snippet.contains("..") || snippet.starts_with("include!") {
            found.push(format!("file inclusion: {snippet}"));
        }
    }
    let code = strip_cfg_test(&code);
    let t = tokens(&code);
    for i in 0..t.len() {
        let starts_path = matches!(t[i].as_str(), "crate" | "super" | "self" | "devtop")
            && matches!(t.get(i + 1).map(String::as_str), Some("::" | "as"))
            && !(i > 0 && t[i - 1] == "::" && t[i] != "devtop");
        if !starts_path {
            continue;
        }
        let mut paths = Vec::new();
        expand(&t, i, file_mod, &mut paths);
        for p in paths {
            let first = p.first().map(String::as_str).unwrap_or("");
            if forbidden.contains(&first) || first == "*" || first.starts_with('<') {
                found.push(format!("crate::{}", p.join("::")));
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/model is readable") {
        let path = entry.expect("src/model entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every forbidden import in the product files under `src/<folder>/`, as `path: import`.
fn layer_violations(folder: &str, forbidden: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join(folder), &mut files);
    assert!(
        files.len() > 5,
        "src/{folder}/ found with {} files",
        files.len()
    );
    let mut problems = Vec::new();
    for file in files.iter().filter(|f| !is_test_file(f)) {
        let text = std::fs::read_to_string(file).expect("source readable");
        let rel = file.strip_prefix(&src).expect("under src");
        for v in violations(&text, &module_path(rel), forbidden) {
            problems.push(format!("src/{}: {v}", rel.display()));
        }
    }
    problems
}

/// Fails, listing every forbidden import, when a product file under `src/<folder>/` imports
/// one of `forbidden`; `rule` says why.
fn assert_layer(folder: &str, forbidden: &[&str], rule: &str) {
    let problems = layer_violations(folder, forbidden);
    assert!(problems.is_empty(), "{rule}:\n{}", problems.join("\n"));
}

#[test]
fn model_imports_no_io_layer() {
    assert_layer(
        "model",
        NOT_IN_MODEL,
        "model/ must be a leaf (no I/O layer imports)",
    );
}

#[test]
fn collectors_import_no_effects_and_no_ui() {
    assert_layer(
        "collect",
        NOT_IN_COLLECT,
        "collect/ reads the world: it must not import effects or the faces",
    );
}

#[test]
fn effects_import_no_face() {
    assert_layer(
        "effects",
        NOT_IN_EFFECTS,
        "effects/ changes the world for the faces: it must not import app, tui, ui or headless",
    );
}

#[test]
fn renderers_import_no_io_and_no_face() {
    assert_layer(
        "ui",
        NOT_IN_UI,
        "ui/ is pure rendering of the app state: it must not import effects, collect, db, tui, headless or demo",
    );
}

#[test]
fn project_scan_reads_files_only() {
    let forbidden = &[
        "db", "collect", "effects", "prisma", "app", "tui", "ui", "headless", "demo", "config",
    ];
    assert_layer(
        "project_scan",
        forbidden,
        "project_scan/ reads project files for `devtop init`: no other layer",
    );
}

fn check(text: &str) -> Vec<String> {
    violations(text, &["model".to_owned(), "foo".to_owned()], NOT_IN_MODEL)
}

#[test]
fn the_checker_catches_every_spelling() {
    for bad in [
        "use crate::db::url::Provider;",
        "use crate :: effects :: prisma_diff :: DiffResult ;",
        "use crate::{model::process, collect::cli_drift::CliDiffs};",
        "use crate::{model::{process, db}, prisma::{schema}};",
        "use super::super::tui::state;",
        "use super::{super::headless};",
        "use self::super::super::ui;",
        "fn f() { let x = crate::app::run(); }",
        "fn f() -> crate::demo::Stand { todo!() }",
        "use ::devtop::config::Config;",
        "use devtop::db::url;",
        "use crate::*;",
        "use super::super::*;",
        "use crate as root;",
        "use super::super::super::db;",
        "#[path = \"../db/url.rs\"] mod url;",
        "include!(\"../collect/x.rs\");",
        "#[cfg(test)] mod t {}\nuse crate::prisma::schema::Schema;",
    ] {
        assert!(!check(bad).is_empty(), "not caught: {bad}");
    }
}

#[test]
fn the_checker_allows_model_std_comments_strings_and_tests() {
    for good in [
        "use crate::model::process::ProcessInfo;",
        "use super::process::{self, Role};",
        "use super::super::model::x;",
        "pub(crate) fn f() {}",
        "pub(super) fn f() {}",
        "use std::collections::HashMap;",
        "// use crate::db::url::Provider;",
        "/* crate::effects::x */ fn f() {}",
        "/// Filled in by `crate::collect::memory`.\nfn f() {}",
        "const S: &str = \"crate::db::x\";",
        "const S: &str = r#\"crate::db::x \" \"#;",
        "fn f(c: char) -> bool { c == '\"' }\nconst S: &str = \"x\";",
        "#[cfg(test)]\nmod tests { use crate::db::url::Provider; }",
        "#[cfg(test)]\n#[path = \"x_tests.rs\"]\nmod tests;",
        "fn f<'a>(x: &'a str) -> &'a str { x }",
    ] {
        assert!(
            check(good).is_empty(),
            "false alarm: {good}: {:?}",
            check(good)
        );
    }
}
