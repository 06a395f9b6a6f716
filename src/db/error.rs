//! Database errors sorted into the few kinds a developer acts on differently
//! ("is the server up?", "is my password right?", "did I create the database?"): the
//! classification of driver errors into [`DbErrorKind`] (the types live in `crate::model`).

use std::io;

use sqlx::mysql::MySqlDatabaseError;
use sqlx::postgres::PgDatabaseError;

use crate::model::db_error::{DbError, DbErrorKind};

/// Messages with which servers and poolers refuse an unencrypted connection (lower case).
const TLS_REQUIRED: [&str; 9] = [
    "no encryption",
    "ssl off",
    "ssl connection is required",
    "ssl connection required",
    "ssl/tls required",
    "ssl required",
    "sslmode=require",
    "connection is insecure",
    "insecure transport",
];

fn says_tls_required(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    TLS_REQUIRED.iter().any(|m| lower.contains(m))
}

/// The kind of a PostgreSQL server error from its SQLSTATE and message: `28P01`/`28000` →
/// Auth, unless the message says encryption is required (pg_hba.conf `hostssl` only: "no
/// pg_hba.conf entry for host …, no encryption", "SSL off" before PostgreSQL 14; managed
/// hosts: "SSL connection is required") → TlsRequired; `3D000` → NoDatabase; `53300` →
/// TooManyConnections; `55P03` (lock_timeout) → Locked; `57014` (statement_timeout) →
/// Timeout; anything else with such a TLS message → TlsRequired, else Other.
pub fn classify_pg(code: &str, message: &str) -> DbErrorKind {
    match code {
        "28P01" | "28000" if says_tls_required(message) => DbErrorKind::TlsRequired,
        "28P01" | "28000" => DbErrorKind::Auth,
        "3D000" => DbErrorKind::NoDatabase,
        "53300" => DbErrorKind::TooManyConnections,
        "55P03" => DbErrorKind::Locked,
        "57014" => DbErrorKind::Timeout,
        _ if says_tls_required(message) => DbErrorKind::TlsRequired,
        _ => DbErrorKind::Other,
    }
}

/// The kind of a MySQL/MariaDB server error from its number and message: 3159
/// (`require_secure_transport`) → TlsRequired; 1045/1044/1698 → Auth; 1049 → NoDatabase;
/// 1040/1203/1226 → TooManyConnections; 1205 (lock_wait_timeout) → Locked; 1969 (MariaDB
/// max_statement_time) / 3024 (MySQL max_execution_time) → Timeout; else Other.
pub fn classify_mysql(number: u16, message: &str) -> DbErrorKind {
    match number {
        3159 => DbErrorKind::TlsRequired,
        1044 | 1045 | 1698 => DbErrorKind::Auth,
        1049 => DbErrorKind::NoDatabase,
        1040 | 1203 | 1226 => DbErrorKind::TooManyConnections,
        1205 => DbErrorKind::Locked,
        1969 | 3024 => DbErrorKind::Timeout,
        _ if says_tls_required(message) => DbErrorKind::TlsRequired,
        _ => DbErrorKind::Other,
    }
}

/// Sorts a sqlx error into a [`DbErrorKind`] and keeps its message.
///
/// * Server errors: PostgreSQL by [`classify_pg`], MySQL/MariaDB by [`classify_mysql`];
///   SQLite SQLITE_CANTOPEN (14) → NoDatabase, SQLITE_BUSY (5) → Locked.
/// * I/O: `ConnectionRefused` or a missing Unix socket → Refused, `TimedOut` → Timeout,
///   "failed to lookup address" / "Name or service not known" / "Temporary failure in name
///   resolution" → Dns.
/// * `sqlx::Error::Tls` → Tls; `PoolTimedOut` → Timeout; everything else → Other.
pub fn classify(e: &sqlx::Error) -> DbError {
    match e {
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
                let kind = classify_pg(pg.code(), pg.message());
                return DbError::new(kind, format!("{} (SQLSTATE {})", pg.message(), pg.code()));
            }
            if let Some(my) = db.try_downcast_ref::<MySqlDatabaseError>() {
                let kind = classify_mysql(my.number(), my.message());
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
                Some(5) => DbErrorKind::Locked,
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
    use std::time::Duration;

    #[test]
    fn plain_labels() {
        assert_eq!(DbErrorKind::Dns.plain(), "DNS lookup failed");
        assert_eq!(DbErrorKind::Refused.plain(), "connection refused");
        assert_eq!(DbErrorKind::Timeout.plain(), "timed out");
        assert_eq!(DbErrorKind::Tls.plain(), "TLS failure");
        assert_eq!(DbErrorKind::TlsRequired.plain(), "TLS required");
        assert_eq!(DbErrorKind::Locked.plain(), "blocked by a lock");
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

    /// The messages below are verbatim from the servers and poolers named.
    #[test]
    fn tls_required_is_not_an_auth_failure() {
        let pg = [
            // PostgreSQL 14+ with only `hostssl` lines in pg_hba.conf.
            (
                "28000",
                "no pg_hba.conf entry for host \"127.0.0.1\", user \"app\", database \"app\", no encryption",
            ),
            // PostgreSQL 13 and older.
            (
                "28000",
                "no pg_hba.conf entry for host \"10.0.0.5\", user \"app\", database \"app\", SSL off",
            ),
            // Azure Database for PostgreSQL.
            (
                "28000",
                "SSL connection is required. Please specify SSL options and retry.",
            ),
            // CockroachDB.
            (
                "28000",
                "node is running secure mode, SSL connection required",
            ),
            // Neon's proxy.
            (
                "XX000",
                "connection is insecure (try using `sslmode=require`)",
            ),
        ];
        for (code, message) in pg {
            assert_eq!(
                classify_pg(code, message),
                DbErrorKind::TlsRequired,
                "{message}"
            );
        }
        // The same SQLSTATE without a TLS hint is a plain authentication failure.
        assert_eq!(
            classify_pg(
                "28000",
                "no pg_hba.conf entry for host \"127.0.0.1\", user \"app\", database \"app\", SSL encryption"
            ),
            DbErrorKind::Auth
        );
        assert_eq!(
            classify_pg("28P01", "password authentication failed for user \"app\""),
            DbErrorKind::Auth
        );
        assert_eq!(
            classify_mysql(
                3159,
                "Connections using insecure transport are prohibited while --require_secure_transport=ON."
            ),
            DbErrorKind::TlsRequired
        );
        assert_eq!(
            classify_mysql(
                1045,
                "Access denied for user 'app'@'10.0.0.5' (using password: YES)"
            ),
            DbErrorKind::Auth
        );
    }

    #[test]
    fn server_side_timeouts() {
        assert_eq!(
            classify_pg("55P03", "canceling statement due to lock timeout"),
            DbErrorKind::Locked
        );
        assert_eq!(
            classify_pg("57014", "canceling statement due to statement timeout"),
            DbErrorKind::Timeout
        );
        assert_eq!(
            classify_mysql(
                1205,
                "Lock wait timeout exceeded; try restarting transaction"
            ),
            DbErrorKind::Locked
        );
        assert_eq!(
            classify_mysql(
                1969,
                "Query execution was interrupted (max_statement_time exceeded)"
            ),
            DbErrorKind::Timeout
        );
    }
}
