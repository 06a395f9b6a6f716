//! `[[server]]`: the project's dev servers — what each runs, when it is ready, what it waits
//! for and how it stops — checked so that a typo, a cycle or a port taken twice is a config
//! error at its line and column, not a server that never starts. Nothing here starts them.

use super::validate::{Invalid, duration_in, fail};
use super::values::Dur;
use crate::model::server::{
    DEFAULT_READY_TIMEOUT, DEFAULT_STOP_GRACE, Requirement, RestartPolicy, ServerCmd, ServerSpec,
    StopSignal,
};
use crate::model::server_order::{OrderError, start_order};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

/// One `[[server]]` entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    name: Spanned<String>,
    cmd: Spanned<RawCmd>,
    shell: Option<Spanned<bool>>,
    cwd: Option<Spanned<PathBuf>>,
    env: Option<Spanned<BTreeMap<String, String>>>,
    port: Option<Spanned<u16>>,
    ready: Option<Spanned<ready::RawReady>>,
    ready_timeout: Option<Spanned<Dur>>,
    #[serde(default)]
    depends_on: Vec<Spanned<String>>,
    #[serde(default)]
    requires: Vec<Spanned<String>>,
    stop_signal: Option<Spanned<String>>,
    stop_grace: Option<Spanned<Dur>>,
    restart: Option<RawRestart>,
}

/// `cmd`: an argv array, or one string (run by `sh -c` with `shell = true`).
enum RawCmd {
    Argv(Vec<String>),
    Line(String),
}

impl<'de> Deserialize<'de> for RawCmd {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RawCmd;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of strings like [\"npm\", \"run\", \"dev\"], or a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<RawCmd, E> {
                Ok(RawCmd::Line(s.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<RawCmd, A::Error> {
                let mut words = Vec::new();
                while let Some(w) = a.next_element::<String>()? {
                    words.push(w);
                }
                Ok(RawCmd::Argv(words))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// `restart`.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum RawRestart {
    No,
    OnFailure,
}

/// `"text"` made safe to show: secrets masked, control bytes escaped.
pub(super) fn quoted(text: &str) -> String {
    format!("\"{}\"", crate::sanitize::clean(&crate::redact::text(text)))
}

/// Check `raw` and give the servers: `base`'s, except those `raw` names again, followed by
/// `raw`'s. `environments` are the database environments configured (`local` included), for
/// `requires`.
///
/// # Errors
/// [`Invalid`] at the first offending value: each entry's own values first (in file order),
/// then names used twice, unknown `depends_on` names, ports used twice and dependency cycles.
pub(super) fn resolve(
    raw: &[RawServer],
    base: &[ServerSpec],
    environments: &[&str],
) -> Result<Vec<ServerSpec>, Invalid> {
    let specs = raw
        .iter()
        .map(|r| r.spec(environments))
        .collect::<Result<Vec<_>, _>>()?;
    let mut seen = std::collections::HashSet::new();
    for r in raw {
        if !seen.insert(r.name.get_ref().as_str()) {
            return fail(
                r.name.span(),
                format!("[[server]] name {} appears twice", quoted(r.name.get_ref())),
            );
        }
    }
    let servers: Vec<ServerSpec> = base
        .iter()
        .filter(|b| !seen.contains(b.name.as_str()))
        .cloned()
        .chain(specs)
        .collect();
    unknown_dependencies(raw, &servers)?;
    ports_used_twice(raw, &servers)?;
    cycles(raw, &servers)?;
    Ok(servers)
}

/// Every `depends_on` name of `raw` is a server of `servers`.
fn unknown_dependencies(raw: &[RawServer], servers: &[ServerSpec]) -> Result<(), Invalid> {
    for r in raw {
        for dep in &r.depends_on {
            if !servers.iter().any(|s| &s.name == dep.get_ref()) {
                let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
                return fail(
                    dep.span(),
                    format!(
                        "depends_on: no server is named {} (servers: {})",
                        quoted(dep.get_ref()),
                        names.join(", ")
                    ),
                );
            }
        }
    }
    Ok(())
}

/// No port of `raw` is the port of a server before it too.
fn ports_used_twice(raw: &[RawServer], servers: &[ServerSpec]) -> Result<(), Invalid> {
    for r in raw {
        let Some(port) = &r.port else { continue };
        // Reported at the later of the two: the earlier one was there first.
        let at = servers
            .iter()
            .position(|s| &s.name == r.name.get_ref())
            .unwrap_or(servers.len());
        let other = servers[..at]
            .iter()
            .find(|s| s.port == Some(*port.get_ref()));
        if let Some(other) = other {
            return fail(
                port.span(),
                format!(
                    "port {} is also the port of server {}: two servers cannot listen on one port",
                    port.get_ref(),
                    quoted(&other.name)
                ),
            );
        }
    }
    Ok(())
}

/// The servers can be put in a start order; a cycle is reported at the `depends_on` entry
/// of a server of `raw` that leads into it.
fn cycles(raw: &[RawServer], servers: &[ServerSpec]) -> Result<(), Invalid> {
    let cycle = match start_order(servers) {
        Ok(_) => return Ok(()),
        Err(OrderError::Cycle(c)) => c,
        Err(e @ OrderError::UnknownDependency { .. }) => {
            // Checked before; a base file that was valid cannot bring one in.
            let span = raw.first().map_or(0..0, |r| r.name.span());
            return fail(span, format!("depends_on: {e}"));
        }
    };
    let next = |i: usize| &cycle[(i + 1) % cycle.len()];
    let span = cycle
        .iter()
        .enumerate()
        .find_map(|(i, name)| {
            let r = raw.iter().find(|r| r.name.get_ref() == name)?;
            let dep = r.depends_on.iter().find(|d| d.get_ref() == next(i))?;
            Some(dep.span())
        })
        .unwrap_or(0..0);
    fail(
        span,
        format!(
            "depends_on: {}: no server in it can start first",
            OrderError::Cycle(cycle.clone())
        ),
    )
}

impl RawServer {
    /// This entry's own checks (name, cmd, cwd, env, port, ready, durations, requires,
    /// stop_signal), then the server it describes.
    fn spec(&self, environments: &[&str]) -> Result<ServerSpec, Invalid> {
        let name = self.name.get_ref();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return fail(
                self.name.span(),
                format!(
                    "[[server]] name {} must be letters, digits, '-', '_' or '.'",
                    quoted(name)
                ),
            );
        }
        let hour = Duration::from_secs(3600);
        duration_in(
            "ready_timeout",
            &self.ready_timeout,
            Duration::from_secs(1),
            hour,
        )?;
        duration_in("stop_grace", &self.stop_grace, Duration::ZERO, hour)?;
        if let Some(p) = &self.port
            && *p.get_ref() == 0
        {
            return fail(
                p.span(),
                "port = 0: write the port the server listens on".into(),
            );
        }
        let stop_signal = match &self.stop_signal {
            None => StopSignal::TERM,
            Some(s) => StopSignal::parse(s.get_ref()).ok_or_else(|| Invalid {
                span: s.span(),
                message: format!(
                    "stop_signal = {} is not a signal devtop sends: write one of {}",
                    quoted(s.get_ref()),
                    StopSignal::names().collect::<Vec<_>>().join(", ")
                ),
            })?,
        };
        Ok(ServerSpec {
            name: name.clone(),
            cmd: self.command()?,
            cwd: self.cwd()?,
            env: self.env()?,
            port: self.port.as_ref().map(|p| *p.get_ref()),
            ready: ready::resolve(self.ready.as_ref())?,
            ready_timeout: self
                .ready_timeout
                .as_ref()
                .map_or(DEFAULT_READY_TIMEOUT, |d| d.get_ref().0),
            depends_on: self
                .depends_on
                .iter()
                .map(|d| d.get_ref().clone())
                .collect(),
            requires: self.requires(environments)?,
            stop_signal,
            stop_grace: self
                .stop_grace
                .as_ref()
                .map_or(DEFAULT_STOP_GRACE, |d| d.get_ref().0),
            restart: match self.restart {
                None | Some(RawRestart::No) => RestartPolicy::No,
                Some(RawRestart::OnFailure) => RestartPolicy::OnFailure,
            },
        })
    }

    /// `cmd` with `shell`: an argv array without `shell = true`, a string with it; never
    /// empty.
    fn command(&self) -> Result<ServerCmd, Invalid> {
        let shell = self.shell.as_ref().is_some_and(|s| *s.get_ref());
        let span = self.cmd.span();
        match self.cmd.get_ref() {
            RawCmd::Argv(words) if words.first().is_none_or(|w| w.trim().is_empty()) => fail(
                span,
                "cmd is empty: write the program and its arguments, e.g. [\"npm\", \"run\", \"dev\"]"
                    .into(),
            ),
            RawCmd::Line(line) if line.trim().is_empty() => {
                fail(span, "cmd is empty: write the command line to run".into())
            }
            RawCmd::Argv(_) if shell => fail(
                self.shell.as_ref().map_or(span, Spanned::span),
                "shell = true runs cmd as one string with `sh -c`: write cmd as a string".into(),
            ),
            RawCmd::Line(_) if !shell => fail(
                span,
                "cmd is a string: set `shell = true` to run it with `sh -c`, or write it as an \
                 array like [\"npm\", \"run\", \"dev\"]"
                    .into(),
            ),
            RawCmd::Argv(words) => Ok(ServerCmd::Argv(words.clone())),
            RawCmd::Line(line) => Ok(ServerCmd::Shell(line.clone())),
        }
    }

    /// `cwd`: relative to the project root.
    fn cwd(&self) -> Result<Option<PathBuf>, Invalid> {
        let Some(cwd) = &self.cwd else {
            return Ok(None);
        };
        if cwd.get_ref().is_absolute() || cwd.get_ref().as_os_str().is_empty() {
            return fail(
                cwd.span(),
                format!(
                    "cwd = {} must be a folder relative to the project root, e.g. \"apps/api\"",
                    quoted(&cwd.get_ref().display().to_string())
                ),
            );
        }
        Ok(Some(cwd.get_ref().clone()))
    }

    /// `env`: variable names non-empty, without `=` or NUL; values without NUL.
    fn env(&self) -> Result<BTreeMap<String, String>, Invalid> {
        let Some(env) = &self.env else {
            return Ok(BTreeMap::new());
        };
        for (k, v) in env.get_ref() {
            if k.is_empty() || k.contains(['=', '\0']) || v.contains('\0') {
                return fail(
                    env.span(),
                    format!(
                        "env: {} is not a valid environment variable (a name without '=' or \
                         NUL bytes, and a value without NUL bytes)",
                        quoted(k)
                    ),
                );
            }
        }
        Ok(env.get_ref().clone())
    }

    /// `requires`: `"db:NAME"` or `"migrations:NAME"` with NAME a configured environment.
    fn requires(&self, environments: &[&str]) -> Result<Vec<Requirement>, Invalid> {
        self.requires
            .iter()
            .map(|text| {
                let Some(req) = Requirement::parse(text.get_ref()) else {
                    return fail(
                        text.span(),
                        format!(
                            "requires {}: write \"db:NAME\" (the database answers) or \
                             \"migrations:NAME\" (nothing pending or failed there)",
                            quoted(text.get_ref())
                        ),
                    );
                };
                if !environments.contains(&req.env()) {
                    return fail(
                        text.span(),
                        format!(
                            "requires {}: no database environment is named {} (environments: {})",
                            quoted(text.get_ref()),
                            quoted(req.env()),
                            environments.join(", ")
                        ),
                    );
                }
                Ok(req)
            })
            .collect()
    }
}

mod ready;
#[cfg(test)]
mod tests;
