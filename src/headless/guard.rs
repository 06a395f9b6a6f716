//! `devtop guard`: the memory guard without the dashboard — the same collectors, the same
//! decisions ([`crate::app::guard::GuardState`] over [`crate::model::guard::decide`]) and the
//! same safe kill, every line on stdout with a UTC time stamp (for a terminal tab or a
//! systemd user service's journal). `--print-unit` prints such a service. SIGTERM, SIGINT and
//! SIGHUP end it cleanly (exit 0) after a kill in flight finished.

use crate::app::executor;
use crate::app::guard::{GuardEffect, GuardState};
use crate::collect::tasks;
use crate::effects::signal::{self, KillOutcome};
use crate::model::kill_plan::PlannedKill;
use crate::model::memory::format_bytes;
use crate::setup::{EXIT_FAILURE, EXIT_OK, Setup};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// A finished guard kill: the plan and the outcome per PID.
type KillDone = (Vec<PlannedKill>, Vec<(u32, KillOutcome)>);

/// `YYYY-MM-DD HH:MM:SSZ` (UTC) of `t`.
pub fn stamp(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}:{:02}Z",
        crate::model::migrations::date_utc(ms),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// One output line: time, level, text.
fn say(level: log::Level, text: &str) {
    crate::headless::out::line(&format!(
        "{} {:<5} {text}",
        stamp(SystemTime::now()),
        level.as_str()
    ));
}

/// A systemd unit path argument: quoted when it holds a space, `%` doubled (systemd's
/// specifier escape), `"` and `\` escaped.
fn unit_arg(s: &str) -> String {
    let s = s.replace('%', "%%");
    if s.chars()
        .any(|c| c.is_whitespace() || c == '"' || c == '\\')
    {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        s
    }
}

/// The systemd user service that runs `exe guard` for the project at `root` (install it with
/// `devtop guard --print-unit > ~/.config/systemd/user/devtop-guard.service`, then
/// `systemctl --user enable --now devtop-guard`).
pub fn unit(exe: &Path, root: &Path, config: Option<&Path>, auto: bool) -> String {
    let mut exec = format!(
        "{} guard --project {}",
        unit_arg(&exe.to_string_lossy()),
        unit_arg(&root.to_string_lossy())
    );
    if let Some(c) = config {
        exec.push_str(&format!(" --config {}", unit_arg(&c.to_string_lossy())));
    }
    if auto {
        exec.push_str(" --auto");
    }
    format!(
        "# devtop memory guard for {root}\n\
         # Install: devtop guard --print-unit > ~/.config/systemd/user/devtop-guard.service\n\
         #          systemctl --user daemon-reload && systemctl --user enable --now devtop-guard\n\
         # Follow:  journalctl --user -u devtop-guard -f\n\
         [Unit]\n\
         Description=devtop memory guard ({root})\n\
         \n\
         [Service]\n\
         Type=simple\n\
         ExecStart={exec}\n\
         Restart=on-failure\n\
         RestartSec=5\n\
         KillSignal=SIGTERM\n\
         TimeoutStopSec=15\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        root = root.display()
    )
}

/// `devtop guard --print-unit`.
pub fn print_unit(setup: &Setup, config: Option<&Path>, auto: bool) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            crate::headless::out::error(&format!("cannot find devtop's own path: {e}"));
            return EXIT_FAILURE;
        }
    };
    let config = config.map(|c| std::env::current_dir().map_or(c.to_owned(), |d| d.join(c)));
    crate::headless::out::exact(&unit(&exe, &setup.root, config.as_deref(), auto));
    EXIT_OK
}

/// Run the guard until SIGTERM, SIGINT or SIGHUP. `auto` (from `--auto`, else `[guard] auto`)
/// lets it end dev-tool suspects by itself; without it, it alerts (log line, desktop
/// notification) and never kills.
pub async fn run(setup: &Setup, auto: bool) -> i32 {
    let mut rules = setup.config.guard.clone();
    rules.auto |= auto;
    let (mut term, mut int, mut hup) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) {
        (Ok(t), Ok(i), Ok(h)) => (t, i, h),
        _ => {
            crate::headless::out::error("cannot install signal handlers");
            return EXIT_FAILURE;
        }
    };
    let cancel = CancellationToken::new();
    let _stop = cancel.clone().drop_guard();
    // The servers devtop started and the kernel's OOM kills are read by the memory collector
    // beside each reading.
    let oom = crate::collect::oom::OomWatch::system();
    let kmsg_error = oom.kmsg_error.clone();
    let mut c = match tasks::spawn_with(
        setup.selection.clone(),
        setup.config.memory.clone(),
        setup.config.refresh,
        Some(tasks::GuardFeed::new(setup.root.clone(), oom)),
        cancel.clone(),
    ) {
        Ok(c) => c,
        Err(e) => {
            crate::headless::out::error(&format!("cannot read processes: {e}"));
            return EXIT_FAILURE;
        }
    };
    let me = signal::protected();
    say(
        log::Level::Info,
        &format!(
            "devtop guard: watching {} (scope {}, every {}) — critical at PSI full avg10 ≥ {}% for {}s, MemAvailable < {}, cgroup headroom < {}%; {}",
            setup.root.display(),
            setup.selection.scope.label(),
            humantime::format_duration(setup.config.refresh),
            rules.psi_full_avg10,
            rules.psi_for_s,
            format_bytes(rules.min_available_bytes),
            rules.min_headroom_percent,
            if rules.auto {
                format!(
                    "auto: ends dev-tool suspects one at a time, {}s apart",
                    rules.cooldown_s
                )
            } else {
                "alert only (auto = false)".to_owned()
            }
        ),
    );
    let grace = setup.config.grace;
    let mut guard = GuardState::new(rules);
    let (ktx, mut krx) = tokio::sync::mpsc::unbounded_channel::<KillDone>();
    if let Some(why) = &kmsg_error {
        say(
            log::Level::Info,
            &format!(
                "kernel log not readable ({why}): OOM kills are told from the cgroup counter only"
            ),
        );
    }
    let mut first = true;
    let mut stop: Option<&str> = None;
    loop {
        tokio::select! {
            _ = term.recv() => stop = Some("SIGTERM"),
            _ = int.recv() => stop = Some("SIGINT"),
            _ = hup.recv() => stop = Some("SIGHUP"),
            r = c.memory.changed() => {
                if r.is_err() {
                    crate::headless::out::error("the collectors stopped unexpectedly");
                    return EXIT_FAILURE;
                }
                let view = c.memory.borrow_and_update().clone();
                let Some(mem) = view.snapshot.as_ref() else {
                    if let Some(e) = &view.error {
                        say(log::Level::Warn, &format!("memory unreadable: {e}"));
                    }
                    continue;
                };
                let snap = c.processes.borrow().clone();
                if let Some(readings) = &view.guard {
                    guard.take_readings(readings);
                }
                let effects = guard.observe(view.t_s, mem, &snap, &me);
                let deaths = std::mem::take(&mut guard.new_deaths);
                if let Err(e) = crate::effects::deaths::append(&setup.root, &deaths) {
                    say(log::Level::Warn, &format!("cannot record post-mortems in .devtop/deaths.json: {e}"));
                }
                if first {
                    first = false;
                    if let Some(d) = &guard.decision {
                        say(log::Level::Info, &format!("first reading: {}", d.evidence.numbers()));
                    }
                }
                for e in effects {
                    carry_out(e, grace, &ktx);
                }
            }
            Some((plan, outcomes)) = krx.recv() => {
                for (pid, o) in &outcomes {
                    let level = if o.ended() { log::Level::Info } else { log::Level::Warn };
                    say(level, &format!("PID {pid}: {o}"));
                }
                for e in guard.record_kill(&plan, &outcomes) {
                    carry_out(e, grace, &ktx);
                }
                if let Some(why) = stop {
                    say(log::Level::Info, &format!("devtop guard: stopped ({why})"));
                    return EXIT_OK;
                }
            }
        }
        if let Some(why) = stop {
            if guard.in_flight.is_some() {
                // Let the kill in flight report its outcome first (bounded by its grace).
                continue;
            }
            say(log::Level::Info, &format!("devtop guard: stopped ({why})"));
            return EXIT_OK;
        }
    }
}

/// Do what the guard asked: print, notify, or start the kill (its outcome comes back on `ktx`).
fn carry_out(
    e: GuardEffect,
    grace: std::time::Duration,
    ktx: &tokio::sync::mpsc::UnboundedSender<KillDone>,
) {
    match e {
        GuardEffect::Log(level, text) => say(level, &text),
        GuardEffect::Alert {
            summary,
            body,
            notify,
        } => {
            if notify {
                tokio::spawn(async move {
                    match crate::effects::alert::notify(&summary, &body).await {
                        Ok(_) => {}
                        Err(e) => say(
                            log::Level::Warn,
                            &format!("desktop notification failed: {e}"),
                        ),
                    }
                });
            }
        }
        GuardEffect::Kill(plan) => {
            let tx = ktx.clone();
            tokio::spawn(async move {
                let outcomes = executor::kill(&plan, grace).await;
                let _ = tx.send((plan, outcomes));
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        assert_eq!(stamp(t), "2026-11-18 11:06:40Z");
    }

    #[test]
    fn the_unit_runs_the_guard_for_the_project() {
        let u = unit(
            Path::new("/home/dev/.cargo/bin/devtop"),
            Path::new("/home/dev/my app"),
            None,
            true,
        );
        assert!(
            u.contains("ExecStart=/home/dev/.cargo/bin/devtop guard --project \"/home/dev/my app\" --auto\n"),
            "{u}"
        );
        assert!(u.contains("[Install]\nWantedBy=default.target\n"));
        assert!(u.contains("KillSignal=SIGTERM"));
        assert_eq!(unit_arg("50%"), "50%%");
    }
}
