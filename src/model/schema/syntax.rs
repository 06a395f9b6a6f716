//! Syntax layer of the schema.prisma parser: the lexer (words, strings, punctuation, newlines;
//! comments dropped) and the split of the token stream into top-level blocks made of
//! statements, with the brace/parenthesis balance checks that produce [`SchemaError`]s. The
//! meaning of the statements is in the parent module.

use super::{SchemaError, err};
use std::iter::Peekable;
use std::slice::Iter;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// Identifiers, keywords, numbers, dotted names (`db.VarChar`).
    Word(String),
    /// A string literal, unescaped.
    Str(String),
    /// Any other single character.
    Punct(char),
    Newline,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    tok: Tok,
    line: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '.'
}

pub(super) fn lex(text: &str) -> Result<Vec<Token>, SchemaError> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                out.push(Token {
                    tok: Tok::Newline,
                    line,
                });
                line += 1;
            }
            c if c.is_whitespace() => {}
            '/' if chars.peek() == Some(&'/') => while chars.next_if(|&n| n != '\n').is_some() {},
            '"' => {
                let s = lex_string(&mut chars, line)?;
                out.push(Token {
                    tok: Tok::Str(s),
                    line,
                });
            }
            c if is_word_char(c) => {
                let mut w = String::from(c);
                while let Some(n) = chars.next_if(|&n| is_word_char(n)) {
                    w.push(n);
                }
                out.push(Token {
                    tok: Tok::Word(w),
                    line,
                });
            }
            other => out.push(Token {
                tok: Tok::Punct(other),
                line,
            }),
        }
    }
    Ok(out)
}

/// The rest of a string literal whose opening `"` was consumed. Strings end on their line.
fn lex_string(
    chars: &mut Peekable<std::str::Chars<'_>>,
    line: usize,
) -> Result<String, SchemaError> {
    let mut s = String::new();
    loop {
        match chars.next() {
            None | Some('\n') => return Err(err(line, "unterminated string")),
            Some('"') => return Ok(s),
            Some('\\') => match chars.next() {
                None | Some('\n') => return Err(err(line, "unterminated string")),
                Some('n') => s.push('\n'),
                Some('t') => s.push('\t'),
                Some('r') => s.push('\r'),
                Some(other) => s.push(other),
            },
            Some(ch) => s.push(ch),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Blocks and statements

/// One line of a block body (or several, when parentheses span lines), newlines removed.
#[derive(Debug)]
pub(super) struct Stmt {
    pub(super) line: usize,
    pub(super) toks: Vec<Tok>,
}

#[derive(Debug)]
pub(super) struct Block {
    pub(super) keyword: String,
    pub(super) name: String,
    pub(super) line: usize,
    pub(super) body: Vec<Stmt>,
}

pub(super) fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Str(s) => format!("string \"{s}\""),
        Tok::Punct(c) => format!("`{c}`"),
        Tok::Newline => "end of line".to_owned(),
    }
}

pub(super) fn split_blocks(tokens: &[Token]) -> Result<Vec<Block>, SchemaError> {
    let mut blocks = Vec::new();
    let mut it = tokens.iter().peekable();
    while let Some(t) = it.next() {
        match &t.tok {
            Tok::Newline => {}
            Tok::Word(keyword) => {
                let name = match it.next() {
                    Some(Token {
                        tok: Tok::Word(n), ..
                    }) => n.clone(),
                    _ => return Err(err(t.line, format!("expected a name after `{keyword}`"))),
                };
                while it.next_if(|n| n.tok == Tok::Newline).is_some() {}
                match it.next() {
                    Some(Token {
                        tok: Tok::Punct('{'),
                        ..
                    }) => {}
                    _ => {
                        return Err(err(
                            t.line,
                            format!("expected `{{` after `{keyword} {name}`"),
                        ));
                    }
                }
                let what = format!("{keyword} {name}");
                let body = read_body(&mut it, &what, t.line)?;
                blocks.push(Block {
                    keyword: keyword.clone(),
                    name,
                    line: t.line,
                    body,
                });
            }
            Tok::Punct('}') => return Err(err(t.line, "unmatched `}`")),
            other => {
                return Err(err(
                    t.line,
                    format!("unexpected {} outside a block", describe(other)),
                ));
            }
        }
    }
    Ok(blocks)
}

/// Read statements up to the `}` closing the block `what` opened at `open_line`.
fn read_body(
    it: &mut Peekable<Iter<'_, Token>>,
    what: &str,
    open_line: usize,
) -> Result<Vec<Stmt>, SchemaError> {
    let mut stmts = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    let mut cur_line = open_line;
    let mut depth: usize = 0;
    let flush = |cur: &mut Vec<Tok>, line: usize, stmts: &mut Vec<Stmt>| {
        if !cur.is_empty() {
            stmts.push(Stmt {
                line,
                toks: std::mem::take(cur),
            });
        }
    };
    loop {
        let Some(t) = it.next() else {
            if depth > 0 {
                return Err(err(cur_line, format!("unclosed `(` or `[` in `{what}`")));
            }
            return Err(err(
                open_line,
                format!("`{what}` (line {open_line}) is never closed: missing `}}`"),
            ));
        };
        match &t.tok {
            Tok::Newline => {
                if depth == 0 {
                    flush(&mut cur, cur_line, &mut stmts);
                }
                continue;
            }
            Tok::Punct('}') => {
                if depth > 0 {
                    return Err(err(
                        cur_line,
                        format!("unclosed `(` or `[` before `}}` in `{what}`"),
                    ));
                }
                flush(&mut cur, cur_line, &mut stmts);
                return Ok(stmts);
            }
            Tok::Punct('{') => {
                return Err(err(
                    t.line,
                    format!(
                        "unexpected `{{` inside `{what}` (opened at line {open_line}): \
                         missing `}}`?"
                    ),
                ));
            }
            Tok::Punct('(' | '[') => depth += 1,
            Tok::Punct(c @ (')' | ']')) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| err(t.line, format!("unmatched `{c}` in `{what}`")))?;
            }
            _ => {}
        }
        if cur.is_empty() {
            cur_line = t.line;
        }
        cur.push(t.tok.clone());
    }
}

/// Split `toks` (starting with `(`) into the tokens inside the balanced parentheses and the
/// tokens after them. Unbalanced input yields everything as the inside.
pub(super) fn split_parens(toks: &[Tok]) -> (&[Tok], &[Tok]) {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        match t {
            Tok::Punct('(' | '[') => depth += 1,
            Tok::Punct(')' | ']') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let inside = toks.get(1..i).unwrap_or(&[]);
                    let after = toks.get(i + 1..).unwrap_or(&[]);
                    return (inside, after);
                }
            }
            _ => {}
        }
    }
    (toks.get(1..).unwrap_or(&[]), &[])
}

/// The name argument of `@map(...)` / `@@map(...)`: `("x")` or `(name: "x")`.
pub(super) fn map_arg(args: &[Tok]) -> Option<String> {
    match args {
        [Tok::Punct('('), Tok::Str(s), ..] => Some(s.clone()),
        [
            Tok::Punct('('),
            Tok::Word(n),
            Tok::Punct(':'),
            Tok::Str(s),
            ..,
        ] if n == "name" => Some(s.clone()),
        _ => None,
    }
}

/// Attributes of a field or block: (name, tokens from its `(` on, empty without args).
/// Parenthesised groups not introduced by an attribute are skipped whole.
pub(super) fn attributes(toks: &[Tok]) -> Vec<(&str, &[Tok])> {
    let mut out = Vec::new();
    let mut rest = toks;
    while let Some((first, tail)) = rest.split_first() {
        match (first, tail) {
            (Tok::Punct('@'), [Tok::Word(name), after @ ..]) => {
                let (args, next) = if matches!(after.first(), Some(Tok::Punct('('))) {
                    let (_, next) = split_parens(after);
                    (after.get(..after.len() - next.len()).unwrap_or(&[]), next)
                } else {
                    (&[][..], after)
                };
                out.push((name.as_str(), args));
                rest = next;
            }
            (Tok::Punct('(' | '['), _) => rest = split_parens(rest).1,
            _ => rest = tail,
        }
    }
    out
}

pub(super) fn render(toks: &[Tok]) -> String {
    let mut s = String::new();
    for t in toks {
        match t {
            Tok::Word(w) => s.push_str(w),
            Tok::Str(v) => {
                s.push('"');
                s.push_str(&v.replace('\\', "\\\\").replace('"', "\\\""));
                s.push('"');
            }
            Tok::Punct(',') => s.push_str(", "),
            Tok::Punct(c) => s.push(*c),
            Tok::Newline => {}
        }
    }
    s
}
