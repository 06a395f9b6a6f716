//! Node's V8 heap limit per node process: `--max-old-space-size` from argv or NODE_OPTIONS, else
//! the default V8 picks for the machine's memory; and the warning when a process's RSS nears it
//! (past the limit node dies with "FATAL ERROR: Reached heap limit Allocation failed -
//! JavaScript heap out of memory", seed 002's API server at 4 GB).
//!
//! RSS is not the heap: it also holds the young generation, code, stacks and native memory
//! (`Buffer`s, ArrayBuffers, addons). RSS at or above [`NEAR_FRACTION`] of the limit is
//! necessary for a heap near it, not sufficient — a Buffer-heavy process gets there with a
//! small heap. The warning says so ("if that is heap"); the heap itself is not visible from
//! outside the process.
//!
//! The default (Node 20 and 22, 64-bit, V8's `Heap::HeapSizeFromPhysicalMemory`): the old
//! space gets half of the memory node sees — physical memory, or the cgroup limit when smaller
//! (node reads it through libuv's `uv_get_constrained_memory`) — at least 256 MiB, at most
//! 2 GiB below 16 GiB of memory and 4 GiB from 16 GiB on. Measured: Node 20.20 on a 23.5 GiB
//! machine reports `heap_size_limit` 4144 MiB (4096 MiB old space + 48 MiB young); reports for
//! Node 20 give 464 / 974 / 1962 / 2096 MiB for 1 / 2 / 4 / 8 GB machines.

use crate::model::memory::format_bytes;
use crate::model::process::{ProcessInfo, word_stem};
use serde::Serialize;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// RSS at or above this share of the heap limit is "near" it.
pub const NEAR_FRACTION: f64 = 0.85;

/// Where a heap limit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HeapSource {
    /// `--max-old-space-size` in argv or NODE_OPTIONS.
    Flag,
    /// V8's default for the memory node sees.
    Default,
}

/// A node process's old-space limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeapLimit {
    /// The limit, bytes.
    pub bytes: u64,
    /// Where it comes from.
    pub source: HeapSource,
}

/// The memory node sizes its heap for: `MemTotal`, or the cgroup limit when smaller, bytes.
pub fn memory_node_sees(mem: &crate::model::memory::MemorySnapshot) -> u64 {
    mem.cgroup
        .as_ref()
        .and_then(|c| c.max_bytes)
        .map_or(mem.total_bytes, |m| m.min(mem.total_bytes))
}

/// True for a node process: its name (`/proc/<pid>/comm`) or argv\[0\]'s file name is `node`
/// (or `nodejs`).
pub fn is_node(p: &ProcessInfo) -> bool {
    let is = |w: &str| matches!(w, "node" | "nodejs");
    is(p.name.as_str()) || p.cmd.first().is_some_and(|a| is(word_stem(a)))
}

/// V8's default old-space limit for `memory_bytes` of memory (see the module docs), bytes.
pub fn v8_default_old_space(memory_bytes: u64) -> u64 {
    let cap = if memory_bytes >= 16 * GIB {
        4 * GIB
    } else {
        2 * GIB
    };
    (memory_bytes / 2).clamp(256 * MIB, cap)
}

/// The heap limit of `p` when it is a node process: `--max-old-space-size` (MiB) when set,
/// else V8's default for `memory_bytes` (MemTotal, or the cgroup limit when smaller); `None`
/// for other processes, or for a default when the memory is unknown.
pub fn heap_limit(p: &ProcessInfo, memory_bytes: Option<u64>) -> Option<HeapLimit> {
    if !is_node(p) {
        return None;
    }
    match p.max_old_space_mib {
        Some(mib) => Some(HeapLimit {
            bytes: mib.saturating_mul(MIB),
            source: HeapSource::Flag,
        }),
        None => memory_bytes.map(|m| HeapLimit {
            bytes: v8_default_old_space(m),
            source: HeapSource::Default,
        }),
    }
}

/// The warning for `p` near its limit (RSS ≥ [`NEAR_FRACTION`] of it): "`name`: RSS 3.7 GiB
/// near its 4.0 GiB old-space heap limit — if that is heap, it will die with 'JavaScript heap
/// out of memory'" (RSS holds more than the heap, see the module docs); `None` below.
pub fn near_warning(name: &str, p: &ProcessInfo, limit: HeapLimit) -> Option<String> {
    if limit.bytes == 0 || (p.rss_bytes as f64) < limit.bytes as f64 * NEAR_FRACTION {
        return None;
    }
    Some(format!(
        "{name}: RSS {} near its {} old-space heap limit{} — if that is heap, it will die \
         with 'JavaScript heap out of memory'",
        format_bytes(p.rss_bytes),
        format_bytes(limit.bytes),
        match limit.source {
            HeapSource::Flag => "",
            HeapSource::Default => " (V8 default)",
        }
    ))
}

/// "4.0 GiB (--max-old-space-size=4096)" or "4.0 GiB (V8 default for 23.5 GiB of memory)".
pub fn describe(p: &ProcessInfo, limit: HeapLimit, memory_bytes: Option<u64>) -> String {
    match (limit.source, p.max_old_space_mib, memory_bytes) {
        (HeapSource::Flag, Some(m), _) => {
            format!("{} (--max-old-space-size={m})", format_bytes(limit.bytes))
        }
        (_, _, Some(m)) => format!(
            "{} (V8 default for {} of memory)",
            format_bytes(limit.bytes),
            format_bytes(m)
        ),
        _ => format_bytes(limit.bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::process;

    #[test]
    fn default_follows_v8_for_the_memory_node_sees() {
        // Node 20.20 on this kind of machine: 4096 MiB old space.
        assert_eq!(v8_default_old_space(23 * GIB + 512 * MIB), 4 * GIB);
        assert_eq!(v8_default_old_space(8 * GIB), 2 * GIB);
        assert_eq!(v8_default_old_space(4 * GIB), 2 * GIB);
        assert_eq!(v8_default_old_space(2 * GIB), GIB);
        assert_eq!(v8_default_old_space(256 * MIB), 256 * MIB);
    }

    #[test]
    fn flag_wins_and_only_node_has_one() {
        let mut api = process(10, 1, "node", "node dist/server.js");
        api.max_old_space_mib = Some(4096);
        assert_eq!(
            heap_limit(&api, Some(64 * GIB)),
            Some(HeapLimit {
                bytes: 4 * GIB,
                source: HeapSource::Flag
            })
        );
        let plain = process(11, 1, "node", "node dist/server.js");
        assert_eq!(
            heap_limit(&plain, Some(8 * GIB)).map(|l| l.source),
            Some(HeapSource::Default)
        );
        assert_eq!(heap_limit(&plain, None), None);
        let engine = process(12, 1, "schema-engine", "schema-engine --datamodels x");
        assert_eq!(heap_limit(&engine, Some(8 * GIB)), None);
    }

    #[test]
    fn warns_near_the_limit_in_the_seed_words() {
        let mut api = process(
            10,
            1,
            "node",
            "node --max-old-space-size=4096 dist/server.js",
        );
        api.max_old_space_mib = Some(4096);
        api.rss_bytes = 3 * GIB + 716 * MIB;
        let limit = heap_limit(&api, Some(16 * GIB)).unwrap_or(HeapLimit {
            bytes: 0,
            source: HeapSource::Flag,
        });
        assert_eq!(
            near_warning("api", &api, limit).as_deref(),
            Some(
                "api: RSS 3.7 GiB near its 4.0 GiB old-space heap limit — if that is heap, it \
                 will die with 'JavaScript heap out of memory'"
            )
        );
        api.rss_bytes = 2 * GIB;
        assert_eq!(near_warning("api", &api, limit), None);
        assert_eq!(
            describe(&api, limit, None),
            "4.0 GiB (--max-old-space-size=4096)"
        );
    }
}
