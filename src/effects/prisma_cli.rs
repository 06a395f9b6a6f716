//! The project's own Prisma CLI: where it is, which major version, and the gate that keeps
//! devtop from running two of them at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// The project's Prisma CLI, when installed: `<root>/node_modules/.bin/prisma`, a regular
/// executable file (symlinks followed).
pub fn find_cli(root: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let p = root.join("node_modules/.bin/prisma");
    let executable =
        std::fs::metadata(&p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    executable.then_some(p)
}

/// Major version of the Prisma CLI next to `cli` (`node_modules/prisma/package.json`,
/// `"version": "7.1.0"` → 7); `None` when it cannot be read.
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

/// One permit for running the project's Prisma CLI or its schema-engine: whoever holds it is
/// the only one devtop runs (the dashboard's background drift diff, preflight's drift diff,
/// the guarded migrate's command for its whole run), so two schema-engines of devtop never
/// race for the same database or the CPU. (`prisma validate` starts no schema-engine and
/// takes no turn.)
///
/// One per session: it lives in [`crate::setup::Setup`], and clones share the one permit.
/// It also counts the migrate runs that took a turn ([`PrismaCliGate::deploys`]), so a drift
/// diff taken before a deploy can be told stale.
#[derive(Debug, Clone)]
pub struct PrismaCliGate {
    permit: Arc<Semaphore>,
    deploys: Arc<watch::Sender<u64>>,
}

/// Held while a Prisma CLI runs; dropping it lets the next one start.
#[derive(Debug)]
pub struct PrismaCliTurn {
    _permit: OwnedSemaphorePermit,
}

impl PrismaCliGate {
    /// A gate with its one permit free.
    pub fn new() -> PrismaCliGate {
        PrismaCliGate {
            permit: Arc::new(Semaphore::new(1)),
            deploys: Arc::new(watch::Sender::new(0)),
        }
    }

    /// [`PrismaCliGate::turn`] for a migrate run: the count of [`PrismaCliGate::deploys`] goes
    /// up as the turn is taken (the database may change from then on).
    pub async fn deploy_turn(&self) -> PrismaCliTurn {
        let turn = self.turn().await;
        self.deploys.send_modify(|n| *n += 1);
        turn
    }

    /// How many migrate runs took a turn so far in this session. A diff that began when this
    /// was `n` saw no migrate run after it while this is still `n`.
    pub fn deploys(&self) -> u64 {
        *self.deploys.borrow()
    }

    /// [`PrismaCliGate::deploys`] as it changes (the dashboard's drift diff runs again after a
    /// migrate run, whose turn it then waits for).
    pub fn watch_deploys(&self) -> watch::Receiver<u64> {
        self.deploys.subscribe()
    }

    /// Waits until no other Prisma CLI of devtop runs (first come, first served), then holds
    /// the gate until the returned turn is dropped. Cancel-safe.
    pub async fn turn(&self) -> PrismaCliTurn {
        let permit = Arc::clone(&self.permit)
            .acquire_owned()
            .await
            // The semaphore is never closed: this value holds it and never calls close().
            .unwrap_or_else(|_| unreachable!("the Prisma CLI gate is never closed"));
        PrismaCliTurn { _permit: permit }
    }

    /// The turn if the gate is free now, else `None` (for "refuse while another runs").
    pub fn try_turn(&self) -> Option<PrismaCliTurn> {
        Arc::clone(&self.permit)
            .try_acquire_owned()
            .ok()
            .map(|p| PrismaCliTurn { _permit: p })
    }
}

impl Default for PrismaCliGate {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_admits_one_at_a_time_across_clones() {
        let gate = PrismaCliGate::new();
        let other = gate.clone();
        let first = gate.try_turn().unwrap();
        assert!(other.try_turn().is_none());
        drop(first);
        assert!(other.try_turn().is_some());
    }

    #[tokio::test]
    async fn a_deploy_turn_is_counted_and_excludes_a_diff() {
        let gate = PrismaCliGate::new();
        assert_eq!(gate.deploys(), 0);
        let deploy = gate.clone().deploy_turn().await;
        assert_eq!(gate.deploys(), 1);
        assert!(gate.try_turn().is_none(), "no diff while the deploy runs");
        drop(deploy);
        assert!(gate.try_turn().is_some());
    }

    #[test]
    fn find_and_version() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_cli(dir.path()), None);
        let bin = dir.path().join("node_modules/.bin");
        std::fs::create_dir_all(&bin).unwrap();
        let cli = bin.join("prisma");
        std::fs::write(&cli, "#!/bin/sh\n").unwrap();
        assert_eq!(find_cli(dir.path()), None, "not executable");
        std::fs::set_permissions(&cli, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_cli(dir.path()), Some(cli.clone()));
        assert_eq!(cli_major_version(&cli), None);
        std::fs::create_dir_all(dir.path().join("node_modules/prisma")).unwrap();
        std::fs::write(
            dir.path().join("node_modules/prisma/package.json"),
            r#"{"name":"prisma","version":"7.1.0"}"#,
        )
        .unwrap();
        assert_eq!(cli_major_version(&cli), Some(7));
    }
}
