//! `devtop preflight [--env NAME] [--json] [--strict]`: the checks before a migration, for npm
//! scripts and git hooks (`"db:migrate:check": "devtop preflight"`). Exit 0 pass, 1 a check
//! failed (or warned, with `--strict`), 2 bad usage or configuration (an unknown environment,
//! an invalid URL, an unreadable `.env`; an invalid devtop.toml stops earlier, also with 2).
//!
//! The JSON (version 1) is documented in the README ("devtop preflight --json").

use crate::effects::preflight::{Request, check_target, run as run_checks};
use crate::headless::out;
use crate::model::preflight::text::check_text;
use crate::model::preflight::{CheckAction, Status, Summary, Verdict};
use crate::sanitize::{clean, path};
use crate::setup::{EXIT_FAILURE, EXIT_USAGE, Setup};
use serde::Serialize;

/// Format version of the JSON document.
pub const JSON_VERSION: u32 = 1;

/// `devtop preflight --json` document.
#[derive(Debug, Serialize)]
pub struct PreflightJson<'a> {
    /// Always [`JSON_VERSION`].
    pub version: u32,
    /// Project root.
    pub project: &'a std::path::Path,
    /// The target environment.
    pub target: &'a str,
    /// `--strict` was given.
    pub strict: bool,
    /// "pass", "warn" or "fail".
    pub verdict: Verdict,
    /// The exit code of the command (0 or 1).
    pub exit_code: i32,
    /// Milliseconds the preflight took.
    pub elapsed_ms: u64,
    /// Checks per status.
    pub counts: Counts,
    /// Every check, in order.
    pub checks: Vec<CheckJson<'a>>,
}

/// Checks per status.
#[derive(Debug, Serialize)]
pub struct Counts {
    /// Passed (info included).
    pub pass: usize,
    /// Warned.
    pub warn: usize,
    /// Failed.
    pub fail: usize,
    /// Skipped.
    pub skipped: usize,
}

/// One check in the JSON.
#[derive(Debug, Serialize)]
pub struct CheckJson<'a> {
    /// Stable name ("suspects", "deploy-order").
    pub id: &'static str,
    /// Number in the list (1–15).
    pub number: u8,
    /// Title.
    pub title: &'static str,
    /// "pass", "info", "warn", "fail" or "skipped".
    pub status: Status,
    /// Evidence lines (for a skipped check, the reason first).
    pub detail: &'a [String],
    /// What to do; null on a pass.
    pub hint: Option<&'a str>,
    /// The dashboard key's action: `{"kind": "kill-suspects", "targets": [{"pid", "start_ticks"}...], "what": "..."}`.
    pub action: Option<&'a CheckAction>,
    /// Milliseconds from the start to this check's result.
    pub elapsed_ms: Option<u64>,
}

/// The JSON document of `summary`.
pub fn to_json<'a>(setup: &'a Setup, summary: &'a Summary, strict: bool) -> PreflightJson<'a> {
    let (pass, warn, fail, skipped) = summary.counts();
    PreflightJson {
        version: JSON_VERSION,
        project: &setup.root,
        target: &summary.target,
        strict,
        verdict: summary.verdict(),
        exit_code: summary.exit_code(strict),
        elapsed_ms: summary.elapsed_ms,
        counts: Counts {
            pass,
            warn,
            fail,
            skipped,
        },
        checks: summary
            .checks
            .iter()
            .map(|c| CheckJson {
                id: c.id.key(),
                number: c.id.number(),
                title: c.id.title(),
                status: c.status,
                detail: &c.detail,
                hint: c.hint.as_deref(),
                action: c.action.as_ref(),
                elapsed_ms: c.elapsed_ms,
            })
            .collect(),
    }
}

/// The whole report as text: a header, every check, the verdict line.
pub fn to_text(setup: &Setup, summary: &Summary, strict: bool) -> String {
    let mut s = format!(
        "preflight for {} (project {})\n",
        clean(&summary.target),
        path(&setup.root)
    );
    for c in &summary.checks {
        s.push_str(&check_text(c));
    }
    let (pass, warn, fail, skipped) = summary.counts();
    let verdict = match summary.verdict() {
        Verdict::Pass => "PASS",
        Verdict::Warn if strict => "FAIL (warnings, --strict)",
        Verdict::Warn => "WARN",
        Verdict::Fail => "FAIL",
    };
    s.push_str(&format!(
        "{verdict}: {pass} passed, {warn} warned, {fail} failed, {skipped} skipped in {:.1} s\n",
        summary.elapsed_ms as f64 / 1000.0
    ));
    s
}

/// `devtop preflight`. Returns the exit code.
pub async fn run(setup: &Setup, env: Option<&str>, json: bool, strict: bool) -> i32 {
    let target = env.unwrap_or("local");
    if let Err(msg) = check_target(setup, target) {
        out::error(&msg);
        return EXIT_USAGE;
    }
    if let Some(e) = setup
        .envs
        .iter()
        .find(|e| e.name == target && e.config_error)
        && let Err(why) = &e.url
    {
        out::error(&format!("{target}: {why}"));
        return EXIT_USAGE;
    }
    let req = Request {
        target: target.to_owned(),
        strict,
    };
    let summary = run_checks(setup, &req, None, |_| {}).await;
    if json {
        match serde_json::to_string_pretty(&to_json(setup, &summary, strict)) {
            Ok(s) => out::json(&s),
            Err(e) => {
                out::error(&format!("cannot encode JSON: {e}"));
                return EXIT_FAILURE;
            }
        }
    } else {
        out::text(&to_text(setup, &summary, strict));
    }
    summary.exit_code(strict)
}
