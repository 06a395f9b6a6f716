//! The memory guard's running state, shared by the dashboard and `devtop guard`: the level
//! history, the kill in flight, the time of the last kill, whether the user asked to drain
//! (key `E`). Each reading goes through [`GuardState::observe`] and the pure
//! [`crate::model::guard::decide`]; what comes out are [`GuardEffect`]s the caller carries out
//! (the TUI through its executor, the headless command directly). Every action is logged
//! with the numbers behind it.

use crate::model::deaths::{self, Death, LevelThen, OomEvents};
use crate::model::guard::{
    self, Action, Decision, GuardInput, GuardRules, LevelHistory, LevelSample, Mode, ServerGroup,
    Victim,
};
use crate::model::kill_plan::{self, KillPlan, PlannedKill, Root};
use crate::model::memory::{MemorySnapshot, format_bytes};
use crate::model::oom_tally::OomCursor;
use crate::model::refusal::Protected;
use crate::model::snapshot::{GuardReadings, ProcessSnapshot};
use crate::sanitize::clean;

/// How many top dev-tool consumers the evidence names.
pub const TOP_CONSUMERS: usize = 3;

/// Something the guard wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardEffect {
    /// A log line (the Logs pane; stdout for `devtop guard`).
    Log(log::Level, String),
    /// The level turned critical: a terminal bell and, when enabled and `notify-send` exists, a
    /// desktop notification with this summary and body.
    Alert {
        /// The notification's title.
        summary: String,
        /// Its text: the evidence and the top dev-tool consumers.
        body: String,
        /// Send a desktop notification (`[guard] notify`).
        notify: bool,
    },
    /// Signal these processes (the victim and its descendants, children first) through the
    /// safe kill.
    Kill(Vec<PlannedKill>),
}

/// PIDs devtop signalled that are remembered (never blamed on the OOM killer).
pub const ENDED_KEPT: usize = 256;

/// The guard's state between readings.
#[derive(Debug, Clone, Default)]
pub struct GuardState {
    /// `[guard]`.
    pub rules: GuardRules,
    /// Level readings.
    pub history: LevelHistory,
    /// The servers devtop started (`.devtop/state.json`), refreshed by the caller (see
    /// [`take_readings`](Self::take_readings)).
    pub servers: Vec<ServerGroup>,
    /// When the last guard kill finished, seconds on the readings' clock.
    pub last_action_s: Option<f64>,
    /// The victim whose kill is running.
    pub in_flight: Option<Victim>,
    /// The user asked (key `E`) to end suspects until the level drops.
    pub draining: bool,
    /// The (PID, start ticks) the user confirmed with `E`: the only processes a drain ends.
    pub confirmed: Vec<(u32, u64)>,
    /// The latest decision (the banner shows it while critical).
    pub decision: Option<Decision>,
    /// The dashboard's key that ends suspects (`[keys] guard_end`, as in effect), set by the
    /// dashboard; `None` without one (`devtop guard`): the log lines then name no key.
    pub end_key: Option<String>,
    /// Whether "nothing to end" was already logged for this critical spell.
    told_nothing: bool,
    /// Node processes (PID, start ticks) already warned about nearing their heap limit.
    heap_warned: std::collections::HashSet<(u32, u64)>,
    /// What the kernel said about OOM kills since the last reading (set by the caller before
    /// [`observe`](Self::observe), see [`take_readings`](Self::take_readings)).
    pub oom_events: OomEvents,
    /// How much of the collector's OOM tally [`take_readings`](Self::take_readings) took.
    oom_taken: OomCursor,
    /// Post-mortems found by the last [`observe`](Self::observe), for the caller to record.
    pub new_deaths: Vec<Death>,
    /// PIDs devtop itself signalled lately (never blamed on the kernel), newest last.
    pub ended_by_devtop: Vec<u32>,
    /// Kernel-named OOM kills not yet matched to a vanished process, with passes left.
    pending_kills: Vec<(u32, String, u8)>,
    /// The process snapshot of the previous reading (for what vanished since).
    prev: Option<std::sync::Arc<ProcessSnapshot>>,
    /// Per watched PID: (start ticks, the last non-zero RSS a reading saw, bytes) — a process
    /// caught exiting in its last pass (RSS already 0) is told with the size it had.
    rss_seen: std::collections::HashMap<u32, (u64, u64)>,
}

impl GuardState {
    /// A guard with `rules` and no readings.
    pub fn new(rules: GuardRules) -> Self {
        GuardState {
            rules,
            ..GuardState::default()
        }
    }

    /// Key `E` confirmed: end these (PID, start ticks), largest first, until the level drops.
    pub fn start_draining(&mut self, confirmed: Vec<(u32, u64)>) {
        self.draining = true;
        self.confirmed = confirmed;
    }

    /// The drain is over (level recovered, nothing left, a kill failed): back to watch/auto.
    fn stop_draining(&mut self) {
        self.draining = false;
        self.confirmed.clear();
    }

    /// True while the latest decision is critical.
    pub fn critical(&self) -> bool {
        self.decision.as_ref().is_some_and(Decision::critical)
    }

    /// The mode [`decide`](guard::decide) runs in: drain once asked, else auto when
    /// configured, else watch.
    pub fn mode(&self) -> Mode {
        if self.draining {
            Mode::Drain
        } else if self.rules.auto {
            Mode::Auto
        } else {
            Mode::Watch
        }
    }

    /// Take what the collector read beside a memory reading: the servers devtop started, and
    /// the OOM kills of its tally not taken yet (added to [`oom_events`](Self::oom_events), so
    /// the kills of a reading the caller missed are judged with the next one).
    pub fn take_readings(&mut self, readings: &GuardReadings) {
        self.servers.clone_from(&readings.servers);
        let new = readings.oom.since(&mut self.oom_taken);
        self.oom_events.killed.extend(new.killed);
        self.oom_events.counter_delta += new.counter_delta;
    }

    /// Record the reading `mem` taken at `t_s`, then [`step`](Self::step).
    pub fn observe(
        &mut self,
        t_s: f64,
        mem: &MemorySnapshot,
        snap: &std::sync::Arc<ProcessSnapshot>,
        me: &Protected,
    ) -> Vec<GuardEffect> {
        self.history.push(LevelSample::from_snapshot(t_s, mem));
        let mut out = self.post_mortems(snap);
        out.extend(self.heap_warnings(mem, snap));
        out.extend(self.step(snap, me));
        out
    }

    /// Watched processes gone since the previous reading that the OOM killer ended (kernel
    /// log, else the cgroup counter): one log line each, kept in [`new_deaths`](Self::new_deaths).
    /// The level and top dev tools are those of the previous reading (the last the victim saw).
    fn post_mortems(&mut self, snap: &std::sync::Arc<ProcessSnapshot>) -> Vec<GuardEffect> {
        let events = std::mem::take(&mut self.oom_events);
        for (pid, comm) in events.killed {
            self.pending_kills.push((pid, comm, 5));
        }
        // Shared with the caller, not copied: a snapshot can hold thousands of processes.
        let now = std::sync::Arc::clone(snap);
        let Some(prev) = self.prev.replace(now) else {
            self.remember_rss(snap);
            return Vec::new();
        };
        let before = self.history.samples_before_latest();
        let level = LevelThen {
            available_bytes: before.map(|s| s.available_bytes),
            psi_full_avg10: before.and_then(|s| s.psi_full_avg10),
        };
        let at_unix = snap
            .taken_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let ev = OomEvents {
            killed: self
                .pending_kills
                .iter()
                .map(|(p, c, _)| (*p, c.clone()))
                .collect(),
            counter_delta: events.counter_delta,
        };
        let mut found = deaths::explain(
            &prev,
            snap,
            &ev,
            level,
            &top_consumers(&prev),
            &self.ended_by_devtop,
            at_unix,
        );
        for d in found.iter_mut().filter(|d| d.last_rss_bytes.is_none()) {
            d.last_rss_bytes = prev
                .get(d.pid)
                .and_then(|p| self.rss_seen.get(&p.pid).filter(|s| s.0 == p.start_ticks))
                .map(|s| s.1);
        }
        self.remember_rss(snap);
        self.pending_kills
            .retain(|(p, _, _)| !found.iter().any(|d| d.pid == *p));
        for k in &mut self.pending_kills {
            k.2 = k.2.saturating_sub(1);
        }
        self.pending_kills.retain(|k| k.2 > 0);
        let out = found
            .iter()
            .map(|d| GuardEffect::Log(log::Level::Error, d.line()))
            .collect();
        self.new_deaths.extend(found);
        out
    }

    /// Keep the last non-zero RSS of each process of `snap` (a reused PID starts afresh) and
    /// forget the PIDs it no longer lists.
    fn remember_rss(&mut self, snap: &ProcessSnapshot) {
        let mut seen = std::collections::HashMap::with_capacity(snap.processes.len());
        for p in &snap.processes {
            let before = self
                .rss_seen
                .get(&p.pid)
                .filter(|s| s.0 == p.start_ticks)
                .map(|s| s.1);
            if let Some(rss) = (p.rss_bytes > 0).then_some(p.rss_bytes).or(before) {
                seen.insert(p.pid, (p.start_ticks, rss));
            }
        }
        self.rss_seen = seen;
    }

    /// One warning per node process when its RSS nears its heap limit (again only after it
    /// fell below); see [`crate::model::node_heap`].
    fn heap_warnings(&mut self, mem: &MemorySnapshot, snap: &ProcessSnapshot) -> Vec<GuardEffect> {
        use crate::model::node_heap;
        let memory = Some(node_heap::memory_node_sees(mem));
        let mut near = std::collections::HashSet::new();
        let mut out = Vec::new();
        for p in snap.dev_processes() {
            let Some(limit) = node_heap::heap_limit(p, memory) else {
                continue;
            };
            if let Some(w) = node_heap::near_warning(&tool_name(p.role, &p.name), p, limit) {
                let key = (p.pid, p.start_ticks);
                near.insert(key);
                if !self.heap_warned.contains(&key) {
                    out.push(GuardEffect::Log(
                        log::Level::Warn,
                        format!("PID {}: {w}", p.pid),
                    ));
                }
            }
        }
        self.heap_warned = near;
        out
    }

    /// Decide on the readings so far and return what to do: on the edge to critical a log
    /// line with the evidence and an alert; on the edge back a log line; a kill when the
    /// decision ends a victim (logged with the numbers), or one log line when nothing may be
    /// ended.
    pub fn step(&mut self, snap: &ProcessSnapshot, me: &Protected) -> Vec<GuardEffect> {
        let Some(now_s) = self.history.latest().map(|l| l.t_s) else {
            return Vec::new();
        };
        let was = self.critical();
        let d = guard::decide(&GuardInput {
            rules: &self.rules,
            history: &self.history,
            snapshot: snap,
            protected: me,
            servers: &self.servers,
            now_s,
            last_action_s: self.last_action_s,
            in_flight: self.in_flight.is_some(),
            mode: self.mode(),
            confirmed: &self.confirmed,
        });
        let mut out = Vec::new();
        let fired = d
            .evidence
            .fired
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        let top = top_consumers(snap);
        if d.critical() && !was {
            out.push(GuardEffect::Log(
                log::Level::Warn,
                format!(
                    "memory guard: CRITICAL — {fired} ({}); top dev tools: {top}; {}",
                    d.evidence.numbers(),
                    self.what_next(&d)
                ),
            ));
            out.push(GuardEffect::Alert {
                summary: "devtop: memory critical".to_owned(),
                body: format!("{fired}. Top dev tools: {top}"),
                notify: self.rules.notify,
            });
        } else if !d.critical() && was {
            out.push(GuardEffect::Log(
                log::Level::Info,
                format!("memory guard: level recovered — {}", d.evidence.numbers()),
            ));
        }
        if !d.critical() {
            self.stop_draining();
            self.told_nothing = false;
        }
        match &d.action {
            Action::End { victim } => out.extend(self.end(victim, &d, snap, me)),
            Action::ConfirmedGone => {
                self.stop_draining();
                let review = match &self.end_key {
                    Some(k) => format!("press {k} to review {} other suspect(s)", d.victims.len()),
                    None => format!("{} other suspect(s) remain", d.victims.len()),
                };
                out.push(GuardEffect::Log(
                    log::Level::Warn,
                    format!(
                        "memory guard: the suspects you confirmed are gone and memory is still critical ({}); {review}",
                        d.evidence.numbers(),
                    ),
                ));
            }
            Action::NothingToEnd if !self.told_nothing => {
                self.told_nothing = true;
                let spared = d
                    .spared
                    .iter()
                    .map(|s| format!("PID {} {} ({})", s.pid, clean(&s.name), s.why))
                    .collect::<Vec<_>>();
                out.push(GuardEffect::Log(
                    log::Level::Warn,
                    format!(
                        "memory guard: no dev-tool suspect may be ended{}",
                        if spared.is_empty() {
                            String::new()
                        } else {
                            format!(" (spared: {})", spared.join(", "))
                        }
                    ),
                ));
                self.stop_draining();
            }
            _ => {}
        }
        self.decision = Some(d);
        out
    }

    /// What happens next, for the trigger's log line.
    fn what_next(&self, d: &Decision) -> String {
        match (self.mode(), d.victims.first()) {
            (_, None) => "no dev-tool suspect to end".to_owned(),
            (Mode::Watch, Some(v)) => {
                let largest = format!(
                    "{} PID {} {}",
                    tool_name(v.role, &v.name),
                    v.pid,
                    format_bytes(v.rss_bytes)
                );
                let n = d.victims.len();
                match &self.end_key {
                    Some(k) => format!(
                        "press {k} to end {n} dev-tool suspect(s), largest first ({largest})"
                    ),
                    None => format!(
                        "{n} dev-tool suspect(s) could be ended, largest first ({largest}); \
                         alert only (`--auto` ends them)"
                    ),
                }
            }
            (_, Some(_)) => "ending dev-tool suspects, largest first".to_owned(),
        }
    }

    /// The kill of `victim`: its plan through the safe-kill planner, logged with the numbers.
    fn end(
        &mut self,
        victim: &Victim,
        d: &Decision,
        snap: &ProcessSnapshot,
        me: &Protected,
    ) -> Vec<GuardEffect> {
        let why = format!("memory guard: {}: {}", victim.kind.label(), victim.reason);
        let plan: KillPlan = kill_plan::build(snap, me, &[Root::shown(victim.pid, why)]);
        let mode = if self.draining { "asked" } else { "auto" };
        if plan.kills.iter().all(|k| k.pid != victim.pid) {
            self.stop_draining();
            let reasons: Vec<String> = plan
                .refused_roots()
                .map(|r| format!("PID {}: {}", r.pid, r.reason))
                .collect();
            return vec![GuardEffect::Log(
                log::Level::Warn,
                format!(
                    "memory guard: PID {} ({}) not ended: {}",
                    victim.pid,
                    clean(&victim.name),
                    reasons.join("; ")
                ),
            )];
        }
        self.in_flight = Some(victim.clone());
        vec![
            GuardEffect::Log(
                log::Level::Warn,
                format!(
                    "memory guard ({mode}): ending PID {} ({}, {} with {} process(es)) — {}: {}; {}",
                    victim.pid,
                    tool_name(victim.role, &victim.name),
                    format_bytes(victim.rss_bytes),
                    plan.kills.len(),
                    victim.kind.label(),
                    clean(&victim.reason),
                    d.evidence.numbers()
                ),
            ),
            GuardEffect::Kill(plan.kills),
        ]
    }

    /// A kill of `plan` (the guard's or the user's) finished with `outcomes`: its PIDs are
    /// remembered as ended by devtop (never blamed on the kernel; the newest
    /// [`ENDED_KEPT`] kept), then [`kill_done`](Self::kill_done) with whether the guard's
    /// victim ended. The one bookkeeping path of the dashboard and `devtop guard`.
    pub fn record_kill(
        &mut self,
        plan: &[PlannedKill],
        outcomes: &[(u32, crate::effects::signal::KillOutcome)],
    ) -> Vec<GuardEffect> {
        self.ended_by_devtop.extend(plan.iter().map(|k| k.pid));
        let drop = self.ended_by_devtop.len().saturating_sub(ENDED_KEPT);
        self.ended_by_devtop.drain(..drop);
        let ended = self
            .in_flight
            .as_ref()
            .is_some_and(|v| outcomes.iter().any(|(p, o)| *p == v.pid && o.ended()));
        self.kill_done(plan, ended)
    }

    /// A kill finished: when it was the guard's, the guard waits for a fresh reading (and, in
    /// auto mode, the cool-down) before judging again. Returns the log line of its outcome.
    pub fn kill_done(&mut self, plan: &[PlannedKill], ended: bool) -> Vec<GuardEffect> {
        let Some(v) = self.in_flight.as_ref() else {
            return Vec::new();
        };
        if plan.iter().all(|k| k.pid != v.pid) {
            return Vec::new();
        }
        let line = format!(
            "memory guard: PID {} ({}) {} — re-checking the level",
            v.pid,
            tool_name(v.role, &v.name),
            if ended {
                "ended"
            } else {
                "did not end (see above)"
            }
        );
        self.in_flight = None;
        self.last_action_s = self.history.latest().map(|l| l.t_s);
        if !ended {
            self.stop_draining();
        }
        vec![GuardEffect::Log(log::Level::Info, line)]
    }
}

mod names;
pub use names::{tool_name, top_consumers};

#[cfg(test)]
mod tests;
