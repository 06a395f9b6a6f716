//! `devtop hook install pre-push|pre-commit [--force]`: a git hook that runs `devtop preflight
//! --strict`, so a push (or commit) with a failing checklist stops.
//!
//! Git runs hooks from the repository root, so for a project in a subfolder (a monorepo's
//! `packages/db`) the hook passes `--project <that folder>` (relative to the root, quoted).
//!
//! Where husky users expect it: with husky ([`husky_dir`]: `core.hooksPath` at husky v9's
//! `.husky/_`, a `.husky/` folder at the repository root, or `husky` in package.json), the
//! hook goes to `.husky/<hook>` — the user's file, never husky's generated `.husky/_/` — as
//! husky v9 writes hooks (a plain shell script, executable), and `package.json` is left alone.
//! Without husky it goes to the repository's hooks folder (`git rev-parse --git-path hooks`,
//! so worktrees and `core.hooksPath` are honoured), and the snippet for husky is printed for
//! teams that add husky later. An existing hook file is never replaced without `--force`: the
//! command prints what it would have added and exits 1.

use crate::cli::{HookAction, HookArgs, HookName};
use crate::headless::out;
use crate::sanitize::path;
use crate::setup::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The hook's body (after the shebang): devtop when on PATH, else npx. `project`: the
/// project's folder relative to the repository root (git runs hooks from there), `""` when
/// the project is the root; it is passed as `--project '<path>'` (single-quoted for sh).
pub fn snippet(project: &str) -> String {
    let args = if project.is_empty() {
        "preflight --strict".to_owned()
    } else {
        format!("preflight --strict --project {}", sh_quote(project))
    };
    format!(
        "# devtop: the preflight checklist (devtop preflight --strict); bypass once with --no-verify\n\
         if command -v devtop >/dev/null 2>&1; then\n  devtop {args}\nelse\n  npx --no-install devtop {args}\nfi\n"
    )
}

/// `s` as one sh word: single-quoted, each `'` written as `'\''`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Where the project sits in its git repository, as git sees it from the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The working tree's root (`git rev-parse --show-toplevel`).
    pub toplevel: PathBuf,
    /// The project relative to it (`--show-prefix`, no trailing `/`; `""` at the root).
    pub prefix: String,
    /// The hooks folder git runs (`--git-path hooks`: `core.hooksPath` when set, worktrees
    /// honoured), absolute.
    pub hooks: PathBuf,
}

/// [`Repo`] of `root` from one `git rev-parse`; `None` outside a repository or without git.
pub fn repo(root: &Path) -> Option<Repo> {
    let out = std::process::Command::new("git")
        .args([
            "rev-parse",
            "--show-toplevel",
            "--show-prefix",
            "--git-path",
            "hooks",
        ])
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut lines = text.lines();
    let toplevel = PathBuf::from(lines.next()?);
    let prefix = lines.next()?.trim_end_matches('/').to_owned();
    let hooks = root.join(lines.next()?);
    Some(Repo {
        toplevel,
        prefix,
        hooks,
    })
}

/// The husky folder the hook goes to (`.husky/<hook>`, the user's file), when the repository
/// uses husky: `core.hooksPath` pointing at husky's generated `<dir>/.husky/_` (v9) or at a
/// `.husky` folder (v4–v8), else a `.husky/` folder at the repository root, else `husky` in
/// the root's or the project's package.json (then `<toplevel>/.husky`). Never the generated
/// `_` folder.
pub fn husky_dir(repo: &Repo, root: &Path) -> Option<PathBuf> {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let hooks = &repo.hooks;
    if name(hooks).as_deref() == Some("_")
        && let Some(parent) = hooks.parent()
        && name(parent).as_deref() == Some(".husky")
    {
        return Some(parent.to_path_buf());
    }
    if name(hooks).as_deref() == Some(".husky") {
        return Some(hooks.clone());
    }
    let top = repo.toplevel.join(".husky");
    if top.is_dir() {
        return Some(top);
    }
    let mentions = |dir: &Path| {
        crate::bounded_read::read_text(
            &dir.join("package.json"),
            crate::bounded_read::PACKAGE_JSON_MAX,
        )
        .is_ok_and(|t| t.contains("\"husky\""))
    };
    (mentions(&repo.toplevel) || mentions(root)).then_some(top)
}

/// Run `devtop hook …`; returns the exit code.
pub fn run(root: &Path, args: &HookArgs) -> i32 {
    let HookAction::Install { hook, force } = &args.action;
    install(root, *hook, *force)
}

fn install(root: &Path, hook: HookName, force: bool) -> i32 {
    let Some(repo) = repo(root) else {
        out::error(&format!(
            "{} is not in a git repository (no .git): nothing to hook into",
            path(root)
        ));
        return EXIT_USAGE;
    };
    let body = snippet(&repo.prefix);
    let husky = husky_dir(&repo, root);
    let file = match &husky {
        Some(dir) => dir.join(hook.file()),
        None => repo.hooks.join(hook.file()),
    };
    if file.exists() && !force {
        out::error(&format!(
            "{} exists; not replacing it (use --force, or add these lines to it yourself):",
            path(&file)
        ));
        out::text(&body);
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
    let text = match husky {
        Some(_) => body.clone(),
        None => format!("#!/bin/sh\n{body}"),
    };
    let written = std::fs::write(&file, &text)
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
    if husky.is_none() {
        out::line(&format!(
            "with husky, put these lines in .husky/{} instead:",
            hook.file()
        ));
        out::text(&body);
    }
    EXIT_OK
}
