//! What `prisma migrate diff --exit-code` said, from its exit and output.

use super::MAX_LINES;
use crate::db::url::DbUrl;
use crate::effects::child::{EndCause, Exit, OutputLine, Ran, Stream};
use crate::model::cli_diff::DiffResult;

/// Exit 0 → in sync; exit 2 → differs, with the first [`MAX_LINES`] non-blank stdout lines;
/// a time limit → timed out after the run time; anything else → failed, with the exit and the
/// first three lines (stderr first). Every line is redacted (the URL and its password, and
/// whatever [`crate::redact`] recognises); it is data, sanitised where it is shown.
pub fn interpret(ran: &Ran, url: &DbUrl) -> DiffResult {
    let secrets = url.secrets();
    let lines = |stream: Stream| -> Vec<String> {
        ran.lines
            .iter()
            .filter(|l| l.stream == stream && !l.text.trim().is_empty())
            .take(MAX_LINES)
            .map(|l| shown(l, &secrets))
            .collect()
    };
    let f = &ran.finished;
    if f.cause == EndCause::TimedOut {
        return DiffResult::TimedOut(f.runtime);
    }
    match f.exit {
        Exit::Code(0) => DiffResult::InSync,
        Exit::Code(2) => DiffResult::Differs(lines(Stream::Stdout)),
        exit => {
            let msg = lines(Stream::Stderr)
                .into_iter()
                .chain(lines(Stream::Stdout))
                .take(3)
                .collect::<Vec<_>>()
                .join(" / ");
            DiffResult::Failed(format!("prisma migrate diff failed ({exit}): {msg}"))
        }
    }
}

/// One line as kept: trailing blanks trimmed, secrets masked.
fn shown(line: &OutputLine, secrets: &[String]) -> String {
    crate::redact::known(line.text.trim_end(), secrets)
}
