//! `[deploy]`: the order environments are deployed in (seed 004: staging before production).

use super::validate::{Invalid, fail};
use serde::Deserialize;
use toml::Spanned;

/// `[deploy]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDeploy {
    order: Option<Spanned<Vec<String>>>,
}

impl RawDeploy {
    /// The order as set here (every name an environment: `local` or a `[[database]]` of the
    /// effective config, none twice, at least one), else `base`.
    pub(super) fn resolve(
        self,
        base: &[String],
        environments: &[&str],
    ) -> Result<Vec<String>, Invalid> {
        let Some(order) = self.order else {
            return Ok(base.to_vec());
        };
        let span = order.span();
        let names = order.into_inner();
        if names.is_empty() {
            return fail(span, "[deploy] order is empty: name the environments in deploy order, e.g. [\"staging\", \"production\"]".into());
        }
        for (i, n) in names.iter().enumerate() {
            if !environments.contains(&n.as_str()) {
                return fail(
                    span,
                    format!(
                        "[deploy] order names \"{n}\", which is no environment (have: {})",
                        environments.join(", ")
                    ),
                );
            }
            if names[..i].contains(n) {
                return fail(span, format!("[deploy] order names \"{n}\" twice"));
            }
        }
        Ok(names)
    }
}
