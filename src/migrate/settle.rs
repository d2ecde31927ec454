//! A freshly read schema reconciled with the latest snapshot before they are compared, so that
//! only real changes make a migration:
//! - a default made when the generator runs (`Date.now()`, a random id) keeps the value the
//!   snapshot already holds for that column (drizzle-kit writes a new one on every run, and
//!   rebuilds the table each time); each such default is reported, with what to write instead;
//! - a default the snapshot holds in drizzle-kit's defective encodings (a `Date` as a quoted
//!   JSON string, a number in quotes) that is the same value as the one read now keeps the
//!   snapshot's text, so no table is rebuilt for a default that did not change and replaying
//!   the history still agrees with the snapshot;
//! - with `--drizzle-compat`, `Date` defaults are written in drizzle-kit's own text.

use crate::diagnostic::Diagnostic;
use serde_json::Value;

use crate::schema::model::{Column, Schema};
use crate::schema::{ReadSchema, VolatileDefault};

/// `read`'s schema, settled against `previous` (the latest snapshot's schema); the warnings to
/// print.
pub fn settle(
    read: &ReadSchema,
    previous: &Schema,
    drizzle_compat: bool,
) -> (Schema, Vec<Diagnostic>) {
    let mut schema = read.schema.clone();
    if drizzle_compat {
        for (table, column, iso) in &read.date_defaults {
            if let Some(c) = schema
                .tables
                .get_mut(table)
                .and_then(|t| t.columns.get_mut(column))
            {
                c.default = Some(Value::String(format!("'\"{iso}\"'")));
            }
        }
    }
    let mut warnings = vec![];
    for v in &read.volatile_defaults {
        let kept = previous
            .tables
            .get(&v.table)
            .and_then(|t| t.columns.get(&v.column))
            .and_then(|c| c.default.clone());
        let column = schema
            .tables
            .get_mut(&v.table)
            .and_then(|t| t.columns.get_mut(&v.column));
        let Some(column) = column else { continue };
        warnings.push(volatile_warning(v, column, kept.is_some()));
        if let Some(kept) = kept {
            column.default = Some(kept);
        }
    }
    for (name, table) in schema.tables.iter_mut() {
        let Some(old) = previous.tables.get(name) else {
            continue;
        };
        for (cname, column) in table.columns.iter_mut() {
            let Some(prev) = old.columns.get(cname) else {
                continue;
            };
            if let (Some(a), Some(b)) = (&prev.default, &column.default)
                && a != b
                && same_default(a, b)
            {
                column.default = Some(a.clone());
            }
        }
    }
    (schema, warnings)
}

fn volatile_warning(v: &VolatileDefault, column: &Column, kept: bool) -> Diagnostic {
    let done = if kept {
        "kept the value the latest snapshot holds".to_string()
    } else {
        let value = column
            .default
            .as_ref()
            .map(crate::migrate::diff::render::default_text)
            .unwrap_or_default();
        format!("wrote {value}, one fixed value for every row that does not set it")
    };
    let mut d =
        v.at.clone()
            .as_warning()
            .with_code("generate/volatile-default");
    d.message = format!(
        "`{}`.`{}` defaults to {}, a value made when the migration is generated (drizzle-kit makes a new one on every run): {done}. For a value per row use .$defaultFn(() => …); for the time of the insert, sql`(unixepoch())`",
        v.table, v.column, v.what
    );
    d
}

/// Two snapshot defaults (SQL text, a JSON number or a boolean) that are the same value:
/// equal text, a number and the same number in quotes, or a `Date` drizzle-kit wrote as a
/// quoted JSON string and the same instant in seconds or milliseconds, or as plain ISO text.
pub fn same_default(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    let (x, y) = (reading(a), reading(b));
    match (x, y) {
        (Some(Reading::Number(p)), Some(Reading::Number(q))) => p == q,
        (Some(Reading::Date(ms)), Some(Reading::Number(n)))
        | (Some(Reading::Number(n)), Some(Reading::Date(ms))) => {
            n == (ms / 1000.0).floor() || n == ms
        }
        (Some(Reading::Date(p)), Some(Reading::Date(q))) => p == q,
        _ => false,
    }
}

enum Reading {
    Number(f64),
    /// Milliseconds since the epoch.
    Date(f64),
}

/// What a default stands for, when it is a number or a date in any of the encodings.
fn reading(v: &Value) -> Option<Reading> {
    match v {
        Value::Number(n) => n.as_f64().map(Reading::Number),
        Value::String(s) => {
            let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
            let inner = inner
                .strip_prefix('"')
                .and_then(|i| i.strip_suffix('"'))
                .unwrap_or(inner);
            if let Ok(n) = inner.parse::<f64>() {
                return Some(Reading::Number(n));
            }
            crate::jsjson::parse_date(inner).map(Reading::Date)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drizzle_kit_encodings_are_the_same_value() {
        let epoch = json!("'\"1970-01-01T00:00:00.000Z\"'");
        assert!(same_default(&epoch, &json!(0)));
        let d = json!("'\"2024-03-01T12:30:00.000Z\"'");
        assert!(same_default(&d, &json!(1_709_296_200)));
        assert!(same_default(&d, &json!(1_709_296_200_000_i64)));
        assert!(same_default(&d, &json!("'2024-03-01T12:30:00.000Z'")));
        assert!(!same_default(&d, &json!(1_709_296_201)));
        assert!(same_default(&json!("'5'"), &json!(5)));
        assert!(!same_default(&json!("'5'"), &json!(6)));
        assert!(!same_default(&json!("'abc'"), &json!("'abd'")));
        assert!(!same_default(&json!("(unixepoch())"), &json!(0)));
    }
}
