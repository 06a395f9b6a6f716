//! The key bar on the bottom line, like htop's: the keys of the current context — each screen
//! and each mode (search, filter, a dialog, the migrate choice, a popup). This module says
//! which actions each context advertises and under which name; the keys shown are the keys in
//! effect from the key table ([`KeyMap`], the user's `[keys]` included), so a rebound key
//! shows rebound and an action with no key in the context is not shown. A bar wider than the
//! terminal drops its least important entries whole, never half of one.

use crate::app::intent::acts_on;
use crate::app::keymap::{Context, Intent};
use crate::app::keys::KeyMap;
use crate::app::state::{AppState, Popup, View};

/// One entry a bar may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The action whose key is shown.
    pub intent: Intent,
    /// A second action whose key is shown joined to the first (`↑↓ Scroll`).
    pub pair: Option<Intent>,
    /// The entry's name in the bar.
    pub name: &'static str,
    /// How readily the entry is dropped when the bar is too wide: 0 never, higher first.
    pub rank: u8,
}

impl Entry {
    /// `intent`'s key, named `name`, dropped at `rank` (0 never).
    pub const fn new(intent: Intent, name: &'static str, rank: u8) -> Entry {
        Entry {
            intent,
            pair: None,
            name,
            rank,
        }
    }

    /// The keys of `intent` and `other` joined (`↑↓`), named `name`, dropped at `rank`.
    pub const fn pair(intent: Intent, other: Intent, name: &'static str, rank: u8) -> Entry {
        Entry {
            intent,
            pair: Some(other),
            name,
            rank,
        }
    }
}

const fn e(intent: Intent, name: &'static str, rank: u8) -> Entry {
    Entry::new(intent, name, rank)
}

const fn pair(intent: Intent, other: Intent, name: &'static str, rank: u8) -> Entry {
    Entry::pair(intent, other, name, rank)
}

use Intent::*;

/// The bar of each screen in display order: help, htop's F-keys, devtop's own, quit last.
/// Only actions that act on the screen ([`acts_on`]); a test holds it.
pub const SCREENS: &[(View, &[Entry])] = &[
    (
        View::Processes,
        &[
            e(Help, "Help", 0),
            e(Search, "Search", 2),
            e(Filter, "Filter", 2),
            e(ToggleTree, "Tree", 3),
            e(SortNext, "Sort", 3),
            e(KillSelected, "Kill", 1),
            e(KillSuspects, "Suspects", 2),
            e(Pause, "Pause", 4),
            e(Details, "Details", 5),
            e(GuardEnd, "Free memory", 1),
            e(Quit, "Quit", 0),
        ],
    ),
    (
        View::Databases,
        &[
            e(Help, "Help", 0),
            e(Migrate, "Migrate", 1),
            e(Preflight, "Preflight", 2),
            pair(Up, Down, "Scroll", 4),
            e(FocusNext, "Pane", 3),
            e(LogSource, "Logs", 4),
            e(GuardEnd, "Free memory", 1),
            e(Quit, "Quit", 0),
        ],
    ),
    (
        View::Servers,
        &[
            e(Help, "Help", 0),
            e(ServersUp, "Start all", 1),
            e(ServersDown, "Stop all", 1),
            e(ServerRestart, "Restart", 2),
            e(Details, "Log", 2),
            pair(Up, Down, "Select", 5),
            e(LogSource, "Logs", 3),
            e(FocusNext, "Pane", 4),
            e(GuardEnd, "Free memory", 1),
            e(Quit, "Quit", 0),
        ],
    ),
    (
        View::Preflight,
        &[
            e(Help, "Help", 0),
            e(Preflight, "Run again", 1),
            e(PreflightTarget, "Target", 2),
            e(KillSuspects, "End them", 1),
            pair(Up, Down, "Scroll", 4),
            e(Migrate, "Migrate", 3),
            e(FocusNext, "Pane", 4),
            e(GuardEnd, "Free memory", 1),
            e(Quit, "Quit", 0),
        ],
    ),
];

/// The bar while typing the search.
const SEARCH: &[Entry] = &[
    e(Search, "Next", 1),
    e(Confirm, "Keep", 0),
    e(Cancel, "Clear", 0),
];
/// The bar while typing the filter.
const FILTER: &[Entry] = &[e(Confirm, "Keep", 0), e(Cancel, "Clear", 0)];
/// The bar of the migrate choice.
const MIGRATE: &[Entry] = &[
    pair(Up, Down, "Choose", 1),
    e(Confirm, "Migrate", 0),
    e(Cancel, "Cancel", 0),
];
/// The bar while typing a production environment's name.
const MIGRATE_NAME: &[Entry] = &[e(Confirm, "Migrate", 0), e(Cancel, "Back", 0)];
/// The bar of the help and details popups.
const POPUP: &[Entry] = &[e(Cancel, "Close", 0)];
/// The bar of a popup that scrolls, a server's log or a help taller than the screen (they
/// scroll with the main screen's keys).
const SCROLLING: &[Entry] = &[pair(Up, Down, "Scroll", 1), e(Cancel, "Close", 0)];

/// The entries `state`'s context advertises, in display order, before fitting.
pub fn entries(state: &AppState) -> Vec<Entry> {
    let ctx = crate::app::update::context(state);
    let fixed: &[Entry] = match ctx {
        Context::Search => SEARCH,
        Context::Filter => FILTER,
        Context::Migrate => MIGRATE,
        Context::MigrateName => MIGRATE_NAME,
        Context::Popup if scrolls(state) => SCROLLING,
        Context::Popup => POPUP,
        Context::Confirm => {
            return crate::app::confirm::open(state)
                .map(|c| c.action.key_bar(state))
                .unwrap_or_default();
        }
        Context::Main => screen(state.view),
    };
    fixed
        .iter()
        .copied()
        .filter(|en| ctx != Context::Main || useful(state, en.intent))
        .collect()
}

/// True for a popup that scrolls: a server's log, the help when it does not fit the screen.
fn scrolls(state: &AppState) -> bool {
    match state.popup {
        Some(Popup::ServerDetails { .. }) => true,
        Some(Popup::Help { .. }) => {
            crate::ui::help::layout(state.screen, &state.keys).max_scroll() > 0
        }
        _ => false,
    }
}

/// The bar of `view`'s screen (every entry, before the state's conditions).
pub fn screen(view: View) -> &'static [Entry] {
    SCREENS
        .iter()
        .find(|(v, _)| *v == view)
        .map_or(&[], |(_, entries)| entries)
}

/// False for a screen's entry that has nothing to act on in `state`: the server keys with no
/// `[[server]]` configured (the Logs pane's source too), `K` on the Preflight screen when
/// check 1 names nothing to end, `E` unless the memory guard has triggered with a suspect to
/// end; else whether the key acts on the screen at all ([`acts_on`]).
fn useful(state: &AppState, intent: Intent) -> bool {
    let servers = !state.servers.rows.is_empty();
    match (state.view, intent) {
        (View::Servers, ServersUp | ServersDown | ServerRestart | Details | Up) => servers,
        (View::Preflight, KillSuspects) => state.preflight.kill_action().is_some(),
        // Without a server the Logs pane has only devtop's lines to show.
        (_, LogSource) => servers,
        // Only while the memory guard has triggered and has a suspect it may end.
        (_, GuardEnd) => state
            .guard
            .decision
            .as_ref()
            .is_some_and(|d| d.critical() && !d.victims.is_empty()),
        (view, intent) => acts_on(intent, view),
    }
}

/// The key shown for `intent` in `ctx` (the server log popup scrolls with the main screen's
/// keys, so its scroll keys are looked up there).
fn key_of(keys: &KeyMap, ctx: Context, intent: Intent) -> Option<&str> {
    keys.bar_key(ctx, intent).or_else(|| {
        (ctx == Context::Popup)
            .then(|| keys.bar_key(Context::Main, intent))
            .flatten()
    })
}

/// `entries` with their keys in `keys` for context `ctx`: (key, name, rank); an entry whose
/// action has no key there is left out.
pub fn labelled(keys: &KeyMap, ctx: Context, entries: &[Entry]) -> Vec<(String, &'static str, u8)> {
    entries
        .iter()
        .filter_map(|en| {
            let mut key = key_of(keys, ctx, en.intent)?.to_owned();
            if let Some(k) = en.pair.and_then(|p| key_of(keys, ctx, p)) {
                key.push_str(k);
            }
            Some((key, en.name, en.rank))
        })
        .collect()
}

/// Columns a bar takes: `key name` per entry, two spaces between entries.
pub fn width(bar: &[(String, &'static str, u8)]) -> usize {
    let text: usize = bar
        .iter()
        .map(|(k, n, _)| k.chars().count() + 1 + n.chars().count())
        .sum();
    text + 2 * bar.len().saturating_sub(1)
}

/// `bar` without its least important entries (highest rank, the later of equals) until it fits
/// `columns`; entries of rank 0 stay.
pub fn fit(
    mut bar: Vec<(String, &'static str, u8)>,
    columns: usize,
) -> Vec<(String, &'static str, u8)> {
    while width(&bar) > columns {
        let Some((i, _)) = bar
            .iter()
            .enumerate()
            .filter(|(_, (_, _, rank))| *rank > 0)
            .max_by_key(|(i, (_, _, rank))| (*rank, *i))
        else {
            break;
        };
        bar.remove(i);
    }
    bar
}

/// The key bar of `state` for a line `columns` wide: (key, name) pairs in display order.
pub fn bar(state: &AppState, columns: u16) -> Vec<(String, &'static str)> {
    let ctx = crate::app::update::context(state);
    let bar = labelled(&state.keys, ctx, &entries(state));
    fit(bar, usize::from(columns))
        .into_iter()
        .map(|(k, n, _)| (k, n))
        .collect()
}

#[cfg(test)]
mod tests;
