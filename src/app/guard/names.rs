//! How the guard names processes in its lines and banner: a tool's role or its name, and the
//! largest dev processes by RSS.

use super::TOP_CONSUMERS;
use crate::model::memory::format_bytes;
use crate::model::process::Role;
use crate::model::snapshot::ProcessSnapshot;
use crate::sanitize::clean;

/// How a process is named in the guard's lines: its role (`schema-engine`, `prisma-studio`,
/// `tsx`) when devtop knows it, else its name (`node`, `code`).
pub fn tool_name(role: Role, name: &str) -> String {
    match role {
        Role::Node | Role::Other => clean(name).into_owned(),
        r => r.label().to_owned(),
    }
}

/// "schema-engine 1.2 GiB (PID 26833), prisma-studio 900 MiB (PID 48424)": the largest dev
/// processes by RSS.
pub fn top_consumers(snap: &ProcessSnapshot) -> String {
    let top: Vec<String> = snap
        .top_rss(TOP_CONSUMERS)
        .into_iter()
        .map(|p| {
            format!(
                "{} {} (PID {})",
                tool_name(p.role, &p.name),
                format_bytes(p.rss_bytes),
                p.pid
            )
        })
        .collect();
    if top.is_empty() {
        "none".to_owned()
    } else {
        top.join(", ")
    }
}
