//! The key table: the single source for the key handler, the help popup and the README.
//! Resolution is a pure function of (key, context).

use crossterm::event::{KeyCode, KeyEvent};

mod actions;
pub use actions::Intent;

/// Where a key is pressed: the main screen, a popup, or a line being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Main screen.
    Main,
    /// A confirmation dialog.
    Confirm,
    /// The help or details popup.
    Popup,
    /// Typing the search (F3): characters go to the search.
    Search,
    /// Typing the filter (`/`): characters go to the filter.
    Filter,
    /// The guarded migrate's choice of environment (`m`).
    Migrate,
    /// Typing a production environment's name to migrate it: characters go to the name.
    MigrateName,
}

impl Context {
    /// Every context, in the order help and the README list their keys.
    pub const ALL: [Context; 7] = [
        Context::Main,
        Context::Confirm,
        Context::Popup,
        Context::Search,
        Context::Filter,
        Context::Migrate,
        Context::MigrateName,
    ];

    /// Where the context's keys apply, as help and the README say it (`""` for the main
    /// screen, `"in a dialog"`).
    pub fn place(self) -> &'static str {
        match self {
            Context::Main => "",
            Context::Confirm => "in a dialog",
            Context::Popup => "in a popup",
            Context::Search => "while searching",
            Context::Filter => "while filtering",
            Context::Migrate => "choosing what to migrate",
            Context::MigrateName => "typing the name to migrate",
        }
    }
}

/// One binding: keys, the context it applies in, the intent and the help text. Which
/// bindings the key bar shows, and under which name, is [`crate::app::key_bar`].
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

use Context::{
    Confirm as C, Filter as FI, Main as M, Migrate as MI, MigrateName as MN, Popup as P,
    Search as S,
};
use KeyCode::{Char, Down, End, Enter, Esc, F, Home, PageDown, PageUp, Tab, Up};

/// Every binding. Ctrl-C always quits (handled before the table).
pub const BINDINGS: &[Binding] = &[
    b("? F1", &[Char('?'), F(1)], M, Intent::Help, "this help"),
    b(
        "F3",
        &[F(3)],
        M,
        Intent::Search,
        "search as you type: jump to the next row whose PID, role, name or argv matches (again: next match)",
    ),
    b(
        "/ F4",
        &[Char('/'), F(4)],
        M,
        Intent::Filter,
        "filter as you type (PID, role, name, argv)",
    ),
    b(
        "t F5",
        &[Char('t'), F(5)],
        M,
        Intent::ToggleTree,
        "tree / flat list",
    ),
    b(
        "o F6",
        &[Char('o'), F(6)],
        M,
        Intent::SortNext,
        "next sort order",
    ),
    b(
        "x F9",
        &[Char('x'), F(9)],
        M,
        Intent::KillSelected,
        "kill selected + children",
    ),
    b(
        "q F10",
        &[Char('q'), F(10)],
        M,
        Intent::Quit,
        "quit (Ctrl-C too)",
    ),
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
        "start the dev servers in order (again: a held one starts anyway)",
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
    ),
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
        "run the preflight checks (Preflight screen)",
    ),
    b(
        "z",
        &[Char('z')],
        M,
        Intent::Pause,
        "pause / resume the process list",
    ),
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
    ),
    b("Esc/q", &[Esc, Char('q')], C, Intent::Cancel, "cancel"),
    b(
        "n",
        &[Char('n')],
        C,
        Intent::No,
        "no (restart: only the selected server; elsewhere cancel)",
    ),
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
    ),
    // While a line is typed, every other key is a character of it (Backspace deletes one).
    b("F3", &[F(3)], S, Intent::Search, "next matching row"),
    b(
        "Enter",
        &[Enter],
        S,
        Intent::Confirm,
        "keep the search, stop typing",
    ),
    b("Esc", &[Esc], S, Intent::Cancel, "clear the search"),
    b(
        "Enter",
        &[Enter],
        FI,
        Intent::Confirm,
        "keep the filter, stop typing",
    ),
    b("Esc", &[Esc], FI, Intent::Cancel, "clear the filter"),
    b(
        "↑/k",
        &[Up, Char('k')],
        MI,
        Intent::Up,
        "previous environment",
    ),
    b(
        "↓/j",
        &[Down, Char('j')],
        MI,
        Intent::Down,
        "next environment",
    ),
    b(
        "Enter",
        &[Enter],
        MI,
        Intent::Confirm,
        "migrate it (production: type its name first)",
    ),
    b(
        "Esc/q",
        &[Esc, Char('q'), Char('n')],
        MI,
        Intent::Cancel,
        "cancel",
    ),
    b(
        "Enter",
        &[Enter],
        MN,
        Intent::Confirm,
        "migrate, when the typed name is the environment's",
    ),
    b("Esc", &[Esc], MN, Intent::Cancel, "back to the choice"),
];

/// Resolve a key press in a context against the default table. Ctrl-C quits everywhere.
/// (The effective table, with the user's overrides, is [`crate::app::keys::KeyMap`].)
pub fn resolve(key: KeyEvent, context: Context) -> Option<Intent> {
    crate::app::keys::KeyMap::default().resolve(key, context)
}

/// Bindings of the default table that share a key in one context (must be empty; checked by
/// a test).
pub fn duplicates() -> Vec<(Context, KeyCode)> {
    crate::app::keys::KeyMap::default().duplicates()
}

#[cfg(test)]
mod tests;
