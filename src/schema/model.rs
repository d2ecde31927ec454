//! The schema model: what a drizzle sqlite-core schema declares, in the shape of a drizzle-kit
//! v6 snapshot (so the snapshot file and the TypeScript reader produce the same thing).
//!
//! Optional fields mirror keys that a snapshot may lack: drizzle-kit's differ treats a missing
//! key differently from a `false` one, and we must do the same to reproduce its SQL.

use indexmap::IndexMap;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    pub tables: IndexMap<String, Table>,
    pub views: IndexMap<String, View>,
    /// drizzle-kit's `internal` block (expression-index flags), kept verbatim.
    pub internal: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub name: String,
    pub columns: IndexMap<String, Column>,
    pub indexes: IndexMap<String, Index>,
    pub foreign_keys: IndexMap<String, ForeignKey>,
    pub composite_primary_keys: IndexMap<String, CompositePk>,
    pub unique_constraints: IndexMap<String, UniqueConstraint>,
    pub check_constraints: IndexMap<String, Check>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Column {
    pub name: String,
    pub sql_type: String,
    pub primary_key: bool,
    pub not_null: bool,
    pub autoincrement: Option<bool>,
    /// Already rendered as SQL text (a JSON string), or a JSON number / boolean.
    pub default: Option<Value>,
    pub generated: Option<Generated>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The expression, parenthesised: `(lower("name"))`.
    pub expr: String,
    /// `stored` or `virtual`.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub is_unique: bool,
    pub where_clause: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForeignKey {
    pub name: String,
    pub table_from: String,
    pub columns_from: Vec<String>,
    pub table_to: String,
    pub columns_to: Vec<String>,
    pub on_update: Option<String>,
    pub on_delete: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompositePk {
    pub columns: Vec<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UniqueConstraint {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Check {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct View {
    pub name: String,
    pub columns: IndexMap<String, Column>,
    pub definition: Option<String>,
    pub is_existing: bool,
}

impl Index {
    /// drizzle-kit's "squashed" form; two indexes differ exactly when these strings differ.
    pub fn squash(&self) -> String {
        format!(
            "{};{};{};{}",
            self.name,
            self.columns.join(","),
            self.is_unique,
            self.where_clause.as_deref().unwrap_or("")
        )
    }

    /// Whether column `col` of this index is an expression, per the snapshot's `internal` block.
    pub fn is_expression(&self, col: &str, internal: Option<&Value>) -> bool {
        internal
            .and_then(|i| i.get("indexes"))
            .and_then(|i| i.get(&self.name))
            .and_then(|i| i.get("columns"))
            .and_then(|c| c.get(col))
            .and_then(|c| c.get("isExpression"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

impl ForeignKey {
    pub fn squash(&self) -> String {
        format!(
            "{};{};{};{};{};{};{}",
            self.name,
            self.table_from,
            self.columns_from.join(","),
            self.table_to,
            self.columns_to.join(","),
            self.on_update.as_deref().unwrap_or(""),
            self.on_delete.as_deref().unwrap_or("")
        )
    }
}

impl CompositePk {
    pub fn squash(&self) -> String {
        self.columns.join(",")
    }
}

impl Check {
    pub fn squash(&self) -> String {
        format!("{};{}", self.name, self.value)
    }
}

/// The character that keeps `name` from being written between backticks (and, for a column
/// rename, double quotes), if any: drizzle-kit does not escape names, so a quote or a control
/// character would end one early.
pub fn unwritable_char(name: &str) -> Option<char> {
    name.chars()
        .find(|c| matches!(c, '`' | '"') || c.is_control())
}

pub fn is_writable_identifier(name: &str) -> bool {
    !name.is_empty() && unwritable_char(name).is_none()
}

impl Schema {
    /// The first name in the schema that cannot be written as an SQL identifier (a snapshot
    /// edited by hand), if any. Index expressions are SQL already and not checked.
    pub fn unwritable_identifier(&self) -> Option<&str> {
        let mut names: Vec<&str> = vec![];
        for t in self.tables.values() {
            names.push(&t.name);
            names.extend(t.columns.values().map(|c| c.name.as_str()));
            names.extend(t.indexes.values().map(|i| i.name.as_str()));
            for fk in t.foreign_keys.values() {
                names.extend([fk.name.as_str(), fk.table_to.as_str()]);
                names.extend(
                    fk.columns_from
                        .iter()
                        .chain(&fk.columns_to)
                        .map(String::as_str),
                );
            }
            for pk in t.composite_primary_keys.values() {
                names.extend(pk.columns.iter().map(String::as_str));
                names.extend(pk.name.as_deref());
            }
            for u in t.unique_constraints.values() {
                names.push(&u.name);
                names.extend(u.columns.iter().map(String::as_str));
            }
            names.extend(t.check_constraints.values().map(|c| c.name.as_str()));
        }
        for v in self.views.values() {
            names.push(&v.name);
            names.extend(v.columns.values().map(|c| c.name.as_str()));
        }
        names.into_iter().find(|n| !is_writable_identifier(n))
    }
}
