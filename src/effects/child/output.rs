//! The child's output, read line by line as it arrives, each line bounded.

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line of the child's output, as written: without its `\n` (and a `\r` before it),
/// invalid UTF-8 replaced by U+FFFD, at most the spec's `max_line_bytes` bytes of it.
///
/// The text is raw: it may hold secrets and terminal control bytes. Show it only through
/// [`OutputLine::shown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputLine {
    /// Where it came from.
    pub stream: Stream,
    /// The line, raw (see the type docs).
    pub text: String,
    /// True when the line was longer than the limit and its end was dropped.
    pub truncated: bool,
}

impl OutputLine {
    /// The line as it may be shown or stored: each of `secrets` (exact strings, e.g. the URL
    /// passed in the child's environment) and every secret [`crate::redact`] recognises masked,
    /// then control characters escaped by [`crate::sanitize::clean`]; `…` marks a truncation.
    pub fn shown(&self, secrets: &[String]) -> String {
        let redacted = crate::redact::known(&self.text, secrets);
        let mut out = crate::sanitize::clean(&redacted).into_owned();
        if self.truncated {
            out.push('…');
        }
        out
    }
}

/// Reads `pipe` to its end, sending each line (at most `max` bytes kept) to `tx`. When `tx` is
/// full it waits (the child then blocks on a full pipe); when the receiver is gone it keeps
/// reading and drops the lines, so the child never blocks on a pipe nobody reads.
pub(super) async fn read_lines<R: AsyncRead + Unpin>(
    pipe: R,
    stream: Stream,
    max: usize,
    tx: mpsc::Sender<OutputLine>,
) {
    let mut reader = BufReader::new(pipe);
    let mut line: Vec<u8> = Vec::new();
    let mut truncated = false;
    while let Ok(chunk) = reader.fill_buf().await {
        if chunk.is_empty() {
            break;
        }
        let newline = chunk.iter().position(|b| *b == b'\n');
        let take = newline.unwrap_or(chunk.len());
        let room = max.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..take.min(room)]);
        truncated |= take > room;
        reader.consume(take + usize::from(newline.is_some()));
        if newline.is_some() {
            send(&tx, stream, &mut line, &mut truncated).await;
        }
    }
    if !line.is_empty() || truncated {
        send(&tx, stream, &mut line, &mut truncated).await;
    }
}

async fn send(
    tx: &mpsc::Sender<OutputLine>,
    stream: Stream,
    line: &mut Vec<u8>,
    truncated: &mut bool,
) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let text = String::from_utf8_lossy(line).into_owned();
    // A closed receiver is fine: the line is dropped, reading goes on.
    let _ = tx
        .send(OutputLine {
            stream,
            text,
            truncated: *truncated,
        })
        .await;
    line.clear();
    *truncated = false;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_bounded_and_shown_safely() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let input = format!(
            "one\r\n{}\npostgresql://u:pw1234@h/db \x1b[2J\nlast",
            "x".repeat(50)
        );
        let (tx, mut rx) = mpsc::channel(16);
        rt.block_on(read_lines(input.as_bytes(), Stream::Stderr, 10, tx));
        let mut got = Vec::new();
        while let Ok(l) = rx.try_recv() {
            got.push(l);
        }
        let texts: Vec<&str> = got.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["one", "xxxxxxxxxx", "postgresql", "last"]);
        assert!(got[1].truncated && !got[0].truncated);
        assert_eq!(got[1].shown(&[]), "xxxxxxxxxx…");
        let long = OutputLine {
            stream: Stream::Stdout,
            text: "postgresql://u:pw1234@h/db \x1b[2J".into(),
            truncated: false,
        };
        assert_eq!(long.shown(&[]), "postgresql://u:***@h/db \\x1b[2J");
        assert_eq!(
            long.shown(&["pw1234".into()]),
            "postgresql://u:***@h/db \\x1b[2J"
        );
    }
}
