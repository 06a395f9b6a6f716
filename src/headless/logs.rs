//! `devtop logs NAME [-f] [-n LINES]`: the log file of a server started by `devtop up`
//! (`.devtop/logs/NAME.log`, its stdout and stderr).
//!
//! Every line is shown as the Logs pane shows it ([`safe_line`]): ANSI sequences (colours,
//! cursor moves, titles) stripped, the text after a carriage return kept, secrets redacted
//! and what is left of control bytes escaped (`\x07`), so a server's output can neither leak
//! a secret nor drive the terminal. Bounded: only the last `LINES` lines (default 200) are printed, read
//! from at most the last 8 MiB of the file. With `-f` the file is then polled every 200 ms and
//! appended lines are printed as they come (a file that shrank, because a new `up` restarted
//! the server, is read again from its start); following ends with exit 0 on SIGINT, SIGTERM or
//! SIGHUP, and on a closed stdout (seen by `poll(2)` at each check, or as `EPIPE` when a line
//! is written, see [`out`]).
//!
//! Exit codes: 0; 1 when the server has no log yet or it cannot be read; 2 for a name that is
//! not a configured server (the configured ones are named).

use crate::cli::LogsArgs;
use crate::collect::log_line::safe_line;
use crate::effects::servers::spawn::log_path;
use crate::headless::interrupts::Interrupts;
use crate::headless::out;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE, Setup};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

/// Most bytes read from the end of the file for the first `LINES` lines.
const TAIL_BYTES: u64 = 8 << 20;
/// Longest line kept whole while following; a longer one is printed in pieces of this size.
const MAX_LINE: usize = 64 << 10;
/// How often the file is checked while following.
const POLL: Duration = Duration::from_millis(200);

/// `devtop logs`. Returns the exit code.
pub async fn run(setup: &Setup, args: &LogsArgs) -> i32 {
    let servers = &setup.config.servers;
    if !servers.iter().any(|s| s.name == args.name) {
        let names: Vec<&str> = servers.iter().map(|s| s.name.as_str()).collect();
        let known = if names.is_empty() {
            "no [[server]] is configured in devtop.toml".to_owned()
        } else {
            format!("configured: {}", names.join(", "))
        };
        out::error(&format!("no server named {} ({known})", args.name));
        return EXIT_USAGE;
    }
    let file = log_path(&setup.root, &args.name);
    let (text, mut pos) = match tail(&file, args.lines) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out::error(&format!(
                "{} has no log yet ({} does not exist): start it with `devtop up`",
                args.name,
                file.display()
            ));
            return EXIT_FAILURE;
        }
        Err(e) => {
            out::error(&format!("cannot read {}: {e}", file.display()));
            return EXIT_FAILURE;
        }
    };
    print_lines(&text);
    if !args.follow {
        return EXIT_OK;
    }
    let mut interrupts = Interrupts::watch();
    let mut partial = Vec::new();
    loop {
        tokio::select! {
            _ = interrupts.next() => return EXIT_OK,
            () = tokio::time::sleep(POLL) => {}
        }
        if stdout_closed() {
            // Nobody reads any more (`devtop logs -f api | head`, a quiet log): end now, not at
            // the next line.
            return EXIT_OK;
        }
        match appended(&file, &mut pos, &mut partial) {
            Ok(text) if !text.is_empty() => print_lines(&text),
            Ok(_) => {}
            // Deleted meanwhile (the project cleaned): wait for it to come back.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => pos = 0,
            Err(e) => {
                out::error(&format!("cannot read {}: {e}", file.display()));
                return EXIT_FAILURE;
            }
        }
    }
}

/// The last `lines` lines of `file` (read from at most its last [`TAIL_BYTES`]) and the file
/// length they end at.
fn tail(file: &Path, lines: usize) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(file)?;
    let len = f.metadata()?.len();
    let from = len.saturating_sub(TAIL_BYTES);
    f.seek(SeekFrom::Start(from))?;
    let mut bytes = Vec::new();
    f.take(len - from).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut all: Vec<&str> = text.lines().collect();
    if from > 0 && !all.is_empty() {
        // The first line read is cut off at the window's start.
        all.remove(0);
    }
    let keep = all.len().saturating_sub(lines);
    let mut out = all[keep..].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    Ok((out, from + bytes.len() as u64))
}

/// The complete lines appended to `file` since `pos` (advanced), with a line still being
/// written kept in `partial` (up to [`MAX_LINE`] bytes). A file shorter than `pos` was started
/// afresh: it is read from its start.
fn appended(file: &Path, pos: &mut u64, partial: &mut Vec<u8>) -> std::io::Result<String> {
    let mut f = std::fs::File::open(file)?;
    let len = f.metadata()?.len();
    if len < *pos {
        *pos = 0;
        partial.clear();
    }
    if len == *pos {
        return Ok(String::new());
    }
    f.seek(SeekFrom::Start(*pos))?;
    let mut bytes = Vec::new();
    // Bounded per poll; the rest is read at the next one.
    f.take((len - *pos).min(TAIL_BYTES))
        .read_to_end(&mut bytes)?;
    *pos += bytes.len() as u64;
    partial.extend_from_slice(&bytes);
    let cut = match partial.iter().rposition(|b| *b == b'\n') {
        Some(i) => i + 1,
        None if partial.len() >= MAX_LINE => partial.len(),
        None => 0,
    };
    let done: Vec<u8> = partial.drain(..cut).collect();
    let mut text = String::from_utf8_lossy(&done).into_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// True when stdout is a pipe whose reader is gone or a terminal that hung up (`poll(2)`
/// reports an error or hang-up on it without waiting).
fn stdout_closed() -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let stdout = std::io::stdout();
    let mut fds = [PollFd::new(&stdout, PollFlags::empty())];
    let zero = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    matches!(poll(&mut fds, Some(&zero)), Ok(n) if n > 0)
        && fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP)
}

/// Prints each line of `text` made safe as in the Logs pane ([`safe_line`]; a trailing `\r`
/// of CRLF output is dropped, not escaped).
fn print_lines(text: &str) {
    let mut buf = String::with_capacity(text.len());
    for line in text.lines() {
        buf.push_str(&safe_line(line));
        buf.push('\n');
    }
    if !buf.is_empty() {
        out::text(&buf);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tail_and_appended_lines() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("api.log");
        std::fs::write(&f, "one\ntwo\nthree\n").unwrap();
        let (text, pos) = tail(&f, 2).unwrap();
        assert_eq!(text, "two\nthree\n");
        assert_eq!(pos, 14);
        assert_eq!(tail(&f, 0).unwrap().0, "");
        let mut pos = pos;
        let mut partial = Vec::new();
        assert_eq!(appended(&f, &mut pos, &mut partial).unwrap(), "");
        std::fs::write(&f, "one\ntwo\nthree\nfour\nfi").unwrap();
        assert_eq!(appended(&f, &mut pos, &mut partial).unwrap(), "four\n");
        std::fs::write(&f, "one\ntwo\nthree\nfour\nfive\n").unwrap();
        assert_eq!(appended(&f, &mut pos, &mut partial).unwrap(), "five\n");
        // Started afresh: read from the start.
        std::fs::write(&f, "new\n").unwrap();
        assert_eq!(appended(&f, &mut pos, &mut partial).unwrap(), "new\n");
    }
}
