//! The schema stage: drizzle sqlite-core declarations in `db_schema.ts` (and what it imports)
//! → `model::Schema`, read statically from the AST.

mod drizzle;
mod eval;
mod js_builtins;
pub mod model;
mod query;
mod value;

use crate::diagnostic::Diagnostic;
use std::path::Path;

use anyhow::Result;
use serde_json::json;

/// Platform tables: they may be referenced, but are never created or diffed.
pub const SYSTEM_TABLE_PREFIX: &str = "es_system__";

/// A column default made when the generator runs (`.default(Date.now())`, a random id):
/// drizzle-kit writes a new value on every run; `db generate` keeps the one the latest
/// snapshot holds.
#[derive(Debug, Clone)]
pub struct VolatileDefault {
    pub table: String,
    pub column: String,
    /// e.g. "Date.now()".
    pub what: String,
    /// Where the value is (a diagnostic with its code frame and no message yet).
    pub at: Diagnostic,
}

pub struct ReadSchema {
    pub schema: model::Schema,
    pub warnings: Vec<Diagnostic>,
    pub volatile_defaults: Vec<VolatileDefault>,
    /// Columns whose default is a `Date`: (table, column, ISO text). drizzle-kit writes these
    /// as a JSON string (`'"2024-01-01T00:00:00.000Z"'`), whatever the column's mode.
    pub date_defaults: Vec<(String, String, String)>,
    /// The text of the schema file itself (its hash is recorded beside the migrations).
    pub source: String,
}

/// Read the schema declared by the exports of `file`, in the order drizzle-kit sees them.
pub fn read(file: &Path, tsconfig_dir: Option<&Path>) -> Result<ReadSchema> {
    let mut ev = eval::Evaluator::new(crate::source::Sources::new(tsconfig_dir));
    let key = ev.load(file)?;
    let source = ev.module_text(&key);
    let names = ev.export_names(&key)?;
    let mut exported = vec![];
    for name in names {
        // Only what may be a table or view is evaluated: relations, zod schemas, clients and
        // the like are not the migration's business, whatever they contain.
        if !ev.export_may_be_schema(&key, &name)? {
            continue;
        }
        let span = swc_core::common::DUMMY_SP;
        if let Some(v) = ev.export(&key, &name, span)? {
            exported.push(v);
        }
    }
    let mut builder = drizzle::Builder {
        ev: &mut ev,
        warnings: vec![],
        volatile_defaults: vec![],
        date_defaults: vec![],
    };
    let mut schema = model::Schema::default();
    let mut internal = serde_json::Map::new();
    // The same table exported under two names is one table; two tables with one name are an error.
    let mut seen: std::collections::HashMap<String, std::rc::Rc<value::TableValue>> =
        Default::default();
    for v in exported {
        match v {
            value::Val::Table(t) => {
                if let Some(first) = seen.get(&t.name) {
                    if std::rc::Rc::ptr_eq(first, &t) {
                        continue;
                    }
                    let at = first
                        .origin
                        .module
                        .diagnostic(first.origin.span, "", "")
                        .location();
                    return Err(t
                        .origin
                        .module
                        .diagnostic(
                            t.origin.span,
                            format!("a second table named `{}` (the first is at {at})", t.name),
                            "declared again here",
                        )
                        .into());
                }
                seen.insert(t.name.clone(), t.clone());
                if t.name.starts_with(SYSTEM_TABLE_PREFIX) {
                    continue;
                }
                let table = builder.table(&t, &mut internal)?;
                schema.tables.insert(t.name.clone(), table);
            }
            value::Val::View(v) => {
                if schema.views.contains_key(&v.name) {
                    return Err(v
                        .origin
                        .module
                        .diagnostic(
                            v.origin.span,
                            format!("duplicate view name `{}`", v.name),
                            "declared again here",
                        )
                        .into());
                }
                let view = builder.view(&v)?;
                schema.views.insert(v.name.clone(), view);
            }
            _ => {}
        }
    }
    schema.internal = Some(json!({ "indexes": internal }));
    let warnings = builder.warnings;
    let volatile_defaults = builder.volatile_defaults;
    let date_defaults = builder.date_defaults;
    // The evaluator holds every parsed module; freeing them one by one costs more than the
    // whole evaluation of a large schema, and the command ends soon after.
    std::mem::forget(ev);
    Ok(ReadSchema {
        schema,
        warnings,
        volatile_defaults,
        date_defaults,
        source,
    })
}
