//! The Servers screen's keys and results: `u`, `d`, `r`, Enter, `f`, the quit question, and
//! the supervisor's events, op results, polls and log lines as they come back. Part of
//! `update`: state in, commands out, no I/O.

use crate::app::confirm::{self, ConfirmAction};
use crate::app::keymap::{Context, Intent};
use crate::app::servers::{Busy, OpOutcome, Phase, ServerOp, ServersPoll, event_text};
use crate::app::state::{AppState, LogSource, Popup, View};
use crate::app::update::Command;
use crate::collect::log_follow::ServerLine;
use crate::effects::servers::Event;
use crate::sanitize::clean;
use std::time::SystemTime;

/// Show the Servers screen with its first pane focused.
fn show_servers(state: &mut AppState) {
    state.view = View::Servers;
    state.focus = crate::app::panes::screen(View::Servers).panes[0];
}

/// `u`: start every server in order (forced after a hold). Acts from any screen and shows
/// the Servers screen, where the progress is.
pub fn up(state: &mut AppState) -> Vec<Command> {
    if state.servers.rows.is_empty() {
        state.warn("no [[server]] in devtop.toml (see the README: dev servers)");
        return vec![];
    }
    show_servers(state);
    match state.servers.busy {
        Some(Busy::Starting | Busy::Restarting) => {
            let d = state.keys.first_key(Intent::ServersDown);
            state.notify(format!("starting already; {d} stops"));
            return vec![];
        }
        Some(Busy::Stopping) => {
            let u = state.keys.first_key(Intent::ServersUp);
            state.warn(format!("stopping under way: press {u} once it is done"));
            return vec![];
        }
        None => {}
    }
    let force = std::mem::take(&mut state.servers.force_next);
    state.servers.busy = Some(Busy::Starting);
    state.notify(if force {
        "starting the servers (held ones anyway)…"
    } else {
        "starting the servers in order…"
    });
    vec![Command::Servers(ServerOp::Up { force })]
}

/// `d`: stop every running server in reverse order (interrupting a start under way).
pub fn down(state: &mut AppState) -> Vec<Command> {
    if state.servers.rows.is_empty() {
        state.warn("no [[server]] in devtop.toml (see the README: dev servers)");
        return vec![];
    }
    show_servers(state);
    if state.servers.busy == Some(Busy::Stopping) {
        state.notify("stopping already");
        return vec![];
    }
    let running = state.servers.rows.iter().any(|r| r.phase.running())
        || !state.servers.poll.running.is_empty();
    if !running && state.servers.busy.is_none() {
        state.notify("no server is running");
        return vec![];
    }
    state.servers.busy = Some(Busy::Stopping);
    state.servers.force_next = false;
    state.notify("stopping the servers in reverse order…");
    vec![Command::Servers(ServerOp::Down { only: None })]
}

/// `r`: restart the selected server; with servers depending on it, ask first: yes restarts
/// them with it, `n` only it, Esc nothing.
pub fn restart(state: &mut AppState) -> Vec<Command> {
    let Some(row) = state.servers.selected_row() else {
        state.warn("no [[server]] in devtop.toml (see the README: dev servers)");
        return vec![];
    };
    if state.servers.busy.is_some() {
        let d = state.keys.first_key(Intent::ServersDown);
        state.warn(format!(
            "wait until the start or stop under way is done ({d} stops)"
        ));
        return vec![];
    }
    let name = row.name.clone();
    let dependents = state.servers.dependents(&name);
    if dependents.is_empty() {
        return restart_now(state, vec![name]);
    }
    let title = format!(
        "Restart {}: also what depends on it ({})?",
        clean(&name),
        clean(&dependents.join(", "))
    );
    let mut names = vec![name];
    names.extend(dependents);
    confirm::ask(state, title, ConfirmAction::RestartServers(names));
    vec![]
}

/// The restart itself (confirmed, or without dependents).
pub fn restart_now(state: &mut AppState, names: Vec<String>) -> Vec<Command> {
    state.servers.busy = Some(Busy::Restarting);
    state.notify(format!("restarting {}…", clean(&names.join(", "))));
    vec![Command::Servers(ServerOp::Restart { names })]
}

/// Whether servers this devtop started may run: some row says so, or an op is under way (a
/// start may have launched servers whose events are not applied yet).
pub fn ours_may_run(state: &AppState) -> bool {
    state.servers.busy.is_some() || !state.servers.ours_running().is_empty()
}

/// Quit: while a migrate runs, ask to quit when it ends (a second quit then asks to end it
/// now); then ask first when servers this devtop started may still run (unless `--keep`).
pub fn quit(state: &mut AppState) {
    if let Some(env) = state.migrating.clone() {
        if state.quit_after_migrate {
            let why = format!(
                "You asked to quit while the migrate of {env} runs. Ending it now cuts the \
                 migration in the middle: check `prisma migrate status` before the next deploy."
            );
            confirm::ask(
                state,
                format!("End the migrate of {env} now?"),
                ConfirmAction::EndMigrate(env, why),
            );
        } else {
            confirm::ask(
                state,
                format!("A migrate of {env} runs: quit when it ends?"),
                ConfirmAction::QuitMigrating(env),
            );
        }
        return;
    }
    if !ours_may_run(state) || state.keep_servers {
        state.quit = true;
        return;
    }
    let ours = state.servers.ours_running();
    let title = if ours.is_empty() {
        "a server start or stop is under way: what it started is this devtop's".to_owned()
    } else {
        format!(
            "{} server(s) started here still run: {}",
            ours.len(),
            clean(&ours.join(", "))
        )
    };
    confirm::ask(state, title, ConfirmAction::QuitServers(ours));
}

/// The quit question's default: stop what this devtop started (the worker knows, also for a
/// start under way), then quit. `_names` are the ones the question showed.
pub fn stop_and_quit(state: &mut AppState, _names: Vec<String>) -> Vec<Command> {
    state.servers.quit_after_stop = true;
    state.servers.busy = Some(Busy::Stopping);
    show_servers(state);
    state.notify("stopping the servers, then quitting…");
    vec![Command::Servers(ServerOp::StopOurs)]
}

/// The quit question's `l`: leave them running (they stay recorded in
/// `.devtop/state.json`; `devtop down` or another devtop stops them) and quit.
pub fn leave_and_quit(state: &mut AppState) -> Vec<Command> {
    let Some(Popup::Confirm(c)) = &state.popup else {
        return vec![];
    };
    let ConfirmAction::QuitServers(names) = &c.action else {
        return vec![];
    };
    let text = format!(
        "left running (recorded in .devtop/state.json): {}",
        names.join(", ")
    );
    state.popup = None;
    state.quit = true;
    state.servers.leave_running = true;
    vec![Command::Log(log::Level::Info, text)]
}

/// Enter on the Servers screen: the selected server's details and log.
pub fn details(state: &mut AppState) {
    if let Some(row) = state.servers.selected_row() {
        state.popup = Some(Popup::ServerDetails {
            name: row.name.clone(),
            scroll: 0,
        });
    }
}

/// `f`: the next log source of the current screen's Logs pane: devtop → all servers → each
/// server → devtop.
pub fn next_log_source(state: &mut AppState) {
    let names: Vec<String> = state.servers.rows.iter().map(|r| r.name.clone()).collect();
    let on_servers = state.view == View::Servers;
    let current = if on_servers {
        &state.server_log_source
    } else {
        &state.log_source
    };
    let next = match current {
        _ if names.is_empty() => LogSource::Devtop,
        LogSource::Devtop => LogSource::AllServers,
        LogSource::AllServers => LogSource::Server(names[0].clone()),
        LogSource::Server(n) => match names.iter().position(|x| x == n) {
            Some(i) if i + 1 < names.len() => LogSource::Server(names[i + 1].clone()),
            _ => LogSource::Devtop,
        },
    };
    if names.is_empty() {
        state.notify("no [[server]] configured: the Logs pane shows devtop's messages");
    }
    state.server_log_scroll = 0;
    if on_servers {
        state.server_log_source = next;
    } else {
        state.log_source = next;
    }
}

/// Up/down/pages in the server details popup or a server-log Logs pane: scroll by `delta`
/// lines (positive: towards the newest).
pub fn scroll_server_log(state: &mut AppState, delta: isize) {
    let total = |name: Option<&str>| match name {
        Some(n) => state.servers.logs.len_of(n),
        None => state.servers.logs.total(),
    };
    if let Some(Popup::ServerDetails { name, scroll }) = &state.popup {
        let max = total(Some(name)).saturating_sub(1);
        let next = scroll.saturating_add_signed(-delta).min(max);
        let name = name.clone();
        state.popup = Some(Popup::ServerDetails { name, scroll: next });
        return;
    }
    let max = match state.logs_shown() {
        LogSource::Server(n) => total(Some(n)),
        _ => total(None),
    }
    .saturating_sub(1);
    state.server_log_scroll = state
        .server_log_scroll
        .saturating_add_signed(-delta)
        .min(max);
}

/// A supervisor event: the row moves, and one log line says what happened.
pub fn on_event(state: &mut AppState, event: Event, at: SystemTime) -> Vec<Command> {
    state.servers.apply_event(&event, at);
    let level = match &event {
        Event::Failed { .. } | Event::StopFailed { .. } => log::Level::Warn,
        Event::Held { .. } | Event::Forced { .. } | Event::Killed { .. } => log::Level::Warn,
        _ => log::Level::Info,
    };
    let mut cmds = vec![Command::Log(level, event_text(&event))];
    if let Event::Failed {
        name, last_lines, ..
    } = &event
    {
        for l in last_lines {
            cmds.push(Command::Log(log::Level::Warn, format!("{name} | {l}")));
        }
    }
    cmds
}

/// An op ended: clear the busy mark (when it is still this op's), say how it went, and quit
/// after the quit question's stop.
pub fn on_done(state: &mut AppState, op: ServerOp, outcome: OpOutcome) -> Vec<Command> {
    let kind = match op {
        ServerOp::Up { .. } => Busy::Starting,
        ServerOp::Down { .. } | ServerOp::StopOurs => Busy::Stopping,
        ServerOp::Restart { .. } => Busy::Restarting,
    };
    if state.servers.busy == Some(kind) {
        state.servers.busy = None;
    }
    let stopping = kind == Busy::Stopping;
    match outcome {
        OpOutcome::Done if stopping => state.notify("every server stopped"),
        OpOutcome::Done => {
            let n = state
                .servers
                .rows
                .iter()
                .filter(|r| matches!(r.phase, Phase::Ready | Phase::Adopted))
                .count();
            state.notify(format!("{n} server(s) running, all ready"));
        }
        OpOutcome::Failed(name) => {
            // Held rows (by `requires`, or waiting for a failed dependency) wait for `u`.
            if state
                .servers
                .rows
                .iter()
                .any(|r| matches!(r.phase, Phase::Held(_)))
            {
                state.servers.force_next = true;
            }
            let row = state.servers.rows.iter().find(|r| r.name == name);
            match row.map(|r| &r.phase) {
                Some(Phase::Held(reason)) => {
                    let u = state.keys.first_key(Intent::ServersUp);
                    state.warn(format!(
                        "held: {} — press {u} again to start anyway",
                        clean(reason)
                    ));
                }
                _ => {
                    let why = row
                        .and_then(|r| r.last_error.clone())
                        .unwrap_or_else(|| "see Logs".into());
                    let k = |i| state.keys.first_key(i);
                    let text = format!(
                        "{} failed: {} ({}, {}: its log)",
                        clean(&name),
                        clean(&why),
                        k(Intent::ViewServers),
                        k(Intent::Details)
                    );
                    state.warn(text);
                }
            }
        }
        OpOutcome::Survivors => state.warn("some processes survived SIGKILL (see Logs)"),
        OpOutcome::Interrupted => {}
        OpOutcome::Error(e) => state.warn(format!("servers: {}", clean(&e))),
    }
    if stopping && std::mem::take(&mut state.servers.quit_after_stop) {
        state.quit = true;
    }
    vec![]
}

/// A poll of the state file and `/proc`.
pub fn on_poll(state: &mut AppState, poll: ServersPoll) {
    state.servers.apply_poll(poll);
}

/// A server's port is taken: ask what to do (the supervisor waits). Shows the Servers
/// screen, where the start is.
pub fn on_port_conflict(
    state: &mut AppState,
    name: String,
    conflict: Box<crate::model::port_conflict::Conflict>,
) -> Vec<Command> {
    show_servers(state);
    let title = format!("{}: port {} is taken", clean(&name), conflict.port);
    confirm::ask(state, title, ConfirmAction::PortConflict(name, conflict));
    vec![]
}

/// The port-conflict question answered: `adopt` (when the holder is adoptable), else cancel
/// the start. (Ending the holder is the dialog's yes, see [`confirm::confirmed`].)
pub fn answer_port_conflict(state: &mut AppState, adopt: bool) -> Vec<Command> {
    use crate::model::port_conflict::PortDecision;
    let Some(Popup::Confirm(c)) = &state.popup else {
        return vec![];
    };
    let ConfirmAction::PortConflict(name, conflict) = &c.action else {
        return vec![];
    };
    let adoptable = conflict
        .holder
        .as_ref()
        .is_some_and(|h| h.same_server.is_some());
    let name = clean(name).into_owned();
    if adopt && !adoptable {
        let k = |i| state.keys.key(Context::Confirm, i);
        let text = format!(
            "the holder does not run this server's command in its directory: {} ends it, {} \
             cancels",
            k(Intent::Confirm),
            k(Intent::Cancel)
        );
        state.warn(text);
        return vec![];
    }
    state.popup = None;
    if adopt {
        state.notify(format!("{name}: adopting the port's holder"));
        vec![Command::PortDecision(PortDecision::Adopt)]
    } else {
        state.notify(format!("{name}: start cancelled, its port is taken"));
        vec![Command::PortDecision(PortDecision::Cancel)]
    }
}

/// New log lines from the follower.
pub fn on_lines(state: &mut AppState, lines: Vec<ServerLine>) {
    // A view scrolled back stays on the same lines while new ones arrive.
    let shown = |l: &ServerLine| match state.logs_shown() {
        LogSource::Server(n) => **n == *l.server,
        _ => true,
    };
    let added = lines.iter().filter(|l| shown(l)).count();
    if state.server_log_scroll > 0 {
        state.server_log_scroll += added;
    }
    if let Some(Popup::ServerDetails { name, scroll }) = &mut state.popup
        && *scroll > 0
    {
        *scroll += lines.iter().filter(|l| *l.server == **name).count();
    }
    // Copied into the buffers' blocks; the batch is freed whole here.
    for l in &lines {
        state.servers.logs.push(&l.server, &l.text);
    }
}
