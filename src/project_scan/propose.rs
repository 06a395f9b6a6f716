//! From the package.json files found, the `[[server]]` entries `devtop init` proposes, each
//! value with where it came from. Pure: the files were read by [`super::scan`].

use super::manager::Manager;
use super::package::Package;
use super::ports::{Tool, ViteServer, script_port, tool_of};
use regex::Regex;
use std::sync::LazyLock;

/// One package.json found in the project.
#[derive(Debug, Clone)]
pub struct Found {
    /// Its folder relative to the project root, `/`-separated; `""` for the root.
    pub rel: String,
    /// The package.json.
    pub package: Package,
    /// The vite config next to it (file name relative to the root, what it says), if any.
    pub vite: Option<(String, ViteServer)>,
    /// The workspace pattern that listed it (`apps/*`, with its source); `None` for the root.
    pub listed_by: Option<String>,
}

/// The project's package manager and how it was chosen ("package-lock.json", ...).
#[derive(Debug, Clone)]
pub struct ManagerChoice {
    /// The manager.
    pub manager: Manager,
    /// Why: the lockfile, `packageManager` or "no lockfile".
    pub from: String,
}

/// How a proposed server is known to be ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// `{ http = URL }`.
    Http(String),
    /// `{ tcp = PORT }`.
    Tcp(u16),
}

/// A value and where it came from (shown as a TOML comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it came from, e.g. `"dev" script of apps/api/package.json`.
    pub from: String,
}

/// One proposed `[[server]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// Unique server name (letters, digits, `-`, `_`, `.`).
    pub name: Sourced<String>,
    /// argv, e.g. `["npm", "run", "dev"]`.
    pub cmd: Sourced<Vec<String>>,
    /// Folder relative to the root; `None` for the root.
    pub cwd: Option<Sourced<String>>,
    /// The port, when written as a literal.
    pub port: Option<Sourced<u16>>,
    /// The probe for that port, or why there is none.
    pub ready: Result<Sourced<Ready>, String>,
    /// Servers it waits for (from a vite proxy target).
    pub depends_on: Option<Sourced<Vec<String>>>,
    /// Ports of its vite proxy targets (used to guess `depends_on`).
    proxy_ports: Vec<u16>,
}

/// What `devtop init` proposes.
#[derive(Debug, Clone, Default)]
pub struct Proposals {
    /// The servers, root first, then the workspaces in path order.
    pub servers: Vec<Proposal>,
    /// Packages left out, and why (shown as comments).
    pub skipped: Vec<String>,
}

/// Propose servers for `found` (root first), run through `manager`. `workspaces` is true
/// when the root lists workspaces: its own `dev` script is then skipped when it starts the
/// workspaces itself (turbo, nx, `--workspaces`, `-r`, concurrently, ...).
pub fn propose(found: &[Found], manager: &ManagerChoice, workspaces: bool) -> Proposals {
    let mut out = Proposals::default();
    for f in found {
        let file = package_file(&f.rel);
        let Some((script, line)) = ["dev", "start"]
            .iter()
            .find_map(|s| Some((*s, f.package.scripts.get(*s)?)))
        else {
            out.skipped.push(format!(
                "{file}: no \"dev\" or \"start\" script; not proposed"
            ));
            continue;
        };
        if f.rel.is_empty() && workspaces && runs_workspaces(line) {
            out.skipped.push(format!(
                "{file}: the \"{script}\" script starts the workspaces itself; each is proposed on its own"
            ));
            continue;
        }
        let taken: Vec<&str> = out.servers.iter().map(|p| p.name.value.as_str()).collect();
        let name = unique_name(f, &taken);
        let mut p = Proposal {
            name,
            cmd: Sourced {
                value: manager.manager.run_argv(script),
                from: format!("\"{script}\" script of {file}: {line}; {}", manager.from),
            },
            cwd: f.listed_by.as_ref().map(|by| Sourced {
                value: f.rel.clone(),
                from: format!("workspace, from {by}"),
            }),
            port: None,
            ready: Err(String::new()),
            depends_on: None,
            proxy_ports: Vec::new(),
        };
        port_and_probe(&mut p, f, script, line, &out.servers);
        out.servers.push(p);
    }
    guess_dependencies(&mut out.servers);
    out
}

fn package_file(rel: &str) -> String {
    if rel.is_empty() {
        "package.json".into()
    } else {
        format!("{rel}/package.json")
    }
}

/// Does a root script start the workspaces itself?
fn runs_workspaces(script: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        #[allow(clippy::expect_used)] // a literal, checked by the tests
        Regex::new(
            r"\b(turbo|nx|lerna|concurrently|npm-run-all|run-p|run-s|wireit)\b|--workspaces?\b|(^|\s)(-ws|-w|-r|--recursive|--filter|-F|--parallel)(\s|=|$)|workspaces\s+foreach",
        )
        .expect("a valid literal regex")
    });
    RE.is_match(script)
}

/// The server's name: the package name without its scope, else the folder, else "app";
/// characters outside `[A-Za-z0-9._-]` become `-`; `-2`, `-3`... when taken.
fn unique_name(f: &Found, taken: &[&str]) -> Sourced<String> {
    let folder = f.rel.rsplit('/').next().unwrap_or("");
    let (base, from) = match f.package.name.as_deref().map(sanitise) {
        Some(n) if !n.is_empty() => (n, format!("\"name\" of {}", package_file(&f.rel))),
        _ if !sanitise(folder).is_empty() => (sanitise(folder), "folder name".to_owned()),
        _ => ("app".to_owned(), "no package name".to_owned()),
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken.contains(&name.as_str()) {
        name = format!("{base}-{n}");
        n += 1;
    }
    let from = if name == base {
        from
    } else {
        format!("{from}; \"{base}\" was taken")
    };
    Sourced { value: name, from }
}

/// `@acme/web-app` → `web-app`; other characters outside `[A-Za-z0-9._-]` → `-`.
fn sanitise(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    let s: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    s.trim_matches(['-', '.']).to_owned()
}

/// The port (script first, then the vite config) and its probe; a port already proposed
/// for an earlier server is left out (devtop refuses a port used twice).
fn port_and_probe(p: &mut Proposal, f: &Found, script: &str, line: &str, earlier: &[Proposal]) {
    let tool = tool_of(line);
    let vite = f.vite.as_ref().filter(|_| tool == Some(Tool::Vite));
    if let Some((_, v)) = vite {
        p.proxy_ports.clone_from(&v.proxy_ports);
    }
    let found = script_port(line)
        .map(|(port, how)| (port, format!("{how} in the \"{script}\" script")))
        .or_else(|| {
            let (file, v) = vite?;
            Some((v.port?, format!("server.port in {file}")))
        });
    let Some((port, from)) = found else {
        let wh = match (tool, vite) {
            (Some(Tool::Vite), Some((file, _))) => format!("the \"{script}\" script or {file}"),
            _ => format!("the \"{script}\" script"),
        };
        let default = match tool {
            Some(Tool::Vite) => "; vite's default is 5173",
            Some(Tool::Next) => "; next's default is 3000",
            None => "",
        };
        p.ready = Err(format!(
            "no port written in {wh}: no readiness probe (add port and ready if it listens{default})"
        ));
        return;
    };
    if let Some(other) = earlier
        .iter()
        .find(|o| o.port.as_ref().is_some_and(|q| q.value == port))
    {
        p.ready = Err(format!(
            "port {port} ({from}) is also {}'s: give each server its own port, then add port and ready",
            other.name.value
        ));
        return;
    }
    p.ready = Ok(match tool {
        Some(t) => Sourced {
            value: Ready::Http(format!("http://127.0.0.1:{port}/")),
            from: format!(
                "{} answers HTTP on its port",
                if t == Tool::Vite { "vite" } else { "next" }
            ),
        },
        None => Sourced {
            value: Ready::Tcp(port),
            from: "ready when the port accepts a connection".into(),
        },
    });
    p.port = Some(Sourced { value: port, from });
}

/// `depends_on` from vite proxy targets whose port is another proposed server's, unless
/// that would close a cycle.
fn guess_dependencies(servers: &mut [Proposal]) {
    for i in 0..servers.len() {
        let mut names = Vec::new();
        let mut ports = Vec::new();
        for port in servers[i].proxy_ports.clone() {
            let target = servers
                .iter()
                .position(|o| o.port.as_ref().is_some_and(|p| p.value == port));
            if let Some(j) = target
                && j != i
                && !reaches(servers, j, i)
            {
                names.push(servers[j].name.value.clone());
                ports.push(port.to_string());
            }
        }
        if !names.is_empty() {
            servers[i].depends_on = Some(Sourced {
                value: names,
                from: format!("its vite proxy targets localhost:{}", ports.join(", :")),
            });
        }
    }
}

/// Does server `from` (transitively) depend on server `to`?
fn reaches(servers: &[Proposal], from: usize, to: usize) -> bool {
    let mut stack = vec![from];
    let mut seen = vec![false; servers.len()];
    while let Some(k) = stack.pop() {
        if k == to {
            return true;
        }
        if std::mem::replace(&mut seen[k], true) {
            continue;
        }
        for dep in servers[k].depends_on.iter().flat_map(|d| &d.value) {
            if let Some(j) = servers.iter().position(|s| &s.name.value == dep) {
                stack.push(j);
            }
        }
    }
    false
}

#[cfg(test)]
mod tests;
