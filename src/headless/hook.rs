//! `devtop hook install pre-push|pre-commit [--force]`: a git hook that runs `devtop preflight
//! --strict`, so a push (or commit) with a failing checklist stops.
//!
//! Where husky users expect it: with husky (a `.husky/` folder, or `husky` in package.json),
//! the hook goes to `.husky/<hook>` as husky v9 writes hooks (a plain shell script, executable;
//! husky runs it through its own `core.hooksPath`), and `package.json` is left alone. Without
//! husky it goes to the repository's hooks folder (`git rev-parse --git-path hooks`, so
//! worktrees and `core.hooksPath` are honoured; else `.git/hooks`), and the snippet for husky is
//! printed for teams that add husky later. An existing hook file is never replaced without
//! `--force`: the command prints what it would have added and exits 1.

use crate::cli::{HookAction, HookArgs, HookName};
use crate::headless::out;
use crate::sanitize::path;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The hook's body (after the shebang): devtop when on PATH, else npx.
pub fn snippet() -> &'static str {
    "# devtop: the preflight checklist (devtop preflight --strict); bypass once with --no-verify\n\
     if command -v devtop >/dev/null 2>&1; then\n  devtop preflight --strict\nelse\n  npx --no-install devtop preflight --strict\nfi\n"
}

/// True when the project uses husky: a `.husky/` folder, or husky in package.json.
pub fn uses_husky(root: &Path) -> bool {
    root.join(".husky").is_dir()
        || crate::bounded_read::read_text(
            &root.join("package.json"),
            crate::bounded_read::PACKAGE_JSON_MAX,
        )
        .is_ok_and(|t| t.contains("\"husky\""))
}

/// The repository's hooks folder for `root`: `git rev-parse --git-path hooks`, else
/// `<root>/.git/hooks` when `.git` is a folder.
fn git_hooks_dir(root: &Path) -> Option<PathBuf> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--git-path", "hooks"])
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| root.join(s.trim()));
    out.or_else(|| {
        let d = root.join(".git");
        d.is_dir().then(|| d.join("hooks"))
    })
}

/// Run `devtop hook …`; returns the exit code.
pub fn run(root: &Path, args: &HookArgs) -> i32 {
    let HookAction::Install { hook, force } = &args.action;
    install(root, *hook, *force)
}

fn install(root: &Path, hook: HookName, force: bool) -> i32 {
    let husky = uses_husky(root);
    let (file, body) = if husky {
        (root.join(".husky").join(hook.file()), snippet().to_owned())
    } else {
        let Some(dir) = git_hooks_dir(root) else {
            out::error(&format!(
                "{} is not in a git repository (no .git): nothing to hook into",
                path(root)
            ));
            return EXIT_USAGE;
        };
        (dir.join(hook.file()), format!("#!/bin/sh\n{}", snippet()))
    };
    if file.exists() && !force {
        out::error(&format!(
            "{} exists; not replacing it (use --force, or add these lines to it yourself):",
            path(&file)
        ));
        out::text(snippet());
        return EXIT_FAILURE;
    }
    if let Some(dir) = file.parent()
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        out::error(&format!(
            "cannot create {}: {}",
            path(dir),
            crate::bounded_read::io_reason(&e)
        ));
        return EXIT_FAILURE;
    }
    let written = std::fs::write(&file, &body)
        .and_then(|()| std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)));
    if let Err(e) = written {
        out::error(&format!(
            "cannot write {}: {}",
            path(&file),
            crate::bounded_read::io_reason(&e)
        ));
        return EXIT_FAILURE;
    }
    out::line(&format!(
        "wrote {} (runs devtop preflight --strict)",
        path(&file)
    ));
    if !husky {
        out::line(&format!(
            "with husky, put these lines in .husky/{} instead:",
            hook.file()
        ));
        out::text(snippet());
    }
    EXIT_OK
}
