//! The effective key table: the defaults ([`BINDINGS`]) patched by the user's `[keys]` table
//! in devtop.toml (`kill = "x"`, `help = ["?", "F1"]`), as gitui and mprocs do. The key
//! handler, the key bar and the help popup all read it, so the help shows the keys in effect.
//!
//! Only main-screen actions can be rebound (the names are [`Intent::name`]); a rebound action
//! loses its default keys. Unknown action names, keys that do not parse and two actions on
//! one key are errors at load (devtop.toml line and column; exit 2).

use crate::app::keymap::{BINDINGS, Binding, Context, Intent};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::borrow::Cow;

/// One entry of the effective table: a default binding with the keys in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The default binding (context, intent, help text, key-bar name).
    pub binding: &'static Binding,
    /// Keys as shown in help and the key bar (`"x F9"`, `"↑/k"`).
    pub label: Cow<'static, str>,
    /// Key codes that trigger it.
    pub codes: Cow<'static, [KeyCode]>,
}

impl Key {
    /// The key shown in the key bar: the F-key alias when there is one (as htop), else the
    /// first key of the label.
    pub fn bar_key(&self) -> &str {
        let label: &str = &self.label;
        label
            .split(' ')
            .find(|k| k.starts_with('F') && k.len() > 1)
            .unwrap_or_else(|| first_key_of(label))
    }
}

/// The first key of a label: `"x"` of `"x F9"`, `"↑"` of `"↑/k"`, `"/"` of `"/ F4"`.
fn first_key_of(label: &str) -> &str {
    let word = label.split(' ').next().unwrap_or(label);
    match word.split_once('/') {
        Some((first, _)) if !first.is_empty() => first,
        _ => word,
    }
}

/// The effective key table, in the default table's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    keys: Vec<Key>,
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap {
            keys: BINDINGS
                .iter()
                .map(|b| Key {
                    binding: b,
                    label: Cow::Borrowed(b.label),
                    codes: Cow::Borrowed(b.codes),
                })
                .collect(),
        }
    }
}

/// Why a `[keys]` entry was rejected: the action it names, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// The action name of the offending entry (the key in `[keys]`).
    pub action: String,
    /// What is wrong, naming the key.
    pub message: String,
}

impl KeyMap {
    /// The defaults patched by `overrides` (action name → key strings), in order.
    ///
    /// # Errors
    /// The first entry with an unknown action name, a key that does not parse, no key at all,
    /// or a key that another main-screen action is bound to as well.
    pub fn with_overrides(overrides: &[(String, Vec<String>)]) -> Result<KeyMap, KeyError> {
        let mut map = KeyMap::default();
        for (action, keys) in overrides {
            let fail = |message: String| KeyError {
                action: action.clone(),
                message,
            };
            let Some(entry) = map
                .keys
                .iter_mut()
                .find(|k| k.binding.context == Context::Main && k.binding.intent.name() == action)
            else {
                return Err(fail(format!(
                    "[keys] {action}: unknown action; known: {}",
                    Intent::NAMES.join(", ")
                )));
            };
            if keys.is_empty() {
                return Err(fail(format!("[keys] {action}: give at least one key")));
            }
            let codes = keys
                .iter()
                .map(|k| parse_key(k).map_err(|why| fail(format!("[keys] {action}: {why}"))))
                .collect::<Result<Vec<_>, _>>()?;
            entry.label = Cow::Owned(
                codes
                    .iter()
                    .map(|&c| key_name(c))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
            entry.codes = Cow::Owned(codes);
        }
        if let Some((ctx, code)) = map.duplicates().first().copied() {
            let names: Vec<&str> = map
                .keys
                .iter()
                .filter(|k| k.binding.context == ctx && k.codes.contains(&code))
                .map(|k| k.binding.intent.name())
                .collect();
            let action = names
                .iter()
                .find(|n| overrides.iter().any(|(a, _)| a == *n))
                .unwrap_or(&"")
                .to_string();
            return Err(KeyError {
                message: format!(
                    "[keys]: the key {} is bound to both {}; rebind one of them",
                    key_name(code),
                    names.join(" and ")
                ),
                action,
            });
        }
        Ok(map)
    }

    /// The first key of `intent` on the main screen as help shows it (`"?"` for help), or
    /// `"?"` when it has none. Messages that name a key take it from here (or [`key`](Self::key)),
    /// so a key rebound in `[keys]` is named as it is.
    pub fn first_key(&self, intent: Intent) -> &str {
        self.key(Context::Main, intent)
    }

    /// The first key of `intent` in `context` as help shows it (`"y"` of `"y/Enter"`), or
    /// `"?"` when nothing in `context` is bound to it.
    pub fn key(&self, context: Context, intent: Intent) -> &str {
        self.label(context, intent).map_or("?", first_key_of)
    }

    /// Every key of `intent` in `context` as help shows them (`"y/Enter"`, `"x F9"`), or
    /// `None` when nothing in `context` is bound to it.
    pub fn label(&self, context: Context, intent: Intent) -> Option<&str> {
        self.entry(context, intent).map(|k| k.label.as_ref())
    }

    /// The entry binding `intent` in `context`, if any.
    fn entry(&self, context: Context, intent: Intent) -> Option<&Key> {
        self.keys
            .iter()
            .find(|k| k.binding.context == context && k.binding.intent == intent)
    }

    /// Every entry, in table order.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Resolve a key press in a context. Ctrl-C quits everywhere.
    pub fn resolve(&self, key: KeyEvent, context: Context) -> Option<Intent> {
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            return (key.code == KeyCode::Char('c')).then_some(Intent::Quit);
        }
        self.keys
            .iter()
            .find(|k| k.binding.context == context && k.codes.contains(&key.code))
            .map(|k| k.binding.intent)
    }

    /// The key the key bar shows for `intent` in `context` (the F-key alias when there is
    /// one, as htop; else the first key), or `None` when nothing in `context` is bound to it.
    pub fn bar_key(&self, context: Context, intent: Intent) -> Option<&str> {
        self.entry(context, intent).map(Key::bar_key)
    }

    /// Entries that share a key in one context (empty for a valid table).
    pub fn duplicates(&self) -> Vec<(Context, KeyCode)> {
        let mut seen: Vec<(Context, KeyCode)> = Vec::new();
        let mut dup = Vec::new();
        for k in &self.keys {
            for &c in k.codes.iter() {
                if seen.contains(&(k.binding.context, c)) {
                    dup.push((k.binding.context, c));
                }
                seen.push((k.binding.context, c));
            }
        }
        dup
    }
}

/// Parse a key as written in `[keys]`: one character (`"x"`, `"?"`), `F1`–`F12`, or a name:
/// Enter, Esc, Tab, Space, Backspace, Up, Down, Left, Right, PageUp (PgUp), PageDown (PgDn),
/// Home, End, Insert, Delete (case-insensitive).
///
/// # Errors
/// A message naming the key and what can be written instead.
pub fn parse_key(text: &str) -> Result<KeyCode, String> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next())
        && !c.is_control()
    {
        return Ok(KeyCode::Char(c));
    }
    let lower = text.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "space" => KeyCode::Char(' '),
        "backspace" => KeyCode::Backspace,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" | "pgup" => KeyCode::PageUp,
        "pagedown" | "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "insert" => KeyCode::Insert,
        "delete" | "del" => KeyCode::Delete,
        f if f.starts_with('f') => match f[1..].parse::<u8>() {
            Ok(n @ 1..=12) => KeyCode::F(n),
            _ => return Err(unknown(text)),
        },
        _ => return Err(unknown(text)),
    };
    Ok(code)
}

fn unknown(text: &str) -> String {
    format!(
        "cannot read the key \"{}\": write one character, F1–F12, Enter, Esc, Tab, Space, \
         Backspace, Up, Down, Left, Right, PageUp, PageDown, Home, End, Insert or Delete \
         (Ctrl and Alt combinations cannot be bound)",
        crate::sanitize::clean(text)
    )
}

/// A key as help and messages show it (`x`, `F9`, `↑`, `PgDn`).
pub fn key_name(code: KeyCode) -> String {
    match code {
        KeyCode::Char(' ') => "Space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn over(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        pairs
            .iter()
            .map(|(a, ks)| (a.to_string(), ks.iter().map(|k| k.to_string()).collect()))
            .collect()
    }

    fn press(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn the_default_table_is_the_key_table() {
        let map = KeyMap::default();
        assert_eq!(map.keys().len(), BINDINGS.len());
        assert!(map.duplicates().is_empty());
        assert_eq!(map.bar_key(Context::Main, Intent::Help), Some("F1"));
        assert_eq!(map.bar_key(Context::Main, Intent::Details), Some("Enter"));
        assert_eq!(map.bar_key(Context::Confirm, Intent::Confirm), Some("y"));
        assert_eq!(map.bar_key(Context::Search, Intent::KillSelected), None);
    }

    #[test]
    fn an_override_replaces_the_action_keys_and_shows_in_help_and_bar() {
        let map = KeyMap::with_overrides(&over(&[("kill", &["D", "F8"])])).unwrap();
        assert_eq!(
            map.resolve(press(KeyCode::Char('D')), Context::Main),
            Some(Intent::KillSelected)
        );
        assert_eq!(
            map.resolve(press(KeyCode::Char('x')), Context::Main),
            None,
            "the default key is gone"
        );
        let kill = map
            .keys()
            .iter()
            .find(|k| k.binding.intent == Intent::KillSelected)
            .unwrap();
        assert_eq!(kill.label, "D F8");
        assert_eq!(map.first_key(Intent::KillSelected), "D");
        assert_eq!(KeyMap::default().first_key(Intent::Help), "?");
        assert_eq!(KeyMap::default().first_key(Intent::Filter), "/");
        assert_eq!(KeyMap::default().first_key(Intent::Up), "↑");
        assert_eq!(KeyMap::default().first_key(Intent::Home), "Home");
        let slash = KeyMap::with_overrides(&over(&[("filter", &["/"])])).unwrap();
        assert_eq!(slash.bar_key(Context::Main, Intent::Filter), Some("/"));
        assert_eq!(map.bar_key(Context::Main, Intent::KillSelected), Some("F8"));
        // The dialog's own keys are untouched.
        assert_eq!(
            map.resolve(press(KeyCode::Char('y')), Context::Confirm),
            Some(Intent::Confirm)
        );
    }

    #[test]
    fn unknown_names_bad_keys_and_clashes_are_rejected() {
        let e = KeyMap::with_overrides(&over(&[("explode", &["e"])])).unwrap_err();
        assert_eq!(e.action, "explode");
        assert!(e.message.contains("unknown action"), "{}", e.message);
        let e = KeyMap::with_overrides(&over(&[("kill", &["ctrl-x"])])).unwrap_err();
        assert!(e.message.contains("\"ctrl-x\""), "{}", e.message);
        let e = KeyMap::with_overrides(&over(&[("kill", &[])])).unwrap_err();
        assert!(e.message.contains("at least one key"), "{}", e.message);
        let e = KeyMap::with_overrides(&over(&[("kill", &["q"])])).unwrap_err();
        assert_eq!(e.action, "kill");
        assert!(
            e.message.contains("the key q is bound to both"),
            "{}",
            e.message
        );
        assert!(e.message.contains("kill") && e.message.contains("quit"));
        // Rebinding the other action as well resolves the clash.
        let ok = KeyMap::with_overrides(&over(&[("kill", &["q"]), ("quit", &["Q"])]));
        assert!(ok.is_ok());
    }

    #[test]
    fn key_strings() {
        assert_eq!(parse_key("x"), Ok(KeyCode::Char('x')));
        assert_eq!(parse_key("F12"), Ok(KeyCode::F(12)));
        assert_eq!(parse_key("pgdn"), Ok(KeyCode::PageDown));
        assert_eq!(parse_key("Space"), Ok(KeyCode::Char(' ')));
        assert!(parse_key("F13").is_err());
        assert!(parse_key("").is_err());
        assert!(parse_key("\u{1b}").is_err());
    }

    #[test]
    fn every_main_screen_action_has_a_unique_name() {
        for b in BINDINGS.iter().filter(|b| b.context == Context::Main) {
            let name = b.intent.name();
            assert!(Intent::NAMES.contains(&name), "{name}");
        }
        let mut names = Intent::NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Intent::NAMES.len());
    }
}
