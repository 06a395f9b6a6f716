//! The Preflight screen's `K`: it acts on the processes check 1 saw, never on a reused PID.
#![allow(clippy::unwrap_used)]

use super::ask_kill;
use crate::app::confirm::ConfirmAction;
use crate::app::state::{AppState, Popup};
use crate::model::fixtures;
use crate::model::preflight::{Check, CheckAction, CheckId, KillRef, Status};
use crate::model::refusal::RefuseReason;
use std::sync::Arc;
use std::time::Duration;

fn state_with_check(targets: Vec<KillRef>) -> AppState {
    let mut s = AppState::new(
        Arc::new(fixtures::process_snapshot()),
        Arc::new(fixtures::memory(8.0, 0.0, 0.0)),
        Duration::from_secs(3),
    );
    s.preflight.checks =
        vec![
            Check::new(CheckId::Suspects, Status::Fail, "").action(CheckAction::KillSuspects {
                targets,
                what: "2 hung migrations".into(),
            }),
        ];
    s
}

fn shown(pid: u32) -> KillRef {
    let snap = fixtures::process_snapshot();
    let p = snap.get(pid).unwrap();
    KillRef {
        pid,
        start_ticks: p.start_ticks,
    }
}

#[test]
fn k_plans_the_processes_check_1_saw() {
    let mut s = state_with_check(vec![shown(50257)]);
    assert!(ask_kill(&mut s));
    let Some(Popup::Confirm(c)) = &s.popup else {
        panic!("no confirm")
    };
    let ConfirmAction::Kill(plan) = &c.action else {
        panic!("not a kill: {:?}", c.action)
    };
    assert!(plan.kills.iter().any(|k| k.pid == 50257), "{plan:?}");
    assert!(plan.refused.is_empty(), "{plan:?}");
}

#[test]
fn k_refuses_a_pid_whose_start_time_changed_since_the_check() {
    let seen = shown(50257);
    let reused = KillRef {
        start_ticks: seen.start_ticks - 100,
        ..seen
    };
    let mut s = state_with_check(vec![reused, shown(48424)]);
    assert!(ask_kill(&mut s));
    let Some(Popup::Confirm(c)) = &s.popup else {
        panic!("no confirm")
    };
    let ConfirmAction::Kill(plan) = &c.action else {
        panic!("not a kill: {:?}", c.action)
    };
    assert!(plan.kills.iter().all(|k| k.pid != 50257), "{plan:?}");
    assert!(plan.kills.iter().any(|k| k.pid == 48424), "{plan:?}");
    let r = plan.refused.iter().find(|r| r.pid == 50257).unwrap();
    assert!(
        matches!(r.reason, RefuseReason::StartTimeChanged { .. }),
        "{r:?}"
    );
}
