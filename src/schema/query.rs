//! drizzle-orm's select query builder and its SQL operators (`eq`, `and`, `count`, `desc`, ...),
//! evaluated statically for views written `sqliteView(name).as((qb) => qb.select()...)`, and
//! rendered the way drizzle-orm's SQLite dialect prints a view's query (parameters inlined).

use std::rc::Rc;

use indexmap::IndexMap;

use super::value::*;

/// The operators and aggregate functions drizzle-orm exports that build `sql` fragments.
pub const OPERATORS: &[&str] = &[
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "and",
    "or",
    "not",
    "isNull",
    "isNotNull",
    "inArray",
    "notInArray",
    "between",
    "notBetween",
    "like",
    "notLike",
    "exists",
    "notExists",
    "asc",
    "desc",
    "count",
    "countDistinct",
    "avg",
    "avgDistinct",
    "sum",
    "sumDistinct",
    "max",
    "min",
];

#[derive(Debug, Clone)]
pub struct Join {
    pub kind: &'static str,
    pub table: Rc<TableValue>,
    pub on: Option<Val>,
}

/// A select query as the builder records it.
#[derive(Debug, Clone)]
pub struct SelectQuery {
    /// `select({ ... })`; None for `select()`, which selects every column of the tables.
    pub fields: Option<Rc<IndexMap<String, Val>>>,
    pub distinct: bool,
    pub from: Option<Rc<TableValue>>,
    pub joins: Vec<Join>,
    pub where_clause: Option<Val>,
    pub group_by: Vec<Val>,
    pub having: Option<Val>,
    pub order_by: Vec<Val>,
    pub limit: Option<Val>,
    pub offset: Option<Val>,
    pub origin: Origin,
}

fn text(s: &str) -> SqlChunk {
    SqlChunk::Text(s.to_string())
}

fn value(v: &Val) -> SqlChunk {
    SqlChunk::Value(v.clone())
}

/// drizzle's `bindIfParam`: a plain value compared with a column is encoded as that column.
fn bind(v: &Val, column: &Val) -> SqlChunk {
    match (v, column) {
        (
            Val::Str(_)
            | Val::Num(_)
            | Val::Bool(_)
            | Val::BigInt(_)
            | Val::Date(_)
            | Val::Null
            | Val::Object(_)
            | Val::Array(_),
            Val::ColumnRef(c),
        ) => SqlChunk::Param(v.clone(), c.clone()),
        _ => value(v),
    }
}

/// `(a, b, c)` with each item bound to `column`.
fn list(items: &[Val], column: &Val) -> Vec<SqlChunk> {
    let mut out = vec![text("(")];
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(text(", "));
        }
        out.push(bind(item, column));
    }
    out.push(text(")"));
    out
}

fn sql(chunks: Vec<SqlChunk>, origin: &Origin) -> Val {
    Val::Sql(Rc::new(SqlTemplate::new(chunks, origin.clone())))
}

/// Calls one of `OPERATORS`.
pub fn operator(name: &str, args: &[Val], origin: &Origin) -> Result<Val, String> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Val::Undefined);
    let binary = |op: &str| vec![value(&arg(0)), text(op), bind(&arg(1), &arg(0))];
    let wrap = |before: &str, after: &str| vec![text(before), value(&arg(0)), text(after)];
    let chunks = match name {
        "eq" => binary(" = "),
        "ne" => binary(" <> "),
        "gt" => binary(" > "),
        "gte" => binary(" >= "),
        "lt" => binary(" < "),
        "lte" => binary(" <= "),
        "and" | "or" => {
            let present: Vec<&Val> = args
                .iter()
                .filter(|a| !matches!(a, Val::Undefined))
                .collect();
            match present.as_slice() {
                [] => return Ok(Val::Undefined),
                [one] => vec![value(one)],
                many => {
                    let mut out = vec![text("(")];
                    for (i, c) in many.iter().enumerate() {
                        if i > 0 {
                            out.push(text(if name == "and" { " and " } else { " or " }));
                        }
                        out.push(value(c));
                    }
                    out.push(text(")"));
                    out
                }
            }
        }
        "not" => vec![text("not "), value(&arg(0))],
        "isNull" => wrap("", " is null"),
        "isNotNull" => wrap("", " is not null"),
        "inArray" | "notInArray" => {
            let op = if name == "inArray" {
                " in "
            } else {
                " not in "
            };
            match arg(1) {
                Val::Array(items) if items.is_empty() => {
                    vec![text(if name == "inArray" { "false" } else { "true" })]
                }
                Val::Array(items) => {
                    let mut out = vec![value(&arg(0)), text(op)];
                    out.extend(list(&items, &arg(0)));
                    out
                }
                other => vec![value(&arg(0)), text(op), bind(&other, &arg(0))],
            }
        }
        "between" | "notBetween" => {
            let op = if name == "between" {
                " between "
            } else {
                " not between "
            };
            vec![
                value(&arg(0)),
                text(op),
                bind(&arg(1), &arg(0)),
                text(" and "),
                bind(&arg(2), &arg(0)),
            ]
        }
        "like" => vec![value(&arg(0)), text(" like "), value(&arg(1))],
        "notLike" => vec![value(&arg(0)), text(" not like "), value(&arg(1))],
        "exists" => wrap("exists ", ""),
        "notExists" => wrap("not exists ", ""),
        "asc" => wrap("", " asc"),
        "desc" => wrap("", " desc"),
        "count" => match arg(0) {
            Val::Undefined => vec![text("count(*)")],
            e => vec![text("count("), value(&e), text(")")],
        },
        "countDistinct" => wrap("count(distinct ", ")"),
        "avg" => wrap("avg(", ")"),
        "avgDistinct" => wrap("avg(distinct ", ")"),
        "sum" => wrap("sum(", ")"),
        "sumDistinct" => wrap("sum(distinct ", ")"),
        "max" => wrap("max(", ")"),
        "min" => wrap("min(", ")"),
        other => return Err(format!("`{other}` is not a drizzle operator")),
    };
    Ok(sql(chunks, origin))
}

/// `qb.select(...)` / `qb.selectDistinct(...)`.
pub fn query_builder_method(method: &str, args: &[Val], origin: &Origin) -> Result<Val, String> {
    let distinct = match method {
        "select" => false,
        "selectDistinct" => true,
        other => {
            return Err(format!(
                "`qb.{other}()` is not supported in a view; use qb.select()"
            ));
        }
    };
    let fields = match args.first() {
        None | Some(Val::Undefined) => None,
        Some(Val::Object(o)) => Some(o.clone()),
        Some(other) => {
            return Err(format!(
                "select() takes an object of fields, not {}",
                other.type_name()
            ));
        }
    };
    Ok(Val::Select(Rc::new(SelectQuery {
        fields,
        distinct,
        from: None,
        joins: vec![],
        where_clause: None,
        group_by: vec![],
        having: None,
        order_by: vec![],
        limit: None,
        offset: None,
        origin: origin.clone(),
    })))
}

fn table_arg(args: &[Val], what: &str) -> Result<Rc<TableValue>, String> {
    match args.first() {
        Some(Val::Table(t)) => Ok(t.clone()),
        Some(other) => Err(format!(
            "{what} needs a table declared with sqliteTable, not {}",
            other.type_name()
        )),
        None => Err(format!("{what} needs a table")),
    }
}

/// A method of a select query: `.from`, joins, `.where`, `.groupBy`, `.having`, `.orderBy`,
/// `.limit`, `.offset`.
pub fn select_method(mut q: SelectQuery, method: &str, args: Vec<Val>) -> Result<Val, String> {
    let first = || args.first().cloned().unwrap_or(Val::Undefined);
    match method {
        "from" => q.from = Some(table_arg(&args, "from()")?),
        "leftJoin" | "rightJoin" | "innerJoin" | "fullJoin" | "crossJoin" => {
            let kind = match method {
                "leftJoin" => "left",
                "rightJoin" => "right",
                "innerJoin" => "inner",
                "fullJoin" => "full",
                _ => "cross",
            };
            let table = table_arg(&args, &format!("{method}()"))?;
            q.joins.push(Join {
                kind,
                table,
                on: args.get(1).cloned(),
            });
        }
        "where" => q.where_clause = Some(first()),
        "having" => q.having = Some(first()),
        "groupBy" => q.group_by = args,
        "orderBy" => q.order_by = args,
        "limit" => q.limit = Some(first()),
        "offset" => q.offset = Some(first()),
        other => {
            return Err(format!(
                "`.{other}()` on a select query is not read statically"
            ));
        }
    }
    if q.group_by
        .iter()
        .chain(&q.order_by)
        .any(|v| matches!(v, Val::Func(_)))
    {
        return Err(
            "a callback in groupBy/orderBy is not read statically; pass the columns".into(),
        );
    }
    Ok(Val::Select(Rc::new(q)))
}

/// One selected field, flattened out of nested selection objects in order.
pub enum Field {
    Column(Rc<ColumnRef>),
    Sql(Rc<SqlTemplate>),
}

impl SelectQuery {
    /// Every field the query selects, in drizzle's order (`orderSelectedFields`): nested objects
    /// flattened; for `select()`, each table's columns, the `from` table first.
    pub fn fields(&self) -> Result<Vec<Field>, String> {
        let mut out = vec![];
        match &self.fields {
            Some(f) => flatten(f, &mut out)?,
            None => {
                let tables = self.from.iter().chain(self.joins.iter().map(|j| &j.table));
                for t in tables {
                    out.extend(t.column_refs().map(|(_, c)| Field::Column(c)));
                }
            }
        }
        Ok(out)
    }

    /// The table columns a view built on this query exposes (drizzle-kit keeps only top-level
    /// fields that are table columns, keyed by column name).
    pub fn view_columns(&self) -> Vec<Rc<ColumnRef>> {
        match (&self.fields, &self.from) {
            (Some(f), _) => f
                .values()
                .filter_map(|v| {
                    if let Val::ColumnRef(c) = v {
                        Some(c.clone())
                    } else {
                        None
                    }
                })
                .collect(),
            (None, Some(t)) if self.joins.is_empty() => t.column_refs().map(|(_, c)| c).collect(),
            _ => vec![],
        }
    }
}

fn flatten(fields: &IndexMap<String, Val>, out: &mut Vec<Field>) -> Result<(), String> {
    for (key, v) in fields {
        match v {
            Val::ColumnRef(c) => out.push(Field::Column(c.clone())),
            Val::Sql(s) => out.push(Field::Sql(s.clone())),
            Val::Object(o) => flatten(o, out)?,
            other => {
                return Err(format!(
                    "the selected field `{key}` is {}, not a column or sql``",
                    other.type_name()
                ));
            }
        }
    }
    Ok(())
}

/// The value a column stores for `v` (drizzle's `mapToDriverValue` for sqlite-core columns).
pub fn encode(v: &Val, column: &ColumnBuilder) -> Val {
    match (column.mode.as_deref(), v) {
        (Some("boolean"), Val::Bool(b)) if column.is_integer => {
            Val::Num(if *b { 1.0 } else { 0.0 })
        }
        (Some("timestamp"), Val::Date(ms)) if column.is_integer => Val::Num((ms / 1000.0).floor()),
        (Some("timestamp_ms"), Val::Date(ms)) if column.is_integer => Val::Num(*ms),
        _ => v.clone(),
    }
}
