//! `[memory]`: the available-memory and PSI levels at which devtop warns and turns critical.

use super::Config;
use super::validate::{Invalid, Machine, fail, number_in, or};
use super::values::{Size, size};
use crate::model::memory::MemoryThresholds;
use serde::Deserialize;
use toml::Spanned;

/// `[memory]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMemory {
    warn_available: Option<Spanned<Size>>,
    critical_available: Option<Spanned<Size>>,
    psi_warn_some_avg10: Option<Spanned<f64>>,
    psi_critical_full_avg10: Option<Spanned<f64>>,
}

/// Where the thresholds a file leaves out come from, for messages ("the default", "as set in
/// ~/.config/devtop/config.toml").
struct Origin {
    warn: String,
    critical: String,
}

/// How a validation message names a value the file leaves out: "the default" over the
/// built-in defaults, else "as set in <the last file applied>" (or the default it kept).
fn base_origin(base: &Config) -> Origin {
    let defaults = MemoryThresholds::default();
    let name = |same: bool| match base.sources.last() {
        Some(p) if !same => format!("as set in {}", p.display()),
        _ => "the default".to_owned(),
    };
    Origin {
        warn: name(base.memory.warn_available_bytes == defaults.warn_available_bytes),
        critical: name(base.memory.critical_available_bytes == defaults.critical_available_bytes),
    }
}

impl RawMemory {
    /// Range-check (PSI percentages 0..=100, sizes ≤ the machine's RAM), check that
    /// `critical_available` is below `warn_available` (either taken from `base` when left
    /// out, and named as coming from there), then the thresholds: each key as set here, else
    /// `base`'s.
    pub(super) fn resolve(
        &self,
        base: &Config,
        machine: Machine,
    ) -> Result<MemoryThresholds, Invalid> {
        number_in("psi_warn_some_avg10", &self.psi_warn_some_avg10, 0.0, 100.0)?;
        number_in(
            "psi_critical_full_avg10",
            &self.psi_critical_full_avg10,
            0.0,
            100.0,
        )?;
        self.within_ram(machine)?;
        let d = &base.memory;
        let bytes =
            |v: &Option<Spanned<Size>>, default: u64| v.as_ref().map_or(default, |v| v.get_ref().0);
        let warn = bytes(&self.warn_available, d.warn_available_bytes);
        let critical = bytes(&self.critical_available, d.critical_available_bytes);
        if critical >= warn {
            return self.critical_not_below_warn(critical, warn, &base_origin(base));
        }
        Ok(MemoryThresholds {
            warn_available_bytes: warn,
            critical_available_bytes: critical,
            psi_warn_some_avg10: or(&self.psi_warn_some_avg10, d.psi_warn_some_avg10),
            psi_critical_full_avg10: or(&self.psi_critical_full_avg10, d.psi_critical_full_avg10),
        })
    }

    /// A size above the machine's memory would never clear.
    fn within_ram(&self, machine: Machine) -> Result<(), Invalid> {
        let Some(total) = machine.mem_total else {
            return Ok(());
        };
        for (key, v) in [
            ("warn_available", &self.warn_available),
            ("critical_available", &self.critical_available),
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
        Ok(())
    }

    /// The error for `critical >= warn`, at the value this file sets (critical first).
    fn critical_not_below_warn<T>(
        &self,
        critical: u64,
        warn: u64,
        origin: &Origin,
    ) -> Result<T, Invalid> {
        let span = match (&self.critical_available, &self.warn_available) {
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
        fail(
            span,
            format!(
                "critical_available ({}{}) must be below warn_available ({}{})",
                size(critical),
                set(&self.critical_available, &origin.critical),
                size(warn),
                set(&self.warn_available, &origin.warn)
            ),
        )
    }
}
