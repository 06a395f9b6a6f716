//! What `devtop init` reads from a JS/TS project: package.json files (the root and its
//! workspaces, from `workspaces` or pnpm-workspace.yaml), the lockfile that names the package
//! manager, and vite configs. Every file goes through [`crate::bounded_read`]; the parsers
//! are pure functions of the text (submodules), this module only finds and reads the files.

pub mod manager;
pub mod package;
pub mod ports;
pub mod propose;
pub mod render;
pub mod workspaces;

use crate::bounded_read::{self, ReadError};
use manager::{Manager, from_lockfiles};
use propose::{Found, ManagerChoice};
use std::path::Path;

/// Cap for pnpm-workspace.yaml (bytes).
pub const WORKSPACE_YAML_MAX: u64 = 1 << 20;
/// Cap for a vite config (bytes).
pub const VITE_CONFIG_MAX: u64 = 1 << 20;
/// Vite config names, in the order they are tried.
const VITE_CONFIGS: [&str; 5] = [
    "vite.config.ts",
    "vite.config.js",
    "vite.config.mjs",
    "vite.config.mts",
    "vite.config.cjs",
];

/// Why the project could not be scanned. `Display` names the file (relative to the root).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// A file could not be read (missing root package.json, too large, a FIFO...).
    #[error("{0}")]
    Read(ReadError),
    /// A package.json is not JSON.
    #[error("{file}:{line}:{column}: invalid JSON: {message}")]
    Json {
        /// The file, relative to the root.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// The project as `devtop init` sees it.
#[derive(Debug, Clone)]
pub struct Scan {
    /// The root package.json first, then each workspace's, in path order.
    pub found: Vec<Found>,
    /// The package manager and why.
    pub manager: ManagerChoice,
    /// True when the root lists workspaces.
    pub workspaces: bool,
    /// Things worth saying (ignored fields, patterns matching nothing), shown as comments.
    pub notes: Vec<String>,
}

/// Read the project at `root`.
///
/// Errors: no or unreadable root package.json; any package.json that is not JSON; a
/// pnpm-workspace.yaml or vite config that exists but cannot be read (too large, not a
/// regular file).
pub fn scan(root: &Path) -> Result<Scan, ScanError> {
    let root_pkg = read_package(root, "")?;
    let mut notes: Vec<String> = prefixed("package.json", &root_pkg.notes);
    let mut patterns: Vec<(String, String)> = root_pkg
        .workspaces
        .iter()
        .map(|p| (p.clone(), "package.json \"workspaces\"".to_owned()))
        .collect();
    if let Some(yaml) = read_optional(root, "pnpm-workspace.yaml", WORKSPACE_YAML_MAX)? {
        patterns.extend(
            workspaces::pnpm_packages(&yaml)
                .into_iter()
                .map(|p| (p, "pnpm-workspace.yaml".to_owned())),
        );
    }
    let manager = choose_manager(root, &root_pkg);
    let workspaces = !patterns.is_empty();
    let mut found = vec![found_at(root, "", root_pkg, None)?];
    let globs: Vec<String> = patterns.iter().map(|(p, _)| p.clone()).collect();
    for rel in workspaces::expand(root, &globs) {
        let by = patterns
            .iter()
            .find(|(p, _)| !p.starts_with('!') && workspaces::path_matches(p, &rel))
            .map(|(p, src)| format!("{src} ({p})"));
        let pkg = read_package(root, &rel)?;
        notes.extend(prefixed(&format!("{rel}/package.json"), &pkg.notes));
        found.push(found_at(root, &rel, pkg, by)?);
    }
    if workspaces && found.len() == 1 {
        notes.push("the workspace patterns match no folder with a package.json".into());
    }
    Ok(Scan {
        found,
        manager,
        workspaces,
        notes,
    })
}

/// The workspace root above `dir`: the nearest ancestor (at most 8 up) whose package.json
/// `workspaces` or pnpm-workspace.yaml `packages` list `dir`. `None` when none does, or when
/// an ancestor's files cannot be read (then `dir` stays the root).
pub fn workspace_root(dir: &Path) -> Option<std::path::PathBuf> {
    for up in dir.ancestors().skip(1).take(8) {
        let Ok(rel) = dir.strip_prefix(up) else {
            continue;
        };
        let rel = rel.to_string_lossy();
        let mut patterns = read_package(up, "")
            .map(|p| p.workspaces)
            .unwrap_or_default();
        if let Ok(Some(yaml)) = read_optional(up, "pnpm-workspace.yaml", WORKSPACE_YAML_MAX) {
            patterns.extend(workspaces::pnpm_packages(&yaml));
        }
        let listed = patterns
            .iter()
            .any(|p| !p.starts_with('!') && workspaces::path_matches(p, &rel));
        let excluded = patterns.iter().any(|p| {
            p.strip_prefix('!')
                .is_some_and(|p| workspaces::path_matches(p, &rel))
        });
        if listed && !excluded {
            return Some(up.to_owned());
        }
    }
    None
}

fn prefixed(file: &str, notes: &[String]) -> Vec<String> {
    notes.iter().map(|n| format!("{file}: {n}")).collect()
}

/// package.json of folder `rel` (relative to `root`).
fn read_package(root: &Path, rel: &str) -> Result<package::Package, ScanError> {
    let shown = if rel.is_empty() {
        "package.json".to_owned()
    } else {
        format!("{rel}/package.json")
    };
    let text = bounded_read::read_text(&root.join(&shown), bounded_read::PACKAGE_JSON_MAX)
        .map_err(|e| ScanError::Read(e.with_path(Path::new(&shown))))?;
    package::parse(&text).map_err(|e| ScanError::Json {
        file: shown,
        line: e.line,
        column: e.column,
        message: e.message,
    })
}

/// The file's text, `None` when it does not exist.
fn read_optional(root: &Path, rel: &str, limit: u64) -> Result<Option<String>, ScanError> {
    match bounded_read::read_text(&root.join(rel), limit) {
        Ok(t) => Ok(Some(t)),
        Err(ReadError::NotFound { .. }) => Ok(None),
        Err(e) => Err(ScanError::Read(e.with_path(Path::new(rel)))),
    }
}

fn found_at(
    root: &Path,
    rel: &str,
    package: package::Package,
    listed_by: Option<String>,
) -> Result<Found, ScanError> {
    let mut vite = None;
    for name in VITE_CONFIGS {
        let file = if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        };
        if let Some(text) = read_optional(root, &file, VITE_CONFIG_MAX)? {
            vite = Some((file, ports::vite_server(&text)));
            break;
        }
    }
    Ok(Found {
        rel: rel.to_owned(),
        package,
        vite,
        listed_by,
    })
}

/// The lockfile at the root decides; else `packageManager`; else npm.
fn choose_manager(root: &Path, pkg: &package::Package) -> ManagerChoice {
    if let Some((manager, file)) = from_lockfiles(|f| root.join(f).is_file()) {
        return ManagerChoice {
            manager,
            from: format!("{} from {file}", manager.program()),
        };
    }
    if let Some(m) = pkg.package_manager.as_deref().and_then(Manager::from_field) {
        return ManagerChoice {
            manager: m,
            from: format!("{} from \"packageManager\" in package.json", m.program()),
        };
    }
    ManagerChoice {
        manager: Manager::Npm,
        from: "npm: no lockfile and no \"packageManager\"".into(),
    }
}

#[cfg(test)]
mod tests;
