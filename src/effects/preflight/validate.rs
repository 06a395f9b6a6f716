//! `prisma validate` through the project's own CLI, as a [`Supervised`] child: its own
//! tethered process group, a time limit, the whole group ended afterwards. It starts no
//! schema engine, so it does not wait at the [`crate::effects::prisma_cli::PrismaCliGate`].

use crate::collect::environments::EnvSpec;
use crate::effects::child::{ChildSpec, EndCause, Exit, Stream, Supervised};
use crate::model::preflight::schema::Validated;
use std::path::Path;
use std::time::Duration;

/// Lines of the CLI's output kept in the check's detail.
const SHOWN_LINES: usize = 10;

/// Lines of the CLI's output that say nothing about the schema's validity.
fn noise(line: &str) -> bool {
    let l = line.trim();
    l.starts_with("Prisma schema loaded")
        || l.starts_with("Loaded Prisma config")
        || l.starts_with("Prisma CLI Version")
        || l.starts_with("[Context:")
        || l.starts_with("Environment variables loaded")
}
/// Time between `SIGTERM` and `SIGKILL` when the CLI is stopped at its limit.
const GRACE: Duration = Duration::from_millis(500);

/// The command: `<cli> validate --schema <schema>`, run from the directory above the
/// schema's folder (where prisma.config.ts and package.json usually are), with the target's
/// URL in the datasource's variable `env.url_env` (never in argv) — Prisma 6 refuses to
/// validate a schema whose `env("…")` is unset, Prisma 7's config reads it.
pub fn spec(cli: &Path, schema: &Path, env: Option<&EnvSpec>, limit: Duration) -> ChildSpec {
    let mut spec = ChildSpec::new(cli)
        .arg("validate")
        .arg("--schema")
        .arg(schema)
        .env("CHECKPOINT_DISABLE", "1")
        .env("PRISMA_HIDE_UPDATE_MESSAGE", "1")
        // Plain text: no colour escapes in the check's detail.
        .env("NO_COLOR", "1")
        .env("FORCE_COLOR", "0")
        .grace(GRACE)
        .timeout(limit.saturating_sub(GRACE).max(GRACE));
    if let Some(e) = env
        && let Ok(url) = &e.url
    {
        spec = spec.env(&e.url_env, url.raw());
    }
    if let Some(dir) = schema.parent().and_then(Path::parent) {
        spec = spec.cwd(dir);
    }
    spec
}

/// Run `prisma validate` (see [`spec`]) within `limit`. Output lines are redacted (the
/// target's URL and password, and whatever [`crate::redact`] recognises).
pub async fn run(cli: &Path, schema: &Path, env: Option<&EnvSpec>, limit: Duration) -> Validated {
    let child = match Supervised::spawn(spec(cli, schema, env, limit)) {
        Ok(c) => c,
        Err(e) => return Validated::CannotRun(format!("cannot run {}: {e}", cli.display())),
    };
    let ran = child.run(200).await;
    let secrets = env
        .and_then(|e| e.url.as_ref().ok())
        .map(|u| u.secrets())
        .unwrap_or_default();
    let f = &ran.finished;
    if f.cause == EndCause::TimedOut {
        return Validated::TimedOut(f.runtime.as_secs_f64());
    }
    match f.exit {
        Exit::Code(0) => Validated::Valid,
        exit => {
            let pick = |s: Stream| {
                ran.lines
                    .iter()
                    .filter(move |l| l.stream == s && !l.text.trim().is_empty())
                    .map(|l| crate::redact::known(l.text.trim_end(), &secrets))
            };
            let lines: Vec<String> = pick(Stream::Stderr)
                .chain(pick(Stream::Stdout))
                .filter(|l| !noise(l))
                .take(SHOWN_LINES)
                .collect();
            Validated::Invalid {
                exit: exit.to_string(),
                lines,
            }
        }
    }
}
