//! SQL text → statements of tokens, each with the line it starts on. Enough of the
//! PostgreSQL, MySQL/MariaDB and SQLite lexical rules for what Prisma generates and what
//! people hand-edit into a `migration.sql`: `--` and `/* */` comments (nested, as in
//! PostgreSQL), `'…'` strings (`''` and backslash escapes), `"…"`, `` `…` `` and `[…]` quoted
//! identifiers, PostgreSQL `$tag$…$tag$` bodies; statements end at a `;` outside all of
//! them. Never fails: unterminated text runs to the end of the input.

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A bare word (keyword or identifier), as written; compare with [`Token::is_kw`].
    Word(String),
    /// A quoted identifier, without its quotes.
    Quoted(String),
    /// A string literal or a dollar-quoted body (contents dropped).
    Str,
    /// A number, as written.
    Number(String),
    /// Any other character: `(`, `)`, `,`, `.`, `=`, `:` …
    Punct(char),
}

impl Token {
    /// True when this is the bare word `kw` (ASCII case-insensitive).
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(kw))
    }

    /// The identifier this token names (a bare word or a quoted identifier).
    pub fn ident(&self) -> Option<&str> {
        match self {
            Token::Word(w) | Token::Quoted(w) => Some(w),
            _ => None,
        }
    }
}

/// One statement: its tokens and the 1-based line of its first token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based line number of the first token in the file.
    pub line: u32,
    /// The tokens, comments and the terminating `;` removed.
    pub tokens: Vec<Token>,
}

/// Split `sql` into statements (empty ones dropped).
pub fn statements(sql: &str) -> Vec<Statement> {
    let c: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut cur: Vec<Token> = Vec::new();
    let mut start_line = 1u32;
    let mut line = 1u32;
    let mut i = 0;
    let n = c.len();
    while i < n {
        let ch = c[i];
        // Count newlines inside whatever is skipped.
        let count = |from: usize, to: usize, line: &mut u32| {
            *line += c[from..to.min(n)].iter().filter(|&&x| x == '\n').count() as u32;
        };
        if ch == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        if ch.is_whitespace() {
            i += 1;
            continue;
        }
        if ch == '-' && c.get(i + 1) == Some(&'-') {
            while i < n && c[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if ch == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0usize;
            let from = i;
            while i < n {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            count(from, i, &mut line);
            continue;
        }
        if ch == ';' {
            if !cur.is_empty() {
                out.push(Statement {
                    line: start_line,
                    tokens: std::mem::take(&mut cur),
                });
            }
            i += 1;
            continue;
        }
        if cur.is_empty() {
            start_line = line;
        }
        match ch {
            '\'' => {
                let from = i;
                i += 1;
                while i < n {
                    if c[i] == '\\' {
                        i += 2;
                    } else if c[i] == '\'' {
                        if c.get(i + 1) == Some(&'\'') {
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                count(from, i, &mut line);
                cur.push(Token::Str);
            }
            '"' | '`' | '[' => {
                let close = match ch {
                    '"' => '"',
                    '`' => '`',
                    _ => ']',
                };
                let from = i;
                i += 1;
                let mut s = String::new();
                while i < n {
                    if c[i] == close {
                        if close != ']' && c.get(i + 1) == Some(&close) {
                            s.push(close);
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    s.push(c[i]);
                    i += 1;
                }
                count(from, i, &mut line);
                cur.push(Token::Quoted(s));
            }
            '$' if dollar_tag(&c, i).is_some() => {
                let tag = dollar_tag(&c, i).unwrap_or_default();
                let from = i;
                i += tag.len();
                loop {
                    if i >= n {
                        break;
                    }
                    if c[i] == '$' && c[i..].starts_with(&tag) {
                        i += tag.len();
                        break;
                    }
                    i += 1;
                }
                count(from, i, &mut line);
                cur.push(Token::Str);
            }
            _ if ch.is_ascii_digit() => {
                let mut s = String::new();
                while i < n && (c[i].is_ascii_alphanumeric() || c[i] == '.') {
                    s.push(c[i]);
                    i += 1;
                }
                cur.push(Token::Number(s));
            }
            _ if ch.is_alphabetic() || ch == '_' => {
                let mut s = String::new();
                while i < n && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '$') {
                    s.push(c[i]);
                    i += 1;
                }
                cur.push(Token::Word(s));
            }
            _ => {
                cur.push(Token::Punct(ch));
                i += 1;
            }
        }
    }
    if !cur.is_empty() {
        out.push(Statement {
            line: start_line,
            tokens: cur,
        });
    }
    out
}

/// The `$tag$` (as chars) starting at `c[i]`, when one does: `$$` or `$name$`.
fn dollar_tag(c: &[char], i: usize) -> Option<Vec<char>> {
    let mut j = i + 1;
    while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
        j += 1;
    }
    if c.get(j) == Some(&'$') && !c.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
        Some(c[i..=j].to_vec())
    } else {
        None
    }
}
