//! A supervisor [`Event`] as words: the server it is about and a log line for it.

use crate::effects::servers::Event;

/// The server an event is about.
pub fn event_name(event: &Event) -> &str {
    match event {
        Event::Dropped { name }
        | Event::AlreadyRunning { name, .. }
        | Event::Held { name, .. }
        | Event::Forced { name, .. }
        | Event::Starting { name, .. }
        | Event::Ready { name, .. }
        | Event::Failed { name, .. }
        | Event::Stopping { name, .. }
        | Event::Waiting { name, .. }
        | Event::Killed { name, .. }
        | Event::Stopped { name }
        | Event::StopFailed { name, .. }
        | Event::PortTaken { name, .. }
        | Event::HolderEnded { name, .. }
        | Event::Adopted { name, .. }
        | Event::Exited { name, .. }
        | Event::Crashed { name, .. }
        | Event::Restarting { name, .. }
        | Event::GaveUp { name, .. } => name,
    }
}

/// "SIGSEGV" for 11, "signal 99" for a number without a name.
pub fn signal_name(n: i32) -> String {
    const NAMES: &[(i32, &str)] = &[
        (1, "SIGHUP"),
        (2, "SIGINT"),
        (3, "SIGQUIT"),
        (4, "SIGILL"),
        (6, "SIGABRT"),
        (7, "SIGBUS"),
        (8, "SIGFPE"),
        (9, "SIGKILL"),
        (11, "SIGSEGV"),
        (13, "SIGPIPE"),
        (15, "SIGTERM"),
    ];
    NAMES
        .iter()
        .find(|(k, _)| *k == n)
        .map_or_else(|| format!("signal {n}"), |(_, name)| (*name).to_owned())
}

/// One event as a log line: "api ready after 1.2 s (tcp 3010)" (the name raw).
pub fn event_text(event: &Event) -> String {
    let pids = |p: &[u32]| p.iter().map(u32::to_string).collect::<Vec<_>>().join(" ");
    let name = event_name(event);
    match event {
        Event::Dropped { .. } => format!("{name}: stale state entry dropped (not signalled)"),
        Event::AlreadyRunning { pid, .. } => format!("{name} already running (PID {pid})"),
        Event::Held { reason, .. } => format!("{name} held: {reason}"),
        Event::Forced { reason, .. } => format!("{name} started anyway: {reason}"),
        Event::Starting { pid, .. } => format!("{name} starting (PID {pid})"),
        Event::Ready { after, how, .. } => {
            format!("{name} ready after {:.1} s ({how})", after.as_secs_f64())
        }
        Event::Failed { reason, .. } => format!("{name} failed: {reason}"),
        Event::Stopping { pids: p, .. } => format!("{name} stopping (PIDs {})", pids(p)),
        Event::Waiting { pids: p, .. } => format!("{name} waiting for PIDs {}", pids(p)),
        Event::Killed { pids: p, .. } => format!("{name} SIGKILL to PIDs {}", pids(p)),
        Event::Stopped { .. } => format!("{name} stopped"),
        Event::StopFailed { pids: p, .. } => format!("{name}: PIDs {} survived SIGKILL", pids(p)),
        Event::PortTaken { port, holder, .. } => match holder {
            Some(h) => format!("{name}: port {port} is taken by {}", h.describe()),
            None => format!("{name}: port {port} is taken (holder not visible)"),
        },
        Event::HolderEnded { port, pids: p, .. } => {
            format!("{name}: ended the holder of port {port} (PIDs {})", pids(p))
        }
        Event::Adopted { pid, .. } => format!("{name} adopted (PID {pid}, started outside devtop)"),
        Event::Exited { code: Some(c), .. } => format!("{name} exited with code {c}"),
        Event::Exited { code: None, .. } => format!("{name} exited"),
        Event::Crashed { signal, .. } => format!("{name} killed by {}", signal_name(*signal)),
        Event::Restarting {
            after,
            attempt,
            give_up_after,
            ..
        } => format!(
            "{name} restarting in {} (attempt {attempt} of {})",
            humantime::format_duration(*after),
            give_up_after.saturating_sub(1)
        ),
        Event::GaveUp { failures, .. } => {
            format!("{name}: gave up after {failures} failures in a row")
        }
    }
}
