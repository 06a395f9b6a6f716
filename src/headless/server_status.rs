//! The `servers` part of `devtop status`: one entry per configured `[[server]]`, in config
//! order, from `.devtop/state.json` (read through [`state::read_live`], which leaves out stale
//! entries and never signals anything) and `/proc`.
//!
//! Headless, only what is provable is reported: a server is `running` when its recorded
//! leader runs with the recorded start time (`adopted` when devtop adopted it instead of
//! starting it), `leader-exited` when the leader is gone but processes it started remain in
//! its session, `held` when not running and its last `up` held it (`held_reason`), `stopped`
//! otherwise (never recorded, or gone). `ready_after_s`, `held_reason` and `last_error` are
//! what the `up` (or supervisor) that saw them wrote into the state file.

use crate::collect::server_members as members;
use crate::collect::server_state as state;
use crate::model::memory::format_bytes;
use crate::model::server::ServerSpec;
use crate::model::server_state::{Liveness, Outcome, Recorded};
use crate::model::suspects::format_age;
use crate::sanitize::clean;
use serde::Serialize;
use std::path::Path;

/// One server in `status --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerJson {
    /// Configured name.
    pub name: String,
    /// `running`, `adopted`, `leader-exited`, `held` or `stopped` (see the module docs);
    /// `unknown` when the state file cannot be read (then `last_error` says why).
    pub state: &'static str,
    /// Recorded leader PID (also the process group and session ID); null when stopped.
    pub pid: Option<u32>,
    /// Recorded process group ID; null when stopped.
    pub pgid: Option<u32>,
    /// The configured port (null when none is configured).
    pub port: Option<u16>,
    /// Seconds since it was started (wall clock); null when stopped.
    pub uptime_s: Option<u64>,
    /// Seconds from its start to readiness, as measured by the `up` that started it (or the
    /// supervisor that restarted it); null when not running or not ready yet.
    pub ready_after_s: Option<f64>,
    /// Resident memory of every process of the server (its session and process group and
    /// their descendants), bytes; null when stopped.
    pub rss_bytes: Option<u64>,
    /// Why the last `up` held it (its `requires` do not hold); null when it was not held or
    /// started since.
    pub held_reason: Option<String>,
    /// Its last failure (a failed start: "port 3010 is taken by PID 77 …", "not ready after
    /// 60 s (tcp 3010)"; or an exit while supervised: "exited with code 1", "killed by signal
    /// 11; gave up after 5 failures in a row"), or why the state file could not be read; null
    /// when none was seen.
    pub last_error: Option<String>,
}

/// The entries for `specs` (config order) in the project `root`.
pub fn collect(root: &Path, specs: &[ServerSpec]) -> Vec<ServerJson> {
    let (live, error) = match state::read_live(root) {
        Ok((live, _dropped)) => (live, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let outcomes = state::read(root).map(|s| s.outcomes).unwrap_or_default();
    let now = unix_now();
    // One /proc scan for every server's members and RSS, only when something is recorded.
    let table = (!live.is_empty()).then(members::ProcTable::read);
    specs
        .iter()
        .map(|spec| {
            let entry = live.iter().find(|r| r.name == spec.name);
            let outcome = outcomes.iter().find(|o| o.name == spec.name);
            one(spec, entry, outcome, error.as_deref(), now, table.as_ref())
        })
        .collect()
}

fn one(
    spec: &ServerSpec,
    entry: Option<&Recorded>,
    outcome: Option<&Outcome>,
    error: Option<&str>,
    now: u64,
    table: Option<&members::ProcTable>,
) -> ServerJson {
    let held_reason = outcome.and_then(|o| o.held_reason.clone());
    let stopped = ServerJson {
        name: spec.name.clone(),
        state: match (error, &held_reason) {
            (Some(_), _) => "unknown",
            (None, Some(_)) => "held",
            (None, None) => "stopped",
        },
        pid: None,
        pgid: None,
        port: spec.port,
        uptime_s: None,
        ready_after_s: None,
        rss_bytes: None,
        held_reason,
        last_error: error
            .map(str::to_owned)
            .or_else(|| outcome.and_then(|o| o.last_error.clone())),
    };
    let Some(r) = entry else { return stopped };
    let state = match state::liveness(r) {
        Liveness::Running if r.adopted => "adopted",
        Liveness::Running => "running",
        Liveness::LeaderGone => "leader-exited",
        Liveness::Gone => return stopped,
    };
    let page = procfs::page_size();
    let rss = table.map_or(0, |t| {
        t.members(r).iter().map(|m| t.rss_pages(m.pid) * page).sum()
    });
    ServerJson {
        state,
        pid: Some(r.pid),
        pgid: Some(r.pgid),
        port: r.port.or(spec.port),
        uptime_s: Some(now.saturating_sub(r.started_unix)),
        ready_after_s: r.ready_after_ms.map(|ms| ms as f64 / 1000.0),
        rss_bytes: Some(rss),
        held_reason: None,
        ..stopped
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The `servers` block of the text status: a header and one line per server; empty when no
/// server is configured. Names and errors are [`clean`]ed.
pub fn to_text(servers: &[ServerJson]) -> String {
    if servers.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "servers:\n  {:<16} {:<13} {:>7} {:>6} {:>9} {:>8} {:>7}\n",
        "NAME", "STATE", "PID", "PORT", "RSS", "UPTIME", "READY"
    );
    let dash = || "-".to_owned();
    for s in servers {
        out.push_str(&format!(
            "  {:<16} {:<13} {:>7} {:>6} {:>9} {:>8} {:>7}\n",
            clean(&s.name),
            s.state,
            s.pid.map_or_else(dash, |p| p.to_string()),
            s.port.map_or_else(dash, |p| p.to_string()),
            s.rss_bytes.map_or_else(dash, format_bytes),
            s.uptime_s.map_or_else(dash, format_age),
            s.ready_after_s.map_or_else(dash, |r| format!("{r:.1}s")),
        ));
        if let Some(h) = &s.held_reason {
            out.push_str(&format!("    held: {}\n", clean(h)));
        }
        if let Some(e) = &s.last_error {
            let label = if s.state == "unknown" {
                "state file"
            } else {
                "last error"
            };
            out.push_str(&format!("    {label}: {}\n", clean(e)));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::effects::servers::state;

    fn spec(name: &str, port: Option<u16>) -> ServerSpec {
        let toml = format!(
            "[[server]]\nname = \"{name}\"\ncmd = [\"true\"]\n{}",
            port.map_or(String::new(), |p| format!("port = {p}\n"))
        );
        crate::config::Config::parse(&toml, Path::new("devtop.toml"))
            .unwrap()
            .servers
            .remove(0)
    }

    #[test]
    fn running_and_stopped_in_config_order() {
        let dir = tempfile::tempdir().unwrap();
        let id = crate::effects::signal::read_identity(std::process::id()).unwrap();
        // This test process, recorded as if it led its own session.
        let me = Recorded {
            name: "api".into(),
            pid: id.pid,
            pgid: id.pid,
            start_ticks: id.start_ticks,
            port: Some(3010),
            started_unix: unix_now() - 5,
            adopted: false,
            ready_after_ms: None,
        };
        let lock = crate::effects::servers::lock::try_acquire(dir.path(), "test").unwrap();
        state::record(&lock, dir.path(), me).unwrap();
        let gone = Recorded {
            name: "web".into(),
            pid: id.pid,
            pgid: id.pid,
            start_ticks: id.start_ticks + 1,
            port: None,
            started_unix: 1,
            adopted: false,
            ready_after_ms: None,
        };
        state::record(&lock, dir.path(), gone).unwrap();
        let specs = [spec("web", Some(5173)), spec("api", Some(3010))];
        let got = collect(dir.path(), &specs);
        assert_eq!(got[0].name, "web");
        assert_eq!(got[0].state, "stopped");
        assert_eq!((got[0].pid, got[0].port), (None, Some(5173)));
        assert_eq!(got[1].state, "running");
        assert_eq!(got[1].pid, Some(id.pid));
        assert!(got[1].uptime_s.unwrap() >= 5);
        // Left out, and left in the file: a reader writes nothing (only the lock holder prunes).
        assert_eq!(state::read(dir.path()).unwrap().servers.len(), 2);
        state::set_ready(
            &lock,
            dir.path(),
            "api",
            id.pid,
            std::time::Duration::from_millis(1500),
        )
        .unwrap();
        state::note(
            &lock,
            dir.path(),
            "web",
            Some("local unreachable".into()),
            Some("x".into()),
        )
        .unwrap();
        let got = collect(dir.path(), &specs);
        assert_eq!(got[0].state, "held");
        assert_eq!(got[0].held_reason.as_deref(), Some("local unreachable"));
        assert_eq!(got[0].last_error.as_deref(), Some("x"));
        assert_eq!(got[1].ready_after_s, Some(1.5));
        assert_eq!(got[1].held_reason, None);
        let text = to_text(&got);
        assert!(text.starts_with("servers:\n"), "{text}");
        assert!(text.contains("running"), "{text}");
        assert_eq!(to_text(&[]), "");
    }
}
