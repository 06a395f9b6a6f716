//! Listening TCP ports per process: `/proc/net/tcp{,6}` gives LISTEN sockets by inode,
//! `/proc/<pid>/fd/*` links (`socket:[inode]`) tie them to a process.
//!
//! A small hand-written parser is used instead of `procfs_core::TcpNetEntries`: that one
//! fails the whole table on one odd line and needs a `SystemInfo`, while we want to skip
//! bad lines and keep only LISTEN rows.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `st` value of a socket in LISTEN state in `/proc/net/tcp{,6}`.
const TCP_LISTEN: &str = "0A";

/// One listening TCP socket from `/proc/net/tcp` or `/proc/net/tcp6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ListenSocket {
    /// Socket inode (the `inode` column; matches `socket:[inode]` fd links).
    pub inode: u64,
    /// Local port (host order).
    pub port: u16,
    /// Local address (e.g. `0.0.0.0`, `127.0.0.1`, `::`, `::1`).
    pub addr: IpAddr,
}

/// Parses `/proc/net/tcp` or `/proc/net/tcp6` text, keeping only LISTEN (`st` = `0A`)
/// rows. Addresses are hex words in the kernel's native byte order (IPv4: one `u32`;
/// IPv6: four `u32`s), ports are hex. The header and malformed lines are skipped.
pub fn parse_net_tcp(text: &str) -> Vec<ListenSocket> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<ListenSocket> {
    let mut cols = line.split_whitespace();
    let local = cols.nth(1)?; // skip "sl"
    let state = cols.nth(1)?; // skip rem_address
    if state != TCP_LISTEN {
        return None;
    }
    // tx:rx, tr:when, retrnsmt, uid, timeout, then inode.
    let inode = cols.nth(5)?.parse().ok()?;
    let (addr, port) = local.split_once(':')?;
    Some(ListenSocket {
        inode,
        port: u16::from_str_radix(port, 16).ok()?,
        addr: parse_hex_addr(addr)?,
    })
}

fn parse_hex_addr(hex: &str) -> Option<IpAddr> {
    let word = |i: usize| -> Option<[u8; 4]> {
        let s = hex.get(i * 8..i * 8 + 8)?;
        Some(u32::from_str_radix(s, 16).ok()?.to_ne_bytes())
    };
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// Map from LISTEN socket inode to its local port, for the caller's network namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListenTable {
    by_inode: HashMap<u64, u16>,
}

impl ListenTable {
    /// The listening sockets of the caller's network namespace: through `NETLINK_SOCK_DIAG`
    /// (see `sock_diag`, ~30 µs), else from `/proc/net/tcp` and `/proc/net/tcp6` (a missing or
    /// unreadable file counts as empty; ~5 ms each on a large machine).
    pub fn read() -> Self {
        match crate::collect::sock_diag::listening_sockets() {
            Ok(by_inode) => return Self { by_inode },
            Err(e) => log::debug!("ports: sock_diag failed ({e}), reading /proc/net/tcp"),
        }
        let read = |path: &str| {
            fs::read_to_string(path).unwrap_or_else(|e| {
                log::debug!("ports: cannot read {path}: {e}");
                String::new()
            })
        };
        Self::from_texts(&read("/proc/net/tcp"), &read("/proc/net/tcp6"))
    }

    /// Builds a table from `/proc/net/tcp` and `/proc/net/tcp6` contents.
    pub fn from_texts(tcp: &str, tcp6: &str) -> Self {
        let by_inode = parse_net_tcp(tcp)
            .into_iter()
            .chain(parse_net_tcp(tcp6))
            .map(|s| (s.inode, s.port))
            .collect();
        Self { by_inode }
    }

    /// The listening port of socket `inode`, if it is a LISTEN socket.
    pub fn port_of(&self, inode: u64) -> Option<u16> {
        self.by_inode.get(&inode).copied()
    }

    /// True when a LISTEN socket on `port` is known (any address).
    pub fn has_port(&self, port: u16) -> bool {
        self.by_inode.values().any(|p| *p == port)
    }

    /// Number of LISTEN sockets known.
    pub fn len(&self) -> usize {
        self.by_inode.len()
    }

    /// True when no LISTEN sockets are known.
    pub fn is_empty(&self) -> bool {
        self.by_inode.is_empty()
    }

    /// Order-independent, deterministic digest of the `(inode, port)` set: equal tables
    /// give equal values, so a caller can skip rescanning fds while it is unchanged
    /// (a collision only delays a rescan).
    pub fn fingerprint(&self) -> u64 {
        let sum = self.by_inode.iter().fold(0u64, |acc, (&inode, &port)| {
            acc.wrapping_add(mix(inode ^ (u64::from(port) << 48)))
        });
        mix(sum ^ self.by_inode.len() as u64)
    }
}

/// splitmix64 finalizer: a cheap, well-spread 64-bit mix.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Socket inodes held open by `pid`, from the `socket:[inode]` links in `/proc/<pid>/fd`.
/// Permission denied (another user's process) gives `Ok(vec![])`. Fds closed while
/// scanning are skipped.
///
/// # Errors
/// The `read_dir` error other than permission denied, e.g. `NotFound` for a vanished pid.
pub fn socket_inodes(pid: u32) -> io::Result<Vec<u64>> {
    let dir = match fs::read_dir(format!("/proc/{pid}/fd")) {
        Ok(dir) => dir,
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let inodes = dir
        .filter_map(|entry| fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|target| {
            target
                .to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect();
    Ok(inodes)
}

/// TCP ports `pid` listens on (sorted, deduplicated): its socket inodes looked up in
/// `table`. Empty when the process is gone or not readable.
pub fn listening_ports(pid: u32, table: &ListenTable) -> Vec<u16> {
    if table.is_empty() {
        return Vec::new();
    }
    let mut ports: Vec<u16> = socket_inodes(pid)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|inode| table.port_of(inode))
        .collect();
    ports.sort_unstable();
    ports.dedup();
    ports
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/proc")
            .join(name);
        fs::read_to_string(path).unwrap()
    }

    #[test]
    fn parses_ipv4_listeners_only() {
        let socks = parse_net_tcp(&fixture("net_tcp"));
        let got: Vec<(u64, u16)> = socks.iter().map(|s| (s.inode, s.port)).collect();
        assert_eq!(got, vec![(532, 2024), (7232, 25672), (41001, 3000)]);
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn decodes_addresses() {
        let socks = parse_net_tcp(&fixture("net_tcp"));
        assert_eq!(socks[0].addr, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(socks[1].addr, IpAddr::V4(Ipv4Addr::LOCALHOST));
        let socks6 = parse_net_tcp(&fixture("net_tcp6"));
        let got: Vec<(IpAddr, u16, u64)> =
            socks6.iter().map(|s| (s.addr, s.port, s.inode)).collect();
        assert_eq!(
            got,
            vec![
                (IpAddr::V6(Ipv6Addr::UNSPECIFIED), 5173, 52001),
                (IpAddr::V6(Ipv6Addr::LOCALHOST), 9229, 52002),
            ]
        );
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let text = "garbage\n 0: ZZ:1F90 00000000:0000 0A 0:0 0:0 0 0 0 1\n\
                    1: 0100007F:XYZ 00000000:0000 0A 0:0 0:0 0 0 0 1\n\
                    2: 0100007F:1F90 00000000:0000 0A\n\
                    3: 0100007F:1F90 00000000:0000 0A 0:0 0:0 0 0 0 77\n\u{0}";
        let socks = parse_net_tcp(text);
        assert_eq!(socks.len(), 1);
        assert_eq!((socks[0].inode, socks[0].port), (77, 8080));
        assert!(parse_net_tcp("").is_empty());
    }

    #[test]
    fn table_from_fixtures() {
        let t = ListenTable::from_texts(&fixture("net_tcp"), &fixture("net_tcp6"));
        assert_eq!(t.len(), 5);
        assert_eq!(t.port_of(41001), Some(3000));
        assert_eq!(t.port_of(52002), Some(9229));
        // ESTABLISHED socket is not in the table.
        assert_eq!(t.port_of(41337), None);
        assert!(ListenTable::from_texts("", "").is_empty());
    }

    #[test]
    fn fingerprint_tracks_the_set_not_the_order() {
        let (tcp, tcp6) = (fixture("net_tcp"), fixture("net_tcp6"));
        let a = ListenTable::from_texts(&tcp, &tcp6);
        let b = ListenTable::from_texts(&tcp6, &tcp);
        assert_eq!(a.fingerprint(), b.fingerprint());
        let fewer = ListenTable::from_texts(&tcp, "");
        assert_ne!(a.fingerprint(), fewer.fingerprint());
        let moved = ListenTable::from_texts(&tcp.replace(":07E8", ":07E9"), &tcp6);
        assert_ne!(a.fingerprint(), moved.fingerprint());
        assert_ne!(ListenTable::default().fingerprint(), fewer.fingerprint());
    }

    #[test]
    fn finds_own_listener() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let ports = listening_ports(std::process::id(), &ListenTable::read());
        assert!(ports.contains(&port), "{port} not in {ports:?}");
        assert!(ports.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn vanished_process_is_error_and_no_ports() {
        assert!(socket_inodes(u32::MAX).is_err());
        let t = ListenTable::from_texts(&fixture("net_tcp"), "");
        assert!(listening_ports(u32::MAX, &t).is_empty());
    }
}
