//! Database errors sorted into the few kinds a developer acts on differently
//! ("is the server up?", "is my password right?", "did I create the database?").

use std::fmt;
use std::io;
use std::time::Duration;

use sqlx::mysql::MySqlDatabaseError;
use sqlx::postgres::PgDatabaseError;

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
    /// Wrong user or password (PostgreSQL SQLSTATE 28P01 / 28000, MySQL 1045 / 1044 / 1698).
    Auth,
    /// The database (or SQLite file) does not exist (PostgreSQL 3D000, MySQL 1049, SQLite
    /// SQLITE_CANTOPEN).
    NoDatabase,
    /// The server refuses more connections (PostgreSQL 53300, MySQL 1040 / 1203 / 1226).
    TooManyConnections,
    /// Anything else (SQL errors, protocol errors, read-only violations, ...).
    Other,
}

impl DbErrorKind {
    /// A short lower-case label: "DNS lookup failed", "connection refused", "timed out",
    /// "TLS failure", "authentication failed", "database does not exist",
    /// "too many connections" or "error".
    pub fn plain(&self) -> &'static str {
        match self {
            DbErrorKind::Dns => "DNS lookup failed",
            DbErrorKind::Refused => "connection refused",
            DbErrorKind::Timeout => "timed out",
            DbErrorKind::Tls => "TLS failure",
            DbErrorKind::Auth => "authentication failed",
            DbErrorKind::NoDatabase => "database does not exist",
            DbErrorKind::TooManyConnections => "too many connections",
            DbErrorKind::Other => "error",
        }
    }
}

impl fmt::Display for DbErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.plain())
    }
}

/// A classified database error. `Display` is `"<kind.plain()>: <message>"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.plain())]
pub struct DbError {
    /// The coarse kind.
    pub kind: DbErrorKind,
    /// The driver's / server's message (with SQLSTATE or MySQL error number when there is
    /// one). Never contains the password: sqlx does not put connection options into its
    /// messages, and [`crate::db::connect`] additionally scrubs the URL and password.
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

    /// A [`DbErrorKind::Timeout`] saying no answer came within `after`.
    pub fn timeout(after: Duration) -> Self {
        DbError::new(
            DbErrorKind::Timeout,
            format!("no answer within {:.1} s", after.as_secs_f64()),
        )
    }
}

/// Sorts a sqlx error into a [`DbErrorKind`] and keeps its message.
///
/// * Server errors: PostgreSQL SQLSTATE `28P01`/`28000` → Auth (28000 also covers
///   "role does not exist" and a missing pg_hba entry), `3D000` → NoDatabase, `53300` →
///   TooManyConnections; MySQL/MariaDB 1045/1044/1698 → Auth, 1049 → NoDatabase,
///   1040/1203/1226 → TooManyConnections; SQLite SQLITE_CANTOPEN (14) → NoDatabase.
/// * I/O: `ConnectionRefused` or a missing Unix socket → Refused, `TimedOut` → Timeout,
///   "failed to lookup address" / "Name or service not known" / "Temporary failure in name
///   resolution" → Dns.
/// * `sqlx::Error::Tls` → Tls; `PoolTimedOut` → Timeout; everything else → Other.
pub fn classify(e: &sqlx::Error) -> DbError {
    match e {
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
                let kind = match pg.code() {
                    "28P01" | "28000" => DbErrorKind::Auth,
                    "3D000" => DbErrorKind::NoDatabase,
                    "53300" => DbErrorKind::TooManyConnections,
                    _ => DbErrorKind::Other,
                };
                return DbError::new(kind, format!("{} (SQLSTATE {})", pg.message(), pg.code()));
            }
            if let Some(my) = db.try_downcast_ref::<MySqlDatabaseError>() {
                let kind = match my.number() {
                    1044 | 1045 | 1698 => DbErrorKind::Auth,
                    1049 => DbErrorKind::NoDatabase,
                    1040 | 1203 | 1226 => DbErrorKind::TooManyConnections,
                    _ => DbErrorKind::Other,
                };
                return DbError::new(kind, format!("{} (error {})", my.message(), my.number()));
            }
            // SQLite: the code is the extended result code; its low byte is the primary code.
            let code = db.code().map(|c| c.into_owned());
            let primary = code
                .as_deref()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff);
            let kind = match primary {
                Some(14) => DbErrorKind::NoDatabase,
                _ => DbErrorKind::Other,
            };
            let message = match code {
                Some(c) => format!("{} (code {c})", db.message()),
                None => db.message().to_owned(),
            };
            DbError::new(kind, message)
        }
        sqlx::Error::Io(io) => classify_io(io),
        sqlx::Error::Tls(t) => DbError::new(DbErrorKind::Tls, t.to_string()),
        sqlx::Error::PoolTimedOut => DbError::new(
            DbErrorKind::Timeout,
            "no connection available before the timeout",
        ),
        other => DbError::new(DbErrorKind::Other, other.to_string()),
    }
}

fn classify_io(io: &io::Error) -> DbError {
    let text = io.to_string();
    let lower = text.to_ascii_lowercase();
    let dns = [
        "failed to lookup address",
        "name or service not known",
        "temporary failure in name resolution",
        "nodename nor servname",
        "no address associated with hostname",
        "no such host",
    ];
    let kind = if dns.iter().any(|d| lower.contains(d)) {
        DbErrorKind::Dns
    } else {
        match io.kind() {
            io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound => DbErrorKind::Refused,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => DbErrorKind::Timeout,
            _ if lower.contains("certificate") || lower.contains("tls") => DbErrorKind::Tls,
            _ => DbErrorKind::Other,
        }
    };
    DbError::new(kind, text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_labels() {
        assert_eq!(DbErrorKind::Dns.plain(), "DNS lookup failed");
        assert_eq!(DbErrorKind::Refused.plain(), "connection refused");
        assert_eq!(DbErrorKind::Timeout.plain(), "timed out");
        assert_eq!(DbErrorKind::Tls.plain(), "TLS failure");
        assert_eq!(DbErrorKind::Auth.plain(), "authentication failed");
        assert_eq!(DbErrorKind::NoDatabase.plain(), "database does not exist");
        assert_eq!(
            DbErrorKind::TooManyConnections.plain(),
            "too many connections"
        );
        assert_eq!(DbErrorKind::Other.plain(), "error");
    }

    #[test]
    fn io_errors() {
        let refused = sqlx::Error::Io(io::Error::from(io::ErrorKind::ConnectionRefused));
        assert_eq!(classify(&refused).kind, DbErrorKind::Refused);
        let dns = sqlx::Error::Io(io::Error::other(
            "failed to lookup address information: Name or service not known",
        ));
        assert_eq!(classify(&dns).kind, DbErrorKind::Dns);
        let timed = sqlx::Error::Io(io::Error::from(io::ErrorKind::TimedOut));
        assert_eq!(classify(&timed).kind, DbErrorKind::Timeout);
        let reset = sqlx::Error::Io(io::Error::from(io::ErrorKind::ConnectionReset));
        assert_eq!(classify(&reset).kind, DbErrorKind::Other);
    }

    #[test]
    fn pool_and_tls() {
        assert_eq!(
            classify(&sqlx::Error::PoolTimedOut).kind,
            DbErrorKind::Timeout
        );
        let tls = sqlx::Error::Tls("server does not support TLS".into());
        assert_eq!(classify(&tls).kind, DbErrorKind::Tls);
        let proto = sqlx::Error::Protocol("garbage".into());
        assert_eq!(classify(&proto).kind, DbErrorKind::Other);
    }

    #[test]
    fn display_and_timeout() {
        let e = DbError::timeout(Duration::from_secs(5));
        assert_eq!(e.kind, DbErrorKind::Timeout);
        assert_eq!(e.to_string(), "timed out: no answer within 5.0 s");
    }
}
