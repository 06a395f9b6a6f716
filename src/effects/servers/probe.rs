//! Readiness probes, each tried every [`PROBE_INTERVAL`]: a TCP connect to the loopback
//! (127.0.0.1 or ::1: a server may listen on either, as vite does where `localhost` resolves
//! to ::1 first), an HTTP/1.1 GET answered 2xx or 3xx (a host name tried at each of its
//! addresses), or a line of the server's log matching a regex.

use crate::model::server::ReadyProbe;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Time between two tries of a probe.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(50);
/// Longest single try (connect, request and status line).
const TRY_TIMEOUT: Duration = Duration::from_secs(2);
/// Most bytes of an HTTP answer read to find its status line.
const STATUS_BYTES: usize = 1024;

/// A probe ready to be tried.
#[derive(Debug)]
pub enum Probe {
    /// Connect to 127.0.0.1 or ::1 on this port (either answering is ready).
    Tcp(u16),
    /// GET this URL (`http://` only).
    Http(url::Url),
    /// Match new lines of the log file; `offset` is how far it was read.
    Log {
        /// The pattern.
        regex: regex::Regex,
        /// The server's log file.
        file: PathBuf,
        /// Bytes already looked at.
        offset: u64,
        /// An incomplete last line, kept until its end arrives.
        partial: String,
    },
}

impl Probe {
    /// Prepares `probe` for the server logging to `log`.
    ///
    /// # Errors
    /// A message for a URL that does not parse or is not `http://`, or a bad regex (both are
    /// also config errors, so this only guards against a spec built elsewhere).
    pub fn new(probe: &ReadyProbe, log: &Path) -> Result<Probe, String> {
        match probe {
            ReadyProbe::Tcp(port) => Ok(Probe::Tcp(*port)),
            ReadyProbe::Http(u) => {
                let url = url::Url::parse(u).map_err(|e| format!("ready url {u}: {e}"))?;
                if url.scheme() != "http" {
                    return Err(format!("ready url {u}: only http:// is supported"));
                }
                Ok(Probe::Http(url))
            }
            ReadyProbe::Log(re) => Ok(Probe::Log {
                regex: regex::Regex::new(re).map_err(|e| format!("ready log regex: {e}"))?,
                file: log.to_owned(),
                offset: 0,
                partial: String::new(),
            }),
        }
    }

    /// The same probe, a `log` one reading from byte `start` of the log (where this run's
    /// output begins: the file is appended to across runs).
    #[must_use]
    pub fn from_offset(mut self, start: u64) -> Probe {
        if let Probe::Log { offset, .. } = &mut self {
            *offset = start;
        }
        self
    }

    /// What it checks, for messages: "tcp 3010", "http http://…/health", "log /ready/".
    pub fn label(&self) -> String {
        match self {
            Probe::Tcp(p) => format!("tcp {p}"),
            Probe::Http(u) => format!("http {u}"),
            Probe::Log { regex, .. } => format!("log /{regex}/"),
        }
    }

    /// Tries once; true when ready.
    pub async fn try_once(&mut self) -> bool {
        match self {
            Probe::Tcp(port) => tokio::time::timeout(TRY_TIMEOUT, connect(*port))
                .await
                .is_ok_and(|r| r.is_ok()),
            Probe::Http(url) => tokio::time::timeout(TRY_TIMEOUT, http_status(url))
                .await
                .is_ok_and(|r| r.is_ok_and(|code| (200..400).contains(&code))),
            Probe::Log {
                regex,
                file,
                offset,
                partial,
            } => log_matches(regex, file, offset, partial),
        }
    }

    /// Tries every [`PROBE_INTERVAL`] until ready. Never returns otherwise: callers bound it
    /// with the ready timeout.
    pub async fn until_ready(&mut self) {
        let mut tick = tokio::time::interval(PROBE_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if self.try_once().await {
                return;
            }
        }
    }
}

/// A connection to `port` on 127.0.0.1 or on ::1, both tried at once: the first to connect.
async fn connect(port: u16) -> io::Result<TcpStream> {
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
    let v4 = Box::pin(TcpStream::connect(SocketAddr::from((
        Ipv4Addr::LOCALHOST,
        port,
    ))));
    let v6 = Box::pin(TcpStream::connect(SocketAddr::from((
        Ipv6Addr::LOCALHOST,
        port,
    ))));
    futures::future::select_ok([v4, v6]).await.map(|(s, _)| s)
}

/// A connection to `url`'s host and port: an IP literal (`[::1]` too) directly, a name at
/// each address it resolves to (`localhost`: ::1 and 127.0.0.1), in turn until one connects.
async fn connect_url(url: &url::Url) -> io::Result<TcpStream> {
    let port = url.port_or_known_default().unwrap_or(80);
    match url.host() {
        Some(url::Host::Ipv4(a)) => TcpStream::connect((a, port)).await,
        Some(url::Host::Ipv6(a)) => TcpStream::connect((a, port)).await,
        Some(url::Host::Domain(d)) => TcpStream::connect((d, port)).await,
        None => connect(port).await,
    }
}

/// The status code of `GET url` (HTTP/1.1, `Connection: close`).
async fn http_status(url: &url::Url) -> io::Result<u16> {
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port_or_known_default().unwrap_or(80);
    let mut stream = connect_url(url).await?;
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: devtop\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buf = Vec::with_capacity(256);
    let mut chunk = [0u8; 256];
    while !buf.contains(&b'\n') && buf.len() < STATUS_BYTES {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    parse_status(&buf).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no status line"))
}

/// The code of a status line `HTTP/1.x NNN ...`.
fn parse_status(head: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(head.split(|b| *b == b'\n').next()?).ok()?;
    let mut words = text.split_whitespace();
    if !words.next()?.starts_with("HTTP/") {
        return None;
    }
    words.next()?.parse().ok()
}

/// Reads what was appended to `file` since `offset` (at most 1 MiB per try) and tests each
/// complete line against `regex`.
fn log_matches(regex: &regex::Regex, file: &Path, offset: &mut u64, partial: &mut String) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(file) else {
        return false;
    };
    // Rotated (copy-truncate) since the last read: the new lines start at 0.
    if f.metadata().is_ok_and(|m| m.len() < *offset) {
        *offset = 0;
    }
    if f.seek(SeekFrom::Start(*offset)).is_err() {
        return false;
    }
    let mut bytes = Vec::new();
    let Ok(n) = f.take(1 << 20).read_to_end(&mut bytes) else {
        return false;
    };
    *offset += n as u64;
    partial.push_str(&String::from_utf8_lossy(&bytes));
    let mut found = false;
    while let Some(end) = partial.find('\n') {
        found |= regex.is_match(partial[..end].trim_end_matches('\r'));
        partial.drain(..=end);
    }
    // A line longer than 64 KiB without an end is tested as it is and dropped.
    if partial.len() > 64 * 1024 {
        found |= regex.is_match(partial);
        partial.clear();
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(parse_status(b"HTTP/1.0 302\r\n"), Some(302));
        assert_eq!(parse_status(b"SSH-2.0-x\r\n"), None);
        assert_eq!(parse_status(b""), None);
    }

    #[test]
    fn log_lines_match_only_when_complete() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x.log");
        std::fs::write(&f, "booting\nlisten").unwrap();
        let mut p = Probe::new(&ReadyProbe::Log("listening on \\d+".into()), &f).unwrap();
        assert_eq!(p.label(), "log /listening on \\d+/");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert!(!rt.block_on(p.try_once()));
        std::fs::write(&f, "booting\nlistening on 80\n").unwrap();
        assert!(rt.block_on(p.try_once()));
        assert!(Probe::new(&ReadyProbe::Http("https://x/".into()), &f).is_err());
    }

    #[test]
    fn tcp_and_http_probes_on_a_real_listener() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let serve = tokio::spawn(async move {
                loop {
                    let (mut s, _) = listener.accept().await.unwrap();
                    let mut buf = [0u8; 512];
                    let _ = s.read(&mut buf).await;
                    let _ = s.write_all(b"HTTP/1.1 503 Busy\r\n\r\n").await;
                }
            });
            let log = Path::new("/nonexistent");
            let mut tcp = Probe::new(&ReadyProbe::Tcp(port), log).unwrap();
            assert!(tcp.try_once().await);
            let url = format!("http://127.0.0.1:{port}/health");
            let mut http = Probe::new(&ReadyProbe::Http(url), log).unwrap();
            assert!(!http.try_once().await, "503 is not ready");
            serve.abort();
        });
    }
}
