//! Walking a statement's tokens: optional `IF [NOT] EXISTS`, qualified names, name lists,
//! matching parentheses and top-level splits. Pure.

use super::lexer::Token;

/// Index after an optional `IF EXISTS` / `IF NOT EXISTS` at `i`.
pub(super) fn skip_if_exists(t: &[Token], i: usize) -> usize {
    let kw = |i: usize, k: &str| t.get(i).is_some_and(|x| x.is_kw(k));
    if kw(i, "IF") && kw(i + 1, "EXISTS") {
        i + 2
    } else if kw(i, "IF") && kw(i + 1, "NOT") && kw(i + 2, "EXISTS") {
        i + 3
    } else {
        i
    }
}

/// A possibly qualified name at `i` (`a`, `"s"."a"`): its last part and the index after it.
pub(super) fn qualified(t: &[Token], mut i: usize) -> Option<(String, usize)> {
    let mut name = t.get(i)?.ident()?.to_owned();
    i += 1;
    while t.get(i) == Some(&Token::Punct('.')) {
        match t.get(i + 1).and_then(Token::ident) {
            Some(n) => {
                name = n.to_owned();
                i += 2;
            }
            None => break,
        }
    }
    Some((name, i))
}

/// Comma-separated names from `i` (`a, "b"`, stops at anything else), and the index after.
pub(super) fn name_list(t: &[Token], mut i: usize) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    while let Some((n, j)) = qualified(t, i) {
        if ["CASCADE", "RESTRICT"].iter().any(|k| t[i].is_kw(k)) {
            break;
        }
        names.push(n);
        i = j;
        if t.get(i) == Some(&Token::Punct(',')) {
            i += 1;
        } else {
            break;
        }
    }
    (names, i)
}

/// Index of the `)` matching the `(` at `open` (or the last token when unbalanced).
pub(super) fn matching(t: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, x) in t.iter().enumerate().skip(open) {
        match x {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    t.len().saturating_sub(1).max(open)
}

/// Split at `sep` outside parentheses; empty parts dropped.
pub(super) fn split_top(t: &[Token], sep: char) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut from = 0;
    for (k, x) in t.iter().enumerate() {
        match x {
            Token::Punct('(') => depth += 1,
            Token::Punct(')') => depth = depth.saturating_sub(1),
            Token::Punct(c) if *c == sep && depth == 0 => {
                if k > from {
                    out.push(&t[from..k]);
                }
                from = k + 1;
            }
            _ => {}
        }
    }
    if t.len() > from {
        out.push(&t[from..]);
    }
    out
}

/// Column names inside the parenthesised list at `open` (`("a", "b" DESC)` → a, b).
pub(super) fn paren_columns(t: &[Token], open: usize) -> Vec<String> {
    if t.get(open) != Some(&Token::Punct('(')) {
        return Vec::new();
    }
    let end = matching(t, open);
    split_top(&t[open + 1..end.max(open + 1)], ',')
        .into_iter()
        .filter_map(|c| c.first().and_then(Token::ident).map(str::to_owned))
        .collect()
}
