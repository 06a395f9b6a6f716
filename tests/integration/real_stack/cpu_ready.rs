//! CPU readiness is per process (issue item 10): in the open TUI, a process that just appeared
//! shows "…" for CPU (its first sample is only a baseline) while the processes already sampled
//! keep their figures and the header does not go back to "sampling…"; one pass later the new
//! process has its figure too. Real vite and tsx from npm; a 3 s refresh so each pass is long
//! enough to read.

use super::fixture::*;
use std::time::Duration;

/// The CPU cell of `pid`'s row on `screen`.
fn cpu_of(screen: &str, pid: u32) -> Option<&str> {
    row_of(screen, pid).and_then(row_cells).map(|(.., cpu)| cpu)
}

fn is_figure(cell: Option<&str>) -> bool {
    cell.is_some_and(|c| c.parse::<f64>().is_ok())
}

fn header_sampling(screen: &str) -> bool {
    screen
        .lines()
        .next()
        .is_some_and(|l| l.contains("sampling"))
}

#[test]
fn a_new_process_shows_dots_while_the_others_keep_their_cpu() {
    let test = "a_new_process_shows_dots_while_the_others_keep_their_cpu";
    let Some(mut p) = tmux_project(test, &format!("refresh = \"3s\"\n{QUIET}")) else {
        return;
    };
    let root = p.root.clone();
    let bin = |tool: &str| root.join("node_modules/.bin").join(tool);
    let vite = p.start(
        &root,
        &[bin("vite").to_str().unwrap(), "--port", "0"],
        "engine-hang.sh",
        "dev.log",
    );
    p.poll("vite listening", UP, vite_listening);
    let tui = p.tui(&format!("devtop-cpu-ready-{}", std::process::id()));
    tui.wait(UP, "vite's CPU figure", |s| {
        is_figure(cpu_of(s, vite)) && !header_sampling(s)
    });
    let tsx = p.start(
        &root,
        &[bin("tsx").to_str().unwrap(), "watch", "src/index.ts"],
        "engine-hang.sh",
        "api.log",
    );
    let first = tui.wait(UP, "the new tsx row", |s| row_of(s, tsx).is_some());
    assert_eq!(
        cpu_of(&first, tsx),
        Some("…"),
        "a new process has no figure yet:\n{first}"
    );
    assert!(
        is_figure(cpu_of(&first, vite)),
        "vite keeps its figure beside the new row:\n{first}"
    );
    assert!(
        !header_sampling(&first),
        "the header does not go back to sampling:\n{first}"
    );
    let next = tui.wait(Duration::from_secs(30), "tsx's CPU figure", |s| {
        is_figure(cpu_of(s, tsx))
    });
    assert!(is_figure(cpu_of(&next, vite)), "{next}");
}
