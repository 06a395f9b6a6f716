//! The key table: the single source for the key handler, the help popup and the README.
//! Resolution is a pure function of (key, context).

use crossterm::event::{KeyCode, KeyEvent};

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
    /// Search: jump to the next matching row (htop's F3).
    Search,
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
    /// Memory critical: end the dev-tool suspects one at a time, largest RSS first, until the
    /// level drops (the memory guard).
    GuardEnd,
    /// Show the Processes screen.
    ViewProcesses,
    /// Show the Databases screen.
    ViewDatabases,
    /// Confirm a dialog.
    Confirm,
    /// Close a popup / clear the filter.
    Cancel,
    /// Freeze the process list (htop's `z`); again to resume.
    Pause,
    /// Guarded migrate: choose the environment (issue 11).
    Migrate,
    /// Collect more often (shorter refresh interval).
    Faster,
    /// Collect less often (longer refresh interval).
    Slower,
    /// Show the Servers screen.
    ViewServers,
    /// Start every dev server in dependency order (again after a hold: start anyway).
    ServersUp,
    /// Stop every running dev server in reverse order.
    ServersDown,
    /// Restart the selected dev server (on confirm, with what depends on it).
    ServerRestart,
    /// Cycle what the Logs pane shows: devtop's messages, all servers, each server.
    LogSource,
    /// In the quit question: leave this devtop's servers running and quit.
    LeaveRunning,
    /// In the port-conflict question: adopt the holder as the running server.
    Adopt,
    /// Run the preflight checks and show them (screen 4).
    Preflight,
    /// Show the Preflight screen.
    ViewPreflight,
    /// Preflight: next target environment, and run again.
    PreflightTarget,
}

impl Intent {
    /// Names of the actions a `[keys]` table in devtop.toml can rebind (main screen).
    pub const NAMES: &'static [&'static str] = &[
        "quit",
        "help",
        "up",
        "down",
        "page_up",
        "page_down",
        "home",
        "end",
        "details",
        "filter",
        "search",
        "sort_cpu",
        "sort_rss",
        "sort_age",
        "sort",
        "tree",
        "focus_next",
        "scope",
        "kill",
        "kill_suspects",
        "guard_end",
        "processes",
        "databases",
        "cancel",
        "pause",
        "faster",
        "slower",
        "servers",
        "servers_up",
        "servers_down",
        "restart",
        "log_source",
        "migrate",
        "preflight",
        "preflight_screen",
        "preflight_target",
    ];

    /// The action's name in a `[keys]` table (`kill = "x"`); `confirm` is the dialog's yes,
    /// which cannot be rebound.
    pub fn name(self) -> &'static str {
        match self {
            Intent::Quit => "quit",
            Intent::Help => "help",
            Intent::Up => "up",
            Intent::Down => "down",
            Intent::PageUp => "page_up",
            Intent::PageDown => "page_down",
            Intent::Home => "home",
            Intent::End => "end",
            Intent::Details => "details",
            Intent::Filter => "filter",
            Intent::Search => "search",
            Intent::SortCpu => "sort_cpu",
            Intent::SortRss => "sort_rss",
            Intent::SortAge => "sort_age",
            Intent::SortNext => "sort",
            Intent::ToggleTree => "tree",
            Intent::FocusNext => "focus_next",
            Intent::ToggleScope => "scope",
            Intent::KillSelected => "kill",
            Intent::KillSuspects => "kill_suspects",
            Intent::GuardEnd => "guard_end",
            Intent::ViewProcesses => "processes",
            Intent::ViewDatabases => "databases",
            Intent::Cancel => "cancel",
            Intent::Pause => "pause",
            Intent::Faster => "faster",
            Intent::Slower => "slower",
            Intent::ViewServers => "servers",
            Intent::ServersUp => "servers_up",
            Intent::ServersDown => "servers_down",
            Intent::ServerRestart => "restart",
            Intent::LogSource => "log_source",
            Intent::LeaveRunning => "leave_running",
            Intent::Adopt => "adopt",
            Intent::Preflight => "preflight",
            Intent::ViewPreflight => "preflight_screen",
            Intent::PreflightTarget => "preflight_target",
            Intent::Confirm => "confirm",
            Intent::Migrate => "migrate",
        }
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Name in the key bar on the bottom line (None: help popup only).
    pub bar: Option<&'static str>,
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
        bar: None,
    }
}

impl Binding {
    /// The same binding, shown in the key bar as `name`.
    const fn bar(self, name: &'static str) -> Binding {
        Binding {
            bar: Some(name),
            ..self
        }
    }

    /// The key shown in the key bar: the F-key alias when there is one (as htop), else the
    /// first key of the label.
    pub fn bar_key(&self) -> &'static str {
        self.label
            .split(' ')
            .find(|k| k.starts_with('F') && k.len() > 1)
            .unwrap_or_else(|| self.label.split(['/', ' ']).next().unwrap_or(self.label))
    }
}

use Context::{Confirm as C, Main as M, Popup as P};
use KeyCode::{Char, Down, End, Enter, Esc, F, Home, PageDown, PageUp, Tab, Up};

/// Every binding. Ctrl-C always quits (handled before the table).
pub const BINDINGS: &[Binding] = &[
    b("? F1", &[Char('?'), F(1)], M, Intent::Help, "this help").bar("Help"),
    b(
        "F3",
        &[F(3)],
        M,
        Intent::Search,
        "search as you type: jump to the next row whose PID, role, name or argv matches (F3 again: next)",
    )
    .bar("Search"),
    b(
        "/ F4",
        &[Char('/'), F(4)],
        M,
        Intent::Filter,
        "filter as you type (PID, role, name, argv)",
    )
    .bar("Filter"),
    b(
        "t F5",
        &[Char('t'), F(5)],
        M,
        Intent::ToggleTree,
        "tree / flat list",
    )
    .bar("Tree"),
    b(
        "o F6",
        &[Char('o'), F(6)],
        M,
        Intent::SortNext,
        "next sort order",
    )
    .bar("Sort"),
    b(
        "x F9",
        &[Char('x'), F(9)],
        M,
        Intent::KillSelected,
        "kill selected + children",
    )
    .bar("Kill"),
    b(
        "q F10",
        &[Char('q'), F(10)],
        M,
        Intent::Quit,
        "quit (Ctrl-C too)",
    )
    .bar("Quit"),
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
    )
    .bar("DBs"),
    b(
        "3",
        &[Char('3')],
        M,
        Intent::ViewServers,
        "screen: dev servers",
    ),
    b(
        "u",
        &[Char('u')],
        M,
        Intent::ServersUp,
        "start the dev servers in order (a held one: u again starts it anyway)",
    ),
    b(
        "d",
        &[Char('d')],
        M,
        Intent::ServersDown,
        "stop the dev servers in reverse order",
    ),
    b(
        "r",
        &[Char('r')],
        M,
        Intent::ServerRestart,
        "restart the selected server (on confirm, with what depends on it)",
    ),
    b(
        "f",
        &[Char('f')],
        M,
        Intent::LogSource,
        "Logs pane: devtop / all servers / one server",
    ),
    b(
        "4",
        &[Char('4')],
        M,
        Intent::ViewPreflight,
        "screen: preflight checks",
    ),
    b(
        "e",
        &[Char('e')],
        M,
        Intent::PreflightTarget,
        "preflight: next target environment, run again",
    ),
    b(
        "↑/k",
        &[Up, Char('k')],
        M,
        Intent::Up,
        "up (Logs/Migrations/server log: scroll)",
    ),
    b(
        "↓/j",
        &[Down, Char('j')],
        M,
        Intent::Down,
        "down (Logs/Migrations/server log: scroll)",
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
        "details of the process (Servers: of the server, with its log)",
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
    b("Tab", &[Tab], M, Intent::FocusNext, "focus next pane"),
    b(
        "s",
        &[Char('s')],
        M,
        Intent::ToggleScope,
        "scope: user / project",
    ),
    b(
        "K",
        &[Char('K')],
        M,
        Intent::KillSuspects,
        "kill all suspects",
    )
    .bar("Suspects"),
    b(
        "E",
        &[Char('E')],
        M,
        Intent::GuardEnd,
        "memory critical: end dev-tool suspects",
    ),
    b(
        "p",
        &[Char('p')],
        M,
        Intent::Preflight,
        "run the preflight checks (screen 4)",
    )
    .bar("Preflight"),
    b(
        "z",
        &[Char('z')],
        M,
        Intent::Pause,
        "pause / resume the process list",
    )
    .bar("Pause"),
    b(
        "+",
        &[Char('+'), Char('=')],
        M,
        Intent::Faster,
        "refresh more often",
    ),
    b("-", &[Char('-')], M, Intent::Slower, "refresh less often"),
    b(
        "m",
        &[Char('m')],
        M,
        Intent::Migrate,
        "guarded migrate of an environment",
    ),
    b("Esc", &[Esc], M, Intent::Cancel, "clear filter"),
    b(
        "y/Enter",
        &[Char('y'), Enter],
        C,
        Intent::Confirm,
        "confirm the kill",
    )
    .bar("Kill"),
    b(
        "n/Esc",
        &[Char('n'), Esc, Char('q')],
        C,
        Intent::Cancel,
        "cancel",
    )
    .bar("Cancel"),
    b(
        "l",
        &[Char('l')],
        C,
        Intent::LeaveRunning,
        "quitting: leave the servers running",
    ),
    b(
        "a",
        &[Char('a')],
        C,
        Intent::Adopt,
        "port taken: adopt its holder as the server",
    ),
    b("↑/k", &[Up, Char('k')], C, Intent::Up, "scroll up"),
    b("↓/j", &[Down, Char('j')], C, Intent::Down, "scroll down"),
    b("PgUp", &[PageUp], C, Intent::PageUp, "page up"),
    b("PgDn", &[PageDown], C, Intent::PageDown, "page down"),
    b(
        "Esc/q",
        &[Esc, Char('q'), Enter, Char('?'), F(1)],
        P,
        Intent::Cancel,
        "close the popup",
    )
    .bar("Close"),
];

/// Resolve a key press in a context against the default table. Ctrl-C quits everywhere.
/// (The effective table, with the user's overrides, is [`crate::app::keys::KeyMap`].)
pub fn resolve(key: KeyEvent, context: Context) -> Option<Intent> {
    crate::app::keys::KeyMap::default().resolve(key, context)
}

/// The key bar of `context` in the default table: (key, name) of the bindings that have a bar
/// name, in table order.
pub fn key_bar(context: Context) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.context == context)
        .filter_map(|b| b.bar.map(|name| (b.bar_key(), name)))
        .collect()
}

/// Bindings of the default table that share a key in one context (must be empty; checked by
/// a test).
pub fn duplicates() -> Vec<(Context, KeyCode)> {
    crate::app::keys::KeyMap::default().duplicates()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

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
        // …and no row for a key that is gone.
        let section = readme
            .split("## Keys")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or_default();
        let rows = section.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(rows, BINDINGS.len(), "README's key table has stale rows");
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
        for (code, intent) in [
            (F(1), Intent::Help),
            (F(3), Intent::Search),
            (F(4), Intent::Filter),
            (F(5), Intent::ToggleTree),
            (F(6), Intent::SortNext),
            (F(9), Intent::KillSelected),
            (F(10), Intent::Quit),
        ] {
            assert_eq!(resolve(key(code), Context::Main), Some(intent), "{code:?}");
        }
    }

    #[test]
    fn key_bar_comes_from_the_table() {
        let bar = key_bar(Context::Main);
        for want in [
            ("F1", "Help"),
            ("F3", "Search"),
            ("F4", "Filter"),
            ("F5", "Tree"),
            ("F6", "Sort"),
            ("F9", "Kill"),
            ("F10", "Quit"),
            ("K", "Suspects"),
            ("z", "Pause"),
        ] {
            assert!(bar.contains(&want), "{want:?} missing from {bar:?}");
        }
        assert_eq!(
            key_bar(Context::Confirm),
            vec![("y", "Kill"), ("n", "Cancel")]
        );
    }
}
