//! The order dev servers start in: every server after the servers it `depends_on`, ties in
//! the order they are configured; stopping goes the other way. Pure: no I/O.

use crate::model::server::ServerSpec;

/// Why servers cannot be ordered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// `server` depends on a name no server has.
    #[error("{server} depends on unknown server \"{dependency}\"")]
    UnknownDependency {
        /// The server whose `depends_on` names it.
        server: String,
        /// The unknown name.
        dependency: String,
    },
    /// The servers depend on each other in a circle: each depends on the next, the last on
    /// the first (a server depending on itself is a one-name cycle).
    #[error("dependency cycle {}", cycle_text(.0))]
    Cycle(Vec<String>),
}

/// "api → web → api" for the cycle `[api, web]`.
pub fn cycle_text(cycle: &[String]) -> String {
    cycle
        .iter()
        .chain(cycle.first())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Names of `servers` in start order: a server comes after every server in its
/// `depends_on`; among servers whose dependencies are placed, the one configured first goes
/// first (so independent servers keep the file's order).
///
/// # Errors
/// [`OrderError::UnknownDependency`] for a `depends_on` name no server has (the first one
/// found, in configuration order), else [`OrderError::Cycle`] naming one cycle.
pub fn start_order(servers: &[ServerSpec]) -> Result<Vec<&str>, OrderError> {
    let index = |name: &str| servers.iter().position(|s| s.name == name);
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(servers.len());
    for s in servers {
        let mut d = Vec::with_capacity(s.depends_on.len());
        for name in &s.depends_on {
            d.push(index(name).ok_or_else(|| OrderError::UnknownDependency {
                server: s.name.clone(),
                dependency: name.clone(),
            })?);
        }
        deps.push(d);
    }
    let mut placed = vec![false; servers.len()];
    let mut order = Vec::with_capacity(servers.len());
    while order.len() < servers.len() {
        let next = (0..servers.len()).find(|&i| !placed[i] && deps[i].iter().all(|&d| placed[d]));
        match next {
            Some(i) => {
                placed[i] = true;
                order.push(servers[i].name.as_str());
            }
            None => return Err(OrderError::Cycle(find_cycle(servers, &deps, &placed))),
        }
    }
    Ok(order)
}

/// Names of `servers` in stop order: the reverse of [`start_order`].
///
/// # Errors
/// As [`start_order`].
pub fn stop_order(servers: &[ServerSpec]) -> Result<Vec<&str>, OrderError> {
    let mut order = start_order(servers)?;
    order.reverse();
    Ok(order)
}

/// The servers named in `only` and every server they depend on, directly or not, in
/// configuration order; all of `servers` when `only` is empty.
///
/// # Errors
/// The first name in `only` that no server has.
pub fn with_dependencies<'a>(
    servers: &'a [ServerSpec],
    only: &[String],
) -> Result<Vec<&'a ServerSpec>, String> {
    if only.is_empty() {
        return Ok(servers.iter().collect());
    }
    let mut wanted: Vec<&str> = Vec::new();
    let mut todo: Vec<&str> = only.iter().map(String::as_str).collect();
    while let Some(name) = todo.pop() {
        if wanted.contains(&name) {
            continue;
        }
        let server = servers
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| name.to_owned())?;
        wanted.push(name);
        todo.extend(server.depends_on.iter().map(String::as_str));
    }
    Ok(servers
        .iter()
        .filter(|s| wanted.contains(&s.name.as_str()))
        .collect())
}

/// The servers that depend on one named in `names`, directly or not, and are not named
/// themselves, in configuration order (what keeps running when only `names` stop).
pub fn dependents<'a>(servers: &'a [ServerSpec], names: &[String]) -> Vec<&'a str> {
    let pairs: Vec<(&str, &[String])> = servers
        .iter()
        .map(|s| (s.name.as_str(), s.depends_on.as_slice()))
        .collect();
    dependents_of(&pairs, names)
}

/// [`dependents`] over `(name, depends_on)` pairs in configuration order.
pub fn dependents_of<'a>(servers: &[(&'a str, &[String])], names: &[String]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    let mut todo: Vec<&str> = names.iter().map(String::as_str).collect();
    while let Some(name) = todo.pop() {
        for &(server, deps) in servers {
            let named = names.iter().any(|n| n == server) || out.contains(&server);
            if !named && deps.iter().any(|d| d == name) {
                out.push(server);
                todo.push(server);
            }
        }
    }
    servers
        .iter()
        .map(|&(n, _)| n)
        .filter(|n| out.contains(n))
        .collect()
}

/// One cycle among the unplaced servers (each of which has an unplaced dependency): follow
/// the first unplaced dependency from the first unplaced server until a name repeats.
fn find_cycle(servers: &[ServerSpec], deps: &[Vec<usize>], placed: &[bool]) -> Vec<String> {
    let mut path: Vec<usize> = Vec::new();
    let mut at = placed.iter().position(|p| !p);
    while let Some(i) = at {
        if let Some(start) = path.iter().position(|&p| p == i) {
            return path[start..]
                .iter()
                .map(|&p| servers[p].name.clone())
                .collect();
        }
        path.push(i);
        at = deps[i].iter().copied().find(|&d| !placed[d]);
    }
    // Unreachable when called as documented: every unplaced server has an unplaced
    // dependency. Name the unplaced servers rather than panic.
    path.iter().map(|&p| servers[p].name.clone()).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::server::{RestartPolicy, ServerCmd, StopSignal};

    fn server(name: &str, deps: &[&str]) -> ServerSpec {
        ServerSpec {
            name: name.into(),
            cmd: ServerCmd::Argv(vec!["true".into()]),
            cwd: None,
            env: Default::default(),
            port: None,
            ready: None,
            ready_timeout: crate::model::server::DEFAULT_READY_TIMEOUT,
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
            requires: Vec::new(),
            stop_signal: StopSignal::TERM,
            stop_grace: crate::model::server::DEFAULT_STOP_GRACE,
            restart: RestartPolicy::No,
        }
    }

    #[test]
    fn dependencies_first_ties_in_file_order() {
        let s = [
            server("web", &["api"]),
            server("worker", &[]),
            server("api", &["db-proxy"]),
            server("db-proxy", &[]),
            server("docs", &[]),
        ];
        assert_eq!(
            start_order(&s).unwrap_or_default(),
            ["worker", "db-proxy", "api", "web", "docs"]
        );
        assert_eq!(
            stop_order(&s).unwrap_or_default(),
            ["docs", "web", "api", "db-proxy", "worker"]
        );
        assert_eq!(start_order(&[]), Ok(vec![]));
    }

    #[test]
    fn dependents_directly_or_not_unless_named() {
        let s = [
            server("web", &["api"]),
            server("worker", &[]),
            server("api", &["base"]),
            server("admin", &["web"]),
            server("base", &[]),
        ];
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(dependents(&s, &names(&["base"])), ["web", "api", "admin"]);
        assert_eq!(dependents(&s, &names(&["api", "web"])), ["admin"]);
        assert!(dependents(&s, &names(&["worker"])).is_empty());
    }

    #[test]
    fn only_with_dependencies() {
        let s = [
            server("web", &["api"]),
            server("worker", &[]),
            server("api", &["base"]),
            server("base", &[]),
        ];
        let names = |only: &[&str]| {
            let only: Vec<String> = only.iter().map(|n| (*n).to_owned()).collect();
            with_dependencies(&s, &only)
                .map(|v| v.iter().map(|s| s.name.clone()).collect::<Vec<_>>())
        };
        assert_eq!(names(&["web"]).unwrap(), ["web", "api", "base"]);
        assert_eq!(names(&["worker"]).unwrap(), ["worker"]);
        assert_eq!(names(&[]).unwrap().len(), 4);
        assert_eq!(names(&["nope"]), Err("nope".to_owned()));
    }

    #[test]
    fn diamond() {
        let s = [
            server("web", &["api", "auth"]),
            server("api", &["base"]),
            server("auth", &["base"]),
            server("base", &[]),
        ];
        assert_eq!(
            start_order(&s).unwrap_or_default(),
            ["base", "api", "auth", "web"]
        );
    }

    #[test]
    fn unknown_dependency() {
        let s = [server("web", &["apx"]), server("api", &[])];
        assert_eq!(
            start_order(&s),
            Err(OrderError::UnknownDependency {
                server: "web".into(),
                dependency: "apx".into()
            })
        );
    }

    #[test]
    fn cycles_are_named() {
        let s = [
            server("docs", &[]),
            server("web", &["api"]),
            server("api", &["auth"]),
            server("auth", &["web"]),
        ];
        let e = start_order(&s).unwrap_err();
        assert_eq!(
            e,
            OrderError::Cycle(vec!["web".into(), "api".into(), "auth".into()])
        );
        assert_eq!(e.to_string(), "dependency cycle web → api → auth → web");
        // A server depending on itself.
        let e = start_order(&[server("api", &["api"])]).unwrap_err();
        assert_eq!(e.to_string(), "dependency cycle api → api");
        // A cycle reached through a server outside it: only the cycle is named.
        let s = [
            server("web", &["api"]),
            server("api", &["auth"]),
            server("auth", &["api"]),
        ];
        assert_eq!(
            start_order(&s),
            Err(OrderError::Cycle(vec!["api".into(), "auth".into()]))
        );
    }
}
