//! `devtop hook install` on real `git init` repositories (auditor): a single-project
//! repository, a monorepo subpackage (the hook passes `--project <path from the repository
//! root>`, quoted, and really runs from the root as git runs it), husky v9's layout
//! (`core.hooksPath = .husky/_`: the hook goes to `.husky/<hook>`, never into husky's
//! generated `_` folder) and `--force`. Skips with a printed reason without git.

use crate::common::{Run, devtop_command, piped_command, run_command};
use crate::db_common::skip;
use std::path::Path;

/// `git <args>` in `dir`; false when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> bool {
    std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Prisma project (schema, empty migrations folder) in `dir`.
fn prisma_project(dir: &Path) {
    std::fs::create_dir_all(dir.join("prisma/migrations")).expect("migrations");
    std::fs::write(
        dir.join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"sqlite\"\n  url      = env(\"DATABASE_URL\")\n}\n",
    )
    .expect("schema");
}

/// `devtop hook install <args> --project <project>`.
fn hook(project: &Path, args: &[&str]) -> Run {
    let mut a: Vec<String> = vec!["hook".into(), "install".into()];
    a.extend(args.iter().map(|s| (*s).to_owned()));
    a.extend(["--project".into(), project.to_string_lossy().into_owned()]);
    run_command(devtop_command().args(&a), a)
}

/// Runs the hook file `file` with sh from `repo` (as git does: from the repository root), with
/// this build's devtop first on PATH.
fn run_hook(repo: &Path, file: &Path) -> Run {
    let exe = Path::new(env!("CARGO_BIN_EXE_devtop"));
    let path = format!(
        "{}:{}",
        exe.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let args = vec![file.to_string_lossy().into_owned()];
    let mut cmd = piped_command("sh");
    cmd.args(&args)
        .current_dir(repo)
        .env("PATH", path)
        .env_remove("DATABASE_URL")
        .env(
            "XDG_CONFIG_HOME",
            "/nonexistent/devtop-tests-have-no-user-config",
        );
    run_command(&mut cmd, args)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn hook_in_a_single_project_repository() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = tmp.path();
    if !git(repo, &["init", "-q"]) {
        return skip("hook_in_a_single_project_repository", "no git");
    }
    prisma_project(repo);
    let run = hook(repo, &["pre-push"]);
    assert_eq!(run.code, Some(0), "{run}");
    let text = read(&repo.join(".git/hooks/pre-push"));
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(text.contains("  devtop preflight --strict\n"), "{text}");
    assert!(!text.contains("--project"), "{text}");
}

#[test]
fn hook_in_a_monorepo_subpackage_names_the_project() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = tmp.path();
    if !git(repo, &["init", "-q"]) {
        return skip("hook_in_a_monorepo_subpackage_names_the_project", "no git");
    }
    // A folder name sh would split or unquote.
    let pkg = repo.join("packages/it's db");
    prisma_project(&pkg);
    let run = hook(&pkg, &["pre-commit"]);
    assert_eq!(run.code, Some(0), "{run}");
    let file = repo.join(".git/hooks/pre-commit");
    let text = read(&file);
    assert!(
        text.contains(r#"  devtop preflight --strict --project 'packages/it'\''s db'"#),
        "{text}"
    );
    assert!(!pkg.join(".git").exists());
    // Git runs it from the repository root: it must find the subpackage's project.
    let ran = run_hook(repo, &file);
    assert!(!ran.stdout.contains("no such folder"), "{ran}");
    assert!(
        ran.stdout.contains("pass    Migrations folder well formed"),
        "{ran}"
    );
    assert!(ran.stdout.contains("packages/it's db"), "{ran}");
}

#[test]
fn hook_with_husky_v9_goes_to_the_users_file_and_force_replaces() {
    let tmp = tempfile::tempdir().expect("tmp");
    let repo = tmp.path();
    if !git(repo, &["init", "-q"]) {
        return skip("hook_with_husky_v9_goes_to_the_users_file", "no git");
    }
    // husky v9 at the repository root: `.husky/` with the generated `_/`, core.hooksPath.
    std::fs::create_dir_all(repo.join(".husky/_")).expect(".husky/_");
    std::fs::write(repo.join(".husky/_/h"), "#!/usr/bin/env sh\n# husky\n").expect("h");
    assert!(git(repo, &["config", "core.hooksPath", ".husky/_"]));
    let pkg = repo.join("packages/db");
    prisma_project(&pkg);
    let run = hook(&pkg, &["pre-commit"]);
    assert_eq!(run.code, Some(0), "{run}");
    let file = repo.join(".husky/pre-commit");
    let text = read(&file);
    assert!(
        text.contains("devtop preflight --strict --project 'packages/db'"),
        "{text}"
    );
    assert!(
        !repo.join(".husky/_/pre-commit").exists(),
        "never into husky's generated folder"
    );
    assert!(!pkg.join(".husky").exists(), "{run}");
    assert!(!run.stdout.contains("with husky, put these lines"), "{run}");
    // The user's own hook is kept without --force, replaced with it.
    std::fs::write(&file, "npm test\n").expect("own hook");
    let run = hook(&pkg, &["pre-commit"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("exists; not replacing it"), "{run}");
    assert!(run.stdout.contains("--project 'packages/db'"), "{run}");
    assert_eq!(read(&file), "npm test\n");
    let run = hook(&pkg, &["pre-commit", "--force"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(read(&file).contains("--project 'packages/db'"));
    assert!(!repo.join(".husky/_/pre-commit").exists());
}
