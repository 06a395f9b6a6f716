//! The parts of a package.json that `devtop init` uses: `name`, `scripts`, `workspaces` and
//! `packageManager`. Pure: takes the text, returns plain data; a field of the wrong type is
//! ignored (and said so), only text that is not JSON is an error.

use serde_json::Value;
use std::collections::BTreeMap;

/// What `devtop init` reads from one package.json.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    /// `name`, e.g. `@acme/web`.
    pub name: Option<String>,
    /// `scripts`: script name → command line (non-string values are skipped).
    pub scripts: BTreeMap<String, String>,
    /// `workspaces` patterns (`["apps/*"]` or `{"packages": ["apps/*"]}`), `!` exclusions kept.
    pub workspaces: Vec<String>,
    /// `packageManager`, e.g. `pnpm@9.1.0`.
    pub package_manager: Option<String>,
    /// Fields that were present but of the wrong type, e.g. "`workspaces` is not a list".
    pub notes: Vec<String>,
}

/// package.json text that is not JSON (or not an object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column of the error.
    pub column: usize,
    /// serde_json's message without its "at line L column C" tail.
    pub message: String,
}

/// Parse package.json `text`.
///
/// Errors: not JSON, or JSON whose top level is not an object (line 1, column 1).
pub fn parse(text: &str) -> Result<Package, JsonError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let tail = format!(" at line {} column {}", e.line(), e.column());
        JsonError {
            line: e.line(),
            column: e.column(),
            message: full.strip_suffix(&tail).unwrap_or(&full).to_owned(),
        }
    })?;
    let Value::Object(map) = value else {
        return Err(JsonError {
            line: 1,
            column: 1,
            message: "expected an object { ... } at the top level".into(),
        });
    };
    let mut p = Package {
        name: map.get("name").and_then(Value::as_str).map(str::to_owned),
        package_manager: map
            .get("packageManager")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..Package::default()
    };
    if let Some(scripts) = map.get("scripts") {
        match scripts.as_object() {
            Some(s) => {
                p.scripts = s
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect();
            }
            None => p.notes.push("`scripts` is not an object; ignored".into()),
        }
    }
    if let Some(ws) = map.get("workspaces") {
        let list = ws.as_array().or_else(|| ws.get("packages")?.as_array());
        match list {
            Some(items) => {
                p.workspaces = items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
            }
            None => p
                .notes
                .push("`workspaces` is neither a list nor { \"packages\": [...] }; ignored".into()),
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fields_are_read() {
        let p = parse(
            r#"{"name": "@acme/web", "scripts": {"dev": "vite", "n": 3},
                "workspaces": ["apps/*", "!apps/old"], "packageManager": "pnpm@9.1.0"}"#,
        )
        .unwrap();
        assert_eq!(p.name.as_deref(), Some("@acme/web"));
        assert_eq!(p.scripts.len(), 1);
        assert_eq!(p.scripts["dev"], "vite");
        assert_eq!(p.workspaces, ["apps/*", "!apps/old"]);
        assert_eq!(p.package_manager.as_deref(), Some("pnpm@9.1.0"));
        assert!(p.notes.is_empty());
    }

    #[test]
    fn workspaces_object_form() {
        let p = parse(r#"{"workspaces": {"packages": ["packages/*"], "nohoist": []}}"#).unwrap();
        assert_eq!(p.workspaces, ["packages/*"]);
    }

    #[test]
    fn wrong_types_are_noted() {
        let p = parse(r#"{"scripts": [], "workspaces": "apps/*"}"#).unwrap();
        assert_eq!(p.notes.len(), 2);
        assert!(p.scripts.is_empty() && p.workspaces.is_empty());
    }

    #[test]
    fn bad_json_has_line_and_column() {
        let e = parse("{\n  \"name\": \"x\",\n  \"scripts\": \n}").unwrap_err();
        assert_eq!(e.line, 4);
        assert!(!e.message.contains("at line"), "{}", e.message);
        let e = parse("[1]").unwrap_err();
        assert_eq!((e.line, e.column), (1, 1));
    }
}
