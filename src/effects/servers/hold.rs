//! A start that goes on after a failure ([`super::up::Gate::keep_going`], the dashboard): the
//! servers that failed or are held, and holding what depends on them.

use super::Event;
use super::lock::StateLock;
use super::state;
use crate::model::server::ServerSpec;
use std::path::Path;

/// Servers that failed or are held during one start, with that word ("failed", "held").
#[derive(Default)]
pub(super) struct Blocked<'a> {
    names: Vec<(&'a str, &'static str)>,
    /// The first server blocked (what the start reports as failed).
    pub(super) first: Option<String>,
}

impl<'a> Blocked<'a> {
    /// `spec` failed or is held (`word`): servers depending on it are held when next looked
    /// at ([`Blocked::hold_dependents`]).
    pub(super) fn block(&mut self, spec: &'a ServerSpec, word: &'static str) {
        self.first.get_or_insert_with(|| spec.name.clone());
        self.names.push((&spec.name, word));
    }

    /// Takes out of `waiting` every server that depends on a blocked one and holds it
    /// ([`Event::Held`]: "waiting for api (failed)"; noted in `root`'s state file), then what
    /// depends on those.
    pub(super) fn hold_dependents(
        &mut self,
        waiting: &mut Vec<&'a ServerSpec>,
        root: &Path,
        lock: &StateLock,
        report: &mut dyn FnMut(Event),
    ) {
        loop {
            let found = waiting.iter().enumerate().find_map(|(i, s)| {
                let on = s
                    .depends_on
                    .iter()
                    .find_map(|d| self.names.iter().find(|(b, _)| *b == d.as_str()))?;
                Some((i, *on))
            });
            let Some((i, (dep, word))) = found else {
                return;
            };
            let spec = waiting.remove(i);
            let reason = format!("waiting for {dep} ({word})");
            let _ = state::note(lock, root, &spec.name, Some(reason.clone()), None);
            report(Event::Held {
                name: spec.name.clone(),
                reason,
            });
            self.names.push((&spec.name, "held"));
        }
    }
}
