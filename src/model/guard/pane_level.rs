//! The memory level the dashboard shows: `[memory]`'s assessment (warn/critical thresholds,
//! judged on each reading) and the guard's trigger (`[guard]` thresholds, the PSI rule
//! sustained) are two sets of rules on the same readings. The Memory pane shows the stricter of
//! the two, with the guard's evidence among its reasons, so it never says "ok" under the
//! guard's red banner.

use super::Evidence;
use crate::model::memory::{Assessment, Level};

/// `memory` (the assessment of the latest reading) combined with the guard's latest
/// `evidence`:
/// - the level is `memory`'s, raised to [`Level::Critical`] when a guard rule fired;
/// - each fired rule joins the reasons: it replaces a reason it only extends (the same rule
///   with the guard's duration: "PSI full avg10 12.5% ≥ 10%" → "… ≥ 10% for 12s"), is left
///   out when a reason already says it, else is added as "guard <rule>" (a `[guard]`
///   threshold stricter than `[memory]`'s).
///
/// `None` only when there is neither an assessment nor a fired rule.
pub fn shown_level(memory: Option<&Assessment>, evidence: Option<&Evidence>) -> Option<Assessment> {
    let fired = evidence.map_or(&[][..], |e| e.fired.as_slice());
    if fired.is_empty() {
        return memory.cloned();
    }
    let mut shown = memory.cloned().unwrap_or(Assessment {
        level: Level::Ok,
        reasons: Vec::new(),
    });
    shown.level = Level::Critical;
    for rule in fired.iter().map(ToString::to_string) {
        match shown
            .reasons
            .iter_mut()
            .find(|r| rule.starts_with(r.as_str()))
        {
            Some(r) => *r = rule,
            None => shown.reasons.push(format!("guard {rule}")),
        }
    }
    Some(shown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::guard::{Fired, LevelSample};

    fn evidence(fired: Vec<Fired>) -> Evidence {
        Evidence {
            latest: Some(LevelSample {
                t_s: 0.0,
                available_bytes: 1536 << 20,
                psi_full_avg10: Some(12.5),
                cgroup: None,
            }),
            fired,
        }
    }

    fn assessment(level: Level, reasons: &[&str]) -> Assessment {
        Assessment {
            level,
            reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    #[test]
    fn a_stricter_guard_threshold_makes_the_pane_critical_and_says_why() {
        let ok = assessment(Level::Ok, &[]);
        let e = evidence(vec![Fired::Available {
            available_bytes: 1536 << 20,
            min_bytes: 2 << 30,
        }]);
        assert_eq!(
            shown_level(Some(&ok), Some(&e)),
            Some(assessment(
                Level::Critical,
                &["guard MemAvailable 1.5 GiB < 2.0 GiB"]
            ))
        );
        // The same number at a [memory] warn threshold: said once.
        let warn = assessment(Level::Warn, &["MemAvailable 1.5 GiB < 2.0 GiB"]);
        assert_eq!(
            shown_level(Some(&warn), Some(&e)),
            Some(assessment(
                Level::Critical,
                &["MemAvailable 1.5 GiB < 2.0 GiB"]
            ))
        );
    }

    #[test]
    fn the_guard_duration_extends_the_same_rule() {
        let crit = assessment(
            Level::Critical,
            &["PSI full avg10 12.5% ≥ 10%", "PSI some avg10 22.0% ≥ 10%"],
        );
        let e = evidence(vec![Fired::Psi {
            full_avg10: 12.5,
            threshold: 10.0,
            for_s: 12.0,
        }]);
        assert_eq!(
            shown_level(Some(&crit), Some(&e)),
            Some(assessment(
                Level::Critical,
                &[
                    "PSI full avg10 12.5% ≥ 10% for 12s",
                    "PSI some avg10 22.0% ≥ 10%"
                ]
            ))
        );
    }

    #[test]
    fn without_a_fired_rule_the_assessment_stands() {
        // [memory] critical while the guard waits (PSI not yet sustained): the stricter one.
        let crit = assessment(Level::Critical, &["PSI full avg10 12.5% ≥ 10%"]);
        assert_eq!(
            shown_level(Some(&crit), Some(&evidence(vec![]))),
            Some(crit.clone())
        );
        assert_eq!(shown_level(Some(&crit), None), Some(crit));
        assert_eq!(shown_level(None, None), None);
        // No reading assessed yet but the guard fired: critical all the same.
        let e = evidence(vec![Fired::Available {
            available_bytes: 1 << 20,
            min_bytes: 500 << 20,
        }]);
        assert_eq!(
            shown_level(None, Some(&e)).map(|a| a.level),
            Some(Level::Critical)
        );
    }
}
