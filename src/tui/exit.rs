//! What the dashboard does once its loop has ended (a quit, a signal, the terminal gone)
//! before the terminal is restored: let a running migrate finish (or end it, bounded), then
//! stop the servers this devtop started unless asked to leave them.

use crate::app::executor::Executor;
use crate::app::servers::ServerOp;
use crate::app::state::AppState;
use crate::app::update::{Action, Command};
use std::time::Duration;
use tokio::sync::mpsc;

/// Longest wait for a running migrate to end by itself when devtop ends without the quit
/// question (a signal, the terminal gone): a migration cut in the middle is recorded failed
/// (P3009) and blocks later deploys, so devtop lets it finish first.
const MIGRATE_ON_EXIT: Duration = Duration::from_secs(30);
/// After [`MIGRATE_ON_EXIT`], the wait for the ended migrate (SIGTERM, grace, SIGKILL) to report.
const MIGRATE_END_WAIT: Duration = Duration::from_secs(15);

/// devtop is ending while a migrate runs: wait up to [`MIGRATE_ON_EXIT`] for it to end by
/// itself, then end it (its process group: SIGTERM, then SIGKILL after the grace) and wait
/// up to [`MIGRATE_END_WAIT`] for that, so its engine is never left behind and a run that
/// could finish is never cut. Each step is logged.
pub(super) async fn finish_migrate(
    state: &mut AppState,
    executor: &Executor,
    arx: &mut mpsc::UnboundedReceiver<Action>,
) {
    let Some(env) = state.migrating.clone() else {
        return;
    };
    // Before its command starts (preflight, or waiting for a yes) nothing is cut by ending.
    if !executor.migrate.as_ref().is_some_and(|r| r.running()) {
        return;
    }
    log::warn!(
        "devtop is ending while the migrate of {env} runs: waiting up to {}s for it to end",
        MIGRATE_ON_EXIT.as_secs()
    );
    if wait_migrate_done(arx, MIGRATE_ON_EXIT).await {
        return;
    }
    log::warn!("the migrate of {env} still runs: ending it (check `prisma migrate status`)");
    executor.execute(Command::MigrateEnd);
    wait_migrate_done(arx, MIGRATE_END_WAIT).await;
}

/// Wait up to `limit` for the migrate's end report; true when it came.
async fn wait_migrate_done(arx: &mut mpsc::UnboundedReceiver<Action>, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, arx.recv()).await {
            Ok(Some(Action::Migrate(crate::app::migrate::MigrateUpdate::Done(..)))) => {
                return true;
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return false,
        }
    }
}

/// Longest wait for the servers to stop when devtop ends without the quit question (a
/// signal, the terminal gone, a quit on a too-small terminal).
const STOP_ON_EXIT: Duration = Duration::from_secs(30);

/// devtop is ending: unless `--keep` or the quit question's "leave them running", stop the
/// servers this devtop started that may still run (each with its stop signal and grace), up
/// to [`STOP_ON_EXIT`]. The worker decides what is ours ([`ServerOp::StopOurs`]): the rows
/// may not show yet what a start under way launched.
pub(super) async fn stop_ours(
    state: &mut AppState,
    executor: &Executor,
    arx: &mut mpsc::UnboundedReceiver<Action>,
) {
    let may_run = crate::app::server_intent::ours_may_run(state);
    if !may_run || state.keep_servers || state.servers.leave_running {
        return;
    }
    if executor.servers.is_none() {
        return;
    }
    let op = ServerOp::StopOurs;
    executor.execute(Command::Servers(op.clone()));
    let deadline = tokio::time::Instant::now() + STOP_ON_EXIT;
    loop {
        match tokio::time::timeout_at(deadline, arx.recv()).await {
            Ok(Some(Action::ServersDone(done, _))) if done == op => return,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return,
        }
    }
}
