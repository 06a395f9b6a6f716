//! Syntax layer of the prisma.config.ts reader: a forgiving JS/TS tokenizer (strings,
//! template literals, identifiers, punctuation; comments dropped) and the recognition of the
//! literal values and of the exported config object. Never panics on any input.

use std::collections::HashMap;
use std::rc::Rc;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    /// A string or interpolation-free template literal, unescaped.
    Str(String),
    /// A template literal with `${...}`, or a number.
    Other,
    Punct(char),
}

/// Yields the chars of a text while counting the newlines it has handed out (including any
/// peeked by a `Peekable` on top of it), shared through `seen`.
struct CountLines<'a> {
    chars: std::str::Chars<'a>,
    seen: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Iterator for CountLines<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let c = self.chars.next();
        if c == Some('\n') {
            self.seen.set(self.seen.get() + 1);
        }
        c
    }
}

/// The tokens of `text` and the 1-based line each starts on.
// One loop with one arm per token kind (~85 lines): splitting the arms apart would scatter the
// lexer's state (position, line) over several functions.
pub(super) fn lex(text: &str) -> (Vec<Tok>, Vec<usize>) {
    let mut out = Vec::new();
    let mut lines = Vec::new();
    let seen = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut chars = CountLines {
        chars: text.chars(),
        seen: seen.clone(),
    }
    .peekable();
    while let Some(c) = chars.next() {
        // Tokens never start with a newline, so everything counted so far lies before `c`.
        if out.len() == lines.len() {
            lines.push(seen.get() + 1);
        }
        match c {
            c if c.is_whitespace() => {}
            '/' if chars.peek() == Some(&'/') => while chars.next_if(|&n| n != '\n').is_some() {},
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            '"' | '\'' => {
                let mut s = String::new();
                while let Some(n) = chars.next() {
                    match n {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                s.push(e);
                            }
                        }
                        '\n' => break,
                        n if n == c => break,
                        n => s.push(n),
                    }
                }
                out.push(Tok::Str(s));
            }
            '`' => {
                let mut s = String::new();
                let mut dynamic = false;
                while let Some(n) = chars.next() {
                    match n {
                        '\\' => {
                            if let Some(e) = chars.next() {
                                s.push(e);
                            }
                        }
                        '`' => break,
                        '$' if chars.peek() == Some(&'{') => {
                            dynamic = true;
                            s.push(n);
                        }
                        n => s.push(n),
                    }
                }
                out.push(if dynamic { Tok::Other } else { Tok::Str(s) });
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let mut w = String::from(c);
                while let Some(n) = chars.next_if(|&n| n.is_alphanumeric() || n == '_' || n == '$')
                {
                    w.push(n);
                }
                out.push(Tok::Ident(w));
            }
            c if c.is_ascii_digit() => {
                while chars
                    .next_if(|&n| n.is_alphanumeric() || n == '.')
                    .is_some()
                {}
                out.push(Tok::Other);
            }
            other => out.push(Tok::Punct(other)),
        }
        lines.truncate(out.len());
    }
    (out, lines)
}

/// How deeply brackets may nest in a prisma.config.ts before devtop stops reading it (the
/// value reader recurses into objects).
pub(super) const MAX_NESTING: usize = 64;

/// The line of the first bracket (`(`, `[`, `{`) nested deeper than [`MAX_NESTING`], if any.
pub(super) fn too_deep(toks: &[Tok], lines: &[usize]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Punct('(' | '[' | '{') => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(lines.get(i).copied().unwrap_or(1));
                }
            }
            Tok::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn is_ident(t: Option<&Tok>, name: &str) -> bool {
    matches!(t, Some(Tok::Ident(w)) if w == name)
}

fn is_punct(t: Option<&Tok>, c: char) -> bool {
    t == Some(&Tok::Punct(c))
}

// ---------------------------------------------------------------------------------------------
// Values

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Str(String),
    Env(String),
    /// Shared: a `const` object named twice in another one is not copied twice (copies
    /// doubled per `const` level: 1 KiB of text took 28 s and 2 GiB; found by fuzz/config_ts).
    Object(Rc<Vec<(String, Value)>>),
    Dynamic,
}

/// The longest path a `path.join(...)` may produce (Linux's PATH_MAX); longer is not a path
/// (and `const b = join(a, a)` doubles per line).
const MAX_JOINED: usize = 4096;

/// Words that start a new statement: without semicolons, they end the expression before.
const STATEMENT_STARTS: [&str; 8] = [
    "const", "let", "var", "export", "import", "module", "function", "class",
];

/// Index just past the expression starting at `i`: up to the next `,`, `;`, a closing bracket
/// or a statement keyword, at depth 0.
fn skip_expr(toks: &[Tok], mut i: usize) -> usize {
    let mut depth = 0usize;
    let start = i;
    while let Some(t) = toks.get(i) {
        match t {
            Tok::Ident(w) if depth == 0 && i > start && STATEMENT_STARTS.contains(&w.as_str()) => {
                return i;
            }
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                if depth == 0 {
                    return i;
                }
                depth -= 1;
            }
            Tok::Punct(',' | ';') if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    i
}

/// Parse the value starting at `i`; returns it and the index just past the whole expression.
pub(super) fn parse_value(
    toks: &[Tok],
    i: usize,
    consts: &HashMap<String, Value>,
) -> (Value, usize) {
    let end = skip_expr(toks, i);
    // The value is read within its expression only: an object that does not close inside it
    // (`a: {),`) must not read on into what follows, which the caller reads again (each such
    // object doubled the work; found by fuzz/config_ts).
    let (value, next) = primary(toks.get(..end).unwrap_or(toks), i, consts);
    let Some(next) = next else {
        return (Value::Dynamic, end);
    };
    // What may follow a readable value without changing it.
    let mut rest = toks.get(next..end).unwrap_or(&[]);
    while let [Tok::Punct('!'), tail @ ..] = rest {
        rest = tail;
    }
    let harmless = match rest {
        [] => true,
        [Tok::Ident(w), ..] => w == "as" || w == "satisfies",
        [Tok::Punct('?'), Tok::Punct('?'), ..] | [Tok::Punct('|'), Tok::Punct('|'), ..] => true,
        _ => false,
    };
    (if harmless { value } else { Value::Dynamic }, end)
}

/// A primary expression at `i` and the index after it, or `None` for the index when it is
/// not a recognised form.
fn primary(toks: &[Tok], i: usize, consts: &HashMap<String, Value>) -> (Value, Option<usize>) {
    let t = |k: usize| toks.get(i + k);
    match t(0) {
        Some(Tok::Str(s)) => (Value::Str(s.clone()), Some(i + 1)),
        Some(Tok::Punct('{')) => parse_object(toks, i, consts),
        Some(Tok::Ident(w)) if w == "env" && is_punct(t(1), '(') => match (t(2), t(3)) {
            (Some(Tok::Str(var)), Some(Tok::Punct(')'))) => (Value::Env(var.clone()), Some(i + 4)),
            _ => (Value::Dynamic, None),
        },
        Some(Tok::Ident(w)) if w == "process" && is_punct(t(1), '.') && is_ident(t(2), "env") => {
            match (t(3), t(4), t(5)) {
                (Some(Tok::Punct('.')), Some(Tok::Ident(var)), _) => {
                    (Value::Env(var.clone()), Some(i + 5))
                }
                (Some(Tok::Punct('[')), Some(Tok::Str(var)), Some(Tok::Punct(']'))) => {
                    (Value::Env(var.clone()), Some(i + 6))
                }
                _ => (Value::Dynamic, None),
            }
        }
        Some(Tok::Ident(w)) => {
            if let Some(after) = join_call_args(toks, i) {
                return match join_segments(toks, after, consts) {
                    Some((joined, next)) => (Value::Str(joined), Some(next)),
                    None => (Value::Dynamic, None),
                };
            }
            match consts.get(w) {
                Some(v) if !is_punct(t(1), '(') && !is_punct(t(1), '.') => (v.clone(), Some(i + 1)),
                _ => (Value::Dynamic, None),
            }
        }
        _ => (Value::Dynamic, None),
    }
}

/// If `path.join(` / `path.resolve(` / `path.posix.join(` / `join(` / `resolve(` starts at
/// `i`, the index of its `(`.
fn join_call_args(toks: &[Tok], i: usize) -> Option<usize> {
    let mut k = i;
    if is_ident(toks.get(k), "path") {
        k += 1;
        if is_punct(toks.get(k), '.') && is_ident(toks.get(k + 1), "posix") {
            k += 2;
        }
        if !is_punct(toks.get(k), '.') {
            return None;
        }
        k += 1;
    }
    let is_join = is_ident(toks.get(k), "join") || is_ident(toks.get(k), "resolve");
    (is_join && is_punct(toks.get(k + 1), '(')).then_some(k + 1)
}

/// The literal segments of a join call whose `(` is at `open`, joined with `/`, and the index
/// after its `)`. `None` when a segment is not literal.
fn join_segments(
    toks: &[Tok],
    open: usize,
    consts: &HashMap<String, Value>,
) -> Option<(String, usize)> {
    let mut parts: Vec<String> = Vec::new();
    // Bytes of `parts` plus one separator each, bounded by MAX_JOINED.
    let mut len = 0usize;
    let mut k = open + 1;
    loop {
        match toks.get(k)? {
            Tok::Punct(')') => break,
            Tok::Punct(',') => k += 1,
            Tok::Ident(w) if w == "__dirname" => k += 1,
            Tok::Ident(w)
                if w == "import"
                    && is_punct(toks.get(k + 1), '.')
                    && is_ident(toks.get(k + 2), "meta")
                    && is_punct(toks.get(k + 3), '.')
                    && is_ident(toks.get(k + 4), "dirname") =>
            {
                k += 5;
            }
            Tok::Ident(w)
                if w == "process"
                    && is_punct(toks.get(k + 1), '.')
                    && is_ident(toks.get(k + 2), "cwd")
                    && is_punct(toks.get(k + 3), '(')
                    && is_punct(toks.get(k + 4), ')') =>
            {
                k += 5;
            }
            Tok::Str(s) => {
                if s.starts_with('/') {
                    parts.clear();
                    len = 0;
                }
                len += s.len() + 1;
                if len > MAX_JOINED {
                    return None;
                }
                parts.push(s.clone());
                k += 1;
            }
            Tok::Ident(w) => match consts.get(w) {
                Some(Value::Str(s)) => {
                    len += s.len() + 1;
                    if len > MAX_JOINED {
                        return None;
                    }
                    parts.push(s.clone());
                    k += 1;
                }
                _ => return None,
            },
            _ => return None,
        }
    }
    let mut joined = String::new();
    for p in parts.iter().filter(|p| !p.is_empty()) {
        if !joined.is_empty() && !joined.ends_with('/') {
            joined.push('/');
        }
        joined.push_str(if joined.is_empty() {
            p
        } else {
            p.trim_start_matches('/')
        });
    }
    if joined.is_empty() {
        joined.push('.');
    }
    Some((joined, k + 1))
}

/// Parse an object literal whose `{` is at `i`.
fn parse_object(toks: &[Tok], i: usize, consts: &HashMap<String, Value>) -> (Value, Option<usize>) {
    let mut entries = Vec::new();
    let mut k = i + 1;
    loop {
        match toks.get(k) {
            None => return (Value::Object(Rc::new(entries)), None),
            Some(Tok::Punct('}')) => return (Value::Object(Rc::new(entries)), Some(k + 1)),
            Some(Tok::Punct(',')) => k += 1,
            Some(Tok::Ident(key) | Tok::Str(key)) => {
                let key = key.clone();
                match toks.get(k + 1) {
                    Some(Tok::Punct(':')) => {
                        let (v, next) = parse_value(toks, k + 2, consts);
                        entries.push((key, v));
                        k = next;
                    }
                    Some(Tok::Punct(',' | '}')) => {
                        // Shorthand `{ schema }`.
                        let v = consts.get(&key).cloned().unwrap_or(Value::Dynamic);
                        entries.push((key, v));
                        k += 1;
                    }
                    _ => k = skip_member(toks, k),
                }
            }
            Some(_) => k = skip_member(toks, k),
        }
    }
}

/// Skip a member we do not read (spread, method, computed key): up to the next `,` or the
/// object's `}`.
fn skip_member(toks: &[Tok], k: usize) -> usize {
    // skip_expr balances brackets, so a method body `foo() { ... }` is skipped whole; a stray
    // closing bracket would stop it in place, so always move on by at least one token.
    let end = skip_expr(toks, k);
    if end == k { k + 1 } else { end }
}

/// `const|let|var NAME (: Type)? = value` bindings whose value is readable.
pub(super) fn const_bindings(toks: &[Tok]) -> HashMap<String, Value> {
    let mut consts = HashMap::new();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Ident(kw) = t else { continue };
        if !matches!(kw.as_str(), "const" | "let" | "var") {
            continue;
        }
        let Some(Tok::Ident(name)) = toks.get(i + 1) else {
            continue;
        };
        // Find the `=` (after an optional type annotation) before the end of the statement.
        let mut k = i + 2;
        while let Some(t) = toks.get(k) {
            match t {
                Tok::Punct('=') if !is_punct(toks.get(k + 1), '>') => break,
                Tok::Punct(';') => break,
                _ => k += 1,
            }
        }
        if !is_punct(toks.get(k), '=') {
            continue;
        }
        let (v, _) = parse_value(toks, k + 1, &consts);
        if v != Value::Dynamic {
            consts.insert(name.clone(), v);
        }
    }
    consts
}

/// Index of the `{` of the config object, see the module docs.
pub(super) fn find_config_object(toks: &[Tok]) -> Option<usize> {
    let at = (0..toks.len()).find_map(|i| {
        (is_ident(toks.get(i), "defineConfig") && is_punct(toks.get(i + 1), '(')).then_some(i + 2)
    });
    let at = at.or_else(|| {
        (0..toks.len()).find_map(|i| {
            if is_ident(toks.get(i), "export") && is_ident(toks.get(i + 1), "default") {
                Some(i + 2)
            } else if is_ident(toks.get(i), "module")
                && is_punct(toks.get(i + 1), '.')
                && is_ident(toks.get(i + 2), "exports")
                && is_punct(toks.get(i + 3), '=')
            {
                Some(i + 4)
            } else {
                None
            }
        })
    })?;
    resolve_object(toks, at, 0)
}

/// The `{` of the object expression at `at`: an object literal, `defineConfig({...})`, or an
/// identifier bound by `const NAME (: Type)? = <one of these>`.
fn resolve_object(toks: &[Tok], at: usize, depth: usize) -> Option<usize> {
    if depth > 4 {
        return None;
    }
    match toks.get(at)? {
        Tok::Punct('{') => Some(at),
        Tok::Ident(w) if w == "defineConfig" && is_punct(toks.get(at + 1), '(') => {
            resolve_object(toks, at + 2, depth + 1)
        }
        Tok::Ident(name) => {
            let eq = (0..toks.len()).find_map(|i| {
                let binds = is_ident(toks.get(i), "const")
                    || is_ident(toks.get(i), "let")
                    || is_ident(toks.get(i), "var");
                if !binds || !is_ident(toks.get(i + 1), name) {
                    return None;
                }
                let mut k = i + 2;
                while let Some(t) = toks.get(k) {
                    if t == &Tok::Punct('=') || t == &Tok::Punct(';') {
                        break;
                    }
                    k += 1;
                }
                is_punct(toks.get(k), '=').then_some(k)
            })?;
            resolve_object(toks, eq + 1, depth + 1)
        }
        _ => None,
    }
}
