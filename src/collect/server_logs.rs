//! The log follower: reads each server's `.devtop/logs/<name>.log` incrementally (every
//! [`FOLLOW_EVERY`], off the render path) and hands the new lines to the loop in batches.
//!
//! - Starts at the last [`START_TAIL`] bytes of a file that already exists (a server started
//!   by an earlier devtop shows its recent output), at the next line start.
//! - Truncation (the copy-truncate rotation of `effects::servers::rotate`, before a
//!   start or while supervised) and a new file at the path (another inode) start over at the
//!   beginning of the file.
//! - Reads at most [`READ_CAP`] bytes per file per pass; a line longer than [`LINE_CAP`]
//!   bytes is cut there. A partial last line waits for its newline.
//! - Every line is made safe for the terminal: ANSI escape sequences stripped ([`strip_ansi`]),
//!   a carriage return keeps what follows it (what a terminal would show), tabs become spaces,
//!   secrets are redacted ([`crate::redact::text`]) and what is left of control bytes escaped
//!   ([`crate::sanitize::clean`]).
//! - Batches go through a bounded channel: when the UI is slow the follower waits (the file
//!   stays on disk), so nothing piles up in memory.

use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How often the files are looked at.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(200);
/// Bytes read back from a file that exists when following starts.
pub const START_TAIL: u64 = 64 * 1024;
/// Most bytes read from one file in one pass.
pub const READ_CAP: usize = 1024 * 1024;
/// Longest line kept, in bytes (the rest is cut).
pub const LINE_CAP: usize = 4096;

/// One line of one server's output, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLine {
    /// The server's name (raw, as configured).
    pub server: String,
    /// The line: no ANSI sequences, secrets redacted, control bytes escaped.
    pub text: String,
}

/// One followed file.
struct Followed {
    server: String,
    path: PathBuf,
    /// Inode of the file being read (`None`: not opened yet).
    inode: Option<u64>,
    /// Next byte to read.
    offset: u64,
    /// Bytes of a line whose newline has not come yet.
    partial: Vec<u8>,
    /// Set until the file was seen once (then existing content is read from the tail).
    first: bool,
}

impl Followed {
    /// Read what is new; the complete lines, made safe.
    fn read_new(&mut self, out: &mut Vec<ServerLine>) {
        let Ok(meta) = std::fs::metadata(&self.path) else {
            // Not there (yet, or between a rotation's rename and create).
            self.first = false;
            return;
        };
        let len = meta.len();
        if self.inode != Some(meta.ino()) || len < self.offset {
            // A new file at the path, or truncated: from its start (or, at the very first
            // look, from its tail).
            self.offset = if self.first && self.inode.is_none() {
                len.saturating_sub(START_TAIL)
            } else {
                0
            };
            let skip_to_line = self.offset > 0;
            self.inode = Some(meta.ino());
            self.partial.clear();
            if skip_to_line {
                self.partial.push(0);
            }
        }
        self.first = false;
        if len == self.offset {
            return;
        }
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return;
        };
        if f.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        let mut buf = Vec::with_capacity((len - self.offset).min(READ_CAP as u64) as usize);
        let Ok(n) = f.take(READ_CAP as u64).read_to_end(&mut buf) else {
            return;
        };
        self.offset += n as u64;
        let mut rest = &buf[..];
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let (line, tail) = rest.split_at(i);
            rest = &tail[1..];
            // A leading 0 marks the partial line cut by the start offset: dropped.
            if self.partial.first() == Some(&0) {
                self.partial.clear();
                continue;
            }
            let room = LINE_CAP.saturating_sub(self.partial.len());
            self.partial
                .extend_from_slice(&line[..line.len().min(room)]);
            out.push(ServerLine {
                server: self.server.clone(),
                text: safe_line(&String::from_utf8_lossy(&self.partial)),
            });
            self.partial.clear();
        }
        let room = LINE_CAP.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&rest[..rest.len().min(room)]);
    }
}

/// Follow `files` (server name, log path) until `cancel`, sending each pass's new lines to
/// `tx` as one batch (nothing is sent for a pass without new lines). The reads run on the
/// blocking pool.
pub fn spawn(
    files: Vec<(String, PathBuf)>,
    tx: mpsc::Sender<Vec<ServerLine>>,
    cancel: CancellationToken,
) {
    let mut followed: Vec<Followed> = files
        .into_iter()
        .map(|(server, path)| Followed {
            server,
            path,
            inode: None,
            offset: 0,
            partial: Vec::new(),
            first: true,
        })
        .collect();
    if followed.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let mut every = tokio::time::interval(FOLLOW_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = every.tick() => {}
            }
            let pass = tokio::task::spawn_blocking(move || {
                let mut lines = Vec::new();
                for f in &mut followed {
                    f.read_new(&mut lines);
                }
                (followed, lines)
            })
            .await;
            let Ok((back, lines)) = pass else { return };
            followed = back;
            if !lines.is_empty() {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    r = tx.send(lines) => if r.is_err() { return },
                }
            }
        }
    });
}

/// One raw line as shown: ANSI sequences stripped, the text after the last carriage return,
/// tabs as spaces, secrets redacted, control bytes escaped.
pub fn safe_line(raw: &str) -> String {
    let stripped = strip_ansi(raw);
    let shown = stripped
        .trim_end_matches('\r')
        .rsplit('\r')
        .next()
        .unwrap_or_default()
        .replace('\t', "    ");
    crate::sanitize::clean(&crate::redact::text(&shown)).into_owned()
}

/// `text` without ANSI escape sequences: CSI (`ESC [` … final byte, colours and cursor
/// moves), OSC (`ESC ]` … BEL or `ESC \`, titles and links) and two-byte escapes (`ESC X`).
/// Other control bytes are left for the sanitiser to escape visibly.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                // Parameters and intermediates, then one final byte in @..~.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn ansi_is_stripped_and_the_rest_made_safe() {
        assert_eq!(
            strip_ansi("\u{1b}[32mready\u{1b}[0m in 3ms"),
            "ready in 3ms"
        );
        assert_eq!(strip_ansi("\u{1b}]0;title\u{7}x"), "x");
        assert_eq!(strip_ansi("\u{1b}]8;;http://a\u{1b}\\link"), "link");
        assert_eq!(safe_line("50%\r100%\tdone"), "100%    done");
        assert_eq!(safe_line("a\u{7}b"), "a\\x07b");
        let s = safe_line("DATABASE_URL=postgres://u:hunter2@h/db");
        assert!(!s.contains("hunter2"), "{s}");
    }

    fn followed(path: PathBuf) -> Followed {
        Followed {
            server: "api".into(),
            path,
            inode: None,
            offset: 0,
            partial: Vec::new(),
            first: true,
        }
    }

    fn texts(f: &mut Followed) -> Vec<String> {
        let mut out = Vec::new();
        f.read_new(&mut out);
        out.into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn follows_appends_partial_lines_truncation_and_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.log");
        let mut f = followed(path.clone());
        assert!(texts(&mut f).is_empty(), "no file yet");
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(b"one\ntw").unwrap();
        assert_eq!(texts(&mut f), ["one"]);
        file.write_all(b"o\nthree\n").unwrap();
        assert_eq!(texts(&mut f), ["two", "three"]);
        // Truncated (the server was started again).
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(b"again\n").unwrap();
        assert_eq!(texts(&mut f), ["again"]);
        // Rotated: renamed away, a new file at the path.
        std::fs::rename(&path, dir.path().join("api.log.1")).unwrap();
        std::fs::write(&path, "fresh\n").unwrap();
        assert_eq!(texts(&mut f), ["fresh"]);
    }

    #[test]
    fn an_existing_file_is_read_from_its_tail_at_a_line_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.log");
        let line = "x".repeat(99) + "\n";
        std::fs::write(&path, line.repeat(2000)).unwrap();
        let mut f = followed(path);
        let got = texts(&mut f);
        assert_eq!(got.len(), (START_TAIL / 100) as usize);
        assert!(got.iter().all(|l| l.len() == 99));
    }

    #[test]
    fn long_lines_are_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api.log");
        let mut f = followed(path.clone());
        texts(&mut f);
        std::fs::write(&path, "y".repeat(LINE_CAP * 2) + "\nz\n").unwrap();
        let got = texts(&mut f);
        assert_eq!(got[0].len(), LINE_CAP);
        assert_eq!(got[1], "z");
    }
}
