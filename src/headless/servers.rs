//! `devtop up` and `devtop down`: the dev-server supervisor ([`crate::effects::servers`],
//! through the effects executor) with each step printed as one line, `HH:MM:SS <server>
//! <what>` (UTC time of day):
//!
//! ```text
//! 12:00:01 api starting (pid 4242)
//! 12:00:02 api ready after 1.2 s (tcp 3010)
//! api | listening on 3010
//! 12:00:07 api exited with code 1
//! 12:00:07 api restarting in 1 s (attempt 1 of 4)
//! 12:00:09 web stopping (pids 4250 4251)
//! 12:00:10 web waiting for pids 4251
//! ```
//!
//! `up` takes the lock of the state file first ([`crate::effects::servers::lock`]; waits up
//! to 2 s, then exits 1 naming the devtop holding it). Then it starts the servers in order.
//! A server that fails or is held by its `requires` (`api held: local has 1 pending migration
//! (X) — apply it, or run devtop up --force …`; with `--force` a warning and it starts) ends
//! it with exit 1, after stopping what it started. A port that is taken names its holder and
//! fails the start, unless `--adopt` (the holder runs the server's command in its cwd: it is
//! recorded as `adopted`) or `--end-holder` (the holder is ended with the safe kill first).
//! Exit 2 for an unknown `--only` name or no `[[server]]` configured.
//!
//! - `up --wait` exits 0 once every server is ready, leaving them running.
//! - `up` stays in the foreground (as `docker compose up`): every server's new log lines are
//!   printed as `name | line` (sanitised, secrets redacted), `restart = "on-failure"` servers
//!   are restarted with back-off ([`crate::model::server_restart`]), logs are rotated
//!   ([`crate::effects::servers::rotate`]). On SIGINT (Ctrl-C), SIGTERM or SIGHUP it stops the
//!   servers it started, in reverse order, and exits 128 + the signal number (servers it did
//!   not start — recorded by an earlier `up` or adopted — are left running and named). When
//!   every server has exited for good it exits 0 if all exited with code 0, else 1.
//!
//! Interrupted while starting (either mode), it stops the servers it started and exits
//! 128 + the signal number. `down` ([`super::servers_down`]) takes the same lock, then exits
//! 0 when every process of every stopped server ended, 1 otherwise.

use crate::app::executor;
use crate::cli::UpArgs;
use crate::collect::log_follow::{LogFollower, Start};
use crate::effects::servers::Event;
use crate::effects::servers::lock;
use crate::effects::servers::port_conflict::{Always, PortDecision};
use crate::effects::servers::spawn::log_path;
use crate::effects::servers::supervise::Supervisor;
use crate::effects::servers::up::{Gate, Launched};
use crate::headless::interrupts::Interrupts;
use crate::headless::out;
use crate::model::server::ServerSpec;
use crate::model::server_order::{start_order, with_dependencies};
use crate::model::server_restart::Backoff;
use crate::sanitize::clean;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Setup};
use std::cell::{Cell, RefCell};
use std::time::Duration;

pub use super::servers_down::down;

/// How long `up` and `down` wait for the state-file lock held by another devtop.
pub(super) const LOCK_WAIT: Duration = Duration::from_secs(2);
/// How often the foreground `up` prints new log lines.
const FOLLOW_EVERY: Duration = Duration::from_millis(100);
/// Environment variable scaling the restart back-off down, in milliseconds for the first
/// wait (tests only; the product uses [`Backoff::DEFAULT`]).
const BACKOFF_ENV: &str = "DEVTOP_TEST_RESTART_BASE_MS";

/// `devtop up`. Returns the exit code.
pub async fn up(setup: &Setup, args: &UpArgs) -> i32 {
    let Some(ordered) = chosen(setup, &args.only) else {
        return EXIT_USAGE;
    };
    let lock = match lock::acquire(&setup.root, "up", LOCK_WAIT).await {
        Ok(l) => l,
        Err(e) => {
            out::error(&e.to_string());
            return EXIT_FAILURE;
        }
    };
    if !args.wait {
        // A closed stdout must not end the supervisor and leave its servers unsupervised.
        out::keep_going_when_closed();
    }
    let mut follower = (!args.wait).then(|| {
        LogFollower::new(
            ordered
                .iter()
                .map(|s| (s.name.clone(), log_path(&setup.root, &s.name))),
            Start::End,
            setup.config.server_log_lines,
        )
    });
    let width = ordered
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    // Names this `up` started, so an interruption stops exactly those.
    let started = RefCell::new(Vec::<String>::new());
    let held = Cell::new(false);
    let port_taken = Cell::new(false);
    let mut report = |event: Event| {
        held.set(held.get() || matches!(event, Event::Held { .. }));
        port_taken.set(port_taken.get() || matches!(event, Event::PortTaken { .. }));
        if let Event::Starting { name, .. } = &event {
            started.borrow_mut().push(name.clone());
        }
        print(event);
    };
    let mut interrupts = Interrupts::watch();
    let dir = &setup.prisma.migrations_dir;
    let probe = executor::RequireProbe::new(&ordered, &setup.envs, dir);
    let decision = match (args.adopt, args.end_holder) {
        (true, _) => PortDecision::Adopt,
        (_, true) => PortDecision::EndHolder,
        _ => PortDecision::Cancel,
    };
    let conflicts = Always(decision);
    let gate = Gate {
        requires: &probe,
        force: args.force,
        conflicts: &conflicts,
        keep_going: false,
    };
    let mut tick = tokio::time::interval(FOLLOW_EVERY);
    let start = executor::servers_start(&setup.root, &lock, &ordered, &gate, &mut report);
    tokio::pin!(start);
    let outcome = loop {
        tokio::select! {
            r = &mut start => break r,
            _ = tick.tick(), if follower.is_some() => {
                if let Some(f) = follower.as_mut() {
                    print_logs(f, width);
                }
            }
            signal = interrupts.next() => {
                let names = started.borrow().clone();
                out::error(&format!("{}: stopping the servers this up started", signal.name));
                // Only what this `up` started: none when nothing started yet.
                let root = &setup.root;
                let _ = executor::servers_down(root, &lock, &ordered, Some(&names), &mut print).await;
                return 128 + signal.number;
            }
        }
    };
    match outcome {
        Ok(Launched {
            failed: None,
            running,
        }) => {
            out::line(&format!("{} all {} ready", now(), ordered.len()));
            let Some(mut follower) = follower else {
                return EXIT_OK;
            };
            let started = started.borrow().clone();
            let mut sup = Supervisor::new(
                &setup.root,
                &lock,
                &ordered,
                &executor::ListeningPorts,
                backoff(),
                crate::effects::servers::rotate::limit(),
            );
            for r in running {
                let ours = started.contains(&r.record.name);
                sup.add(r, ours);
            }
            supervise(&mut sup, &mut follower, &mut interrupts, width).await
        }
        Ok(Launched {
            failed: Some(name), ..
        }) if held.get() => {
            out::error(&format!("{} held: its requires do not hold", clean(&name)));
            EXIT_FAILURE
        }
        Ok(Launched {
            failed: Some(name), ..
        }) => {
            out::error(&format!("{} failed to start", clean(&name)));
            if port_taken.get() && decision == PortDecision::Cancel {
                out::error(
                    "a port is taken: run devtop up --adopt to adopt a holder that runs the \
                     server's command in its cwd, or --end-holder to end the holder",
                );
            }
            EXIT_FAILURE
        }
        Err(e) => {
            out::error(&format!("state file: {e}"));
            EXIT_FAILURE
        }
    }
}

/// The foreground part of `up`: supervise until every server exited for good or a signal
/// comes, printing logs meanwhile. Returns the exit code.
async fn supervise(
    sup: &mut Supervisor<'_>,
    follower: &mut LogFollower,
    interrupts: &mut Interrupts,
    width: usize,
) -> i32 {
    out::line(&format!(
        "{} supervising; Ctrl-C stops the servers this up started",
        now()
    ));
    let failed = Cell::new(false);
    let mut report = |event: Event| {
        let bad = matches!(
            event,
            Event::Crashed { .. } | Event::GaveUp { .. } | Event::Failed { .. }
        ) || matches!(event, Event::Exited { code, .. } if code != Some(0));
        failed.set(failed.get() || bad);
        print(event);
    };
    let mut tick = tokio::time::interval(FOLLOW_EVERY);
    let signal = {
        let run = sup.run(&mut report);
        tokio::pin!(run);
        loop {
            tokio::select! {
                () = &mut run => break None,
                _ = tick.tick() => print_logs(follower, width),
                s = interrupts.next() => break Some(s),
            }
        }
    };
    print_logs(follower, width);
    let Some(signal) = signal else {
        out::line(&format!("{} every server has exited", now()));
        return if failed.get() { EXIT_FAILURE } else { EXIT_OK };
    };
    out::error(&format!(
        "{}: stopping the servers this up started",
        signal.name
    ));
    let (left, _all) = sup.stop_all(&mut print).await;
    print_logs(follower, width);
    if !left.is_empty() {
        let names: Vec<_> = left.iter().map(|n| clean(n).into_owned()).collect();
        out::line(&format!(
            "{} left running (not started by this up): {}",
            now(),
            names.join(" ")
        ));
    }
    128 + signal.number
}

/// The restart back-off: [`Backoff::DEFAULT`], or scaled down for tests by
/// `DEVTOP_TEST_RESTART_BASE_MS` (first wait in ms; the cap and the reset scale with it).
pub(crate) fn backoff() -> Backoff {
    let Some(ms) = std::env::var(BACKOFF_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return Backoff::DEFAULT;
    };
    let base = Duration::from_millis(ms.max(1));
    Backoff {
        base,
        max: base * 30,
        reset_after: base * 10,
        ..Backoff::DEFAULT
    }
}

/// Prints the new log lines of every server as `name | line` (made safe by the follower; at
/// most `server_log_lines` per server per poll, the rest counted in "… N lines skipped"),
/// through [`out::text`], in one write.
fn print_logs(follower: &mut LogFollower, width: usize) {
    let mut lines = Vec::new();
    follower.poll(&mut lines);
    let mut text = String::new();
    for l in &lines {
        text.push_str(&format!("{:<width$} | {}\n", clean(&l.server), l.text));
    }
    if !text.is_empty() {
        out::text(&text);
    }
}

/// The `--only` selection with its dependencies, in start order; `None` (after the message)
/// for an unknown name, a cycle, or no server configured.
fn chosen(setup: &Setup, only: &[String]) -> Option<Vec<ServerSpec>> {
    let all = &setup.config.servers;
    if all.is_empty() {
        out::error("no [[server]] is configured in devtop.toml");
        return None;
    }
    let chosen = match with_dependencies(all, only) {
        Ok(c) => c,
        Err(name) => {
            out::error(&format!("--only {name}: no server has this name"));
            return None;
        }
    };
    let chosen: Vec<_> = chosen.into_iter().cloned().collect();
    match start_order(&chosen) {
        Ok(names) => Some(
            names
                .iter()
                .filter_map(|n| chosen.iter().find(|s| s.name == *n).cloned())
                .collect(),
        ),
        Err(e) => {
            out::error(&e.to_string());
            None
        }
    }
}

/// Prints one event as one line (plus the log lines of a failed start, indented).
pub(super) fn print(event: Event) {
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
                v.push(match last_lines.len() {
                    1 => format!("{name} last log line:"),
                    n => format!("{name} last {n} log lines:"),
                });
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
        Event::PortTaken {
            name,
            port,
            holder: Some(h),
        } => one(format!(
            "{name} port {port} is taken by {}{}",
            h.describe(),
            if h.same_server.is_some() {
                " — it runs this server's command in its cwd (adoptable)"
            } else {
                ""
            }
        )),
        Event::PortTaken {
            name,
            port,
            holder: None,
        } => one(format!(
            "{name} port {port} is taken (holder not visible: another user's process?)"
        )),
        Event::HolderEnded {
            name,
            port,
            pids: p,
        } => one(format!(
            "{name} ended the holder of port {port} (pids {})",
            pids(p)
        )),
        Event::Adopted { name, pid } => one(format!("{name} adopted (pid {pid})")),
        Event::Exited {
            name,
            code: Some(c),
        } => one(format!("{name} exited with code {c}")),
        Event::Exited { name, code: None } => one(format!(
            "{name} exited (code unknown: not started by this up)"
        )),
        Event::Crashed { name, signal } => {
            one(format!("{name} crashed: killed by signal {signal}"))
        }
        Event::Restarting {
            name,
            after,
            attempt,
            give_up_after,
        } => one(format!(
            "{name} restarting in {} (attempt {attempt} of {})",
            humantime::format_duration(*after),
            give_up_after.saturating_sub(1)
        )),
        Event::GaveUp { name, failures } => one(format!(
            "{name} gave up after {failures} failures in a row (restart = \"on-failure\")"
        )),
    }
}

/// The time of day, UTC, `HH:MM:SS`.
pub(super) fn now() -> String {
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
                "web last log line:",
                "web | boom"
            ]
        );
        assert_eq!(now().len(), 8);
    }
}
