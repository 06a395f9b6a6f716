//! `down`: stop the recorded servers in reverse start order.

use super::lock::StateLock;
use super::state::{self, Recorded};
use super::{Event, stop, stop_request};
use crate::model::server::{DEFAULT_STOP_GRACE, ServerSpec, StopSignal};
use std::io;
use std::path::Path;

/// Stops the servers recorded in `root`'s state file — every one for `only = None`, only
/// those named for `Some` (none for `Some(&[])`) — in reverse start order, each with its configured stop signal and grace (from
/// `specs`, see [`stop_recorded`]). Stale entries are dropped unsignalled ([`Event::Dropped`]).
///
/// Stale entries are pruned from the file by the holder of `lock`.
///
/// Returns true when every process of every server stopped.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn down(
    root: &Path,
    lock: &StateLock,
    specs: &[ServerSpec],
    only: Option<&[String]>,
    report: &mut dyn FnMut(Event),
) -> io::Result<bool> {
    let pick = |r: &Recorded| only.is_none_or(|names| names.contains(&r.name));
    down_where(root, lock, specs, &pick, report).await
}

/// [`down`] for the recorded servers `pick` chooses.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn down_where(
    root: &Path,
    lock: &StateLock,
    specs: &[ServerSpec],
    pick: &dyn Fn(&Recorded) -> bool,
    report: &mut dyn FnMut(Event),
) -> io::Result<bool> {
    let (live, dropped) = state::prune(lock, root)?;
    for name in dropped {
        report(Event::Dropped { name });
    }
    let chosen: Vec<&Recorded> = live.iter().rev().filter(|r| pick(r)).collect();
    let mut all_ok = true;
    for rec in chosen {
        all_ok &= stop_recorded(root, lock, rec, specs, report).await?;
    }
    Ok(all_ok)
}

/// [`down`] by a devtop that cannot take the lock because another one holds it while it
/// supervises the servers (a dashboard, a foreground `up`): for each server chosen — those
/// named by `only`, else every configured or recorded one — a stop request is written
/// ([`stop_request`]: the supervisor then takes the exit for a stop, not a crash to restart,
/// and drops the entry), then the recorded ones still running are stopped from here, in
/// reverse start order, as [`down`] does. The state file is only read (its entries are
/// dropped by the lock holder).
///
/// Returns true when every process of every server stopped.
///
/// # Errors
/// The state file cannot be read, or a request cannot be written.
pub async fn down_beside(
    root: &Path,
    specs: &[ServerSpec],
    only: Option<&[String]>,
    report: &mut dyn FnMut(Event),
) -> io::Result<bool> {
    let (live, _) = state::read_live(root)?;
    let names: Vec<String> = match only {
        Some(names) => names.to_vec(),
        None => {
            let mut all: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
            for r in &live {
                if !all.contains(&r.name) {
                    all.push(r.name.clone());
                }
            }
            all
        }
    };
    for name in &names {
        stop_request::request(root, name, live.iter().find(|r| r.name == *name))?;
    }
    let mut all_ok = true;
    for rec in live.iter().rev().filter(|r| names.contains(&r.name)) {
        let (signal, grace) = stop_params(specs, rec);
        let done = stop::stop(rec, signal.number, grace, report).await;
        let name = rec.name.clone();
        if done.survivors.is_empty() {
            report(Event::Stopped { name });
        } else {
            all_ok = false;
            let pids = done.survivors;
            report(Event::StopFailed { name, pids });
        }
    }
    Ok(all_ok)
}

/// The configured stop signal and grace of `rec` (SIGTERM and 5 s for a server no longer
/// configured).
fn stop_params(specs: &[ServerSpec], rec: &Recorded) -> (StopSignal, std::time::Duration) {
    let spec = specs.iter().find(|s| s.name == rec.name);
    let signal = spec.map_or(StopSignal::TERM, |s| s.stop_signal);
    let grace = spec.map_or(DEFAULT_STOP_GRACE, |s| s.stop_grace);
    (signal, grace)
}

/// Stops one recorded server with its configured stop signal and grace (from `specs`;
/// SIGTERM and 5 s for a server no longer configured), then removes it from the state file
/// when every process ended ([`Event::Stopped`]) or keeps it ([`Event::StopFailed`]). Returns
/// true when every process ended.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn stop_recorded(
    root: &Path,
    lock: &StateLock,
    rec: &Recorded,
    specs: &[ServerSpec],
    report: &mut dyn FnMut(Event),
) -> io::Result<bool> {
    let (signal, grace) = stop_params(specs, rec);
    let done = stop::stop(rec, signal.number, grace, report).await;
    let name = rec.name.clone();
    if done.survivors.is_empty() {
        // By identity: the entry may have gained its time to ready since `rec` was read.
        state::retain(lock, root, |e| {
            !(e.name == rec.name && e.pid == rec.pid && e.start_ticks == rec.start_ticks)
        })?;
        report(Event::Stopped { name });
        Ok(true)
    } else {
        report(Event::StopFailed {
            name,
            pids: done.survivors,
        });
        Ok(false)
    }
}
