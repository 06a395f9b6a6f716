//! Whether a server's `requires` hold, from one probe of the environments they name (pure):
//! `db:NAME` holds when NAME answered, `migrations:NAME` when NAME answered and has no pending
//! and no failed migration (the folder merged with `_prisma_migrations`, as
//! `devtop migrations` does).

use crate::model::database::{AppliedState, DbEnvSnapshot, DbStatus};
use crate::model::local_migrations::MigrationsDir;
use crate::model::migrations::{MigrationState, merge};
use crate::model::server::{Requirement, ServerSpec};

/// The environment names `specs` require, each once, in first-use order.
pub fn required_envs(specs: &[ServerSpec]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in specs.iter().flat_map(|s| &s.requires) {
        if !out.iter().any(|n| n == r.env()) {
            out.push(r.env().to_owned());
        }
    }
    out
}

/// Why `req` does not hold, given the probe of the environments (`envs`, found by name) and
/// the local migrations folder; `None` when it holds. The text names the environment and
/// ends with what to do: "local has 1 pending migration (20251104150000_add_uuid) — apply
/// it", "staging unreachable: timed out: no answer within 5.0 s".
pub fn unmet(req: &Requirement, envs: &[DbEnvSnapshot], local: &MigrationsDir) -> Option<String> {
    let name = req.env();
    let Some(env) = envs.iter().find(|e| e.name == name) else {
        return Some(format!("{name} was not probed"));
    };
    match env.status {
        DbStatus::Up => {}
        DbStatus::Unconfigured => {
            let why = env.unconfigured.as_deref().unwrap_or("no URL");
            return Some(format!("{name} is not configured ({why})"));
        }
        DbStatus::Down | DbStatus::Connecting => {
            let why = env
                .error
                .as_ref()
                .map_or_else(|| "no answer".to_owned(), ToString::to_string);
            return Some(format!("{name} unreachable: {why}"));
        }
    }
    if matches!(req, Requirement::Db(_)) {
        return None;
    }
    let rows = match &env.applied {
        AppliedState::Rows(rows) => Some(rows.as_slice()),
        AppliedState::Absent => None,
        AppliedState::Error(e) => {
            return Some(format!("{name}: cannot read _prisma_migrations: {e}"));
        }
        AppliedState::Unknown => return Some(format!("{name}: _prisma_migrations not read")),
    };
    let merged = merge(local, rows);
    // Failed first: it blocks `migrate deploy` before any pending one is applied.
    let kinds = [
        (
            MigrationState::Failed,
            "failed migration",
            "resolve it (prisma migrate resolve)",
        ),
        (MigrationState::Pending, "pending migration", "apply it"),
    ];
    kinds.into_iter().find_map(|(state, what, fix)| {
        let mut names: Vec<&str> = merged
            .items
            .iter()
            .filter(|m| m.state == state)
            .map(|m| m.name.as_str())
            .collect();
        names.sort_unstable();
        (!names.is_empty()).then(|| {
            let n = count(names.len(), what);
            format!("{name} has {n} ({}) — {fix}", names.join(", "))
        })
    })
}

/// "1 pending migration", "2 pending migrations".
fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Every unmet requirement of `spec`, joined with "; " (`None` when all hold).
pub fn unmet_all(
    spec: &ServerSpec,
    envs: &[DbEnvSnapshot],
    local: &MigrationsDir,
) -> Option<String> {
    let reasons: Vec<String> = spec
        .requires
        .iter()
        .filter_map(|r| unmet(r, envs, local))
        .collect();
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::db_error::{DbError, DbErrorKind};
    use crate::model::local_migrations::LocalMigration;
    use crate::model::migrations::AppliedRow;
    use std::path::Path;

    fn local(names: &[&str]) -> MigrationsDir {
        let mut d = MigrationsDir::absent(Path::new("prisma/migrations"));
        d.exists = true;
        d.migrations = names
            .iter()
            .map(|n| LocalMigration {
                name: (*n).to_owned(),
                checksums: vec!["ab".into()],
                error: None,
            })
            .collect();
        d
    }

    fn row(name: &str, finished: bool) -> AppliedRow {
        AppliedRow {
            id: name.into(),
            checksum: "ab".into(),
            finished_at_ms: finished.then_some(2),
            migration_name: name.into(),
            logs: None,
            rolled_back_at_ms: None,
            started_at_ms: 1,
            applied_steps_count: 1,
        }
    }

    fn up(rows: Vec<AppliedRow>) -> DbEnvSnapshot {
        let mut e = DbEnvSnapshot::new("local", "DATABASE_URL");
        e.status = DbStatus::Up;
        e.applied = AppliedState::Rows(rows);
        e
    }

    #[test]
    fn pending_and_failed_migrations_hold_applied_ones_do_not() {
        let dir = local(&["1_a", "2_b"]);
        let req = Requirement::Migrations("local".into());
        let pending = up(vec![row("1_a", true)]);
        assert_eq!(
            unmet(&req, std::slice::from_ref(&pending), &dir).as_deref(),
            Some("local has 1 pending migration (2_b) — apply it")
        );
        assert_eq!(
            unmet(&Requirement::Db("local".into()), &[pending], &dir),
            None
        );
        let failed = up(vec![row("1_a", true), row("2_b", false)]);
        assert!(
            unmet(&req, &[failed], &dir)
                .expect("unmet")
                .contains("1 failed migration (2_b)")
        );
        assert_eq!(
            unmet(&req, &[up(vec![row("1_a", true), row("2_b", true)])], &dir),
            None
        );
        let mut absent = up(vec![]);
        absent.applied = AppliedState::Absent;
        assert!(
            unmet(&req, &[absent], &dir)
                .expect("unmet")
                .starts_with("local has 2 pending migrations (1_a, 2_b)")
        );
    }

    #[test]
    fn an_unreachable_environment_holds_both_kinds() {
        let mut e = DbEnvSnapshot::new("staging", "STAGING_URL");
        e.status = DbStatus::Down;
        e.error = Some(DbError::new(DbErrorKind::Refused, "refused"));
        for req in [
            Requirement::Db("staging".into()),
            Requirement::Migrations("staging".into()),
        ] {
            assert_eq!(
                unmet(&req, std::slice::from_ref(&e), &local(&[])).as_deref(),
                Some("staging unreachable: connection refused: refused")
            );
        }
    }
}
