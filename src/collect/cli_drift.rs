//! Runs the project's Prisma CLI diff (see `effects::prisma_diff`) for every configured
//! environment: at start, whenever the migrations folder changes, and every 10 minutes;
//! one at a time. Publishes the latest result per environment name.

use crate::collect::environments::EnvSpec;
use crate::effects::prisma_diff::{DiffResult, TIMEOUT, run};
use crate::prisma::migrations_dir::MigrationsDir;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Latest CLI diff per environment name.
pub type CliDiffs = BTreeMap<String, DiffResult>;

/// Re-run interval without changes.
pub const EVERY: Duration = Duration::from_secs(600);

/// One round over every environment with a URL.
pub async fn round(
    cli: &std::path::Path,
    schema: &std::path::Path,
    url_env: &str,
    envs: &[EnvSpec],
) -> CliDiffs {
    let mut out = CliDiffs::new();
    for e in envs {
        if let Ok(url) = &e.url {
            out.insert(
                e.name.clone(),
                run(cli, schema, url_env, url, TIMEOUT).await,
            );
        }
    }
    out
}

/// Start the task; `None` when the project has no Prisma CLI.
pub fn spawn(
    cli: Option<PathBuf>,
    schema: PathBuf,
    url_env: String,
    envs: Vec<EnvSpec>,
    mut local: watch::Receiver<Arc<MigrationsDir>>,
    cancel: CancellationToken,
) -> watch::Receiver<Arc<CliDiffs>> {
    let (tx, rx) = watch::channel(Arc::new(CliDiffs::new()));
    let Some(cli) = cli else { return rx };
    log::info!("drift: using the project's Prisma CLI ({})", cli.display());
    tokio::spawn(async move {
        loop {
            let diffs = tokio::select! {
                _ = cancel.cancelled() => break,
                d = round(&cli, &schema, &url_env, &envs) => d,
            };
            if tx.send(Arc::new(diffs)).is_err() {
                break;
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(EVERY) => {}
                r = local.changed() => if r.is_err() { break },
            }
        }
    });
    rx
}
