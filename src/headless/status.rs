//! `devtop status [--json]`: one snapshot of processes, suspects and memory.
//!
//! The JSON (version 1) is a stable interface for scripts; the README documents every field.

use crate::collect::tasks::MemoryView;
use crate::headless::databases::DbReport;
use crate::headless::db_json::{DatabaseJson, MigrationsJson, databases_json, migrations_json_all};
use crate::model::cpu::CpuLoad;
use crate::model::memory::{Level, format_bytes};
use crate::model::process::{ProcessInfo, Relation};
use crate::model::snapshot::ProcessSnapshot;
use crate::model::suspects::{Suspect, format_age};
use crate::sanitize::{clean, path};
use serde::Serialize;
use std::path::Path;

/// Format version of the JSON document.
pub const JSON_VERSION: u32 = 1;

/// `devtop status --json` document.
#[derive(Debug, Serialize)]
pub struct StatusJson<'a> {
    /// Always [`JSON_VERSION`].
    pub version: u32,
    /// RFC 3339 UTC time of the snapshot.
    pub taken_at: String,
    /// Project root.
    pub project: &'a Path,
    /// "user" or "project".
    pub scope: &'static str,
    /// Matched processes and their descendants (context ancestors are left out).
    pub processes: Vec<ProcessJson<'a>>,
    /// Memory readings.
    pub memory: MemoryJson,
    /// The whole machine's CPU: load1/load5/load15, busy_percent (all CPUs, over the 1 s
    /// between the two samples; null when /proc/stat is unreadable), cores; null when
    /// /proc/loadavg is unreadable.
    pub cpu: Option<CpuLoad>,
    /// Per environment: name, masked url, status, latency_ms, version, error, connections, lock.
    pub databases: Vec<DatabaseJson<'a>>,
    /// Per environment: per-migration status, summary, drift.
    pub migrations: Vec<MigrationsJson<'a>>,
    /// Per configured `[[server]]`, config order: name, state, pid, pgid, port, uptime_s,
    /// ready_after_s, rss_bytes, held_reason, last_error (see [`super::server_status`]).
    pub servers: Vec<super::server_status::ServerJson>,
    /// Watched processes the OOM killer ended, as the dashboard or `devtop guard` recorded
    /// them (`.devtop/deaths.json`, newest last): at_unix, pid, name, role, last_rss_bytes,
    /// cause, evidence, available_bytes, psi_full_avg10, top_then.
    pub recent_deaths: Vec<crate::model::deaths::Death>,
}

/// One process in the JSON.
#[derive(Debug, Serialize)]
pub struct ProcessJson<'a> {
    pid: u32,
    ppid: Option<u32>,
    name: &'a str,
    role: &'static str,
    relation: Relation,
    state: String,
    start_time: u64,
    start_ticks: u64,
    age_s: u64,
    cpu_percent: f64,
    rss_bytes: u64,
    cwd: Option<&'a Path>,
    cmd: &'a [String],
    ports: &'a [u16],
    max_old_space_mib: Option<u64>,
    /// A node process's V8 old-space limit, bytes (`--max-old-space-size`, else V8's default
    /// for the memory node sees); null for other processes.
    heap_limit_bytes: Option<u64>,
    /// `"flag"` or `"default"`; null with no limit.
    heap_limit_source: Option<crate::model::node_heap::HeapSource>,
    /// "api: RSS 3.7 GiB near its 4.0 GiB old-space heap limit — if that is heap, it will die
    /// with …" when RSS is ≥ 85 % of it (RSS holds more than the heap).
    heap_warning: Option<String>,
    suspect: Option<&'a Suspect>,
}

/// Memory readings in the JSON; byte counts, PSI in percent.
#[derive(Debug, Serialize)]
pub struct MemoryJson {
    total_bytes: Option<u64>,
    available_bytes: Option<u64>,
    swap_total_bytes: Option<u64>,
    swap_free_bytes: Option<u64>,
    cgroup_limit_bytes: Option<u64>,
    cgroup_current_bytes: Option<u64>,
    psi: Option<crate::model::memory::Psi>,
    dev_rss_bytes: u64,
    level: Option<Level>,
    reasons: Vec<String>,
    error: Option<String>,
}

fn process_json<'a>(
    p: &'a ProcessInfo,
    snap: &'a ProcessSnapshot,
    memory: Option<u64>,
) -> ProcessJson<'a> {
    let limit = crate::model::node_heap::heap_limit(p, memory);
    ProcessJson {
        pid: p.pid,
        ppid: p.ppid,
        name: &p.name,
        role: p.role.label(),
        relation: p.relation,
        state: p.state.to_string(),
        start_time: p.start_time,
        start_ticks: p.start_ticks,
        age_s: p.age_s,
        cpu_percent: (f64::from(p.cpu_percent) * 10.0).round() / 10.0,
        rss_bytes: p.rss_bytes,
        cwd: p.cwd.as_deref(),
        cmd: &p.cmd,
        ports: &p.ports,
        max_old_space_mib: p.max_old_space_mib,
        heap_limit_bytes: limit.map(|l| l.bytes),
        heap_limit_source: limit.map(|l| l.source),
        heap_warning: limit.and_then(|l| {
            crate::model::node_heap::near_warning(
                &crate::app::guard::tool_name(p.role, &p.name),
                p,
                l,
            )
        }),
        suspect: snap.suspect_of(p.pid),
    }
}

/// Build the JSON document (`servers` from [`super::server_status::collect`]).
pub fn to_json<'a>(
    snap: &'a ProcessSnapshot,
    mem: &MemoryView,
    db: &'a DbReport,
    servers: Vec<super::server_status::ServerJson>,
) -> StatusJson<'a> {
    let m = mem.snapshot.as_ref();
    StatusJson {
        version: JSON_VERSION,
        taken_at: humantime::format_rfc3339_seconds(snap.taken_at).to_string(),
        project: &snap.root,
        scope: snap.scope.label(),
        processes: snap
            .dev_processes()
            .map(|p| process_json(p, snap, m.map(crate::model::node_heap::memory_node_sees)))
            .collect(),
        memory: MemoryJson {
            total_bytes: m.map(|m| m.total_bytes),
            available_bytes: m.map(|m| m.available_bytes),
            swap_total_bytes: m.map(|m| m.swap_total_bytes),
            swap_free_bytes: m.map(|m| m.swap_free_bytes),
            cgroup_limit_bytes: m.and_then(|m| m.cgroup.as_ref()).and_then(|c| c.max_bytes),
            cgroup_current_bytes: m.and_then(|m| m.cgroup.as_ref()).map(|c| c.current_bytes),
            psi: m.and_then(|m| m.psi.clone()),
            dev_rss_bytes: snap.dev_rss_bytes(),
            level: mem.assessment.as_ref().map(|a| a.level),
            reasons: mem
                .assessment
                .as_ref()
                .map(|a| a.reasons.clone())
                .unwrap_or_default(),
            error: mem.error.clone(),
        },
        cpu: mem.cpu.clone().map(|c| CpuLoad {
            busy_percent: c.busy_percent.map(|b| (b * 10.0).round() / 10.0),
            ..c
        }),
        databases: databases_json(db),
        migrations: migrations_json_all(db),
        servers,
        recent_deaths: Vec::new(),
    }
}

/// The `cpu …` line of the text status.
fn cpu_text(cpu: Option<&CpuLoad>) -> String {
    let Some(c) = cpu else {
        return "cpu: unreadable (/proc/loadavg)\n".into();
    };
    let busy = c
        .busy_percent
        .map_or("busy unknown".into(), |b| format!("{b:.1}% busy"));
    format!(
        "cpu {busy} of {} CPUs, load {:.2} {:.2} {:.2}{}\n",
        c.cores,
        c.load1,
        c.load5,
        c.load15,
        if c.overloaded() {
            " (more runnable tasks than CPUs)"
        } else {
            ""
        }
    )
}

/// Human-readable status: memory line, CPU line, one line per process, suspects with advice, one line
/// per database and its migration summary. Every argv, name, path and message from outside is
/// [`clean`]ed: one row per line, no control bytes.
pub fn to_text(snap: &ProcessSnapshot, mem: &MemoryView, db: &DbReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "project {} (scope {})\n",
        path(&snap.root),
        snap.scope.label()
    ));
    memory_text(&mut out, snap, mem);
    out.push_str(&cpu_text(mem.cpu.as_ref()));
    processes_text(&mut out, snap);
    suspects_text(&mut out, snap);
    databases_text(&mut out, db);
    out
}

/// The memory line (level, MemAvailable, swap, dev RSS, cgroup, PSI) and its reasons.
fn memory_text(out: &mut String, snap: &ProcessSnapshot, mem: &MemoryView) {
    match (&mem.snapshot, &mem.assessment) {
        (Some(m), Some(a)) => {
            out.push_str(&format!(
                "memory {:?}: MemAvailable {} of {}, swap free {} of {}, dev RSS {}",
                a.level,
                format_bytes(m.available_bytes),
                format_bytes(m.total_bytes),
                format_bytes(m.swap_free_bytes),
                format_bytes(m.swap_total_bytes),
                format_bytes(snap.dev_rss_bytes()),
            ));
            if let Some(c) = &m.cgroup
                && let Some(max) = c.max_bytes
            {
                out.push_str(&format!(
                    ", cgroup {} of {}",
                    format_bytes(c.current_bytes),
                    format_bytes(max)
                ));
            }
            match &m.psi {
                Some(p) => out.push_str(&format!(
                    ", PSI some avg10 {:.1}% full avg10 {:.1}%\n",
                    p.some_avg10, p.full_avg10
                )),
                None => out.push_str(", PSI unavailable\n"),
            }
            for r in &a.reasons {
                out.push_str(&format!("  ! {}\n", clean(r)));
            }
        }
        _ => out.push_str(&format!(
            "memory: unreadable ({})\n",
            clean(mem.error.as_deref().unwrap_or("no reading"))
        )),
    }
}

/// The process table: a header and one line per dev process.
fn processes_text(out: &mut String, snap: &ProcessSnapshot) {
    out.push_str(&format!(
        "{:>7} {:>7} {:<15} {:1} {:>6} {:>9} {:>8}  COMMAND\n",
        "PID", "PPID", "ROLE", "S", "CPU%", "RSS", "AGE"
    ));
    for p in snap.dev_processes() {
        let ports = if p.ports.is_empty() {
            String::new()
        } else {
            format!(
                "  [:{}]",
                p.ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(",:")
            )
        };
        out.push_str(&format!(
            "{:>7} {:>7} {:<15} {:1} {:>6.1} {:>9} {:>8}  {}{}\n",
            p.pid,
            p.ppid.map_or("-".into(), |x| x.to_string()),
            p.role.label(),
            p.state,
            p.cpu_percent,
            format_bytes(p.rss_bytes),
            format_age(p.age_s),
            clean(&p.command_line()),
            ports
        ));
    }
}

/// "no suspects", or each suspect with its evidence and advice.
fn suspects_text(out: &mut String, snap: &ProcessSnapshot) {
    if snap.suspects.is_empty() {
        out.push_str("no suspects\n");
    } else {
        out.push_str(&format!("{} suspect(s):\n", snap.suspects.len()));
        for s in &snap.suspects {
            out.push_str(&format!(
                "  PID {} {} [{:?}]: {}\n      → {}\n",
                s.pid,
                s.kind.label(),
                s.severity,
                clean(&s.reason),
                clean(&s.advice)
            ));
        }
    }
}

/// Per environment: state, summary, migrate lock and drift.
fn databases_text(out: &mut String, db: &DbReport) {
    for (e, v) in db.dbs.envs.iter().zip(&db.views) {
        let state = match (&e.health, &e.error, &e.unconfigured) {
            (_, _, Some(why)) => format!("not configured: {why}"),
            (Some(h), None, _) => format!("up {:.1}ms {}", h.latency_ms, h.version),
            (_, Some(err), _) => format!("down: {} ({})", err.kind.plain(), err.message),
            _ => "unknown".into(),
        };
        out.push_str(&format!(
            "db {} {}: {}\n  {}\n",
            clean(&e.name),
            clean(e.masked_url.as_deref().unwrap_or("")),
            clean(&state),
            clean(&v.summary)
        ));
        if let Some(l) = &v.lock_line {
            out.push_str(&format!("  {}\n", clean(l)));
        }
        for l in v.drift_lines() {
            out.push_str(&format!("  drift: {}\n", clean(&l)));
        }
    }
}

/// `devtop status [--json]`: processes (two samples 1 s apart, on the blocking pool) and the
/// databases (probed meanwhile on the runtime), printed as text or JSON. Returns the exit
/// code: 0, or 1 when processes cannot be read or the JSON cannot be encoded.
pub async fn run(setup: &crate::setup::Setup, json: bool) -> i32 {
    use crate::collect::once;
    use crate::headless::{databases, out};
    use crate::setup::{EXIT_FAILURE, EXIT_OK};
    let (procs, db) = tokio::join!(once::collect(setup), databases::collect(setup));
    let servers = crate::headless::server_status::collect(&setup.root, &setup.config.servers);
    let ((snap, mem), db) = match (procs, db) {
        (Ok(p), Ok(d)) => (p, d),
        (Err(e), _) | (_, Err(e)) => {
            out::error(&e);
            return EXIT_FAILURE;
        }
    };
    if json {
        let mut doc = to_json(&snap, &mem, &db, servers);
        doc.recent_deaths = crate::effects::deaths::read(&setup.root);
        match serde_json::to_string_pretty(&doc) {
            Ok(s) => out::json(&s),
            Err(e) => {
                out::error(&format!("cannot encode JSON: {e}"));
                return EXIT_FAILURE;
            }
        }
    } else {
        let block = crate::headless::server_status::to_text(&servers);
        out::text(&(to_text(&snap, &mem, &db) + &block));
    }
    EXIT_OK
}
