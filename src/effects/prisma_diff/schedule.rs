//! When the drift diffs run: for every configured environment, one at a time (each waits for
//! the [`PrismaCliGate`]) — in the dashboard at start, whenever the migrations folder changes,
//! after each guarded migrate run of the session and every [`EVERY`]; in the headless commands once, within [`HEADLESS_BUDGET`]. Publishes
//! the latest result per environment name.
//!
//! This is an effect (it starts the Prisma CLI), so it lives here and not among the
//! collectors, which never start processes.

use super::{DiffTarget, TIMEOUT, run};
use crate::collect::environments::EnvSpec;
use crate::effects::prisma_cli::PrismaCliGate;
use crate::model::cli_diff::{CliDiffs, DiffResult, DiffRound};
use crate::model::local_migrations::MigrationsDir;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Re-run interval without changes.
pub const EVERY: Duration = Duration::from_secs(600);

/// The share of `devtop status` (and `devtop migrations`) given to the CLI diff: it runs
/// beside the database probes and the CPU sampling, and what is not done by then is reported
/// as timed out, so the command answers within ~6 s whatever the CLI does.
pub const HEADLESS_BUDGET: Duration = Duration::from_secs(5);

/// One round over every environment with a URL, one diff at a time, each limited to
/// [`TIMEOUT`]. With `budget`, the whole round is limited too: a diff still running when it is
/// spent is stopped, and one whose turn comes later is not started; both are
/// [`DiffResult::TimedOut`] with the time since the round began.
pub async fn round(
    gate: &PrismaCliGate,
    target: &DiffTarget,
    envs: &[EnvSpec],
    budget: Option<Duration>,
) -> CliDiffs {
    let began = Instant::now();
    let mut out = CliDiffs::new();
    for e in envs {
        let Ok(url) = &e.url else { continue };
        let limit = match budget {
            Some(b) => b.saturating_sub(began.elapsed()).min(TIMEOUT),
            None => TIMEOUT,
        };
        let result = if limit.is_zero() {
            DiffResult::TimedOut(began.elapsed())
        } else {
            match run(gate, target, url, limit).await {
                DiffResult::TimedOut(_) => DiffResult::TimedOut(began.elapsed()),
                r => r,
            }
        };
        out.insert(e.name.clone(), result);
    }
    out
}

/// Start the dashboard's background task, taking turns at the session's `gate`; each round
/// is published with the folder and the gate's deploy count it began with ([`DiffRound`]).
/// With no `target` (the project has no Prisma CLI) nothing runs and the channel holds
/// [`DiffRound::empty`].
pub fn spawn(
    gate: PrismaCliGate,
    target: Option<DiffTarget>,
    envs: Vec<EnvSpec>,
    mut local: watch::Receiver<Arc<MigrationsDir>>,
    cancel: CancellationToken,
) -> watch::Receiver<Arc<DiffRound>> {
    let (tx, rx) = watch::channel(Arc::new(DiffRound::empty()));
    let Some(target) = target else { return rx };
    log::info!(
        "drift: using the project's Prisma CLI ({})",
        target.cli.display()
    );
    tokio::spawn(async move {
        let mut deploy_count = gate.watch_deploys();
        loop {
            let folder = local.borrow_and_update().clone();
            let deploys = *deploy_count.borrow_and_update();
            let diffs = tokio::select! {
                _ = cancel.cancelled() => break,
                d = round(&gate, &target, &envs, None) => d,
            };
            let done = DiffRound {
                diffs: Arc::new(diffs),
                folder,
                deploys,
            };
            if tx.send(Arc::new(done)).is_err() {
                break;
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(EVERY) => {}
                r = local.changed() => if r.is_err() { break },
                // A migrate run took the gate: diff again once it is done.
                r = deploy_count.changed() => if r.is_err() { break },
            }
        }
    });
    rx
}
