//! Database errors sorted into the few kinds a developer acts on differently
//! ("is the server up?", "is my password right?", "did I create the database?").
//!
//! Pure data: the driver errors are classified into these by `crate::db::error`.

use std::fmt;
use std::time::Duration;

/// What went wrong, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DbErrorKind {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens on the port (TCP RST) or the Unix socket is missing.
    Refused,
    /// No answer within the timeout (unreachable host, black hole, pool exhausted).
    Timeout,
    /// TLS handshake or certificate problem.
    Tls,
    /// The server only accepts encrypted connections and devtop connected without TLS
    /// (PostgreSQL `hostssl`-only pg_hba.conf: 28000 "… no encryption" / "SSL off"; managed
    /// hosts' "SSL connection is required"; MySQL 3159 `require_secure_transport`).
    TlsRequired,
    /// Wrong user or password (PostgreSQL SQLSTATE 28P01 / 28000, MySQL 1045 / 1044 / 1698).
    Auth,
    /// The database (or SQLite file) does not exist (PostgreSQL 3D000, MySQL 1049, SQLite
    /// SQLITE_CANTOPEN).
    NoDatabase,
    /// The server refuses more connections (PostgreSQL 53300, MySQL 1040 / 1203 / 1226).
    TooManyConnections,
    /// The server gave up waiting for a lock another session holds (PostgreSQL 55P03
    /// `lock_timeout`, MySQL/MariaDB 1205 `lock_wait_timeout`; SQLite SQLITE_BUSY).
    Locked,
    /// Anything else (SQL errors, protocol errors, read-only violations, ...).
    Other,
}

impl DbErrorKind {
    /// A short lower-case label: "DNS lookup failed", "connection refused", "timed out",
    /// "TLS failure", "TLS required", "authentication failed", "database does not exist",
    /// "too many connections", "blocked by a lock" or "error".
    pub fn plain(&self) -> &'static str {
        match self {
            DbErrorKind::Dns => "DNS lookup failed",
            DbErrorKind::Refused => "connection refused",
            DbErrorKind::Timeout => "timed out",
            DbErrorKind::Tls => "TLS failure",
            DbErrorKind::TlsRequired => "TLS required",
            DbErrorKind::Auth => "authentication failed",
            DbErrorKind::NoDatabase => "database does not exist",
            DbErrorKind::TooManyConnections => "too many connections",
            DbErrorKind::Locked => "blocked by a lock",
            DbErrorKind::Other => "error",
        }
    }
}

impl fmt::Display for DbErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plain())
    }
}

/// How a [`DbError::no_handshake`] message starts.
pub const NO_HANDSHAKE: &str = "connected, but the server never answered the protocol handshake";

/// A classified database error. `Display` is `"<kind.plain()>: <message>"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.plain())]
pub struct DbError {
    /// The coarse kind.
    pub kind: DbErrorKind,
    /// The driver's / server's message (with SQLSTATE or MySQL error number when there is
    /// one). Never contains the password: sqlx does not put connection options into its
    /// messages, and `crate::db::connect` additionally scrubs the URL and password.
    pub message: String,
}

impl DbError {
    /// An error of `kind` with `message`.
    pub fn new(kind: DbErrorKind, message: impl Into<String>) -> Self {
        DbError {
            kind,
            message: message.into(),
        }
    }

    /// A [`DbErrorKind::Timeout`] of a server that accepted the TCP connection to `endpoint`
    /// (`host:port`) and never answered the protocol handshake within `after`
    /// ([`DbError::is_no_handshake`]).
    pub fn no_handshake(endpoint: &str, after: Duration) -> Self {
        DbError::new(
            DbErrorKind::Timeout,
            format!(
                "{NO_HANDSHAKE} within {:.1} s (TCP connected to {endpoint})",
                after.as_secs_f64()
            ),
        )
    }

    /// True for a [`DbError::no_handshake`]: connected, but the server never answered.
    pub fn is_no_handshake(&self) -> bool {
        self.kind == DbErrorKind::Timeout && self.message.starts_with(NO_HANDSHAKE)
    }

    /// A [`DbErrorKind::Timeout`] saying no answer came within `after`.
    pub fn timeout(after: Duration) -> Self {
        DbError::new(
            DbErrorKind::Timeout,
            format!("no answer within {:.1} s", after.as_secs_f64()),
        )
    }
}
