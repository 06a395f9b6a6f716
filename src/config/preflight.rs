//! `[preflight]`: the memory a migration needs and the time limits of the checks.

use super::validate::{Invalid, Machine, duration_in, fail};
use super::values::{Dur, Size, size};
use crate::model::preflight::PreflightSettings;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// `[preflight]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPreflight {
    min_available: Option<Spanned<Size>>,
    check_timeout: Option<Spanned<Dur>>,
    cli_timeout: Option<Spanned<Dur>>,
}

impl RawPreflight {
    /// Range-check (`min_available` ≤ the machine's RAM, `check_timeout` 1s..=60s,
    /// `cli_timeout` 1s..=60s and not above `check_timeout`), then each key as set here, else
    /// `base`'s.
    pub(super) fn resolve(
        self,
        base: &PreflightSettings,
        machine: Machine,
    ) -> Result<PreflightSettings, Invalid> {
        let (lo, hi) = (Duration::from_secs(1), Duration::from_secs(60));
        duration_in("check_timeout", &self.check_timeout, lo, hi)?;
        duration_in("cli_timeout", &self.cli_timeout, lo, hi)?;
        if let (Some(v), Some(total)) = (&self.min_available, machine.mem_total)
            && v.get_ref().0 > total
        {
            return fail(
                v.span(),
                format!(
                    "min_available = \"{}\" is more than this machine's memory ({}): check 5 \
                     would always fail",
                    v.get_ref().1,
                    size(total)
                ),
            );
        }
        let out = PreflightSettings {
            min_available_bytes: self
                .min_available
                .as_ref()
                .map_or(base.min_available_bytes, |v| v.get_ref().0),
            check_timeout: self
                .check_timeout
                .as_ref()
                .map_or(base.check_timeout, |v| v.get_ref().0),
            cli_timeout: self
                .cli_timeout
                .as_ref()
                .map_or(base.cli_timeout, |v| v.get_ref().0),
        };
        if out.cli_timeout > out.check_timeout {
            let span = self
                .cli_timeout
                .as_ref()
                .or(self.check_timeout.as_ref())
                .map_or(0..0, |v| v.span());
            return fail(
                span,
                format!(
                    "cli_timeout ({}s) must not exceed check_timeout ({}s)",
                    out.cli_timeout.as_secs_f64(),
                    out.check_timeout.as_secs_f64()
                ),
            );
        }
        Ok(out)
    }
}
