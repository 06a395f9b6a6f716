//! Reads of one process beyond what sysinfo gives: per pass `/proc/<pid>/stat` (everything
//! that changes during a process's life, in one small file) and, for migrate runs, the `wchar`
//! line of `/proc/<pid>/io`; once, its environment and session. Parsers take `&str` so tests
//! feed fixture text.

/// The fields of `/proc/<pid>/stat` devtop re-reads every pass (proc(5) field numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveStat {
    /// Field 2 without the parentheses: the current name (changes on exec and `prctl`).
    pub comm: String,
    /// Field 3: R, S, D, Z, T, t, I, X ...
    pub state: char,
    /// Field 4; `None` for 0 (PID 1, kernel threads).
    pub ppid: Option<u32>,
    /// Field 5: process group ID.
    pub pgrp: u32,
    /// Field 6: session ID.
    pub session: u32,
    /// Field 7: controlling terminal device number; 0 = none (the terminal closed).
    pub tty_nr: i32,
    /// Fields 14 + 15: user + system CPU time, clock ticks.
    pub cpu_ticks: u64,
    /// Field 22: start time, clock ticks since boot (the identity against PID reuse).
    pub start_ticks: u64,
    /// Field 24: resident set size, pages.
    pub rss_pages: u64,
}

/// Parse the text of `/proc/<pid>/stat`. `None` when it is malformed.
pub fn parse_stat(text: &str) -> Option<LiveStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // rest[0] is field 3.
    let field = |n: usize| rest.get(n - 3).copied();
    let num = |n: usize| field(n).and_then(|f| f.parse::<i64>().ok());
    let unsigned = |n: usize| num(n).map(|v| v.max(0) as u64);
    Some(LiveStat {
        comm,
        state: field(3)?.chars().next()?,
        ppid: unsigned(4).filter(|&p| p > 0).map(|p| p as u32),
        pgrp: unsigned(5)? as u32,
        session: unsigned(6)? as u32,
        tty_nr: num(7)? as i32,
        cpu_ticks: unsigned(14)? + unsigned(15)?,
        start_ticks: unsigned(22)?,
        rss_pages: unsigned(24)?,
    })
}

/// Read and parse `/proc/<pid>/stat`; `None` when the process is gone.
pub fn read_stat(pid: u32) -> Option<LiveStat> {
    let mut buf = [0u8; 4096];
    parse_stat(read_line_file(&format!("/proc/{pid}/stat"), &mut buf)?)
}

/// The text of a one-line /proc file (`stat`, `comm`: well under `buf.len()` bytes) read with
/// open + read + close, none of `read_to_string`'s size query and probe reads: this runs for
/// every shown process every pass. `None` when unreadable or not UTF-8.
pub fn read_line_file<'b>(path: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                // /proc hands a one-line file over in one read, newline included.
                if buf[n - 1] == b'\n' {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    std::str::from_utf8(&buf[..n]).ok()
}

/// The `wchar` value of `/proc/<pid>/io` text: bytes the process passed to write calls
/// (terminal, pipes, files, sockets) since it started.
pub fn parse_wchar(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("wchar:"))
        .and_then(|v| v.trim().parse().ok())
}

/// Read `wchar` of `pid`; `None` when unreadable (another user's process, gone).
pub fn read_wchar(pid: u32) -> Option<u64> {
    parse_wchar(&std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?)
}

/// Clock ticks per second and the page size in bytes, from `sysconf`.
pub fn clock_and_page() -> (f64, u64) {
    (procfs::ticks_per_second() as f64, procfs::page_size())
}

/// The value of `name` in the raw contents of a `/proc/<pid>/environ` (NUL-separated
/// `NAME=value` entries), `None` when it is not set.
pub fn environ_value(raw: &[u8], name: &str) -> Option<String> {
    raw.split(|&b| b == 0).find_map(|kv| {
        kv.strip_prefix(name.as_bytes())
            .and_then(|rest| rest.strip_prefix(b"="))
            .map(|v| String::from_utf8_lossy(v).into_owned())
    })
}

/// `NODE_OPTIONS` (secrets redacted: it is shown) and `DATABASE_URL` (raw: only ever reduced to
/// a credential-free key, see [`crate::collect::migrate_target::database_key`]) from
/// `/proc/<pid>/environ`, each `None` when unset or unreadable: the environment a process was
/// started with, which it cannot change.
pub fn read_environ(pid: u32) -> (Option<String>, Option<String>) {
    let Ok(raw) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return (None, None);
    };
    let node_options =
        environ_value(&raw, "NODE_OPTIONS").map(|v| crate::redact::text(&v).into_owned());
    (node_options, environ_value(&raw, "DATABASE_URL"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn line_file_reads_what_read_to_string_reads() {
        let mut buf = [0u8; 4096];
        let own = read_line_file("/proc/self/comm", &mut buf).map(str::to_owned);
        assert_eq!(own, std::fs::read_to_string("/proc/self/comm").ok());
        let stat = read_stat(std::process::id()).expect("own stat");
        assert_eq!(Some(stat.comm + "\n"), own);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x");
        std::fs::write(&f, "no newline at the end").unwrap();
        let text = read_line_file(f.to_str().unwrap(), &mut buf).map(str::to_owned);
        assert_eq!(text.as_deref(), Some("no newline at the end"));
        std::fs::write(&f, [0xffu8, 0xfe, b'\n']).unwrap();
        assert_eq!(
            read_line_file(f.to_str().unwrap(), &mut buf),
            None,
            "not UTF-8"
        );
        assert_eq!(
            read_line_file("/proc/0/stat", &mut buf),
            None,
            "no such process"
        );
    }

    #[test]
    fn stat_fields_including_a_name_with_spaces_and_parens() {
        let text = "4242 (npm exec tsx) wa) S 1 4240 4100 0 -1 4194560 900 0 0 0 \
                    85 12 0 0 20 0 11 0 123456 1000000 2048 18446744073709551615 0 0";
        let s = parse_stat(text).unwrap();
        assert_eq!(s.comm, "npm exec tsx) wa");
        assert_eq!(s.state, 'S');
        assert_eq!(s.ppid, Some(1));
        assert_eq!((s.pgrp, s.session, s.tty_nr), (4240, 4100, 0));
        assert_eq!(s.cpu_ticks, 97);
        assert_eq!(s.start_ticks, 123_456);
        assert_eq!(s.rss_pages, 2048);
        assert_eq!(parse_stat("1 (init) S 0 1 1 34816").map(|s| s.ppid), None);
        let init = "1 (init) S 0 1 1 34816 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 5 100 7";
        let init = parse_stat(init).unwrap();
        assert_eq!(init.ppid, None);
        assert_eq!(init.tty_nr, 34816);
    }

    #[test]
    fn own_stat_and_io_are_readable() {
        let me = read_stat(std::process::id()).unwrap();
        assert!(matches!(me.state, 'R' | 'S'));
        assert!(me.rss_pages > 0);
        assert!(read_wchar(std::process::id()).is_some());
        assert_eq!(parse_wchar("rchar: 10\nwchar: 42\nsyscr: 1\n"), Some(42));
        assert_eq!(parse_wchar("rchar: 10\n"), None);
        let (hz, page) = clock_and_page();
        assert!(hz > 0.0 && page >= 4096);
    }
}
