//! The preflight runner: gathers what the checks judge — concurrently, each part under its own
//! time limit — and reports every check as soon as it is known. The TUI (`p`), `devtop
//! preflight` and the guarded migrate all call [`run`].
//!
//! Parts, all started at once:
//! - the migrations folder (read once, at start) → check 7;
//! - memory (/proc/meminfo, PSI, cgroup) → check 5;
//! - processes (two samples 1 s apart, more for a migrate candidate, as `devtop status`) →
//!   checks 1, 2, 6;
//! - `prisma validate` through the project's CLI (supervised, [`PreflightSettings::cli_timeout`]),
//!   else the static schema check → check 3;
//! - the target database (read-only probe, 5 s connect timeout) → checks 4, 8, 9, 10, 12
//!   and 13 (the lint of its pending migrations, [`lint_check`]);
//! - `prisma migrate diff` for the target (its own limit, after the probe, at the session's
//!   Prisma CLI gate), unless the dashboard's latest round is fresh for it → check 11;
//! - the other environments of `[deploy] order` → check 14;
//! - inotify usage → check 15.
//!
//! Every part is bounded by [`PreflightSettings::check_timeout`] from the start; a part that
//! does not finish by then is dropped (a Prisma CLI it started is ended with its process
//! group) and its checks fail as timed out. So a preflight takes at most `check_timeout`
//! (8 s by default) even with a black-holed database and a hanging CLI.

pub mod lint_check;
pub mod validate;

use crate::collect::environments::EnvSpec;
use crate::effects::prisma_cli::find_cli;
use crate::effects::prisma_diff::{self, DiffTarget};
use crate::model::cli_diff::{DiffResult, DiffRound};
use crate::model::database::{DbEnvSnapshot, DbSnapshot};
use crate::model::db_view::EnvView;
use crate::model::local_migrations::MigrationsDir;
use crate::model::migration_lint::LintOptions;
use crate::model::preflight::deploy::Stage;
use crate::model::preflight::{
    self, Check, CheckId, PreflightSettings, Summary, database, folder, memory, processes, schema,
};
use crate::prisma::schema_stamp;
use crate::setup::Setup;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// Connect timeout of the database probes (the database layer's), seconds, for messages.
const CONNECT_TIMEOUT_S: f64 = 5.0;

/// What to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The target environment (`local`, `staging`, …): one of the setup's environments.
    pub target: String,
    /// `--strict`: the lint's warnings are failures (the exit code turns every warning into
    /// a failure anyway).
    pub strict: bool,
}

impl Request {
    /// A request for `target`, not strict.
    pub fn new(target: &str) -> Request {
        Request {
            target: target.to_owned(),
            strict: false,
        }
    }
}

/// The checks a preflight runs, in order: all fifteen.
pub fn plan() -> Vec<CheckId> {
    CheckId::ALL.to_vec()
}

/// `Ok` when `target` is one of `setup`'s environments, else the message for the user (exit
/// 2): "no environment named \"stage\" (have: local, staging, production)".
pub fn check_target(setup: &Setup, target: &str) -> Result<(), String> {
    if setup.envs.iter().any(|e| e.name == target) {
        return Ok(());
    }
    let have: Vec<&str> = setup.envs.iter().map(|e| e.name.as_str()).collect();
    Err(format!(
        "no environment named \"{target}\" (have: {})",
        have.join(", ")
    ))
}

/// The environments check 14 needs besides the target: those of `[deploy] order` that are
/// configured, in order.
fn deploy_envs<'a>(setup: &'a Setup, target: &str) -> Vec<&'a EnvSpec> {
    setup
        .config
        .deploy_order
        .iter()
        .filter(|n| n.as_str() != target)
        .filter_map(|n| setup.envs.iter().find(|e| &e.name == n))
        .collect()
}

/// Run the preflight of `req.target` for the project of `setup`, calling `report` with each
/// check as soon as it is known (in completion order), and return every planned check in
/// order. Never fails: what cannot be read is a failed or skipped check; a target that is not
/// an environment makes checks 4, 8–12 fail (call [`check_target`] first to refuse it).
/// Takes at most about [`PreflightSettings::check_timeout`].
///
/// `dashboard`: the dashboard's latest background drift round; check 11 takes the target's
/// diff from it when it is fresh ([`DiffRound::fresh`]: the same migrations folder and schema
/// file(s), no migrate run since), else runs its own `prisma migrate diff` at the session's
/// gate.
pub async fn run(
    setup: &Setup,
    req: &Request,
    dashboard: Option<&DiffRound>,
    mut report: impl FnMut(&Check),
) -> Summary {
    let started = Instant::now();
    let settings = setup.config.preflight.clone();
    let deadline = tokio::time::Instant::now() + settings.check_timeout;
    let (tx, mut rx) = unbounded_channel::<Check>();
    let planned = plan();

    let settings_ref = &settings;
    let work = async move {
        let settings = settings_ref;
        let local = {
            let dir = setup.prisma.migrations_dir.clone();
            Arc::new(
                tokio::task::spawn_blocking(move || crate::prisma::migrations_dir::read(&dir))
                    .await
                    .unwrap_or_else(|_| unread_folder(&setup.prisma.migrations_dir)),
            )
        };
        let shown = shown_path(setup, &setup.prisma.migrations_dir);
        let _ = tx.send(folder::folder(&local, &shown));
        tokio::join!(
            bounded(
                deadline,
                settings,
                &tx,
                &[CheckId::Memory],
                memory_part(setup)
            ),
            bounded(
                deadline,
                settings,
                &tx,
                &[CheckId::Suspects, CheckId::Studio, CheckId::HeavyProcesses],
                processes_part(setup),
            ),
            bounded(
                deadline,
                settings,
                &tx,
                &[CheckId::Schema],
                schema_part(setup, req, settings, &local)
            ),
            bounded(
                deadline,
                settings,
                &tx,
                preflight::DATABASE_CHECKS,
                database_part(setup, req, settings, &local, dashboard, &tx, deadline),
            ),
            bounded(deadline, settings, &tx, &[CheckId::Inotify], inotify_part()),
        );
    };
    let mut results: Vec<Check> = Vec::new();
    let drain = async {
        while let Some(mut c) = rx.recv().await {
            if !planned.contains(&c.id) || results.iter().any(|r| r.id == c.id) {
                continue;
            }
            c.elapsed_ms = Some(started.elapsed().as_millis() as u64);
            report(&c);
            results.push(c);
        }
    };
    tokio::join!(work, drain);
    // Anything planned and never reported (cannot happen unless a part forgot one) fails.
    for id in &planned {
        if !results.iter().any(|r| r.id == *id) {
            let mut c = Check::timed_out(*id, settings.check_timeout.as_secs_f64());
            c.elapsed_ms = Some(started.elapsed().as_millis() as u64);
            report(&c);
            results.push(c);
        }
    }
    results.sort_by_key(|c| c.id);
    Summary {
        target: req.target.clone(),
        checks: results,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

/// The folder at `path` when its reader panicked: unreadable (check 7 fails), not empty.
fn unread_folder(path: &std::path::Path) -> MigrationsDir {
    let why = "the folder reader panicked".to_owned();
    MigrationsDir {
        problems: vec![why.clone()],
        unreadable: Some(why),
        ..MigrationsDir::absent(path)
    }
}

/// `path` relative to the project root when under it.
fn shown_path(setup: &Setup, path: &std::path::Path) -> String {
    crate::sanitize::path(path.strip_prefix(&setup.root).unwrap_or(path))
}

/// Run `part` until `deadline`; its checks are sent as it produces them. At the deadline the
/// part is dropped (ending any child it runs) and each of `ids` it has not sent is sent as
/// timed out — the receiver keeps the first of each id, so those already sent stand.
async fn bounded<F>(
    deadline: tokio::time::Instant,
    settings: &PreflightSettings,
    tx: &UnboundedSender<Check>,
    ids: &[CheckId],
    part: F,
) where
    F: Future<Output = Vec<Check>>,
{
    match tokio::time::timeout_at(deadline, part).await {
        Ok(checks) => {
            for c in checks {
                let _ = tx.send(c);
            }
        }
        Err(_) => {
            for id in ids {
                let _ = tx.send(Check::timed_out(*id, settings.check_timeout.as_secs_f64()));
            }
        }
    }
}

/// Check 5 from one memory reading.
async fn memory_part(setup: &Setup) -> Vec<Check> {
    let thresholds = setup.config.memory.clone();
    let min = setup.config.preflight.min_available_bytes;
    let view = tokio::task::spawn_blocking(move || {
        let mut history = crate::model::memory::AvailableHistory::new();
        crate::collect::tasks::memory_pass(
            &crate::collect::memory::MemoryReader::system(),
            &mut history,
            &thresholds,
            0.0,
        )
    })
    .await;
    let t = &setup.config.memory;
    vec![match view {
        Ok(v) => memory::memory(v.snapshot.as_ref(), v.error.as_deref(), min, t),
        Err(_) => memory::memory(None, Some("the memory reader panicked"), min, t),
    }]
}

/// Checks 1, 2 and 6 from one process snapshot (sampled as `devtop status` does).
async fn processes_part(setup: &Setup) -> Vec<Check> {
    match crate::collect::once::collect(setup).await {
        Ok((snap, _)) => vec![
            processes::suspects(&snap),
            processes::studio(&snap),
            processes::heavy(&snap),
        ],
        Err(e) => [CheckId::Suspects, CheckId::Studio, CheckId::HeavyProcesses]
            .into_iter()
            .map(|id| {
                Check::new(
                    id,
                    preflight::Status::Fail,
                    format!("cannot read processes: {e}"),
                )
                .hint("check that /proc is mounted and readable")
            })
            .collect(),
    }
}

/// Check 3: the project's `prisma validate`, else the static check (against `local`, the
/// migrations folder already read for check 7). The file-system probes run on the blocking
/// pool, not the runtime thread the dashboard shares.
async fn schema_part(
    setup: &Setup,
    req: &Request,
    settings: &PreflightSettings,
    local: &MigrationsDir,
) -> Vec<Check> {
    let p = &setup.prisma;
    let shown = shown_path(setup, &p.schema_path);
    let (schema_path, root) = (p.schema_path.clone(), setup.root.clone());
    let (exists, cli) =
        tokio::task::spawn_blocking(move || (schema_path.exists(), find_cli(&root)))
            .await
            .unwrap_or((false, None));
    let env = setup.envs.iter().find(|e| e.name == req.target);
    let why_no_cli = match cli {
        Some(cli) if exists => {
            let v = validate::run(&cli, &p.schema_path, env, settings.cli_timeout).await;
            let cli_shown = shown_path(setup, &cli);
            if let Some(c) = schema::from_cli(&v, &cli_shown, &shown) {
                return vec![c];
            }
            match v {
                schema::Validated::CannotRun(why) => format!("{cli_shown} could not run: {why}"),
                _ => "the Prisma CLI gave no verdict".to_owned(),
            }
        }
        Some(_) => "the schema file is missing".to_owned(),
        None => "no Prisma CLI in node_modules/.bin".to_owned(),
    };
    vec![schema::static_check(
        &shown,
        exists,
        p.schema.as_ref(),
        &p.errors,
        local.lock_provider.as_deref(),
        &why_no_cli,
    )]
}

/// Checks 4, 8–12 (13) and 14: the target's probe first (its checks are sent as soon as it
/// answers), the CLI diff and the other deploy environments meanwhile.
async fn database_part(
    setup: &Setup,
    req: &Request,
    settings: &PreflightSettings,
    local: &Arc<MigrationsDir>,
    dashboard: Option<&DiffRound>,
    tx: &UnboundedSender<Check>,
    deadline: tokio::time::Instant,
) -> Vec<Check> {
    let Some(spec) = setup.envs.iter().find(|e| e.name == req.target) else {
        let why = format!("no environment named \"{}\"", req.target);
        return preflight::DATABASE_CHECKS
            .iter()
            .map(|id| Check::new(*id, preflight::Status::Fail, why.clone()))
            .collect();
    };
    let others: Vec<EnvSpec> = deploy_envs(setup, &req.target)
        .into_iter()
        .cloned()
        .collect();
    let schema = setup.prisma.schema.as_ref();
    let target_side = async {
        let snap = probe(spec).await;
        let view = database::view(local, schema, &snap, None);
        let _ = tx.send(database::connection(&snap, CONNECT_TIMEOUT_S));
        let _ = tx.send(database::failed(&snap, &view));
        let _ = tx.send(database::lock(&snap, &view));
        let _ = tx.send(database::edited(&snap, &view));
        let _ = tx.send(database::pending(&snap, &view));
        let _ = tx.send(lint(setup, &snap, &view, req.strict).await);
        // The drift diff after the probe: an unreachable database is not diffed.
        let schema_now = match dashboard {
            Some(_) => schema_stamp::read_async(setup.prisma.schema_path.clone()).await,
            None => Default::default(),
        };
        let known = dashboard
            .and_then(|d| d.fresh(&spec.name, local, &schema_now, setup.cli_gate.deploys()))
            .cloned();
        let (cli, busy) = match known {
            _ if snap.health.is_none() => (None, false),
            Some(k) => (Some(k), false),
            None => match drift_diff(setup, spec, settings, deadline).await {
                Diffed::Ran(r) => (Some(r), false),
                Diffed::NoCli => (None, false),
                Diffed::GateBusy => (None, true),
            },
        };
        let view = database::view(local, schema, &snap, cli.as_ref());
        let mut drift = database::drift(&snap, &view);
        if busy {
            drift.detail.push(
                "prisma migrate diff did not run: devtop's other Prisma CLI (a drift diff or a \
                 migrate) kept the turn too long"
                    .to_owned(),
            );
        }
        let _ = tx.send(drift);
        (snap, view)
    };
    let others_side = crate::collect::databases::once(&others);
    let ((_, target_view), others_snap) = tokio::join!(target_side, others_side);
    let other_views: Vec<EnvView> = others_snap
        .envs
        .iter()
        .map(|e| database::view(local, schema, e, None))
        .collect();
    let stages: Vec<Stage<'_>> = std::iter::once(Stage::of(&target_view))
        .chain(other_views.iter().map(Stage::of))
        .collect();
    vec![preflight::deploy::deploy_order(
        &req.target,
        &setup.config.deploy_order,
        &stages,
    )]
}

/// One read-only probe of `spec` (connect timeout 5 s).
async fn probe(spec: &EnvSpec) -> DbEnvSnapshot {
    let DbSnapshot { envs } = crate::collect::databases::once(std::slice::from_ref(spec)).await;
    envs.into_iter()
        .next()
        .unwrap_or_else(|| crate::collect::databases::initial(spec))
}

/// What [`drift_diff`] did.
enum Diffed {
    /// The CLI ran: its verdict.
    Ran(DiffResult),
    /// No Prisma CLI in the project, or no URL.
    NoCli,
    /// The session's gate stayed taken until too late for a diff of `cli_timeout` to finish
    /// by the part's deadline (devtop's column comparison stands in).
    GateBusy,
}

/// The project's `prisma migrate diff` for `spec`, within `cli_timeout` once it has its turn
/// at the session's gate — waited for until `deadline` less `cli_timeout`, so a diff that
/// starts can finish before the preflight's deadline.
async fn drift_diff(
    setup: &Setup,
    spec: &EnvSpec,
    settings: &PreflightSettings,
    deadline: tokio::time::Instant,
) -> Diffed {
    let (Some(target), Ok(url)) = (
        DiffTarget::for_project(&setup.root, &setup.prisma),
        spec.url.as_ref(),
    ) else {
        return Diffed::NoCli;
    };
    let wait_until = deadline
        .checked_sub(settings.cli_timeout)
        .unwrap_or_else(tokio::time::Instant::now);
    let turn = match tokio::time::timeout_at(wait_until, setup.cli_gate.turn()).await {
        Ok(t) => t,
        Err(_) => match setup.cli_gate.try_turn() {
            Some(t) => t,
            None => return Diffed::GateBusy,
        },
    };
    Diffed::Ran(prisma_diff::run_in_turn(&turn, &target, url, settings.cli_timeout).await)
}

/// Check 13: the lint of the target's pending migrations (unknown when check 12 could not
/// read them), read off the runtime.
async fn lint(setup: &Setup, snap: &DbEnvSnapshot, view: &EnvView, strict: bool) -> Check {
    let pending = match &view.migrations {
        Some(m) => Ok(m.to_deploy().into_iter().map(str::to_owned).collect()),
        None => Err(database::pending(snap, view)
            .detail
            .first()
            .cloned()
            .unwrap_or_else(|| format!("{}: migrations unknown", snap.name))),
    };
    let input = lint_check::LintInput {
        dir: setup.prisma.migrations_dir.clone(),
        root: setup.root.clone(),
        pending,
        opts: LintOptions {
            max_tables: setup.config.migrate.max_tables,
        },
        strict,
    };
    tokio::task::spawn_blocking(move || lint_check::check13(&input))
        .await
        .unwrap_or_else(|_| {
            Check::new(CheckId::Lint, preflight::Status::Fail, "the lint panicked")
                .hint("report this with the migrations that were pending")
        })
}

/// Check 15 from /proc.
async fn inotify_part() -> Vec<Check> {
    match tokio::task::spawn_blocking(crate::collect::inotify::read).await {
        Ok(u) => vec![preflight::inotify::inotify(&u)],
        Err(_) => vec![
            Check::new(
                CheckId::Inotify,
                preflight::Status::Fail,
                "the inotify reader panicked",
            )
            .hint("report this; the check cannot vouch for anything"),
        ],
    }
}
