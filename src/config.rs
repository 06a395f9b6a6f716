//! `devtop.toml` → [`Config`]: every key optional, defaults documented here and in the README.
//! The per-user file applies first and the project's over it ([`layers`]). Errors name the
//! file, line, column and the offending text.

use crate::model::memory::MemoryThresholds;
use crate::model::suspects::SuspectRules;
use crate::model::tree::Scope;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
pub use validate::Machine;
use validate::{Dur, RawConfig, Size, validate};

#[path = "config_validate.rs"]
mod validate;

#[path = "config_layers.rs"]
pub mod layers;

#[path = "config_keys.rs"]
pub mod keys;

/// Process-name and argv words matched by default.
pub const DEFAULT_MATCH: &[&str] = &["node", "prisma", "tsx", "vite", "schema-engine"];

/// The effective configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Collector interval (`refresh`, default 1 s).
    pub refresh: Duration,
    /// Scope (`scope`, default user).
    pub scope: Scope,
    /// Seconds between SIGTERM and SIGKILL (`grace`, default 3 s).
    pub grace: Duration,
    /// Words matched against process names and argv: `[processes] match` + `extra`.
    pub match_words: Vec<String>,
    /// `[suspects]` thresholds.
    pub suspects: SuspectRules,
    /// `[memory]` thresholds.
    pub memory: MemoryThresholds,
    /// `[[database]]` environments besides the implicit `local` (staging, production, ...).
    pub databases: Vec<DatabaseEntry>,
    /// How often each database is probed (`db_interval`, default 5 s).
    pub db_interval: Duration,
    /// `[prisma] schema`: schema.prisma path relative to the project root, when set.
    pub prisma_schema: Option<PathBuf>,
    /// `[prisma] migrations`: migrations folder relative to the project root, when set.
    pub prisma_migrations: Option<PathBuf>,
    /// Mouse capture in the dashboard (`mouse`, default true): clicks select and focus, the
    /// wheel scrolls; off, the terminal keeps its own mouse selection.
    pub mouse: bool,
    /// Draw without colour (`no_color`, default false), as the `NO_COLOR` environment
    /// variable does (either one turns colour off).
    pub no_color: bool,
    /// `[keys]`: the user's key overrides (action name → keys), checked against the key table.
    pub keys: keys::KeyOverrides,
    /// The files this was read from, in the order they applied (the per-user file, then the
    /// project's); empty for the built-in defaults.
    pub sources: Vec<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            refresh: Duration::from_secs(1),
            scope: Scope::User,
            grace: Duration::from_secs(3),
            match_words: DEFAULT_MATCH.iter().map(|s| (*s).to_owned()).collect(),
            suspects: SuspectRules::default(),
            memory: MemoryThresholds::default(),
            databases: Vec::new(),
            db_interval: Duration::from_secs(5),
            prisma_schema: None,
            prisma_migrations: None,
            mouse: true,
            no_color: false,
            keys: Vec::new(),
            sources: Vec::new(),
        }
    }
}

/// A config file that could not be read or understood.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("{path}: cannot read: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        reason: String,
    },
    /// TOML syntax error, unknown key or invalid value.
    #[error("{path}:{line}:{col}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong, naming the key or value.
        message: String,
    },
}

/// One `[[database]]` entry: an environment whose URL is read from the environment variable
/// `url_env` (process environment, then the project's .env, then prisma/.env). URLs are never
/// written in the config file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseEntry {
    /// Environment name shown in the panes ("staging").
    pub name: String,
    /// Name of the variable holding the URL ("STAGING_DATABASE_URL").
    pub url_env: String,
}

/// How a validation message names a value the file leaves out: "the default" over the
/// built-in defaults, else "as set in <the last file applied>" (or the default it kept).
fn base_origin(base: &Config) -> validate::Origin {
    let defaults = MemoryThresholds::default();
    let name = |same: bool| match base.sources.last() {
        Some(p) if !same => format!("as set in {}", p.display()),
        _ => "the default".to_owned(),
    };
    validate::Origin {
        warn: name(base.memory.warn_available_bytes == defaults.warn_available_bytes),
        critical: name(base.memory.critical_available_bytes == defaults.critical_available_bytes),
    }
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Config {
    /// Parse config text, checking thresholds against this machine (see [`Config::parse_for`]).
    /// `path` is only used in error messages.
    ///
    /// Errors: [`ConfigError::Invalid`] with the line and column of a syntax error, an unknown
    /// key (`unknown field \`foo\``), an invalid value, or a value out of range.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Config::parse_for(text, path, Machine::current())
    }

    /// Parse config text for `machine` over the built-in defaults; see [`Config::parse_over`].
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] with file, line, column and a message naming the key.
    pub fn parse_for(text: &str, path: &Path, machine: Machine) -> Result<Config, ConfigError> {
        Config::parse_over(&Config::default(), text, path, machine)
    }

    /// Parse config text for `machine`, each key it sets overriding `base` (the built-in
    /// defaults, or what the per-user file made of them): scalars and table keys one by one,
    /// `[processes] match` replaces the words and `extra` adds to them, a `[[database]]` entry
    /// replaces the base's entry of the same name. Besides syntax and types, values are range-checked
    /// (`refresh` 100ms..=1h, `db_interval` 1s..=1h, `grace` ≤ 1h, `hung_migrate_after`
    /// 1s..=7d, `runaway_for` 1s..=1d, `engine_max_age` 1s..=30d, `runaway_cpu_percent`
    /// 1..=100 × CPUs, PSI percentages 0..=100, memory sizes ≤ the machine's RAM) and related
    /// (`critical_available` below `warn_available`, defaults included); nesting deeper than
    /// the TOML parser's limit is a syntax error; relations are checked against the base for
    /// keys this text leaves out. Errors point at the offending value in `path`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] with file, line, column and a message naming the key.
    pub fn parse_over(
        base: &Config,
        text: &str,
        path: &Path,
        machine: Machine,
    ) -> Result<Config, ConfigError> {
        let invalid = |span: Option<std::ops::Range<usize>>, message: String| {
            let (line, col) = span.map_or((1, 1), |s| line_col(text, s.start));
            ConfigError::Invalid {
                path: path.to_owned(),
                line,
                col,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, _) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            // Never echo a secret (a database URL's password, `password = "…"`) nor a control
            // byte: the snippet goes through the one redactor and the one sanitiser.
            let line_text = text.lines().nth(line - 1).unwrap_or("").trim();
            let snippet: String = crate::sanitize::clean(&crate::redact::text(line_text))
                .chars()
                .take(120)
                .collect();
            invalid(e.span(), format!("{} (in `{snippet}`)", e.message().trim()))
        })?;
        let d = base;
        validate(&raw, &d.memory, &base_origin(base), machine)
            .map_err(|e| invalid(Some(e.span), e.message))?;
        let keys = keys::merge(&d.keys, &raw.keys).map_err(|(span, m)| invalid(Some(span), m))?;
        let mut match_words = raw
            .processes
            .match_words
            .unwrap_or_else(|| d.match_words.clone());
        match_words.extend(raw.processes.extra);
        let ds = d.suspects.clone();
        let dm = d.memory.clone();
        let dur = |v: Option<toml::Spanned<Dur>>| v.map(|v| v.into_inner().0);
        let secs = |v: Option<toml::Spanned<Dur>>, default: f64| {
            v.map_or(default, |v| v.into_inner().0.as_secs_f64())
        };
        let num =
            |v: Option<toml::Spanned<f64>>, default: f64| v.map_or(default, |v| v.into_inner());
        let bytes =
            |v: Option<toml::Spanned<Size>>, default: u64| v.map_or(default, |v| v.into_inner().0);
        Ok(Config {
            refresh: dur(raw.refresh).unwrap_or(d.refresh),
            scope: raw.scope.unwrap_or(d.scope),
            grace: dur(raw.grace).unwrap_or(d.grace),
            match_words,
            suspects: SuspectRules {
                hung_migrate_after_s: secs(
                    raw.suspects.hung_migrate_after,
                    ds.hung_migrate_after_s,
                ),
                runaway_cpu_percent: num(raw.suspects.runaway_cpu_percent, ds.runaway_cpu_percent),
                runaway_for_s: secs(raw.suspects.runaway_for, ds.runaway_for_s),
                engine_max_age_s: secs(raw.suspects.engine_max_age, ds.engine_max_age_s),
                studio: raw.suspects.studio.unwrap_or(ds.studio),
            },
            memory: MemoryThresholds {
                warn_available_bytes: bytes(raw.memory.warn_available, dm.warn_available_bytes),
                critical_available_bytes: bytes(
                    raw.memory.critical_available,
                    dm.critical_available_bytes,
                ),
                psi_warn_some_avg10: num(raw.memory.psi_warn_some_avg10, dm.psi_warn_some_avg10),
                psi_critical_full_avg10: num(
                    raw.memory.psi_critical_full_avg10,
                    dm.psi_critical_full_avg10,
                ),
            },
            databases: d
                .databases
                .iter()
                .filter(|b| raw.database.iter().all(|r| r.entry().name != b.name))
                .cloned()
                .chain(raw.database.iter().map(|r| r.entry()))
                .collect(),
            db_interval: dur(raw.db_interval).unwrap_or(d.db_interval),
            prisma_schema: raw.prisma.schema.or_else(|| d.prisma_schema.clone()),
            prisma_migrations: raw
                .prisma
                .migrations
                .or_else(|| d.prisma_migrations.clone()),
            mouse: raw.mouse.unwrap_or(d.mouse),
            no_color: raw.no_color.unwrap_or(d.no_color),
            keys,
            sources: d.sources.iter().cloned().chain([path.to_owned()]).collect(),
        })
    }
}

/// The project root: the nearest ancestor of `start` (itself included) holding devtop.toml,
/// package.json or a prisma/ directory; `start` itself when none does.
pub fn find_project_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|d| {
            d.join("devtop.toml").is_file()
                || d.join("package.json").is_file()
                || d.join("prisma").is_dir()
        })
        .unwrap_or(start)
        .to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
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
}
