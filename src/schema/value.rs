//! Values of the static evaluator: the JavaScript subset a schema file uses, plus drizzle's
//! builders as first-class values.

use std::rc::Rc;

use indexmap::IndexMap;
use swc_core::common::Span;
use swc_core::ecma::ast::{ArrowFunctionBody, Pat};

use crate::source::SourceModule;

#[derive(Clone, Debug)]
pub enum Val {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    BigInt(String),
    /// A `Date`, as milliseconds since the epoch.
    Date(f64),
    Array(Rc<Vec<Val>>),
    Object(Rc<IndexMap<String, Val>>),
    Func(Rc<Closure>),
    /// A drizzle export (`sqliteTable`, `integer`, `sql`, `index`, ...).
    Builtin(&'static str),
    /// A method of a value, waiting for its call: `x.notNull` in `x.notNull()`.
    Method(Box<Val>, String),
    Column(Rc<ColumnBuilder>),
    /// A column of a declared table: `users.id`, or `t.id` in the extra-config callback.
    ColumnRef(Rc<ColumnRef>),
    Table(Rc<TableValue>),
    Sql(Rc<SqlTemplate>),
    /// The `qb` a view's `.as(qb => ...)` callback receives.
    QueryBuilder,
    /// `qb.select(...).from(...)...`: a select query being built.
    Select(Rc<super::query::SelectQuery>),
    Constraint(Rc<Constraint>),
    View(Rc<ViewValue>),
    /// `customType({...})`: call it with a name to get a column builder.
    CustomType(String),
    /// `import * as ns from "./x"`: exports are read when accessed.
    Namespace(std::path::PathBuf),
    /// Something the schema reader does not evaluate (an import from another package);
    /// using it is an error that names it.
    Opaque(Rc<str>),
}

/// A function value. It points into its module's AST instead of copying it: `module` keeps
/// that AST alive and it is never mutated, so the pointers stay valid for the closure's life.
#[derive(Debug)]
pub struct Closure {
    params: ClosureParams,
    body: ClosureBody,
    pub module: Rc<SourceModule>,
    pub scope: super::eval::Scope,
}

#[derive(Debug)]
enum ClosureParams {
    Arrow(*const Vec<Pat>),
    Function(*const Vec<swc_core::ecma::ast::Param>),
}

#[derive(Debug)]
pub enum ClosureBody {
    Arrow(*const ArrowFunctionBody),
    Block(Option<*const swc_core::ecma::ast::FunctionBody>),
}

impl Closure {
    /// `arrow` must belong to `module`'s AST.
    pub fn arrow(
        arrow: &swc_core::ecma::ast::ArrowExpr,
        module: Rc<SourceModule>,
        scope: super::eval::Scope,
    ) -> Closure {
        Closure {
            params: ClosureParams::Arrow(&arrow.params),
            body: ClosureBody::Arrow(&*arrow.body),
            module,
            scope,
        }
    }

    /// `f` must belong to `module`'s AST.
    pub fn function(
        f: &swc_core::ecma::ast::Function,
        module: Rc<SourceModule>,
        scope: super::eval::Scope,
    ) -> Closure {
        Closure {
            params: ClosureParams::Function(&f.params),
            body: ClosureBody::Block(f.body.as_ref().map(|b| b as *const _)),
            module,
            scope,
        }
    }

    pub fn params(&self) -> Vec<&Pat> {
        // SAFETY: the pointers target `self.module`'s immutable AST, which `self` keeps alive.
        unsafe {
            match self.params {
                ClosureParams::Arrow(p) => (*p).iter().collect(),
                ClosureParams::Function(p) => (*p).iter().map(|p| &p.pat).collect(),
            }
        }
    }

    pub fn body(&self) -> BodyRef<'_> {
        // SAFETY: as in `params`.
        unsafe {
            match self.body {
                ClosureBody::Arrow(b) => BodyRef::Arrow(&*b),
                ClosureBody::Block(Some(b)) => BodyRef::Block(&(*b).stmts),
                ClosureBody::Block(None) => BodyRef::Block(&[]),
            }
        }
    }
}

pub enum BodyRef<'a> {
    Arrow(&'a ArrowFunctionBody),
    Block(&'a [swc_core::ecma::ast::Stmt]),
}

/// Where a value came from, for error messages.
#[derive(Clone, Debug)]
pub struct Origin {
    pub module: Rc<SourceModule>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ColumnBuilder {
    /// Explicit name (`text("email")`); else the key in the columns object.
    pub name: Option<String>,
    pub sql_type: String,
    /// integer mode (`timestamp`, `timestamp_ms`, `boolean`, `number`) etc.
    pub mode: Option<String>,
    pub is_integer: bool,
    pub not_null: bool,
    pub primary_key: bool,
    pub autoincrement: bool,
    pub default: Option<Val>,
    pub unique: Option<Option<String>>,
    pub references: Vec<Reference>,
    pub generated: Option<(Val, String)>,
    /// `.default(x)` where `x` is made when the generator runs (`Date.now()`, a random id).
    pub volatile_default: Option<super::eval::Volatile>,
    pub origin: Origin,
}

#[derive(Clone, Debug)]
pub struct Reference {
    /// The `() => table.column` callback (or a column reference).
    pub target: Val,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
    pub origin: Origin,
}

#[derive(Debug)]
pub struct ColumnRef {
    pub table: String,
    pub column: String,
    /// The column's definition: views copy it, bound parameters are encoded by its mode.
    pub builder: Rc<ColumnBuilder>,
}

#[derive(Debug)]
pub struct TableValue {
    pub name: String,
    /// Column key → (database name, builder).
    pub columns: IndexMap<String, (String, Rc<ColumnBuilder>)>,
    pub extra: Option<Val>,
    pub origin: Origin,
}

impl TableValue {
    fn reference(&self, db: &str, b: &Rc<ColumnBuilder>) -> Rc<ColumnRef> {
        Rc::new(ColumnRef {
            table: self.name.clone(),
            column: db.to_string(),
            builder: b.clone(),
        })
    }

    /// `t.key`.
    pub fn column_ref(&self, key: &str) -> Option<Rc<ColumnRef>> {
        self.columns.get(key).map(|(db, b)| self.reference(db, b))
    }

    /// `t.key` for every column, in declaration order: (key, reference).
    pub fn column_refs(&self) -> impl Iterator<Item = (&String, Rc<ColumnRef>)> + '_ {
        self.columns
            .iter()
            .map(|(k, (db, b))| (k, self.reference(db, b)))
    }
}

/// A `sql` tagged template: literal text and interpolated values in order; `alias` is set by
/// `.as("name")` when it is selected as a field.
#[derive(Debug, Clone)]
pub struct SqlTemplate {
    pub chunks: Vec<SqlChunk>,
    pub alias: Option<String>,
    pub origin: Origin,
}

impl SqlTemplate {
    pub fn new(chunks: Vec<SqlChunk>, origin: Origin) -> SqlTemplate {
        SqlTemplate {
            chunks,
            alias: None,
            origin,
        }
    }
}

#[derive(Debug, Clone)]
pub enum SqlChunk {
    Text(String),
    Value(Val),
    /// A value compared with a column (`eq(users.age, 18)`): encoded the way that column
    /// stores it (booleans as 1/0, dates as numbers, JSON as text).
    Param(Val, Rc<ColumnRef>),
}

#[derive(Debug, Clone)]
pub enum Constraint {
    Index {
        name: String,
        unique: bool,
        columns: Vec<Val>,
        where_clause: Option<Val>,
        origin: Origin,
    },
    PrimaryKey {
        name: Option<String>,
        columns: Vec<Val>,
        origin: Origin,
    },
    ForeignKey {
        name: Option<String>,
        columns: Vec<Val>,
        foreign_columns: Vec<Val>,
        on_delete: Option<String>,
        on_update: Option<String>,
        origin: Origin,
    },
    Unique {
        name: Option<String>,
        columns: Vec<Val>,
        origin: Origin,
    },
    Check {
        name: String,
        value: Val,
        origin: Origin,
    },
}

#[derive(Debug, Clone)]
pub struct ViewValue {
    pub name: String,
    pub columns: Option<Val>,
    pub definition: Option<Val>,
    pub existing: bool,
    pub origin: Origin,
}

impl Val {
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Undefined => "undefined",
            Val::Null => "null",
            Val::Bool(_) => "a boolean",
            Val::Num(_) => "a number",
            Val::Str(_) => "a string",
            Val::BigInt(_) => "a bigint",
            Val::Date(_) => "a Date",
            Val::Array(_) => "an array",
            Val::Object(_) => "an object",
            Val::Func(_) => "a function",
            Val::Builtin(_) | Val::CustomType(_) => "a drizzle function",
            Val::Method(..) => "a method",
            Val::Column(_) => "a column builder",
            Val::ColumnRef(_) => "a column",
            Val::Table(_) => "a table",
            Val::Sql(_) => "an sql template",
            Val::QueryBuilder => "a query builder",
            Val::Select(_) => "a select query",
            Val::Constraint(_) => "a constraint builder",
            Val::View(_) => "a view",
            Val::Namespace(_) => "a module namespace",
            Val::Opaque(_) => "a value only the running app has",
        }
    }

    pub fn truthy(&self) -> bool {
        match self {
            Val::Undefined | Val::Null => false,
            Val::Bool(b) => *b,
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Str(s) => !s.is_empty(),
            Val::BigInt(s) => s != "0",
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Val> {
        match self {
            Val::Object(o) => o.get(key),
            _ => None,
        }
    }
}
