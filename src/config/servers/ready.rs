//! `ready` of a `[[server]]`: how devtop tells the server is up — an HTTP answer, a TCP
//! connect, or a line of its output matching a regular expression.

use super::quoted;
use crate::config::validate::{Invalid, fail};
use crate::model::server::ReadyProbe;
use serde::Deserialize;
use toml::Spanned;

/// The largest compiled `ready.log` pattern, in bytes (the `regex` crate's size limit): a
/// pattern is matched against every output line, so it stays small.
const LOG_REGEX_MAX: usize = 1 << 20;

/// `ready`: one of `http`, `tcp`, `log`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReady {
    http: Option<Spanned<String>>,
    tcp: Option<Spanned<u16>>,
    log: Option<Spanned<String>>,
}

/// `ready`: exactly one probe; an http:// URL, a non-zero port, or a regex that compiles.
pub(super) fn resolve(ready: Option<&Spanned<RawReady>>) -> Result<Option<ReadyProbe>, Invalid> {
    let Some(ready) = ready else {
        return Ok(None);
    };
    let r = ready.get_ref();
    match (&r.http, &r.tcp, &r.log) {
        (Some(url), None, None) => http_probe(url).map(Some),
        (None, Some(port), None) if *port.get_ref() == 0 => fail(
            port.span(),
            "ready.tcp = 0: write the port to connect to".into(),
        ),
        (None, Some(port), None) => Ok(Some(ReadyProbe::Tcp(*port.get_ref()))),
        (None, None, Some(pattern)) => log_probe(pattern).map(Some),
        _ => fail(
            ready.span(),
            "ready takes one probe: { http = \"URL\" }, { tcp = PORT } or \
             { log = \"REGEX\" } (leave it out: ready once started)"
                .into(),
        ),
    }
}

/// `ready.http`: an http:// URL with a host (the probe speaks plain HTTP/1.1: an https://
/// URL is refused here rather than failing every start).
fn http_probe(url: &Spanned<String>) -> Result<ReadyProbe, Invalid> {
    match url::Url::parse(url.get_ref()) {
        Ok(u) if u.scheme() == "http" && u.host().is_some() => {
            Ok(ReadyProbe::Http(url.get_ref().clone()))
        }
        Ok(u) if u.scheme() == "https" => fail(
            url.span(),
            format!(
                "ready.http = {}: only http:// is supported (the probe does not speak TLS); \
                 probe the port with {{ tcp = PORT }} or a plain-http endpoint",
                quoted(url.get_ref())
            ),
        ),
        Ok(_) => fail(
            url.span(),
            format!(
                "ready.http = {} must be an http:// URL",
                quoted(url.get_ref())
            ),
        ),
        Err(e) => fail(
            url.span(),
            format!("ready.http = {} is not a URL: {e}", quoted(url.get_ref())),
        ),
    }
}

/// `ready.log`: a regular expression (`regex` syntax) that compiles within [`LOG_REGEX_MAX`].
fn log_probe(pattern: &Spanned<String>) -> Result<ReadyProbe, Invalid> {
    match regex::RegexBuilder::new(pattern.get_ref())
        .size_limit(LOG_REGEX_MAX)
        .build()
    {
        Ok(_) => Ok(ReadyProbe::Log(pattern.get_ref().clone())),
        Err(e) => {
            // The regex crate's message spans lines (the pattern, a caret, the reason).
            let reason = e.to_string();
            let reason = reason
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            fail(
                pattern.span(),
                format!(
                    "ready.log = {} is not a valid regular expression: {}",
                    quoted(pattern.get_ref()),
                    crate::sanitize::clean(&reason)
                ),
            )
        }
    }
}
