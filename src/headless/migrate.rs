//! `devtop migrate [--env NAME] [--yes]`: the guarded migrate (issue 11) on stdout; the flow
//! is [`crate::effects::migrate::guarded`] (shared with the TUI's `m`). In order: refuse while
//! another migrate or schema-engine runs for the same database on this machine, or the
//! target's migrate lock is held (naming the PID / session); the preflight gate (fail: stop
//! and say why; warn: `--yes`, or a question on a terminal); production (`production`, `prod`,
//! `live`) also asks to type its name unless `--yes`; the configured command (`[prisma]
//! migrate`, default `npx prisma migrate deploy`) as a supervised child with the target's URL
//! in the datasource's variable, its output streamed to stdout (indented, redacted); the
//! watchdog (`[migrate] hang_after`) ends a hung run's whole group; then the target's
//! migration status is re-read and what changed is printed, with the result, the duration and
//! whether any process of the run is left.
//!
//! Exit 0 only when the command succeeded and the target has no pending or failed migration;
//! 1 otherwise (refused, gate failed or not confirmed, command failed or hung); 2 for a usage
//! or configuration error (unknown environment, no usable URL).

use crate::effects::migrate::gate::GateVerdict;
use crate::effects::migrate::guarded::{self, Event, Stop};
use crate::headless::out;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Setup};
use std::io::IsTerminal;

/// `devtop migrate` options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Target environment (default `local`).
    pub env: Option<String>,
    /// Go on after gate warnings (and for production) without asking.
    pub yes: bool,
}

pub use crate::effects::migrate::guarded::is_production;

fn print(e: Event) {
    match e {
        Event::Info(l) | Event::Warn(l) | Event::Hung(l) => out::line(&l),
        Event::Output(l) => out::line(&format!("  {l}")),
    }
}

/// Run it; returns the exit code.
pub async fn run(setup: &Setup, opts: &Options) -> i32 {
    let name = opts.env.as_deref().unwrap_or("local");
    let mut report = print;
    let prepared = match guarded::prepare(setup, name, &mut report).await {
        Ok(p) => p,
        Err(Stop::Usage(why)) => {
            out::error(&why);
            return EXIT_USAGE;
        }
        Err(Stop::Refused | Stop::GateFailed) => return EXIT_FAILURE,
    };
    if prepared.gate.verdict == GateVerdict::Warn
        && !opts.yes
        && !ask("continue despite the warnings? [y/N] ", "y")
    {
        out::line("not migrating (pass --yes to go on despite the warnings)");
        return EXIT_FAILURE;
    }
    if is_production(name) && !opts.yes && !ask(&format!("type {name} to migrate it: "), name) {
        out::line(&format!(
            "not migrating {name} (type its name, or pass --yes)"
        ));
        return EXIT_FAILURE;
    }
    // A signal must not cut the migration in the middle (Prisma would record it failed,
    // P3009): the first SIGINT/SIGTERM/SIGHUP waits for the run, a second ends its group.
    let (end_tx, end_rx) = tokio::sync::watch::channel(false);
    let mut signals = crate::headless::interrupts::Interrupts::watch();
    let guard = async move {
        let first = signals.next().await;
        out::line(&format!(
            "devtop: {} — the migration is running; waiting for it to end so it is not cut \
             in the middle (send it again to end it now)",
            first.name
        ));
        let second = signals.next().await;
        out::line(&format!(
            "devtop: {} — ending the migrate (SIGTERM, then SIGKILL after the grace); check \
             `prisma migrate status` before the next deploy",
            second.name
        ));
        let _ = end_tx.send(true);
        std::future::pending::<()>().await;
    };
    let run = guarded::execute(setup, &prepared, true, Some(end_rx), &mut report);
    let done = tokio::select! {
        d = run => d,
        () = guard => unreachable!("the signal watcher never ends"),
    };
    if done.ok() { EXIT_OK } else { EXIT_FAILURE }
}

/// Ask on the terminal; true when the answer is `expect` (`y`: also `yes`, any case). False
/// when stdin is not a terminal.
fn ask(question: &str, expect: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    out::prompt(question);
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    let a = answer.trim();
    if expect == "y" {
        a.eq_ignore_ascii_case("y") || a.eq_ignore_ascii_case("yes")
    } else {
        a == expect
    }
}
