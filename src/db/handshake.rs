//! After a connect timed out: was the TCP connection made? A server that accepts the
//! connection and never answers the protocol handshake (a port that is not a database, a
//! proxy or tunnel forwarding nowhere, an overloaded server) wants a different fix than a
//! connect stuck in SYN_SENT (a firewall, a VPN that is down). One short, separate TCP
//! connect tells them apart; it is only made after a timeout, so a healthy server never
//! sees it.

use crate::db::url::DbUrl;
use crate::model::db_error::{DbError, DbErrorKind};
use crate::model::provider::Provider;
use std::time::Duration;

/// Longest the TCP connect of [`refine`] may take (a connected-but-silent server answers
/// the SYN within a round trip).
pub const TCP_PROBE: Duration = Duration::from_millis(500);

/// `e` refined when it is a [`DbErrorKind::Timeout`] of a connect to a TCP server:
/// [`DbError::no_handshake`] when a TCP connection to the same host and port is made within
/// [`TCP_PROBE`]; "… (no TCP connection: SYN_SENT)" when that also times out; else `e`
/// (SQLite, a Unix socket, a refused or unresolvable probe). `timeout`: the connect's limit.
pub async fn refine(url: &DbUrl, timeout: Duration, e: DbError) -> DbError {
    if e.kind != DbErrorKind::Timeout {
        return e;
    }
    let Some((host, port)) = endpoint(url) else {
        return e;
    };
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(TCP_PROBE, connect).await {
        // Dropped right away: the server sees a connection close before any packet.
        Ok(Ok(_stream)) => DbError::no_handshake(&endpoint_text(&host, port), timeout),
        Ok(Err(_)) => e,
        Err(_) => DbError::new(
            DbErrorKind::Timeout,
            format!(
                "{} (no TCP connection to {}: SYN_SENT)",
                e.message,
                endpoint_text(&host, port)
            ),
        ),
    }
}

fn endpoint_text(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The TCP host and port of a PostgreSQL / MySQL URL (defaults 5432 / 3306); `None` for
/// SQLite and for a socket given as a parameter (`?host=/var/run/postgresql`, `?socket=`).
fn endpoint(url: &DbUrl) -> Option<(String, u16)> {
    let default = match url.provider {
        Provider::Postgres => 5432,
        Provider::Mysql => 3306,
        Provider::Sqlite => return None,
    };
    let u = url::Url::parse(url.sqlx_url()).ok()?;
    if u.query_pairs().any(|(k, _)| k == "host" || k == "socket") {
        return None;
    }
    let host = match u.host()? {
        url::Host::Domain(d) => d.to_owned(),
        url::Host::Ipv4(a) => a.to_string(),
        url::Host::Ipv6(a) => a.to_string(),
    };
    Some((host, u.port().unwrap_or(default)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::net::TcpListener;

    fn url(text: &str) -> DbUrl {
        crate::db::url::parse(text, std::path::Path::new("/p/prisma")).unwrap()
    }

    #[tokio::test]
    async fn a_listener_that_accepts_is_no_handshake_a_closed_port_stays() {
        // Accepts (the kernel completes the handshake from the backlog) and never writes.
        let hole = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = hole.local_addr().unwrap();
        let u = url(&format!("postgresql://u:pw@{addr}/db"));
        let e = refine(
            &u,
            Duration::from_secs(5),
            DbError::timeout(Duration::from_secs(5)),
        )
        .await;
        assert_eq!(e.kind, DbErrorKind::Timeout);
        assert!(e.is_no_handshake(), "{e}");
        assert!(e.message.contains(&addr.to_string()), "{e}");
        assert!(!e.message.contains("pw"), "{e}");
        drop(hole);
        // Nothing listens now: the probe is refused, the error stays as it was.
        let e = refine(
            &u,
            Duration::from_secs(5),
            DbError::timeout(Duration::from_secs(5)),
        )
        .await;
        assert!(!e.is_no_handshake(), "{e}");
        assert_eq!(e.message, "no answer within 5.0 s");
        // Other kinds and SQLite are left alone.
        let refused = DbError::new(DbErrorKind::Refused, "x");
        assert_eq!(
            refine(&u, Duration::from_secs(5), refused.clone()).await,
            refused
        );
        let lite = url("file:./dev.db");
        let t = DbError::timeout(Duration::from_secs(5));
        assert_eq!(refine(&lite, Duration::from_secs(5), t.clone()).await, t);
    }

    /// A listener whose accept queue is full (backlog 0, filled, never accepted): Linux drops
    /// further SYNs, so a connect to it stays in SYN_SENT — the unroutable host, on loopback.
    /// Returns the socket (closed on drop), its address and the connections filling it.
    fn syn_sent_listener() -> (
        std::os::fd::OwnedFd,
        std::net::SocketAddr,
        Vec<std::net::TcpStream>,
    ) {
        use rustix::net::{AddressFamily, SocketType, bind, getsockname, listen, socket};
        let fd = socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        bind(&fd, &any).unwrap();
        listen(&fd, 0).unwrap();
        let addr = std::net::SocketAddr::try_from(getsockname(&fd).unwrap()).unwrap();
        let mut filling = Vec::new();
        while let Ok(s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            filling.push(s);
            assert!(filling.len() < 64, "the accept queue never filled");
        }
        (fd, addr, filling)
    }

    /// Through the real connect: a black-hole listener (accepts, never writes) is "connected,
    /// but no handshake"; a connect stuck in SYN_SENT says so. Both stay timeouts.
    #[tokio::test]
    async fn connect_tells_a_silent_server_from_syn_sent() {
        let hole = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = hole.local_addr().unwrap();
        // Accepts every connection and keeps it open, never writing.
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while let Ok((s, _)) = hole.accept() {
                held.push(s);
            }
        });
        let u = url(&format!("postgresql://u:pw@{addr}/db"));
        let limit = Duration::from_millis(1500);
        let e = crate::db::connect::connect(&u, limit).await.err().unwrap();
        assert_eq!(e.kind, DbErrorKind::Timeout, "{e}");
        assert!(e.is_no_handshake(), "{e}");
        assert!(
            e.message.starts_with(
                "connected, but the server never answered the protocol handshake within 1.5 s"
            ),
            "{e}"
        );

        let (_fd, addr, _filling) = syn_sent_listener();
        let u = url(&format!("mysql://u:pw@{addr}/db"));
        let e = crate::db::connect::connect(&u, limit).await.err().unwrap();
        assert_eq!(e.kind, DbErrorKind::Timeout, "{e}");
        assert!(!e.is_no_handshake(), "{e}");
        assert!(e.message.contains("SYN_SENT"), "{e}");
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint(&url("postgresql://u@db.example/app")),
            Some(("db.example".into(), 5432))
        );
        assert_eq!(
            endpoint(&url("mysql://u@10.0.0.5:3307/app")),
            Some(("10.0.0.5".into(), 3307))
        );
        assert_eq!(
            endpoint(&url(
                "postgresql://u@localhost/app?host=/var/run/postgresql"
            )),
            None
        );
    }
}
