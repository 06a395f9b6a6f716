//! Column types as the narrowing analyzer compares them: a family and a capacity, from the
//! type text of [`super::parse::ColumnDef::ty`] (PostgreSQL, MySQL/MariaDB and SQLite names as
//! Prisma writes them: `INTEGER`, `BIGINT`, `VARCHAR(191)`, `TEXT`, `DECIMAL(65,30)`,
//! `DOUBLE PRECISION`, `TIMESTAMP(3)`, `DATETIME(3)`, `BOOLEAN`, `TINYINT(1)`, `JSONB` …).

/// What a type holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Whole numbers; capacity in bytes.
    Int,
    /// Floating point; capacity in bytes.
    Float,
    /// Exact decimals; capacity = precision × 1000 + scale.
    Decimal,
    /// Characters; capacity in characters (`None`: unbounded).
    Text,
    /// Bytes; capacity in bytes (`None`: unbounded).
    Bytes,
    /// Dates and times; capacity 1 = date only, 2 = time of day, 3 = date and time.
    Time,
    /// true/false.
    Bool,
    /// JSON, UUID, enums, arrays, anything else.
    Other,
}

/// A type's family and capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ty {
    /// Family.
    pub family: Family,
    /// Capacity in the family's unit; `None` = unbounded or unknown.
    pub size: Option<u64>,
}

fn arg(ty: &str, n: usize) -> Option<u64> {
    let open = ty.find('(')?;
    let close = ty[open..].find(')')? + open;
    ty[open + 1..close].split(',').nth(n)?.trim().parse().ok()
}

/// Classify a type text (upper-case, no spaces).
pub fn classify(ty: &str) -> Ty {
    let base: String = ty
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let t = |family, size| Ty { family, size };
    if ty.ends_with("[]") || ty.starts_with('_') {
        return t(Family::Other, None);
    }
    match base.as_str() {
        "TINYINT" if arg(ty, 0) == Some(1) => t(Family::Bool, None),
        "TINYINT" => t(Family::Int, Some(1)),
        "SMALLINT" | "INT2" | "SMALLSERIAL" | "SERIAL2" => t(Family::Int, Some(2)),
        "MEDIUMINT" => t(Family::Int, Some(3)),
        "INT" | "INTEGER" | "INT4" | "SERIAL" | "SERIAL4" => t(Family::Int, Some(4)),
        "BIGINT" | "INT8" | "BIGSERIAL" | "SERIAL8" => t(Family::Int, Some(8)),
        "REAL" | "FLOAT4" => t(Family::Float, Some(4)),
        "FLOAT" => t(
            Family::Float,
            Some(if arg(ty, 0).unwrap_or(53) > 24 { 8 } else { 4 }),
        ),
        "DOUBLE" | "DOUBLEPRECISION" | "FLOAT8" => t(Family::Float, Some(8)),
        "DECIMAL" | "NUMERIC" => t(
            Family::Decimal,
            arg(ty, 0).map(|p| p * 1000 + arg(ty, 1).unwrap_or(0)),
        ),
        "TEXT" | "CITEXT" | "LONGTEXT" | "CLOB" => t(Family::Text, None),
        "MEDIUMTEXT" => t(Family::Text, Some(16_777_215)),
        "TINYTEXT" => t(Family::Text, Some(255)),
        "VARCHAR" | "CHARACTERVARYING" | "NVARCHAR" | "VARCHAR2" | "CHAR" | "CHARACTER"
        | "NCHAR" | "BPCHAR" => t(
            Family::Text,
            arg(ty, 0).or(match base.as_str() {
                "CHAR" | "CHARACTER" | "NCHAR" => Some(1),
                _ => None,
            }),
        ),
        "BYTEA" | "BLOB" | "LONGBLOB" => t(Family::Bytes, None),
        "MEDIUMBLOB" => t(Family::Bytes, Some(16_777_215)),
        "TINYBLOB" => t(Family::Bytes, Some(255)),
        "VARBINARY" | "BINARY" => t(Family::Bytes, arg(ty, 0)),
        "DATE" => t(Family::Time, Some(1)),
        "TIME" | "TIMETZ" => t(Family::Time, Some(2)),
        "TIMESTAMP" | "TIMESTAMPTZ" | "DATETIME" => t(Family::Time, Some(3)),
        "BOOLEAN" | "BOOL" | "BIT" => t(Family::Bool, None),
        _ => t(Family::Other, None),
    }
}

/// Why changing a column from `old` to `new` can fail on, or truncate, existing values;
/// `None` for a widening or an equivalent type.
pub fn narrowing(old: &str, new: &str) -> Option<String> {
    if old == new {
        return None;
    }
    let (o, n) = (classify(old), classify(new));
    if o.family == n.family {
        let smaller = match (o.size, n.size) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(a), Some(b)) if o.family == Family::Decimal => {
                b / 1000 < a / 1000 || b % 1000 < a % 1000
            }
            (Some(a), Some(b)) => b < a,
        };
        return smaller.then(|| format!("{old} → {new} is narrower: existing values may not fit"));
    }
    let widening = matches!(
        (o.family, n.family),
        (_, Family::Text) if n.size.is_none()
    ) || matches!(
        (o.family, n.family),
        (Family::Int, Family::Decimal | Family::Float) | (Family::Bool, Family::Int)
    );
    (!widening).then(|| format!("{old} → {new} converts existing values, which can fail"))
}

/// Why a change to `new` may not fit existing values when the old type is unknown: a bounded
/// text, a whole number below 8 bytes, a decimal with a precision; `None` otherwise.
pub fn bounded(new: &str) -> Option<String> {
    let n = classify(new);
    let bounded = match n.family {
        Family::Text | Family::Bytes | Family::Decimal => n.size.is_some(),
        Family::Int | Family::Float => n.size.is_some_and(|s| s < 8),
        Family::Time | Family::Bool | Family::Other => false,
    };
    bounded.then(|| format!("{new} is a bounded type: existing values may not fit"))
}
