//! `[keys]`: the user's key overrides, action name = key or keys (`kill = "x"`,
//! `help = ["?", "F1"]`). Each file's entries patch what the files before it set (the project
//! file over the per-user one), then the result is checked against the key table
//! ([`crate::app::keys::KeyMap::with_overrides`]): unknown action names, keys that do not parse
//! and two actions on one key are errors pointing at the entry.

use super::validate::Invalid;
use crate::app::keys::KeyMap;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// Action name → the keys that trigger it, in the order they apply.
pub type KeyOverrides = Vec<(String, Vec<String>)>;

/// One `[keys]` value: a key or a list of keys.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawKey {
    One(String),
    Many(Vec<String>),
}

/// The `[keys]` table as written.
pub(super) type RawKeys = BTreeMap<String, Spanned<RawKey>>;

/// `base` patched by `raw`, checked against the key table. Errors: the span of the offending
/// entry's value in the file (the file's start when the clash is with an earlier file's entry)
/// and the message.
pub(super) fn merge(base: &KeyOverrides, raw: &RawKeys) -> Result<KeyOverrides, Invalid> {
    let mut out: KeyOverrides = base
        .iter()
        .filter(|(action, _)| !raw.contains_key(action))
        .cloned()
        .collect();
    for (action, value) in raw {
        let keys = match value.get_ref() {
            RawKey::One(k) => vec![k.clone()],
            RawKey::Many(ks) => ks.clone(),
        };
        out.push((action.clone(), keys));
    }
    match KeyMap::with_overrides(&out) {
        Ok(_) => Ok(out),
        Err(e) => {
            let span = raw.get(&e.action).map_or(0..0, Spanned::span);
            Err(Invalid {
                span,
                message: e.message,
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    fn parse(t: &str) -> Result<Config, String> {
        Config::parse(t, Path::new("devtop.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn keys_patch_the_table() {
        let c = parse("[keys]\nkill = \"D\"\nhelp = [\"h\", \"F1\"]\n").unwrap();
        assert_eq!(
            c.keys,
            vec![
                ("help".to_string(), vec!["h".to_string(), "F1".to_string()]),
                ("kill".to_string(), vec!["D".to_string()]),
            ]
        );
        assert!(parse("").unwrap().keys.is_empty());
    }

    #[test]
    fn bad_entries_name_the_file_line_and_key() {
        let e = parse("refresh = \"1s\"\n[keys]\nexplode = \"e\"\n").unwrap_err();
        assert!(e.starts_with("devtop.toml:3:"), "{e}");
        assert!(e.contains("explode") && e.contains("unknown action"), "{e}");
        let e = parse("[keys]\nkill = \"ctrl-k\"\n").unwrap_err();
        assert!(e.starts_with("devtop.toml:2:8:"), "{e}");
        assert!(e.contains("\"ctrl-k\""), "{e}");
        let e = parse("[keys]\nkill = \"q\"\n").unwrap_err();
        assert!(e.starts_with("devtop.toml:2:"), "{e}");
        assert!(e.contains("the key q is bound to both"), "{e}");
        assert!(parse("[keys]\nkill = 3\n").is_err());
    }

    #[test]
    fn a_later_file_patches_an_earlier_one() {
        let user = parse("[keys]\nkill = \"D\"\nquit = \"Q\"\n").unwrap();
        let project = Config::parse_over(
            &user,
            "[keys]\nkill = \"k\"\n",
            Path::new("devtop.toml"),
            crate::config::Machine::current(),
        );
        // `k` is "up" by default: the project's override clashes with it.
        let e = project.unwrap_err().to_string();
        assert!(e.contains("the key k is bound to both"), "{e}");
        let project = Config::parse_over(
            &user,
            "[keys]\nkill = \"X\"\n",
            Path::new("devtop.toml"),
            crate::config::Machine::current(),
        )
        .unwrap();
        assert_eq!(
            project.keys,
            vec![
                ("quit".to_string(), vec!["Q".to_string()]),
                ("kill".to_string(), vec!["X".to_string()]),
            ]
        );
    }
}
