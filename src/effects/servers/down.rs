//! `down`: stop the recorded servers in reverse start order.

use super::state::{self, Recorded};
use super::{Event, stop};
use crate::model::server::{DEFAULT_STOP_GRACE, ServerSpec, StopSignal};
use std::io;
use std::path::Path;

/// Stops the servers recorded in `root`'s state file — only those named in `only` when it is
/// not empty — in reverse start order, each with its configured stop signal and grace (from
/// `specs`; SIGTERM and 5 s for a server no longer configured). Stale entries are dropped
/// unsignalled ([`Event::Dropped`]). A server whose every process ended leaves the state file.
///
/// Returns true when every process of every server stopped.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn down(
    root: &Path,
    specs: &[ServerSpec],
    only: &[String],
    report: &mut dyn FnMut(Event),
) -> io::Result<bool> {
    let (live, dropped) = state::read_live(root)?;
    for name in dropped {
        report(Event::Dropped { name });
    }
    let chosen: Vec<&Recorded> = live
        .iter()
        .rev()
        .filter(|r| only.is_empty() || only.contains(&r.name))
        .collect();
    let mut all_ok = true;
    for rec in chosen {
        let spec = specs.iter().find(|s| s.name == rec.name);
        let signal = spec.map_or(StopSignal::TERM, |s| s.stop_signal);
        let grace = spec.map_or(DEFAULT_STOP_GRACE, |s| s.stop_grace);
        let done = stop::stop(rec, signal.number, grace, report).await;
        if done.survivors.is_empty() {
            state::retain(root, |e| e != rec)?;
            report(Event::Stopped {
                name: rec.name.clone(),
            });
        } else {
            all_ok = false;
            report(Event::StopFailed {
                name: rec.name.clone(),
                pids: done.survivors,
            });
        }
    }
    Ok(all_ok)
}
