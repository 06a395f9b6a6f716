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
    assert_eq!(c.scope, Scope::Project);
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
