//! Real `next dev` (Next 16, Turbopack, telemetry off, no network needed): the process that
//! holds Next's port and memory is its retitled `next-server (v16.x)`, which is `next` with
//! its port, under `node …/next dev` (also `next`), npm's script shell and `npm run`.

use super::fixture::*;
use serde_json::Value;

/// Next's server: retitled `next-server (v16.4.6)` (comm `next-server (v1`).
fn is_next_server(p: &Value) -> bool {
    p["cmd"][0]
        .as_str()
        .is_some_and(|c| c.starts_with("next-server"))
}

#[test]
fn next_dev_server_is_next_with_its_port_and_memory() {
    let test = "next_dev_server_is_next_with_its_port_and_memory";
    let up = |j: &Value| procs(j).iter().any(|p| is_next_server(p) && has_port(p));
    let Some((_p, json)) = started(test, &["npm", "run", "web"], up) else {
        return;
    };
    let server = procs(&json)
        .iter()
        .find(|p| is_next_server(p) && has_port(p))
        .unwrap();
    assert_eq!(server["role"], "next", "{server:#}");
    assert!(
        server["rss_bytes"]
            .as_u64()
            .is_some_and(|b| b > 32 * 1024 * 1024),
        "the server holds Next's memory: {server:#}"
    );
    let dev = parent(&json, server).expect("next dev listed");
    assert_eq!(dev["role"], "next", "{dev:#}");
    assert!(
        cmd_line(dev).contains("next dev"),
        "the CLI above the server: {dev:#}"
    );
    assert!(!has_port(dev), "the CLI does not hold the port: {dev:#}");
    let shell = parent(&json, dev).expect("npm's script shell");
    assert_eq!(shell["role"], "shell", "{shell:#}");
    assert_eq!(parent(&json, shell).expect("npm run")["role"], "npm");
    assert!(
        procs(&json).iter().all(|p| p["suspect"].is_null()),
        "the CLI and its server are one server, no duplicate: {json:#}"
    );
}
