//! Which local process owns a TCP connection, by its local port: used to link the session
//! holding Prisma's migrate lock (PostgreSQL `client_port`, MySQL `host:port`) to the local
//! `schema-engine` or `node` process that opened it. Reads /proc/net/tcp{,6} and the fd links
//! of the current user's processes; run only while a lock is held by a loopback client.

use std::path::Path;

/// Inodes of sockets whose local port is `port`, from /proc/net/tcp{,6} text (any state).
pub fn inodes_with_local_port(text: &str, port: u16) -> Vec<u64> {
    text.lines()
        .filter_map(|line| {
            let mut cols = line.split_whitespace();
            let local = cols.nth(1)?;
            let (_, p) = local.split_once(':')?;
            if u16::from_str_radix(p, 16).ok()? != port {
                return None;
            }
            // rem_address, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode
            cols.nth(7)?.parse::<u64>().ok().filter(|&i| i != 0)
        })
        .collect()
}

/// True for a client address on this machine (or a Unix-socket session, `None`, which can't
/// be traced by port).
pub fn is_loopback(addr: Option<&str>) -> bool {
    let Some(a) = addr else { return false };
    let host = a.rsplit_once(':').map_or(a, |(h, p)| {
        if p.chars().all(|c| c.is_ascii_digit()) && !h.is_empty() && a.matches(':').count() == 1 {
            h
        } else {
            a
        }
    });
    matches!(
        host,
        "127.0.0.1" | "::1" | "[::1]" | "localhost" | "::ffff:127.0.0.1"
    )
}

/// The PID of the process (of the current user) owning a TCP socket with local port `port`.
pub fn owner_of_local_port(port: u16) -> Option<u32> {
    let mut inodes = Vec::new();
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(f) {
            inodes.extend(inodes_with_local_port(&text, port));
        }
    }
    if inodes.is_empty() {
        return None;
    }
    let me = rustix::process::getuid().as_raw();
    let rd = std::fs::read_dir("/proc").ok()?;
    for entry in rd.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        if std::fs::metadata(&dir)
            .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
            .ok()
            != Some(me)
        {
            continue;
        }
        if owns_inode(&dir, &inodes) {
            return Some(pid);
        }
    }
    None
}

fn owns_inode(proc_dir: &Path, inodes: &[u64]) -> bool {
    let Ok(fds) = std::fs::read_dir(proc_dir.join("fd")) else {
        return false;
    };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).ok().is_some_and(|target| {
            target
                .to_str()
                .and_then(|t| {
                    t.strip_prefix("socket:[")?
                        .strip_suffix(']')?
                        .parse::<u64>()
                        .ok()
                })
                .is_some_and(|i| inodes.contains(&i))
        })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    #[test]
    fn parses_established_rows() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:D431 0100007F:1538 01 00000000:00000000 00:00000000 00000000  1000        0 424242 1 0000000000000000 20 4 30 10 -1\n";
        assert_eq!(inodes_with_local_port(text, 0xD431), vec![424242]);
        assert!(inodes_with_local_port(text, 5432).is_empty());
        assert!(is_loopback(Some("127.0.0.1")));
        assert!(is_loopback(Some("127.0.0.1:54321")));
        assert!(is_loopback(Some("::1")));
        assert!(!is_loopback(Some("10.0.0.5")));
        assert!(!is_loopback(None));
    }

    #[test]
    fn finds_this_process_by_its_client_port() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let _server_side = listener.accept().unwrap();
        let port = client.local_addr().unwrap().port();
        assert_eq!(owner_of_local_port(port), Some(std::process::id()));
    }
}
