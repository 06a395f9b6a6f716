//! When the drift diffs run: for every configured environment, one at a time (each waits for
//! the [`PrismaCliGate`]) — in the dashboard at start, whenever the migrations folder or the
//! schema (schema.prisma, or a schema folder's `.prisma` files) changes, after each guarded
//! migrate run of the session and every [`EVERY`]; in the headless commands once, within
//! [`HEADLESS_BUDGET`]. Publishes the latest result per environment name.
//!
//! This is an effect (it starts the Prisma CLI), so it lives here and not among the
//! collectors, which never start processes.

use super::{DiffTarget, TIMEOUT, run};
use crate::collect::environments::EnvSpec;
use crate::collect::migrations_watch::DEBOUNCE;
use crate::effects::prisma_cli::PrismaCliGate;
use crate::model::cli_diff::{CliDiffs, DiffResult, DiffRound, SchemaStamp};
use crate::model::local_migrations::MigrationsDir;
use crate::prisma::schema_stamp;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
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
/// is published with the folder, the schema and the gate's deploy count it began with
/// ([`DiffRound`]). With no `target` (the project has no Prisma CLI) nothing runs and the
/// channel holds [`DiffRound::empty`].
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
    let (schema_tx, mut schema_rx) = mpsc::unbounded_channel::<()>();
    let watcher = watch_schema(&target.schema, schema_tx);
    tokio::spawn(async move {
        let _keep = watcher;
        let mut deploy_count = gate.watch_deploys();
        loop {
            let folder = local.borrow_and_update().clone();
            let schema = schema_stamp::read_async(target.schema.clone()).await;
            let deploys = *deploy_count.borrow_and_update();
            let diffs = tokio::select! {
                _ = cancel.cancelled() => break,
                d = round(&gate, &target, &envs, None) => d,
            };
            let done = DiffRound {
                diffs: Arc::new(diffs),
                folder,
                schema: schema.clone(),
                deploys,
            };
            if tx.send(Arc::new(done)).is_err() {
                break;
            }
            let next = tokio::time::Instant::now() + EVERY;
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep_until(next) => break,
                    r = local.changed() => if r.is_err() { return } else { break },
                    // A migrate run took the gate: diff again once it is done.
                    r = deploy_count.changed() => if r.is_err() { return } else { break },
                    // Something changed beside the schema: diff again when the schema did.
                    Some(()) = schema_rx.recv() => {
                        if schema_edited(&mut schema_rx, &target.schema, &schema).await {
                            break;
                        }
                    }
                }
            }
        }
    });
    rx
}

/// Watch the schema at `path` (the file's folder, or the schema folder), a `()` on `tx` per
/// change; `None` (logged) when it cannot be watched — the schema is then read again only at
/// the other rounds.
fn watch_schema(path: &Path, tx: mpsc::UnboundedSender<()>) -> Option<notify::RecommendedWatcher> {
    crate::prisma::migrations_dir::watch(path, move || {
        let _ = tx.send(());
    })
    .map_err(|e| log::warn!("drift: cannot watch {}: {e}", path.display()))
    .ok()
}

/// After a change event: wait until events stop for [`DEBOUNCE`], then whether the schema at
/// `path` differs from `seen` (the stamp of the last round).
async fn schema_edited(
    events: &mut mpsc::UnboundedReceiver<()>,
    path: &Path,
    seen: &SchemaStamp,
) -> bool {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(DEBOUNCE) => break,
            more = events.recv() => if more.is_none() { break },
        }
    }
    schema_stamp::read_async(path.to_owned()).await != *seen
}
