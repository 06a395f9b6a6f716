//! What validation works with: the machine values are checked against, a failure that
//! carries the byte span of the offending value (turned into file:line:col by the loader),
//! and the range checks every section uses.

use super::values::{Dur, show};
use std::ops::Range;
use std::time::Duration;
use toml::Spanned;

/// What the machine offers, for checks like "a threshold above the RAM never clears".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Machine {
    /// `MemTotal` of /proc/meminfo in bytes; `None` when unreadable (no check then).
    pub mem_total: Option<u64>,
    /// Logical CPUs (`std::thread::available_parallelism`, 1 when unknown).
    pub cpus: usize,
}

impl Machine {
    /// This machine.
    pub fn current() -> Machine {
        let mem_total = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map(|kib| kib * 1024);
        Machine {
            mem_total,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// A validation failure: the byte range of the offending key or value in the file's text,
/// and what is wrong (naming the key).
#[derive(Debug)]
pub(super) struct Invalid {
    pub(super) span: Range<usize>,
    pub(super) message: String,
}

/// Fail at `span` with `message`.
pub(super) fn fail<T>(span: Range<usize>, message: String) -> Result<T, Invalid> {
    Err(Invalid { span, message })
}

/// `key` must lie within `min..=max`.
pub(super) fn duration_in(
    key: &str,
    v: &Option<Spanned<Dur>>,
    min: Duration,
    max: Duration,
) -> Result<(), Invalid> {
    let Some(v) = v else { return Ok(()) };
    let d = v.get_ref().0;
    if d < min || d > max {
        return fail(
            v.span(),
            format!(
                "{key} = \"{}\" is out of range: write between {} and {}",
                show(d),
                show(min),
                show(max)
            ),
        );
    }
    Ok(())
}

/// `key` must be a finite number within `min..=max`.
pub(super) fn number_in(
    key: &str,
    v: &Option<Spanned<f64>>,
    min: f64,
    max: f64,
) -> Result<(), Invalid> {
    let Some(v) = v else { return Ok(()) };
    let x = *v.get_ref();
    if !(x.is_finite() && x >= min && x <= max) {
        return fail(
            v.span(),
            format!("{key} = {x} is out of range: write a number from {min} to {max}"),
        );
    }
    Ok(())
}

/// The value of an optional spanned setting, or `default`.
pub(super) fn or<T: Clone>(v: &Option<Spanned<T>>, default: T) -> T {
    v.as_ref().map_or(default, |v| v.get_ref().clone())
}
