//! Schema ↔ database drift through the project's own Prisma CLI: `prisma migrate diff
//! --from-schema-datasource <schema> --to-schema-datamodel <schema> --exit-code`, run as a
//! supervised child — inside a [`Tether`] (a process group that dies with devtop however devtop
//! ends, so neither the CLI nor its schema-engine is ever left behind), the environment's URL
//! passed in its environment (never argv), a time limit after which the whole group is killed,
//! and never more than one at a time (a process-wide semaphore). `migrate diff` only reads the
//! database.

use crate::db::url::DbUrl;
use crate::effects::tether::Tether;
use crate::model::cli_diff::DiffResult;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Default time limit of one diff (the TUI's background check).
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// Lines of the CLI's summary kept.
pub const MAX_LINES: usize = 12;

/// Major version of the Prisma CLI next to `cli` (`node_modules/prisma/package.json`).
pub fn cli_major_version(cli: &Path) -> Option<u32> {
    let node_modules = cli.parent()?.parent()?;
    let text = crate::bounded_read::read_text(
        &node_modules.join("prisma/package.json"),
        crate::bounded_read::PACKAGE_JSON_MAX,
    )
    .ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["version"].as_str()?.split('.').next()?.parse().ok()
}

/// The variable of `directUrl = env("X")` in a schema's datasource, when there is one.
pub fn direct_url_env(schema_text: &str) -> Option<String> {
    schema_text.lines().find_map(|line| {
        let rest = line
            .trim()
            .strip_prefix("directUrl")?
            .trim_start()
            .strip_prefix('=')?
            .trim();
        let inner = rest.strip_prefix("env(")?.trim_start();
        let q = inner.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let name: String = inner[1..].chars().take_while(|c| *c != q).collect();
        (!name.is_empty()).then_some(name)
    })
}

/// The project's Prisma CLI, when installed: `<root>/node_modules/.bin/prisma`.
pub fn find_cli(root: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let p = root.join("node_modules/.bin/prisma");
    let executable =
        std::fs::metadata(&p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    executable.then_some(p)
}

fn gate() -> &'static Semaphore {
    static GATE: OnceLock<Semaphore> = OnceLock::new();
    GATE.get_or_init(|| Semaphore::new(1))
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .take(MAX_LINES)
        .map(str::to_owned)
        .collect()
}

/// Run the diff for one environment. `url_env` is the variable the schema's datasource reads
/// (it is set to `url` for the child only). Waits for any other diff to finish first.
pub async fn run(
    cli: &Path,
    schema: &Path,
    url_env: &str,
    url: &DbUrl,
    timeout: Duration,
) -> DiffResult {
    let Ok(_permit) = gate().acquire().await else {
        return DiffResult::Failed("diff gate closed".into());
    };
    let mut cmd = tokio::process::Command::new(cli);
    cmd.arg("migrate").arg("diff");
    if cli_major_version(cli).is_some_and(|v| v >= 7) {
        // Prisma 7 reads the datasource from prisma.config.ts.
        cmd.arg("--from-config-datasource")
            .arg("--to-schema")
            .arg(schema);
    } else {
        cmd.arg("--from-schema-datasource")
            .arg(schema)
            .arg("--to-schema-datamodel")
            .arg(schema);
    }
    cmd.arg("--exit-code").env(url_env, url.raw());
    // The schema engine prefers `directUrl`: point it at the same database, or a staging diff
    // would introspect the local DIRECT_URL.
    if let Some(direct) = crate::bounded_read::read_text(schema, crate::bounded_read::SCHEMA_MAX)
        .ok()
        .as_deref()
        .and_then(direct_url_env)
    {
        cmd.env(direct, url.raw());
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(dir) = schema.parent().and_then(Path::parent) {
        cmd.current_dir(dir);
    }
    // Never run a helper that could outlive devtop.
    let tether = match Tether::start() {
        Ok(t) => t,
        Err(e) => {
            return DiffResult::Failed(format!(
                "cannot start /bin/sh, which ties the Prisma CLI to devtop: {e}"
            ));
        }
    };
    tether.adopt(&mut cmd);
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            tether.end().await;
            return DiffResult::Failed(format!("cannot run {}: {e}", cli.display()));
        }
    };
    let started = Instant::now();
    // Both pipes are read concurrently by wait_with_output (no pipe-full deadlock). If this
    // future is dropped (devtop quits mid-diff) the tether's Drop kills the whole group.
    let waited = tokio::time::timeout(timeout, child.wait_with_output()).await;
    // Whatever the CLI left in its group (a schema-engine) ends with it.
    tether.end().await;
    match waited {
        Ok(Ok(output)) => {
            let (status, so, se) = (
                output.status,
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            );
            match status.code() {
                Some(0) => DiffResult::InSync,
                Some(2) => DiffResult::Differs(lines(&so).iter().map(|l| url.scrub(l)).collect()),
                _ => {
                    let msg = lines(&se)
                        .into_iter()
                        .chain(lines(&so))
                        .take(3)
                        .collect::<Vec<_>>()
                        .join(" / ");
                    DiffResult::Failed(
                        url.scrub(&format!("prisma migrate diff failed ({status}): {msg}")),
                    )
                }
            }
        }
        Ok(Err(e)) => DiffResult::Failed(format!("waiting for prisma: {e}")),
        Err(_) => DiffResult::TimedOut(started.elapsed()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

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

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn exit_codes_map_and_the_url_travels_in_the_environment_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(find_cli(root), None);
        let argv_file = root.join("argv");
        let cli = fake_cli(
            root,
            &format!(
                "echo \"$@\" > {a}; [ \"$DATABASE_URL\" = 'postgresql://app:s3cretpw@127.0.0.1:1/app' ] || exit 1\necho '[+] Added columns'; echo '  - cameras.uuid'; exit 2",
                a = argv_file.display()
            ),
        );
        assert_eq!(find_cli(root), Some(cli.clone()));
        let schema = root.join("prisma/schema.prisma");
        let r = rt().block_on(run(&cli, &schema, "DATABASE_URL", &url(root), TIMEOUT));
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
            rt().block_on(run(&in_sync, &schema, "DATABASE_URL", &url(root), TIMEOUT)),
            DiffResult::InSync
        );
    }

    #[test]
    fn version_and_direct_url() {
        let dir = tempfile::tempdir().unwrap();
        let cli = fake_cli(dir.path(), "exit 0");
        assert_eq!(cli_major_version(&cli), None);
        std::fs::create_dir_all(dir.path().join("node_modules/prisma")).unwrap();
        std::fs::write(
            dir.path().join("node_modules/prisma/package.json"),
            r#"{"name":"prisma","version":"7.1.0"}"#,
        )
        .unwrap();
        assert_eq!(cli_major_version(&cli), Some(7));
        let schema = "datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n  directUrl = env(\"DIRECT_URL\")\n}\n";
        assert_eq!(direct_url_env(schema).as_deref(), Some("DIRECT_URL"));
        assert_eq!(
            direct_url_env("datasource db {\n url = env(\"X\")\n}"),
            None
        );
    }

    #[test]
    fn failure_messages_are_masked() {
        let dir = tempfile::tempdir().unwrap();
        let cli = fake_cli(
            dir.path(),
            "echo \"Error: P1001 cannot reach $DATABASE_URL\" >&2; exit 1",
        );
        let r = rt().block_on(run(
            &cli,
            &dir.path().join("s.prisma"),
            "DATABASE_URL",
            &url(dir.path()),
            TIMEOUT,
        ));
        let DiffResult::Failed(msg) = r else {
            panic!("{r:?}")
        };
        assert!(msg.contains("P1001"), "{msg}");
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
        let started = Instant::now();
        let r = rt().block_on(run(
            &cli,
            &dir.path().join("s.prisma"),
            "DATABASE_URL",
            &url(dir.path()),
            Duration::from_millis(800),
        ));
        assert!(matches!(r, DiffResult::TimedOut(_)), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let pid: u32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let gone = crate::effects::tether::tests::gone(pid);
        assert!(gone, "the grandchild {pid} survived the timeout");
    }
}
