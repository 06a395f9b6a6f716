//! Parsing one file over the defaults: values, errors with line and column, loading.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::model::suspects::StudioPolicy;

fn parse(t: &str) -> Result<Config, ConfigError> {
    Config::parse(t, Path::new("devtop.toml"))
}

#[test]
fn empty_is_defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.refresh, Duration::from_secs(1));
    assert_eq!(c.scope, Scope::User);
    assert_eq!(c.suspects, SuspectRules::default());
    assert_eq!(c.match_words.len(), 5);
}

#[test]
fn full_file() {
    let c = parse(
        r#"
refresh = "500ms"
db_interval = "10s"
scope = "project"
grace = "5s"
[processes]
extra = ["next", "nodemon"]
[suspects]
hung_migrate_after = "2m"
runaway_cpu_percent = 50
runaway_for = "30s"
studio = "suspect"
[memory]
warn_available = "2GiB"
critical_available = "750MiB"
psi_warn_some_avg10 = 5.0
psi_critical_full_avg10 = 8
[[database]]
name = "staging"
url_env = "STAGING_DATABASE_URL"
[[database]]
name = "production"
url_env = "PRODUCTION_DATABASE_URL"
[prisma]
schema = "db/schema.prisma"
migrations = "db/migrations"
migrate = ["npx", "prisma", "migrate", "deploy"]
"#,
    )
    .unwrap();
    assert_eq!(c.refresh, Duration::from_millis(500));
    assert_eq!(c.grace, Duration::from_secs(5));
    assert!(c.match_words.contains(&"nodemon".to_owned()));
    assert_eq!(c.suspects.hung_migrate_after_s, 120.0);
    assert_eq!(c.suspects.runaway_cpu_percent, 50.0);
    assert_eq!(c.suspects.studio, StudioPolicy::Suspect);
    assert_eq!(c.memory.warn_available_bytes, 2 << 30);
    assert_eq!(c.memory.critical_available_bytes, 750 << 20);
    assert_eq!(c.memory.psi_critical_full_avg10, 8.0);
    assert_eq!(c.databases.len(), 2);
    assert_eq!(c.databases[1].url_env, "PRODUCTION_DATABASE_URL");
    assert_eq!(c.db_interval, Duration::from_secs(10));
    assert_eq!(c.prisma_schema, Some(PathBuf::from("db/schema.prisma")));
    assert_eq!(c.prisma_migrations, Some(PathBuf::from("db/migrations")));
}

#[test]
fn errors_name_line_col_and_key() {
    let e = parse("refresh = \"1s\"\n[suspects]\nrunaway_for = \"soon\"\n").unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with("devtop.toml:3:"), "{msg}");
    assert!(msg.contains("invalid duration \"soon\""), "{msg}");
    assert!(msg.contains("runaway_for"), "{msg}");
    let e = parse("[suspects]\nhung_after = \"1s\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("devtop.toml:2:1:"), "{e}");
    assert!(e.contains("unknown field `hung_after`"), "{e}");
    let e = parse("scope = \"team\"").unwrap_err().to_string();
    assert!(e.contains("team"), "{e}");
    let e = parse("refresh = [").unwrap_err().to_string();
    assert!(e.starts_with("devtop.toml:1:"), "{e}");
    let e = parse("[memory]\nwarn_available = \"lots\"")
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid size \"lots\""), "{e}");
    let e = parse("[[database]]\nname = \"staging\"\nurl = \"postgres://u:p@h/db\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `url`"), "{e}");
    assert!(!e.contains("u:p@"), "never echo a URL value: {e}");
    let e = parse("[[database]]\nname = \"x\"\npassword = \"hunter22\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown field `password`"), "{e}");
    assert!(!e.contains("hunter22"), "never echo a secret: {e}");
    let e = parse("[[database]]\nname = \"a\"\nurl_env = \"X\"\n[[database]]\nname = \"a\"\nurl_env = \"Y\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("appears twice"), "{e}");
    let e = parse("refresh = \"1ms\"").unwrap_err().to_string();
    assert!(e.contains("between 100ms and 1h"), "{e}");
}

fn machine() -> Machine {
    Machine {
        mem_total: Some(8 << 30),
        cpus: 4,
    }
}

fn invalid(t: &str) -> String {
    Config::parse_for(t, Path::new("devtop.toml"), machine())
        .unwrap_err()
        .to_string()
}

#[test]
fn validation_errors_point_at_the_value() {
    let e = invalid("scope = \"user\"\nrefresh = \"1000000000years\"\n");
    assert!(e.starts_with("devtop.toml:2:11: refresh = "), "{e}");
    assert!(e.contains("out of range"), "{e}");
    let e = invalid("[memory]\nwarn_available = \"1GiB\"\ncritical_available = \"2GiB\"\n");
    assert!(
        e.starts_with("devtop.toml:3:22: critical_available (2.0 GiB)"),
        "{e}"
    );
    assert!(e.contains("must be below warn_available (1.0 GiB)"), "{e}");
    // Against the default warn threshold (1 GiB): the message says it is the default.
    let e = invalid("[memory]\ncritical_available = \"3GiB\"\n");
    assert!(e.starts_with("devtop.toml:2:22:"), "{e}");
    assert!(e.contains("1.0 GiB, the default"), "{e}");
    let e = invalid("[memory]\nwarn_available = \"64GiB\"\n");
    assert!(e.starts_with("devtop.toml:2:18:"), "{e}");
    assert!(
        e.contains("more than this machine's memory (8.0 GiB)"),
        "{e}"
    );
    let e = invalid("[memory]\npsi_warn_some_avg10 = 101\n");
    assert!(e.starts_with("devtop.toml:2:23:"), "{e}");
    let e = invalid("[suspects]\nrunaway_cpu_percent = 401\n");
    assert!(e.contains("from 1 to 400"), "{e}");
    let e = invalid("db_interval = \"100years\"");
    assert!(e.starts_with("devtop.toml:1:15:"), "{e}");
    let e = invalid("[suspects]\nrunaway_for = \"0s\"\n");
    assert!(e.starts_with("devtop.toml:2:15:"), "{e}");
    let e = invalid(
        "[[database]]\nname = \"a\"\nurl_env = \"X\"\n[[database]]\nname = \"a\"\nurl_env = \"Y\"\n",
    );
    assert!(e.starts_with("devtop.toml:5:8:"), "{e}");
    assert!(e.contains("appears twice"), "{e}");
    let e = invalid("[[database]]\nname = \"a\"\nurl_env = \" \"\n");
    assert!(e.starts_with("devtop.toml:3:11:"), "{e}");
    // A size beyond any machine, quoted as written.
    let e = invalid("[memory]\nwarn_available = \"99999999999999999999PiB\"\n");
    assert!(e.starts_with("devtop.toml:2:18:"), "{e}");
    assert!(
        e.contains("\"99999999999999999999PiB\" is more than"),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("refresh = {}1{}\n", "[".repeat(20_000), "]".repeat(20_000));
    let e = invalid(&deep);
    assert!(e.starts_with("devtop.toml:1:"), "{e}");
    let deep = format!("x = {}1{}\n", "{a=".repeat(20_000), "}".repeat(20_000));
    assert!(invalid(&deep).starts_with("devtop.toml:1:"));
}

#[test]
fn load_refuses_special_and_huge_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::os::unix::fs::symlink("/dev/zero", root.join("devtop.toml")).unwrap();
    let e = Config::load(None, root).unwrap_err().to_string();
    assert!(
        e.contains("devtop.toml: cannot read: refused: a character device"),
        "{e}"
    );
    std::fs::remove_file(root.join("devtop.toml")).unwrap();
    let big = "# padding\n".repeat(200_000);
    std::fs::write(root.join("devtop.toml"), big).unwrap();
    let e = Config::load(None, root).unwrap_err().to_string();
    assert!(e.contains("larger than 1 MiB"), "{e}");
}

#[test]
fn project_root_search() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    let deep = root.join("src/routes");
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(root.join("package.json"), "{}").unwrap();
    assert_eq!(find_project_root(&deep), root);
    let bare = dir.path().join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    assert_eq!(find_project_root(&bare), bare);
    assert!(matches!(
        Config::load(Some(&root.join("missing.toml")), &root),
        Err(ConfigError::Read { .. })
    ));
}

/// Every kind of error, parser's and validation's alike, names the line and column of the
/// offending key or value (never 1:1 unless it is there).
#[test]
fn every_kind_of_error_names_its_line_and_column() {
    let cases: &[(&str, &str, &str)] = &[
        // Syntax, types, unknown keys, missing keys (the TOML parser's spans).
        ("mouse = true\nrefresh = [\n", "2:", "refresh"),
        ("\nscope = 3\n", "2:9:", "wanted string"),
        (
            "\n[suspects]\nstudio = \"x\"\n",
            "3:10:",
            "unknown variant `x`",
        ),
        (
            "\n[memory]\nwarn = \"1GiB\"\n",
            "3:1:",
            "unknown field `warn`",
        ),
        (
            "\n[[database]]\nname = \"x\"\n",
            "2:1:",
            "missing field `url_env`",
        ),
        ("mouse = true\nmouse = false\n", "2:1:", "duplicate key"),
        // Durations out of range, one per key.
        (
            "\ngrace = \"2h\"\n",
            "2:9:",
            "grace = \"2h\" is out of range",
        ),
        ("\n\nrefresh = \"2h\"\n", "3:11:", "refresh"),
        ("db_interval = \"10ms\"\n", "1:15:", "db_interval"),
        (
            "[suspects]\n\nhung_migrate_after = \"8days\"\n",
            "3:22:",
            "hung_migrate_after",
        ),
        (
            "[suspects]\nrunaway_for = \"2days\"\n",
            "2:15:",
            "runaway_for",
        ),
        (
            "[suspects]\nengine_max_age = \"0s\"\n",
            "2:18:",
            "engine_max_age",
        ),
        // Numbers out of range.
        (
            "[suspects]\nrunaway_cpu_percent = 0\n",
            "2:23:",
            "from 1 to 400",
        ),
        (
            "[memory]\npsi_warn_some_avg10 = -1\n",
            "2:23:",
            "from 0 to 100",
        ),
        (
            "[memory]\npsi_critical_full_avg10 = nan\n",
            "2:27:",
            "from 0 to 100",
        ),
        // Sizes beyond the machine and the relation between them.
        (
            "[memory]\ncritical_available = \"9GiB\"\n",
            "2:22:",
            "more than this machine's memory",
        ),
        (
            "[memory]\nwarn_available = \"400MiB\"\n",
            "2:18:",
            "critical_available (500.0 MiB, the default) must be below warn_available (400.0 MiB)",
        ),
        // Databases: empty values, a name twice.
        (
            "[[database]]\nname = \"\"\nurl_env = \"X\"\n",
            "2:8:",
            "non-empty",
        ),
        (
            "[[database]]\nname = \"a\"\nurl_env = \"X\"\n\n[[database]]\nname = \"a\"\nurl_env = \"Y\"\n",
            "6:8:",
            "appears twice",
        ),
    ];
    for (text, at, message) in cases {
        let e = invalid(text);
        assert!(
            e.starts_with(&format!("devtop.toml:{at}")),
            "{text:?}: want {at}: {e}"
        );
        assert!(e.contains(message), "{text:?}: want {message:?}: {e}");
    }
}

/// assets/devtop.example.toml shows every section devtop accepts: it parses and validates,
/// and sets what it says.
#[test]
fn the_example_file_loads() {
    let text = include_str!("../../assets/devtop.example.toml");
    let c = Config::parse_for(text, Path::new("devtop.example.toml"), machine()).unwrap();
    assert!(c.match_words.contains(&"nodemon".to_owned()));
    let dbs: Vec<&str> = c.databases.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(dbs, ["staging", "production"]);
    let order = crate::model::server_order::start_order(&c.servers).unwrap();
    assert_eq!(order, ["api", "web", "worker"]);
    // Where the file writes a default, it is the default.
    let d = Config::default();
    assert_eq!(
        (
            c.refresh,
            c.scope,
            c.grace,
            c.mouse,
            c.no_color,
            c.db_interval
        ),
        (
            d.refresh,
            d.scope,
            d.grace,
            d.mouse,
            d.no_color,
            d.db_interval
        )
    );
    assert_eq!((&c.suspects, &c.memory), (&d.suspects, &d.memory));
    assert_eq!(c.guard, d.guard);
    assert_eq!(c.match_words[..5], d.match_words[..]);
    let api = &c.servers[0];
    assert_eq!(
        (api.ready_timeout, api.stop_grace, api.stop_signal),
        (
            crate::model::server::DEFAULT_READY_TIMEOUT,
            crate::model::server::DEFAULT_STOP_GRACE,
            crate::model::server::StopSignal::TERM
        )
    );
    assert!(c.prisma_schema.is_some() && c.prisma_migrations.is_some());
    // The demo project's file (assets/demo/devtop.toml) loads too.
    let demo = Config::parse_for(crate::demo::DEMO_CONFIG, Path::new("demo.toml"), machine());
    assert_eq!(demo.unwrap().databases.len(), 2);
}

#[test]
fn server_log_lines_bounds_each_server_buffer() {
    assert_eq!(
        parse("").unwrap().server_log_lines,
        DEFAULT_SERVER_LOG_LINES
    );
    assert_eq!(
        parse("server_log_lines = 2000\n").unwrap().server_log_lines,
        2000
    );
    let e = parse("\nserver_log_lines = 5\n").unwrap_err().to_string();
    assert!(e.starts_with("devtop.toml:2:"), "{e}");
    assert!(e.contains("server_log_lines"), "{e}");
}

#[test]
fn guard_section() {
    let c = parse("").unwrap();
    assert!(!c.guard.auto, "auto is off unless asked for");
    let c = Config::parse_for(
        "[guard]\nauto = true\npsi_full_avg10 = 20.0\npsi_for = \"30s\"\nmin_available = \"1GiB\"\n\
         min_headroom_percent = 2.5\ncooldown = \"1m\"\nnotify = false\n",
        Path::new("devtop.toml"),
        machine(),
    )
    .unwrap();
    let g = &c.guard;
    assert!(g.auto && !g.notify);
    assert_eq!(
        (
            g.psi_full_avg10,
            g.psi_for_s,
            g.min_available_bytes,
            g.min_headroom_percent,
            g.cooldown_s
        ),
        (20.0, 30.0, 1 << 30, 2.5, 60.0)
    );
    let e = invalid("[guard]\npsi_full_avg10 = 120.0\n");
    assert!(
        e.starts_with("devtop.toml:2:18: psi_full_avg10 = 120"),
        "{e}"
    );
    let e = invalid("[guard]\nmin_available = \"64GiB\"\n");
    assert!(
        e.starts_with("devtop.toml:2:17: min_available = \"64GiB\" is more than"),
        "{e}"
    );
    let e = invalid("[guard]\ncooldown = \"0s\"\n");
    assert!(e.contains("cooldown = \"0s\" is out of range"), "{e}");
    let e = invalid("[guard]\nkill_everything = true\n");
    assert!(
        e.starts_with("devtop.toml:2:1: unknown field `kill_everything`"),
        "{e}"
    );
    let e = invalid("[guard]\nauto = \"yes\"\n");
    assert!(e.starts_with("devtop.toml:2:8:"), "{e}");
}

#[test]
fn deploy_order_and_preflight_settings() {
    let c = parse("").unwrap();
    assert_eq!(c.deploy_order, ["staging", "production"]);
    assert_eq!(c.preflight.min_available_bytes, 500 << 20);
    assert_eq!(c.preflight.check_timeout, Duration::from_secs(8));
    let c = parse(
        "[[database]]\nname = \"qa\"\nurl_env = \"QA_URL\"\n[deploy]\norder = [\"local\", \"qa\"]\n\
         [preflight]\nmin_available = \"1GiB\"\ncheck_timeout = \"9s\"\ncli_timeout = \"3s\"\n",
    )
    .unwrap();
    assert_eq!(c.deploy_order, ["local", "qa"]);
    assert_eq!(c.preflight.min_available_bytes, 1 << 30);
    assert_eq!(c.preflight.cli_timeout, Duration::from_secs(3));
    let e = parse("[deploy]\norder = [\"staging\"]\n")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(":2:9:") && e.contains("\"staging\", which is no environment"),
        "{e}"
    );
    let e = parse("[deploy]\norder = []\n").unwrap_err().to_string();
    assert!(e.contains("empty"), "{e}");
    let e = parse("[preflight]\ncheck_timeout = \"2m\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":2:17:") && e.contains("check_timeout"), "{e}");
    let e = parse("[preflight]\ncli_timeout = \"9s\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("must not exceed check_timeout"), "{e}");
    let e = parse("[preflight]\nbogus = 1\n").unwrap_err().to_string();
    assert!(e.contains("bogus"), "{e}");
}
