//! `[processes]`: which process names and argv words devtop watches.

use serde::Deserialize;

/// Process-name and argv words matched by default.
pub const DEFAULT_MATCH: &[&str] = &["node", "prisma", "tsx", "vite", "schema-engine"];

/// `[processes]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProcesses {
    /// `match`: replaces the base's words.
    #[serde(rename = "match")]
    match_words: Option<Vec<String>>,
    /// `extra`: added to them.
    #[serde(default)]
    extra: Vec<String>,
}

impl RawProcesses {
    /// The words matched: `match` (else `base`), then `extra`.
    pub(super) fn resolve(self, base: &[String]) -> Vec<String> {
        let mut words = self.match_words.unwrap_or_else(|| base.to_vec());
        words.extend(self.extra);
        words
    }
}
