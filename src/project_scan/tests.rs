//! `scan` on temp projects: the package manager from the lockfile or `packageManager`, the
//! workspaces from both sources, and files refused by the bounded reader, named.
#![allow(clippy::unwrap_used)]

use super::*;

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn manager_from_lockfile_then_field_then_npm() {
    let dir = project(&[
        ("package.json", r#"{"packageManager": "pnpm@9"}"#),
        ("bun.lock", ""),
    ]);
    assert_eq!(scan(dir.path()).unwrap().manager.manager, Manager::Bun);
    std::fs::remove_file(dir.path().join("bun.lock")).unwrap();
    let s = scan(dir.path()).unwrap();
    assert_eq!(s.manager.manager, Manager::Pnpm);
    assert!(
        s.manager.from.contains("packageManager"),
        "{}",
        s.manager.from
    );
    std::fs::write(dir.path().join("package.json"), "{}").unwrap();
    assert_eq!(scan(dir.path()).unwrap().manager.manager, Manager::Npm);
}

#[test]
fn workspaces_from_package_json_and_pnpm_yaml() {
    let dir = project(&[
        (
            "package.json",
            r#"{"workspaces": {"packages": ["apps/*"]}}"#,
        ),
        (
            "pnpm-workspace.yaml",
            "packages:\n  - libs/**\n  - '!libs/skip'\n",
        ),
        ("apps/web/package.json", "{}"),
        ("libs/a/b/package.json", "{}"),
        ("libs/skip/package.json", "{}"),
        ("other/package.json", "{}"),
    ]);
    let s = scan(dir.path()).unwrap();
    let rels: Vec<&str> = s.found.iter().map(|f| f.rel.as_str()).collect();
    assert_eq!(rels, ["", "apps/web", "libs/a/b"]);
    assert!(s.workspaces);
    assert_eq!(
        s.found[2].listed_by.as_deref(),
        Some("pnpm-workspace.yaml (libs/**)")
    );
}

#[test]
fn refused_files_are_named() {
    let dir = project(&[("package.json", r#"{"workspaces": ["apps/*"]}"#)]);
    std::fs::create_dir_all(dir.path().join("apps/web")).unwrap();
    std::fs::write(dir.path().join("apps/web/package.json"), "{}").unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("apps/web/vite.config.ts")).unwrap();
    let e = scan(dir.path()).unwrap_err().to_string();
    assert_eq!(
        e,
        "apps/web/vite.config.ts: refused: a character device, not a regular file"
    );
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(
        scan(empty.path()).unwrap_err().to_string(),
        "package.json: not found"
    );
}

#[test]
fn bad_json_names_file_line_and_column() {
    let dir = project(&[("package.json", "{\n  \"name\": 1,\n  oops\n}")]);
    let e = scan(dir.path()).unwrap_err().to_string();
    assert!(e.starts_with("package.json:3:3: invalid JSON: "), "{e}");
}

#[test]
fn workspace_root_is_found_from_a_member() {
    let dir = project(&[
        ("package.json", r#"{"workspaces": ["apps/*", "!apps/old"]}"#),
        ("apps/web/package.json", "{}"),
        ("apps/old/package.json", "{}"),
        ("tools/x/package.json", "{}"),
    ]);
    let root = dir.path();
    assert_eq!(
        workspace_root(&root.join("apps/web")).as_deref(),
        Some(root)
    );
    assert_eq!(workspace_root(&root.join("apps/old")), None);
    assert_eq!(workspace_root(&root.join("tools/x")), None);
}
