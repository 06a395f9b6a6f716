//! `.env` files read the way the Prisma CLI reads them: the `dotenv` package's parser (v16,
//! `lib/main.js`, its `LINE` regular expression) followed by Prisma's vendored `dotenv-expand`
//! (`@prisma/internals`, `dotenvExpand.ts`). Pure: text in, variables and skipped lines out.
//!
//! Parsing, per line (`\r\n` and `\r` count as line ends):
//! - blank lines and lines starting with `#` are ignored;
//! - `[export ]NAME=value` or `NAME: value`, NAME made of ASCII letters, digits, `_`, `.`, `-`;
//! - a value in `'…'`, `"…"` or `` `…` `` may span lines and may be followed by a `# comment`;
//!   inside `"…"`, `\n` and `\r` become a newline and a carriage return; no other unescaping;
//! - an unquoted value ends at the first `#` and is trimmed;
//! - a later line with the same name wins;
//! - any other line is skipped (dotenv skips it silently; devtop reports its line number).
//!
//! Expansion: `$NAME` and `${NAME}` are replaced by the process environment's value, else the
//! file's (expanded in turn, at most [`MAX_EXPANSION_DEPTH`] levels: `A=${A}` stops there),
//! else nothing; `\$` is a literal `$`; a `$` not followed by a name is dropped, as Prisma does.
//! The work of one expansion is bounded ([`EXPANSION_BUDGET`]).

use std::collections::HashMap;

/// How deep `${A}` → `${B}` → … references are followed.
pub const MAX_EXPANSION_DEPTH: usize = 16;

/// Work allowed for expanding one value, in characters scanned (a reference followed counts
/// 16): once spent, further references expand to nothing. Without it `A=$A$A$A$A` (each level
/// multiplies the work, [`MAX_EXPANSION_DEPTH`] levels deep) would never finish (found by
/// fuzz/dotenv). 4 Mi is four times the largest `.env` devtop reads.
pub const EXPANSION_BUDGET: usize = 4 << 20;

/// The budget cost of following one reference.
const REFERENCE_COST: usize = 16;

/// A parsed `.env` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dotenv {
    /// `(name, raw value)` in file order, before expansion; a name may repeat (the last wins).
    pub vars: Vec<(String, String)>,
    /// 1-based numbers of the lines that were skipped because they are not `NAME=value`.
    pub skipped: Vec<usize>,
}

impl Dotenv {
    /// The raw (unexpanded) value of `name`: the last definition in the file.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name` expanded as Prisma does, `env` being the process environment.
    /// References stop being followed once [`EXPANSION_BUDGET`] is spent.
    pub fn get(&self, name: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let raw = self.raw(name)?;
        // Later definitions overwrite earlier ones: the last wins, as in `raw`.
        let vars: HashMap<&str, &str> = self
            .vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut budget = EXPANSION_BUDGET;
        Some(expand(raw, &vars, env, 0, &mut budget))
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// JavaScript's `\s` (Rust's White_Space plus the BOM).
fn is_js_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

/// True when `rest` (the remainder of a line after a value) is blank or a comment.
fn tail_ok(rest: &str) -> bool {
    let t = rest.trim_start_matches(is_js_space);
    t.is_empty() || t.starts_with('#')
}

/// Parse `.env` text. Never fails: lines that are not `NAME=value` are listed in
/// [`Dotenv::skipped`].
pub fn parse(text: &str) -> Dotenv {
    let s = text.replace("\r\n", "\n").replace('\r', "\n");
    let quotes = Quotes::of(&s);
    let mut out = Dotenv::default();
    let mut pos = 0;
    let mut line_no = 1;
    while pos < s.len() {
        let line_end = s
            .get(pos..)
            .and_then(|r| r.find('\n'))
            .map_or(s.len(), |k| pos + k);
        let line = s.get(pos..line_end).unwrap_or("");
        let end = match parse_entry(&s, &quotes, pos, line) {
            Entry::Blank => line_end,
            Entry::Skipped => {
                out.skipped.push(line_no);
                line_end
            }
            Entry::Var(name, value, end) => {
                out.vars.push((name, value));
                end
            }
        };
        line_no += s.get(pos..end).map_or(0, |t| t.matches('\n').count()) + 1;
        pos = end + 1;
    }
    out
}

enum Entry {
    Blank,
    Skipped,
    /// Name, value, and the byte index of the end of the last line it used.
    Var(String, String, usize),
}

/// One entry starting at the line `line` (at byte `start` of the whole text `s`).
fn parse_entry(s: &str, quotes: &Quotes, start: usize, line: &str) -> Entry {
    let t = line.trim_start_matches(is_js_space);
    if t.is_empty() || t.starts_with('#') {
        return Entry::Blank;
    }
    let mut rest = t;
    if let Some(after) = t.strip_prefix("export")
        && after.starts_with(is_js_space)
    {
        let after = after.trim_start_matches(is_js_space);
        if after.starts_with(is_name_char) {
            rest = after;
        }
    }
    let name_len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    if name_len == 0 {
        return Entry::Skipped;
    }
    let (name, after) = rest.split_at(name_len);
    let eq = after.trim_start_matches(is_js_space);
    let value_src = if let Some(v) = eq.strip_prefix('=') {
        v
    } else if let Some(v) = after.strip_prefix(':')
        && v.starts_with(is_js_space)
    {
        v
    } else {
        return Entry::Skipped;
    };
    let line_end = start + line.len();
    // Byte index of the value within `s`.
    let value_at = line_end - value_src.len();
    let v = value_src.trim_start_matches(is_js_space);
    let v_at = line_end - v.len();
    if let Some(q) = v.chars().next().filter(|c| matches!(c, '\'' | '"' | '`'))
        && let Some((close, end)) = quotes.closing(s, v_at, q)
    {
        let inner = s.get(v_at + 1..close).unwrap_or("");
        let value = if q == '"' {
            inner.replace("\\n", "\n").replace("\\r", "\r")
        } else {
            inner.to_owned()
        };
        return Entry::Var(name.to_owned(), value, end);
    }
    let unquoted = s
        .get(value_at..line_end)
        .unwrap_or("")
        .split('#')
        .next()
        .unwrap_or("")
        .trim_matches(is_js_space);
    let mut value = unquoted.to_owned();
    let first = unquoted.chars().next();
    if let Some(q) = first.filter(|c| matches!(c, '\'' | '"' | '`'))
        && unquoted.len() >= 2
        && unquoted.ends_with(q)
    {
        value = unquoted.get(1..unquoted.len() - 1).unwrap_or("").to_owned();
    }
    if first == Some('"') {
        value = value.replace("\\n", "\n").replace("\\r", "\r");
    }
    Entry::Var(name.to_owned(), value, line_end)
}

/// Byte positions of the quote characters of a text, split into unescaped ones and ones
/// right after a backslash, so finding a closing quote is a binary search, not a scan (a file
/// of unclosed quotes would otherwise cost quadratic time).
struct Quotes {
    /// Per quote kind (`'`, `"`, `` ` ``): positions not preceded by `\`, ascending.
    plain: [Vec<usize>; 3],
    /// Per quote kind: positions preceded by `\`, ascending.
    escaped: [Vec<usize>; 3],
}

/// How many escaped quotes are tried as the closing one before the value is read unquoted.
const MAX_BACKTRACK: usize = 64;

fn quote_kind(q: char) -> usize {
    match q {
        '\'' => 0,
        '"' => 1,
        _ => 2,
    }
}

impl Quotes {
    fn of(s: &str) -> Quotes {
        let mut q = Quotes {
            plain: Default::default(),
            escaped: Default::default(),
        };
        let mut prev = '\0';
        for (i, c) in s.char_indices() {
            if matches!(c, '\'' | '"' | '`') {
                let list = if prev == '\\' {
                    &mut q.escaped
                } else {
                    &mut q.plain
                };
                if let Some(v) = list.get_mut(quote_kind(c)) {
                    v.push(i);
                }
            }
            prev = c;
        }
        q
    }

    /// The closing quote of the value whose opening quote `q` is at byte `open` of `s`, and
    /// the end of its line, as dotenv's regular expression finds it: the first unescaped `q`,
    /// else (backtracking) an escaped one, latest first — whichever is followed on its line
    /// only by blanks or a comment. `None` when there is none (the value is read unquoted).
    fn closing(&self, s: &str, open: usize, q: char) -> Option<(usize, usize)> {
        let k = quote_kind(q);
        let plain = self.plain.get(k)?;
        let escaped = self.escaped.get(k)?;
        let first = plain.get(plain.partition_point(|&p| p <= open)).copied();
        let upto = first.unwrap_or(s.len());
        let lo = escaped.partition_point(|&p| p <= open);
        let hi = escaped.partition_point(|&p| p < upto);
        let backtrack = escaped
            .get(lo..hi)
            .unwrap_or(&[])
            .iter()
            .rev()
            .take(MAX_BACKTRACK);
        first.iter().chain(backtrack).find_map(|&close| {
            let line_end = s
                .get(close + 1..)
                .and_then(|r| r.find('\n'))
                .map_or(s.len(), |n| close + 1 + n);
            tail_ok(s.get(close + 1..line_end)?).then_some((close, line_end))
        })
    }
}

/// Prisma's `dotenv-expand` on one value (see the module docs).
fn expand(
    value: &str,
    vars: &HashMap<&str, &str>,
    env: &dyn Fn(&str) -> Option<String>,
    depth: usize,
    budget: &mut usize,
) -> String {
    if depth >= MAX_EXPANSION_DEPTH {
        *budget = budget.saturating_sub(value.len());
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        *budget = budget.saturating_sub(1);
        match c {
            '\\' if chars.peek() == Some(&'$') => {
                chars.next();
                out.push('$');
            }
            '$' => {
                let braced = chars.next_if_eq(&'{').is_some();
                let mut name = String::new();
                while let Some(n) = chars.next_if(|n| n.is_ascii_alphanumeric() || *n == '_') {
                    name.push(n);
                }
                if braced {
                    chars.next_if_eq(&'}');
                }
                if !name.is_empty() && *budget > 0 {
                    *budget = budget.saturating_sub(REFERENCE_COST);
                    let v = env(&name)
                        .or_else(|| vars.get(name.as_str()).map(|v| (*v).to_owned()))
                        .unwrap_or_default();
                    out.push_str(&expand(&v, vars, env, depth + 1, budget));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
