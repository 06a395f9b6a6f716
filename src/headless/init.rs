//! `devtop init`: propose `[[server]]` entries from the project's package.json files and
//! print them as devtop.toml; with `--write`, create `<root>/devtop.toml` — never over an
//! existing file.
//!
//! Exit codes: 0 printed or written; 1 `--write` refused (the file exists, nothing to write)
//! or failed; 2 the project cannot be read (no package.json, one that is not JSON, a file
//! over its size cap).

use super::out;
use crate::project_scan::{self, ScanError, propose, render};
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use std::io::Write as _;
use std::path::Path;

/// Run `devtop init`; returns the exit code. The project is `--project`, else the nearest
/// ancestor holding package.json (see [`crate::setup::project_root`]) — or, when that is a
/// workspace member, the workspace root that lists it.
pub fn run(common: &crate::cli::Common, write: bool) -> i32 {
    let root = match crate::setup::project_root(common) {
        Ok(r) if common.project.is_none() => project_scan::workspace_root(&r).unwrap_or(r),
        Ok(r) => r,
        Err(msg) => {
            out::error(&msg);
            return EXIT_USAGE;
        }
    };
    let root = root.as_path();
    let text = match proposal_text(root) {
        Ok(t) => t,
        Err(e) => {
            out::error(&format!("init: {e}"));
            return EXIT_USAGE;
        }
    };
    if !write {
        out::exact(&text.toml);
        return EXIT_OK;
    }
    let path = root.join("devtop.toml");
    if text.servers == 0 {
        out::error(&format!(
            "init: nothing written to {}: no package.json has a \"dev\" or \"start\" script",
            path.display()
        ));
        return EXIT_FAILURE;
    }
    match create_new(&path, &text.toml) {
        Ok(()) => {
            out::line(&format!(
                "wrote {} with {} server(s); `devtop config --path` checks it",
                path.display(),
                text.servers
            ));
            EXIT_OK
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            out::error(&format!(
                "init: {} already exists; not overwritten (run `devtop init` to print the proposal)",
                path.display()
            ));
            EXIT_FAILURE
        }
        Err(e) => {
            out::error(&format!(
                "init: cannot write {}: {}",
                path.display(),
                crate::bounded_read::io_reason(&e)
            ));
            EXIT_FAILURE
        }
    }
}

/// The proposal as devtop.toml text, with how many servers it holds.
pub struct Text {
    /// The TOML.
    pub toml: String,
    /// Number of `[[server]]` entries.
    pub servers: usize,
}

/// Scan the project at `root` and render the proposal.
///
/// Errors: see [`project_scan::scan`] (message names the file, relative to the root).
pub fn proposal_text(root: &Path) -> Result<Text, ScanError> {
    let s = project_scan::scan(root)?;
    let proposals = propose::propose(&s.found, &s.manager, s.workspaces);
    Ok(Text {
        toml: render::render(&proposals, &s.manager.from, &s.notes),
        servers: proposals.servers.len(),
    })
}

/// Create `path` with `text`; fails with `AlreadyExists` when anything (even a dangling
/// symlink) is there.
fn create_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}
