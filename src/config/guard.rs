//! `[guard]`: when the memory guard steps in and whether it ends dev-tool suspects by itself.

use super::validate::{Invalid, Machine, duration_in, fail, number_in, or};
use super::values::{Dur, Size, size};
use crate::model::guard::GuardRules;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// `[guard]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGuard {
    auto: Option<bool>,
    psi_full_avg10: Option<Spanned<f64>>,
    psi_for: Option<Spanned<Dur>>,
    min_available: Option<Spanned<Size>>,
    min_headroom_percent: Option<Spanned<f64>>,
    cooldown: Option<Spanned<Dur>>,
    notify: Option<bool>,
}

impl RawGuard {
    /// Range-check (`psi_full_avg10` 0..=100, `psi_for` 0s..=10m, `min_headroom_percent`
    /// 0..=100, `cooldown` 1s..=1h, `min_available` ≤ the machine's RAM), then the rules: each
    /// key as set here, else `base`'s.
    pub(super) fn resolve(
        &self,
        base: &GuardRules,
        machine: Machine,
    ) -> Result<GuardRules, Invalid> {
        number_in("psi_full_avg10", &self.psi_full_avg10, 0.0, 100.0)?;
        number_in(
            "min_headroom_percent",
            &self.min_headroom_percent,
            0.0,
            100.0,
        )?;
        duration_in(
            "psi_for",
            &self.psi_for,
            Duration::ZERO,
            Duration::from_secs(600),
        )?;
        duration_in(
            "cooldown",
            &self.cooldown,
            Duration::from_secs(1),
            Duration::from_secs(3600),
        )?;
        if let (Some(v), Some(total)) = (&self.min_available, machine.mem_total)
            && v.get_ref().0 > total
        {
            return fail(
                v.span(),
                format!(
                    "min_available = \"{}\" is more than this machine's memory ({}): the guard \
                     would always fire",
                    v.get_ref().1,
                    size(total)
                ),
            );
        }
        let secs = |v: &Option<Spanned<Dur>>, d: f64| {
            v.as_ref().map_or(d, |v| v.get_ref().0.as_secs_f64())
        };
        Ok(GuardRules {
            auto: self.auto.unwrap_or(base.auto),
            psi_full_avg10: or(&self.psi_full_avg10, base.psi_full_avg10),
            psi_for_s: secs(&self.psi_for, base.psi_for_s),
            min_available_bytes: self
                .min_available
                .as_ref()
                .map_or(base.min_available_bytes, |v| v.get_ref().0),
            min_headroom_percent: or(&self.min_headroom_percent, base.min_headroom_percent),
            cooldown_s: secs(&self.cooldown, base.cooldown_s),
            notify: self.notify.unwrap_or(base.notify),
        })
    }
}
