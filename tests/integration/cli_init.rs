//! `devtop init` through the binary on temp projects: an npm workspace (vite web proxying to a
//! tsx API), a pnpm workspace, a single package with only `start`, `--write` (and its refusal
//! over an existing devtop.toml), and a malformed package.json. Every proposal is loaded by
//! devtop's own config parser.

use crate::common;

use common::{devtop_command, run_command};
use devtop::config::{Config, Machine};
use devtop::model::server::{ReadyProbe, ServerCmd, ServerSpec};
use std::path::Path;

/// `devtop init ARGS --project <root>`.
fn init(root: &Path, args: &[&str]) -> common::Run {
    let mut args: Vec<String> = std::iter::once("init")
        .chain(args.iter().copied())
        .map(str::to_owned)
        .collect();
    args.extend(["--project".to_owned(), root.display().to_string()]);
    run_command(devtop_command().args(&args), args)
}

/// A temp project holding `files` (path, content).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// The servers of devtop.toml `text`, or a panic with the config error and the text.
fn servers(text: &str) -> Vec<ServerSpec> {
    let machine = Machine {
        mem_total: Some(8 << 30),
        cpus: 4,
    };
    Config::parse_for(text, Path::new("devtop.toml"), machine)
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
        .servers
}

fn argv(words: &[&str]) -> ServerCmd {
    ServerCmd::Argv(words.iter().map(|w| (*w).to_owned()).collect())
}

const NPM_WORKSPACE: &[(&str, &str)] = &[
    (
        "package.json",
        r#"{"name": "acme", "private": true, "workspaces": ["apps/*"],
            "scripts": {"dev": "npm run dev --workspaces --if-present"}}"#,
    ),
    ("package-lock.json", "{}"),
    (
        "apps/web/package.json",
        r#"{"name": "@acme/web", "scripts": {"dev": "vite", "build": "vite build"}}"#,
    ),
    (
        "apps/web/vite.config.ts",
        "import { defineConfig } from 'vite'\n\
         export default defineConfig({\n\
           server: {\n    port: 5173,\n    proxy: { '/api': 'http://localhost:3010' },\n  },\n})\n",
    ),
    (
        "apps/api/package.json",
        r#"{"name": "@acme/api", "scripts": {"dev": "PORT=3010 tsx watch src/index.ts"}}"#,
    ),
];

#[test]
fn npm_workspace_web_depends_on_api() {
    let dir = project(NPM_WORKSPACE);
    let run = init(dir.path(), &[]);
    assert_eq!(run.code, Some(0), "{run}");
    let s = servers(&run.stdout);
    let [api, web] = &s[..] else {
        panic!("two servers expected\n{run}")
    };
    assert_eq!((api.name.as_str(), web.name.as_str()), ("api", "web"));
    for (spec, dir) in [(api, "apps/api"), (web, "apps/web")] {
        assert_eq!(spec.cmd, argv(&["npm", "run", "dev"]), "{run}");
        assert_eq!(spec.cwd.as_deref(), Some(Path::new(dir)), "{run}");
    }
    assert_eq!(api.port, Some(3010));
    assert_eq!(api.ready, Some(ReadyProbe::Tcp(3010)));
    assert_eq!(web.port, Some(5173));
    assert!(
        matches!(&web.ready, Some(ReadyProbe::Http(u)) if u.as_str() == "http://127.0.0.1:5173/"),
        "{run}"
    );
    assert_eq!(web.depends_on, ["api"]);
    // Each value says where it came from.
    assert!(
        run.stdout.contains("PORT=3010 in the \"dev\" script"),
        "{run}"
    );
    assert!(
        run.stdout
            .contains("server.port in apps/web/vite.config.ts"),
        "{run}"
    );
    assert!(run.stdout.contains("npm from package-lock.json"), "{run}");
}

#[test]
fn pnpm_workspace_uses_pnpm() {
    let dir = project(&[
        (
            "package.json",
            r#"{"name": "mono", "scripts": {"dev": "pnpm -r --parallel dev"}}"#,
        ),
        ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"),
        (
            "pnpm-workspace.yaml",
            "packages:\n  - 'apps/*'\n  - \"packages/*\" # libs\n",
        ),
        (
            "apps/site/package.json",
            r#"{"name": "site", "scripts": {"dev": "next dev -p 3001"}}"#,
        ),
        (
            "packages/ui/package.json",
            r#"{"name": "@mono/ui", "scripts": {"build": "tsc"}}"#,
        ),
        (
            "packages/worker/package.json",
            r#"{"scripts": {"start": "node worker.js"}}"#,
        ),
    ]);
    let run = init(dir.path(), &[]);
    assert_eq!(run.code, Some(0), "{run}");
    let s = servers(&run.stdout);
    let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["site", "worker"], "{run}");
    assert_eq!(s[0].cmd, argv(&["pnpm", "run", "dev"]));
    assert_eq!(s[0].port, Some(3001));
    assert!(matches!(&s[0].ready, Some(ReadyProbe::Http(_))), "{run}");
    assert_eq!(s[1].cmd, argv(&["pnpm", "run", "start"]));
    assert_eq!(s[1].cwd.as_deref(), Some(Path::new("packages/worker")));
    assert_eq!((s[1].port, &s[1].ready), (None, &None));
    assert!(run.stdout.contains("no readiness probe"), "{run}");
}

#[test]
fn single_package_with_only_start() {
    let dir = project(&[
        (
            "package.json",
            r#"{"name": "shop", "scripts": {"start": "node server.js --port 8080"}}"#,
        ),
        ("yarn.lock", ""),
    ]);
    let run = init(dir.path(), &[]);
    assert_eq!(run.code, Some(0), "{run}");
    let s = servers(&run.stdout);
    assert_eq!(s.len(), 1, "{run}");
    assert_eq!(s[0].name, "shop");
    assert_eq!(s[0].cmd, argv(&["yarn", "run", "start"]));
    assert_eq!(s[0].cwd, None);
    assert_eq!(s[0].port, Some(8080));
    assert_eq!(s[0].ready, Some(ReadyProbe::Tcp(8080)));
}

#[test]
fn write_creates_devtop_toml_and_never_overwrites() {
    let dir = project(NPM_WORKSPACE);
    let path = dir.path().join("devtop.toml");
    let run = init(dir.path(), &["--write"]);
    assert_eq!(run.code, Some(0), "{run}");
    let written = std::fs::read_to_string(&path).expect("devtop.toml written");
    assert_eq!(servers(&written).len(), 2);
    // The written file is what devtop itself loads.
    let args = vec![
        "config".to_owned(),
        "--path".to_owned(),
        "--project".to_owned(),
        dir.path().display().to_string(),
    ];
    let check = run_command(devtop_command().args(&args), args);
    assert_eq!(check.code, Some(0), "{check}");
    assert!(
        check.stdout.contains("servers, in start order: api, web"),
        "{check}"
    );
    // A second --write refuses, names the file, and leaves it alone.
    std::fs::write(&path, "# mine\n").expect("write");
    let run = init(dir.path(), &["--write"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains(&path.display().to_string()), "{run}");
    assert!(run.stderr.contains("already exists"), "{run}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "# mine\n");
}

#[test]
fn malformed_package_json_is_named() {
    let dir = project(&[
        ("package.json", r#"{"workspaces": ["apps/*"]}"#),
        (
            "apps/api/package.json",
            "{\n  \"name\": \"api\",\n  \"scripts\": {\n}\n  \"x\": 1\n",
        ),
    ]);
    let run = init(dir.path(), &["--write"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("apps/api/package.json:5:"), "{run}");
    assert!(run.stderr.contains("invalid JSON"), "{run}");
    assert!(!dir.path().join("devtop.toml").exists());
    // No package.json at all.
    let empty = tempfile::tempdir().expect("temp dir");
    let run = init(empty.path(), &[]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("package.json: not found"), "{run}");
}

#[test]
fn usage_errors_exit_2() {
    let run = run_command(
        devtop_command().args(["init", "--bogus"]),
        vec!["init".into(), "--bogus".into()],
    );
    assert_eq!(run.code, Some(2), "{run}");
    let run = run_command(
        devtop_command().args(["init", "--help"]),
        vec!["init".into(), "--help".into()],
    );
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.contains("--write"), "{run}");
}

#[test]
fn run_in_a_member_proposes_for_the_workspace_root() {
    let dir = project(NPM_WORKSPACE);
    let args = vec!["init".to_owned(), "--write".to_owned()];
    let run = run_command(
        devtop_command()
            .current_dir(dir.path().join("apps/web"))
            .args(&args),
        args,
    );
    assert_eq!(run.code, Some(0), "{run}");
    let written = std::fs::read_to_string(dir.path().join("devtop.toml")).expect("at the root");
    assert_eq!(servers(&written).len(), 2);
    assert!(!dir.path().join("apps/web/devtop.toml").exists());
}
