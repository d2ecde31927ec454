//! SQL text of each statement, exactly as drizzle-kit 0.31's sqlite convertors write it.

use serde_json::Value;

use crate::schema::model::*;

/// `${value}` in JavaScript for a snapshot default (SQL text, number or boolean).
pub fn default_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Array(a) => a.iter().map(default_text).collect::<Vec<_>>().join(","),
        Value::Object(_) => "[object Object]".into(),
    }
}

/// `` `name` type [PRIMARY KEY] [AUTOINCREMENT] [DEFAULT x] [GENERATED ...] [NOT NULL] ``;
/// drizzle-kit's ADD COLUMN writes the same clause without AUTOINCREMENT.
fn column_clause(c: &Column, autoincrement: bool) -> String {
    let mut s = format!("`{}` {}", c.name, c.sql_type);
    if c.primary_key {
        s.push_str(" PRIMARY KEY");
    }
    if autoincrement && c.autoincrement == Some(true) {
        s.push_str(" AUTOINCREMENT");
    }
    if let Some(d) = &c.default {
        s.push_str(" DEFAULT ");
        s.push_str(&default_text(d));
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(
            " GENERATED ALWAYS AS {} {}",
            g.expr,
            g.kind.to_uppercase()
        ));
    }
    if c.not_null {
        s.push_str(" NOT NULL");
    }
    s
}

fn backticked(cols: &[String], sep: &str) -> String {
    cols.iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// `CREATE TABLE` for `table` under the name `name` (a rebuild creates `__new_<table>`).
/// `checks` are the check expressions to write (a rebuild rewrites their table prefix).
pub fn create_table<'c>(
    name: &str,
    table: &Table,
    checks: impl IntoIterator<Item = &'c Check>,
    with_uniques: bool,
) -> String {
    let mut s = format!("CREATE TABLE `{name}` (\n");
    for (i, c) in table.columns.values().enumerate() {
        s.push_str(if i == 0 { "\t" } else { ",\n\t" });
        s.push_str(&column_clause(c, true));
    }
    for pk in table.composite_primary_keys.values() {
        s.push_str(&format!(
            ",\n\tPRIMARY KEY({})",
            backticked(&pk.columns, ", ")
        ));
    }
    for fk in table.foreign_keys.values() {
        let on_update = fk
            .on_update
            .as_deref()
            .filter(|a| !a.is_empty())
            .map(|a| format!(" ON UPDATE {a}"));
        let on_delete = fk
            .on_delete
            .as_deref()
            .filter(|a| !a.is_empty())
            .map(|a| format!(" ON DELETE {a}"));
        s.push_str(&format!(
            ",\n\tFOREIGN KEY ({}) REFERENCES `{}`({}){}{}",
            backticked(&fk.columns_from, ","),
            fk.table_to,
            backticked(&fk.columns_to, ","),
            on_update.unwrap_or_default(),
            on_delete.unwrap_or_default()
        ));
    }
    if with_uniques {
        for u in table.unique_constraints.values() {
            s.push_str(&format!(
                ",\n\tCONSTRAINT {} UNIQUE(`{}`)",
                u.name,
                u.columns.join("`,`")
            ));
        }
    }
    for c in checks {
        s.push_str(&format!(
            ",\n\tCONSTRAINT \"{}\" CHECK({})",
            c.name, c.value
        ));
    }
    s.push_str("\n);\n");
    s
}

/// The reference clause drizzle-kit appends to `ADD COLUMN` (unquoted, actions dropped).
pub fn add_column(table: &str, c: &Column, reference: Option<&str>) -> String {
    let mut s = format!("ALTER TABLE `{table}` ADD {}", column_clause(c, false));
    if let Some(r) = reference {
        s.push_str(r);
    }
    s.push(';');
    s
}

pub fn drizzle_reference(fk: &ForeignKey) -> String {
    format!(" REFERENCES {}({})", fk.table_to, fk.columns_to.join(","))
}

pub fn create_index(table: &str, idx: &Index, internal: Option<&Value>) -> String {
    let cols: Vec<String> = idx
        .columns
        .iter()
        .map(|c| {
            if idx.is_expression(c, internal) {
                c.clone()
            } else {
                format!("`{c}`")
            }
        })
        .collect();
    let kind = if idx.is_unique {
        "UNIQUE INDEX"
    } else {
        "INDEX"
    };
    let where_clause = idx
        .where_clause
        .as_deref()
        .filter(|w| !w.is_empty())
        .map(|w| format!(" WHERE {w}"));
    format!(
        "CREATE {kind} `{}` ON `{table}` ({}){};",
        idx.name,
        cols.join(","),
        where_clause.unwrap_or_default()
    )
}

pub fn drop_index(idx: &Index) -> String {
    format!("DROP INDEX `{}`;", idx.name)
}

pub fn drop_table(t: &str) -> String {
    format!("DROP TABLE `{t}`;")
}

pub fn rename_table(from: &str, to: &str) -> String {
    format!("ALTER TABLE `{from}` RENAME TO `{to}`;")
}

pub fn rename_column(table: &str, from: &str, to: &str) -> String {
    format!("ALTER TABLE `{table}` RENAME COLUMN \"{from}\" TO \"{to}\";")
}

pub fn drop_column(table: &str, col: &str) -> String {
    format!("ALTER TABLE `{table}` DROP COLUMN `{col}`;")
}

pub fn create_view(name: &str, definition: &str) -> String {
    format!("CREATE VIEW `{name}` AS {definition};")
}

pub fn drop_view(name: &str) -> String {
    format!("DROP VIEW `{name}`;")
}

/// Check expressions with the table prefix pointed at the rebuild's `__new_` table, as
/// drizzle-kit does (four literal replace-alls, in this order).
pub fn checks_for_rebuild(table: &Table) -> Vec<Check> {
    let t = &table.name;
    let n = format!("__new_{t}");
    table
        .check_constraints
        .values()
        .map(|c| Check {
            name: c.name.clone(),
            value: c
                .value
                .replace(&format!("\"{t}\"."), &format!("\"{n}\"."))
                .replace(&format!("`{t}`."), &format!("`{n}`."))
                .replace(&format!("{t}."), &format!("{n}."))
                .replace(&format!("'{t}'."), &format!("'{n}'.")),
        })
        .collect()
}

pub fn quoted_list(cols: &[String]) -> String {
    cols.iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// drizzle-kit's table rebuild: PRAGMA off, new table, copy, drop, rename, PRAGMA on.
pub fn rebuild(table: &Table, copy_columns: &[String]) -> Vec<String> {
    let t = &table.name;
    let new_name = format!("__new_{t}");
    let cols = quoted_list(copy_columns);
    vec![
        "PRAGMA foreign_keys=OFF;".into(),
        create_table(&new_name, table, &checks_for_rebuild(table), false),
        format!("INSERT INTO `{new_name}`({cols}) SELECT {cols} FROM `{t}`;"),
        drop_table(t),
        rename_table(&new_name, t),
        "PRAGMA foreign_keys=ON;".into(),
    ]
}
