//! What the database collector publishes per environment: reachability, health, Prisma's
//! migrations table, its migrate lock, and the columns used for drift.

use crate::model::db_error::DbError;
use crate::model::db_health::{Health, LockHolder};
use crate::model::migrations::AppliedRow;
use crate::model::provider::Provider;
use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

/// Latency samples kept for the sparkline (one per probe).
pub const HISTORY_LEN: usize = 60;

/// Reachability of one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DbStatus {
    /// No URL (variable unset or unparsable).
    Unconfigured,
    /// First connection attempt in flight.
    Connecting,
    /// The last probe succeeded.
    Up,
    /// The last connect or probe failed.
    Down,
}

/// `_prisma_migrations` as last read.
#[derive(Debug, Clone, PartialEq)]
pub enum AppliedState {
    /// Not read yet (database down or not probed).
    Unknown,
    /// The table does not exist: no migrations applied yet.
    Absent,
    /// Its rows.
    Rows(Vec<AppliedRow>),
    /// Reading it failed (with the reason).
    Error(String),
}

/// One environment's latest state.
#[derive(Debug, Clone, PartialEq)]
pub struct DbEnvSnapshot {
    /// "local", "staging", ...
    pub name: String,
    /// Variable the URL came from.
    pub url_env: String,
    /// URL with the password masked; `None` when unconfigured.
    pub masked_url: Option<String>,
    /// Provider from the URL scheme.
    pub provider: Option<Provider>,
    /// Up / down / ...
    pub status: DbStatus,
    /// Why it is unconfigured, when it is.
    pub unconfigured: Option<String>,
    /// True when `unconfigured` is a configuration error (a URL that does not parse or is not
    /// supported, a `.env` that cannot be read) rather than an unset variable.
    pub config_error: bool,
    /// Last successful probe.
    pub health: Option<Health>,
    /// Last failure (kept while down).
    pub error: Option<DbError>,
    /// Time of the last successful probe.
    pub last_success: Option<SystemTime>,
    /// `SELECT 1` latency per probe in ms, `None` for a failed probe; oldest first, at most
    /// [`HISTORY_LEN`].
    pub history: Vec<Option<f64>>,
    /// Seconds until the next attempt while down (exponential backoff 5 s → 60 s).
    pub retry_in_s: Option<f64>,
    /// Prisma's migrations table.
    pub applied: AppliedState,
    /// Holder of Prisma's migrate lock, if held.
    pub lock: Option<LockHolder>,
    /// The local process (schema-engine, node) whose connection holds the lock, when the
    /// holder connected from this machine.
    pub lock_local_pid: Option<u32>,
    /// Tables → columns of the database's current schema, for drift.
    pub columns: Option<BTreeMap<String, BTreeSet<String>>>,
    /// When [`columns`](Self::columns) was last read (they are re-read when the migrations
    /// table changes, and at most every minute otherwise).
    pub columns_read_at: Option<SystemTime>,
}

impl DbEnvSnapshot {
    /// A fresh entry before any probe.
    pub fn new(name: &str, url_env: &str) -> Self {
        DbEnvSnapshot {
            name: name.to_owned(),
            url_env: url_env.to_owned(),
            masked_url: None,
            provider: None,
            status: DbStatus::Connecting,
            unconfigured: None,
            config_error: false,
            health: None,
            error: None,
            last_success: None,
            history: Vec::new(),
            retry_in_s: None,
            applied: AppliedState::Unknown,
            lock: None,
            lock_local_pid: None,
            columns: None,
            columns_read_at: None,
        }
    }

    /// The server answered that the database does not exist yet (PostgreSQL 3D000, MySQL
    /// 1049, a missing SQLite file): `prisma migrate deploy` creates it, with every migration
    /// pending. An unreachable server is not this.
    pub fn missing_database(&self) -> bool {
        self.unconfigured.is_none()
            && self.health.is_none()
            && self
                .error
                .as_ref()
                .is_some_and(|e| e.kind == crate::model::db_error::DbErrorKind::NoDatabase)
    }

    /// Record one latency sample (`None` = failed probe).
    pub fn push_history(&mut self, sample: Option<f64>) {
        self.history.push(sample);
        if self.history.len() > HISTORY_LEN {
            let extra = self.history.len() - HISTORY_LEN;
            self.history.drain(..extra);
        }
    }
}

/// All environments, in configuration order (local first).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DbSnapshot {
    /// One entry per environment.
    pub envs: Vec<DbEnvSnapshot>,
}
