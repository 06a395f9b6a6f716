//! The app state: the latest snapshots plus what the user has chosen (selection, sort, filter,
//! focus, popups). Changed only by [`crate::app::update::update`].

use crate::app::confirm::{Confirm, Notice};
use crate::app::keys::KeyMap;
use crate::app::servers::Servers;
use crate::collect::tasks::MemoryView;
use crate::model::cli_diff::CliDiffs;
use crate::model::database::DbSnapshot;
use crate::model::db_view::{EnvView, MatrixRow, derive_all, matrix};
use crate::model::local_migrations::MigrationsDir;
use crate::model::process::ProcessInfo;
use crate::model::refusal::Protected;
use crate::model::snapshot::ProcessSnapshot;
use crate::model::tree::{Row, Scope, SortKey, flat_rows, tree_rows};
use crate::prisma::project::PrismaProject;
use ratatui::layout::Rect;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Which screen is shown (`1`, `2`, `3`, `4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// Processes, Memory, Logs.
    #[default]
    Processes,
    /// Health, Migrations, Logs.
    Databases,
    /// Servers, Logs.
    Servers,
    /// Preflight checks, Logs.
    Preflight,
}

/// Which pane has focus (Tab cycles through the panes of the current view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    /// The process list.
    #[default]
    Processes,
    /// Memory gauges.
    Memory,
    /// Log lines.
    Logs,
    /// Database health.
    Health,
    /// Migration matrix.
    Migrations,
    /// Dev servers (`[[server]]`).
    Servers,
    /// The preflight checks.
    Preflight,
}

impl Focus {
    /// Next pane of `view` (the pane table's focus order, [`crate::app::panes`]).
    pub fn next(self, view: View) -> Focus {
        crate::app::panes::next_pane(view, self)
    }
}

/// An open popup.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    /// Key help, generated from the key table, scrolled `scroll` rows down.
    Help {
        /// Rows scrolled down from the first (0: the top is shown).
        scroll: usize,
    },
    /// Details of one process.
    Details(u32),
    /// The confirm popup of a destructive action (see [`crate::app::confirm`]).
    Confirm(Confirm),
    /// The guarded migrate's environment picker (`m`, see [`crate::app::migrate`]).
    Migrate(crate::app::migrate::MigratePick),
    /// Details of one server with its log, scrolled `scroll` lines up from the newest.
    ServerDetails {
        /// The server's name.
        name: String,
        /// Lines scrolled back from the end (0: the newest lines are shown).
        scroll: usize,
    },
}

/// What the Logs pane shows (`f` cycles it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LogSource {
    /// devtop's own messages (kill outcomes, server steps, collector errors).
    #[default]
    Devtop,
    /// Every server's output, tagged with its name, in arrival order.
    AllServers,
    /// One server's output.
    Server(String),
}

/// Everything the renderer needs. Rendering is a pure function of this.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Latest process snapshot.
    pub procs: Arc<ProcessSnapshot>,
    /// Latest memory view.
    pub memory: Arc<MemoryView>,
    /// Selected PID (stable across refreshes).
    pub selected: Option<u32>,
    /// Tree (true) or flat list.
    pub tree: bool,
    /// Sort key.
    pub sort: SortKey,
    /// Filter text (case-insensitive substring of PID, role, name or argv).
    pub filter: String,
    /// True while typing the filter.
    pub filter_editing: bool,
    /// Search text (F3): rows are not hidden, the selection jumps to the next match.
    pub search: String,
    /// True while typing the search.
    pub search_editing: bool,
    /// Focused pane.
    pub focus: Focus,
    /// Open popup.
    pub popup: Option<Popup>,
    /// Requested scope (the snapshot's scope follows on the next pass).
    pub scope: Scope,
    /// Grace before SIGKILL (for the confirm dialog text).
    pub grace: Duration,
    /// Kills in flight.
    pub killing: usize,
    /// devtop's own PID, uid and ancestors: never kill targets (set at start by the loop).
    pub protected: Protected,
    /// The effective key table (defaults patched by `[keys]` in devtop.toml).
    pub keys: Arc<KeyMap>,
    /// The notice area's message (last action's result or a warning).
    pub notice: Option<Notice>,
    /// First row of the process list shown (kept where it was until the selection leaves the
    /// view, so a click lands on the row under the pointer).
    pub list_offset: usize,
    /// Mouse capture is on: clicks and the wheel act (off with `--no-mouse` or `mouse = false`).
    pub mouse: bool,
    /// Rows of the process list visible per page (set from the last frame's size).
    pub page: usize,
    /// The process list is frozen (`z`): new snapshots wait in `held`.
    pub paused: bool,
    /// The latest process snapshot received while paused.
    pub held: Option<Arc<ProcessSnapshot>>,
    /// Collector interval (`refresh`, changed live with `+`/`-`).
    pub refresh: Duration,
    /// Draw without colour (`NO_COLOR`); marks, words and attributes carry every state.
    pub no_color: bool,
    /// Set by Quit and by an ending signal.
    pub quit: bool,
    /// The ending signal's number, when a signal ended devtop.
    pub ended_by: Option<i32>,
    /// The terminal's area at the last draw or resize (keys act only when it is at least the
    /// minimum size).
    pub screen: Rect,
    /// Current screen.
    pub view: View,
    /// Latest database snapshot.
    pub dbs: Arc<DbSnapshot>,
    /// Latest reading of the local migrations folder.
    pub local_migrations: Arc<MigrationsDir>,
    /// The project's Prisma files (schema path, parsed schema, notes).
    pub prisma: Arc<PrismaProject>,
    /// Derived per environment (recomputed when the databases or the folder change).
    pub env_views: Vec<EnvView>,
    /// Derived migration × environment matrix, newest first.
    pub matrix: Vec<MatrixRow>,
    /// First matrix row shown (scrolling in the Migrations pane).
    pub matrix_offset: usize,
    /// First environment row of the Databases (health) table shown.
    pub health_offset: usize,
    /// Latest `prisma migrate diff` per environment (empty without the project's CLI).
    pub cli_diffs: Arc<CliDiffs>,
    /// The dev servers: rows, operation under way, their logs.
    pub servers: Servers,
    /// What the Logs pane shows on the Processes and Databases screens.
    pub log_source: LogSource,
    /// What the Logs pane shows on the Servers screen.
    pub server_log_source: LogSource,
    /// Lines the server-log view is scrolled back from the newest (0: follows).
    pub server_log_scroll: usize,
    /// `--keep`: quitting leaves this devtop's servers running without asking.
    pub keep_servers: bool,
    /// The memory guard (`[guard]`): level history, decision, kill in flight.
    pub guard: crate::app::guard::GuardState,
    /// The environment a guarded migrate (`m`) runs on, while one does.
    pub migrating: Option<String>,
    /// The user asked to quit while the migrate ran: quit when it ends.
    pub quit_after_migrate: bool,
    /// The watchdog's message while that run is hung.
    pub migrate_hung: Option<String>,
    /// The Preflight screen (`p`, `4`).
    pub preflight: crate::app::preflight::PreflightState,
}

impl AppState {
    /// Initial state before any snapshot.
    pub fn new(procs: Arc<ProcessSnapshot>, memory: Arc<MemoryView>, grace: Duration) -> Self {
        AppState {
            scope: procs.scope,
            procs,
            memory,
            selected: None,
            tree: true,
            sort: SortKey::Cpu,
            filter: String::new(),
            filter_editing: false,
            search: String::new(),
            search_editing: false,
            focus: Focus::Processes,
            popup: None,
            grace,
            killing: 0,
            protected: Protected::default(),
            keys: Arc::new(KeyMap::default()),
            notice: None,
            list_offset: 0,
            mouse: false,
            page: 10,
            paused: false,
            held: None,
            refresh: Duration::from_secs(1),
            no_color: false,
            quit: false,
            ended_by: None,
            screen: Rect::new(0, 0, 80, 24),
            view: View::Processes,
            dbs: Arc::new(DbSnapshot::default()),
            local_migrations: Arc::new(MigrationsDir::absent(std::path::Path::new(
                "prisma/migrations",
            ))),
            prisma: Arc::new(PrismaProject::default()),
            env_views: Vec::new(),
            matrix: Vec::new(),
            matrix_offset: 0,
            health_offset: 0,
            cli_diffs: Arc::new(CliDiffs::new()),
            servers: Servers::new(&[], crate::app::servers::logs::DEFAULT_LOG_LINES),
            log_source: LogSource::Devtop,
            server_log_source: LogSource::AllServers,
            server_log_scroll: 0,
            keep_servers: false,
            guard: crate::app::guard::GuardState::default(),
            migrating: None,
            quit_after_migrate: false,
            migrate_hung: None,
            preflight: crate::app::preflight::PreflightState::default(),
        }
    }

    /// What the Logs pane shows on the current screen.
    pub fn logs_shown(&self) -> &LogSource {
        if self.view == View::Servers {
            &self.server_log_source
        } else {
            &self.log_source
        }
    }

    /// Recompute the derived database views (call after `dbs`, `local_migrations` or `prisma`
    /// changed).
    pub fn derive_databases(&mut self) {
        self.env_views = derive_all(
            &self.local_migrations,
            self.prisma.schema.as_ref(),
            &self.dbs,
            &self.cli_diffs,
        );
        self.matrix = matrix(&self.local_migrations, &self.env_views);
        self.matrix_offset = self.matrix_offset.min(self.matrix.len().saturating_sub(1));
    }

    /// The latest time the snapshots know of: the process snapshot's time or a database
    /// probe's last success, whichever is later (ages on screen are computed against it, so a
    /// probe that finished after the process pass is "now", not "never").
    pub fn clock(&self) -> SystemTime {
        self.dbs
            .envs
            .iter()
            .filter_map(|e| e.last_success)
            .fold(self.procs.taken_at, SystemTime::max)
    }

    /// True when `p` passes the filter.
    pub fn passes_filter(&self, p: &ProcessInfo) -> bool {
        matches_text(p, &self.filter)
    }

    /// The rows of the process list in display order.
    pub fn rows(&self) -> Vec<Row> {
        let keep = |p: &ProcessInfo| self.passes_filter(p);
        if self.tree {
            tree_rows(&self.procs.processes, self.sort, &keep)
        } else {
            flat_rows(&self.procs.processes, self.sort, &keep)
        }
    }

    /// Index of the selected row in `rows`, if the selected PID is visible.
    pub fn selected_index(&self, rows: &[Row]) -> Option<usize> {
        let pid = self.selected?;
        rows.iter()
            .position(|r| self.procs.processes[r.index].pid == pid)
    }

    /// The selected process, if still shown.
    pub fn selected_process(&self) -> Option<&ProcessInfo> {
        self.selected.and_then(|pid| self.procs.get(pid))
    }
}

/// True when `text` (case-insensitive) is in `p`'s PID, role, name or an argv word; always for
/// an empty text. The filter (`/`) and the search (F3) match the same way.
pub fn matches_text(p: &ProcessInfo, text: &str) -> bool {
    if text.is_empty() {
        return true;
    }
    let f = text.to_lowercase();
    p.pid.to_string().contains(&f)
        || p.role.label().contains(&f)
        || p.name.to_lowercase().contains(&f)
        || p.cmd.iter().any(|w| w.to_lowercase().contains(&f))
}

/// Tests' starting point: the fixture process snapshot shown at 80x24, the first row selected.
#[cfg(test)]
pub fn fixture_state() -> AppState {
    let mut s = AppState::new(
        Arc::new(ProcessSnapshot::empty(Scope::Project, "/x".into())),
        Arc::new(crate::model::fixtures::memory(6.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    crate::app::update::update(
        &mut s,
        crate::app::update::Action::Processes(Arc::new(crate::model::fixtures::process_snapshot())),
    );
    s
}
