//! A small parser for Prisma schema files (`schema.prisma`), enough for devtop's needs: the
//! datasource (provider and where its URL comes from), the enums, and every model's table and
//! columns (for drift against the database).
//!
//! No maintained Rust crate parses PSL, so this is a hand-written subset, checked against real
//! schemas (see `tests/fixtures/prisma/`). What it understands:
//!
//! - `//` and `///` comments (also at the end of a line); strings with `\` escapes, which may
//!   contain braces, `//` or parentheses.
//! - `datasource NAME { provider = "postgresql", url = env("VAR") | "literal" }`: other keys
//!   (`directUrl`, `schemas = [...]`, `relationMode`, ...) are skipped. Prisma 7 schemas may have
//!   no `url` (it lives in `prisma.config.ts`). Only the first datasource is kept.
//! - `model NAME { ... }`: fields `name Type`, `Type?`, `Type[]`, `Unsupported("...")`, field
//!   attributes (`@map("col")`, `@relation(...)`, `@default(uuid())`, `@db.VarChar(255)`, ...)
//!   and block attributes (`@@map("table")`, `@@id([a, b])`, `@@index(...)`, ...), which may span
//!   several lines inside their parentheses. `@map`/`@@map` also accept `name: "..."`.
//! - `enum NAME { ... }`: only the name is kept.
//! - `generator`, `type` (composite types) and `view` blocks are skipped, as are blocks with an
//!   unknown keyword (for forward compatibility); view names still count as relation targets.
//!
//! A field is a *relation field* when its type names a model or view of the schema, or when it
//! carries `@relation`; relation fields are not database columns. Everything else (scalars,
//! enums, `Unsupported(...)`, scalar lists) is a column.
//!
//! Errors are structural only (unbalanced braces or parentheses, unterminated strings, a block
//! without a name, a field without a type) and carry the 1-based line. The parser never panics.

use serde::Serialize;
use std::collections::HashSet;
use syntax::{Block, Tok, attributes, describe, lex, map_arg, render, split_blocks, split_parens};

mod syntax;

/// A parsed schema.prisma (or the merged files of a multi-file schema).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Schema {
    /// The first `datasource` block, if the schema has one.
    pub datasource: Option<Datasource>,
    /// `model` blocks in file order (views and composite types are not included).
    pub models: Vec<Model>,
    /// Names of the `enum` blocks, in file order.
    pub enums: Vec<String>,
}

/// A `datasource` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Datasource {
    /// The block's name (`db` in `datasource db { ... }`).
    pub name: String,
    /// The `provider` string as written: `postgresql`, `mysql`, `sqlite`, `sqlserver`,
    /// `cockroachdb`, `mongodb`.
    pub provider: String,
    /// Where the `url` comes from; `None` when the block has no `url` (Prisma 7 keeps it in
    /// `prisma.config.ts`) or it is neither a string nor `env("...")`.
    pub url: Option<UrlSource>,
    /// Where `directUrl` (the URL the schema engine prefers for migrations and diffs) comes
    /// from; `None` when the block has none.
    pub direct_url: Option<UrlSource>,
}

impl Datasource {
    /// The variable of `directUrl = env("X")`, when the datasource reads one.
    pub fn direct_url_env(&self) -> Option<&str> {
        match &self.direct_url {
            Some(UrlSource::Env(name)) => Some(name),
            _ => None,
        }
    }
}

/// Where a datasource's `url` comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum UrlSource {
    /// `url = env("DATABASE_URL")`: the name of the environment variable.
    Env(String),
    /// `url = "postgresql://..."`: a literal URL. Its value is deliberately not stored, as it
    /// may contain a password.
    Literal,
}

/// A `model` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Model {
    /// The model name as written (`Camera`).
    pub name: String,
    /// The database table: the `@@map("...")` argument, else the model name.
    pub table: String,
    /// Fields in declaration order, relation fields included.
    pub fields: Vec<Field>,
    /// 1-based line of the `model` keyword.
    pub line: usize,
}

/// One field of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    /// The field name as written (`createdAt`).
    pub name: String,
    /// The database column: the `@map("...")` argument, else the field name.
    pub column: String,
    /// The type without modifiers: `String`, `DateTime`, an enum or model name, or
    /// `Unsupported("circle")` written out in full.
    pub type_name: String,
    /// `Type?`.
    pub optional: bool,
    /// `Type[]`.
    pub list: bool,
    /// The type is a model or view of this schema, or the field has `@relation`: a relation
    /// field, not a column.
    pub is_relation: bool,
}

impl Model {
    /// The fields that are database columns: every field that is not a relation field (scalar
    /// lists included: they are array columns on PostgreSQL).
    pub fn columns(&self) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(|f| !f.is_relation)
    }
}

/// A structural error in a schema file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SchemaError {
    /// 1-based line where the problem starts (for an unclosed block: the line that opened it).
    pub line: usize,
    /// What is wrong, e.g. "`model Camera` (line 12) is never closed: missing `}`".
    pub message: String,
}

/// Parse the text of a schema.prisma file.
///
/// Errors: unterminated strings, unbalanced `{}`/`()`/`[]`, a block keyword without a name or
/// `{`, a field without a type, a datasource without a provider. See the module docs for the
/// supported subset.
pub fn parse(text: &str) -> Result<Schema, SchemaError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let tokens = lex(text)?;
    let blocks = split_blocks(&tokens)?;

    let relation_targets: HashSet<&str> = blocks
        .iter()
        .filter(|b| b.keyword == "model" || b.keyword == "view")
        .map(|b| b.name.as_str())
        .collect();

    let mut schema = Schema::default();
    for block in &blocks {
        match block.keyword.as_str() {
            "datasource" => {
                let ds = parse_datasource(block)?;
                if schema.datasource.is_none() {
                    schema.datasource = Some(ds);
                }
            }
            "model" => schema.models.push(parse_model(block, &relation_targets)?),
            "enum" => schema.enums.push(block.name.clone()),
            // generator, view, type and unknown blocks: skipped.
            _ => {}
        }
    }
    Ok(schema)
}

fn err(line: usize, message: impl Into<String>) -> SchemaError {
    SchemaError {
        line,
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Block interpretation

fn parse_datasource(block: &Block) -> Result<Datasource, SchemaError> {
    let mut provider = None;
    let (mut url, mut direct_url) = (None, None);
    for stmt in &block.body {
        let [Tok::Word(key), Tok::Punct('='), value @ ..] = stmt.toks.as_slice() else {
            continue;
        };
        let slot = match key.as_str() {
            "url" => &mut url,
            "directUrl" => &mut direct_url,
            "provider" => {
                if let [Tok::Str(p)] = value {
                    provider = Some(p.clone());
                }
                continue;
            }
            _ => continue,
        };
        match value {
            [Tok::Str(_)] => *slot = Some(UrlSource::Literal),
            [
                Tok::Word(f),
                Tok::Punct('('),
                Tok::Str(var),
                Tok::Punct(')'),
            ] if f == "env" => *slot = Some(UrlSource::Env(var.clone())),
            _ => {}
        }
    }
    let provider = provider.ok_or_else(|| {
        err(
            block.line,
            format!("datasource `{}` has no provider", block.name),
        )
    })?;
    Ok(Datasource {
        name: block.name.clone(),
        provider,
        url,
        direct_url,
    })
}

fn parse_model(block: &Block, relation_targets: &HashSet<&str>) -> Result<Model, SchemaError> {
    let mut table = None;
    let mut fields = Vec::new();
    for stmt in &block.body {
        match stmt.toks.as_slice() {
            [Tok::Punct('@'), Tok::Punct('@'), ..] => {
                let toks = stmt.toks.get(1..).unwrap_or(&[]);
                for (name, args) in attributes(toks) {
                    if name == "map" {
                        table = map_arg(args).or(table);
                    }
                }
            }
            [Tok::Word(name), Tok::Word(ty), rest @ ..] => {
                fields.push(parse_field(name, ty, rest, relation_targets));
            }
            [Tok::Word(name), ..] => {
                return Err(err(
                    stmt.line,
                    format!("field `{name}` in model `{}` has no type", block.name),
                ));
            }
            [first, ..] => {
                return Err(err(
                    stmt.line,
                    format!("unexpected {} in model `{}`", describe(first), block.name),
                ));
            }
            [] => {}
        }
    }
    Ok(Model {
        name: block.name.clone(),
        table: table.unwrap_or_else(|| block.name.clone()),
        fields,
        line: block.line,
    })
}

fn parse_field(name: &str, ty: &str, rest: &[Tok], relation_targets: &HashSet<&str>) -> Field {
    let mut type_name = ty.to_owned();
    let mut rest = rest;
    if matches!(rest.first(), Some(Tok::Punct('('))) {
        let (inside, after) = split_parens(rest);
        type_name = format!("{ty}({})", render(inside));
        rest = after;
    }
    let mut optional = false;
    let mut list = false;
    loop {
        match rest {
            [Tok::Punct('?'), tail @ ..] => {
                optional = true;
                rest = tail;
            }
            [Tok::Punct('['), Tok::Punct(']'), tail @ ..] => {
                list = true;
                rest = tail;
            }
            _ => break,
        }
    }
    let mut column = None;
    let mut has_relation = false;
    for (attr, args) in attributes(rest) {
        match attr {
            "map" => column = map_arg(args).or(column),
            "relation" => has_relation = true,
            _ => {}
        }
    }
    Field {
        name: name.to_owned(),
        column: column.unwrap_or_else(|| name.to_owned()),
        is_relation: has_relation || relation_targets.contains(ty),
        type_name,
        optional,
        list,
    }
}

#[cfg(test)]
mod tests;
