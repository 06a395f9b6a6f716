//! The dashboard's log task: runs the log follower ([`super::log_follow`]) over each server's
//! `.devtop/logs/<name>.log` every [`FOLLOW_EVERY`] on the blocking pool (off the render
//! path) and hands each pass's new lines to the loop as one batch.
//!
//! - Starts at the last [`START_TAIL`] bytes of a file that already exists (a server started
//!   by an earlier devtop shows its recent output), at the next line start.
//! - A pass shows at most the ring size (`server_log_lines`) of lines per file; what a server
//!   wrote beyond that in one pass is counted in one "… N lines skipped" line (the ring would
//!   drop those lines anyway).
//! - Batches go through a bounded channel: when the UI is slow the follower waits (the file
//!   stays on disk, and what piled up there is skipped and counted on the next pass), so
//!   nothing piles up in memory.

use super::log_follow::{LogFollower, ServerLine, Start};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How often the files are looked at.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(200);
/// Bytes read back from a file that exists when following starts.
pub const START_TAIL: u64 = 64 * 1024;

/// Follow `files` (server name, log path) until `cancel`, at most `max_lines` lines per file
/// per pass, sending each pass's new lines to `tx` as one batch (nothing is sent for a pass
/// without new lines). The files are first looked at, and then read, on the blocking pool.
pub fn spawn(
    files: Vec<(String, PathBuf)>,
    max_lines: usize,
    tx: mpsc::Sender<Vec<ServerLine>>,
    cancel: CancellationToken,
) {
    if files.is_empty() {
        return;
    }
    let mut files = Some(files);
    let mut follower: Option<LogFollower> = None;
    tokio::spawn(async move {
        let mut every = crate::collect::tasks::interval(FOLLOW_EVERY);
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = every.tick() => {}
            }
            let files = files.take();
            let pass = tokio::task::spawn_blocking(move || {
                let mut f = follower.unwrap_or_else(|| {
                    LogFollower::new(
                        files.unwrap_or_default(),
                        Start::Tail(START_TAIL),
                        max_lines,
                    )
                });
                let mut lines = Vec::new();
                f.poll(&mut lines);
                (f, lines)
            })
            .await;
            let Ok((back, lines)) = pass else { return };
            follower = Some(back);
            if !lines.is_empty() {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    r = tx.send(lines) => if r.is_err() { return },
                }
            }
        }
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    #[tokio::test]
    async fn the_task_sends_the_tail_then_new_lines_capped_per_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.log");
        let line = "x".repeat(99) + "\n";
        std::fs::write(&path, line.repeat(2000)).unwrap();
        let (tx, mut rx) = mpsc::channel(4);
        let cancel = CancellationToken::new();
        spawn(vec![("api".into(), path.clone())], 100, tx, cancel.clone());
        let first = rx.recv().await.unwrap();
        // The tail holds 655 whole lines; the newest 100 are shown after the count.
        assert_eq!(first.len(), 101);
        assert_eq!(first[0].text, "… 555 lines skipped");
        assert!(first[1..].iter().all(|l| l.text.len() == 99));
        let mut w = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        w.write_all(b"fresh\n").unwrap();
        let next = rx.recv().await.unwrap();
        assert_eq!(next.len(), 1);
        assert_eq!((&*next[0].server, next[0].text.as_str()), ("api", "fresh"));
        cancel.cancel();
    }
}
