//! What the project's Prisma CLI said about schema ↔ database drift (`prisma migrate diff
//! --exit-code`), per environment.
//!
//! Pure data: produced by `crate::effects::prisma_diff` (its `schedule` publishes them).

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
