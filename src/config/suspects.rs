//! `[suspects]`: when a Prisma process counts as hung, runaway or too old, and how Studio is
//! treated.

use super::validate::{Invalid, Machine, duration_in, number_in};
use super::values::Dur;
use crate::model::suspects::{StudioPolicy, SuspectRules};
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// `[suspects]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSuspects {
    hung_migrate_after: Option<Spanned<Dur>>,
    runaway_cpu_percent: Option<Spanned<f64>>,
    runaway_for: Option<Spanned<Dur>>,
    engine_max_age: Option<Spanned<Dur>>,
    studio: Option<StudioPolicy>,
}

impl RawSuspects {
    /// Range-check (`hung_migrate_after` 1s..=7d, `runaway_for` 1s..=1d, `engine_max_age`
    /// 1s..=30d, `runaway_cpu_percent` 1..=100 × CPUs), then the rules: each key as set here,
    /// else `base`'s.
    pub(super) fn resolve(
        &self,
        base: &SuspectRules,
        machine: Machine,
    ) -> Result<SuspectRules, Invalid> {
        let sec = Duration::from_secs(1);
        let day = Duration::from_secs(86_400);
        duration_in("hung_migrate_after", &self.hung_migrate_after, sec, 7 * day)?;
        duration_in("runaway_for", &self.runaway_for, sec, day)?;
        duration_in("engine_max_age", &self.engine_max_age, sec, 30 * day)?;
        // sysinfo reports a process's CPU as a percentage of one core: up to 100 × cores.
        let max_cpu = 100.0 * machine.cpus.max(1) as f64;
        number_in(
            "runaway_cpu_percent",
            &self.runaway_cpu_percent,
            1.0,
            max_cpu,
        )?;
        let secs = |v: &Option<Spanned<Dur>>, default: f64| {
            v.as_ref().map_or(default, |v| v.get_ref().0.as_secs_f64())
        };
        Ok(SuspectRules {
            hung_migrate_after_s: secs(&self.hung_migrate_after, base.hung_migrate_after_s),
            runaway_cpu_percent: super::validate::or(
                &self.runaway_cpu_percent,
                base.runaway_cpu_percent,
            ),
            runaway_for_s: secs(&self.runaway_for, base.runaway_for_s),
            engine_max_age_s: secs(&self.engine_max_age, base.engine_max_age_s),
            studio: self.studio.unwrap_or(base.studio),
        })
    }
}
