//! The key table: the single source for the key handler, the help popup and the README.
//! Resolution is a pure function of (key, context).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for, before it is applied to the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Leave devtop.
    Quit,
    /// Show or hide the help popup.
    Help,
    /// Selection up one row (or log scroll).
    Up,
    /// Selection down one row (or log scroll).
    Down,
    /// Selection up one page.
    PageUp,
    /// Selection down one page.
    PageDown,
    /// First row.
    Home,
    /// Last row.
    End,
    /// Details of the selected process.
    Details,
    /// Start typing a filter.
    Filter,
    /// Sort by CPU.
    SortCpu,
    /// Sort by RSS.
    SortRss,
    /// Sort by age.
    SortAge,
    /// Cycle the sort key.
    SortNext,
    /// Tree or flat list.
    ToggleTree,
    /// Next pane focus.
    FocusNext,
    /// Toggle user/project scope.
    ToggleScope,
    /// Kill the selected process and its descendants.
    KillSelected,
    /// Kill every suspect.
    KillSuspects,
    /// Show the Processes screen.
    ViewProcesses,
    /// Show the Databases screen.
    ViewDatabases,
    /// Confirm a dialog.
    Confirm,
    /// Close a popup / clear the filter.
    Cancel,
}

/// Where a key is pressed: the main screen or a popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Main screen.
    Main,
    /// A confirmation dialog.
    Confirm,
    /// The help or details popup.
    Popup,
}

/// One binding: keys, the context it applies in, the intent and the help text.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Keys as shown in help (`"x"`, `"↑/k"`).
    pub label: &'static str,
    /// Key codes (without modifiers other than Shift implied by the char).
    pub codes: &'static [KeyCode],
    /// Where it applies.
    pub context: Context,
    /// What it does.
    pub intent: Intent,
    /// Help text.
    pub desc: &'static str,
}

const fn b(
    label: &'static str,
    codes: &'static [KeyCode],
    context: Context,
    intent: Intent,
    desc: &'static str,
) -> Binding {
    Binding {
        label,
        codes,
        context,
        intent,
        desc,
    }
}

use Context::{Confirm as C, Main as M, Popup as P};
use KeyCode::{Char, Down, End, Enter, Esc, Home, PageDown, PageUp, Tab, Up};

/// Every binding. Ctrl-C always quits (handled before the table).
pub const BINDINGS: &[Binding] = &[
    b("q", &[Char('q')], M, Intent::Quit, "quit (Ctrl-C too)"),
    b(
        "1",
        &[Char('1')],
        M,
        Intent::ViewProcesses,
        "screen: processes, memory",
    ),
    b(
        "2",
        &[Char('2')],
        M,
        Intent::ViewDatabases,
        "screen: databases, migrations",
    ),
    b("?", &[Char('?')], M, Intent::Help, "this help"),
    b(
        "↑/k",
        &[Up, Char('k')],
        M,
        Intent::Up,
        "up (Logs/Migrations: scroll)",
    ),
    b(
        "↓/j",
        &[Down, Char('j')],
        M,
        Intent::Down,
        "down (Logs/Migrations: scroll)",
    ),
    b("PgUp", &[PageUp], M, Intent::PageUp, "page up"),
    b("PgDn", &[PageDown], M, Intent::PageDown, "page down"),
    b("Home/g", &[Home, Char('g')], M, Intent::Home, "first row"),
    b("End/G", &[End, Char('G')], M, Intent::End, "last row"),
    b(
        "Enter",
        &[Enter],
        M,
        Intent::Details,
        "details of the process",
    ),
    b(
        "/",
        &[Char('/')],
        M,
        Intent::Filter,
        "filter (PID, role, argv)",
    ),
    b("P", &[Char('P')], M, Intent::SortCpu, "sort by CPU"),
    b("M", &[Char('M')], M, Intent::SortRss, "sort by RSS"),
    b(
        "T",
        &[Char('T')],
        M,
        Intent::SortAge,
        "sort by age, oldest first",
    ),
    b("o", &[Char('o')], M, Intent::SortNext, "next sort order"),
    b("t", &[Char('t')], M, Intent::ToggleTree, "tree / flat list"),
    b("Tab", &[Tab], M, Intent::FocusNext, "focus next pane"),
    b(
        "s",
        &[Char('s')],
        M,
        Intent::ToggleScope,
        "scope: user / project",
    ),
    b(
        "x",
        &[Char('x')],
        M,
        Intent::KillSelected,
        "kill selected + children",
    ),
    b(
        "K",
        &[Char('K')],
        M,
        Intent::KillSuspects,
        "kill all suspects",
    ),
    b("Esc", &[Esc], M, Intent::Cancel, "clear filter"),
    b(
        "y/Enter",
        &[Char('y'), Enter],
        C,
        Intent::Confirm,
        "confirm the kill",
    ),
    b(
        "n/Esc",
        &[Char('n'), Esc, Char('q')],
        C,
        Intent::Cancel,
        "cancel",
    ),
    b(
        "Esc/q",
        &[Esc, Char('q'), Enter, Char('?')],
        P,
        Intent::Cancel,
        "close the popup",
    ),
];

/// Resolve a key press in a context. Ctrl-C quits everywhere.
pub fn resolve(key: KeyEvent, context: Context) -> Option<Intent> {
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == Char('c')).then_some(Intent::Quit);
    }
    BINDINGS
        .iter()
        .find(|b| b.context == context && b.codes.contains(&key.code))
        .map(|b| b.intent)
}

/// Bindings that share a key in one context (must be empty; checked by a test).
pub fn duplicates() -> Vec<(Context, KeyCode)> {
    let mut seen: Vec<(Context, KeyCode)> = Vec::new();
    let mut dup = Vec::new();
    for b in BINDINGS {
        for &c in b.codes {
            if seen.contains(&(b.context, c)) {
                dup.push((b.context, c));
            }
            seen.push((b.context, c));
        }
    }
    dup
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn readme_lists_every_binding() {
        let readme = include_str!("../../README.md");
        for b in BINDINGS {
            let prefix = match b.context {
                Context::Main => "",
                Context::Confirm => "(in a dialog) ",
                Context::Popup => "(in a popup) ",
            };
            let row = format!("| `{}` | {prefix}{} |", b.label, b.desc);
            assert!(readme.contains(&row), "README.md lacks the key row: {row}");
        }
    }

    #[test]
    fn no_duplicate_keys() {
        assert_eq!(duplicates(), vec![]);
    }

    #[test]
    fn context_decides() {
        assert_eq!(
            resolve(key(Char('y')), Context::Confirm),
            Some(Intent::Confirm)
        );
        assert_eq!(resolve(key(Char('y')), Context::Main), None);
        assert_eq!(resolve(key(Enter), Context::Main), Some(Intent::Details));
        assert_eq!(resolve(key(Enter), Context::Confirm), Some(Intent::Confirm));
        assert_eq!(resolve(key(Char('x')), Context::Popup), None);
        assert_eq!(
            resolve(
                KeyEvent::new(Char('c'), KeyModifiers::CONTROL),
                Context::Popup
            ),
            Some(Intent::Quit)
        );
        assert_eq!(
            resolve(key(Char('K')), Context::Main),
            Some(Intent::KillSuspects)
        );
    }
}
