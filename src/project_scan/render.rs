//! The proposed servers as devtop.toml text: `[[server]]` tables whose values carry a
//! trailing comment saying where they came from. Values are written by the `toml` crate's
//! quoting; comments are redacted and sanitised to one line, so nothing read from the project
//! can break out of a comment or a string.

use super::propose::{Proposal, Proposals, Ready};
use std::fmt::Write as _;

/// Comments longer than this (characters) are cut with `…`.
const COMMENT_MAX: usize = 140;
/// Values are padded to this column before their comment.
const COMMENT_COLUMN: usize = 34;

/// devtop.toml text for `proposals`; `manager` says which package manager and why; `notes`
/// are extra lines for the header.
pub fn render(proposals: &Proposals, manager: &str, notes: &[String]) -> String {
    let mut out = String::new();
    out.push_str(
        "# devtop.toml proposed by `devtop init` from the project's package.json files.\n",
    );
    out.push_str(&comment_line(&format!("Package manager: {manager}.")));
    out.push_str(
        "# Review it, then save it as devtop.toml (or run `devtop init --write`); the comment\n\
         # after each value says where it came from. `devtop config --path` checks it.\n",
    );
    for n in notes {
        out.push_str(&comment_line(&format!("note: {n}")));
    }
    for s in &proposals.skipped {
        out.push_str(&comment_line(&format!("skipped: {s}")));
    }
    if proposals.servers.is_empty() {
        out.push_str(
            "#\n# No server proposed: no package.json has a \"dev\" or \"start\" script.\n",
        );
    }
    for p in &proposals.servers {
        out.push('\n');
        server(&mut out, p);
    }
    out
}

fn server(out: &mut String, p: &Proposal) {
    out.push_str("[[server]]\n");
    value(out, "name", &quote(&p.name.value), &p.name.from);
    let argv: Vec<String> = p.cmd.value.iter().map(|w| quote(w)).collect();
    value(out, "cmd", &format!("[{}]", argv.join(", ")), &p.cmd.from);
    if let Some(cwd) = &p.cwd {
        value(out, "cwd", &quote(&cwd.value), &cwd.from);
    }
    if let Some(port) = &p.port {
        value(out, "port", &port.value.to_string(), &port.from);
    }
    match &p.ready {
        Ok(r) => {
            let probe = match &r.value {
                Ready::Http(url) => format!("{{ http = {} }}", quote(url)),
                Ready::Tcp(port) => format!("{{ tcp = {port} }}"),
            };
            value(out, "ready", &probe, &r.from);
        }
        Err(why) => out.push_str(&comment_line(why)),
    }
    if let Some(d) = &p.depends_on {
        let names: Vec<String> = d.value.iter().map(|n| quote(n)).collect();
        value(
            out,
            "depends_on",
            &format!("[{}]", names.join(", ")),
            &d.from,
        );
    }
}

/// `key = value  # from`, the comment aligned when the value is short.
fn value(out: &mut String, key: &str, value: &str, from: &str) {
    let assignment = format!("{key} = {value}");
    let pad = COMMENT_COLUMN
        .saturating_sub(assignment.chars().count())
        .max(2);
    let _ = writeln!(out, "{assignment}{}# {}", " ".repeat(pad), comment(from));
}

fn comment_line(text: &str) -> String {
    format!("# {}\n", comment(text))
}

/// `text` safe for a one-line comment: secrets masked, control bytes escaped, cut.
fn comment(text: &str) -> String {
    let clean = crate::sanitize::clean(&crate::redact::text(text)).into_owned();
    if clean.chars().count() <= COMMENT_MAX {
        return clean;
    }
    let cut: String = clean.chars().take(COMMENT_MAX - 1).collect();
    format!("{cut}…")
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}
