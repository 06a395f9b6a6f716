//! The app state: the latest snapshots plus what the user has chosen (selection, sort, filter,
//! focus, popups). Changed only by [`crate::tui::update::update`].

use crate::collect::cli_drift::CliDiffs;
use crate::collect::tasks::MemoryView;
use crate::model::database::DbSnapshot;
use crate::model::db_view::{EnvView, MatrixRow, derive_all, matrix};
use crate::model::kill_plan::PlannedKill;
use crate::model::process::ProcessInfo;
use crate::model::snapshot::ProcessSnapshot;
use crate::model::tree::{Row, Scope, SortKey, flat_rows, tree_rows};
use crate::prisma::migrations_dir::MigrationsDir;
use crate::prisma::project::PrismaProject;
use std::sync::Arc;
use std::time::Duration;

/// Which screen is shown (`1`, `2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// Processes, Memory, Logs.
    #[default]
    Processes,
    /// Health, Migrations, Logs.
    Databases,
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
}

impl Focus {
    /// Next pane of `view`.
    pub fn next(self, view: View) -> Focus {
        match (view, self) {
            (View::Processes, Focus::Processes) => Focus::Memory,
            (View::Processes, Focus::Memory) => Focus::Logs,
            (View::Processes, _) => Focus::Processes,
            (View::Databases, Focus::Health) => Focus::Migrations,
            (View::Databases, Focus::Migrations) => Focus::Logs,
            (View::Databases, _) => Focus::Health,
        }
    }
}

/// An open popup.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    /// Key help, generated from the key table.
    Help,
    /// Details of one process.
    Details(u32),
    /// Kill confirmation listing what will be signalled.
    ConfirmKill {
        /// Title ("Kill PID 123 and 2 descendants?", "Kill 4 suspects?").
        title: String,
        /// The processes, children first.
        plan: Vec<PlannedKill>,
    },
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
    /// One-line status message (last action's result).
    pub status: Option<String>,
    /// Rows of the process list visible per page (set from the last frame's size).
    pub page: usize,
    /// Set by Quit.
    pub quit: bool,
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
    /// Latest `prisma migrate diff` per environment (empty without the project's CLI).
    pub cli_diffs: Arc<CliDiffs>,
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
            focus: Focus::Processes,
            popup: None,
            grace,
            killing: 0,
            status: None,
            page: 10,
            quit: false,
            view: View::Processes,
            dbs: Arc::new(DbSnapshot::default()),
            local_migrations: Arc::new(MigrationsDir::absent(std::path::Path::new(
                "prisma/migrations",
            ))),
            prisma: Arc::new(PrismaProject::default()),
            env_views: Vec::new(),
            matrix: Vec::new(),
            matrix_offset: 0,
            cli_diffs: Arc::new(CliDiffs::new()),
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

    /// True when `p` passes the filter.
    pub fn passes_filter(&self, p: &ProcessInfo) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let f = self.filter.to_lowercase();
        p.pid.to_string().contains(&f)
            || p.role.label().contains(&f)
            || p.name.to_lowercase().contains(&f)
            || p.cmd.iter().any(|w| w.to_lowercase().contains(&f))
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
