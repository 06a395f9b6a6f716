//! The guard inside the dashboard's `update`: readings in, commands out.
#![allow(clippy::unwrap_used)]

use crate::app::confirm::ConfirmAction;
use crate::app::state::{AppState, Popup};
use crate::app::update::{Action, Command, update};
use crate::effects::signal::KillOutcome;
use crate::model::fixtures;
use crate::model::guard::GuardRules;
use crate::model::snapshot::MemoryView;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::Duration;

fn state(rules: GuardRules) -> AppState {
    let mut s = AppState::new(
        Arc::new(fixtures::process_snapshot()),
        Arc::new(fixtures::memory(8.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    s.guard = super::GuardState::new(rules);
    s
}

/// A reading at `t_s` with `avail_gib` MemAvailable.
fn reading(t_s: f64, avail_gib: f64) -> Action {
    Action::Memory(Arc::new(MemoryView {
        t_s,
        ..fixtures::memory(avail_gib, 0.0, 0.0)
    }))
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn kills(cmds: &[Command]) -> Vec<Vec<u32>> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Kill(plan) => Some(plan.iter().map(|k| k.pid).collect()),
            _ => None,
        })
        .collect()
}

fn logs(cmds: &[Command]) -> Vec<String> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Log(_, t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

fn done(s: &mut AppState, cmds: &[Command]) -> Vec<Command> {
    let Some(Command::Kill(plan)) = cmds.iter().find(|c| matches!(c, Command::Kill(_))) else {
        panic!("no kill in {cmds:?}");
    };
    let outcomes = plan
        .iter()
        .map(|k| (k.pid, KillOutcome::Terminated))
        .collect();
    update(s, Action::KillDone(plan.clone(), outcomes))
}

/// The trigger's line names the key that ends suspects as rebound in `[keys]`; without the
/// dashboard (`devtop guard`: no key set) it names none.
#[test]
fn the_trigger_names_the_key_in_effect_and_headless_none() {
    let mut s = state(GuardRules::default());
    s.keys = Arc::new(
        crate::app::keys::KeyMap::with_overrides(&[("guard_end".into(), vec!["X".into()])])
            .unwrap(),
    );
    update(&mut s, reading(0.0, 8.0));
    let l = logs(&update(&mut s, reading(1.0, 0.3)));
    assert!(
        l[0].contains("press X to end 3 dev-tool suspect(s)"),
        "{}",
        l[0]
    );
    assert!(!l[0].contains("press E"), "{}", l[0]);

    let mut headless = super::GuardState::new(GuardRules::default());
    let snap = Arc::new(fixtures::process_snapshot());
    let me = s.protected.clone();
    for (t, avail) in [(0.0, 8.0), (1.0, 0.3)] {
        let mem = fixtures::memory(avail, 0.0, 0.0);
        let effects = headless.observe(t, mem.snapshot.as_ref().unwrap(), &snap, &me);
        for e in effects {
            if let super::GuardEffect::Log(_, text) = e {
                assert!(!text.contains("press"), "{text}");
                if text.contains("CRITICAL") {
                    assert!(
                        text.contains("3 dev-tool suspect(s) could be ended"),
                        "{text}"
                    );
                }
            }
        }
    }
    assert!(headless.critical());
}

#[test]
fn trigger_logs_the_evidence_rings_and_notifies_once_and_kills_nothing_by_itself() {
    let mut s = state(GuardRules::default());
    assert!(update(&mut s, reading(0.0, 8.0)).is_empty());
    let cmds = update(&mut s, reading(1.0, 0.3));
    let l = logs(&cmds);
    assert_eq!(l.len(), 1, "{l:?}");
    assert!(
        l[0].starts_with("memory guard: CRITICAL — MemAvailable 307 MiB < 500 MiB"),
        "{}",
        l[0]
    );
    assert!(
        l[0].contains("top dev tools: schema-engine 1.2 GiB (PID 26833)"),
        "{}",
        l[0]
    );
    assert!(
        l[0].contains("press E to end 3 dev-tool suspect(s)"),
        "{}",
        l[0]
    );
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Alert { notify: true, .. }))
    );
    assert!(kills(&cmds).is_empty(), "watch mode never kills by itself");
    // Still critical: no second alert.
    let again = update(&mut s, reading(2.0, 0.3));
    assert!(again.is_empty(), "{again:?}");
    // Recovery is logged.
    let back = update(&mut s, reading(3.0, 4.0));
    assert!(logs(&back)[0].starts_with("memory guard: level recovered"));
    assert!(!s.guard.critical());
}

#[test]
fn key_e_asks_then_ends_the_largest_one_at_a_time_until_it_recovers() {
    let mut s = state(GuardRules::default());
    // Not critical: E explains and does nothing.
    update(&mut s, reading(0.0, 8.0));
    assert!(update(&mut s, key('E')).is_empty());
    assert!(
        s.notice_text()
            .unwrap()
            .starts_with("memory is not critical")
    );
    update(&mut s, reading(1.0, 0.3));
    assert!(update(&mut s, key('E')).is_empty());
    let Some(Popup::Confirm(c)) = &s.popup else {
        panic!("no confirm")
    };
    assert!(
        c.title
            .starts_with("Memory critical: end 3 dev-tool suspect(s)")
    );
    assert!(matches!(c.action, ConfirmAction::GuardDrain(_)));
    let cmds = update(&mut s, key('y'));
    assert_eq!(kills(&cmds), vec![vec![26833]], "largest first, alone");
    assert!(logs(&cmds)[0].starts_with("memory guard (asked): ending PID 26833"));
    // While it runs, a reading changes nothing.
    assert!(kills(&update(&mut s, reading(2.0, 0.3))).is_empty());
    let after = done(&mut s, &cmds);
    assert!(
        logs(&after)
            .iter()
            .any(|l| l.contains("PID 26833 (schema-engine) ended"))
    );
    // The kill is over but no reading since: wait. The next reading, still critical: next one.
    let mut snap = fixtures::process_snapshot();
    snap.processes.retain(|p| p.pid != 26833);
    snap.suspects.retain(|x| x.pid != 26833);
    update(&mut s, Action::Processes(Arc::new(snap)));
    let next = update(&mut s, reading(3.0, 0.3));
    assert_eq!(kills(&next), vec![vec![48424]]);
    done(&mut s, &next);
    // Recovered: the drain stops.
    let calm = update(&mut s, reading(4.0, 3.0));
    assert!(kills(&calm).is_empty());
    assert!(!s.guard.draining);
}

#[test]
fn auto_mode_ends_by_itself_with_the_cool_down() {
    let mut s = state(GuardRules {
        auto: true,
        ..GuardRules::default()
    });
    let first = update(&mut s, reading(0.0, 0.3));
    assert_eq!(kills(&first), vec![vec![26833]]);
    assert!(
        logs(&first)
            .iter()
            .any(|l| l.starts_with("memory guard (auto): ending PID 26833"))
    );
    done(&mut s, &first);
    let mut snap = fixtures::process_snapshot();
    snap.processes.retain(|p| p.pid != 26833);
    snap.suspects.retain(|x| x.pid != 26833);
    update(&mut s, Action::Processes(Arc::new(snap)));
    for t in 1..15 {
        let c = update(&mut s, reading(f64::from(t), 0.3));
        assert!(kills(&c).is_empty(), "cool-down at {t}s");
    }
    assert_eq!(
        kills(&update(&mut s, reading(15.5, 0.3))),
        vec![vec![48424]]
    );
}

#[test]
fn a_node_process_near_its_heap_limit_is_warned_about_once() {
    let mut s = state(GuardRules::default());
    let mut snap = fixtures::process_snapshot();
    let api = snap.processes.iter_mut().find(|p| p.pid == 4201).unwrap();
    api.name = "node".into();
    api.max_old_space_mib = Some(400);
    update(&mut s, Action::Processes(Arc::new(snap)));
    let first = logs(&update(&mut s, reading(0.0, 8.0)));
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(
        first[0].starts_with(
            "PID 4201: tsx: RSS 412 MiB near its 400 MiB old-space heap limit — if that is \
             heap, it will die with 'JavaScript heap out of memory'"
        ),
        "{}",
        first[0]
    );
    assert!(logs(&update(&mut s, reading(1.0, 8.0))).is_empty());
}

#[test]
fn key_e_never_ends_a_suspect_the_dialog_did_not_list_nor_a_reused_pid() {
    let mut s = state(GuardRules::default());
    update(&mut s, reading(0.0, 0.3));
    update(&mut s, key('E'));
    let cmds = update(&mut s, key('y'));
    assert_eq!(kills(&cmds), vec![vec![26833]]);
    done(&mut s, &cmds);
    // After the dialog: 26833 is gone and PID 48424 now belongs to a new process that is also
    // a suspect (same PID, another start time) — it was never shown in the dialog.
    let mut snap = fixtures::process_snapshot();
    snap.processes.retain(|p| p.pid != 26833);
    snap.suspects.retain(|x| x.pid != 26833);
    let reused = snap.processes.iter_mut().find(|p| p.pid == 48424).unwrap();
    reused.start_ticks += 500;
    update(&mut s, Action::Processes(Arc::new(snap.clone())));
    let next = update(&mut s, reading(2.0, 0.3));
    // The third confirmed suspect (unchanged) is ended next, never the reused PID.
    assert_eq!(kills(&next), vec![vec![50257]], "{next:?}");
    done(&mut s, &next);
    snap.processes.retain(|p| p.pid != 50257);
    snap.suspects.retain(|x| x.pid != 50257);
    update(&mut s, Action::Processes(Arc::new(snap)));
    // Only the unlisted (reused) one is left: nothing is ended, the user is asked again.
    let after = update(&mut s, reading(3.0, 0.3));
    assert!(kills(&after).is_empty(), "{after:?}");
    assert!(
        logs(&after)
            .iter()
            .any(|l| l.contains("the suspects you confirmed are gone")),
        "{after:?}"
    );
    assert!(!s.guard.draining);
}

#[test]
fn a_post_mortem_tells_the_last_rss_seen_or_that_none_was() {
    let mut s = state(GuardRules::default());
    update(&mut s, reading(0.0, 8.0));
    // Its last pass caught the API exiting (RSS 0 already): the size it had before is told.
    let mut exiting = fixtures::process_snapshot();
    let api = exiting
        .processes
        .iter_mut()
        .find(|p| p.pid == 4201)
        .unwrap();
    let had = api.rss_bytes;
    assert!(had > 0);
    api.rss_bytes = 0;
    update(&mut s, Action::Processes(Arc::new(exiting)));
    update(&mut s, reading(1.0, 8.0));
    let mut gone = fixtures::process_snapshot();
    gone.processes.retain(|p| p.pid != 4201);
    s.guard.oom_events.killed = vec![(4201, String::new())];
    update(&mut s, Action::Processes(Arc::new(gone.clone())));
    update(&mut s, reading(2.0, 8.0));
    let d = std::mem::take(&mut s.guard.new_deaths);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].last_rss_bytes, Some(had));

    // A process no reading ever saw with a resident size: null, and the line says so.
    let mut born_exiting = gone.clone();
    let mut p = fixtures::process(777, 1, "node", "node /p/worker.js");
    p.rss_bytes = 0;
    born_exiting.processes.push(p);
    born_exiting.processes.sort_by_key(|p| p.pid);
    update(&mut s, Action::Processes(Arc::new(born_exiting)));
    update(&mut s, reading(3.0, 8.0));
    s.guard.oom_events.killed = vec![(777, "node".into())];
    update(&mut s, Action::Processes(Arc::new(gone)));
    let cmds = update(&mut s, reading(4.0, 8.0));
    let d = std::mem::take(&mut s.guard.new_deaths);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].last_rss_bytes, None);
    assert!(
        logs(&cmds)
            .iter()
            .any(|l| l.starts_with("OOM killer ended PID 777 (node, RSS not sampled) — ")),
        "{:?}",
        logs(&cmds)
    );
}

/// M1: the guard's readings come with the memory reading (read by the collector, not the
/// loop); the kills of a reading the loop never saw are judged with the next one, once; and
/// the post-mortems leave `update` as a command for the executor (no file is written here).
#[test]
fn the_readings_come_with_the_memory_reading_and_the_post_mortems_leave_as_a_command() {
    use crate::model::deaths::OomEvents;
    use crate::model::guard::ServerGroup;
    use crate::model::oom_tally::OomTally;
    use crate::model::snapshot::GuardReadings;
    let with = |t_s: f64, readings: &GuardReadings| {
        Action::Memory(Arc::new(MemoryView {
            t_s,
            guard: Some(readings.clone()),
            ..fixtures::memory(8.0, 0.0, 0.0)
        }))
    };
    let records = |cmds: &[Command]| -> Vec<Vec<u32>> {
        cmds.iter()
            .filter_map(|c| match c {
                Command::RecordDeaths(d) => Some(d.iter().map(|d| d.pid).collect()),
                _ => None,
            })
            .collect()
    };
    let mut s = state(GuardRules::default());
    let api = ServerGroup {
        name: "api".into(),
        pgid: 4201,
        group: true,
    };
    let mut readings = GuardReadings {
        servers: vec![api.clone()],
        oom: OomTally::default(),
    };
    assert!(records(&update(&mut s, with(0.0, &readings))).is_empty());
    assert_eq!(s.guard.servers, vec![api]);
    // The kernel names PID 4201 in a pass whose reading the loop missed (latest wins); the
    // next reading it sees carries the tally, and 4201 is gone from the process list.
    readings.oom.record(OomEvents {
        killed: vec![(4201, "node".into())],
        counter_delta: 0,
    });
    readings.oom.record(OomEvents::default());
    let mut gone = fixtures::process_snapshot();
    gone.processes.retain(|p| p.pid != 4201);
    update(&mut s, Action::Processes(Arc::new(gone)));
    let cmds = update(&mut s, with(1.0, &readings));
    assert_eq!(records(&cmds), [vec![4201]], "{cmds:?}");
    assert!(
        logs(&cmds)
            .iter()
            .any(|l| l.starts_with("OOM killer ended PID 4201")),
        "{:?}",
        logs(&cmds)
    );
    // The same tally again: nothing new, nothing recorded twice.
    let cmds = update(&mut s, with(2.0, &readings));
    assert!(records(&cmds).is_empty(), "{cmds:?}");
    assert!(s.guard.new_deaths.is_empty());
}
