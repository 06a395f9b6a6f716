//! The URL parser (`db::url::parse`), the one redactor (`redact`) and the one sanitiser
//! (`sanitize::clean`).
//!
//! On the whole input (lossy UTF-8), as free text:
//! - `sanitize::clean` leaves no character that `sanitize::is_unsafe` flags (no control
//!   character, DEL, C1 or bidi control) and is idempotent;
//! - `redact::text` is idempotent (redacting redacted text changes nothing), and
//!   `redact::argv` keeps the number of words;
//! - `db::url::parse` does not panic, and its error text is one line.
//!
//! Planted secrets: the NUL-separated fields of the input build a well-formed URL
//! `scheme://user:PASSWORD@host[:port]/path[?query][&secret_key=VALUE]` (every character of
//! the user and password from RFC 3986 userinfo: unreserved, sub-delims, `:` in the
//! password, `%XX`; for database schemes also a raw `@`, `/`, but not `://`, which starts the
//! next URL of a comma list) between free text, and checks
//! that neither PASSWORD nor VALUE survives `redact::text`, `redact::argv`, nor — for
//! postgresql/mysql URLs that parse — `DbUrl::masked`, its `Debug` and `DbUrl::scrub`.
#![no_main]

use devtop::db::url::parse;
use devtop::model::provider::Provider;
use devtop::{redact, sanitize};
use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use std::path::Path;

const SCHEMES: &[&str] = &[
    "postgresql",
    "postgres",
    "mysql",
    "mongodb",
    "mongodb+srv",
    "redis",
    "rediss",
    "amqp",
    "sqlserver",
    "prisma+postgres",
    "https",
    "http",
    "wss",
    "ftp",
];
const WEB: &[&str] = &["https", "http", "wss", "ftp"];
const SECRET_KEYS: &[&str] = &["password", "sslpassword", "api_key", "token", "PGPASSWORD"];

const UNRESERVED: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
const SUB_DELIMS: &str = "!$&'()*+,;=";

/// Map fuzz bytes into `charset`, with `%XX` escapes when `pct` (byte 0xF0..).
fn mapped(bytes: &[u8], charset: &[char], pct: bool, max: usize) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(max) {
        if pct && b >= 0xF0 {
            s.push_str(&format!("%{:02X}", b.wrapping_mul(37)));
        } else {
            s.push(charset[b as usize % charset.len()]);
        }
    }
    s
}

fn free_checks(s: &str) {
    let clean = sanitize::clean(s);
    assert!(
        !clean.chars().any(sanitize::is_unsafe),
        "unsafe char left: {clean:?}"
    );
    assert!(!clean.chars().any(char::is_control));
    assert_eq!(sanitize::clean(&clean), clean, "clean is idempotent");

    let once = redact::text(s);
    let twice = redact::text(&once);
    assert_eq!(once, twice, "redact::text is idempotent");
    let words: Vec<String> = s.split_whitespace().map(str::to_owned).collect();
    assert_eq!(redact::argv(&words).len(), words.len());

    if let Err(e) = parse(s, Path::new("/fuzz/prisma")) {
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "multi-line error: {msg:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    free_checks(&s);

    let mut f = data.split(|b| *b == 0);
    let mut field = || f.next().unwrap_or_default();
    let sel = field();
    let sel = |i: usize| sel.get(i).copied().unwrap_or(0) as usize;
    let scheme = SCHEMES[sel(0) % SCHEMES.len()];
    let web = WEB.contains(&scheme);

    let user_set: Vec<char> = UNRESERVED.chars().chain(SUB_DELIMS.chars()).collect();
    let mut pw_set = user_set.clone();
    pw_set.push(':');
    if !web {
        pw_set.extend(['@', '/']);
    }
    let user = mapped(field(), &user_set, true, 16);
    // A distinctive prefix, so the password cannot occur by chance in the free text.
    let password = format!("Zq{}", mapped(field(), &pw_set, true, 24));
    let host_set: Vec<char> = "abcdefghijklmnopqrstuvwxyz0123456789.-".chars().collect();
    let host = format!("h{}", mapped(field(), &host_set, false, 20));
    let path_set: Vec<char> = UNRESERVED
        .chars()
        .chain(SUB_DELIMS.chars())
        .chain([':', '@', '/'])
        .collect();
    let path = mapped(field(), &path_set, true, 20);
    let query_set: Vec<char> = path_set.iter().copied().chain(['?']).collect();
    let query = mapped(field(), &query_set, true, 30);
    let value_set: Vec<char> = UNRESERVED.chars().chain("!$()*+,:@/?".chars()).collect();
    let value = format!("Vq{}", mapped(field(), &value_set, true, 16));
    let key = SECRET_KEYS[sel(2) % SECRET_KEYS.len()];
    let prefix = String::from_utf8_lossy(field()).into_owned();
    let suffix = String::from_utf8_lossy(field()).into_owned();

    let mut url = format!("{scheme}://{user}:{password}@{host}");
    if sel(1) & 1 != 0 {
        url.push_str(&format!(":{}", 1 + sel(3) * 257 % 65535));
    }
    url.push('/');
    url.push_str(&path);
    let with_value = sel(1) & 2 != 0;
    if sel(1) & 4 != 0 || with_value {
        url.push('?');
        url.push_str(&query);
        if with_value {
            url.push_str(&format!("&{key}={value}"));
        }
    }
    // A raw `://` in a password cannot be told from the next URL of a comma list.
    if password.contains("://") {
        return;
    }
    let secrets: Vec<&str> = if with_value {
        vec![&password, &value]
    } else {
        vec![&password]
    };
    if secrets
        .iter()
        .any(|p| prefix.contains(p) || suffix.contains(p) || url.matches(p).count() > 1)
    {
        return;
    }
    let text = format!("{prefix} {url} {suffix}");
    let shown = redact::text(&text);
    for p in &secrets {
        assert!(
            !shown.contains(p),
            "{p:?} survives redact::text: {shown:?} ({text:?})"
        );
    }
    let words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    let argv = redact::argv(&words).join(" ");
    for p in &secrets {
        assert!(!argv.contains(p), "{p:?} survives redact::argv: {argv:?}");
    }

    if let Ok(db) = parse(&url, Path::new("/fuzz/prisma")) {
        if db.provider == Provider::Sqlite {
            return;
        }
        // The password as the URL parser serialises it (`@` → `%40`, ...), which is what
        // `masked` is built from.
        let serialised = url::Url::parse(&url).ok().and_then(|u| {
            u.password()
                .map(str::to_owned)
                .filter(|p| u.as_str().matches(p.as_str()).count() == 1)
        });
        if let Some(p) = &serialised {
            assert!(
                !db.masked.contains(p.as_str()),
                "{p:?} in masked {:?}",
                db.masked
            );
        }
        let debug = format!("{db:?}");
        // A bare password is masked by `scrub` from 4 characters on (shorter would mask
        // words), as written or percent-decoded: the parser's form re-encodes a raw `@`, `;`,
        // ... so when such a character meets a `%XX` escape the password as written is
        // neither (scrub then finds it through the redactor's reading of the raw URL, which
        // an `@` in the path can lengthen: not checked).
        // Only when the parser reads the password that was planted (a raw `/` ends the host
        // part for it, as for Prisma).
        let decoded = |p: &str| percent_decode_str(p).decode_utf8_lossy().into_owned();
        let agrees = url::Url::parse(&url)
            .ok()
            .is_some_and(|u| u.password().map(decoded) == Some(decoded(&password)));
        let reencoded = password.contains(['@', '/', ':', ';', '=']);
        let bare =
            if agrees && password.chars().count() >= 4 && !(reencoded && password.contains('%')) {
                password.as_str()
            } else {
                ""
            };
        let scrubbed = db.scrub(&format!("connect to {url} failed: {bare}"));
        for p in &secrets {
            assert!(!db.masked.contains(p), "{p:?} in masked {:?}", db.masked);
            assert!(!debug.contains(p), "{p:?} in Debug");
            assert!(
                !scrubbed.contains(p),
                "{p:?} in scrub: {scrubbed:?} ({url})"
            );
        }
    }
});
