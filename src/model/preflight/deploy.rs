//! Check 14: `[deploy] order` (default staging, then production) — seed 004's rule "staging
//! before production": every migration pending on a later environment is already applied on
//! every earlier one, and the later one is not blocked by a failed migration.

use super::{Check, CheckId, Status, count_noun};
use crate::model::db_view::EnvView;
use crate::model::migrations::{EnvMigrations, MigrationState};

/// One environment as check 14 sees it: its name and its migrations (`None` when its
/// `_prisma_migrations` could not be read; the reason in `why`).
#[derive(Debug, Clone, Copy)]
pub struct Stage<'a> {
    /// Environment name.
    pub name: &'a str,
    /// Its merged migrations, when known.
    pub migrations: Option<&'a EnvMigrations>,
    /// Why they are unknown ("unreachable (timed out)", "not configured").
    pub why: &'a str,
}

impl<'a> Stage<'a> {
    /// The stage of a derived environment view.
    pub fn of(view: &'a EnvView) -> Stage<'a> {
        Stage {
            name: &view.name,
            migrations: view.migrations.as_ref(),
            why: &view.summary,
        }
    }
}

fn applied(m: &EnvMigrations, name: &str) -> bool {
    m.items.iter().any(|i| {
        i.name == name && matches!(i.state, MigrationState::Applied | MigrationState::Edited)
    })
}

/// Check 14 for `target`. `order` is `[deploy] order`; `stages` are the configured
/// environments of that order (in order; environments not configured are left out by the
/// caller), plus the target.
///
/// - target not in `order` (e.g. `local`): skipped ("local is not in [deploy] order"), with a
///   look downstream as evidence (an environment of the order blocked by a failed migration
///   or behind an earlier one);
/// - target first in the order: pass (nothing must come before it), unless it is blocked;
/// - otherwise: fail when a migration pending on the target is not applied on an earlier
///   environment (listed per environment), when an earlier environment's migrations are
///   unknown, or when the target is blocked by a failed migration.
pub fn deploy_order(target: &str, order: &[String], stages: &[Stage<'_>]) -> Check {
    let id = CheckId::DeployOrder;
    let order_text = order.join(" → ");
    let stage = |name: &str| stages.iter().find(|s| s.name == name).copied();
    let Some(pos) = order.iter().position(|o| o == target) else {
        return downstream(target, order, stages, &order_text);
    };
    let Some(me) = stage(target).and_then(|s| s.migrations) else {
        return Check::skipped(
            id,
            format!(
                "{target}: its migrations are unknown (check 4), so the order cannot be checked"
            ),
        );
    };
    let mut problems = Vec::new();
    if let Some(b) = &me.summary.blocked_by {
        problems.push(format!(
            "{target} is blocked by failed migration {b}: resolve it first (check 8)"
        ));
    }
    let mine = me.to_deploy();
    for earlier in &order[..pos] {
        let Some(s) = stage(earlier) else {
            continue;
        };
        let Some(em) = s.migrations else {
            problems.push(format!("cannot confirm {earlier} has them: {}", s.why));
            continue;
        };
        let missing: Vec<&str> = mine.iter().copied().filter(|n| !applied(em, n)).collect();
        if !missing.is_empty() {
            problems.push(format!(
                "{} pending on {target} not applied on {earlier} yet:",
                count_noun(missing.len(), "migration")
            ));
            problems.extend(missing.iter().map(|n| format!("  {n}")));
        }
    }
    if problems.is_empty() {
        let what = if pos == 0 {
            format!("{target} is first in the deploy order ({order_text})")
        } else {
            format!(
                "every migration pending on {target} is applied on {} ({order_text})",
                order[..pos].join(", ")
            )
        };
        return Check::new(id, Status::Pass, what);
    }
    let earlier = order[..pos].join(", then ");
    Check::new(id, Status::Fail, format!("deploy order {order_text}:"))
        .lines(problems)
        .hint(if pos == 0 {
            "resolve the failed migration first (check 8)".to_owned()
        } else {
            format!(
                "deploy to {earlier} first (`devtop migrate --env {}`), check it, then {target}",
                order[pos - 1]
            )
        })
}

/// Check 14 for a target outside the order: skipped, with how the environments of the order
/// stand.
fn downstream(target: &str, order: &[String], stages: &[Stage<'_>], order_text: &str) -> Check {
    let id = CheckId::DeployOrder;
    let known: Vec<&Stage<'_>> = order
        .iter()
        .filter_map(|o| stages.iter().find(|s| s.name == o.as_str()))
        .collect();
    if known.is_empty() {
        return Check::skipped(
            id,
            format!(
                "{target} is not in [deploy] order ({order_text}) and none of those environments is configured"
            ),
        );
    }
    let mut problems = Vec::new();
    let mut prev: Option<&Stage<'_>> = None;
    for s in &known {
        match s.migrations {
            None => problems.push(format!("{}: {}", s.name, s.why)),
            Some(m) => {
                if let Some(b) = &m.summary.blocked_by {
                    problems.push(format!("{} is blocked by failed migration {b}", s.name));
                }
                if let Some(p) = prev.and_then(|p| p.migrations.map(|pm| (p.name, pm))) {
                    let ahead: Vec<&str> =
                        p.1.to_deploy()
                            .into_iter()
                            .filter(|n| applied(m, n))
                            .collect();
                    if !ahead.is_empty() {
                        problems.push(format!(
                            "{} has {} that {} lacks (deployed out of order)",
                            s.name,
                            count_noun(ahead.len(), "migration"),
                            p.0
                        ));
                    }
                }
                let n = m.to_deploy().len();
                if n > 0 {
                    problems.push(format!("{}: {} behind", s.name, count_noun(n, "migration")));
                }
            }
        }
        prev = Some(s);
    }
    // Not judged: a target outside the order has no place in it (`devtop preflight --strict`
    // in a hook must not fail on staging's state). How the order stands is shown as evidence.
    let mut check = Check::skipped(
        id,
        format!("{target} is not in [deploy] order ({order_text}); downstream:"),
    );
    if problems.is_empty() {
        check
            .detail
            .push("  every environment is up to date".to_owned());
    }
    check.lines(problems.into_iter().map(|p| format!("  {p}")))
}
