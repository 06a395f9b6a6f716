//! devtop.toml as written (every value with its span in the file) and the range and relation
//! checks run on it, so an error points at the offending value's line and column.

use crate::config::DatabaseEntry;
use crate::model::memory::MemoryThresholds;
use crate::model::suspects::StudioPolicy;
use crate::model::tree::Scope;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

/// A humantime duration (`"90s"`, `"2m"`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Dur(pub(super) Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map(Dur).map_err(|e| {
            serde::de::Error::custom(format!(
                "invalid duration \"{s}\" ({e}); write e.g. \"90s\" or \"2m\""
            ))
        })
    }
}

/// A byte size (`"1GiB"`, `"500MiB"`) and the text it was written as (bytesize saturates
/// huge values instead of failing, so messages quote the text).
#[derive(Debug, Clone)]
pub(super) struct Size(pub(super) u64, String);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<bytesize::ByteSize>()
            .map(|b| Size(b.as_u64(), s.clone()))
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "invalid size \"{s}\" ({e}); write e.g. \"1GiB\" or \"500MiB\""
                ))
            })
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) refresh: Option<Spanned<Dur>>,
    pub(super) scope: Option<Scope>,
    pub(super) grace: Option<Spanned<Dur>>,
    #[serde(default)]
    pub(super) processes: RawProcesses,
    #[serde(default)]
    pub(super) suspects: RawSuspects,
    #[serde(default)]
    pub(super) memory: RawMemory,
    pub(super) db_interval: Option<Spanned<Dur>>,
    #[serde(default)]
    pub(super) database: Vec<RawDatabase>,
    #[serde(default)]
    pub(super) prisma: RawPrisma,
    pub(super) mouse: Option<bool>,
    pub(super) no_color: Option<bool>,
    #[serde(default)]
    pub(super) keys: super::keys::RawKeys,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    name: Spanned<String>,
    url_env: Spanned<String>,
}

impl RawDatabase {
    pub(super) fn entry(&self) -> DatabaseEntry {
        DatabaseEntry {
            name: self.name.get_ref().clone(),
            url_env: self.url_env.get_ref().clone(),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrisma {
    pub(super) schema: Option<PathBuf>,
    pub(super) migrations: Option<PathBuf>,
    /// Reserved for the guarded-migration command; accepted so a config written for it loads.
    #[allow(dead_code)]
    pub(super) migrate: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProcesses {
    #[serde(rename = "match")]
    pub(super) match_words: Option<Vec<String>>,
    #[serde(default)]
    pub(super) extra: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSuspects {
    pub(super) hung_migrate_after: Option<Spanned<Dur>>,
    pub(super) runaway_cpu_percent: Option<Spanned<f64>>,
    pub(super) runaway_for: Option<Spanned<Dur>>,
    pub(super) engine_max_age: Option<Spanned<Dur>>,
    pub(super) studio: Option<StudioPolicy>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMemory {
    pub(super) warn_available: Option<Spanned<Size>>,
    pub(super) critical_available: Option<Spanned<Size>>,
    pub(super) psi_warn_some_avg10: Option<Spanned<f64>>,
    pub(super) psi_critical_full_avg10: Option<Spanned<f64>>,
}

/// What the machine offers, for checks like "a threshold above the RAM never clears".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Machine {
    /// `MemTotal` of /proc/meminfo in bytes; `None` when unreadable (no check then).
    pub mem_total: Option<u64>,
    /// Logical CPUs (`std::thread::available_parallelism`, 1 when unknown).
    pub cpus: usize,
}

impl Machine {
    /// This machine.
    pub fn current() -> Machine {
        let mem_total = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map(|kib| kib * 1024);
        Machine {
            mem_total,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// A validation failure: the byte range of the offending value and what is wrong.
pub(super) struct Invalid {
    pub(super) span: std::ops::Range<usize>,
    pub(super) message: String,
}

fn fail<T>(span: std::ops::Range<usize>, message: String) -> Result<T, Invalid> {
    Err(Invalid { span, message })
}

fn show(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn size(b: u64) -> String {
    bytesize::ByteSize(b).display().iec().to_string()
}

/// `key` must lie within `min..=max`.
fn duration_in(
    key: &str,
    v: &Option<Spanned<Dur>>,
    min: Duration,
    max: Duration,
) -> Result<(), Invalid> {
    let Some(v) = v else { return Ok(()) };
    let d = v.get_ref().0;
    if d < min || d > max {
        return fail(
            v.span(),
            format!(
                "{key} = \"{}\" is out of range: write between {} and {}",
                show(d),
                show(min),
                show(max)
            ),
        );
    }
    Ok(())
}

/// `key` must be a finite number within `min..=max`.
fn number_in(key: &str, v: &Option<Spanned<f64>>, min: f64, max: f64) -> Result<(), Invalid> {
    let Some(v) = v else { return Ok(()) };
    let x = *v.get_ref();
    if !(x.is_finite() && x >= min && x <= max) {
        return fail(
            v.span(),
            format!("{key} = {x} is out of range: write a number from {min} to {max}"),
        );
    }
    Ok(())
}

/// Where the memory thresholds a file leaves out come from, for messages ("the default",
/// "as set in ~/.config/devtop/config.toml").
pub(super) struct Origin {
    pub(super) warn: String,
    pub(super) critical: String,
}

/// Range checks of every value, then the relations between them (critical below warn), then
/// `[[database]]` names. `defaults` are the thresholds used for keys that are not set, named
/// in messages as `origin` says.
pub(super) fn validate(
    raw: &RawConfig,
    defaults: &MemoryThresholds,
    origin: &Origin,
    machine: Machine,
) -> Result<(), Invalid> {
    let hour = Duration::from_secs(3600);
    let day = 24 * hour;
    duration_in("refresh", &raw.refresh, Duration::from_millis(100), hour)?;
    duration_in("grace", &raw.grace, Duration::ZERO, hour)?;
    duration_in(
        "db_interval",
        &raw.db_interval,
        Duration::from_secs(1),
        hour,
    )?;
    let s = &raw.suspects;
    let sec = Duration::from_secs(1);
    duration_in("hung_migrate_after", &s.hung_migrate_after, sec, 7 * day)?;
    duration_in("runaway_for", &s.runaway_for, sec, day)?;
    duration_in("engine_max_age", &s.engine_max_age, sec, 30 * day)?;
    // sysinfo reports a process's CPU as a percentage of one core: up to 100 × cores.
    let max_cpu = 100.0 * machine.cpus.max(1) as f64;
    number_in("runaway_cpu_percent", &s.runaway_cpu_percent, 1.0, max_cpu)?;
    let m = &raw.memory;
    number_in("psi_warn_some_avg10", &m.psi_warn_some_avg10, 0.0, 100.0)?;
    number_in(
        "psi_critical_full_avg10",
        &m.psi_critical_full_avg10,
        0.0,
        100.0,
    )?;
    if let Some(total) = machine.mem_total {
        for (key, v) in [
            ("warn_available", &m.warn_available),
            ("critical_available", &m.critical_available),
        ] {
            if let Some(v) = v
                && v.get_ref().0 > total
            {
                return fail(
                    v.span(),
                    format!(
                        "{key} = \"{}\" is more than this machine's memory ({}): the level \
                         would never clear",
                        v.get_ref().1,
                        size(total)
                    ),
                );
            }
        }
    }
    let warn = m
        .warn_available
        .as_ref()
        .map_or(defaults.warn_available_bytes, |v| v.get_ref().0);
    let critical = m
        .critical_available
        .as_ref()
        .map_or(defaults.critical_available_bytes, |v| v.get_ref().0);
    if critical >= warn {
        let span = match (&m.critical_available, &m.warn_available) {
            (Some(c), _) => c.span(),
            (None, Some(w)) => w.span(),
            (None, None) => 0..0,
        };
        let set = |v: &Option<Spanned<Size>>, from: &str| {
            if v.is_some() {
                String::new()
            } else {
                format!(", {from}")
            }
        };
        return fail(
            span,
            format!(
                "critical_available ({}{}) must be below warn_available ({}{})",
                size(critical),
                set(&m.critical_available, &origin.critical),
                size(warn),
                set(&m.warn_available, &origin.warn)
            ),
        );
    }
    let mut names = std::collections::HashSet::new();
    for d in &raw.database {
        for v in [&d.name, &d.url_env] {
            if v.get_ref().trim().is_empty() {
                return fail(
                    v.span(),
                    "[[database]] needs a non-empty `name` and `url_env`".into(),
                );
            }
        }
        if !names.insert(d.name.get_ref().as_str()) {
            return fail(
                d.name.span(),
                format!("[[database]] name \"{}\" appears twice", d.name.get_ref()),
            );
        }
    }
    Ok(())
}
