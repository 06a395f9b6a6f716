//! The checks before a server starts (see [`super::up::start`]): its `requires`, then its
//! port — a taken one is reported with its holder and the gate decides (end the holder,
//! adopt it, or cancel).

use super::Event;
use super::port_conflict::{self, Conflict, PortDecision};
use super::state::Recorded;
use super::up::{Gate, PortCheck, PortState};
use crate::model::server::ServerSpec;
use std::path::Path;

/// The outcome of the checks before a start: `requires`, then the port.
#[derive(Debug)]
pub(super) enum PreStart {
    /// Start it; `forced` names the unmet requirement started anyway, `events` are what the
    /// port check did (conflict, holder ended).
    Go {
        forced: Option<String>,
        events: Vec<Event>,
    },
    /// Held by `requires`.
    Held(String),
    /// Adopted: the record, and the events to report.
    Adopt(Recorded, Vec<Event>),
    /// Not started: why, and the events to report first.
    Fail(String, Vec<Event>),
}

/// The checks before starting `spec`: its `requires` (when it has some), then its port.
pub(super) async fn pre_start(
    root: &Path,
    spec: &ServerSpec,
    ports: &dyn PortCheck,
    gate: &Gate<'_>,
) -> PreStart {
    let mut forced = None;
    if !spec.requires.is_empty() {
        match gate.requires.unmet(spec).await {
            Some(reason) if !gate.force => return PreStart::Held(reason),
            unmet => forced = unmet,
        }
    }
    let Some(port) = spec.port else {
        return PreStart::Go {
            forced,
            events: Vec::new(),
        };
    };
    let holder = match ports.holder(port) {
        PortState::Free => {
            return PreStart::Go {
                forced,
                events: Vec::new(),
            };
        }
        PortState::Taken(pid) => pid.and_then(|p| port_conflict::read_holder(root, spec, p)),
    };
    let conflict = Conflict { port, holder };
    let mut events = vec![Event::PortTaken {
        name: spec.name.clone(),
        port,
        holder: conflict.holder.clone(),
    }];
    let taken = taken_text(&conflict);
    let Some(holder) = &conflict.holder else {
        return PreStart::Fail(taken, events);
    };
    match gate.conflicts.decide(spec, &conflict).await {
        PortDecision::Cancel => PreStart::Fail(taken, events),
        PortDecision::Adopt => match &holder.same_server {
            Some(record) => PreStart::Adopt(record.clone(), events),
            None => PreStart::Fail(
                format!(
                    "{taken}; cannot adopt it: it does not run this server's command in its cwd"
                ),
                events,
            ),
        },
        PortDecision::EndHolder => {
            let free = |p: u16| ports.holder(p) == PortState::Free;
            match port_conflict::end_holder(holder, port, &free).await {
                Ok(pids) => {
                    events.push(Event::HolderEnded {
                        name: spec.name.clone(),
                        port,
                        pids,
                    });
                    PreStart::Go { forced, events }
                }
                Err(e) => PreStart::Fail(format!("{taken}; ending it failed: {e}"), events),
            }
        }
    }
}

/// "port 3010 is taken by PID 77 (vite) node vite in /p/web (project /p); not started".
fn taken_text(c: &Conflict) -> String {
    match &c.holder {
        Some(h) => format!("port {} is taken by {}; not started", c.port, h.describe()),
        None => format!(
            "port {} is taken (holder not visible: another user's process?); not started",
            c.port
        ),
    }
}
