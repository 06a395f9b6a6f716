//! The stand-in's directives: the comma-separated value of `DEVTOP_STANDIN`
//! (`sleep`, `busy=P`, `listen=PORT`, `ignore-term`, `zombie-child`, `child`, `orphan`, `exit`,
//! `hold=MIB`, `grow=MIB`, `delay=MS`, `chatty`).

use super::ENV_MODE;
use std::fmt;
use std::str::FromStr;

/// One directive of `DEVTOP_STANDIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// `sleep`: idle at ~0 % CPU (the default).
    Sleep,
    /// `busy=P`: burn about P percent (0–100) of one core, as a duty cycle over 100 ms windows.
    Busy(u8),
    /// `listen=PORT`: listen on 127.0.0.1:PORT (0 = any free port, published in the ready file)
    /// and answer every connection with a minimal `HTTP/1.1 200 OK`, then close it.
    Listen(u16),
    /// `ignore-term`: survive `SIGTERM` (a handler that does nothing is installed).
    IgnoreTerm,
    /// `zombie-child`: spawn a child that exits at once and is never reaped (state `Z`).
    ZombieChild,
    /// `child`: spawn one child from `DEVTOP_STANDIN_CHILD`, which runs that spec's `mode`;
    /// it is not reaped until the parent exits.
    Child,
    /// `orphan`: lead a new session (`setsid`), spawn a child running the remaining directives
    /// (exe/args from `DEVTOP_STANDIN_CHILD`, else the spawner's own) in it, publish its
    /// PID as `child=` and exit, so the child is reparented to init or a subreaper.
    Orphan,
    /// `exit`: exit 0 at once (used for the `zombie-child` child).
    Exit,
    /// `delay=MS`: wait MS milliseconds before setting up (a server slow to become ready).
    Delay(u32),
    /// `chatty`: print like a dev server on stdout — a banner with ANSI colours, one line per
    /// HTTP request answered, a heartbeat every 5 s.
    Chatty,
    /// `hold=MIB`: allocate MIB mebibytes and touch every page before publishing ready, and
    /// keep them (a memory hog for the memory guard's tests).
    Hold(u32),
    /// `grow=MIB`: after publishing ready, allocate and touch 4 MiB every 50 ms until MIB
    /// mebibytes are held (a hog the OOM killer ends in a small cgroup).
    Grow(u32),
    /// `apply-migrations`: act as `prisma migrate deploy` on a SQLite `DATABASE_URL`
    /// (`file:…` relative to `prisma/`): apply each folder of `prisma/migrations` that has no
    /// `_prisma_migrations` row, write its row as Prisma does, print Prisma-like lines, exit 0
    /// (1 when a script fails). The demo's `m` runs it.
    ApplyMigrations,
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sleep => f.write_str("sleep"),
            Self::Busy(p) => write!(f, "busy={p}"),
            Self::Listen(port) => write!(f, "listen={port}"),
            Self::IgnoreTerm => f.write_str("ignore-term"),
            Self::ZombieChild => f.write_str("zombie-child"),
            Self::Child => f.write_str("child"),
            Self::Orphan => f.write_str("orphan"),
            Self::Exit => f.write_str("exit"),
            Self::Delay(ms) => write!(f, "delay={ms}"),
            Self::Chatty => f.write_str("chatty"),
            Self::Hold(m) => write!(f, "hold={m}"),
            Self::Grow(m) => write!(f, "grow={m}"),
            Self::ApplyMigrations => f.write_str("apply-migrations"),
        }
    }
}

/// A `DEVTOP_STANDIN` value that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad {ENV_MODE} directive {directive:?}: {problem}")]
pub struct DirectiveError {
    /// The offending directive text.
    pub directive: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl FromStr for Directive {
    type Err = DirectiveError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem| DirectiveError {
            directive: s.to_owned(),
            problem,
        };
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (s.trim(), None),
        };
        match (name, value) {
            ("sleep", None) => Ok(Self::Sleep),
            ("busy", Some(v)) => match v.parse::<u8>() {
                Ok(p) if p <= 100 => Ok(Self::Busy(p)),
                _ => Err(bad("busy wants a percentage 0..=100")),
            },
            ("listen", Some(v)) => v
                .parse::<u16>()
                .map(Self::Listen)
                .map_err(|_| bad("listen wants a port 0..=65535")),
            ("ignore-term", None) => Ok(Self::IgnoreTerm),
            ("grow", Some(v)) => v
                .parse::<u32>()
                .map(Self::Grow)
                .map_err(|_| bad("grow wants a size in MiB")),
            ("hold", Some(v)) => v
                .parse::<u32>()
                .map(Self::Hold)
                .map_err(|_| bad("hold wants a size in MiB")),
            ("zombie-child", None) => Ok(Self::ZombieChild),
            ("child", None) => Ok(Self::Child),
            ("orphan", None) => Ok(Self::Orphan),
            ("exit", None) => Ok(Self::Exit),
            ("chatty", None) => Ok(Self::Chatty),
            ("delay", Some(v)) => v
                .parse::<u32>()
                .map(Self::Delay)
                .map_err(|_| bad("delay wants milliseconds")),
            ("apply-migrations", None) => Ok(Self::ApplyMigrations),
            (
                "sleep" | "ignore-term" | "zombie-child" | "child" | "orphan" | "exit" | "chatty"
                | "apply-migrations",
                Some(_),
            ) => Err(bad("takes no value")),
            ("busy" | "listen" | "hold" | "grow" | "delay", None) => Err(bad("needs a value")),
            _ => Err(bad("unknown directive")),
        }
    }
}

/// Parses a comma-separated `DEVTOP_STANDIN` value; empty items are skipped.
///
/// # Errors
/// The first item that is not a valid [`Directive`].
pub fn parse_directives(spec: &str) -> Result<Vec<Directive>, DirectiveError> {
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

/// Formats directives back into a `DEVTOP_STANDIN` value (inverse of [`parse_directives`]).
pub fn format_directives(directives: &[Directive]) -> String {
    directives
        .iter()
        .map(Directive::to_string)
        .collect::<Vec<_>>()
        .join(",")
}
