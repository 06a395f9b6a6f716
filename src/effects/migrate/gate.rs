//! The preflight gate in front of a guarded migrate: one call ([`check`]) that says pass /
//! warn / fail for a target, with the lines that explain it — the full preflight of the
//! target (the fifteen checks of `devtop preflight`, each reported as it completes), what
//! `devtop migrate` and the TUI's `m` run.

use crate::effects::migrate::target::TargetState;
use crate::setup::Setup;

/// The gate's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateVerdict {
    /// Nothing to say.
    Pass,
    /// Something to confirm (`--yes`, or a question).
    Warn,
    /// Stop.
    Fail,
}

/// What the gate found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateReport {
    /// The verdict.
    pub verdict: GateVerdict,
    /// One line per warning or failure, each saying what and what to do.
    pub lines: Vec<String>,
}

/// The preflight gate: the full preflight of `state`'s target
/// ([`crate::effects::preflight::run`], not strict); any failed check stops the migrate (the
/// lines name each with its hint), any warning asks. `progress` gets each check as it
/// completes, as `devtop preflight` prints it (possibly several lines).
pub async fn check(
    setup: &Setup,
    state: &TargetState,
    progress: &mut (dyn FnMut(String) + Send),
) -> GateReport {
    use crate::model::preflight::{Status, Verdict};
    let req = crate::effects::preflight::Request::new(&state.name);
    let summary = crate::effects::preflight::run(setup, &req, None, |c| {
        progress(crate::model::preflight::text::check_text(c))
    })
    .await;
    let line = |c: &crate::model::preflight::Check| {
        let what = c.detail.first().map(String::as_str).unwrap_or_default();
        let hint = c
            .hint
            .as_deref()
            .map(|h| format!(" → {h}"))
            .unwrap_or_default();
        format!(
            "{} {} {}: {what}{hint}",
            c.id.number(),
            c.status.label(),
            c.id.title()
        )
    };
    let mut lines: Vec<String> = summary
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Running))
        .map(line)
        .collect();
    lines.extend(
        summary
            .checks
            .iter()
            .filter(|c| c.status == Status::Warn)
            .map(line),
    );
    GateReport {
        verdict: match summary.verdict() {
            Verdict::Pass => GateVerdict::Pass,
            Verdict::Warn => GateVerdict::Warn,
            Verdict::Fail => GateVerdict::Fail,
        },
        lines,
    }
}
