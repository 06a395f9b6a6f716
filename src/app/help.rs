//! The help popup's content and scrolling: every key of the effective key table ([`KeyMap`],
//! the user's `[keys]` included), grouped under a heading per place it acts — the main
//! screen's keys by the screen they belong to, then each other context (a dialog, a popup,
//! searching, filtering, the migrate choice) — in the key table's order within a group. How
//! the groups are laid out on the terminal is [`crate::ui::help`].

use crate::app::keymap::{Context, Intent};
use crate::app::keys::KeyMap;
use crate::app::state::{AppState, Popup};

/// One group of the help: its heading and its keys as (keys label, what it does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The group's heading ("Main", "Processes screen (1)" with the screen's key as in
    /// effect, "In a dialog").
    pub heading: String,
    /// (keys as shown, e.g. `"x F9"`, description) in the key table's order.
    pub rows: Vec<(String, &'static str)>,
}

/// The headings of the main screen's groups, in display order, with the action that shows
/// the group's screen (its key, as in effect, follows the heading: "Processes screen (1)").
const MAIN_GROUPS: [(&str, Option<Intent>); 6] = [
    ("Main", None),
    ("Moving around", None),
    ("Processes screen", Some(Intent::ViewProcesses)),
    ("Databases screen", Some(Intent::ViewDatabases)),
    ("Servers screen", Some(Intent::ViewServers)),
    ("Preflight screen", Some(Intent::ViewPreflight)),
];

/// The group (index into [`MAIN_GROUPS`]) of a main-screen action.
fn main_group(intent: Intent) -> usize {
    use Intent::*;
    match intent {
        Up | Down | PageUp | PageDown | Home | End | FocusNext | Details => 1,
        Search | Filter | ToggleTree | SortNext | SortCpu | SortRss | SortAge | KillSelected
        | KillSuspects | ToggleScope | Pause | Cancel => 2,
        Migrate => 3,
        ServersUp | ServersDown | ServerRestart | LogSource => 4,
        Preflight | PreflightTarget => 5,
        _ => 0,
    }
}

/// `place` with a capital first letter ("in a dialog" → "In a dialog").
fn capitalised(place: &str) -> String {
    let mut chars = place.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The help's groups for the key table `keys`, in display order; groups with no key are left
/// out. Every key of the table is in exactly one group.
pub fn sections(keys: &KeyMap) -> Vec<Section> {
    let row = |k: &crate::app::keys::Key| (k.label.to_string(), k.binding.desc);
    let mut out: Vec<Section> = MAIN_GROUPS
        .iter()
        .enumerate()
        .map(|(i, (heading, screen))| Section {
            heading: match screen {
                Some(view) => format!("{heading} ({})", keys.first_key(*view)),
                None => (*heading).to_owned(),
            },
            rows: keys
                .keys()
                .iter()
                .filter(|k| k.binding.context == Context::Main)
                .filter(|k| main_group(k.binding.intent) == i)
                .map(row)
                .collect(),
        })
        .collect();
    out.extend(Context::ALL.iter().skip(1).map(|&ctx| {
        Section {
            heading: capitalised(ctx.place()),
            rows: keys
                .keys()
                .iter()
                .filter(|k| k.binding.context == ctx)
                .map(row)
                .collect(),
        }
    }));
    out.retain(|s| !s.rows.is_empty());
    out
}

/// Scroll the open help popup by `delta` rows, within its first and last page (nothing when
/// another popup is open).
pub fn scroll(state: &mut AppState, delta: isize) {
    let layout = crate::ui::help::layout(state.screen, &state.keys);
    if let Some(Popup::Help { scroll }) = &mut state.popup {
        *scroll = (*scroll)
            .min(layout.max_scroll())
            .saturating_add_signed(delta)
            .min(layout.max_scroll());
    }
}

/// Move the open help popup for a movement key: a row, a page (never ending on a group's
/// heading, see [`crate::ui::help::HelpLayout::page_down`]), the first or the last page.
pub fn navigate(state: &mut AppState, intent: Intent) {
    let layout = crate::ui::help::layout(state.screen, &state.keys);
    let max = layout.max_scroll();
    if let Some(Popup::Help { scroll }) = &mut state.popup {
        let s = (*scroll).min(max);
        *scroll = match intent {
            Intent::Up => s.saturating_sub(1),
            Intent::Down => (s + 1).min(max),
            Intent::PageUp => layout.page_up(s),
            Intent::PageDown => layout.page_down(s),
            Intent::Home => 0,
            _ => max,
        };
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_in_exactly_one_group() {
        let keys = KeyMap::default();
        let shown: usize = sections(&keys).iter().map(|s| s.rows.len()).sum();
        assert_eq!(shown, keys.keys().len());
    }

    #[test]
    fn groups_by_screen_and_context() {
        let s = sections(&KeyMap::default());
        let heads: Vec<&str> = s.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(heads[0], "Main");
        assert!(heads.contains(&"In a dialog"), "{heads:?}");
        assert!(heads.contains(&"While searching"), "{heads:?}");
        let servers = s.iter().find(|s| s.heading.starts_with("Servers")).unwrap();
        assert!(servers.rows.iter().any(|(k, _)| k == "u"), "{servers:?}");
    }

    /// The help scrolls with the main screen's movement keys (the list behind it stays put)
    /// within its pages, and the help key closes it, a rebound one too.
    #[test]
    fn keys_scroll_and_close_it() {
        use crate::app::update::{Action, update};
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let mut s = AppState::new(
            std::sync::Arc::new(crate::model::fixtures::process_snapshot()),
            std::sync::Arc::new(crate::model::fixtures::memory(6.0, 0.0, 0.0)),
            std::time::Duration::from_secs(1),
        );
        s.keys = std::sync::Arc::new(
            KeyMap::with_overrides(&[("help".into(), vec!["h".into()])]).unwrap(),
        );
        let press = |s: &mut AppState, c| {
            update(s, Action::Key(KeyEvent::new(c, KeyModifiers::NONE)));
        };
        let scroll = |s: &AppState| match s.popup {
            Some(Popup::Help { scroll }) => scroll,
            _ => usize::MAX,
        };
        let selected = s.selected;
        press(&mut s, KeyCode::Char('h'));
        press(&mut s, KeyCode::Char('j'));
        assert_eq!(scroll(&s), 1);
        press(&mut s, KeyCode::PageDown);
        let l = crate::ui::help::layout(s.screen, &s.keys);
        assert_eq!(scroll(&s), l.page_down(1));
        assert!(scroll(&s) >= l.visible(), "about a page down");
        press(&mut s, KeyCode::End);
        let last = crate::ui::help::layout(s.screen, &s.keys).max_scroll();
        assert_eq!(scroll(&s), last);
        press(&mut s, KeyCode::Down);
        assert_eq!(scroll(&s), last, "not past the last page");
        press(&mut s, KeyCode::Char('g'));
        assert_eq!(scroll(&s), 0);
        assert_eq!(s.selected, selected, "the list behind stays put");
        press(&mut s, KeyCode::Char('h'));
        assert_eq!(s.popup, None, "the rebound help key closes it");
    }

    #[test]
    fn an_override_shows_its_keys() {
        let keys = KeyMap::with_overrides(&[("kill".into(), vec!["D".into()])]).unwrap();
        let s = sections(&keys);
        let procs = s
            .iter()
            .find(|s| s.heading.starts_with("Processes"))
            .unwrap();
        assert!(
            procs
                .rows
                .contains(&("D".into(), "kill selected + children"))
        );
    }
}
