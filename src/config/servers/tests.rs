//! `[[server]]`: a vite + tsx API project parses into its specs and start order; every
//! mistake is an error at its line and column.
#![allow(clippy::unwrap_used)]

use crate::config::{Config, Machine};
use crate::model::server::{ReadyProbe, Requirement, RestartPolicy, ServerCmd, StopSignal};
use crate::model::server_order::start_order;
use std::path::Path;
use std::time::Duration;

fn machine() -> Machine {
    Machine {
        mem_total: Some(8 << 30),
        cpus: 4,
    }
}

fn parse(text: &str) -> Result<Config, String> {
    Config::parse_for(text, Path::new("devtop.toml"), machine()).map_err(|e| e.to_string())
}

const PROJECT: &str = r#"
[[database]]
name = "staging"
url_env = "STAGING_DATABASE_URL"

[[server]]
name = "web"
cmd = ["npm", "run", "dev"]
cwd = "apps/web"
port = 5173
ready = { http = "http://127.0.0.1:5173/" }
depends_on = ["api"]

[[server]]
name = "api"
cmd = "PORT=3010 npx tsx watch src/index.ts"
shell = true
cwd = "apps/api"
env = { NODE_ENV = "development" }
port = 3010
ready = { log = "listening on (port )?\\d+" }
ready_timeout = "90s"
requires = ["db:local", "migrations:local", "db:staging"]
stop_signal = "SIGINT"
stop_grace = "10s"
restart = "on-failure"

[[server]]
name = "worker"
cmd = ["node", "worker.js"]
ready = { tcp = 9000 }
"#;

#[test]
fn a_vite_and_tsx_api_project() {
    let c = parse(PROJECT).unwrap();
    let names: Vec<&str> = c.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "api", "worker"]);
    assert_eq!(start_order(&c.servers).unwrap(), ["api", "web", "worker"]);
    let (web, api, worker) = (&c.servers[0], &c.servers[1], &c.servers[2]);
    assert_eq!(
        web.cmd,
        ServerCmd::Argv(vec!["npm".into(), "run".into(), "dev".into()])
    );
    assert_eq!(
        web.ready,
        Some(ReadyProbe::Http("http://127.0.0.1:5173/".into()))
    );
    assert_eq!(web.ready_timeout, Duration::from_secs(60), "default");
    assert_eq!(web.stop_signal, StopSignal::TERM, "default");
    assert_eq!(web.stop_grace, Duration::from_secs(5), "default");
    assert_eq!(web.restart, RestartPolicy::No, "default");
    assert_eq!(
        api.cmd,
        ServerCmd::Shell("PORT=3010 npx tsx watch src/index.ts".into())
    );
    assert_eq!(api.cwd.as_deref(), Some(Path::new("apps/api")));
    assert_eq!(api.env["NODE_ENV"], "development");
    assert_eq!(api.port, Some(3010));
    assert_eq!(api.ready_timeout, Duration::from_secs(90));
    assert_eq!(
        api.requires,
        [
            Requirement::Db("local".into()),
            Requirement::Migrations("local".into()),
            Requirement::Db("staging".into())
        ]
    );
    assert_eq!(api.stop_signal.number, 2);
    assert_eq!(api.stop_grace, Duration::from_secs(10));
    assert_eq!(api.restart, RestartPolicy::OnFailure);
    assert_eq!(worker.ready, Some(ReadyProbe::Tcp(9000)));
    assert_eq!(worker.cwd, None);
    assert!(parse("").unwrap().servers.is_empty());
}

/// One `[[server]]` entry after a valid `api` one (lines 1–3), so errors land on line 5+.
fn with(entry: &str) -> String {
    format!("[[server]]\nname = \"api\"\ncmd = [\"tsx\", \"watch\"]\n\n[[server]]\n{entry}")
}

#[test]
fn every_mistake_names_its_line_and_column() {
    let cases: &[(&str, &str, &str)] = &[
        // Unknown server in depends_on, with the names there are.
        (
            "name = \"web\"\ncmd = [\"vite\"]\ndepends_on = [\"api\", \"apx\"]\n",
            "8:22:",
            "depends_on: no server is named \"apx\" (servers: api, web)",
        ),
        // The same name twice.
        (
            "name = \"api\"\ncmd = [\"vite\"]\n",
            "6:8:",
            "name \"api\" appears twice",
        ),
        // A bad name.
        (
            "name = \"my api\"\ncmd = [\"vite\"]\n",
            "6:8:",
            "letters, digits",
        ),
        // Empty commands, strings without shell, arrays with shell.
        ("name = \"web\"\ncmd = []\n", "7:7:", "cmd is empty"),
        ("name = \"web\"\ncmd = [\"\"]\n", "7:7:", "cmd is empty"),
        (
            "name = \"web\"\ncmd = \"  \"\nshell = true\n",
            "7:7:",
            "cmd is empty",
        ),
        (
            "name = \"web\"\ncmd = \"npm run dev\"\n",
            "7:7:",
            "set `shell = true`",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nshell = true\n",
            "8:9:",
            "write cmd as a string",
        ),
        ("name = \"web\"\ncmd = 3\n", "7:7:", "an array of strings"),
        ("name = \"web\"\n", "5:1:", "missing field `cmd`"),
        // A typo in a key.
        (
            "name = \"web\"\ncmd = [\"vite\"]\ndepend_on = [\"api\"]\n",
            "8:1:",
            "unknown field `depend_on`",
        ),
        // Ports: zero, too large, taken twice.
        (
            "name = \"web\"\ncmd = [\"vite\"]\nport = 0\n",
            "8:8:",
            "port = 0",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nport = 70000\n",
            "8:8:",
            "u16",
        ),
        // Readiness probes.
        (
            "name = \"web\"\ncmd = [\"vite\"]\nready = { log = \"listening (\" }\n",
            "8:17:",
            "ready.log = \"listening (\" is not a valid regular expression",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nready = { http = \"localhost:5173\" }\n",
            "8:18:",
            "must be an http:// URL",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nready = { http = \"https://localhost:5173/\" }\n",
            "8:18:",
            "only http:// is supported",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nready = { http = \"http://\" }\n",
            "8:18:",
            "is not a URL",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nready = { tcp = 1, log = \"x\" }\n",
            "8:9:",
            "ready takes one probe",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nready = { tcp = 0 }\n",
            "8:17:",
            "ready.tcp = 0",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nready = { grpc = 1 }\n",
            "8:11:",
            "unknown field `grpc`",
        ),
        // Durations.
        (
            "name = \"web\"\ncmd = [\"vite\"]\nready_timeout = \"0s\"\n",
            "8:17:",
            "ready_timeout = \"0s\" is out of range",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nstop_grace = \"2h\"\n",
            "8:14:",
            "stop_grace",
        ),
        // requires: syntax and unknown environments.
        (
            "name = \"web\"\ncmd = [\"vite\"]\nrequires = [\"db:local\", \"db:staging\"]\n",
            "8:25:",
            "no database environment is named \"staging\" (environments: local)",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nrequires = [\"database:local\"]\n",
            "8:13:",
            "write \"db:NAME\"",
        ),
        // Signals, restart policies, cwd, env.
        (
            "name = \"web\"\ncmd = [\"vite\"]\nstop_signal = \"SIGSTOP\"\n",
            "8:15:",
            "stop_signal = \"SIGSTOP\" is not a signal devtop sends: write one of SIGTERM",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nrestart = \"always\"\n",
            "8:11:",
            "unknown variant `always`, expected `no` or `on-failure`",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\ncwd = \"/srv/web\"\n",
            "8:7:",
            "relative to the project root",
        ),
        (
            "name = \"web\"\ncmd = [\"vite\"]\nenv = { \"A=B\" = \"1\" }\n",
            "8:7:",
            "env: \"A=B\" is not a valid environment variable",
        ),
    ];
    for (entry, at, message) in cases {
        let text = with(entry);
        let e = parse(&text).unwrap_err();
        assert!(
            e.starts_with(&format!("devtop.toml:{at}")),
            "{entry:?}: want {at}: {e}"
        );
        assert!(e.contains(message), "{entry:?}: want {message:?}: {e}");
    }
}

#[test]
fn duplicate_ports_name_the_other_server() {
    let text = with("name = \"web\"\ncmd = [\"vite\"]\nport = 3010\n").replace(
        "cmd = [\"tsx\", \"watch\"]\n",
        "cmd = [\"tsx\", \"watch\"]\nport = 3010\n",
    );
    let e = parse(&text).unwrap_err();
    assert!(
        e.starts_with("devtop.toml:9:8: port 3010 is also the port of server \"api\""),
        "{e}"
    );
}

#[test]
fn cycles_are_named_at_a_depends_on_entry() {
    let text = "[[server]]\nname = \"api\"\ncmd = [\"tsx\"]\ndepends_on = [\"auth\"]\n\n\
                [[server]]\nname = \"web\"\ncmd = [\"vite\"]\ndepends_on = [\"api\"]\n\n\
                [[server]]\nname = \"auth\"\ncmd = [\"node\"]\ndepends_on = [\"web\"]\n";
    let e = parse(text).unwrap_err();
    assert!(
        e.starts_with("devtop.toml:4:15: depends_on: dependency cycle api → auth → web → api"),
        "{e}"
    );
    let e =
        parse("[[server]]\nname = \"api\"\ncmd = [\"tsx\"]\ndepends_on = [\"api\"]\n").unwrap_err();
    assert!(
        e.starts_with("devtop.toml:4:15: depends_on: dependency cycle api → api"),
        "{e}"
    );
}

#[test]
fn a_later_file_replaces_servers_by_name_and_may_depend_on_earlier_ones() {
    let user = Config::parse_for(
        "[[server]]\nname = \"docs\"\ncmd = [\"mkdocs\", \"serve\"]\nport = 8000\n\n\
         [[server]]\nname = \"api\"\ncmd = [\"old\"]\nport = 3010\n",
        Path::new("user.toml"),
        machine(),
    )
    .unwrap();
    let project =
        "[[server]]\nname = \"api\"\ncmd = [\"tsx\"]\nport = 3010\ndepends_on = [\"docs\"]\n";
    let c = Config::parse_over(&user, project, Path::new("devtop.toml"), machine()).unwrap();
    let names: Vec<&str> = c.servers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["docs", "api"]);
    assert_eq!(c.servers[1].cmd, ServerCmd::Argv(vec!["tsx".into()]));
    // A port the earlier file gave another server is taken.
    let e = Config::parse_over(
        &user,
        "[[server]]\nname = \"web\"\ncmd = [\"vite\"]\nport = 8000\n",
        Path::new("devtop.toml"),
        machine(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("devtop.toml:4:8: port 8000 is also the port of server \"docs\""),
        "{e}"
    );
}
