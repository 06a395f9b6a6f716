//! The one redactor for secrets, used by every channel: process argv and NODE_OPTIONS (at
//! collection, so the snapshot, `status --json`, the text output and the dashboard never hold
//! them), the masked database URL, database and Prisma CLI error text, devtop.toml error
//! snippets and the Logs pane.
//!
//! What is replaced by [`MASK`] (`***`):
//! - the password of every `scheme://user:password@host` URL in the text, also with a raw `@`
//!   in the password (`postgresql://u:pa@ss@db/x` → `postgresql://u:***@db/x`: the user info
//!   ends at the last `@`) or a `'` (`u:it's@db`, legal in RFC 3986 user info), in every URL
//!   of a comma list, and inside longer strings (NODE_OPTIONS, `sh -c` scripts);
//! - the value of every `key=value` whose key names a secret: query and connection-string
//!   parameters (`?password=`, `;password=` in SQL Server URLs, `?api_key=` in Prisma
//!   Accelerate URLs, `sslpassword=`), environment assignments (`PGPASSWORD=x`, `MYSQL_PWD=x`,
//!   `GITHUB_TOKEN=x`), long flags (`--password=x`) and `key = "value"` lines; a value ends at
//!   whitespace, `&` or `;`, or at the closing quote or `}` when it starts with `"`, `'` or `{`;
//! - the word after a bare secret long flag (`--password x`, also across argv words);
//! - `-pSECRET` after a MySQL/MariaDB client name (`mysql -uroot -pSECRET`);
//! - SQL literals: `PASSWORD 'x'`, `IDENTIFIED BY 'x'`; and `Bearer x` tokens.
//!
//! Secret keys (case-insensitive, `-`/`.` read as `_`, leading dashes ignored): exactly `pass`,
//! `pwd`, `pw`, `auth`, `key`, `sig`, or ending in `password`, `passwd`, `passphrase`, `_pwd`,
//! `secret`, `token`, `apikey`, `api_key`, `private_key`, `secret_key`, `access_key`,
//! `credential`, `credentials`. `PWD` and `OLDPWD` (the shell's working directory) are not.
//!
//! The rules err on the side of masking: a port or path that looks like a password may be
//! masked too; a secret must never be shown.

use std::borrow::Cow;
use std::ops::Range;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// MySQL / MariaDB command-line clients, whose `-pSECRET` is a password (not a port).
const MYSQL_CLIENTS: &[&str] = &[
    "mysql",
    "mysqldump",
    "mysqladmin",
    "mysqlimport",
    "mysqlcheck",
    "mysqlshow",
    "mysqlslap",
    "mysqlbinlog",
    "mysqlpump",
    "mysqlsh",
    "mariadb",
    "mariadb-dump",
    "mariadb-admin",
    "mariadb-import",
    "mariadb-check",
    "mariadb-show",
    "mariadb-slap",
    "mariadb-binlog",
];

/// URL schemes whose path may hold an `@` (`https://host/a@b`): their user info ends at the
/// first `/`.
const WEB_SCHEMES: &[&str] = &["http", "https", "ws", "wss", "ftp", "ftps"];

/// State carried from one word of an argv to the next.
#[derive(Debug, Default, Clone, Copy)]
struct Context {
    /// A MySQL client was named: `-pSECRET` is its password.
    mysql: bool,
    /// The previous word was a bare secret flag (`--password`): this word is its value.
    value_next: bool,
}

/// `text` with every secret it shows replaced by [`MASK`] (see the module docs). Borrowed
/// unchanged when there is nothing to mask.
pub fn text(text: &str) -> Cow<'_, str> {
    let first = redact_with(text, &mut Context::default());
    let Cow::Owned(mut out) = first else {
        return first;
    };
    // Masking can join what the end rules kept apart (a URL password running over the `&`
    // that ended a `key=value`): redact the result again until nothing changes, so that
    // redacting redacted text changes nothing (found by fuzz/url_redact).
    for _ in 0..MAX_PASSES {
        let next = redact_with(&out, &mut Context::default());
        if next == out.as_str() {
            break;
        }
        out = next.into_owned();
    }
    Cow::Owned(out)
}

/// Extra passes of [`text`] over its own output. One confirms the result in the common case;
/// each further one undoes one join, and a chain of them takes an input built for it (a
/// 450-byte fuzz input needed 6). Each pass is linear and runs only when the last one masked.
const MAX_PASSES: usize = 32;

/// An argv with its secrets masked: each word as by [`text`], plus what only the order of the
/// words tells (`--password x`, `mysql … -pSECRET`). Same length as `words`.
pub fn argv(words: &[String]) -> Vec<String> {
    let mut ctx = Context::default();
    words
        .iter()
        .map(|w| redact_with(w, &mut ctx).into_owned())
        .collect()
}

/// `text` with each of `secrets` (exact strings known to be secret, e.g. a database URL and its
/// decoded password; empty ones are ignored) replaced by [`MASK`], longest first, and then
/// redacted as by [`text`]. For messages from drivers and child processes that may quote a
/// secret in a shape no rule recognises.
pub fn known(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for s in sorted {
        if out.contains(s) {
            out = out.replace(s, MASK);
        }
    }
    self::text(&out).into_owned()
}

fn redact_with<'a>(s: &'a str, ctx: &mut Context) -> Cow<'a, str> {
    let mut ranges = Vec::new();
    url_passwords(s, &mut ranges);
    key_values(s, &mut ranges);
    quoted_after_keywords(s, &mut ranges);
    words(s, ctx, &mut ranges);
    apply(s, ranges)
}

/// Replace the byte `ranges` of `s` (on char boundaries; may overlap) by [`MASK`].
fn apply(s: &str, mut ranges: Vec<Range<usize>>) -> Cow<'_, str> {
    ranges.retain(|r| r.start < r.end);
    if ranges.is_empty() {
        return Cow::Borrowed(s);
    }
    ranges.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(s.len());
    // End of the text copied or masked so far.
    let mut pos = 0;
    for r in ranges {
        if r.start < pos {
            // Overlaps the range just masked: extend it.
            pos = pos.max(r.end);
            continue;
        }
        out.push_str(&s[pos..r.start]);
        out.push_str(MASK);
        pos = r.end;
    }
    out.push_str(&s[pos..]);
    Cow::Owned(out)
}

/// True when `key` (a parameter, variable or flag name) names a secret.
pub fn is_secret_key(key: &str) -> bool {
    if matches!(key, "PWD" | "OLDPWD") {
        return false;
    }
    let k = key
        .trim_start_matches('-')
        .to_ascii_lowercase()
        .replace(['-', '.'], "_");
    const EXACT: &[&str] = &["pass", "pwd", "pw", "auth", "key", "sig"];
    const SUFFIXES: &[&str] = &[
        "password",
        "passwd",
        "passphrase",
        "_pwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "private_key",
        "secret_key",
        "access_key",
        "credential",
        "credentials",
    ];
    // `SESSION_KEY`, `ENCRYPTION_KEY`, `SIGNING_KEY`, `MASTER_KEY` ...; not a public key, nor
    // a database's kind of key (`primary-key`, the migration lint's analyzer, `sort_key`).
    let other_key = k
        .strip_suffix("_key")
        .is_some_and(|q| !is_non_secret_qualifier(q.rsplit('_').next().unwrap_or(q)));
    EXACT.contains(&k.as_str()) || other_key || SUFFIXES.iter().any(|s| k.ends_with(s))
}

/// Words that make a "key" a public or a database's key, never a secret (`public_key`,
/// `primary-key`, "the sort key: name").
fn is_non_secret_qualifier(word: &str) -> bool {
    const WORDS: &[&str] = &[
        "public",
        "primary",
        "foreign",
        "unique",
        "composite",
        "compound",
        "surrogate",
        "natural",
        "candidate",
        "sort",
        "partition",
        "hash",
        "range",
        "shard",
        "cache",
        "lookup",
        "index",
        "join",
        "row",
        "group",
    ];
    WORDS.contains(&word.to_ascii_lowercase().as_str())
}

/// True when the key `s[start..end]` is the word "key" after a word of
/// [`is_non_secret_qualifier`] (prose: "primary key: (id)").
fn is_qualified_prose_key(s: &str, start: usize, end: usize) -> bool {
    if !s[start..end].eq_ignore_ascii_case("key") {
        return false;
    }
    let before = s[..start].strip_suffix(' ').unwrap_or("");
    let word = before
        .rsplit(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    !word.is_empty() && is_non_secret_qualifier(word)
}

fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

/// The passwords of the `scheme://user:password@host` URLs in `s`, exactly as written (a raw
/// `@` or `'` included, not percent-decoded), by the rules of [`text`].
pub fn url_passwords_in(s: &str) -> Vec<&str> {
    let mut ranges = Vec::new();
    url_passwords(s, &mut ranges);
    ranges.into_iter().filter_map(|r| s.get(r)).collect()
}

/// Where the scheme of the URL whose `://` is at `sep` starts (`sep` when there is none): the
/// scheme bytes before it, from the first letter.
fn url_start(b: &[u8], sep: usize) -> usize {
    let mut start = sep;
    while start > 0 && is_scheme_byte(b[start - 1]) {
        start -= 1;
    }
    while start < sep && !b[start].is_ascii_alphabetic() {
        start += 1;
    }
    start
}

/// Every URL password in `s`.
fn url_passwords(s: &str, out: &mut Vec<Range<usize>>) {
    let b = s.as_bytes();
    let mut urls: Vec<(usize, usize)> = Vec::new();
    for (sep, _) in s.match_indices("://") {
        let start = url_start(b, sep);
        if start < sep {
            urls.push((start, sep));
        }
    }
    for (n, &(start, sep)) in urls.iter().enumerate() {
        let auth_start = sep + 3;
        // A URL ends at whitespace or a quote, or where the next one begins (comma lists).
        let next = urls.get(n + 1).map_or(s.len(), |u| u.0).max(auth_start);
        // A `'` ends a URL quoted with `'`; elsewhere it may be part of the password (RFC 3986
        // allows it in user info: `u:it's@db`), and so it may in a quoted URL whose quoted
        // part holds no password.
        let end = |quote: bool| {
            s[auth_start..next]
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '"' | '<' | '>' | '`') || (quote && c == '\'')
                })
                .map_or(next, |i| auth_start + i)
        };
        let scheme = s[start..sep].to_ascii_lowercase();
        let single_quoted = start > 0 && b[start - 1] == b'\'';
        let pw = if single_quoted {
            url_password(&scheme, &s[auth_start..end(true)])
                .or_else(|| url_password(&scheme, &s[auth_start..end(false)]))
        } else {
            url_password(&scheme, &s[auth_start..end(false)])
        };
        if let Some(pw) = pw {
            out.push(auth_start + pw.start..auth_start + pw.end);
        }
    }
}

/// The password inside `auth` (a URL after its `://`), as a range of `auth`.
fn url_password(scheme: &str, auth: &str) -> Option<Range<usize>> {
    let at = if WEB_SCHEMES.contains(&scheme) {
        // A path may hold an `@` (`/@scope/pkg`), so the user info ends before the first `/`
        // — unless a `user:` that is not `host:port` comes first and no `@` does: then a raw
        // `/` is in the password (`https://u:pa/ss@host`); masking up to the next `@` errs on
        // the safe side.
        let stop = auth.find(['/', '?', '#']).unwrap_or(auth.len());
        let after_colon = auth[..stop].split_once(':').map(|(_, rest)| rest);
        match auth[..stop].rfind('@') {
            Some(at) => at,
            None if after_colon.is_some_and(|r| !r.bytes().all(|c| c.is_ascii_digit())) => {
                auth.find('@')?
            }
            None => return None,
        }
    } else {
        // Database URLs: the user info ends at the last `@` before the query, so a raw `@`
        // (or `/`) in the password is still inside it.
        let stop = auth.find(['?', '#']).unwrap_or(auth.len());
        match auth[..stop].rfind('@') {
            Some(at) => at,
            // `u:pa?ss@db`: a raw `?` or `#` in the password.
            None if auth[..stop].contains(':') && !auth[..stop].contains('/') => auth.rfind('@')?,
            None => return None,
        }
    };
    let userinfo = &auth[..at];
    let colon = userinfo.find(':')?;
    if userinfo[..colon].contains('/') {
        return None;
    }
    Some(colon + 1..at)
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// End of a value starting at `v`: its range (quotes excluded). A quoted value never runs
/// past the end of its line: an unclosed quote masks the rest of that line, not the rows after.
fn value_range(s: &str, v: usize) -> Range<usize> {
    let b = s.as_bytes();
    let close = match b.get(v) {
        Some(b'"') => Some(b'"'),
        Some(b'\'') => Some(b'\''),
        Some(b'{') => Some(b'}'),
        _ => None,
    };
    match close {
        Some(c) => {
            let end = s[v + 1..]
                .bytes()
                .position(|x| x == c || x == b'\n')
                .map_or(s.len(), |i| v + 1 + i);
            v + 1..end
        }
        None => {
            let mut end = s[v..]
                .find(|c: char| c.is_whitespace() || matches!(c, '&' | ';' | '"' | '\''))
                .map_or(s.len(), |i| v + i);
            // A URL starting inside the value ends it (`pw:x,postgres://…`): masked, the URL's
            // `://` would be gone and the URL before it would reach further on the next
            // redaction (found by fuzz/url_redact: redaction must be idempotent).
            if let Some(sep) = s[v..end].find("://") {
                let start = url_start(b, v + sep);
                if start > v {
                    end = start;
                }
            }
            v..end
        }
    }
}

/// Values of `secret_key=value` pairs, and of `secret_key: value` (object literals and JSON in
/// `node -e …` argv: `password: 'x'`, `{"token":"x"}`).
fn key_values(s: &str, out: &mut Vec<Range<usize>>) {
    let b = s.as_bytes();
    let separators = s.match_indices('=').chain(
        s.match_indices(':')
            .filter(|(i, _)| !s[*i..].starts_with("://")),
    );
    for (eq, sep) in separators {
        let mut key_end = eq;
        while key_end > 0 && matches!(b[key_end - 1], b' ' | b'\t') {
            key_end -= 1;
        }
        // A quoted key: `"password":` or `'token':`.
        if sep == ":" && key_end > 0 && matches!(b[key_end - 1], b'"' | b'\'') {
            key_end -= 1;
        }
        let mut key_start = key_end;
        while key_start > 0 && is_key_byte(b[key_start - 1]) {
            key_start -= 1;
        }
        if key_start == key_end
            || !is_secret_key(&s[key_start..key_end])
            || is_qualified_prose_key(s, key_start, key_end)
        {
            continue;
        }
        let mut v = eq + 1;
        while v < b.len() && matches!(b[v], b' ' | b'\t') {
            v += 1;
        }
        if v < b.len() {
            out.push(value_range(s, v));
        }
    }
}

/// `PASSWORD 'x'`, `IDENTIFIED BY 'x'` (SQL) and `Bearer x` (HTTP authorization).
fn quoted_after_keywords(s: &str, out: &mut Vec<Range<usize>>) {
    let lower = s.to_ascii_lowercase();
    let b = s.as_bytes();
    for (kw, quoted) in [
        ("password", true),
        ("identified by", true),
        ("bearer", false),
    ] {
        for (i, _) in lower.match_indices(kw) {
            let mut v = i + kw.len();
            let gap = v;
            while v < b.len() && b[v].is_ascii_whitespace() {
                v += 1;
            }
            if v == gap || v >= b.len() {
                continue;
            }
            if quoted && !matches!(b[v], b'\'' | b'"') {
                continue;
            }
            out.push(value_range(s, v));
        }
    }
}

/// What only word order tells: `--password x` and `mysql … -pSECRET`.
fn words(s: &str, ctx: &mut Context, out: &mut Vec<Range<usize>>) {
    let mut pos = 0;
    for tok in s.split_whitespace() {
        let start = pos + s[pos..].find(tok).unwrap_or(0);
        if s[pos..start].contains('\n') {
            // A new line of text (a new row of output) starts a new command line.
            *ctx = Context::default();
        }
        pos = start + tok.len();
        if std::mem::take(&mut ctx.value_next) && !tok.starts_with('-') {
            out.push(start..pos);
            continue;
        }
        if tok.starts_with("--") && !tok.contains('=') && is_secret_key(tok) {
            ctx.value_next = true;
            continue;
        }
        if ctx.mysql && tok.len() > 2 && tok.starts_with("-p") && !tok.starts_with("--") {
            out.push(start + 2..pos);
        }
        let stem = tok.rsplit('/').next().unwrap_or(tok);
        if MYSQL_CLIENTS.contains(&stem) {
            ctx.mysql = true;
        }
    }
}

#[cfg(test)]
mod tests;
