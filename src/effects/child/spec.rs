//! What to run: program, arguments, environment, working directory and limits.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Default longest line kept, in bytes; the rest of a longer line is dropped (see
/// [`super::OutputLine::truncated`]).
pub const MAX_LINE_BYTES: usize = 4096;
/// Default number of output lines queued between the readers and the consumer. When the queue
/// is full the readers stop reading and the child blocks on its next write (back-pressure, so a
/// chatty child cannot grow devtop's memory).
pub const LINE_QUEUE: usize = 1024;
/// Default time between `SIGTERM` and `SIGKILL` when the group is stopped (foreman, honcho and
/// overmind use 5 s too).
pub const GRACE: Duration = Duration::from_secs(5);

/// A child to start with [`super::Supervised::spawn`]. Built with [`ChildSpec::new`] and the
/// chained setters; every limit has a default.
#[derive(Debug, Clone)]
pub struct ChildSpec {
    /// The program (a path, or a name looked up in `PATH`).
    pub program: PathBuf,
    /// Arguments after the program name. Never put a secret here: argv is world-readable in
    /// `/proc/<pid>/cmdline`; pass it through [`ChildSpec::env`].
    pub args: Vec<OsString>,
    /// Variables added to (or overriding) devtop's environment, in order.
    pub env: Vec<(OsString, OsString)>,
    /// Working directory; devtop's when `None`.
    pub cwd: Option<PathBuf>,
    /// Longest run time from the spawn; when it passes, [`super::Supervised::wait`] stops the
    /// group (`SIGTERM`, then `SIGKILL` after [`grace`](Self::grace)). `None`: no limit.
    pub timeout: Option<Duration>,
    /// Time between `SIGTERM` and `SIGKILL` when the group is stopped.
    pub grace: Duration,
    /// Longest line kept, in bytes (at least 1).
    pub max_line_bytes: usize,
    /// Lines queued for the consumer before the child is made to wait (at least 1).
    pub line_queue: usize,
}

impl ChildSpec {
    /// `program` with no arguments, devtop's environment and working directory, no time limit,
    /// a [`GRACE`] grace, [`MAX_LINE_BYTES`] and [`LINE_QUEUE`].
    pub fn new(program: impl Into<PathBuf>) -> ChildSpec {
        ChildSpec {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            timeout: None,
            grace: GRACE,
            max_line_bytes: MAX_LINE_BYTES,
            line_queue: LINE_QUEUE,
        }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> ChildSpec {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> ChildSpec
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets `key=value` in the child's environment only (the place for secrets such as a
    /// database URL).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> ChildSpec {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sets the working directory.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> ChildSpec {
        self.cwd = Some(dir.into());
        self
    }

    /// Sets the time limit (see [`ChildSpec::timeout`](Self#structfield.timeout)).
    pub fn timeout(mut self, limit: Duration) -> ChildSpec {
        self.timeout = Some(limit);
        self
    }

    /// Sets the grace between `SIGTERM` and `SIGKILL`.
    pub fn grace(mut self, grace: Duration) -> ChildSpec {
        self.grace = grace;
        self
    }

    /// Sets the longest line kept, in bytes (clamped to at least 1).
    pub fn max_line_bytes(mut self, bytes: usize) -> ChildSpec {
        self.max_line_bytes = bytes.max(1);
        self
    }
}
