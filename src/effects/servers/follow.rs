//! Following servers' log files (the foreground `devtop up`): the lines appended to each
//! `.devtop/logs/<name>.log` since the last poll, each tagged with its server's name.
//!
//! Polled (every 100 ms by the caller): one `fstat` and at most one `read` per file per poll,
//! so a quiet server costs nothing but the `stat`. A file shorter than what was read
//! (rotated, see [`super::rotate`]) is read again from its start.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

/// Most bytes read from one file per poll (a server writing more is caught up over the next
/// polls; nothing is skipped).
const MAX_READ: u64 = 4 << 20;
/// A line longer than this without an end is emitted as it is.
const MAX_LINE: usize = 64 * 1024;

/// One followed log.
struct Followed {
    name: String,
    path: PathBuf,
    file: Option<File>,
    offset: u64,
    partial: Vec<u8>,
}

/// Follows the logs of several servers.
pub struct Follower {
    logs: Vec<Followed>,
    buf: Vec<u8>,
}

impl Follower {
    /// Follows the log of each `(name, path)` from its current end (what is already in the
    /// file is not shown; a file that does not exist yet is followed from its creation).
    pub fn from_end(logs: impl IntoIterator<Item = (String, PathBuf)>) -> Follower {
        Follower {
            logs: logs
                .into_iter()
                .map(|(name, path)| {
                    let offset = std::fs::metadata(&path).map_or(0, |m| m.len());
                    Followed {
                        name,
                        path,
                        file: None,
                        offset,
                        partial: Vec::new(),
                    }
                })
                .collect(),
            buf: Vec::new(),
        }
    }

    /// The complete lines appended since the last poll, as `(server name, raw line)` (without
    /// the line end; not sanitised: show them through [`crate::redact`] and
    /// [`crate::sanitize::clean`]), in file order per server, servers in the given order.
    pub fn poll(&mut self, out: &mut dyn FnMut(&str, &str)) {
        for f in &mut self.logs {
            if f.file.is_none() {
                f.file = File::open(&f.path).ok();
            }
            let Some(file) = &mut f.file else { continue };
            let Ok(len) = file.metadata().map(|m| m.len()) else {
                continue;
            };
            if len < f.offset {
                f.offset = 0;
                f.partial.clear();
            }
            if len == f.offset || file.seek(SeekFrom::Start(f.offset)).is_err() {
                continue;
            }
            self.buf.clear();
            let Ok(n) = file.take(MAX_READ).read_to_end(&mut self.buf) else {
                continue;
            };
            f.offset += n as u64;
            let mut rest: &[u8] = &self.buf;
            while let Some(end) = rest.iter().position(|b| *b == b'\n') {
                let (line, tail) = rest.split_at(end);
                rest = &tail[1..];
                if f.partial.is_empty() {
                    emit(&f.name, line, out);
                } else {
                    f.partial.extend_from_slice(line);
                    emit(&f.name, &f.partial, out);
                    f.partial.clear();
                }
            }
            f.partial.extend_from_slice(rest);
            if f.partial.len() > MAX_LINE {
                emit(&f.name, &f.partial, out);
                f.partial.clear();
            }
        }
    }
}

fn emit(name: &str, line: &[u8], out: &mut dyn FnMut(&str, &str)) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    out(name, &String::from_utf8_lossy(line));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines(f: &mut Follower) -> Vec<String> {
        let mut v = Vec::new();
        f.poll(&mut |n, l| v.push(format!("{n}|{l}")));
        v
    }

    #[test]
    fn new_complete_lines_then_the_rest_and_again_after_a_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.log");
        std::fs::write(&a, "old\n").unwrap();
        let b = dir.path().join("b.log");
        let mut f = Follower::from_end([("a".to_owned(), a.clone()), ("b".to_owned(), b.clone())]);
        assert!(lines(&mut f).is_empty());
        let mut w = std::fs::OpenOptions::new().append(true).open(&a).unwrap();
        w.write_all(b"one\r\ntw").unwrap();
        std::fs::write(&b, "bee\n").unwrap();
        assert_eq!(lines(&mut f), ["a|one", "b|bee"]);
        w.write_all(b"o\n").unwrap();
        assert_eq!(lines(&mut f), ["a|two"]);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&a)
            .unwrap()
            .set_len(0)
            .unwrap();
        w.write_all(b"x\n").unwrap();
        assert_eq!(lines(&mut f), ["a|x"]);
    }
}
