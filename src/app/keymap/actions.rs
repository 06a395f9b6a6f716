//! The actions a key can ask for ([`Intent`]) and their names in a `[keys]` table.

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
    /// A dialog's "no" that is not a cancel: in the restart question, restart only the
    /// selected server (not what depends on it); in every other dialog, cancel.
    No,
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
            Intent::No => "no",
            Intent::Preflight => "preflight",
            Intent::ViewPreflight => "preflight_screen",
            Intent::PreflightTarget => "preflight_target",
            Intent::Confirm => "confirm",
            Intent::Migrate => "migrate",
        }
    }
}
