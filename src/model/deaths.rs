//! Post-mortems of watched processes that disappeared: which ones the kernel's OOM killer ended
//! (named in the kernel log, or counted by the cgroup's `oom_kill` counter), with their last RSS
//! and the memory level and top dev tools at the time — every exit 137 explained. Pure: the
//! kernel log lines and counters are read by `crate::collect::oom`.

use crate::model::memory::format_bytes;
use crate::model::process::Relation;
use crate::model::snapshot::ProcessSnapshot;
use serde::{Deserialize, Serialize};

/// How many deaths `.devtop/deaths.json` keeps (the newest).
pub const KEEP_DEATHS: usize = 50;

/// What the kernel said between two passes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OomEvents {
    /// `(pid, comm)` of each "Out of memory: Killed process N (comm)" / "Memory cgroup out of
    /// memory: Killed process N (comm)" line of `/dev/kmsg` (empty when unreadable).
    pub killed: Vec<(u32, String)>,
    /// Increase of the cgroup's `oom_kill` counter (v2 `memory.events`, v1
    /// `memory.oom_control`) since the previous pass; 0 when unknown.
    pub counter_delta: u64,
}

/// Why a watched process is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The kernel log names it: "Out of memory: Killed process N (comm)".
    OomKiller,
    /// The cgroup's `oom_kill` counter rose while it disappeared (the kernel log was not
    /// readable or did not name it): most likely the OOM killer.
    LikelyOomKiller,
}

/// One post-mortem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Death {
    /// When it was noticed, seconds since the Unix epoch.
    pub at_unix: u64,
    /// PID.
    pub pid: u32,
    /// Process name.
    pub name: String,
    /// Role label (`prisma-migrate`, `node`, …).
    pub role: String,
    /// RSS at the last pass it was seen with a resident size, bytes (`/proc/<pid>/stat` rss ×
    /// page size); `None` when no pass ever read one — a process already exiting has none
    /// (its memory is freed before it vanishes), and a file written before this field could
    /// be null says 0 for that.
    #[serde(default, deserialize_with = "zero_is_unsampled")]
    pub last_rss_bytes: Option<u64>,
    /// Why.
    pub cause: Cause,
    /// The evidence: "kernel log" or "cgroup oom_kill +1".
    pub evidence: String,
    /// MemAvailable at the time, bytes.
    pub available_bytes: Option<u64>,
    /// PSI full avg10 at the time, percent.
    pub psi_full_avg10: Option<f64>,
    /// The largest dev processes at the last pass, "schema-engine 1.2 GiB, …".
    pub top_then: String,
}

impl Death {
    /// "OOM killer ended PID 4242 (code, 3.1 GiB) — available 180 MiB, PSI full 34.0%; top dev
    /// tools then: schema-engine 1.2 GiB, prisma-studio 900 MiB".
    pub fn line(&self) -> String {
        let who = match self.cause {
            Cause::OomKiller => "OOM killer ended",
            Cause::LikelyOomKiller => "OOM killer likely ended",
        };
        let mut level = Vec::new();
        if let Some(a) = self.available_bytes {
            level.push(format!("available {}", format_bytes(a)));
        }
        if let Some(p) = self.psi_full_avg10 {
            level.push(format!("PSI full {p:.1}%"));
        }
        format!(
            "{who} PID {} ({}, {}) — {}; top dev tools then: {} [{}]",
            self.pid,
            crate::sanitize::clean(&self.name),
            self.last_rss_bytes
                .map_or_else(|| "RSS not sampled".to_owned(), format_bytes),
            if level.is_empty() {
                "memory level unknown".to_owned()
            } else {
                level.join(", ")
            },
            self.top_then,
            self.evidence
        )
    }
}

/// `last_rss_bytes` as stored: a number, null, or (files of earlier versions) 0 for "never
/// sampled".
fn zero_is_unsampled<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(Option::<u64>::deserialize(d)?.filter(|&b| b > 0))
}

/// The memory level at the time, for the post-mortem.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LevelThen {
    /// MemAvailable, bytes.
    pub available_bytes: Option<u64>,
    /// PSI full avg10, percent.
    pub psi_full_avg10: Option<f64>,
}

/// The watched (dev) processes of `prev` missing from `now` (or a zombie there: exited, not
/// yet reaped) that the OOM killer ended:
/// named by `events.killed` (matched by PID and, when the kernel gives it, comm), else — when
/// the cgroup counter rose — the largest `counter_delta` of the gone ones, by last RSS, as
/// likely. Processes devtop ended itself (`ended_by_devtop`) are never blamed on the kernel.
pub fn explain(
    prev: &ProcessSnapshot,
    now: &ProcessSnapshot,
    events: &OomEvents,
    level: LevelThen,
    top_then: &str,
    ended_by_devtop: &[u32],
    at_unix: u64,
) -> Vec<Death> {
    let mut gone: Vec<_> = prev
        .processes
        .iter()
        .filter(|p| p.relation != Relation::Ancestor && !matches!(p.state, 'Z' | 'X'))
        .filter(|p| !ended_by_devtop.contains(&p.pid))
        // Gone, reused, or exited and waiting to be reaped (a zombie has died already).
        .filter(|p| {
            now.get(p.pid)
                .is_none_or(|q| q.start_ticks != p.start_ticks || matches!(q.state, 'Z' | 'X'))
        })
        .collect();
    gone.sort_by(|a, b| b.rss_bytes.cmp(&a.rss_bytes).then(a.pid.cmp(&b.pid)));
    let mut out = Vec::new();
    let mut likely_left = events.counter_delta;
    for p in gone {
        let named = events.killed.iter().any(|(pid, comm)| {
            *pid == p.pid
                && (comm.is_empty()
                    || p.name.starts_with(comm.as_str())
                    || comm.starts_with(p.name.as_str()))
        });
        let (cause, evidence) = if named {
            likely_left = likely_left.saturating_sub(1);
            (Cause::OomKiller, "kernel log".to_owned())
        } else if likely_left > 0 && events.killed.is_empty() {
            likely_left -= 1;
            (
                Cause::LikelyOomKiller,
                format!("cgroup oom_kill +{}", events.counter_delta),
            )
        } else {
            continue;
        };
        out.push(Death {
            at_unix,
            pid: p.pid,
            name: p.name.clone(),
            role: p.role.label().to_owned(),
            // A resident size of 0 is a process past freeing its memory, not a measurement.
            last_rss_bytes: (p.rss_bytes > 0).then_some(p.rss_bytes),
            cause,
            evidence,
            available_bytes: level.available_bytes,
            psi_full_avg10: level.psi_full_avg10,
            top_then: top_then.to_owned(),
        });
    }
    out
}

/// Parses one `/dev/kmsg` record (`pri,seq,usec,flags;message`) or plain kernel log line: the
/// PID and comm of "Out of memory: Killed process N (comm)" or "Memory cgroup out of memory:
/// Killed process N (comm)"; `None` for anything else.
pub fn parse_oom_line(line: &str) -> Option<(u32, String)> {
    let msg = line.split_once(';').map_or(line, |(_, m)| m);
    if !(msg.contains("Out of memory") || msg.contains("out of memory")) {
        return None;
    }
    let rest = msg.split_once("Killed process ")?.1;
    let (pid, rest) = rest.split_once(' ')?;
    let pid = pid.parse().ok()?;
    let comm = rest
        .strip_prefix('(')
        .and_then(|r| r.split_once(')'))
        .map_or(String::new(), |(c, _)| c.to_owned());
    Some((pid, comm))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::process;
    use crate::model::tree::Scope;

    fn snap(ps: Vec<crate::model::process::ProcessInfo>) -> ProcessSnapshot {
        ProcessSnapshot {
            processes: ps,
            ..ProcessSnapshot::empty(Scope::User, "/p".into())
        }
    }

    fn p(pid: u32, name: &str, rss_mib: u64) -> crate::model::process::ProcessInfo {
        crate::model::process::ProcessInfo {
            rss_bytes: rss_mib << 20,
            start_ticks: u64::from(pid),
            ..process(pid, 1, name, &format!("{name} x"))
        }
    }

    #[test]
    fn parses_kernel_oom_lines() {
        assert_eq!(
            parse_oom_line(
                "3,1234,5678,-;Out of memory: Killed process 4242 (code) total-vm:1kB, anon-rss:2kB"
            ),
            Some((4242, "code".into()))
        );
        assert_eq!(
            parse_oom_line(
                "3,9,9,-;Memory cgroup out of memory: Killed process 77 (node) total-vm:1kB"
            ),
            Some((77, "node".into()))
        );
        assert_eq!(parse_oom_line("6,1,1,-;eth0: link up"), None);
        assert_eq!(parse_oom_line("Killed process x (y)"), None);
    }

    #[test]
    fn the_kernel_log_names_the_victim_and_the_line_says_it_all() {
        let prev = snap(vec![
            p(4242, "code", 3174),
            p(50, "schema-engine", 1229),
            p(51, "node", 900),
        ]);
        let now = snap(vec![p(50, "schema-engine", 1229), p(51, "node", 900)]);
        let events = OomEvents {
            killed: vec![(4242, "code".into())],
            counter_delta: 1,
        };
        let d = explain(
            &prev,
            &now,
            &events,
            LevelThen {
                available_bytes: Some(180 << 20),
                psi_full_avg10: Some(34.0),
            },
            "schema-engine 1.2 GiB, prisma-studio 900 MiB",
            &[],
            0,
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].cause, Cause::OomKiller);
        assert_eq!(
            d[0].line(),
            "OOM killer ended PID 4242 (code, 3.1 GiB) — available 180 MiB, PSI full 34.0%; top dev tools then: schema-engine 1.2 GiB, prisma-studio 900 MiB [kernel log]"
        );
    }

    #[test]
    fn a_zombie_has_died_already_and_is_told_once() {
        let prev = snap(vec![p(10, "node", 500)]);
        let mut z = p(10, "node", 0);
        z.state = 'Z';
        let now = snap(vec![z]);
        let ev = OomEvents {
            killed: vec![(10, "node".into())],
            counter_delta: 0,
        };
        let d = explain(&prev, &now, &ev, LevelThen::default(), "", &[], 0);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].last_rss_bytes, Some(500 << 20));
        // Reaped later: the zombie in the previous pass is not a second death.
        assert!(explain(&now, &snap(vec![]), &ev, LevelThen::default(), "", &[], 0).is_empty());
    }

    #[test]
    fn an_rss_never_read_is_null_not_zero() {
        // Its last pass caught it exiting: stat's rss was already 0.
        let prev = snap(vec![p(10, "node", 0)]);
        let ev = OomEvents {
            killed: vec![(10, "node".into())],
            counter_delta: 1,
        };
        let d = explain(
            &prev,
            &snap(vec![]),
            &ev,
            LevelThen::default(),
            "none",
            &[],
            0,
        );
        assert_eq!(d[0].last_rss_bytes, None);
        assert_eq!(
            d[0].line(),
            "OOM killer ended PID 10 (node, RSS not sampled) — memory level unknown; top dev tools then: none [kernel log]"
        );
        let json = serde_json::to_value(&d[0]).expect("serialises");
        assert!(json["last_rss_bytes"].is_null(), "{json}");
        // Read back, and from a file of an earlier version that wrote 0 for it.
        let back: Death = serde_json::from_value(json.clone()).expect("reads back");
        assert_eq!(back, d[0]);
        let mut old = json;
        old["last_rss_bytes"] = 0.into();
        let old: Death = serde_json::from_value(old).expect("reads an old record");
        assert_eq!(old.last_rss_bytes, None);
    }

    #[test]
    fn a_counter_rise_blames_the_largest_gone_and_a_plain_exit_nothing() {
        let prev = snap(vec![p(10, "node", 500), p(11, "node", 40)]);
        let now = snap(vec![]);
        let likely = explain(
            &prev,
            &now,
            &OomEvents {
                killed: vec![],
                counter_delta: 1,
            },
            LevelThen::default(),
            "",
            &[],
            0,
        );
        assert_eq!(likely.len(), 1);
        assert_eq!(
            (likely[0].pid, &likely[0].cause),
            (10, &Cause::LikelyOomKiller)
        );
        assert!(
            explain(
                &prev,
                &now,
                &OomEvents::default(),
                LevelThen::default(),
                "",
                &[],
                0
            )
            .is_empty()
        );
        // What devtop ended itself is never blamed on the kernel.
        let mine = explain(
            &prev,
            &now,
            &OomEvents {
                killed: vec![(10, "node".into())],
                counter_delta: 1,
            },
            LevelThen::default(),
            "",
            &[10],
            0,
        );
        assert!(mine.is_empty());
    }
}
