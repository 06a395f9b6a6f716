//! The pane table: which screens exist, the action that shows each and its tab title, and the panes each shows in
//! focus order (Tab). The header's tabs, `Focus::next`, the screen keys and the mouse's
//! hit-testing read it; a new pane is a [`Focus`] variant, its renderer in `ui/` (registered in
//! `ui::panes`) and its place here.

use crate::app::keymap::Intent;
use crate::app::state::{Focus, View};

/// One screen of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    /// Which screen.
    pub view: View,
    /// The action that shows it; its key in the effective table heads the tab (`"1"`).
    pub intent: Intent,
    /// Tab title.
    pub title: &'static str,
    /// Its panes in focus order; the first has focus when the screen is shown.
    pub panes: &'static [Focus],
}

/// Every screen, in tab order.
pub const SCREENS: &[Screen] = &[
    Screen {
        view: View::Processes,
        intent: Intent::ViewProcesses,
        title: "Processes",
        panes: &[Focus::Processes, Focus::Memory, Focus::Logs],
    },
    Screen {
        view: View::Databases,
        intent: Intent::ViewDatabases,
        title: "Databases",
        panes: &[Focus::Health, Focus::Migrations, Focus::Logs],
    },
    Screen {
        view: View::Servers,
        intent: Intent::ViewServers,
        title: "Servers",
        panes: &[Focus::Servers, Focus::Logs],
    },
    Screen {
        view: View::Preflight,
        intent: Intent::ViewPreflight,
        title: "Preflight",
        panes: &[Focus::Preflight, Focus::Logs],
    },
];

/// The screen of `view`.
pub fn screen(view: View) -> &'static Screen {
    SCREENS
        .iter()
        .find(|s| s.view == view)
        .unwrap_or(&SCREENS[0])
}

/// The pane after `focus` on `view`'s screen (wrapping); the screen's first pane when `focus`
/// is not on it.
pub fn next_pane(view: View, focus: Focus) -> Focus {
    let panes = screen(view).panes;
    match panes.iter().position(|&p| p == focus) {
        Some(i) => panes[(i + 1) % panes.len()],
        None => panes[0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_cycles_through_the_panes_of_the_screen() {
        let mut f = Focus::Processes;
        let mut seen = vec![];
        for _ in 0..3 {
            f = next_pane(View::Processes, f);
            seen.push(f);
        }
        assert_eq!(seen, [Focus::Memory, Focus::Logs, Focus::Processes]);
        assert_eq!(next_pane(View::Databases, Focus::Processes), Focus::Health);
        assert_eq!(
            next_pane(View::Processes, Focus::Migrations),
            Focus::Processes
        );
        assert_eq!(next_pane(View::Databases, Focus::Logs), Focus::Health);
    }

    #[test]
    fn every_view_has_one_screen_with_panes() {
        for v in [
            View::Processes,
            View::Databases,
            View::Servers,
            View::Preflight,
        ] {
            assert_eq!(SCREENS.iter().filter(|s| s.view == v).count(), 1);
            assert!(!screen(v).panes.is_empty());
        }
    }
}
