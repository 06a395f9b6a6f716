//! The one way headless commands write to stdout and stderr.
//!
//! - A closed stdout (`devtop status | head -1`) ends a read-only command quietly with exit 0,
//!   as `ps | head` does, instead of `print!`'s panic (exit 101). Rust ignores SIGPIPE, so the
//!   write fails with `EPIPE`; [`stdout`] turns that into the exit. `kill` instead calls
//!   [`keep_going_when_closed`]: what it was confirmed to do still happens, later output is
//!   dropped, and its exit code is still its outcome.
//! - Text for people goes through [`crate::redact::text`] once more as it is written (the
//!   fields in it were redacted and sanitised where they were formatted); JSON is written as
//!   serde made it, exact.
//! - Messages on stderr are one line each: `devtop: <message>`, redacted and sanitised
//!   ([`crate::sanitize::clean`]); a stderr that cannot be written is ignored (nothing is left
//!   to tell).
//!
//! The dashboard never uses this module: it owns the terminal through ratatui.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by [`keep_going_when_closed`].
static KEEP_GOING: AtomicBool = AtomicBool::new(false);
/// Set once stdout was found closed in keep-going mode: later writes are skipped.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// From now on a closed stdout does not end the process: output is dropped and the command
/// finishes (used by `kill`, whose signals must not depend on a reader).
pub fn keep_going_when_closed() {
    KEEP_GOING.store(true, Ordering::Relaxed);
}

/// Write `text` (several lines, each ending in `\n`) for people: redacted, then written.
pub fn text(text: &str) {
    raw(&crate::redact::text(text));
}

/// Write one line for people (a `\n` is added).
pub fn line(line: &str) {
    text(&format!("{line}\n"));
}

/// Write `text` exactly as it is (a generated script or man page: nothing to redact, and a
/// change would break it).
pub fn exact(text: &str) {
    raw(text);
}

/// Write `json` and a newline, exactly.
pub fn json(json: &str) {
    raw(&format!("{json}\n"));
}

/// Write `s` to stdout and flush. A closed stdout (`EPIPE`) exits 0 at once; another error (a
/// full disk) is reported on stderr and exits 1. After [`keep_going_when_closed`] either
/// drops this and all later output instead.
fn raw(s: &str) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    let result = out.write_all(s.as_bytes()).and_then(|()| out.flush());
    let Err(e) = result else { return };
    let closed = e.kind() == ErrorKind::BrokenPipe;
    if !closed {
        error(&format!("cannot write the output: {e}"));
    }
    if KEEP_GOING.load(Ordering::Relaxed) {
        CLOSED.store(true, Ordering::Relaxed);
    } else if closed {
        std::process::exit(crate::setup::EXIT_OK);
    } else {
        std::process::exit(crate::setup::EXIT_FAILURE);
    }
}

/// `devtop: <message>` on stderr, as one line: redacted and sanitised.
pub fn error(message: &str) {
    let clean = crate::sanitize::clean(&crate::redact::text(message)).into_owned();
    let _ = writeln!(std::io::stderr().lock(), "devtop: {clean}");
}

/// A question on stderr without a newline (the answer is read from stdin), flushed.
pub fn prompt(question: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(crate::sanitize::clean(question).as_bytes());
    let _ = err.flush();
}
