//! The effects executor: the one place the commands `update` returns meet the effects layer.
//! The TUI loop hands it every command and gets results back as [`Action`]s on its channel;
//! the headless commands call the same functions ([`kill`], [`dry_run`], [`servers_up`] with
//! its [`RequireProbe`], [`servers_down`]) and print the values.
//! Keeping one path keeps the kill safety rules (refusals, PID-reuse checks, group handling,
//! outcomes per PID) the same for both faces.

use crate::app::migrate::MigrateUpdate;
use crate::app::update::{Action, Command};
use crate::collect::environments::EnvSpec;
use crate::collect::tasks::ProcessControl;
use crate::effects::migrate::gate::GateVerdict;
use crate::effects::migrate::guarded::{self, Event, Prepared, Stop};
use crate::effects::servers;
use crate::effects::signal::{self, KillOutcome, Planned};
use crate::model::database::DbEnvSnapshot;
use crate::model::kill_plan::PlannedKill;
use crate::model::local_migrations::MigrationsDir;
use crate::model::server::ServerSpec;
use crate::setup::Setup;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

/// Signal `plan` (children first; the planner's order) with `grace` before SIGKILL, waiting
/// on the pidfds through the runtime (no thread blocks). Returns the outcome per PID in plan
/// order; every failure is an outcome, never a panic.
pub async fn kill(plan: &[PlannedKill], grace: Duration) -> Vec<(u32, KillOutcome)> {
    let targets: Vec<_> = plan.iter().map(PlannedKill::target).collect();
    signal::kill_targets_async(&targets, grace).await
}

/// What [`kill`] would send to each process of `plan` (nothing is signalled): the planned
/// signal, or the outcome that stops it (gone, reused PID, refused by a guard).
pub fn dry_run(plan: &[PlannedKill]) -> Vec<(u32, Result<Planned, KillOutcome>)> {
    let targets: Vec<_> = plan.iter().map(PlannedKill::target).collect();
    signal::plan(&targets)
}

/// The ports view of the collectors, for the server supervisor's check before a start:
/// listening sockets through sock_diag (or `/proc/net/tcp*`), the holder from the fd links of
/// the user's processes.
pub struct ListeningPorts;

impl servers::up::PortCheck for ListeningPorts {
    fn holder(&self, port: u16) -> servers::up::PortState {
        if crate::collect::ports::ListenTable::read().has_port(port) {
            servers::up::PortState::Taken(crate::collect::socket_owner::owner_of_local_port(port))
        } else {
            servers::up::PortState::Free
        }
    }
}

/// Start `specs` (in start order) in the project `root`, reporting each step (see
/// [`servers::up::up`]): `Ok(None)` when all are ready, `Ok(Some(name))` for the server that
/// failed (what was started is stopped again).
///
/// # Errors
/// The state file cannot be read or written.
pub async fn servers_up(
    root: &std::path::Path,
    lock: &servers::lock::StateLock,
    specs: &[ServerSpec],
    gate: &servers::up::Gate<'_>,
    report: &mut dyn FnMut(servers::Event),
) -> std::io::Result<Option<String>> {
    servers::up::up(root, lock, specs, &ListeningPorts, gate, report).await
}

/// [`servers_up`] keeping hold of what it started, for a [`servers::supervise::Supervisor`]
/// (see [`servers::up::start`]).
///
/// # Errors
/// The state file cannot be read or written.
pub async fn servers_start(
    root: &std::path::Path,
    lock: &servers::lock::StateLock,
    specs: &[ServerSpec],
    gate: &servers::up::Gate<'_>,
    report: &mut dyn FnMut(servers::Event),
) -> std::io::Result<servers::up::Launched> {
    servers::up::start(root, lock, specs, &ListeningPorts, gate, report).await
}

/// The `requires` check of [`servers_up`]: the environments some of a set of servers
/// require, each probed once on first use (read-only sessions, 5 s connect timeout; the
/// probes of one check run in parallel), and the local migrations folder.
pub struct RequireProbe {
    /// Required environments, each with its probe once made (`None` inside when the probe
    /// returned nothing).
    envs: Vec<(EnvSpec, OnceCell<Option<DbEnvSnapshot>>)>,
    /// The local migrations folder (read only when some server requires something).
    local: MigrationsDir,
}

impl RequireProbe {
    /// The check for `specs`: the environments of `all` they name in `requires` (nothing is
    /// contacted yet), the folder `migrations_dir` read now.
    pub fn new(specs: &[ServerSpec], all: &[EnvSpec], migrations_dir: &Path) -> RequireProbe {
        let names = crate::model::server_requires::required_envs(specs);
        let envs = all
            .iter()
            .filter(|e| names.contains(&e.name))
            .map(|e| (e.clone(), OnceCell::new()))
            .collect();
        let local = if names.is_empty() {
            MigrationsDir::absent(migrations_dir)
        } else {
            crate::prisma::migrations_dir::read(migrations_dir)
        };
        RequireProbe { envs, local }
    }
}

impl servers::up::Requires for RequireProbe {
    fn unmet<'a>(
        &'a self,
        spec: &'a ServerSpec,
    ) -> Pin<Box<dyn Future<Output = Option<String>> + 'a>> {
        Box::pin(async move {
            let wanted = self
                .envs
                .iter()
                .filter(|(e, _)| spec.requires.iter().any(|r| r.env() == e.name));
            let probes = wanted.map(|(env, cell)| {
                cell.get_or_init(move || async move {
                    let snap = crate::collect::databases::once(std::slice::from_ref(env)).await;
                    snap.envs.into_iter().next()
                })
            });
            let envs: Vec<DbEnvSnapshot> = futures::future::join_all(probes)
                .await
                .into_iter()
                .flatten()
                .cloned()
                .collect();
            crate::model::server_requires::unmet_all(spec, &envs, &self.local)
        })
    }
}

/// Stop the recorded servers of `root` (all for `only = None`, else those named) in reverse order (see
/// [`servers::down::down`]); true when every process ended.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn servers_down(
    root: &std::path::Path,
    lock: &servers::lock::StateLock,
    specs: &[ServerSpec],
    only: Option<&[String]>,
    report: &mut dyn FnMut(servers::Event),
) -> std::io::Result<bool> {
    servers::down::down(root, lock, specs, only, report).await
}

/// Stop the recorded servers while another devtop holds the state-file lock (it supervises
/// them): ask it to let go, stop them from here ([`servers::down::down_beside`]).
///
/// # Errors
/// The state file cannot be read, or a stop request cannot be written.
pub async fn servers_down_beside(
    root: &std::path::Path,
    specs: &[ServerSpec],
    only: Option<&[String]>,
    report: &mut dyn FnMut(servers::Event),
) -> std::io::Result<bool> {
    servers::down::down_beside(root, specs, only, report).await
}

/// The guarded migrate's side of the executor: the project, the migrate prepared while its
/// warning waits for a yes, and the switch that ends a running one.
pub struct MigrateRunner {
    /// The project (environments, config, migrations folder).
    pub setup: Arc<Setup>,
    prepared: Mutex<Option<Prepared>>,
    end: Mutex<Option<watch::Sender<bool>>>,
}

impl MigrateRunner {
    /// A runner for `setup`.
    pub fn new(setup: Arc<Setup>) -> Arc<MigrateRunner> {
        Arc::new(MigrateRunner {
            setup,
            prepared: Mutex::new(None),
            end: Mutex::new(None),
        })
    }

    /// True while a migrate command runs (after its gate and confirmation, before its end):
    /// the one phase where ending it cuts a migration in the middle.
    pub fn running(&self) -> bool {
        self.end.lock().map(|s| s.is_some()).unwrap_or(false)
    }
}

fn send_migrate(tx: &UnboundedSender<Action>, u: MigrateUpdate) {
    let _ = tx.send(Action::Migrate(u));
}

/// Prepare the migrate of `env` (refusals, preflight); run it at once when the gate passed,
/// else keep it for [`run_prepared`] and report the warning.
async fn migrate(r: Arc<MigrateRunner>, env: String, tx: UnboundedSender<Action>) {
    let t = tx.clone();
    let mut report = move |e: Event| send_migrate(&t, MigrateUpdate::Event(e));
    let done = |ok: bool, why: &str| {
        send_migrate(&tx, MigrateUpdate::Done(env.clone(), ok, why.to_owned()))
    };
    match guarded::prepare(&r.setup, &env, &mut report).await {
        Err(Stop::Usage(why)) => {
            report(Event::Warn(why));
            done(false, "not started (see Logs)");
        }
        Err(Stop::Refused) => done(false, "refused (see Logs)"),
        Err(Stop::GateFailed) => done(false, "preflight failed, not migrating (see Logs)"),
        Ok(p) if p.gate.verdict == GateVerdict::Warn => {
            if let Ok(mut slot) = r.prepared.lock() {
                *slot = Some(p);
            }
            send_migrate(&tx, MigrateUpdate::Warned(env.clone()));
        }
        Ok(p) => run_prepared(&r, p, &tx).await,
    }
}

/// Run a prepared migrate to its end (the watchdog asks before ending a hung run).
async fn run_prepared(r: &MigrateRunner, p: Prepared, tx: &UnboundedSender<Action>) {
    let (etx, erx) = watch::channel(false);
    if let Ok(mut slot) = r.end.lock() {
        *slot = Some(etx);
    }
    let t = tx.clone();
    let mut report = move |e: Event| send_migrate(&t, MigrateUpdate::Event(e));
    let done = guarded::execute(&r.setup, &p, false, Some(erx), &mut report).await;
    if let Ok(mut slot) = r.end.lock() {
        *slot = None;
    }
    let why = if done.refused {
        "refused (see Logs)".to_owned()
    } else {
        guarded::result_text(&done.outcome)
    };
    send_migrate(tx, MigrateUpdate::Done(p.env.name.clone(), done.ok(), why));
}

/// The executor the TUI loop uses: where collector requests go and where results come back.
pub struct Executor {
    /// Requests to the process collector (scope, refresh now, interval).
    pub control: UnboundedSender<ProcessControl>,
    /// Results back to the loop, as actions.
    pub results: UnboundedSender<Action>,
    /// Grace before SIGKILL for kills.
    pub grace: Duration,
    /// The dev-server supervisor (`None`: no `[[server]]` configured, or a test).
    pub servers: Option<crate::app::server_worker::ServerWorker>,
    /// The guarded migrate (`None` where there is no project, e.g. in unit tests).
    pub migrate: Option<Arc<MigrateRunner>>,
    /// The project, for the preflight runner (`None`: preflight requests are refused with a
    /// log line).
    pub setup: Option<std::sync::Arc<crate::setup::Setup>>,
    /// The dashboard's latest background drift round, which preflight's check 11 reuses when
    /// it is fresh (`None`: preflight diffs itself).
    pub drift: Option<watch::Receiver<Arc<crate::model::cli_diff::DiffRound>>>,
    /// The writer of the project's `.devtop/deaths.json` (`None`: post-mortems are only
    /// logged, as in unit tests); see [`deaths_writer`].
    pub deaths: Option<crate::effects::deaths::Writer>,
}

/// The writer of `root`'s `.devtop/deaths.json` for [`Executor::deaths`]: a failed write is
/// logged as a warning (the Logs pane).
pub fn deaths_writer(root: std::path::PathBuf) -> crate::effects::deaths::Writer {
    crate::effects::deaths::Writer::spawn(root, |e| {
        log::warn!("cannot record post-mortems in .devtop/deaths.json: {e}");
    })
}

impl Executor {
    /// Run one command. Kills run on the blocking pool and come back as
    /// [`Action::KillDone`]; log lines are written at once. Returns the commands that belong
    /// to the terminal face (log scrolling), for the caller to apply.
    pub fn execute(&self, cmd: Command) -> Option<Command> {
        match cmd {
            Command::Kill(plan) => {
                // Logged per PID once the outcome is known (Action::KillDone), never before.
                let (tx, grace) = (self.results.clone(), self.grace);
                tokio::spawn(async move {
                    let outcomes = kill(&plan, grace).await;
                    let _ = tx.send(Action::KillDone(plan, outcomes));
                });
            }
            Command::SetScope(s) => {
                let _ = self.control.send(ProcessControl::SetScope(s));
            }
            Command::Refresh => {
                let _ = self.control.send(ProcessControl::RefreshNow);
            }
            Command::SetRefresh(d) => {
                let _ = self.control.send(ProcessControl::SetRefresh(d));
            }
            Command::Log(level, msg) => log::log!(level, "{msg}"),
            Command::PortDecision(d) => {
                if let Some(w) = &self.servers {
                    w.decide(d);
                }
            }
            Command::Servers(op) => match &self.servers {
                Some(w) => w.send(op),
                None => {
                    let done =
                        crate::app::servers::OpOutcome::Error("no [[server]] is configured".into());
                    let _ = self.results.send(Action::ServersDone(op, done));
                }
            },
            Command::Alert {
                summary,
                body,
                notify,
            } => {
                crate::effects::alert::bell();
                if notify {
                    tokio::spawn(async move {
                        if let Err(e) = crate::effects::alert::notify(&summary, &body).await {
                            log::warn!("memory guard: desktop notification failed: {e}");
                        }
                    });
                }
            }
            Command::Migrate(env) => match &self.migrate {
                Some(r) => {
                    tokio::spawn(migrate(r.clone(), env, self.results.clone()));
                }
                None => send_migrate(
                    &self.results,
                    MigrateUpdate::Done(env, false, "no project to migrate".into()),
                ),
            },
            Command::MigrateRun(env) => {
                let prepared = self
                    .migrate
                    .as_ref()
                    .and_then(|r| r.prepared.lock().ok().and_then(|mut s| s.take()));
                match (&self.migrate, prepared) {
                    (Some(r), Some(p)) if p.env.name == env => {
                        let (r, tx) = (r.clone(), self.results.clone());
                        tokio::spawn(async move { run_prepared(&r, p, &tx).await });
                    }
                    _ => send_migrate(
                        &self.results,
                        MigrateUpdate::Done(env, false, "nothing prepared to run".into()),
                    ),
                }
            }
            Command::MigrateEnd => {
                if let Some(r) = &self.migrate
                    && let Ok(slot) = r.end.lock()
                    && let Some(tx) = slot.as_ref()
                {
                    let _ = tx.send(true);
                }
            }
            Command::Preflight(req, run) => self.preflight(req, run),
            Command::RecordDeaths(deaths) => {
                if let Some(w) = &self.deaths {
                    w.append(deaths);
                }
            }
            face @ Command::LogScroll(_) => return Some(face),
        }
        None
    }
}

/// Spinner ticks of a running preflight.
const PREFLIGHT_TICK: Duration = Duration::from_millis(120);

impl Executor {
    /// Run the preflight `req` as run `run` on the runtime: a tick every 120 ms while it lasts,
    /// each check as it is judged, then the summary — all as [`Action::Preflight`].
    fn preflight(&self, req: crate::effects::preflight::Request, run: u64) {
        use crate::app::preflight::PreflightEvent;
        let Some(setup) = self.setup.clone() else {
            log::warn!("preflight: no project set up");
            return;
        };
        let tx = self.results.clone();
        let drift = self.drift.as_ref().map(|d| d.borrow().clone());
        tokio::spawn(async move {
            log::info!("preflight started for {}", req.target);
            let ticks = {
                let tx = tx.clone();
                async move {
                    let mut every = tokio::time::interval(PREFLIGHT_TICK);
                    loop {
                        every.tick().await;
                        if tx
                            .send(Action::Preflight(PreflightEvent::Tick(run)))
                            .is_err()
                        {
                            break;
                        }
                    }
                }
            };
            let checks = crate::effects::preflight::run(&setup, &req, drift.as_deref(), |c| {
                let _ = tx.send(Action::Preflight(PreflightEvent::Check(run, c.clone())));
            });
            let summary = tokio::select! {
                s = checks => s,
                () = ticks => return,
            };
            let (pass, warn, fail, skipped) = summary.counts();
            log::info!(
                "preflight {}: {pass} passed, {warn} warned, {fail} failed, {skipped} skipped in {:.1} s",
                summary.target,
                summary.elapsed_ms as f64 / 1000.0
            );
            let _ = tx.send(Action::Preflight(PreflightEvent::Done(run, summary)));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tree::Scope;
    use tokio::sync::mpsc;

    #[tokio::test]
    async fn collector_requests_go_to_the_collector_and_log_scrolling_back_to_the_face() {
        let (ctx, mut crx) = mpsc::unbounded_channel();
        let (atx, _arx) = mpsc::unbounded_channel();
        let ex = Executor {
            control: ctx,
            results: atx,
            grace: Duration::from_secs(1),
            servers: None,
            migrate: None,
            setup: None,
            drift: None,
            deaths: None,
        };
        assert_eq!(ex.execute(Command::SetScope(Scope::User)), None);
        assert_eq!(ex.execute(Command::Refresh), None);
        let scroll = Command::LogScroll(crate::app::update::LogScroll::Up);
        assert_eq!(ex.execute(scroll.clone()), Some(scroll));
        assert!(matches!(
            crx.recv().await,
            Some(ProcessControl::SetScope(Scope::User))
        ));
        assert!(matches!(crx.recv().await, Some(ProcessControl::RefreshNow)));
    }

    #[tokio::test]
    async fn an_empty_plan_signals_nothing() {
        assert!(kill(&[], Duration::ZERO).await.is_empty());
        assert!(dry_run(&[]).is_empty());
    }
}
