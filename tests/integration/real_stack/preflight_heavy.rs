//! Preflight check 6 with real npm tools: the TypeScript compiler's `tsc --watch` and vite
//! (from the fixture's `node_modules`), each listed with its PID, kind and RSS; gone once
//! the test ends them.

use super::fixture::*;
use crate::common::{devtop_command, run_command, wait_until};
use serde_json::Value;
use std::time::Duration;

/// `devtop preflight --json` over `root` (project scope), parsed.
fn preflight(root: &std::path::Path) -> Value {
    let mut cmd = devtop_command();
    cmd.args(["preflight", "--json", "--scope", "project", "--project"])
        .arg(root)
        .env("CHECKPOINT_DISABLE", "1");
    let run = run_command(&mut cmd, vec!["preflight".into()]);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {run}"))
}

fn heavy(doc: &Value) -> (String, String) {
    let c = doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == "heavy-processes")
        .expect("check 6");
    let detail = c["detail"]
        .as_array()
        .expect("detail")
        .iter()
        .map(|l| l.as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    (c["status"].as_str().unwrap_or_default().to_owned(), detail)
}

#[test]
fn check_6_lists_a_real_tsc_watch_and_vite_with_rss() {
    let test = "check_6_lists_a_real_tsc_watch_and_vite_with_rss";
    let Some(modules) = tools(test) else {
        return;
    };
    let mut p = Project::new(modules);
    p.config(QUIET);
    let root = p.root.clone();
    std::fs::write(
        root.join("tsconfig.json"),
        "{\"compilerOptions\": {\"noEmit\": true, \"strict\": true}, \"include\": [\"src\"]}\n",
    )
    .expect("tsconfig");
    let (status, _) = heavy(&preflight(&root));
    assert_eq!(status, "pass", "nothing runs yet");
    let bin = |tool: &str| root.join("node_modules/.bin").join(tool);
    let tsc = p.start(
        &root,
        &[
            bin("tsc").to_str().unwrap(),
            "--watch",
            "--preserveWatchOutput",
        ],
        "engine-hang.sh",
        "tsc.log",
    );
    let vite = p.start(
        &root,
        &[bin("vite").to_str().unwrap(), "--port", "0"],
        "engine-hang.sh",
        "dev.log",
    );
    // tsc's first pass over the project, then it watches.
    assert!(
        wait_until(UP, || std::fs::read_to_string(root.join("tsc.log"))
            .is_ok_and(|l| l.contains("Watching for file changes"))),
        "tsc never started watching: {}",
        std::fs::read_to_string(root.join("tsc.log")).unwrap_or_default()
    );
    p.poll("vite listening", UP, vite_listening);
    let (status, detail) = heavy(&preflight(&root));
    assert_eq!(status, "warn", "{detail}");
    let tsc_line = detail
        .lines()
        .find(|l| l.starts_with(&format!("PID {tsc} tsc --watch")))
        .unwrap_or_else(|| panic!("no tsc --watch line for PID {tsc}:\n{detail}"));
    assert!(tsc_line.contains(": RSS "), "{tsc_line}");
    assert!(
        detail.contains(&format!("PID {vite} dev server (vite)")),
        "{detail}"
    );
    // Ended by the test (the project's drop does it too, also on failure).
    drop(p);
    assert!(
        wait_until(Duration::from_secs(10), || !std::path::Path::new(&format!(
            "/proc/{tsc}"
        ))
        .exists()),
        "tsc left running"
    );
}
