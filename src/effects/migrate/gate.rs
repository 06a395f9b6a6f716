//! The preflight gate in front of a guarded migrate: one call ([`Gate::check`]) that says
//! pass / warn / fail for a target, with the lines that explain it. [`PreflightGate`] (what
//! `devtop migrate` and the TUI's `m` run) is the full preflight of the target — the fifteen
//! checks of `devtop preflight`, each reported as it completes; [`TargetGate`] is the narrow
//! gate (the target answers, is not blocked by a failed migration, the lint of its pending
//! migrations), kept for callers that judge only the target.

use crate::effects::migrate::target::TargetState;
use crate::model::migration_lint::LintOptions;
use crate::setup::Setup;
use std::future::Future;

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

/// A preflight gate for a guarded migrate.
pub trait Gate {
    /// Check `target` (an environment of `setup`) whose state was just read as `state`.
    /// `progress` gets a block of text as each part of the check completes (for the full
    /// preflight: each check as `devtop preflight` prints it, possibly several lines).
    fn check<'a>(
        &'a self,
        setup: &'a Setup,
        state: &'a TargetState,
        progress: &'a mut (dyn FnMut(String) + Send),
    ) -> impl Future<Output = GateReport> + 'a;
}

/// The full preflight of the target ([`crate::effects::preflight::run`], not strict): any
/// failed check stops the migrate (the lines name each with its hint), any warning asks.
#[derive(Debug, Clone, Copy, Default)]
pub struct PreflightGate;

impl Gate for PreflightGate {
    async fn check<'a>(
        &'a self,
        setup: &'a Setup,
        state: &'a TargetState,
        progress: &'a mut (dyn FnMut(String) + Send),
    ) -> GateReport {
        use crate::model::preflight::{Status, Verdict};
        let req = crate::effects::preflight::Request::new(&state.name);
        let summary = crate::effects::preflight::run(setup, &req, None, |c| {
            progress(crate::headless::preflight::check_text(c))
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
}

/// The gate of this build (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetGate;

impl Gate for TargetGate {
    async fn check<'a>(
        &'a self,
        setup: &'a Setup,
        state: &'a TargetState,
        _progress: &'a mut (dyn FnMut(String) + Send),
    ) -> GateReport {
        {
            let mut fail = Vec::new();
            let mut warn = Vec::new();
            if let Some(why) = &state.unreachable {
                fail.push(format!(
                    "{} does not answer: {why}; check the URL and that the server runs",
                    state.name
                ));
            }
            if let Some(m) = &state.migrations
                && let Some(b) = &m.summary.blocked_by
            {
                fail.push(format!(
                    "{} is blocked by failed migration {b} (P3009): fix it, then `prisma migrate resolve --rolled-back {b}` or `--applied {b}`",
                    state.name
                ));
            }
            if state.missing {
                warn.push(format!(
                    "{}: the database does not exist yet; the migrate command creates it",
                    state.name
                ));
            }
            let pending = state.pending();
            if !pending.is_empty() {
                let opts = LintOptions {
                    max_tables: setup.config.migrate.max_tables,
                };
                let dir = setup.prisma.migrations_dir.clone();
                let root = setup.root.clone();
                let p = pending.clone();
                let report = tokio::task::spawn_blocking(move || {
                    crate::prisma::lint_files::lint_folder(&dir, &root, &p, &opts)
                })
                .await
                .unwrap_or_default();
                for f in &report.findings {
                    warn.push(format!("lint: {f} — {}", f.hint));
                }
                for p in &report.problems {
                    fail.push(format!("cannot lint: {p}"));
                }
            }
            let verdict = if !fail.is_empty() {
                GateVerdict::Fail
            } else if !warn.is_empty() {
                GateVerdict::Warn
            } else {
                GateVerdict::Pass
            };
            GateReport {
                verdict,
                lines: fail.into_iter().chain(warn).collect(),
            }
        }
    }
}
