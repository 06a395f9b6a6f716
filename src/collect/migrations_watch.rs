//! The local side of the migrations: reads the migrations folder (checksums, lock file) at
//! start and again whenever it changes (notify, debounced 300 ms), publishing the result.

use crate::model::local_migrations::MigrationsDir;
use crate::prisma::migrations_dir::{read, watch};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch as watch_chan};
use tokio_util::sync::CancellationToken;

/// Quiet time after the last file event before the folder is read again.
pub const DEBOUNCE: Duration = Duration::from_millis(300);
/// Re-read interval when the folder cannot be watched (it or its parent does not exist yet).
pub const POLL_WITHOUT_WATCH: Duration = Duration::from_secs(10);

async fn read_blocking(dir: PathBuf) -> MigrationsDir {
    let fallback = dir.clone();
    tokio::task::spawn_blocking(move || read(&dir))
        .await
        .unwrap_or_else(|_| read(&fallback))
}

/// Start watching `dir`; the receiver holds the latest reading.
pub async fn spawn(
    dir: PathBuf,
    cancel: CancellationToken,
) -> watch_chan::Receiver<Arc<MigrationsDir>> {
    let first = read_blocking(dir.clone()).await;
    let (tx, rx) = watch_chan::channel(Arc::new(first));
    let (etx, mut erx) = mpsc::unbounded_channel::<()>();
    // Watch the folder, or the schema folder above it until the migrations folder exists.
    let target = if dir.exists() {
        Some(dir.clone())
    } else {
        dir.parent().filter(|p| p.exists()).map(PathBuf::from)
    };
    let watcher = target.and_then(|t| {
        let etx = etx.clone();
        match watch(&t, move || {
            let _ = etx.send(());
        }) {
            Ok(w) => Some(w),
            Err(e) => {
                log::warn!(
                    "cannot watch {}: {e}; re-reading every {} s",
                    t.display(),
                    POLL_WITHOUT_WATCH.as_secs()
                );
                None
            }
        }
    });
    tokio::spawn(async move {
        let _keep = watcher;
        let polling = _keep.is_none();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                ev = erx.recv(), if !polling => {
                    if ev.is_none() { break; }
                    // Debounce: wait until events stop for DEBOUNCE.
                    loop {
                        tokio::select! {
                            _ = tokio::time::sleep(DEBOUNCE) => break,
                            more = erx.recv() => if more.is_none() { break },
                        }
                    }
                }
                _ = tokio::time::sleep(POLL_WITHOUT_WATCH), if polling => {}
            }
            let next = read_blocking(dir.clone()).await;
            if **tx.borrow() != next {
                log::info!(
                    "migrations folder changed: {} migrations",
                    next.migrations.len()
                );
                if tx.send(Arc::new(next)).is_err() {
                    break;
                }
            }
        }
    });
    rx
}
