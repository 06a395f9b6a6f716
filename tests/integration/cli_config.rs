//! The per-user config file through the binary: `devtop config --path` lists the files in
//! the order they apply, the user's values reach `status`, the project's override them, and
//! an error in the user's file names that file (exit 2).

use crate::common;

use common::{devtop_command, run_command};
use std::path::{Path, PathBuf};

/// `devtop ARGS --project <app>` with `XDG_CONFIG_HOME=<xdg>`.
fn devtop(xdg: &Path, app: &Path, args: &[&str]) -> common::Run {
    let mut args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    args.extend(["--project".to_owned(), app.display().to_string()]);
    run_command(
        devtop_command().env("XDG_CONFIG_HOME", xdg).args(&args),
        args,
    )
}

/// A temp dir with `xdg/devtop/` (the user's config dir) and `app/` (the project).
fn dirs() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let xdg = dir.path().join("xdg");
    let app = dir.path().join("app");
    std::fs::create_dir_all(xdg.join("devtop")).expect("mkdir");
    std::fs::create_dir_all(&app).expect("mkdir");
    (dir, xdg, app)
}

#[test]
fn config_path_lists_user_then_project() {
    let (_dir, xdg, app) = dirs();
    let user = xdg.join("devtop/config.toml");
    let project = app.join("devtop.toml");
    let run = devtop(&xdg, &app, &["config", "--path"]);
    assert_eq!(run.code, Some(0), "{run}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!("1. user     {}  (not found, skipped)", user.display()),
        "{run}"
    );
    assert_eq!(
        lines[1],
        format!("2. project  {}  (not found, skipped)", project.display()),
        "{run}"
    );
    std::fs::write(&user, "refresh = \"2s\"\n").expect("write");
    std::fs::write(&project, "scope = \"project\"\n").expect("write");
    let run = devtop(&xdg, &app, &["config", "--path"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(run.stdout.matches("(exists, applies)").count(), 2, "{run}");
    // A broken user file: `config --path` still answers, names the file, and exits 2.
    std::fs::write(&user, "\nrefresh = \"soon\"\n").expect("write");
    let run = devtop(&xdg, &app, &["config", "--path"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stdout
            .contains(&format!("(error: {}:2:11:", user.display())),
        "{run}"
    );
    // …and every other command refuses to start, naming it.
    let run = devtop(&xdg, &app, &["status", "--json"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr
            .starts_with(&format!("devtop: {}:2:11:", user.display())),
        "{run}"
    );
    assert!(run.stderr.contains("invalid duration \"soon\""), "{run}");
}

/// A key of the user's file reaches the report; the project's file overrides it.
#[test]
fn user_values_apply_under_the_project_file() {
    let (_dir, xdg, app) = dirs();
    let scope = || {
        let run = devtop(&xdg, &app, &["status", "--json"]);
        assert_eq!(run.code, Some(0), "{run}");
        let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
        json["scope"].as_str().expect("scope").to_owned()
    };
    assert_eq!(scope(), "user", "the default");
    std::fs::write(xdg.join("devtop/config.toml"), "scope = \"project\"\n").expect("write");
    assert_eq!(scope(), "project", "the user's file");
    std::fs::write(app.join("devtop.toml"), "scope = \"user\"\n").expect("write");
    assert_eq!(scope(), "user", "the project's file wins");
}

/// `[[server]]` through the binary: `config --path` prints the start order; a dependency
/// cycle is a config error at its line and column, exit 2, for every command.
#[test]
fn servers_are_checked_and_ordered() {
    let (_dir, xdg, app) = dirs();
    let project = app.join("devtop.toml");
    std::fs::write(
        &project,
        "[[server]]\nname = \"web\"\ncmd = [\"vite\"]\ndepends_on = [\"api\"]\n\n\
         [[server]]\nname = \"api\"\ncmd = [\"tsx\", \"watch\", \"src/index.ts\"]\nport = 3010\n",
    )
    .expect("write");
    let run = devtop(&xdg, &app, &["config", "--path"]);
    assert_eq!(run.code, Some(0), "{run}");
    assert!(
        run.stdout.contains("servers, in start order: api, web\n"),
        "{run}"
    );
    std::fs::write(
        &project,
        "[[server]]\nname = \"web\"\ncmd = [\"vite\"]\ndepends_on = [\"api\"]\n\n\
         [[server]]\nname = \"api\"\ncmd = [\"tsx\"]\ndepends_on = [\"web\"]\n",
    )
    .expect("write");
    let run = devtop(&xdg, &app, &["status", "--json"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.starts_with(&format!(
            "devtop: {}:4:15: depends_on: dependency cycle web → api → web",
            project.display()
        )),
        "{run}"
    );
    let run = devtop(&xdg, &app, &["config", "--path"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stdout.contains(":4:15: depends_on"), "{run}");
}
