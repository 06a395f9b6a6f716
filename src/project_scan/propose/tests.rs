//! Proposals from in-memory package.json files: names, commands, ports, probes and
//! depends_on; the rendered TOML is loaded by devtop's own config parser.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::config::{Config, Machine};
use crate::model::server::{ReadyProbe, ServerCmd};
use crate::project_scan::package::parse;
use crate::project_scan::ports::vite_server;
use crate::project_scan::render::render;
use std::path::Path;

fn found(rel: &str, json: &str, vite: Option<&str>) -> Found {
    Found {
        rel: rel.into(),
        package: parse(json).unwrap(),
        vite: vite.map(|v| (format!("{rel}/vite.config.ts"), vite_server(v))),
        listed_by: (!rel.is_empty()).then(|| "package.json \"workspaces\" (apps/*)".into()),
    }
}

fn npm() -> ManagerChoice {
    ManagerChoice {
        manager: Manager::Npm,
        from: "npm from package-lock.json".into(),
    }
}

/// Render and load through `Config::parse_for`; panics with the TOML on an error.
fn load(p: &Proposals) -> Config {
    let text = render(p, "npm from package-lock.json", &["a note".into()]);
    let machine = Machine {
        mem_total: Some(8 << 30),
        cpus: 4,
    };
    Config::parse_for(&text, Path::new("devtop.toml"), machine)
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
}

const VITE: &str = "export default { server: { port: 5173, proxy: { '/api': { target: 'http://localhost:3010' } } } }";

#[test]
fn vite_web_on_tsx_api() {
    let p = propose(
        &[
            found(
                "",
                r#"{"workspaces": ["apps/*"], "scripts": {"dev": "turbo run dev"}}"#,
                None,
            ),
            found(
                "apps/api",
                r#"{"name": "@acme/api", "scripts": {"dev": "PORT=3010 tsx watch src/index.ts"}}"#,
                None,
            ),
            found(
                "apps/web",
                r#"{"name": "@acme/web", "scripts": {"dev": "vite", "start": "vite preview"}}"#,
                Some(VITE),
            ),
        ],
        &npm(),
        true,
    );
    assert_eq!(p.skipped.len(), 1, "{:?}", p.skipped);
    let c = load(&p);
    let [api, web] = &c.servers[..] else {
        panic!("{:?}", c.servers)
    };
    assert_eq!(api.name, "api");
    assert_eq!(
        api.cmd,
        ServerCmd::Argv(vec!["npm".into(), "run".into(), "dev".into()])
    );
    assert_eq!(api.cwd.as_deref(), Some(Path::new("apps/api")));
    assert_eq!(api.port, Some(3010));
    assert_eq!(api.ready, Some(ReadyProbe::Tcp(3010)));
    assert_eq!(web.port, Some(5173));
    assert!(
        matches!(&web.ready, Some(ReadyProbe::Http(u)) if u.as_str() == "http://127.0.0.1:5173/")
    );
    assert_eq!(web.depends_on, ["api"]);
}

#[test]
fn names_are_sanitised_and_unique() {
    let p = propose(
        &[
            found(
                "",
                r#"{"name": "my app!", "scripts": {"start": "node server.js"}}"#,
                None,
            ),
            found(
                "apps/a",
                r#"{"name": "@x/my app!", "scripts": {"dev": "node a.js"}}"#,
                None,
            ),
            found("apps/b b", r#"{"scripts": {"dev": "node b.js"}}"#, None),
            found(
                "apps/c",
                r#"{"name": "c", "scripts": {"build": "tsc"}}"#,
                None,
            ),
        ],
        &npm(),
        true,
    );
    let names: Vec<&str> = p.servers.iter().map(|s| s.name.value.as_str()).collect();
    assert_eq!(names, ["my-app", "my-app-2", "b-b"]);
    assert_eq!(p.skipped.len(), 1);
    let c = load(&p);
    assert_eq!(c.servers.len(), 3);
    assert!(c.servers[0].cwd.is_none());
    assert_eq!(
        c.servers[0].cmd,
        ServerCmd::Argv(vec!["npm".into(), "run".into(), "start".into()])
    );
}

#[test]
fn no_port_no_probe_and_shared_ports() {
    let p = propose(
        &[
            found(
                "apps/a",
                r#"{"scripts": {"dev": "next dev -p 3000"}}"#,
                None,
            ),
            found(
                "apps/b",
                r#"{"scripts": {"dev": "next dev --port 3000"}}"#,
                None,
            ),
            found(
                "apps/c",
                r#"{"scripts": {"dev": "tsx watch src/index.ts"}}"#,
                None,
            ),
            found(
                "apps/d",
                r#"{"scripts": {"dev": "vite"}}"#,
                Some("export default {}"),
            ),
        ],
        &npm(),
        true,
    );
    let c = load(&p);
    assert_eq!(c.servers[0].port, Some(3000));
    assert!(matches!(&c.servers[0].ready, Some(ReadyProbe::Http(_))));
    for s in &c.servers[1..] {
        assert_eq!((s.port, &s.ready), (None, &None), "{}", s.name);
    }
    assert!(
        p.servers[1]
            .ready
            .as_ref()
            .unwrap_err()
            .contains("also a's")
    );
    let why = p.servers[3].ready.as_ref().unwrap_err();
    assert!(
        why.contains("vite.config.ts") && why.contains("5173"),
        "{why}"
    );
}

#[test]
fn root_dev_script_kept_without_workspaces() {
    assert!(runs_workspaces("turbo run dev"));
    assert!(runs_workspaces("pnpm -r --parallel dev"));
    assert!(runs_workspaces("npm run dev --workspaces"));
    assert!(runs_workspaces("concurrently \"npm:dev:*\""));
    assert!(!runs_workspaces("vite"));
    assert!(!runs_workspaces("next dev -p 3001"));
    let p = propose(
        &[found("", r#"{"scripts": {"dev": "turbo dev"}}"#, None)],
        &npm(),
        false,
    );
    assert_eq!(p.servers.len(), 1);
}

#[test]
fn comments_cannot_break_out() {
    let p = propose(
        &[found(
            "",
            "{\"name\": \"a\\nb\", \"scripts\": {\"dev\": \"node x.js\\n[[server]]\\nname = \\\"evil\\\"\"}}",
            None,
        )],
        &npm(),
        false,
    );
    let c = load(&p);
    assert_eq!(c.servers.len(), 1);
    assert_eq!(c.servers[0].name, "a-b");
}
