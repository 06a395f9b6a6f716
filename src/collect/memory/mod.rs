//! Reads memory state: `/proc/meminfo`, `/proc/pressure/memory`, `/proc/self/cgroup` and the
//! cgroup v2 `memory.current`/`memory.max`/`memory.stat` files — or, on a machine that keeps
//! its limit in the cgroup v1 memory controller, `memory.usage_in_bytes` /
//! `memory.limit_in_bytes` / `memory.stat` — into a [`MemorySnapshot`].
//!
//! The parsers are small hand-written ones rather than `procfs_core::Meminfo`: that type
//! builds a `HashMap` of every field and insists on ~15 keys we do not need, while this
//! runs every second and needs four keys, with an error naming the one that is missing.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::model::memory::{CgroupMemory, MemorySnapshot, Psi};

/// The four `/proc/meminfo` values devtop uses, converted from kB (KiB) to bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeminfoValues {
    /// `MemTotal`, bytes.
    pub total_bytes: u64,
    /// `MemAvailable`, bytes.
    pub available_bytes: u64,
    /// `SwapTotal`, bytes.
    pub swap_total_bytes: u64,
    /// `SwapFree`, bytes.
    pub swap_free_bytes: u64,
}

/// Why `/proc/meminfo` text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A required key (`MemTotal`, `MemAvailable`, `SwapTotal`, `SwapFree`) is absent.
    #[error("meminfo: missing key {0}")]
    MissingKey(&'static str),
    /// A required key is present but its value is not an unsigned integer.
    #[error("meminfo: bad value for {key}: {value:?}")]
    BadValue {
        /// The key, e.g. `MemTotal`.
        key: &'static str,
        /// The offending text.
        value: String,
    },
}

/// Why a [`MemoryReader::read`] failed (only `/proc/meminfo` is required).
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    /// `/proc/meminfo` could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// `/proc/meminfo` could not be parsed.
    #[error("parsing {path}: {source}")]
    Parse {
        /// The file that failed.
        path: PathBuf,
        /// The underlying error.
        source: ParseError,
    },
}

const MEMINFO_KEYS: [&str; 4] = ["MemTotal", "MemAvailable", "SwapTotal", "SwapFree"];

/// Parses `/proc/meminfo` text (`Key:   12345 kB` lines) into bytes (value × 1024).
/// Other lines are ignored.
///
/// # Errors
/// [`ParseError`] naming the first required key that is missing or malformed.
pub fn parse_meminfo(text: &str) -> Result<MeminfoValues, ParseError> {
    let mut found: [Option<u64>; 4] = [None; 4];
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let Some(idx) = MEMINFO_KEYS.iter().position(|k| *k == key.trim()) else {
            continue;
        };
        let raw = rest.split_whitespace().next().unwrap_or("");
        let kib = raw.parse::<u64>().map_err(|_| ParseError::BadValue {
            key: MEMINFO_KEYS[idx],
            value: rest.trim().to_string(),
        })?;
        found[idx] = Some(kib.saturating_mul(1024));
    }
    let get = |i: usize| found[i].ok_or(ParseError::MissingKey(MEMINFO_KEYS[i]));
    Ok(MeminfoValues {
        total_bytes: get(0)?,
        available_bytes: get(1)?,
        swap_total_bytes: get(2)?,
        swap_free_bytes: get(3)?,
    })
}

/// Parses `/proc/pressure/memory`:
/// `some avg10=0.00 avg60=0.00 avg300=0.00 total=0` and `full ...` (percent values).
/// `None` when the `some` line is absent or malformed; a missing/malformed `full` line
/// (older kernels) gives `full_avg10 = full_avg60 = 0.0`.
pub fn parse_psi(text: &str) -> Option<Psi> {
    let mut some = None;
    let mut full = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let slot = match words.next() {
            Some("some") => &mut some,
            Some("full") => &mut full,
            _ => continue,
        };
        let (mut avg10, mut avg60) = (None, None);
        for word in words {
            let Some((k, v)) = word.split_once('=') else {
                continue;
            };
            let v = v.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
            match k {
                "avg10" => avg10 = v,
                "avg60" => avg60 = v,
                _ => {}
            }
        }
        *slot = avg10.zip(avg60);
    }
    let (some_avg10, some_avg60) = some?;
    let (full_avg10, full_avg60) = full.unwrap_or((0.0, 0.0));
    Some(Psi {
        some_avg10,
        some_avg60,
        full_avg10,
        full_avg60,
    })
}

/// The cgroup v2 path from `/proc/self/cgroup` text: the path of the `0::/path` line
/// (e.g. `/user.slice/app.scope`). `None` on a pure cgroup v1 system.
pub fn parse_cgroup_v2_path(proc_self_cgroup: &str) -> Option<String> {
    proc_self_cgroup
        .lines()
        .find_map(|line| line.strip_prefix("0::"))
        .map(str::trim)
        .filter(|p| p.starts_with('/'))
        .map(str::to_string)
}

/// Parses a cgroup v2 `memory.max` file: a byte count, or `max` (no limit) → `None`.
/// Malformed text also gives `None`.
pub fn parse_memory_max(text: &str) -> Option<u64> {
    text.trim().parse().ok()
}

/// v1 `memory.limit_in_bytes` at or above this (2^60 bytes) means "no limit" (the kernel writes
/// `PAGE_COUNTER_MAX` pages, 9223372036854771712 with 4 KiB pages).
pub const V1_UNLIMITED: u64 = 1 << 60;

/// The cgroup v1 memory controller's path from `/proc/self/cgroup` text: the path of the
/// `N:…memory…:/path` line (the controller list may hold others, `4:memory:/docker/abc`).
/// `None` when the memory controller is not mounted as v1.
pub fn parse_cgroup_v1_memory_path(proc_self_cgroup: &str) -> Option<String> {
    proc_self_cgroup.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
        (ctrls.split(',').any(|c| c == "memory") && path.starts_with('/'))
            .then(|| path.trim().to_string())
    })
}

/// Parses a cgroup v1 `memory.limit_in_bytes` file: a byte count, `None` for "no limit"
/// (≥ [`V1_UNLIMITED`]) or malformed text.
pub fn parse_v1_limit(text: &str) -> Option<u64> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|&v| v < V1_UNLIMITED)
}

/// The inactive file pages of a `memory.stat` file, bytes: `inactive_file` (v2, and v1's own
/// level) or `total_inactive_file` (v1, hierarchical; preferred when present). 0 when absent.
pub fn parse_inactive_file(memory_stat: &str) -> u64 {
    let find = |key: &str| {
        memory_stat.lines().find_map(|l| {
            let (k, v) = l.split_once(' ')?;
            (k == key).then(|| v.trim().parse::<u64>().ok()).flatten()
        })
    };
    find("total_inactive_file")
        .or_else(|| find("inactive_file"))
        .unwrap_or(0)
}

/// The cgroup hierarchy [`MemoryReader::read_cgroup_in`] walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hierarchy {
    /// Unified: `memory.current` / `memory.max` under `sys/fs/cgroup`.
    V2,
    /// The v1 memory controller: `memory.usage_in_bytes` / `memory.limit_in_bytes` under
    /// `sys/fs/cgroup/memory`.
    V1,
}

impl Hierarchy {
    fn files(self) -> (&'static str, &'static str) {
        match self {
            Hierarchy::V2 => ("memory.current", "memory.max"),
            Hierarchy::V1 => ("memory.usage_in_bytes", "memory.limit_in_bytes"),
        }
    }
}

/// Reads a [`MemorySnapshot`] from a filesystem root (`/` in production, a fixture tree in
/// tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryReader {
    root: PathBuf,
}

impl MemoryReader {
    /// A reader of the real system (root `/`).
    pub fn system() -> Self {
        Self::with_root("/")
    }

    /// A reader that looks for `proc/...` and `sys/fs/cgroup/...` under `root`.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Reads one snapshot. Only `<root>/proc/meminfo` is required; without
    /// `<root>/proc/pressure/memory` `psi` is `None`, and without a cgroup v2 memory
    /// controller (see [`Self::read_cgroup`]) `cgroup` is `None`. A handful of small reads.
    ///
    /// # Errors
    /// [`MemoryError`] when `<root>/proc/meminfo` is unreadable or unparsable.
    pub fn read(&self) -> Result<MemorySnapshot, MemoryError> {
        let path = self.root.join("proc/meminfo");
        let text = fs::read_to_string(&path).map_err(|source| MemoryError::Io {
            path: path.clone(),
            source,
        })?;
        let m = parse_meminfo(&text).map_err(|source| MemoryError::Parse { path, source })?;
        let psi = fs::read_to_string(self.root.join("proc/pressure/memory"))
            .ok()
            .and_then(|t| parse_psi(&t));
        Ok(MemorySnapshot {
            total_bytes: m.total_bytes,
            available_bytes: m.available_bytes,
            swap_total_bytes: m.swap_total_bytes,
            swap_free_bytes: m.swap_free_bytes,
            cgroup: self.read_cgroup(),
            psi,
        })
    }

    /// The cgroup memory accounting for this process: the cgroup v2 one (see
    /// [`Self::read_cgroup_in`]) when it sets a limit, else the v1 memory controller's when
    /// that sets one, else whichever level was found without a limit (v2 first). `None` when
    /// neither hierarchy offers memory accounting.
    pub fn read_cgroup(&self) -> Option<CgroupMemory> {
        let text = fs::read_to_string(self.root.join("proc/self/cgroup")).ok()?;
        let v2 = parse_cgroup_v2_path(&text).and_then(|p| self.read_cgroup_in(Hierarchy::V2, &p));
        if v2.as_ref().is_some_and(|c| c.max_bytes.is_some()) {
            return v2;
        }
        let v1 =
            parse_cgroup_v1_memory_path(&text).and_then(|p| self.read_cgroup_in(Hierarchy::V1, &p));
        if v1.as_ref().is_some_and(|c| c.max_bytes.is_some()) {
            return v1;
        }
        v2.or(v1)
    }

    /// Walks `<root>/sys/fs/cgroup[/memory]/<path>` and its parents up to the mount root, and
    /// reports the nearest level whose limit is a number (with that level's usage and
    /// `memory.stat` inactive file pages). If no level has a limit, the leaf-most level that
    /// has the files, with `max_bytes: None`. A level missing from the mount (a container
    /// seeing the host's path) is skipped.
    fn read_cgroup_in(&self, h: Hierarchy, cg_path: &str) -> Option<CgroupMemory> {
        // Only plain components: never let `..` in the file escape the cgroup mount.
        let parts: Vec<&str> = Path::new(cg_path)
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => s.to_str(),
                _ => None,
            })
            .collect();
        let mount = match h {
            Hierarchy::V2 => self.root.join("sys/fs/cgroup"),
            Hierarchy::V1 => self.root.join("sys/fs/cgroup/memory"),
        };
        let (usage_file, limit_file) = h.files();
        let mut unlimited_leaf: Option<CgroupMemory> = None;
        for depth in (0..=parts.len()).rev() {
            let rel = &parts[..depth];
            let mut dir = mount.clone();
            dir.extend(rel);
            let Ok(max_text) = fs::read_to_string(dir.join(limit_file)) else {
                continue;
            };
            let Some(current_bytes) = fs::read_to_string(dir.join(usage_file))
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
            else {
                continue;
            };
            let inactive = fs::read_to_string(dir.join("memory.stat"))
                .map(|t| parse_inactive_file(&t))
                .unwrap_or(0);
            let level = CgroupMemory {
                current_bytes,
                max_bytes: match h {
                    Hierarchy::V2 => parse_memory_max(&max_text),
                    Hierarchy::V1 => parse_v1_limit(&max_text),
                },
                path: format!("/{}", rel.join("/")),
                inactive_file_bytes: inactive.min(current_bytes),
                version: match h {
                    Hierarchy::V2 => 2,
                    Hierarchy::V1 => 1,
                },
            };
            if level.max_bytes.is_some() {
                return Some(level);
            }
            unlimited_leaf.get_or_insert(level);
        }
        unlimited_leaf
    }
}

#[cfg(test)]
mod tests;
