//! The drift diff with stand-in CLIs (`sh` scripts at `node_modules/.bin/prisma`).
#![allow(clippy::unwrap_used)]

use super::*;
use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

/// A fake `node_modules/.bin/prisma` running `body` (sh).
fn fake_cli(dir: &Path, body: &str) -> PathBuf {
    let bin = dir.join("node_modules/.bin");
    std::fs::create_dir_all(&bin).unwrap();
    let p = bin.join("prisma");
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn url(dir: &Path) -> DbUrl {
    crate::db::url::parse("postgresql://app:s3cretpw@127.0.0.1:1/app", dir).unwrap()
}

fn target(cli: PathBuf, root: &Path) -> DiffTarget {
    DiffTarget {
        cli,
        schema: root.join("prisma/schema.prisma"),
        url_vars: vec!["DATABASE_URL".into(), "DIRECT_URL".into()],
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn diff(t: &DiffTarget, root: &Path, timeout: Duration) -> DiffResult {
    rt().block_on(run(&PrismaCliGate::new(), t, &url(root), timeout))
}

#[test]
fn exit_codes_map_and_the_url_travels_in_the_environment_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let argv_file = root.join("argv");
    let cli = fake_cli(
        root,
        &format!(
            "echo \"$@\" > {a}; [ \"$DATABASE_URL\" = 'postgresql://app:s3cretpw@127.0.0.1:1/app' ] || exit 1\n[ \"$DIRECT_URL\" = \"$DATABASE_URL\" ] || exit 1\necho '[+] Added columns'; echo '  - cameras.uuid'; exit 2",
            a = argv_file.display()
        ),
    );
    let r = diff(&target(cli, root), root, TIMEOUT);
    assert_eq!(
        r,
        DiffResult::Differs(vec!["[+] Added columns".into(), "  - cameras.uuid".into()])
    );
    let argv = std::fs::read_to_string(argv_file).unwrap();
    assert!(
        argv.contains("migrate diff --from-schema-datasource"),
        "{argv}"
    );
    assert!(argv.contains("--exit-code"), "{argv}");
    assert!(!argv.contains("s3cretpw"), "URL never in argv: {argv}");
    let in_sync = fake_cli(root, "exit 0");
    assert_eq!(
        diff(&target(in_sync, root), root, TIMEOUT),
        DiffResult::InSync
    );
}

#[test]
fn the_target_comes_from_the_parsed_project() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let schema = "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n  directUrl = env(\"DIRECT_URL\")\n}\n";
    let prisma = PrismaProject {
        schema_path: root.join("prisma/schema.prisma"),
        url_env: "DATABASE_URL".into(),
        schema: Some(crate::model::schema::parse(schema).unwrap()),
        ..PrismaProject::default()
    };
    assert_eq!(DiffTarget::for_project(root, &prisma), None, "no CLI");
    let cli = fake_cli(root, "exit 0");
    assert_eq!(
        DiffTarget::for_project(root, &prisma),
        Some(target(cli, root))
    );
}

#[test]
fn failure_messages_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let cli = fake_cli(
        dir.path(),
        "echo \"Error: P1001 cannot reach $DATABASE_URL\" >&2; exit 1",
    );
    let r = diff(&target(cli, dir.path()), dir.path(), TIMEOUT);
    let DiffResult::Failed(msg) = r else {
        panic!("{r:?}")
    };
    assert!(msg.contains("P1001"), "{msg}");
    assert!(msg.contains("exit code 1"), "{msg}");
    assert!(!msg.contains("s3cretpw"), "{msg}");
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("sleep.pid");
    // The CLI leaves a grandchild behind in its group, as a hung node + schema-engine would.
    let cli = fake_cli(
        dir.path(),
        &format!("sleep 600 & echo $! > {p}; wait", p = pid_file.display()),
    );
    let r = diff(
        &target(cli, dir.path()),
        dir.path(),
        Duration::from_millis(800),
    );
    assert!(matches!(r, DiffResult::TimedOut(_)), "{r:?}");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let gone = crate::effects::tether::tests::gone(pid);
    assert!(gone, "the grandchild {pid} survived the timeout");
}

#[test]
fn one_gate_runs_one_prisma_cli_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let busy = dir.path().join("busy");
    // Fails when another copy is running (noclobber refuses to create the marker twice).
    let cli = fake_cli(
        dir.path(),
        &format!(
            "(set -C; : > {b}) 2>/dev/null || exit 1; sleep 0.2; rm {b}; exit 0",
            b = busy.display()
        ),
    );
    let t = target(cli, dir.path());
    let gate = PrismaCliGate::new();
    let u = url(dir.path());
    let began = Instant::now();
    let (a, b) = rt()
        .block_on(async { tokio::join!(run(&gate, &t, &u, TIMEOUT), run(&gate, &t, &u, TIMEOUT)) });
    assert_eq!((a, b), (DiffResult::InSync, DiffResult::InSync));
    assert!(
        began.elapsed() >= Duration::from_millis(400),
        "one after the other"
    );
}

/// The dashboard's rounds: the first at start, stamped with the folder and the deploy count;
/// another once a migrate run has taken the gate (it waits for the run), stamped anew.
#[test]
fn a_migrate_run_starts_a_new_round_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("diffs.log");
    let cli = fake_cli(
        dir.path(),
        &format!("echo diff >> {}; exit 0", log.display()),
    );
    let env = crate::collect::environments::EnvSpec {
        name: "local".into(),
        url_env: "DATABASE_URL".into(),
        url: Ok(url(dir.path())),
        config_error: false,
        source: None,
    };
    let gate = PrismaCliGate::new();
    let folder = std::sync::Arc::new(crate::model::local_migrations::MigrationsDir::absent(
        dir.path(),
    ));
    let (_ftx, frx) = tokio::sync::watch::channel(folder.clone());
    let cancel = tokio_util::sync::CancellationToken::new();
    // Bounded: a round that never comes fails the test instead of hanging it.
    let within = Duration::from_secs(30);
    let rounds_of = async {
        let mut rounds = spawn(
            gate.clone(),
            Some(target(cli, dir.path())),
            vec![env],
            frx,
            cancel.clone(),
        );
        let first = rounds
            .wait_for(|r| !r.diffs.is_empty())
            .await
            .unwrap()
            .clone();
        assert_eq!(first.diffs.get("local"), Some(&DiffResult::InSync));
        assert_eq!((first.deploys, &first.folder), (0, &folder));
        let deploy = gate.deploy_turn().await;
        drop(deploy);
        let second = rounds.wait_for(|r| r.deploys == 1).await.unwrap().clone();
        assert_eq!(second.diffs.get("local"), Some(&DiffResult::InSync));
        assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 2);
        cancel.cancel();
    };
    rt().block_on(async { tokio::time::timeout(within, rounds_of).await })
        .expect("both rounds within 30 s");
}

/// An edit of schema.prisma starts a new round (as a migrations-folder change does), stamped
/// with the edited schema.
#[test]
fn a_schema_edit_starts_a_new_round() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("diffs.log");
    let cli = fake_cli(
        dir.path(),
        &format!("echo diff >> {}; exit 0", log.display()),
    );
    let t = target(cli, dir.path());
    std::fs::create_dir_all(t.schema.parent().unwrap()).unwrap();
    std::fs::write(&t.schema, "model A {\n  id Int @id\n}\n").unwrap();
    let env = crate::collect::environments::EnvSpec {
        name: "local".into(),
        url_env: "DATABASE_URL".into(),
        url: Ok(url(dir.path())),
        config_error: false,
        source: None,
    };
    let folder = std::sync::Arc::new(crate::model::local_migrations::MigrationsDir::absent(
        dir.path(),
    ));
    let (_ftx, frx) = tokio::sync::watch::channel(folder);
    let cancel = tokio_util::sync::CancellationToken::new();
    let diffs = || {
        std::fs::read_to_string(&log)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let rounds_of = async {
        let schema = t.schema.clone();
        let mut rounds = spawn(
            PrismaCliGate::new(),
            Some(t),
            vec![env],
            frx,
            cancel.clone(),
        );
        let first = rounds
            .wait_for(|r| !r.diffs.is_empty())
            .await
            .unwrap()
            .clone();
        assert_eq!(first.schema, crate::prisma::schema_stamp::read(&schema));
        std::fs::write(&schema, "model B {\n  id Int @id\n}\n").unwrap();
        let edited = crate::prisma::schema_stamp::read(&schema);
        let second = rounds
            .wait_for(|r| r.schema == edited)
            .await
            .unwrap()
            .clone();
        assert_eq!(second.diffs.get("local"), Some(&DiffResult::InSync));
        assert_eq!(diffs(), 2, "one new round for the edit");
        cancel.cancel();
    };
    rt().block_on(async { tokio::time::timeout(Duration::from_secs(30), rounds_of).await })
        .expect("a new round within 30 s of the edit");
}
