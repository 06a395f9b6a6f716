//! The log follower of both faces (the TUI's Logs pane through [`super::server_logs`], the
//! foreground `devtop up`): the lines appended to each server's `.devtop/logs/<name>.log`
//! since the last [`LogFollower::poll`], made safe to show ([`super::log_line::safe_line`]).
//!
//! - Starts at the end of a file that exists ([`Start::End`]) or at its last bytes
//!   ([`Start::Tail`]), at the next line start; a file that does not exist yet is read from
//!   its creation on.
//! - Another file at the path (a rotation by rename, or a replacement: another inode), a
//!   truncation (copy-truncate rotation, [`crate::effects::servers::rotate`]), or a file
//!   rewritten past where it was read (the byte before the read offset changed) start over at
//!   the beginning of the file.
//! - Bounded per file per poll: at most [`READ_CAP`] bytes are turned into lines and at most
//!   `max_lines` lines are shown (the newest of them). When more was written, the older lines
//!   are counted, not kept: a backlog beyond [`READ_CAP`] is scanned for line ends in
//!   [`CHUNK`]-byte reads (at most [`SCAN_CAP`] bytes per poll) and one line
//!   "… N lines skipped" stands for what was left out. A line is cut at [`LINE_CAP`] bytes
//!   (shown ending in `…`); a partial last line waits for its newline.
//!
//! So one poll holds at most `READ_CAP` bytes of file and `max_lines + 1` lines per file, and
//! its work is bounded however fast a server writes. Polled: a file without news costs one
//! `stat`.

use super::log_line::safe_line;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::Arc;

/// Most bytes of one file turned into lines per poll.
pub const READ_CAP: u64 = 1024 * 1024;
/// Most bytes of one file's backlog (beyond [`READ_CAP`]) scanned and skipped per poll: more
/// than a log holds before it is rotated ([`crate::effects::servers::rotate::ROTATE_AT`]), so
/// one poll catches up with a supervised server.
pub const SCAN_CAP: u64 = 16 * 1024 * 1024;
/// Bytes read at a time while skipping.
pub const CHUNK: usize = 64 * 1024;
/// Longest line shown, in bytes of the file (the rest of it is dropped).
pub const LINE_CAP: usize = 4096;

/// One line of one server's output, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLine {
    /// The server's name (raw, as configured; shared by its lines).
    pub server: Arc<str>,
    /// The line: no ANSI sequences, secrets redacted, control bytes escaped; or
    /// "… N lines skipped".
    pub text: String,
}

/// Where following a file that already exists starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At its end: only what is written from now on.
    End,
    /// This many bytes before its end, at the next line start (recent output is shown).
    Tail(u64),
}

/// What the bytes up to the next newline belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// A line to show (its bytes so far in `partial`).
    Line,
    /// The line cut by the start offset: dropped, not counted.
    Silent,
    /// A line partly skipped: dropped and counted.
    Skipped,
}

/// One followed file.
struct Followed {
    server: Arc<str>,
    path: PathBuf,
    /// Inode of the file being read (`None`: none seen yet).
    inode: Option<u64>,
    /// Next byte to read.
    offset: u64,
    /// The byte before `offset` as it was read (`None`: not known).
    last: Option<u8>,
    /// Bytes of the line being read, at most [`LINE_CAP`].
    partial: Vec<u8>,
    /// The line being read was longer than [`LINE_CAP`].
    cut: bool,
    pending: Pending,
    /// Lines skipped and not reported yet.
    skipped: u64,
}

/// Follows the logs of several servers.
pub struct LogFollower {
    files: Vec<Followed>,
    /// Most lines shown per file per poll (at least 1).
    max_lines: usize,
    /// Read buffer, at most [`READ_CAP`] bytes, reused.
    buf: Vec<u8>,
}

impl LogFollower {
    /// Follows each `(server name, log path)` from `start`; at most `max_lines` lines per
    /// file per poll are shown (the dashboard's ring size: more would be dropped there).
    /// Looks at each file once (a `stat` and a one-byte read).
    pub fn new(
        files: impl IntoIterator<Item = (String, PathBuf)>,
        start: Start,
        max_lines: usize,
    ) -> LogFollower {
        LogFollower {
            files: files
                .into_iter()
                .map(|(server, path)| Followed::new(server.into(), path, start))
                .collect(),
            max_lines: max_lines.max(1),
            buf: Vec::new(),
        }
    }

    /// Appends to `out` the lines written since the last poll: per file in file order,
    /// files in the given order.
    pub fn poll(&mut self, out: &mut Vec<ServerLine>) {
        for f in &mut self.files {
            f.poll(&mut self.buf, self.max_lines, out);
        }
    }
}

impl Followed {
    fn new(server: Arc<str>, path: PathBuf, start: Start) -> Followed {
        let mut f = Followed {
            server,
            path,
            inode: None,
            offset: 0,
            last: None,
            partial: Vec::new(),
            cut: false,
            pending: Pending::Line,
            skipped: 0,
        };
        let Ok(file) = File::open(&f.path) else {
            return f;
        };
        let Ok(meta) = file.metadata() else { return f };
        let len = meta.len();
        f.inode = Some(meta.ino());
        f.offset = match start {
            Start::End => len,
            Start::Tail(n) => len.saturating_sub(n),
        };
        f.last = byte_before(&file, f.offset);
        if f.offset > 0 && f.last != Some(b'\n') {
            f.pending = Pending::Silent;
        }
        f
    }

    /// From the start of the file with inode `ino` (a new file, or this one truncated).
    fn restart(&mut self, ino: u64) {
        self.inode = Some(ino);
        self.offset = 0;
        self.last = None;
        self.partial.clear();
        self.cut = false;
        self.pending = Pending::Line;
    }

    fn poll(&mut self, buf: &mut Vec<u8>, max_lines: usize, out: &mut Vec<ServerLine>) {
        // Quiet (or absent, e.g. between a rotation's rename and create): one stat.
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return;
        };
        if self.inode == Some(meta.ino()) && meta.len() == self.offset {
            return;
        }
        let Ok(file) = File::open(&self.path) else {
            return;
        };
        let Ok(meta) = file.metadata() else { return };
        let len = meta.len();
        if self.inode != Some(meta.ino())
            || len < self.offset
            || (self.last.is_some() && byte_before(&file, self.offset) != self.last)
        {
            self.restart(meta.ino());
        }
        let backlog = len - self.offset;
        if backlog > READ_CAP {
            self.skip(&file, (backlog - READ_CAP).min(SCAN_CAP), buf);
        }
        let want = (len.saturating_sub(self.offset)).min(READ_CAP) as usize;
        buf.clear();
        buf.resize(want, 0);
        let got = read_full(&file, buf, self.offset);
        self.read_lines(&buf[..got], max_lines, out);
        self.report_skipped(out);
    }

    /// Skips `n` bytes from the read offset, counting the lines they end.
    fn skip(&mut self, file: &File, n: u64, buf: &mut Vec<u8>) {
        let mut left = n;
        buf.clear();
        buf.resize(CHUNK, 0);
        while left > 0 {
            let want = left.min(CHUNK as u64) as usize;
            let got = read_full(file, &mut buf[..want], self.offset);
            let Some(chunk) = buf.get(..got).filter(|c| !c.is_empty()) else {
                return;
            };
            let ends = chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            if ends > 0 {
                // The first end closes the pending line, unshown whatever it was.
                self.skipped += ends - u64::from(self.pending == Pending::Silent);
                self.pending = if chunk.last() == Some(&b'\n') {
                    Pending::Line
                } else {
                    Pending::Skipped
                };
            } else if self.pending == Pending::Line {
                self.pending = Pending::Skipped;
            }
            self.partial.clear();
            self.cut = false;
            self.offset += got as u64;
            self.last = chunk.last().copied();
            left -= got as u64;
        }
    }

    /// Turns `data` (read at the offset) into lines: the newest `max_lines` shown, the older
    /// ones counted as skipped.
    fn read_lines(&mut self, data: &[u8], max_lines: usize, out: &mut Vec<ServerLine>) {
        let Some(&end) = data.last() else { return };
        self.offset += data.len() as u64;
        self.last = Some(end);
        let ends = data.iter().filter(|&&b| b == b'\n').count();
        let showable = ends - usize::from(ends > 0 && self.pending != Pending::Line);
        let mut drop = showable.saturating_sub(max_lines);
        let mut rest = data;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let line = &rest[..i];
            rest = &rest[i + 1..];
            match std::mem::replace(&mut self.pending, Pending::Line) {
                Pending::Silent => continue,
                Pending::Skipped => {
                    self.skipped += 1;
                    continue;
                }
                Pending::Line => {}
            }
            if drop > 0 {
                drop -= 1;
                self.skipped += 1;
                self.partial.clear();
                self.cut = false;
                continue;
            }
            self.take(line);
            self.report_skipped(out);
            let text = self.finish_line();
            out.push(ServerLine {
                server: self.server.clone(),
                text,
            });
        }
        if self.pending == Pending::Line {
            self.take(rest);
        }
    }

    /// Adds `bytes` to the line being read, up to [`LINE_CAP`].
    fn take(&mut self, bytes: &[u8]) {
        let room = LINE_CAP.saturating_sub(self.partial.len());
        self.cut |= bytes.len() > room;
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// The line read so far, made safe; starts the next one.
    fn finish_line(&mut self) -> String {
        let raw = String::from_utf8_lossy(&self.partial);
        let mut text = if self.cut {
            // A character cut in two is not shown as a replacement character.
            safe_line(raw.trim_end_matches('\u{fffd}'))
        } else {
            safe_line(&raw)
        };
        if self.cut {
            text.push('…');
        }
        self.partial.clear();
        self.cut = false;
        text
    }

    /// One "… N lines skipped" line for the lines skipped since the last one.
    fn report_skipped(&mut self, out: &mut Vec<ServerLine>) {
        let n = std::mem::take(&mut self.skipped);
        if n > 0 {
            let s = if n == 1 { "" } else { "s" };
            out.push(ServerLine {
                server: self.server.clone(),
                text: format!("… {n} line{s} skipped"),
            });
        }
    }
}

/// The byte of `file` before `offset` (`None` at 0 or when it cannot be read).
fn byte_before(file: &File, offset: u64) -> Option<u8> {
    let mut one = [0u8];
    let at = offset.checked_sub(1)?;
    matches!(file.read_at(&mut one, at), Ok(1)).then_some(one[0])
}

/// Reads into all of `buf` from `offset`, fewer bytes at the end of the file or on an error;
/// returns how many were read.
fn read_full(file: &File, buf: &mut [u8], offset: u64) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    got
}

#[cfg(test)]
mod tests;
