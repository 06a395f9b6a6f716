//! `devtop up` and `devtop down`: the dev-server supervisor ([`crate::effects::servers`],
//! through the effects executor) with each step printed as one line, `HH:MM:SS <server>
//! <what>` (UTC time of day):
//!
//! ```text
//! 12:00:01 api starting (pid 4242)
//! 12:00:02 api ready after 1.2 s (tcp 3010)
//! 12:00:09 web stopping (pids 4250 4251)
//! 12:00:10 web waiting for pids 4251
//! ```
//!
//! `up` exits 0 once every selected server is ready (with or without `--wait`: it always
//! waits), 1 naming the server that failed or is held by its `requires` (`api held: local has
//! 1 pending migration (X) — apply it, or run devtop up --force …`; with `--force` a warning
//! and it starts) (after stopping what it started), 2 for an unknown
//! `--only` name or no `[[server]]` configured; interrupted (SIGINT, SIGTERM, SIGHUP) before
//! that, it stops the servers it started and exits 128 + the signal number. `down` exits 0 when every process of every
//! stopped server ended, 1 otherwise.

use crate::app::executor;
use crate::cli::{DownArgs, UpArgs};
use crate::effects::servers::Event;
use crate::effects::servers::up::Gate;
use crate::headless::out;
use crate::model::server_order::{start_order, with_dependencies};
use crate::sanitize::clean;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Setup};

/// `devtop up`. Returns the exit code.
pub async fn up(setup: &Setup, args: &UpArgs) -> i32 {
    let all = &setup.config.servers;
    if all.is_empty() {
        out::error("no [[server]] is configured in devtop.toml");
        return EXIT_USAGE;
    }
    let chosen = match with_dependencies(all, &args.only) {
        Ok(c) => c,
        Err(name) => {
            out::error(&format!("--only {name}: no server has this name"));
            return EXIT_USAGE;
        }
    };
    let chosen: Vec<_> = chosen.into_iter().cloned().collect();
    let ordered = match start_order(&chosen) {
        Ok(names) => names
            .iter()
            .filter_map(|n| chosen.iter().find(|s| s.name == *n).cloned())
            .collect::<Vec<_>>(),
        Err(e) => {
            out::error(&e.to_string());
            return EXIT_USAGE;
        }
    };
    // Names this `up` started, so an interruption stops exactly those.
    let started = std::cell::RefCell::new(Vec::<String>::new());
    let held = std::cell::Cell::new(false);
    let mut report = |event: Event| {
        held.set(held.get() || matches!(event, Event::Held { .. }));
        if let Event::Starting { name, .. } = &event {
            started.borrow_mut().push(name.clone());
        }
        print(event);
    };
    let mut interrupts = Interrupts::watch();
    let dir = &setup.prisma.migrations_dir;
    let probe = executor::RequireProbe::new(&ordered, &setup.envs, dir);
    let gate = Gate {
        requires: &probe,
        force: args.force,
    };
    let outcome = tokio::select! {
        r = executor::servers_up(&setup.root, &ordered, &gate, &mut report) => r,
        signal = interrupts.next() => {
            let names = started.borrow().clone();
            out::error(&format!("{}: stopping the servers this up started", signal.name));
            let _ = executor::servers_down(&setup.root, &ordered, &names, &mut print).await;
            return 128 + signal.number;
        }
    };
    match outcome {
        Ok(None) => {
            out::line(&format!("{} all {} ready", now(), ordered.len()));
            EXIT_OK
        }
        Ok(Some(name)) if held.get() => {
            out::error(&format!("{} held: its requires do not hold", clean(&name)));
            EXIT_FAILURE
        }
        Ok(Some(name)) => {
            out::error(&format!("{} failed to start", clean(&name)));
            EXIT_FAILURE
        }
        Err(e) => {
            out::error(&format!("state file: {e}"));
            EXIT_FAILURE
        }
    }
}

/// SIGINT, SIGTERM and SIGHUP, watched from [`Interrupts::watch`] on (so a signal that comes
/// while the first server starts is not missed).
pub(crate) struct Interrupts {
    int: Option<tokio::signal::unix::Signal>,
    term: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
}

impl Interrupts {
    pub(crate) fn watch() -> Interrupts {
        use tokio::signal::unix::{SignalKind, signal};
        Interrupts {
            int: signal(SignalKind::interrupt()).ok(),
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
        }
    }

    /// Resolves with the first of them to arrive; never when none could be watched.
    pub(crate) async fn next(&mut self) -> crate::model::server::StopSignal {
        use crate::model::server::StopSignal;
        let name = tokio::select! {
            Some(_) = async { self.int.as_mut()?.recv().await } => "SIGINT",
            Some(_) = async { self.term.as_mut()?.recv().await } => "SIGTERM",
            Some(_) = async { self.hup.as_mut()?.recv().await } => "SIGHUP",
            else => std::future::pending().await,
        };
        StopSignal::parse(name).unwrap_or(StopSignal::TERM)
    }
}

/// `devtop down`. Returns the exit code.
pub async fn down(setup: &Setup, args: &DownArgs) -> i32 {
    match executor::servers_down(&setup.root, &setup.config.servers, &args.only, &mut print).await {
        Ok(true) => EXIT_OK,
        Ok(false) => EXIT_FAILURE,
        Err(e) => {
            out::error(&format!("state file: {e}"));
            EXIT_FAILURE
        }
    }
}

/// Prints one event as one line (plus the log lines of a failed start, indented).
fn print(event: Event) {
    for line in lines(&event) {
        out::line(&format!("{} {}", now(), clean(&line)));
    }
}

fn pids(list: &[u32]) -> String {
    list.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of `event` (without the time).
fn lines(event: &Event) -> Vec<String> {
    let one = |s: String| vec![s];
    match event {
        Event::Dropped { name } => one(format!(
            "{name} dropped from the state file (its PID is gone or reused; nothing signalled)"
        )),
        Event::AlreadyRunning { name, pid } => one(format!("{name} already running (pid {pid})")),
        Event::Held { name, reason } => one(format!(
            "{name} held: {reason}, or run devtop up --force to start it anyway"
        )),
        Event::Forced { name, reason } => one(format!(
            "{name} requires do not hold, starting it anyway (--force): {reason}"
        )),
        Event::Starting { name, pid } => one(format!("{name} starting (pid {pid})")),
        Event::Ready { name, after, how } => one(format!(
            "{name} ready after {:.1} s ({how})",
            after.as_secs_f64()
        )),
        Event::Failed {
            name,
            reason,
            last_lines,
        } => {
            let mut v = vec![format!("{name} failed: {reason}")];
            if !last_lines.is_empty() {
                v.push(format!("{name} last {} log lines:", last_lines.len()));
                v.extend(last_lines.iter().map(|l| format!("{name} | {l}")));
            }
            v
        }
        Event::Stopping { name, pids: p } if p.is_empty() => {
            one(format!("{name} stopping (no process left)"))
        }
        Event::Stopping { name, pids: p } => one(format!("{name} stopping (pids {})", pids(p))),
        Event::Waiting { name, pids: p } => one(format!("{name} waiting for pids {}", pids(p))),
        Event::Killed { name, pids: p } => one(format!("{name} SIGKILL to pids {}", pids(p))),
        Event::Stopped { name } => one(format!("{name} stopped")),
        Event::StopFailed { name, pids: p } => one(format!(
            "{name} NOT stopped: pids {} survived SIGKILL",
            pids(p)
        )),
    }
}

/// The time of day, UTC, `HH:MM:SS`.
fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn event_lines() {
        let e = Event::Ready {
            name: "api".into(),
            after: Duration::from_millis(1234),
            how: "tcp 3010".into(),
        };
        assert_eq!(lines(&e), ["api ready after 1.2 s (tcp 3010)"]);
        let e = Event::Failed {
            name: "web".into(),
            reason: "exited with code 3 during start".into(),
            last_lines: vec!["boom".into()],
        };
        assert_eq!(
            lines(&e),
            [
                "web failed: exited with code 3 during start",
                "web last 1 log lines:",
                "web | boom"
            ]
        );
        assert_eq!(now().len(), 8);
    }
}
