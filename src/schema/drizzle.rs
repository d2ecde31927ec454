//! drizzle-orm's sqlite-core API, evaluated statically: the builder functions and methods, and
//! the translation of tables and views into the schema model the way drizzle-kit 0.31's
//! serializer does it (names, defaults, index/unique/FK/PK/check naming, `sql` rendering).

use std::rc::Rc;

use anyhow::Result;
use indexmap::IndexMap;
use serde_json::{Value, json};
use swc_core::common::Span;

use super::eval::{Evaluator, to_js_string};
use super::query::{self, SelectQuery};
use super::value::*;
use crate::jsjson;
use crate::schema::model;
use crate::source::SourceModule;

const BUILTINS: &[&str] = &[
    "sqliteTable",
    "sqliteTableCreator",
    "integer",
    "int",
    "text",
    "real",
    "numeric",
    "blob",
    "customType",
    "index",
    "uniqueIndex",
    "primaryKey",
    "foreignKey",
    "unique",
    "check",
    "sql",
    "sqliteView",
    "Date",
];

pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS
        .iter()
        .chain(query::OPERATORS)
        .find(|b| **b == name)
        .copied()
}

/// The method name a table creator's result is called by (not a name JavaScript can write).
const TABLE_CREATOR: &str = "<sqliteTableCreator>";

fn err(ev: &Evaluator, m: &SourceModule, span: Span, msg: impl Into<String>) -> anyhow::Error {
    ev.error(m, span, msg)
}

fn str_arg(args: &[Val], i: usize) -> Option<String> {
    args.get(i).and_then(|v| v.as_str().map(str::to_string))
}

/// drizzle's `getColumnNameAndConfig`: `(name?, config?)` or `(config?)`.
fn name_and_config(args: &[Val]) -> (Option<String>, Option<Val>) {
    match args.first() {
        Some(Val::Str(s)) => (Some(s.clone()), args.get(1).cloned()),
        Some(v @ Val::Object(_)) => (None, Some(v.clone())),
        _ => (None, None),
    }
}

fn column(
    m: &Rc<SourceModule>,
    span: Span,
    name: Option<String>,
    sql_type: &str,
    is_integer: bool,
    mode: Option<String>,
) -> Val {
    Val::Column(Rc::new(ColumnBuilder {
        name,
        sql_type: sql_type.into(),
        mode,
        is_integer,
        not_null: false,
        primary_key: false,
        autoincrement: false,
        default: None,
        unique: None,
        references: vec![],
        generated: None,
        volatile_default: None,
        origin: Evaluator::origin(m, span),
    }))
}

pub fn new_date(ev: &Evaluator, m: &Rc<SourceModule>, span: Span, args: &[Val]) -> Result<Val> {
    match args {
        [Val::Num(ms)] => Ok(Val::Date(*ms)),
        [Val::Str(s)] => crate::jsjson::parse_date(s)
            .map(Val::Date)
            .ok_or_else(|| err(ev, m, span, format!("cannot read the date \"{s}\""))),
        [] => Err(err(
            ev,
            m,
            span,
            "`new Date()` is the time of the run; use sql`(unixepoch())` or a fixed date",
        )),
        _ => Err(err(
            ev,
            m,
            span,
            "this Date constructor form is not supported",
        )),
    }
}

/// Why `name` cannot be an SQL identifier in a migration, or None: drizzle-kit writes names
/// between backticks (and column renames between double quotes) without escaping, so either
/// quote, or a control character, would end the name early or break the statement.
fn identifier_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a name in the schema is empty".into());
    }
    let bad = model::unwritable_char(name)?;
    Some(format!(
        "{name:?} cannot be a table, column, index or constraint name: it holds {bad:?}"
    ))
}

fn check_identifier(
    ev: &Evaluator,
    m: &SourceModule,
    span: Span,
    name: Option<&str>,
) -> Result<()> {
    match name.and_then(identifier_problem) {
        Some(problem) => Err(err(ev, m, span, problem)),
        None => Ok(()),
    }
}

/// The modes drizzle's sqlite-core column builders accept.
fn allowed_modes(builder: &str) -> &'static [&'static str] {
    match builder {
        "integer" | "int" => &["number", "timestamp", "timestamp_ms", "boolean", "bigint"],
        "text" => &["text", "json"],
        "blob" => &["buffer", "json", "bigint"],
        "numeric" => &["string", "number", "bigint"],
        _ => &[],
    }
}

pub fn call_builtin(
    ev: &mut Evaluator,
    m: &Rc<SourceModule>,
    name: &str,
    args: Vec<Val>,
    span: Span,
) -> Result<Val> {
    if let Some(r) = super::js_builtins::call_global(ev, m, name, &args, span) {
        return r;
    }
    let origin = Evaluator::origin(m, span);
    if matches!(
        name,
        "integer" | "int" | "text" | "real" | "numeric" | "blob"
    ) {
        let (column_name, cfg) = name_and_config(&args);
        check_identifier(ev, m, span, column_name.as_deref())?;
        match cfg.as_ref().and_then(|c| c.get("mode")) {
            None | Some(Val::Undefined) => {}
            Some(Val::Str(mode)) if allowed_modes(name).contains(&&**mode) => {}
            Some(other) => {
                let shown = other
                    .as_str()
                    .map(|s| format!("{s:?}"))
                    .unwrap_or_else(|| other.type_name().to_string());
                return Err(err(
                    ev,
                    m,
                    span,
                    format!(
                        "{name}() has no mode {shown}; its modes are {}",
                        allowed_modes(name).join(", ")
                    ),
                ));
            }
        }
    }
    if matches!(
        name,
        "sqliteTable" | "index" | "uniqueIndex" | "unique" | "check" | "sqliteView"
    ) {
        check_identifier(ev, m, span, str_arg(&args, 0).as_deref())?;
    }
    if matches!(name, "primaryKey" | "foreignKey") {
        let named = args
            .first()
            .and_then(|c| c.get("name"))
            .and_then(Val::as_str)
            .map(str::to_string);
        check_identifier(ev, m, span, named.as_deref())?;
    }
    let mode_of = |cfg: &Option<Val>| {
        cfg.as_ref()
            .and_then(|c| c.get("mode"))
            .and_then(Val::as_str)
            .map(str::to_string)
    };
    Ok(match name {
        "integer" | "int" => {
            let (n, cfg) = name_and_config(&args);
            column(m, span, n, "integer", true, mode_of(&cfg))
        }
        "text" => {
            let (n, cfg) = name_and_config(&args);
            let length = cfg
                .as_ref()
                .and_then(|c| c.get("length"))
                .and_then(|l| match l {
                    Val::Num(n) => Some(jsjson::js_number_text(*n)),
                    _ => None,
                });
            let ty = length
                .map(|l| format!("text({l})"))
                .unwrap_or_else(|| "text".into());
            column(m, span, n, &ty, false, mode_of(&cfg))
        }
        "real" => column(m, span, name_and_config(&args).0, "real", false, None),
        "numeric" => {
            let (n, cfg) = name_and_config(&args);
            column(m, span, n, "numeric", false, mode_of(&cfg))
        }
        "blob" => {
            let (n, cfg) = name_and_config(&args);
            column(m, span, n, "blob", false, mode_of(&cfg))
        }
        "customType" => {
            let cfg = args.first().cloned().unwrap_or(Val::Undefined);
            let data_type = match cfg.get("dataType") {
                Some(Val::Func(f)) => {
                    let f = f.clone();
                    ev.invoke(&f, vec![Val::Undefined])?
                }
                _ => {
                    return Err(err(
                        ev,
                        m,
                        span,
                        "customType needs a `dataType()` that returns the SQL type",
                    ));
                }
            };
            match data_type {
                Val::Str(s) => Val::CustomType(s),
                other => {
                    return Err(err(
                        ev,
                        m,
                        span,
                        format!(
                            "customType's dataType() must return a literal string, not {}",
                            other.type_name()
                        ),
                    ));
                }
            }
        }
        // `sqliteTableCreator((name) => `prefix_${name}`)`: a sqliteTable whose names are mapped.
        "sqliteTableCreator" => match args.into_iter().next() {
            Some(f @ Val::Func(_)) => Val::Method(Box::new(f), TABLE_CREATOR.into()),
            _ => {
                return Err(err(
                    ev,
                    m,
                    span,
                    "sqliteTableCreator needs a function that maps a table name",
                ));
            }
        },
        "sqliteTable" => {
            let Some(table_name) = str_arg(&args, 0) else {
                return Err(err(
                    ev,
                    m,
                    span,
                    "sqliteTable needs the table name as a string literal",
                ));
            };
            let cols = match args.get(1) {
                Some(Val::Object(o)) => o.clone(),
                Some(Val::Func(f)) => {
                    let f = f.clone();
                    match ev.invoke(&f, vec![Val::Undefined])? {
                        Val::Object(o) => o,
                        other => {
                            return Err(err(
                                ev,
                                m,
                                span,
                                format!("the columns callback returned {}", other.type_name()),
                            ));
                        }
                    }
                }
                _ => return Err(err(ev, m, span, "sqliteTable needs a columns object")),
            };
            let mut columns = IndexMap::new();
            for (key, v) in cols.iter() {
                match v {
                    Val::Column(b) => {
                        let db_name = b.name.clone().unwrap_or_else(|| key.clone());
                        check_identifier(ev, m, span, Some(&db_name))?;
                        if let Some(first) =
                            columns
                                .iter()
                                .find_map(|(k, (n, _)): (&String, &(String, _))| {
                                    (*n == db_name).then_some(k)
                                })
                        {
                            return Err(origin_err(
                                &b.origin,
                                format!(
                                    "`{table_name}` has two columns named `{db_name}` (keys `{first}` and `{key}`)"
                                ),
                            ));
                        }
                        columns.insert(key.clone(), (db_name, b.clone()));
                    }
                    other => {
                        return Err(err(
                            ev,
                            m,
                            span,
                            format!(
                                "column `{key}` of `{table_name}` is {}, not a column builder",
                                other.type_name()
                            ),
                        ));
                    }
                }
            }
            Val::Table(Rc::new(TableValue {
                name: table_name,
                columns,
                extra: args.get(2).cloned(),
                origin,
            }))
        }
        "index" | "uniqueIndex" => {
            let Some(n) = str_arg(&args, 0) else {
                return Err(err(ev, m, span, format!("{name} needs a name")));
            };
            Val::Constraint(Rc::new(Constraint::Index {
                name: n,
                unique: name == "uniqueIndex",
                columns: vec![],
                where_clause: None,
                origin,
            }))
        }
        "unique" => Val::Constraint(Rc::new(Constraint::Unique {
            name: str_arg(&args, 0),
            columns: vec![],
            origin,
        })),
        "check" => {
            let (Some(n), Some(v)) = (str_arg(&args, 0), args.get(1).cloned()) else {
                return Err(err(ev, m, span, "check needs a name and an sql expression"));
            };
            Val::Constraint(Rc::new(Constraint::Check {
                name: n,
                value: v,
                origin,
            }))
        }
        "primaryKey" => match args.first() {
            Some(Val::Object(o)) if o.contains_key("columns") => {
                let columns = match o.get("columns") {
                    Some(Val::Array(a)) => a.to_vec(),
                    _ => return Err(err(ev, m, span, "primaryKey's `columns` must be an array")),
                };
                let name = o.get("name").and_then(Val::as_str).map(str::to_string);
                Val::Constraint(Rc::new(Constraint::PrimaryKey {
                    name,
                    columns,
                    origin,
                }))
            }
            _ => Val::Constraint(Rc::new(Constraint::PrimaryKey {
                name: None,
                columns: args.clone(),
                origin,
            })),
        },
        "foreignKey" => {
            let cfg = args.first().cloned().unwrap_or(Val::Undefined);
            let list = |k: &str| match cfg.get(k) {
                Some(Val::Array(a)) => Some(a.to_vec()),
                _ => None,
            };
            let (Some(columns), Some(foreign_columns)) = (list("columns"), list("foreignColumns"))
            else {
                return Err(err(
                    ev,
                    m,
                    span,
                    "foreignKey needs `columns` and `foreignColumns` arrays",
                ));
            };
            let name = cfg.get("name").and_then(Val::as_str).map(str::to_string);
            Val::Constraint(Rc::new(Constraint::ForeignKey {
                name,
                columns,
                foreign_columns,
                on_delete: None,
                on_update: None,
                origin,
            }))
        }
        "sqliteView" => {
            let Some(n) = str_arg(&args, 0) else {
                return Err(err(ev, m, span, "sqliteView needs a name"));
            };
            Val::View(Rc::new(ViewValue {
                name: n,
                columns: args.get(1).cloned(),
                definition: None,
                existing: false,
                origin,
            }))
        }
        "sql" => match args.first() {
            Some(Val::Str(s)) => Val::Sql(Rc::new(SqlTemplate::new(
                vec![SqlChunk::Text(s.clone())],
                origin,
            ))),
            _ => return Err(err(ev, m, span, "`sql` must be used as a tagged template")),
        },
        op if query::OPERATORS.contains(&op) => {
            query::operator(op, &args, &origin).map_err(|e| err(ev, m, span, e))?
        }
        other => {
            return Err(err(
                ev,
                m,
                span,
                format!("`{other}` cannot be called this way"),
            ));
        }
    })
}

pub fn custom_column(
    m: &Rc<SourceModule>,
    sql_type: &str,
    args: Vec<Val>,
    span: Span,
) -> Result<Val> {
    Ok(column(
        m,
        span,
        name_and_config(&args).0,
        sql_type,
        false,
        None,
    ))
}

fn actions(cfg: Option<&Val>) -> (Option<String>, Option<String>) {
    let get = |k: &str| {
        cfg.and_then(|c| c.get(k))
            .and_then(Val::as_str)
            .map(str::to_string)
    };
    (get("onDelete"), get("onUpdate"))
}

pub fn call_method(
    ev: &mut Evaluator,
    m: &Rc<SourceModule>,
    recv: Val,
    method: &str,
    args: Vec<Val>,
    span: Span,
) -> Result<Val> {
    if let Some(r) = super::js_builtins::call_method(ev, m, &recv, method, &args, span) {
        return r;
    }
    if method == TABLE_CREATOR
        && let Val::Func(f) = &recv
    {
        let mut args = args;
        let name = args.first().cloned().unwrap_or(Val::Undefined);
        let mapped = ev.invoke(f, vec![name])?;
        if let Some(first) = args.first_mut() {
            *first = mapped;
        }
        return call_builtin(ev, m, "sqliteTable", args, span);
    }
    match recv {
        Val::Column(b) => column_method(ev, m, (*b).clone(), method, args, span),
        Val::Constraint(c) => constraint_method(ev, m, (*c).clone(), method, args, span),
        Val::View(v) => {
            let mut v = (*v).clone();
            match method {
                "as" => match args.into_iter().next() {
                    Some(s @ Val::Sql(_)) => v.definition = Some(s),
                    Some(Val::Func(f)) => match ev.invoke(&f, vec![Val::QueryBuilder])? {
                        q @ Val::Select(_) => v.definition = Some(q),
                        other => {
                            return Err(err(
                                ev,
                                m,
                                span,
                                format!(
                                    "the view's query callback returned {}, not qb.select()...",
                                    other.type_name()
                                ),
                            ));
                        }
                    },
                    _ => {
                        return Err(err(
                            ev,
                            m,
                            span,
                            "`.as()` needs an sql template or a query builder callback",
                        ));
                    }
                },
                "existing" => v.existing = true,
                _ => {
                    return Err(err(
                        ev,
                        m,
                        span,
                        format!("view method `{method}` is not supported"),
                    ));
                }
            }
            Ok(Val::View(Rc::new(v)))
        }
        Val::QueryBuilder => {
            query::query_builder_method(method, &args, &Evaluator::origin(m, span))
                .map_err(|e| err(ev, m, span, e))
        }
        Val::Select(q) => {
            query::select_method((*q).clone(), method, args).map_err(|e| err(ev, m, span, e))
        }
        Val::Sql(t) => match (method, args.first()) {
            ("as", Some(Val::Str(alias))) => {
                let mut t = (*t).clone();
                t.alias = Some(alias.clone());
                Ok(Val::Sql(Rc::new(t)))
            }
            // Runtime-only: how results are decoded, or a no-op for a view (always inlined).
            ("mapWith" | "inlineParams" | "$type", _) => Ok(Val::Sql(t)),
            _ => Err(err(
                ev,
                m,
                span,
                format!("sql``.{method}() is not supported"),
            )),
        },
        Val::Builtin("sql") => match (method, args.first()) {
            ("raw", Some(Val::Str(s))) => Ok(Val::Sql(Rc::new(SqlTemplate::new(
                vec![SqlChunk::Text(s.clone())],
                Evaluator::origin(m, span),
            )))),
            ("identifier", Some(Val::Str(s))) => Ok(Val::Sql(Rc::new(SqlTemplate::new(
                vec![SqlChunk::Text(format!("\"{s}\""))],
                Evaluator::origin(m, span),
            )))),
            _ => Err(err(ev, m, span, format!("sql.{method} is not supported"))),
        },
        Val::Builtin("Date") if method == "UTC" => {
            let n: Vec<f64> = args
                .iter()
                .map(|a| if let Val::Num(n) = a { *n } else { 0.0 })
                .collect();
            let get = |i: usize, d: f64| n.get(i).copied().unwrap_or(d);
            let iso = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                get(0, 1970.0) as i64,
                get(1, 0.0) as i64 + 1,
                get(2, 1.0) as i64,
                get(3, 0.0) as i64,
                get(4, 0.0) as i64,
                get(5, 0.0) as i64,
                get(6, 0.0) as i64
            );
            Ok(Val::Num(crate::jsjson::parse_date(&iso).unwrap_or(0.0)))
        }
        Val::Builtin(
            global @ ("Date" | "JSON" | "Math" | "String" | "Number" | "BigInt" | "Array"
            | "Object" | "crypto"),
        ) => Err(err(
            ev,
            m,
            span,
            format!(
                "`{global}.{method}()` cannot be evaluated statically; write the value as a literal or a constant"
            ),
        )),
        Val::Opaque(what) => Ok(Val::Opaque(format!("{what}.{method}(…)").into())),
        other => Err(err(
            ev,
            m,
            span,
            format!("`.{method}()` on {} is not supported", other.type_name()),
        )),
    }
}

fn column_method(
    ev: &mut Evaluator,
    m: &Rc<SourceModule>,
    mut b: ColumnBuilder,
    method: &str,
    args: Vec<Val>,
    span: Span,
) -> Result<Val> {
    match method {
        "notNull" => b.not_null = true,
        "primaryKey" => {
            b.primary_key = true;
            b.not_null = true;
            if b.is_integer
                && args
                    .first()
                    .and_then(|c| c.get("autoIncrement"))
                    .is_some_and(Val::truthy)
            {
                b.autoincrement = true;
            }
        }
        "default" => b.default = Some(args.into_iter().next().unwrap_or(Val::Undefined)),
        "unique" => b.unique = Some(str_arg(&args, 0)),
        "references" => {
            let target = args.first().cloned().unwrap_or(Val::Undefined);
            let (on_delete, on_update) = actions(args.get(1));
            b.references.push(Reference {
                target,
                on_delete,
                on_update,
                origin: Evaluator::origin(m, span),
            });
        }
        "generatedAlwaysAs" => {
            let expr = args.first().cloned().unwrap_or(Val::Undefined);
            let mode = args
                .get(1)
                .and_then(|c| c.get("mode"))
                .and_then(Val::as_str)
                .unwrap_or("virtual")
                .to_string();
            b.generated = Some((expr, mode));
        }
        // Runtime-only: drizzle-kit writes nothing for these.
        "$type" | "$defaultFn" | "$default" | "$onUpdate" | "$onUpdateFn" => {}
        _ => {
            return Err(err(
                ev,
                m,
                span,
                format!("column method `.{method}()` is not supported"),
            ));
        }
    }
    Ok(Val::Column(Rc::new(b)))
}

fn constraint_method(
    ev: &mut Evaluator,
    m: &Rc<SourceModule>,
    mut c: Constraint,
    method: &str,
    args: Vec<Val>,
    span: Span,
) -> Result<Val> {
    match (&mut c, method) {
        (Constraint::Index { columns, .. }, "on") | (Constraint::Unique { columns, .. }, "on") => {
            *columns = args
        }
        (Constraint::Index { where_clause, .. }, "where") => {
            *where_clause = args.into_iter().next()
        }
        (Constraint::ForeignKey { on_delete, .. }, "onDelete") => *on_delete = str_arg(&args, 0),
        (Constraint::ForeignKey { on_update, .. }, "onUpdate") => *on_update = str_arg(&args, 0),
        _ => {
            return Err(err(
                ev,
                m,
                span,
                format!("`.{method}()` is not supported on this builder"),
            ));
        }
    }
    Ok(Val::Constraint(Rc::new(c)))
}

pub fn table_member(
    ev: &mut Evaluator,
    m: &Rc<SourceModule>,
    t: &TableValue,
    key: &str,
    span: Span,
) -> Result<Val> {
    match t.column_ref(key) {
        Some(c) => Ok(Val::ColumnRef(c)),
        None => Err(err(
            ev,
            m,
            span,
            format!("table `{}` has no column `{key}`", t.name),
        )),
    }
}

/// How a `sql` template is printed: drizzle-kit renders index expressions and generated
/// columns with bare column names, checks and index `where` with `"table"."column"`, and
/// forbids column references and parameters in defaults.
#[derive(Clone, Copy, PartialEq)]
pub enum SqlContext {
    Default,
    Indexes,
    Qualified,
    /// A view's query: columns qualified, values written inline (drizzle inlines a view's params).
    View,
}

pub struct Builder<'a> {
    pub ev: &'a mut Evaluator,
    pub warnings: Vec<crate::diagnostic::Diagnostic>,
    /// Columns whose default is made when the generator runs.
    pub volatile_defaults: Vec<super::VolatileDefault>,
    /// Columns whose default is a `Date`: (table, column, ISO text), for drizzle-kit's text.
    pub date_defaults: Vec<(String, String, String)>,
}

fn origin_err(o: &Origin, msg: impl Into<String>) -> anyhow::Error {
    let msg = super::eval::with_hint(msg.into());
    o.module
        .diagnostic(o.span, msg, "cannot be evaluated statically")
        .into()
}

fn sql_string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

impl Builder<'_> {
    pub fn render_sql(&mut self, t: &SqlTemplate, ctx: SqlContext) -> Result<String> {
        self.render_chunks(t, ctx, false)
    }

    /// `bare_columns`: columns directly in this template print without their table (a field
    /// selected in a one-table query).
    fn render_chunks(
        &mut self,
        t: &SqlTemplate,
        ctx: SqlContext,
        bare_columns: bool,
    ) -> Result<String> {
        let mut out = String::new();
        for chunk in &t.chunks {
            match chunk {
                SqlChunk::Text(s) => out.push_str(s),
                SqlChunk::Value(Val::ColumnRef(c)) if bare_columns => {
                    out.push_str(&format!("\"{}\"", c.column))
                }
                SqlChunk::Value(v) => out.push_str(&self.render_sql_value(v, ctx, &t.origin)?),
                SqlChunk::Param(v, column) => {
                    let encoded = self.encode(v, &column.builder, &t.origin)?;
                    out.push_str(&self.render_sql_value(&encoded, ctx, &t.origin)?)
                }
            }
        }
        Ok(out)
    }

    fn render_sql_value(&mut self, v: &Val, ctx: SqlContext, origin: &Origin) -> Result<String> {
        match v {
            // An aliased fragment inside another prints as its alias (`order by "c"`).
            Val::Sql(inner) => match &inner.alias {
                Some(a) => Ok(format!("\"{a}\"")),
                None => self.render_sql(inner, ctx),
            },
            Val::ColumnRef(c) => match ctx {
                SqlContext::Default => Err(origin_err(
                    origin,
                    "drizzle-kit does not support column references in sql`` defaults",
                )),
                SqlContext::Indexes => Ok(format!("\"{}\"", c.column)),
                SqlContext::Qualified | SqlContext::View => {
                    Ok(format!("\"{}\".\"{}\"", c.table, c.column))
                }
            },
            Val::Table(t) => Ok(format!("\"{}\"", t.name)),
            Val::Undefined => Ok(String::new()),
            Val::Select(q) if ctx == SqlContext::View => {
                Ok(format!("({})", self.render_select(q)?))
            }
            Val::Array(items) if ctx == SqlContext::View => {
                let parts = items
                    .iter()
                    .map(|i| self.render_sql_value(i, ctx, origin))
                    .collect::<Result<Vec<_>>>()?;
                Ok(format!("({})", parts.join(", ")))
            }
            Val::Null if ctx == SqlContext::View => Ok("null".into()),
            Val::Str(s) if ctx == SqlContext::View => Ok(sql_string_literal(s)),
            Val::Num(_) | Val::Bool(_) | Val::BigInt(_) if ctx == SqlContext::View => {
                Ok(to_js_string(v).unwrap_or_default())
            }
            Val::Str(_) | Val::Num(_) | Val::Bool(_) | Val::BigInt(_) => {
                if ctx == SqlContext::Default {
                    return Err(origin_err(
                        origin,
                        "drizzle-kit does not support parameters in sql`` defaults; write the value into the SQL text (or use sql.raw)",
                    ));
                }
                let lit = match v {
                    Val::Str(s) => sql_string_literal(s),
                    other => to_js_string(other).unwrap_or_default(),
                };
                let message = format!(
                    "the value {lit} interpolated into sql`` is written inline (drizzle-kit would write a `?` placeholder, which is invalid in DDL)"
                );
                let d = origin
                    .module
                    .diagnostic(origin.span, message, "written inline");
                self.warnings
                    .push(d.as_warning().with_code("schema/inline-sql-value"));
                Ok(lit)
            }
            other => Err(origin_err(
                origin,
                format!("{} cannot be interpolated into sql``", other.type_name()),
            )),
        }
    }

    /// The names of the columns `values` refer to (a constraint's column list).
    fn column_names(&mut self, values: &[Val], origin: &Origin, what: &str) -> Result<Vec<String>> {
        values
            .iter()
            .map(|v| self.column_ref(v, origin, what).map(|c| c.column.clone()))
            .collect()
    }

    fn column_ref(&mut self, v: &Val, origin: &Origin, what: &str) -> Result<Rc<ColumnRef>> {
        match v {
            Val::ColumnRef(c) => Ok(c.clone()),
            Val::Func(f) => {
                let f = f.clone();
                let r = self.ev.invoke(&f, vec![])?;
                self.column_ref(&r, origin, what)
            }
            other => Err(origin_err(
                origin,
                format!("{what} must be a table column, not {}", other.type_name()),
            )),
        }
    }

    fn default_value(&mut self, b: &ColumnBuilder, v: &Val) -> Result<Option<Value>> {
        Ok(Some(match v {
            Val::Undefined => return Ok(None),
            Val::Sql(t) => Value::String(self.render_sql(t, SqlContext::Default)?),
            Val::Str(s) => Value::String(sql_string_literal(s)),
            Val::Num(n) => jsjson::js_number(*n),
            Val::Bool(x) => json!(x),
            Val::BigInt(s) => Value::String(s.clone()),
            Val::Date(ms) => match b.mode.as_deref() {
                Some("timestamp") => jsjson::js_number((ms / 1000.0).floor()),
                Some("timestamp_ms") => jsjson::js_number(*ms),
                _ => Value::String(sql_string_literal(&iso_date(*ms))),
            },
            Val::Null | Val::Array(_) | Val::Object(_) => {
                let json = plain_json(v)
                    .ok_or_else(|| origin_err(&b.origin, "this default is not plain JSON"))?;
                Value::String(sql_string_literal(&jsjson::stringify(&json)))
            }
            Val::Opaque(what) => {
                return Err(origin_err(
                    &b.origin,
                    format!(
                        "the default {what} cannot be evaluated statically: for a value made per row use .$defaultFn(() => …), for one the database makes use sql`…` (e.g. sql`(unixepoch())`), else write the value as a literal"
                    ),
                ));
            }
            other => {
                return Err(origin_err(
                    &b.origin,
                    format!(
                        "a default of {} cannot be evaluated statically: write it as a literal, sql`…`, or .$defaultFn(() => …) for a value made per row",
                        other.type_name()
                    ),
                ));
            }
        }))
    }

    fn generated(&mut self, b: &ColumnBuilder) -> Result<Option<model::Generated>> {
        let Some((expr, mode)) = &b.generated else {
            return Ok(None);
        };
        let text = match expr {
            Val::Sql(t) => self.render_sql(t, SqlContext::Indexes)?,
            Val::Str(s) => s.clone(),
            Val::Func(f) => {
                let f = f.clone();
                match self.ev.invoke(&f, vec![])? {
                    Val::Sql(t) => self.render_sql(&t, SqlContext::Indexes)?,
                    other => {
                        return Err(origin_err(
                            &b.origin,
                            format!("generatedAlwaysAs callback returned {}", other.type_name()),
                        ));
                    }
                }
            }
            other => {
                return Err(origin_err(
                    &b.origin,
                    format!(
                        "generatedAlwaysAs of {} is not supported",
                        other.type_name()
                    ),
                ));
            }
        };
        Ok(Some(model::Generated {
            expr: format!("({text})"),
            kind: mode.clone(),
        }))
    }

    fn model_column(&mut self, db_name: &str, b: &ColumnBuilder) -> Result<model::Column> {
        Ok(model::Column {
            name: db_name.to_string(),
            sql_type: b.sql_type.clone(),
            primary_key: b.primary_key,
            not_null: b.not_null,
            autoincrement: Some(b.is_integer && b.autoincrement),
            default: match &b.default {
                Some(v) => self.default_value(b, v)?,
                None => None,
            },
            generated: self.generated(b)?,
        })
    }

    /// A table the way drizzle-kit's `generateSqliteSnapshot` serializes it.
    pub fn table(
        &mut self,
        t: &TableValue,
        internal: &mut serde_json::Map<String, Value>,
    ) -> Result<model::Table> {
        let mut out = model::Table {
            name: t.name.clone(),
            ..Default::default()
        };
        let mut fks = vec![];
        for (db_name, b) in t.columns.values() {
            let c = self.model_column(db_name, b)?;
            if let Some(Val::Date(ms)) = &b.default {
                self.date_defaults
                    .push((t.name.clone(), db_name.clone(), iso_date(*ms)));
            }
            if let Some(v) = &b.volatile_default {
                self.volatile_defaults.push(super::VolatileDefault {
                    table: t.name.clone(),
                    column: db_name.clone(),
                    what: v.what.clone(),
                    at: v.origin.module.diagnostic(
                        v.origin.span,
                        "",
                        "made when the migration is generated",
                    ),
                });
            }
            out.columns.insert(db_name.clone(), c);
            if let Some(unique) = &b.unique {
                let name = unique
                    .clone()
                    .unwrap_or_else(|| format!("{}_{}_unique", t.name, db_name));
                if out.indexes.contains_key(&name) {
                    return Err(origin_err(
                        &b.origin,
                        format!("duplicate unique constraint name `{name}` in `{}`", t.name),
                    ));
                }
                out.indexes.insert(
                    name.clone(),
                    model::Index {
                        name,
                        columns: vec![db_name.clone()],
                        is_unique: true,
                        where_clause: None,
                    },
                );
            }
            for r in &b.references {
                let target = self.column_ref(&r.target, &r.origin, "a reference")?;
                fks.push((
                    None,
                    vec![db_name.clone()],
                    target.table.clone(),
                    vec![target.column.clone()],
                    r.on_delete.clone(),
                    r.on_update.clone(),
                ));
            }
        }
        let mut constraints = vec![];
        if let Some(extra) = &t.extra {
            let columns: IndexMap<String, Val> = t
                .column_refs()
                .map(|(k, c)| (k.clone(), Val::ColumnRef(c)))
                .collect();
            let result = match extra {
                Val::Func(f) => {
                    let f = f.clone();
                    self.ev.invoke(&f, vec![Val::Object(Rc::new(columns))])?
                }
                other => other.clone(),
            };
            let items: Vec<Val> = match result {
                Val::Array(a) => a
                    .iter()
                    .flat_map(|v| match v {
                        Val::Array(inner) => inner.to_vec(),
                        v => vec![v.clone()],
                    })
                    .collect(),
                Val::Object(o) => o.values().cloned().collect(),
                Val::Undefined => vec![],
                other => {
                    return Err(origin_err(
                        &t.origin,
                        format!("the table's extra config returned {}", other.type_name()),
                    ));
                }
            };
            for item in items {
                match item {
                    Val::Constraint(c) => constraints.push(c),
                    Val::Undefined | Val::Null => {}
                    other => {
                        return Err(origin_err(
                            &t.origin,
                            format!(
                                "the table's extra config holds {}, not an index or constraint",
                                other.type_name()
                            ),
                        ));
                    }
                }
            }
        }
        let mut uniques = vec![];
        let mut pks = vec![];
        let mut checks = vec![];
        for c in &constraints {
            match &**c {
                Constraint::ForeignKey {
                    name,
                    columns,
                    foreign_columns,
                    on_delete,
                    on_update,
                    origin,
                } => {
                    let from: Vec<Rc<ColumnRef>> = columns
                        .iter()
                        .map(|v| self.column_ref(v, origin, "a foreign key column"))
                        .collect::<Result<_>>()?;
                    let to: Vec<Rc<ColumnRef>> = foreign_columns
                        .iter()
                        .map(|v| self.column_ref(v, origin, "a foreign column"))
                        .collect::<Result<_>>()?;
                    let table_to = to
                        .first()
                        .map(|c| c.table.clone())
                        .ok_or_else(|| origin_err(origin, "foreignColumns is empty"))?;
                    fks.push((
                        name.clone(),
                        from.iter().map(|c| c.column.clone()).collect(),
                        table_to,
                        to.iter().map(|c| c.column.clone()).collect(),
                        on_delete.clone(),
                        on_update.clone(),
                    ));
                }
                Constraint::Index {
                    name,
                    unique,
                    columns,
                    where_clause,
                    origin,
                } => {
                    let mut cols = vec![];
                    for col in columns {
                        match col {
                            Val::Sql(s) => {
                                let text = self.render_sql(s, SqlContext::Indexes)?;
                                let entry = internal
                                    .entry(name.clone())
                                    .or_insert_with(|| json!({"columns": {}}));
                                entry["columns"][&text] = json!({"isExpression": true});
                                cols.push(text);
                            }
                            other => cols.push(
                                self.column_ref(other, origin, "an index column")?
                                    .column
                                    .clone(),
                            ),
                        }
                    }
                    let where_clause = match where_clause {
                        Some(Val::Sql(s)) => Some(self.render_sql(s, SqlContext::Qualified)?),
                        Some(Val::Undefined) | None => None,
                        Some(other) => {
                            return Err(origin_err(
                                origin,
                                format!(
                                    "an index `.where()` needs sql``, not {}",
                                    other.type_name()
                                ),
                            ));
                        }
                    };
                    out.indexes.insert(
                        name.clone(),
                        model::Index {
                            name: name.clone(),
                            columns: cols,
                            is_unique: *unique,
                            where_clause,
                        },
                    );
                }
                Constraint::Unique {
                    name,
                    columns,
                    origin,
                } => {
                    let cols = self.column_names(columns, origin, "a unique column")?;
                    let name = name
                        .clone()
                        .unwrap_or_else(|| format!("{}_{}_unique", t.name, cols.join("_")));
                    uniques.push((name, cols, origin.clone()));
                }
                Constraint::PrimaryKey {
                    name,
                    columns,
                    origin,
                } => {
                    let cols = self.column_names(columns, origin, "a primary key column")?;
                    pks.push((name.clone(), cols));
                }
                Constraint::Check {
                    name,
                    value,
                    origin,
                } => {
                    let Val::Sql(s) = value else {
                        return Err(origin_err(origin, "check needs an sql`` expression"));
                    };
                    checks.push(model::Check {
                        name: name.clone(),
                        value: self.render_sql(s, SqlContext::Qualified)?,
                    });
                }
            }
        }
        for (name, from, table_to, to, on_delete, on_update) in fks {
            let name = name.unwrap_or_else(|| {
                format!(
                    "{}_{}_{}_{}_fk",
                    t.name,
                    from.join("_"),
                    table_to,
                    to.join("_")
                )
            });
            out.foreign_keys.insert(
                name.clone(),
                model::ForeignKey {
                    name,
                    table_from: t.name.clone(),
                    columns_from: from,
                    table_to,
                    columns_to: to,
                    on_update: Some(on_update.unwrap_or_else(|| "no action".into())),
                    on_delete: Some(on_delete.unwrap_or_else(|| "no action".into())),
                },
            );
        }
        for (name, cols, origin) in uniques {
            if out.indexes.contains_key(&name) {
                return Err(origin_err(
                    &origin,
                    format!("duplicate unique constraint name `{name}` in `{}`", t.name),
                ));
            }
            out.indexes.insert(
                name.clone(),
                model::Index {
                    name,
                    columns: cols,
                    is_unique: true,
                    where_clause: None,
                },
            );
        }
        for (name, cols) in pks {
            if cols.len() > 1 {
                let name = name.unwrap_or_else(|| format!("{}_{}_pk", t.name, cols.join("_")));
                out.composite_primary_keys.insert(
                    name.clone(),
                    model::CompositePk {
                        columns: cols,
                        name: Some(name),
                    },
                );
            } else if let Some(c) = cols.first().and_then(|c| out.columns.get_mut(c)) {
                c.primary_key = true;
            }
        }
        for c in checks {
            if out.check_constraints.contains_key(&c.name) {
                return Err(origin_err(
                    &t.origin,
                    format!(
                        "duplicate check constraint name `{}` in `{}`",
                        c.name, t.name
                    ),
                ));
            }
            out.check_constraints.insert(c.name.clone(), c);
        }
        Ok(out)
    }

    pub fn view(&mut self, v: &ViewValue) -> Result<model::View> {
        let mut columns = IndexMap::new();
        if let Some(Val::Object(cols)) = &v.columns {
            for (key, c) in cols.iter() {
                if let Val::Column(b) = c {
                    let db = b.name.clone().unwrap_or_else(|| key.clone());
                    columns.insert(db.clone(), self.model_column(&db, b)?);
                }
            }
        } else if let Some(Val::Select(q)) = &v.definition {
            for c in q.view_columns() {
                if !columns.contains_key(&c.column) {
                    columns.insert(c.column.clone(), self.model_column(&c.column, &c.builder)?);
                }
            }
        }
        let definition = match (&v.definition, v.existing) {
            (_, true) => None,
            (Some(Val::Sql(s)), false) => Some(self.render_sql(s, SqlContext::View)?),
            (Some(Val::Select(q)), false) => Some(self.render_select(q)?),
            _ => {
                return Err(origin_err(
                    &v.origin,
                    format!("view `{}` has no `.as(sql``)` definition", v.name),
                ));
            }
        };
        Ok(model::View {
            name: v.name.clone(),
            columns,
            definition,
            is_existing: v.existing,
        })
    }
}

impl Builder<'_> {
    /// A value compared with a column, as that column stores it.
    fn encode(&mut self, v: &Val, column: &ColumnBuilder, origin: &Origin) -> Result<Val> {
        if column.mode.as_deref() == Some("json") && !column.is_integer {
            let json = plain_json(v).ok_or_else(|| {
                origin_err(
                    origin,
                    format!(
                        "{} cannot be compared with a JSON column statically",
                        v.type_name()
                    ),
                )
            })?;
            return Ok(Val::Str(jsjson::stringify(&json)));
        }
        match query::encode(v, column) {
            Val::Date(_) => Err(origin_err(
                origin,
                "a Date compared with a column that is not a timestamp cannot be written statically",
            )),
            Val::Object(_) | Val::Array(_) => Err(origin_err(
                origin,
                "an object compared with a column that is not JSON cannot be written statically",
            )),
            other => Ok(other),
        }
    }

    /// A select query as drizzle-orm's SQLite dialect prints it (`buildSelectQuery`).
    pub fn render_select(&mut self, q: &SelectQuery) -> Result<String> {
        let origin = &q.origin;
        let Some(from) = &q.from else {
            return Err(origin_err(origin, "the view's query has no .from(table)"));
        };
        let single = q.joins.is_empty();
        let fields = q.fields().map_err(|e| origin_err(origin, e))?;
        let mut selection = vec![];
        for f in &fields {
            selection.push(match f {
                query::Field::Column(c) => {
                    let in_query = c.table == from.name || q.joins.iter().any(|j| j.table.name == c.table);
                    if !in_query {
                        return Err(origin_err(origin, format!("the query selects `{}`.`{}`, but `{}` is not part of it (did you forget to join it?)", c.table, c.column, c.table)));
                    }
                    let name = if single { format!("\"{}\"", c.column) } else { format!("\"{}\".\"{}\"", c.table, c.column) };
                    if c.builder.mode.as_deref() == Some("bigint") && c.builder.sql_type == "numeric" {
                        format!("cast({name} as text)")
                    } else {
                        name
                    }
                }
                query::Field::Sql(s) => {
                    // In a one-table query, columns directly inside a selected fragment lose their table.
                    let text = self.render_chunks(s, SqlContext::View, single)?;
                    match &s.alias {
                        Some(a) => format!("{text} as \"{a}\""),
                        None => text,
                    }
                }
            });
        }
        let mut out = format!(
            "select{} {} from \"{}\"",
            if q.distinct { " distinct" } else { "" },
            selection.join(", "),
            from.name
        );
        for j in &q.joins {
            out.push_str(&format!(" {} join \"{}\"", j.kind, j.table.name));
            if let Some(on) = &j.on {
                out.push_str(" on ");
                out.push_str(&self.render_sql_value(on, SqlContext::View, origin)?);
            }
        }
        let clause =
            |out: &mut String, keyword: &str, v: &Option<Val>, this: &mut Self| -> Result<()> {
                if let Some(v) = v.as_ref().filter(|v| !matches!(v, Val::Undefined)) {
                    out.push_str(keyword);
                    out.push_str(&this.render_sql_value(v, SqlContext::View, origin)?);
                }
                Ok(())
            };
        clause(&mut out, " where ", &q.where_clause, self)?;
        let list = |items: &[Val], this: &mut Self| -> Result<String> {
            Ok(items
                .iter()
                .map(|i| this.render_sql_value(i, SqlContext::View, origin))
                .collect::<Result<Vec<_>>>()?
                .join(", "))
        };
        if !q.group_by.is_empty() {
            out.push_str(" group by ");
            out.push_str(&list(&q.group_by, self)?);
        }
        clause(&mut out, " having ", &q.having, self)?;
        if !q.order_by.is_empty() {
            out.push_str(" order by ");
            out.push_str(&list(&q.order_by, self)?);
        }
        if let Some(Val::Num(n)) = &q.limit
            && *n >= 0.0
        {
            out.push_str(&format!(" limit {}", jsjson::js_number_text(*n)));
        }
        clause(
            &mut out,
            " offset ",
            &q.offset.clone().filter(Val::truthy),
            self,
        )?;
        Ok(out)
    }
}

fn iso_date(ms: f64) -> String {
    jsjson::iso_date(ms.floor() as i64)
}

pub fn plain_json(v: &Val) -> Option<Value> {
    Some(match v {
        Val::Null => Value::Null,
        Val::Bool(b) => json!(b),
        Val::Num(n) => jsjson::js_number(*n),
        Val::Str(s) => json!(s),
        Val::Array(a) => Value::Array(a.iter().map(plain_json).collect::<Option<_>>()?),
        Val::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| plain_json(v).map(|j| (k.clone(), j)))
                .collect::<Option<_>>()?,
        ),
        Val::Date(ms) => json!(iso_date(*ms)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let ms = crate::jsjson::parse_date("2024-02-29T12:34:56.789Z").unwrap();
        assert_eq!(ms, 1709210096789.0);
        assert_eq!(iso_date(ms), "2024-02-29T12:34:56.789Z");
        assert_eq!(crate::jsjson::parse_date("1970-01-01").unwrap(), 0.0);
    }
}
