//! The `prisma migrate diff` command line and environment for one database.

use super::{DiffTarget, GRACE};
use crate::db::url::DbUrl;
use crate::effects::child::ChildSpec;
use crate::effects::prisma_cli::cli_major_version;
use std::path::Path;
use std::time::Duration;

/// The supervised child for diffing the database at `url` against the schema:
/// `prisma migrate diff --from-schema-datasource S --to-schema-datamodel S --exit-code`
/// (Prisma 7 and later: `--from-config-datasource --to-schema S`, as the datasource lives in
/// prisma.config.ts), run from the directory above the schema's folder.
///
/// The URL travels in the child's environment only, never in argv (which any user can read
/// in `/proc`): in every variable of `target.url_vars` (the shared rule of
/// [`crate::prisma::url_vars`]) — the schema engine prefers `directUrl`, so a staging diff
/// would otherwise introspect the local DIRECT_URL.
///
/// `timeout` bounds the whole run, the grace after `SIGTERM` included.
pub fn spec(target: &DiffTarget, url: &DbUrl, timeout: Duration) -> ChildSpec {
    let schema = &target.schema;
    let mut spec = ChildSpec::new(&target.cli).args(["migrate", "diff"]);
    spec = if cli_major_version(&target.cli).is_some_and(|v| v >= 7) {
        spec.arg("--from-config-datasource")
            .arg("--to-schema")
            .arg(schema)
    } else {
        spec.arg("--from-schema-datasource")
            .arg(schema)
            .arg("--to-schema-datamodel")
            .arg(schema)
    };
    spec = spec
        .arg("--exit-code")
        .grace(GRACE)
        .timeout(child_limit(timeout));
    for (k, v) in crate::prisma::url_vars::env_for(&target.url_vars, url) {
        spec = spec.env(k, v);
    }
    if let Some(dir) = schema.parent().and_then(Path::parent) {
        spec = spec.cwd(dir);
    }
    spec
}

/// The child's own time limit: `total` less the grace its stop may take (never below the
/// grace itself).
fn child_limit(total: Duration) -> Duration {
    total.saturating_sub(GRACE).max(GRACE)
}
