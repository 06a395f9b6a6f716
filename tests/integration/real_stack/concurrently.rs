//! Real `concurrently "vite" "tsx watch …"` started in the background of a terminal (a shell in
//! tmux, so it has a controlling terminal): concurrently is a wrapper with its children as the
//! servers below it; when the terminal's shell dies, the stack is orphaned and flagged once, on
//! concurrently, its topmost process.

use super::fixture::*;
use crate::common::wait_until;
use serde_json::Value;
use std::time::Duration;

/// The `node …/.bin/concurrently …` process.
fn concurrently(json: &Value) -> Option<&Value> {
    procs(json)
        .iter()
        .find(|p| cmd_line(p).contains(".bin/concurrently"))
}

/// The nearest listed ancestor of `p` whose role is not `shell` (concurrently runs each
/// command through `sh -c`).
fn above_shell<'a>(json: &'a Value, p: &Value) -> Option<&'a Value> {
    let mut up = parent(json, p)?;
    while up["role"] == "shell" {
        up = parent(json, up)?;
    }
    Some(up)
}

#[test]
fn concurrently_wraps_its_servers_and_is_orphaned_when_its_terminal_dies() {
    let test = "concurrently_wraps_its_servers_and_is_orphaned";
    let Some(p) = tmux_project(test, QUIET) else {
        return;
    };
    let term = p.terminal(&format!("devtop-conc-{}", std::process::id()));
    term.keys(
        "PATH=$PWD/node_modules/.bin:$PATH concurrently 'vite --port 0' 'tsx watch src/index.ts' </dev/null >dev.log 2>&1 &",
    );
    term.keys("Enter");
    let json = p.poll("concurrently, vite and tsx up", UP, |j| {
        concurrently(j).is_some() && vite_listening(j) && with_role(j, "tsx").len() >= 2
    });
    let conc = concurrently(&json).unwrap();
    assert_eq!(conc["role"], "npm", "concurrently is a wrapper: {conc:#}");
    assert_eq!(conc["relation"], "wrapper", "{conc:#}");
    let vite = with_role(&json, "vite")
        .into_iter()
        .find(|v| has_port(v))
        .unwrap();
    assert_eq!(above_shell(&json, vite), Some(conc), "{json:#}");
    let tsx_watch = with_role(&json, "tsx")
        .into_iter()
        .find(|t| cmd_line(t).contains("watch"))
        .expect("tsx watch");
    assert_eq!(above_shell(&json, tsx_watch), Some(conc), "{json:#}");
    assert!(
        procs(&json).iter().all(|x| x["suspect"].is_null()),
        "a healthy stack: {json:#}"
    );
    let conc_pid = conc["pid"].as_u64().unwrap();

    // The terminal dies: SIGKILL of its shell (started by this test, in tmux).
    kill_terminal(&term);
    let adopted = wait_until(Duration::from_secs(10), || adopted(conc_pid as u32));
    if !adopted {
        eprintln!("skipped {test}: concurrently was not adopted by init or a known subreaper");
        return;
    }
    let json = p.poll("the orphaned stack flagged", Duration::from_secs(30), |j| {
        by_pid(j, conc_pid).is_some_and(|c| c["suspect"]["kind"] == "orphan")
    });
    let flagged: Vec<&Value> = procs(&json)
        .iter()
        .filter(|x| !x["suspect"].is_null())
        .collect();
    assert_eq!(flagged.len(), 1, "once, on concurrently: {json:#}");
    assert_eq!(
        by_pid(&json, conc_pid).unwrap()["relation"],
        "wrapper",
        "a suspect row, not context: {json:#}"
    );
    drop(term);
}
