//! The effects executor: the one place the commands `update` returns meet the effects layer.
//! The TUI loop hands it every command and gets results back as [`Action`]s on its channel;
//! the headless commands call the same functions ([`kill`], [`dry_run`], [`servers_up`] with
//! its [`RequireProbe`], [`servers_down`]) and print the values.
//! Keeping one path keeps the kill safety rules (refusals, PID-reuse checks, group handling,
//! outcomes per PID) the same for both faces.

use crate::app::update::{Action, Command};
use crate::collect::environments::EnvSpec;
use crate::collect::tasks::ProcessControl;
use crate::effects::servers;
use crate::effects::signal::{self, KillOutcome, Planned};
use crate::model::database::DbEnvSnapshot;
use crate::model::kill_plan::PlannedKill;
use crate::model::local_migrations::MigrationsDir;
use crate::model::server::ServerSpec;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::OnceCell;
use tokio::sync::mpsc::UnboundedSender;

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
struct ListeningPorts;

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
    specs: &[ServerSpec],
    gate: &servers::up::Gate<'_>,
    report: &mut dyn FnMut(servers::Event),
) -> std::io::Result<Option<String>> {
    servers::up::up(root, specs, &ListeningPorts, gate, report).await
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

/// Stop the recorded servers of `root` (all, or those in `only`) in reverse order (see
/// [`servers::down::down`]); true when every process ended.
///
/// # Errors
/// The state file cannot be read or written.
pub async fn servers_down(
    root: &std::path::Path,
    specs: &[ServerSpec],
    only: &[String],
    report: &mut dyn FnMut(servers::Event),
) -> std::io::Result<bool> {
    servers::down::down(root, specs, only, report).await
}

/// The executor the TUI loop uses: where collector requests go and where results come back.
pub struct Executor {
    /// Requests to the process collector (scope, refresh now, interval).
    pub control: UnboundedSender<ProcessControl>,
    /// Results back to the loop, as actions.
    pub results: UnboundedSender<Action>,
    /// Grace before SIGKILL for kills.
    pub grace: Duration,
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
            face @ Command::LogScroll(_) => return Some(face),
        }
        None
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
