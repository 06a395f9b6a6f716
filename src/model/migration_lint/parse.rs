//! Tokens of one statement → the few statement shapes the analyzers judge ([`Stmt`]). What is
//! not recognised becomes [`Stmt::Other`] and is left alone. Table names are unqualified
//! (`"public"."User"` → `User`).

use super::lexer::Token;
use super::walk::{matching, name_list, paren_columns, qualified, skip_if_exists, split_top};

/// A column as defined in `CREATE TABLE`, `ADD COLUMN`, MySQL `MODIFY` / `CHANGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// Column name.
    pub name: String,
    /// Type as written, upper-cased without spaces: `VARCHAR(191)`, `DOUBLEPRECISION`, `TEXT[]`.
    pub ty: String,
    /// `NOT NULL` given.
    pub not_null: bool,
    /// `DEFAULT …` given (or an identity / auto-increment / generated value).
    pub has_default: bool,
    /// `PRIMARY KEY` given on the column.
    pub primary_key: bool,
}

/// One action of an `ALTER TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlterAction {
    /// `ADD [COLUMN] def`.
    AddColumn(ColumnDef),
    /// `DROP [COLUMN] name`.
    DropColumn(String),
    /// PostgreSQL `ALTER [COLUMN] c [SET DATA] TYPE t`.
    ColumnType {
        /// Column name.
        column: String,
        /// New type, as in [`ColumnDef::ty`].
        ty: String,
    },
    /// PostgreSQL `ALTER [COLUMN] c SET NOT NULL`.
    SetNotNull(String),
    /// MySQL `MODIFY [COLUMN] def` or `CHANGE [COLUMN] old def`.
    Modify(ColumnDef),
    /// `ADD [CONSTRAINT n] PRIMARY KEY (cols)`.
    AddPrimaryKey(Vec<String>),
    /// MySQL `DROP PRIMARY KEY`.
    DropPrimaryKey,
    /// `ADD [CONSTRAINT n] UNIQUE (cols)`.
    AddUnique(Vec<String>),
    /// `DROP CONSTRAINT name` (PostgreSQL names the primary key `<table>_pkey`).
    DropConstraint(String),
    /// `RENAME TO name`.
    RenameTo(String),
    /// Anything else (foreign keys, defaults, renames of columns …).
    Other,
}

/// The statements the analyzers look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    /// `CREATE TABLE name (cols…)`.
    CreateTable {
        /// Table name.
        name: String,
        /// Its columns.
        columns: Vec<ColumnDef>,
        /// Primary-key columns (column-level or table-level).
        primary_key: Vec<String>,
    },
    /// `DROP TABLE [IF EXISTS] a, b`.
    DropTable(Vec<String>),
    /// `ALTER TABLE name action, action…`.
    AlterTable {
        /// Table name.
        name: String,
        /// Its actions.
        actions: Vec<AlterAction>,
    },
    /// `CREATE [UNIQUE] INDEX name ON table (…)`.
    CreateIndex {
        /// Index name.
        name: String,
        /// Table name.
        table: String,
        /// `UNIQUE` given.
        unique: bool,
    },
    /// `DROP INDEX name [ON table]`.
    DropIndex {
        /// Index name.
        name: String,
    },
    /// `TRUNCATE [TABLE] a, b`.
    Truncate(Vec<String>),
    /// `DELETE FROM table` (with or without `WHERE`).
    Delete {
        /// Table name.
        table: String,
        /// A `WHERE` clause is present.
        filtered: bool,
    },
    /// `INSERT INTO into (cols) SELECT … FROM from`.
    InsertSelect {
        /// Target table.
        into: String,
        /// Target column list.
        columns: Vec<String>,
        /// Source table (the last `FROM` name).
        from: Option<String>,
    },
    /// `DROP SCHEMA` / `DROP DATABASE` name.
    DropSchema(String),
    /// `RENAME TABLE a TO b` (MySQL) is parsed as [`AlterAction::RenameTo`] on `a`;
    /// everything else.
    Other,
}

/// Parse one statement's tokens.
pub fn parse(t: &[Token]) -> Stmt {
    let kw = |i: usize, k: &str| t.get(i).is_some_and(|x| x.is_kw(k));
    if kw(0, "CREATE") {
        let mut i = 1;
        // CREATE [OR REPLACE] [TEMP|TEMPORARY|UNLOGGED] TABLE / [UNIQUE] INDEX
        let mut unique = false;
        while i < t.len() && i < 6 {
            if kw(i, "UNIQUE") {
                unique = true;
            }
            if kw(i, "TABLE") {
                return create_table(t, i + 1);
            }
            if kw(i, "INDEX") {
                return create_index(t, i + 1, unique);
            }
            i += 1;
        }
        return Stmt::Other;
    }
    if kw(0, "DROP") {
        if kw(1, "TABLE") {
            let (names, _) = name_list(t, skip_if_exists(t, 2));
            return Stmt::DropTable(names);
        }
        if kw(1, "INDEX") {
            let mut i = skip_if_exists(t, 2);
            if kw(i, "CONCURRENTLY") {
                i = skip_if_exists(t, i + 1);
            }
            if let Some((name, _)) = qualified(t, i) {
                return Stmt::DropIndex { name };
            }
        }
        if (kw(1, "SCHEMA") || kw(1, "DATABASE"))
            && let Some((name, _)) = qualified(t, skip_if_exists(t, 2))
        {
            return Stmt::DropSchema(name);
        }
        return Stmt::Other;
    }
    if kw(0, "ALTER") && kw(1, "TABLE") {
        let mut i = skip_if_exists(t, 2);
        if kw(i, "ONLY") {
            i += 1;
        }
        let Some((name, next)) = qualified(t, i) else {
            return Stmt::Other;
        };
        let actions = split_top(&t[next..], ',')
            .into_iter()
            .map(alter_action)
            .collect();
        return Stmt::AlterTable { name, actions };
    }
    if kw(0, "RENAME") && kw(1, "TABLE") {
        if let Some((from, j)) = qualified(t, 2)
            && kw(j, "TO")
            && let Some((to, _)) = qualified(t, j + 1)
        {
            return Stmt::AlterTable {
                name: from,
                actions: vec![AlterAction::RenameTo(to)],
            };
        }
        return Stmt::Other;
    }
    if kw(0, "TRUNCATE") {
        let mut i = if kw(1, "TABLE") { 2 } else { 1 };
        if kw(i, "ONLY") {
            i += 1;
        }
        let (names, _) = name_list(t, i);
        return Stmt::Truncate(names);
    }
    if kw(0, "DELETE")
        && kw(1, "FROM")
        && let Some((table, _)) = qualified(t, 2)
    {
        let filtered = t.iter().any(|x| x.is_kw("WHERE"));
        return Stmt::Delete { table, filtered };
    }
    if kw(0, "INSERT")
        && kw(1, "INTO")
        && let Some((into, mut j)) = qualified(t, 2)
    {
        let mut columns = Vec::new();
        if t.get(j) == Some(&Token::Punct('(')) {
            let end = matching(t, j);
            columns = split_top(&t[j + 1..end.max(j + 1)], ',')
                .into_iter()
                .filter_map(|c| c.first().and_then(Token::ident).map(str::to_owned))
                .collect();
            j = end + 1;
        }
        if kw(j, "SELECT") {
            let from = t
                .iter()
                .enumerate()
                .skip(j)
                .rfind(|(_, x)| x.is_kw("FROM"))
                .and_then(|(k, _)| qualified(t, k + 1))
                .map(|(n, _)| n);
            return Stmt::InsertSelect {
                into,
                columns,
                from,
            };
        }
    }
    Stmt::Other
}

fn create_table(t: &[Token], i: usize) -> Stmt {
    let i = skip_if_exists(t, i);
    let Some((name, j)) = qualified(t, i) else {
        return Stmt::Other;
    };
    if t.get(j) != Some(&Token::Punct('(')) {
        return Stmt::Other; // CREATE TABLE … AS SELECT
    }
    let end = matching(t, j);
    let mut columns = Vec::new();
    let mut primary_key = Vec::new();
    for part in split_top(&t[j + 1..end.max(j + 1)], ',') {
        let first = &part[0];
        if first.is_kw("CONSTRAINT")
            || first.is_kw("PRIMARY")
            || first.is_kw("UNIQUE")
            || first.is_kw("FOREIGN")
            || first.is_kw("CHECK")
            || first.is_kw("KEY")
            || first.is_kw("INDEX")
        {
            if let Some(p) = part.iter().position(|x| x.is_kw("PRIMARY"))
                && let Some(k) = part.iter().skip(p).position(|x| *x == Token::Punct('('))
            {
                primary_key = paren_columns(part, p + k);
            }
            continue;
        }
        if let Some(c) = column_def(part) {
            if c.primary_key {
                primary_key = vec![c.name.clone()];
            }
            columns.push(c);
        }
    }
    Stmt::CreateTable {
        name,
        columns,
        primary_key,
    }
}

fn create_index(t: &[Token], mut i: usize, unique: bool) -> Stmt {
    if t.get(i).is_some_and(|x| x.is_kw("CONCURRENTLY")) {
        i += 1;
    }
    let i = skip_if_exists(t, i);
    let Some((name, j)) = qualified(t, i) else {
        return Stmt::Other;
    };
    if !t.get(j).is_some_and(|x| x.is_kw("ON")) {
        return Stmt::Other;
    }
    let mut k = j + 1;
    if t.get(k).is_some_and(|x| x.is_kw("ONLY")) {
        k += 1;
    }
    let Some((table, _)) = qualified(t, k) else {
        return Stmt::Other;
    };
    Stmt::CreateIndex {
        name,
        table,
        unique,
    }
}

/// Keywords that end a column's type.
const TYPE_END: &[&str] = &[
    "NOT",
    "NULL",
    "DEFAULT",
    "PRIMARY",
    "UNIQUE",
    "REFERENCES",
    "CHECK",
    "CONSTRAINT",
    "COLLATE",
    "GENERATED",
    "AUTO_INCREMENT",
    "AUTOINCREMENT",
    "CHARACTER",
    "CHARSET",
    "COMMENT",
    "ON",
    "USING",
    "FIRST",
    "AFTER",
    "IDENTITY",
];

/// `name type constraints…` → a column.
fn column_def(part: &[Token]) -> Option<ColumnDef> {
    let name = part.first()?.ident()?.to_owned();
    let mut i = 1;
    let ty = type_text(part, &mut i);
    let rest = &part[i.min(part.len())..];
    let has = |k: &str| rest.iter().any(|x| x.is_kw(k));
    let not_null = rest
        .windows(2)
        .any(|w| w[0].is_kw("NOT") && w[1].is_kw("NULL"));
    Some(ColumnDef {
        name,
        has_default: has("DEFAULT")
            || has("AUTO_INCREMENT")
            || has("AUTOINCREMENT")
            || has("GENERATED")
            || has("IDENTITY")
            || ty.contains("SERIAL"),
        not_null: not_null || has("PRIMARY"),
        primary_key: has("PRIMARY"),
        ty,
    })
}

/// The type starting at `*i`, upper-cased without spaces; `*i` moves past it.
fn type_text(t: &[Token], i: &mut usize) -> String {
    let mut ty = String::new();
    // `CHARACTER VARYING` is a type, not the start of `CHARACTER SET`.
    while let Some(x) = t.get(*i) {
        let is_end = TYPE_END.iter().any(|k| x.is_kw(k))
            && !(x.is_kw("CHARACTER") && ty.is_empty())
            && !(x.is_kw("CHARACTER") && t.get(*i + 1).is_some_and(|y| y.is_kw("VARYING")));
        if is_end || matches!(x, Token::Punct(',')) {
            break;
        }
        match x {
            Token::Punct('(') => {
                let end = matching(t, *i);
                for y in &t[*i..=end.min(t.len() - 1)] {
                    push_token(&mut ty, y);
                }
                *i = end + 1;
                continue;
            }
            _ => push_token(&mut ty, x),
        }
        *i += 1;
    }
    ty
}

fn push_token(s: &mut String, x: &Token) {
    match x {
        Token::Word(w) | Token::Quoted(w) => s.push_str(&w.to_ascii_uppercase()),
        Token::Number(n) => s.push_str(n),
        Token::Punct(c) => s.push(*c),
        Token::Str => s.push_str("''"),
    }
}

fn alter_action(a: &[Token]) -> AlterAction {
    let kw = |i: usize, k: &str| a.get(i).is_some_and(|x| x.is_kw(k));
    if kw(0, "ADD") {
        let mut i = 1;
        if kw(i, "CONSTRAINT") {
            i += 2;
        }
        if kw(i, "PRIMARY") && kw(i + 1, "KEY") {
            let open = a.iter().skip(i).position(|x| *x == Token::Punct('('));
            return AlterAction::AddPrimaryKey(
                open.map(|o| paren_columns(a, i + o)).unwrap_or_default(),
            );
        }
        if kw(i, "UNIQUE") {
            let open = a.iter().skip(i).position(|x| *x == Token::Punct('('));
            return AlterAction::AddUnique(
                open.map(|o| paren_columns(a, i + o)).unwrap_or_default(),
            );
        }
        if kw(i, "FOREIGN")
            || kw(i, "CHECK")
            || kw(i, "INDEX")
            || kw(i, "KEY")
            || kw(i, "CONSTRAINT")
            || i > 1
        {
            return AlterAction::Other;
        }
        let i = skip_if_exists(a, if kw(1, "COLUMN") { 2 } else { 1 });
        return column_def(&a[i.min(a.len())..])
            .map(AlterAction::AddColumn)
            .unwrap_or(AlterAction::Other);
    }
    if kw(0, "DROP") {
        if kw(1, "PRIMARY") && kw(2, "KEY") {
            return AlterAction::DropPrimaryKey;
        }
        if kw(1, "CONSTRAINT") {
            let i = skip_if_exists(a, 2);
            return a
                .get(i)
                .and_then(Token::ident)
                .map(|n| AlterAction::DropConstraint(n.to_owned()))
                .unwrap_or(AlterAction::Other);
        }
        if kw(1, "FOREIGN") || kw(1, "INDEX") || kw(1, "KEY") || kw(1, "CHECK") || kw(1, "DEFAULT")
        {
            return AlterAction::Other;
        }
        let i = skip_if_exists(a, if kw(1, "COLUMN") { 2 } else { 1 });
        return a
            .get(i)
            .and_then(Token::ident)
            .map(|n| AlterAction::DropColumn(n.to_owned()))
            .unwrap_or(AlterAction::Other);
    }
    if kw(0, "ALTER") {
        let i = if kw(1, "COLUMN") { 2 } else { 1 };
        let Some(column) = a.get(i).and_then(Token::ident).map(str::to_owned) else {
            return AlterAction::Other;
        };
        let mut j = i + 1;
        if kw(j, "SET") && kw(j + 1, "NOT") && kw(j + 2, "NULL") {
            return AlterAction::SetNotNull(column);
        }
        if kw(j, "SET") && kw(j + 1, "DATA") {
            j += 2;
        }
        if kw(j, "TYPE") {
            j += 1;
            let ty = type_text(a, &mut j);
            return AlterAction::ColumnType { column, ty };
        }
        return AlterAction::Other;
    }
    if kw(0, "MODIFY") || kw(0, "CHANGE") {
        let mut i = if kw(1, "COLUMN") { 2 } else { 1 };
        if kw(0, "CHANGE") {
            i += 1; // the old name; the definition carries the new one
        }
        return column_def(&a[i.min(a.len())..])
            .map(AlterAction::Modify)
            .unwrap_or(AlterAction::Other);
    }
    if kw(0, "RENAME")
        && kw(1, "TO")
        && let Some((n, _)) = qualified(a, 2)
    {
        return AlterAction::RenameTo(n);
    }
    AlterAction::Other
}
