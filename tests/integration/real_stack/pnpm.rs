//! The real pnpm (10) over a project installed by pnpm, whose tools live at
//! `node_modules/.pnpm/<pkg>@<ver>…/node_modules/<pkg>/`: `pnpm exec prisma migrate dev` is a
//! pnpm wrapper over `prisma-migrate` (not a `node …/build/index.js`) over its schema-engine,
//! flagged hung by a reason that names prisma; `pnpm run dev` is pnpm, its script shell, vite.

use super::fixture::*;
use serde_json::Value;
use std::path::Path;

/// `pnpm <args>` in a project linked to pnpm's layout ([`started_in`]); `None` when skipped.
fn pnpm_started(
    test: &str,
    config: &str,
    args: &[&str],
    up: impl Fn(&Value) -> bool,
) -> Option<(Project, Value)> {
    let pnpm = tools(test)?.join(".bin/pnpm");
    let modules = pnpm_tools(test)?;
    let pnpm = pnpm.to_str().expect("UTF-8 path");
    let argv: Vec<&str> = std::iter::once(pnpm).chain(args.iter().copied()).collect();
    Some(started_in(modules, config, "engine-hang.sh", &argv, up))
}

/// True when one of `p`'s argv words is inside pnpm's store layout.
fn in_pnpm_layout(p: &Value) -> bool {
    p["cmd"].as_array().is_some_and(|a| {
        a.iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains("/.pnpm/")))
    })
}

#[test]
fn pnpm_exec_prisma_migrate_dev_is_prisma_migrate_under_pnpm() {
    let test = "pnpm_exec_prisma_migrate_dev";
    let args = ["exec", "prisma", "migrate", "dev", "--name", "init"];
    let hung = |j: &Value| status_hung(j).is_some();
    let Some((_p, json)) = pnpm_started(test, &hung_after("4s"), &args, hung) else {
        return;
    };
    let runs = with_role(&json, "prisma-migrate");
    assert_eq!(runs.len(), 1, "pnpm is no migrate run itself: {json:#}");
    let m = runs[0];
    assert!(in_pnpm_layout(m), "the CLI runs from pnpm's store: {m:#}");
    let reason = m["suspect"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("prisma") && reason.contains("migrate dev --name init"),
        "the reason names prisma: {reason}"
    );
    assert!(
        with_role(&json, "schema-engine")
            .iter()
            .any(|e| e["ppid"] == m["pid"]),
        "engine under the CLI: {json:#}"
    );
    let pnpm = parent(&json, m).expect("pnpm listed");
    assert_eq!(pnpm["role"], "npm", "{pnpm:#}");
    assert_eq!(pnpm["relation"], "wrapper", "{pnpm:#}");
    assert!(cmd_line(pnpm).contains("pnpm"), "{pnpm:#}");
    let flagged = procs(&json)
        .iter()
        .filter(|x| !x["suspect"].is_null())
        .count();
    assert_eq!(flagged, 1, "only the run: {json:#}");
}

#[test]
fn pnpm_run_dev_is_pnpm_shell_vite() {
    let test = "pnpm_run_dev_is_pnpm_shell_vite";
    let Some((_p, json)) = pnpm_started(test, QUIET, &["run", "dev"], vite_listening) else {
        return;
    };
    let vite = with_role(&json, "vite");
    let server = vite.iter().find(|v| has_port(v)).unwrap();
    assert!(in_pnpm_layout(server), "vite from pnpm's store: {server:#}");
    super::assert_vite_stack(&json, "pnpm run dev");
    let top = Path::new(
        parent(&json, parent(&json, server).unwrap()).unwrap()["cmd"][0]
            .as_str()
            .unwrap(),
    );
    assert!(top.ends_with("node"), "pnpm runs on node: {top:?}");
}
