//! Each server's output lines, as the log follower ([`crate::collect::server_logs`]) read them
//! from `.devtop/logs/<name>.log` (already stripped of ANSI sequences, redacted and
//! sanitised). Bounded per server (oldest lines dropped), so a chatty server cannot grow
//! devtop's memory; a global sequence number keeps the arrival order across servers for the
//! "all servers" view.
//!
//! The kept text lives in [`BLOCK`]-byte blocks per server, not in one allocation per line: a
//! kept line costs its bytes and a 24-byte entry instead of a 32-byte entry and a malloc chunk
//! of its own (header and rounding), and the lines the follower made on the blocking pool are
//! freed with their batch instead of living on in that thread's malloc arena. A block is freed
//! whole once its last line is dropped. Under 5 servers × 1,000 lines a second with 10,000
//! lines kept each, the dashboard's RSS went from 19.1–19.2 MB to 17.8–18.3 MB
//! (`MODE=tui benches/servers.sh`).

use std::collections::{BTreeMap, VecDeque};

/// Lines kept per server when not configured: 10,000.
pub const DEFAULT_LOG_LINES: usize = crate::config::DEFAULT_SERVER_LOG_LINES;

/// Bytes of one text block (a longer line gets a block of its own size). A server holds at
/// most its kept lines' bytes plus about two blocks.
pub const BLOCK: usize = 64 * 1024;

/// Per-server bounded line buffers.
#[derive(Debug, Clone, Default)]
pub struct ServerLogs {
    /// Most lines kept per server.
    cap: usize,
    /// Next sequence number.
    seq: u64,
    /// name → that server's kept lines.
    lines: BTreeMap<String, Buf>,
}

/// One server's kept lines: their text in blocks, oldest first.
#[derive(Debug, Clone, Default)]
struct Buf {
    /// Text blocks, oldest first; `blocks[0]` has the id `first_block`, the next one the
    /// id after it.
    blocks: VecDeque<String>,
    first_block: u64,
    /// The kept lines, oldest first.
    lines: VecDeque<Entry>,
}

/// Where one kept line is: its sequence number and its bytes `start..end` of block `block`.
#[derive(Debug, Clone, Copy)]
struct Entry {
    seq: u64,
    block: u64,
    start: u32,
    end: u32,
}

impl Buf {
    /// Appends `line` as number `seq`, dropping the oldest line (and a block it leaves
    /// empty) beyond `cap`.
    fn push(&mut self, seq: u64, line: &str, cap: usize) {
        let fits = self
            .blocks
            .back()
            .is_some_and(|b| b.capacity() - b.len() >= line.len());
        if !fits {
            self.blocks
                .push_back(String::with_capacity(BLOCK.max(line.len())));
        }
        let block = self.first_block + self.blocks.len() as u64 - 1;
        let Some(text) = self.blocks.back_mut() else {
            return;
        };
        let start = text.len();
        text.push_str(line);
        // A block is at most BLOCK bytes or one line (< 4 GiB: lines are cut at 4 KiB).
        let (Ok(start), Ok(end)) = (u32::try_from(start), u32::try_from(text.len())) else {
            return;
        };
        self.lines.push_back(Entry {
            seq,
            block,
            start,
            end,
        });
        while self.lines.len() > cap {
            self.lines.pop_front();
        }
        let oldest = self.lines.front().map_or(block, |e| e.block);
        while self.first_block < oldest && self.blocks.pop_front().is_some() {
            self.first_block += 1;
        }
    }

    /// The text of a kept line.
    fn text(&self, e: &Entry) -> &str {
        usize::try_from(e.block - self.first_block)
            .ok()
            .and_then(|i| self.blocks.get(i))
            .and_then(|b| b.get(e.start as usize..e.end as usize))
            .unwrap_or_default()
    }

    /// (sequence number, text) of every kept line, oldest first.
    fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, &str)> + ExactSizeIterator {
        self.lines.iter().map(|e| (e.seq, self.text(e)))
    }
}

impl PartialEq for ServerLogs {
    /// The same cap, next sequence number and kept lines (however their text is laid out).
    fn eq(&self, other: &ServerLogs) -> bool {
        self.cap == other.cap
            && self.seq == other.seq
            && self.lines.len() == other.lines.len()
            && self
                .lines
                .iter()
                .zip(&other.lines)
                .all(|((a, x), (b, y))| a == b && x.iter().eq(y.iter()))
    }
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

    /// Append a copy of `line` to `server`'s buffer, dropping its oldest line when full.
    pub fn push(&mut self, server: &str, line: &str) {
        let cap = self.cap.max(1);
        // The name is allocated once per server, not per line.
        if !self.lines.contains_key(server) {
            self.lines.insert(server.to_owned(), Buf::default());
        }
        let Some(buf) = self.lines.get_mut(server) else {
            return;
        };
        buf.push(self.seq, line, cap);
        self.seq += 1;
    }

    /// Lines of `server`, oldest first.
    pub fn of(&self, server: &str) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        let buf = self.lines.get(server);
        buf.map(|b| b.lines.iter())
            .unwrap_or_default()
            .map(move |e| buf.map_or("", |b| b.text(e)))
    }

    /// Number of lines kept for `server`.
    pub fn len_of(&self, server: &str) -> usize {
        self.lines.get(server).map_or(0, |b| b.lines.len())
    }

    /// The last line of `server`, if any.
    pub fn last(&self, server: &str) -> Option<&str> {
        let buf = self.lines.get(server)?;
        buf.lines.back().map(|e| buf.text(e))
    }

    /// Total lines kept over every server.
    pub fn total(&self) -> usize {
        self.lines.values().map(|b| b.lines.len()).sum()
    }

    /// Text blocks held for `server` (each about [`BLOCK`] bytes).
    #[cfg(test)]
    pub(crate) fn blocks_of(&self, server: &str) -> usize {
        self.lines.get(server).map_or(0, |b| b.blocks.len())
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
                    .map(|(s, l)| (s, name.as_str(), l)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_back_whole_across_blocks_and_the_oldest_blocks_are_freed() {
        let mut logs = ServerLogs::new(1_000);
        let line = |i: usize| format!("{i:06} {}", "é".repeat(46)); // 99 bytes
        for i in 0..100_000 {
            logs.push("api", &line(i));
        }
        assert_eq!(logs.len_of("api"), 1_000);
        let kept: Vec<&str> = logs.of("api").collect();
        let want: Vec<String> = (99_000..100_000).map(line).collect();
        assert_eq!(kept, want);
        assert_eq!(logs.last("api"), Some(want[999].as_str()));
        // 1,000 lines of 99 bytes span two 64 KiB blocks, plus the one being filled.
        assert!(logs.blocks_of("api") <= 3, "{}", logs.blocks_of("api"));
    }

    #[test]
    fn a_line_longer_than_a_block_and_an_empty_line_are_kept() {
        let mut logs = ServerLogs::new(3);
        let long = "x".repeat(BLOCK + 10);
        logs.push("web", "before");
        logs.push("web", &long);
        logs.push("web", "");
        assert_eq!(logs.of("web").collect::<Vec<_>>(), ["before", &long, ""]);
        logs.push("web", "after");
        logs.push("web", "end");
        assert_eq!(logs.of("web").collect::<Vec<_>>(), ["", "after", "end"]);
        assert_eq!(
            logs.tail(Some("web"), 2, 1),
            [("web", ""), ("web", "after")]
        );
        // The long line's block went with it.
        assert!(logs.blocks_of("web") <= 2, "{}", logs.blocks_of("web"));
    }

    #[test]
    fn buffers_compare_by_their_lines() {
        let mut a = ServerLogs::new(2);
        a.push("api", "one");
        let mut b = a.clone();
        assert_eq!(a, b);
        b.push("api", "two");
        assert_ne!(a, b);
        a.push("api", "two");
        assert_eq!(a, b);
        assert_eq!(a.of("nope").count(), 0);
        assert_eq!(a.last("nope"), None);
    }
}
