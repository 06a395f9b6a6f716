//! `devtop.toml` → [`Config`]: every key optional, defaults documented here and in the README.
//! Errors name the file, line, column and the offending text.

use crate::model::memory::MemoryThresholds;
use crate::model::suspects::{StudioPolicy, SuspectRules};
use crate::model::tree::Scope;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// The file this came from, if any.
    pub source: Option<PathBuf>,
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
            source: None,
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default, deserialize_with = "de_duration")]
    refresh: Option<Duration>,
    scope: Option<Scope>,
    #[serde(default, deserialize_with = "de_duration")]
    grace: Option<Duration>,
    #[serde(default)]
    processes: RawProcesses,
    #[serde(default)]
    suspects: RawSuspects,
    #[serde(default)]
    memory: RawMemory,
    #[serde(default, deserialize_with = "de_duration")]
    db_interval: Option<Duration>,
    #[serde(default)]
    database: Vec<DatabaseEntry>,
    #[serde(default)]
    prisma: RawPrisma,
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPrisma {
    schema: Option<PathBuf>,
    migrations: Option<PathBuf>,
    /// Reserved for the guarded-migration command; accepted so a config written for it loads.
    #[allow(dead_code)]
    migrate: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProcesses {
    #[serde(rename = "match")]
    match_words: Option<Vec<String>>,
    #[serde(default)]
    extra: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSuspects {
    #[serde(default, deserialize_with = "de_duration")]
    hung_migrate_after: Option<Duration>,
    runaway_cpu_percent: Option<f64>,
    #[serde(default, deserialize_with = "de_duration")]
    runaway_for: Option<Duration>,
    #[serde(default, deserialize_with = "de_duration")]
    engine_max_age: Option<Duration>,
    studio: Option<StudioPolicy>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMemory {
    #[serde(default, deserialize_with = "de_size")]
    warn_available: Option<u64>,
    #[serde(default, deserialize_with = "de_size")]
    critical_available: Option<u64>,
    psi_warn_some_avg10: Option<f64>,
    psi_critical_full_avg10: Option<f64>,
}

fn de_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    humantime::parse_duration(&s).map(Some).map_err(|e| {
        serde::de::Error::custom(format!(
            "invalid duration \"{s}\" ({e}); write e.g. \"90s\" or \"2m\""
        ))
    })
}

fn de_size<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let s = String::deserialize(d)?;
    s.parse::<bytesize::ByteSize>()
        .map(|b| Some(b.as_u64()))
        .map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid size \"{s}\" ({e}); write e.g. \"1GiB\" or \"500MiB\""
            ))
        })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn validate(raw: &RawConfig) -> Result<(), String> {
    let pos = |name: &str, v: Option<f64>| match v {
        Some(x) if !(x.is_finite() && x >= 0.0) => {
            Err(format!("{name} must be a number ≥ 0, got {x}"))
        }
        _ => Ok(()),
    };
    pos(
        "suspects.runaway_cpu_percent",
        raw.suspects.runaway_cpu_percent,
    )?;
    pos("memory.psi_warn_some_avg10", raw.memory.psi_warn_some_avg10)?;
    pos(
        "memory.psi_critical_full_avg10",
        raw.memory.psi_critical_full_avg10,
    )?;
    if raw.refresh.is_some_and(|d| d < Duration::from_millis(100)) {
        return Err("refresh must be at least 100ms".into());
    }
    if raw.grace.is_some_and(|d| d > Duration::from_secs(3600)) {
        return Err("grace must be at most 1h".into());
    }
    if raw.db_interval.is_some_and(|d| d < Duration::from_secs(1)) {
        return Err("db_interval must be at least 1s".into());
    }
    let mut names = std::collections::HashSet::new();
    for d in &raw.database {
        if d.name.trim().is_empty() || d.url_env.trim().is_empty() {
            return Err("[[database]] needs a non-empty `name` and `url_env`".into());
        }
        if !names.insert(d.name.as_str()) {
            return Err(format!("[[database]] name \"{}\" appears twice", d.name));
        }
    }
    Ok(())
}

impl Config {
    /// Parse config text. `path` is only used in error messages.
    ///
    /// Errors: [`ConfigError::Invalid`] with the line and column of a syntax error, an unknown
    /// key (`unknown field \`foo\``) or an invalid value.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            let mut snippet = text.lines().nth(line - 1).unwrap_or("").trim().to_owned();
            if snippet.contains("://") {
                // Never echo what looks like a database URL: it may carry a password.
                let key = snippet.split('=').next().unwrap_or("").trim();
                snippet = format!("{key} = …");
            }
            ConfigError::Invalid {
                path: path.to_owned(),
                line,
                col,
                message: format!("{} (in `{snippet}`)", e.message().trim()),
            }
        })?;
        validate(&raw).map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            line: 1,
            col: 1,
            message,
        })?;
        let d = Config::default();
        let mut match_words = raw
            .processes
            .match_words
            .unwrap_or_else(|| d.match_words.clone());
        match_words.extend(raw.processes.extra);
        let ds = d.suspects.clone();
        let dm = d.memory.clone();
        Ok(Config {
            refresh: raw.refresh.unwrap_or(d.refresh),
            scope: raw.scope.unwrap_or(d.scope),
            grace: raw.grace.unwrap_or(d.grace),
            match_words,
            suspects: SuspectRules {
                hung_migrate_after_s: raw
                    .suspects
                    .hung_migrate_after
                    .map_or(ds.hung_migrate_after_s, |d| d.as_secs_f64()),
                runaway_cpu_percent: raw
                    .suspects
                    .runaway_cpu_percent
                    .unwrap_or(ds.runaway_cpu_percent),
                runaway_for_s: raw
                    .suspects
                    .runaway_for
                    .map_or(ds.runaway_for_s, |d| d.as_secs_f64()),
                engine_max_age_s: raw
                    .suspects
                    .engine_max_age
                    .map_or(ds.engine_max_age_s, |d| d.as_secs_f64()),
                studio: raw.suspects.studio.unwrap_or(ds.studio),
            },
            memory: MemoryThresholds {
                warn_available_bytes: raw.memory.warn_available.unwrap_or(dm.warn_available_bytes),
                critical_available_bytes: raw
                    .memory
                    .critical_available
                    .unwrap_or(dm.critical_available_bytes),
                psi_warn_some_avg10: raw
                    .memory
                    .psi_warn_some_avg10
                    .unwrap_or(dm.psi_warn_some_avg10),
                psi_critical_full_avg10: raw
                    .memory
                    .psi_critical_full_avg10
                    .unwrap_or(dm.psi_critical_full_avg10),
            },
            databases: raw.database,
            db_interval: raw.db_interval.unwrap_or(d.db_interval),
            prisma_schema: raw.prisma.schema,
            prisma_migrations: raw.prisma.migrations,
            source: Some(path.to_owned()),
        })
    }

    /// Load `explicit` when given (it must exist), else `<root>/devtop.toml` when present,
    /// else the defaults.
    pub fn load(explicit: Option<&Path>, root: &Path) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_owned(),
            None => {
                let p = root.join("devtop.toml");
                if !p.exists() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Config::parse(&text, &path)
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
        let e = parse("[[database]]\nname = \"a\"\nurl_env = \"X\"\n[[database]]\nname = \"a\"\nurl_env = \"Y\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("appears twice"), "{e}");
        let e = parse("refresh = \"1ms\"").unwrap_err().to_string();
        assert!(e.contains("at least 100ms"), "{e}");
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
