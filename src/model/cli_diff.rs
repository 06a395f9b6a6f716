//! What the project's Prisma CLI said about schema ↔ database drift (`prisma migrate diff
//! --exit-code`), per environment.
//!
//! Pure data: produced by `crate::effects::prisma_diff` (its `schedule` publishes them).

use crate::model::local_migrations::MigrationsDir;
use std::collections::BTreeMap;
use std::time::Duration;

/// What one `prisma migrate diff` said.
#[derive(Debug, Clone, PartialEq)]
pub enum DiffResult {
    /// Exit 0: the database matches the schema.
    InSync,
    /// Exit 2: it differs; the CLI's summary lines ("[+] Added tables", "  - cameras", ...).
    Differs(Vec<String>),
    /// Exit 1 or a spawn failure: the message.
    Failed(String),
    /// Did not finish within the limit; its process group was killed.
    TimedOut(Duration),
}

/// Latest CLI diff per environment name.
pub type CliDiffs = BTreeMap<String, DiffResult>;

/// What the Prisma schema held when it was read: per `.prisma` file (schema.prisma, or each
/// file of a schema folder, in path order) its path and a hash of its bytes (`None` when it
/// could not be read). Two stamps differ when a file was edited, added or removed. Read by
/// `crate::prisma::schema_stamp::read`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaStamp(pub Vec<(std::path::PathBuf, Option<u64>)>);

/// One round of the dashboard's background diffs and what it was taken for, so a preflight
/// can reuse it instead of running `prisma migrate diff` again.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffRound {
    /// The diff per environment name.
    pub diffs: std::sync::Arc<CliDiffs>,
    /// The migrations folder as read when the round began.
    pub folder: std::sync::Arc<MigrationsDir>,
    /// The schema file(s) as read when the round began.
    pub schema: SchemaStamp,
    /// The session's count of migrate runs when the round began (the Prisma CLI gate's
    /// `deploys`).
    pub deploys: u64,
}

impl DiffRound {
    /// An empty round (nothing diffed yet).
    pub fn empty() -> DiffRound {
        DiffRound {
            diffs: std::sync::Arc::new(CliDiffs::new()),
            folder: std::sync::Arc::new(MigrationsDir::absent(std::path::Path::new(""))),
            schema: SchemaStamp::default(),
            deploys: 0,
        }
    }

    /// The diff of `env` when it still holds: the round was taken for a folder equal to
    /// `folder` and a schema equal to `schema` (neither edited since), no migrate run took a
    /// turn since it began (`deploys` unchanged), and the CLI gave a verdict (a failed or
    /// timed-out diff is not reused).
    pub fn fresh(
        &self,
        env: &str,
        folder: &MigrationsDir,
        schema: &SchemaStamp,
        deploys: u64,
    ) -> Option<&DiffResult> {
        if self.deploys != deploys || *self.folder != *folder || self.schema != *schema {
            return None;
        }
        self.diffs
            .get(env)
            .filter(|r| matches!(r, DiffResult::InSync | DiffResult::Differs(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_round_is_fresh_only_for_its_folder_before_any_deploy_and_with_a_verdict() {
        let dir = MigrationsDir::absent(std::path::Path::new("/p/prisma/migrations"));
        let mut diffs = CliDiffs::new();
        diffs.insert("local".into(), DiffResult::InSync);
        diffs.insert(
            "staging".into(),
            DiffResult::TimedOut(Duration::from_secs(60)),
        );
        diffs.insert("ci".into(), DiffResult::Failed("P1001".into()));
        let schema = SchemaStamp(vec![("/p/prisma/schema.prisma".into(), Some(1))]);
        let round = DiffRound {
            diffs: Arc::new(diffs),
            folder: Arc::new(dir.clone()),
            schema: schema.clone(),
            deploys: 2,
        };
        let s = &schema;
        assert_eq!(round.fresh("local", &dir, s, 2), Some(&DiffResult::InSync));
        assert_eq!(round.fresh("local", &dir, s, 3), None, "a deploy ran since");
        let mut changed = dir.clone();
        changed.exists = true;
        assert_eq!(
            round.fresh("local", &changed, s, 2),
            None,
            "the folder changed"
        );
        let edited = SchemaStamp(vec![("/p/prisma/schema.prisma".into(), Some(2))]);
        assert_eq!(
            round.fresh("local", &dir, &edited, 2),
            None,
            "the schema changed"
        );
        assert_eq!(
            round.fresh("staging", &dir, s, 2),
            None,
            "timed out: diff again"
        );
        assert_eq!(round.fresh("ci", &dir, s, 2), None, "failed: diff again");
        assert_eq!(round.fresh("prod", &dir, s, 2), None, "not diffed");
        assert_eq!(DiffRound::empty().fresh("local", &dir, s, 0), None);
    }
}
