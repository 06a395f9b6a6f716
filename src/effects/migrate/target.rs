//! The target of a guarded migrate as read before and after the run: its migrations (Prisma
//! `migrate status` semantics, [`crate::model::migrations::merge`]) and who holds its migrate
//! lock, from one read-only probe; and the other migrate runs on this machine that work on
//! the same database (from one process pass).

use super::run_db;
use crate::collect::environments::EnvSpec;
use crate::collect::migrate_target::project_dir;
use crate::collect::processes::{ProcessCollector, Selection};
use crate::db::url::DbUrl;
use crate::model::database::{AppliedState, DbStatus};
use crate::model::db_health::LockHolder;
use crate::model::migrate_rules::is_migrate_run;
use crate::model::migrations::{EnvMigrations, MigrationState, merge};
use crate::model::process::Role;
use crate::model::tree::Scope;
use crate::setup::Setup;
use std::path::Path;

/// The target's state.
#[derive(Debug, Clone)]
pub struct TargetState {
    /// Environment name.
    pub name: String,
    /// Why it could not be read (down, table unreadable), when so.
    pub unreachable: Option<String>,
    /// Its migrations, when read (for a database that does not exist yet: every local
    /// migration pending).
    pub migrations: Option<EnvMigrations>,
    /// The database does not exist yet (PostgreSQL 3D000, MySQL 1049, a missing SQLite file):
    /// `prisma migrate deploy` creates it.
    pub missing: bool,
    /// The holder of Prisma's migrate lock, when held.
    pub lock: Option<LockHolder>,
    /// The local process holding it, when the holder's session connects over loopback (its
    /// client port's socket owner, as preflight check 9 finds it).
    pub lock_local_pid: Option<u32>,
}

impl TargetState {
    /// The migrations `prisma migrate deploy` would apply (names, oldest first): pending and
    /// rolled back ([`EnvMigrations::to_deploy`], as preflight counts them).
    pub fn pending(&self) -> Vec<String> {
        self.migrations
            .iter()
            .flat_map(EnvMigrations::to_deploy)
            .map(str::to_owned)
            .collect()
    }

    /// Migrations in `state`, oldest first.
    pub fn in_state(&self, state: MigrationState) -> Vec<String> {
        let mut v: Vec<String> = self
            .migrations
            .iter()
            .flat_map(|m| &m.items)
            .filter(|i| i.state == state)
            .map(|i| i.name.clone())
            .collect();
        v.sort();
        v
    }

    /// The state of migration `name`.
    pub fn state_of(&self, name: &str) -> Option<MigrationState> {
        self.migrations
            .as_ref()?
            .items
            .iter()
            .find(|i| i.name == name)
            .map(|i| i.state)
    }
}

/// Read `env` once (read-only probe: `SELECT 1`, `_prisma_migrations`, the migrate lock) and
/// merge with the local folder.
pub async fn read(setup: &Setup, env: &EnvSpec) -> TargetState {
    let snap = crate::collect::databases::once(std::slice::from_ref(env)).await;
    let dir = setup.prisma.migrations_dir.clone();
    let local =
        tokio::task::spawn_blocking(move || crate::prisma::migrations_dir::read(&dir)).await;
    let unread = |why: &str| TargetState {
        name: env.name.clone(),
        unreachable: Some(why.to_owned()),
        migrations: None,
        missing: false,
        lock: None,
        lock_local_pid: None,
    };
    // Fail closed: a folder that could not be read is not an empty one.
    let Ok(local) = local else {
        let e = snap.envs.into_iter().next();
        return TargetState {
            lock: e.as_ref().and_then(|e| e.lock.clone()),
            lock_local_pid: e.and_then(|e| e.lock_local_pid),
            ..unread("the migrations folder reader panicked")
        };
    };
    let Some(e) = snap.envs.into_iter().next() else {
        return unread("not probed");
    };
    let missing = e
        .error
        .as_ref()
        .is_some_and(|d| d.kind == crate::model::db_error::DbErrorKind::NoDatabase);
    let (migrations, unreachable) = match (&e.status, &e.applied) {
        _ if missing => (Some(merge(&local, None)), None),
        (_, AppliedState::Rows(r)) => (Some(merge(&local, Some(r))), None),
        (_, AppliedState::Absent) => (Some(merge(&local, None)), None),
        (_, AppliedState::Error(why)) => (None, Some(why.clone())),
        (DbStatus::Up, AppliedState::Unknown) => (None, Some("not read".into())),
        (_, AppliedState::Unknown) => (
            None,
            Some(
                e.error
                    .as_ref()
                    .map_or_else(|| "down".to_owned(), |d| d.to_string()),
            ),
        ),
    };
    TargetState {
        name: env.name.clone(),
        unreachable,
        migrations,
        missing,
        lock: e.lock,
        lock_local_pid: e.lock_local_pid,
    }
}

/// Another migrate run or schema-engine on this machine for the same database, or one whose
/// database devtop cannot tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherRun {
    /// Its PID.
    pub pid: u32,
    /// Its role label (`prisma-migrate`, `schema-engine`).
    pub role: String,
    /// Its command line, shortened, redacted and sanitised.
    pub cmd: String,
    /// True when neither its environment nor its project's `.env` names its database (it is
    /// refused, to be safe); false when it works on the target's database.
    pub unknown: bool,
}

/// The migrate runs (`prisma migrate …`, `db push`) and schema-engines of this user that work
/// on `url`'s database, resolved as Prisma resolves it ([`super::run_db`]): the variable in
/// the run's environment, else the `.env` of the project it runs in (its `--schema`'s or its
/// working directory's). A schema-engine counts with its nearest migrate ancestor, else the
/// project of its working directory. A run whose database cannot be resolved is listed with
/// [`OtherRun::unknown`]; one without any schema file is not (Prisma stops at once without
/// one). `exclude`: PIDs to leave out (devtop's own run).
pub fn other_runs(setup: &Setup, url: &DbUrl, exclude: &[u32]) -> Vec<OtherRun> {
    // Every run of this user, wherever it was started; devtop's own children stay hidden as
    // in the dashboard (the demo lists its stand-ins).
    let selection = Selection {
        scope: Scope::User,
        ..setup.selection.clone()
    };
    let Ok(mut collector) = ProcessCollector::new(selection) else {
        return Vec::new();
    };
    let snap = collector.collect();
    let ours = run_db::key(url);
    let mut resolver = run_db::Resolver::default();
    let by_pid = |pid: u32| snap.processes.iter().find(|p| p.pid == pid);
    let mut out = Vec::new();
    for p in &snap.processes {
        if exclude.contains(&p.pid) || p.state == 'Z' {
            continue;
        }
        let target = if p.role == Role::SchemaEngine {
            // Its own, else the nearest ancestor's.
            let mut t = p.migrate_target.clone();
            let mut up = p.ppid;
            let mut hops = 0;
            while t.is_none() && hops < 8 {
                let Some(q) = up.and_then(by_pid) else { break };
                t = q.migrate_target.clone();
                up = q.ppid;
                hops += 1;
            }
            // Else the project it runs in.
            t.or_else(|| {
                p.cwd
                    .as_deref()
                    .map(|c| format!("project {}", project_dir(c).display()))
            })
        } else if is_migrate_run(p) {
            p.migrate_target.clone()
        } else {
            continue;
        };
        let db = match target.as_deref() {
            Some(t) if t.starts_with("database ") => {
                run_db::RunDb::Keys([t["database ".len()..].to_owned()].into())
            }
            Some(t) if t.starts_with("project ") => {
                let dir = Path::new(&t["project ".len()..]);
                if !resolver.has_schema(&p.cmd, p.cwd.as_deref(), dir) {
                    // Prisma stops at once without a schema: it migrates nothing.
                    continue;
                }
                resolver.resolve(p.pid, dir)
            }
            _ => run_db::RunDb::Unknown,
        };
        let unknown = match db {
            run_db::RunDb::Unknown => true,
            run_db::RunDb::Keys(k) if ours.as_ref().is_some_and(|o| k.contains(o)) => false,
            run_db::RunDb::Keys(_) => continue,
        };
        out.push(OtherRun {
            pid: p.pid,
            role: p.role.label().to_owned(),
            cmd: crate::sanitize::clean(&crate::redact::text(&p.cmd.join(" "))).into_owned(),
            unknown,
        });
    }
    out
}
