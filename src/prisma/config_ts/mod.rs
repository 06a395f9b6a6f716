//! Static reading of Prisma's `prisma.config.ts` (also `.mts`, `.js`, ...), WITHOUT executing
//! it: the file is tokenised and its common literal forms are recognised.
//!
//! The config object is found as the argument of `defineConfig({...})`, the object after
//! `export default {...}` / `module.exports = {...}` (with or without `satisfies PrismaConfig`
//! or `as PrismaConfig`), or a `const config = {...}` exported by name. Values understood:
//!
//! - string literals in single, double or back quotes (template literals only without `${}`);
//! - `path.join(...)` / `path.resolve(...)` / `join(...)` / `resolve(...)` over literal segments,
//!   where `__dirname`, `import.meta.dirname` and `process.cwd()` count as the config's folder;
//! - `env("DATABASE_URL")` (from `prisma/config`), `process.env.DATABASE_URL` and
//!   `process.env["DATABASE_URL"]`, optionally followed by `!`, `as string` or a `??`/`||`
//!   fallback;
//! - identifiers bound earlier in the file by `const NAME = <one of the above>`.
//!
//! Keys read: `schema`, `migrations.path`, `datasource.url`. A key that is present but whose
//! value is anything else (a function call, a concatenation, a ternary, ...) is listed in
//! [`PrismaConfigTs::unreadable`] instead. Parsing never fails and never panics; a file whose
//! brackets nest deeper than 64 levels is not read (see [`PrismaConfigTs::errors`]), which
//! bounds the recursion of the value reader.

use js::{MAX_NESTING, Value, const_bindings, find_config_object, lex, parse_value, too_deep};

mod js;

/// What could be read statically from a `prisma.config.ts`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct PrismaConfigTs {
    /// `schema`: path of the schema file or folder, as written (relative paths are relative to
    /// the config file's folder); `path.join` segments are joined with `/`.
    pub schema: Option<String>,
    /// `migrations.path`: path of the migrations folder, as written.
    pub migrations: Option<String>,
    /// `datasource.url`: the environment variable it is read from (`env("X")`,
    /// `process.env.X`). `None` when absent or a literal (a literal is never stored).
    pub url_env: Option<String>,
    /// Keys that exist but could not be read statically, e.g. `"schema: computed at runtime"`,
    /// or `"config: no static config object found"` when the exported value is not recognised.
    pub unreadable: Vec<String>,
    /// Why the file was not read at all, starting with its line:
    /// `"12: brackets nested more than 64 levels deep; not read"`.
    pub errors: Vec<String>,
}

/// Read the literal parts of a `prisma.config.ts` source text. See the module docs.
pub fn parse(text: &str) -> PrismaConfigTs {
    let (toks, lines) = lex(text);
    let mut out = PrismaConfigTs::default();
    if let Some(line) = too_deep(&toks, &lines) {
        out.errors.push(format!(
            "{line}: brackets nested more than {MAX_NESTING} levels deep; not read"
        ));
        return out;
    }
    let consts = const_bindings(&toks);
    let Some(start) = find_config_object(&toks) else {
        out.unreadable
            .push("config: no static config object found".to_owned());
        return out;
    };
    let Value::Object(entries) = parse_value(&toks, start, &consts).0 else {
        out.unreadable
            .push("config: no static config object found".to_owned());
        return out;
    };
    for (key, value) in entries.iter() {
        match key.as_str() {
            "schema" => out.schema = path_value(value, "schema", &mut out.unreadable),
            "migrations" => match value {
                Value::Object(m) => {
                    if let Some((_, v)) = m.iter().find(|(k, _)| k == "path") {
                        out.migrations = path_value(v, "migrations.path", &mut out.unreadable);
                    }
                }
                _ => out
                    .unreadable
                    .push("migrations: computed at runtime".to_owned()),
            },
            "datasource" => match value {
                Value::Object(d) => {
                    if let Some((_, v)) = d.iter().find(|(k, _)| k == "url") {
                        match v {
                            Value::Env(var) => out.url_env = Some(var.clone()),
                            Value::Str(_) => {}
                            Value::Object(_) | Value::Dynamic => out
                                .unreadable
                                .push("datasource.url: computed at runtime".to_owned()),
                        }
                    }
                }
                _ => out
                    .unreadable
                    .push("datasource: computed at runtime".to_owned()),
            },
            _ => {}
        }
    }
    out
}

fn path_value(value: &Value, key: &str, unreadable: &mut Vec<String>) -> Option<String> {
    match value {
        Value::Str(s) => Some(s.clone()),
        Value::Env(var) => {
            unreadable.push(format!("{key}: read from environment variable {var}"));
            None
        }
        Value::Object(_) | Value::Dynamic => {
            unreadable.push(format!("{key}: computed at runtime"));
            None
        }
    }
}

#[cfg(test)]
mod tests;
