//! Each server's output lines, as the log follower ([`crate::collect::server_logs`]) read them
//! from `.devtop/logs/<name>.log` (already stripped of ANSI sequences, redacted and
//! sanitised). Bounded per server (oldest lines dropped), so a chatty server cannot grow
//! devtop's memory; a global sequence number keeps the arrival order across servers for the
//! "all servers" view.

use std::collections::{BTreeMap, VecDeque};

/// Lines kept per server when not configured: 10,000.
pub const DEFAULT_LOG_LINES: usize = crate::config::DEFAULT_SERVER_LOG_LINES;

/// Per-server bounded line buffers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerLogs {
    /// Most lines kept per server.
    cap: usize,
    /// Next sequence number.
    seq: u64,
    /// name → (sequence number, line), oldest first.
    lines: BTreeMap<String, VecDeque<(u64, String)>>,
}

impl ServerLogs {
    /// Empty buffers of at most `cap` lines per server (at least 1).
    pub fn new(cap: usize) -> ServerLogs {
        ServerLogs {
            cap: cap.max(1),
            ..ServerLogs::default()
        }
    }

    /// Most lines kept per server.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Append `line` to `server`'s buffer, dropping its oldest line when full.
    pub fn push(&mut self, server: &str, line: String) {
        let cap = self.cap.max(1);
        // The name is allocated once per server, not per line.
        if !self.lines.contains_key(server) {
            self.lines.insert(server.to_owned(), VecDeque::new());
        }
        let Some(buf) = self.lines.get_mut(server) else {
            return;
        };
        if buf.len() >= cap {
            buf.pop_front();
        }
        buf.push_back((self.seq, line));
        self.seq += 1;
    }

    /// Lines of `server`, oldest first.
    pub fn of(&self, server: &str) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        self.lines
            .get(server)
            .map(|b| b.iter())
            .unwrap_or_default()
            .map(|(_, l)| l.as_str())
    }

    /// Number of lines kept for `server`.
    pub fn len_of(&self, server: &str) -> usize {
        self.lines.get(server).map_or(0, VecDeque::len)
    }

    /// The last line of `server`, if any.
    pub fn last(&self, server: &str) -> Option<&str> {
        self.lines
            .get(server)
            .and_then(|b| b.back())
            .map(|(_, l)| l.as_str())
    }

    /// Total lines kept over every server.
    pub fn total(&self) -> usize {
        self.lines.values().map(VecDeque::len).sum()
    }

    /// The `n` lines ending `skip` lines before the newest, over `only` (one server) or every
    /// server, oldest first, each with its server's name. Costs O(n × servers), whatever the
    /// buffers hold.
    pub fn tail(&self, only: Option<&str>, n: usize, skip: usize) -> Vec<(&str, &str)> {
        let want = n + skip;
        let mut picked: Vec<(u64, &str, &str)> = Vec::with_capacity(want);
        for (name, buf) in &self.lines {
            if only.is_some_and(|o| o != name) {
                continue;
            }
            picked.extend(
                buf.iter()
                    .rev()
                    .take(want)
                    .map(|(s, l)| (*s, name.as_str(), l.as_str())),
            );
        }
        picked.sort_unstable_by_key(|(s, ..)| std::cmp::Reverse(*s));
        picked.truncate(want);
        picked
            .into_iter()
            .skip(skip)
            .rev()
            .map(|(_, name, line)| (name, line))
            .collect()
    }
}
