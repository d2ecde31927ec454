//! A static evaluator for the JavaScript a drizzle schema is written in: constants, object and
//! array literals, spreads, template strings, helper functions and arrow callbacks, imports and
//! re-exports. No JavaScript is executed; anything outside this subset is an error that names
//! the construct and its location.

use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::Result;
use indexmap::IndexMap;
use swc_core::common::{Span, Spanned};
use swc_core::ecma::ast::*;

use super::drizzle;
use super::value::*;
use crate::parsing::module_facts::{ExportSource, Imported};
use crate::source::{SourceModule, Sources};

/// Lexical scopes of function bodies; module-level names live in `ModuleEnv`.
#[derive(Clone, Debug, Default)]
pub struct Scope(Option<Rc<Frame>>);

#[derive(Debug)]
pub struct Frame {
    vars: RefCell<HashMap<String, Val>>,
    parent: Scope,
}

impl Scope {
    fn child(&self) -> Scope {
        Scope(Some(Rc::new(Frame {
            vars: RefCell::new(HashMap::default()),
            parent: self.clone(),
        })))
    }

    fn set(&self, name: &str, v: Val) {
        if let Some(f) = &self.0 {
            f.vars.borrow_mut().insert(name.to_string(), v);
        }
    }

    fn lookup(&self, name: &str) -> Option<Val> {
        let mut cur = self;
        while let Some(f) = &cur.0 {
            if let Some(v) = f.vars.borrow().get(name) {
                return Some(v.clone());
            }
            cur = &f.parent;
        }
        None
    }
}

/// Module-level bindings point into the module's AST (item index, declarator index) rather
/// than copying it.
#[derive(Clone)]
enum Binding {
    Var(usize, usize),
    Func(usize),
    /// A TypeScript `enum` (or `const enum`): an object of its members.
    Enum(usize),
    /// `export default <expression>`.
    DefaultExpr(usize),
    /// `export default function ...`.
    DefaultFn(usize),
    Import {
        from: String,
        name: Option<String>,
    },
    Evaluating,
    Done(Val),
}

struct ModuleEnv {
    module: Rc<SourceModule>,
    bindings: HashMap<String, Binding>,
    /// export name → local name (or a re-export).
    exports: IndexMap<String, Export>,
    star_exports: Vec<String>,
}

#[derive(Clone)]
enum Export {
    Local(String),
    From { from: String, name: String },
    NamespaceFrom(String),
}

/// A value made when the generator runs (`Date.now()`, a random id): where, and what.
#[derive(Clone, Debug)]
pub struct Volatile {
    pub origin: Origin,
    pub what: String,
}

pub struct Evaluator {
    /// Every value made at generate time so far, in order.
    pub volatile: Vec<Volatile>,
    sources: Sources,
    envs: HashMap<PathBuf, ModuleEnv>,
    /// How many expressions are being evaluated inside one another (calls included).
    depth: usize,
}

/// Deeper than this, evaluation stops with an error at the expression (a helper that calls
/// itself forever, or absurdly nested input) instead of exhausting the stack.
const MAX_EVAL_DEPTH: usize = 10_000;

pub type EResult<T> = Result<T>;

/// Packages whose exports are drizzle builders.
fn is_drizzle(spec: &str) -> bool {
    spec == "drizzle-orm" || spec == "drizzle-orm/sqlite-core" || spec.starts_with("drizzle-orm/")
}

fn prop_name(p: &PropName) -> Option<String> {
    match p {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => Some(s.value.to_atom_lossy().to_string()),
        PropName::Num(n) => Some(crate::jsjson::js_number_text(n.value)),
        _ => None,
    }
}

pub fn to_js_string(v: &Val) -> Option<String> {
    Some(match v {
        Val::Str(s) => s.clone(),
        Val::Num(n) => crate::jsjson::js_number_text(*n),
        Val::Bool(b) => b.to_string(),
        Val::Null => "null".into(),
        Val::Undefined => "undefined".into(),
        Val::BigInt(b) => b.clone(),
        _ => return None,
    })
}

impl Evaluator {
    pub fn new(sources: Sources) -> Evaluator {
        Evaluator {
            volatile: vec![],
            sources,
            envs: HashMap::default(),
            depth: 0,
        }
    }

    pub fn error(&self, m: &SourceModule, span: Span, msg: impl Into<String>) -> anyhow::Error {
        let msg = with_hint(msg.into());
        m.diagnostic(span, msg.clone(), "cannot be evaluated statically")
            .into()
    }

    /// The source text of a loaded module.
    pub fn module_text(&self, key: &Path) -> String {
        self.envs
            .get(key)
            .map(|e| e.module.text.clone())
            .unwrap_or_default()
    }

    /// Parse a module and record its top-level bindings and exports (nothing is evaluated yet).
    pub fn load(&mut self, path: &Path) -> EResult<PathBuf> {
        let module = self.sources.load(path)?;
        let key = module.path.clone();
        if self.envs.contains_key(&key) {
            return Ok(key);
        }
        let mut env = ModuleEnv {
            module: module.clone(),
            bindings: HashMap::default(),
            exports: IndexMap::new(),
            star_exports: vec![],
        };
        for (i, item) in module.ast.body.iter().enumerate() {
            collect_item(i, item, &mut env.bindings);
        }
        let facts = &module.facts;
        for (from, b) in facts.value_imports() {
            let binding = Binding::Import {
                from: from.to_string(),
                name: b.imported.name().map(str::to_string),
            };
            env.bindings.insert(b.local.0.to_string(), binding);
        }
        for e in facts.value_exports() {
            let export = match (&e.source, &module.ast.body[e.item]) {
                // Only the declarations the evaluator reads (see `collect_item`).
                (ExportSource::Local(id), ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(_)))
                | (
                    ExportSource::Local(id),
                    ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(_)),
                ) if !env.bindings.contains_key(id.0.as_str()) => continue,
                (ExportSource::Local(id), _) => Export::Local(id.0.to_string()),
                (ExportSource::Anonymous, _) if env.bindings.contains_key("*default*") => {
                    Export::Local("*default*".into())
                }
                (ExportSource::Anonymous, _) => continue,
                (ExportSource::From { from, imported }, _) => match imported {
                    Imported::Name(name) => Export::From {
                        from: from.clone(),
                        name: name.clone(),
                    },
                    Imported::Namespace => Export::NamespaceFrom(from.clone()),
                },
            };
            env.exports.insert(e.exported.clone(), export);
        }
        env.star_exports = facts.value_stars().map(str::to_string).collect();
        self.envs.insert(key.clone(), env);
        Ok(key)
    }

    /// Export names in the order `Object.values(require(file))` sees them under tsx/esbuild:
    /// the module's own named exports sorted, then each `export *` module's, in order.
    pub fn export_names(&mut self, module: &Path) -> EResult<Vec<String>> {
        let mut seen = rustc_hash::FxHashSet::default();
        self.export_names_inner(module, &mut seen)
    }

    fn export_names_inner(
        &mut self,
        module: &Path,
        seen: &mut rustc_hash::FxHashSet<PathBuf>,
    ) -> EResult<Vec<String>> {
        if !seen.insert(module.to_path_buf()) {
            return Ok(vec![]);
        }
        let env = &self.envs[module];
        let mut names: Vec<String> = env.exports.keys().cloned().collect();
        names.sort();
        let stars = env.star_exports.clone();
        let m = env.module.clone();
        for spec in stars {
            if is_drizzle(&spec) {
                continue;
            }
            let target = self.resolve_module(&m, &spec, m.ast.span)?;
            for n in self.export_names_inner(&target, seen)? {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        Ok(names)
    }

    fn resolve_module(
        &mut self,
        from: &Rc<SourceModule>,
        spec: &str,
        span: Span,
    ) -> EResult<PathBuf> {
        let path = self.sources.resolve(&from.path, spec).map_err(|e| {
            anyhow::Error::from(from.diagnostic(
                span,
                format!("cannot resolve \"{spec}\": {e}"),
                "imported here",
            ))
        })?;
        self.load(&path)
    }

    /// The value of export `name` of `module`.
    pub fn export(&mut self, module: &Path, name: &str, span: Span) -> EResult<Option<Val>> {
        let env = &self.envs[module];
        let m = env.module.clone();
        if let Some(e) = env.exports.get(name).cloned() {
            return match e {
                Export::Local(local) => self.binding(module, &local, span).map(Some),
                Export::From { from, name: n } => self.import(&m, &from, Some(&n), span).map(Some),
                Export::NamespaceFrom(from) => self.import(&m, &from, None, span).map(Some),
            };
        }
        for spec in env.star_exports.clone() {
            if is_drizzle(&spec) {
                if let Some(b) = drizzle::builtin(name) {
                    return Ok(Some(Val::Builtin(b)));
                }
                continue;
            }
            let target = self.resolve_module(&m, &spec, span)?;
            if let Some(v) = self.export(&target, name, span)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    fn import(
        &mut self,
        from: &Rc<SourceModule>,
        spec: &str,
        name: Option<&str>,
        span: Span,
    ) -> EResult<Val> {
        if is_drizzle(spec) {
            return Ok(match name {
                Some(n) => match drizzle::builtin(n) {
                    Some(b) => Val::Builtin(b),
                    None => Val::Opaque(format!("`{n}` from \"{spec}\"").into()),
                },
                None => Val::Opaque(format!("the namespace of \"{spec}\"").into()),
            });
        }
        if let Some(b) = name.and_then(|n| super::js_builtins::generator(spec, n)) {
            return Ok(Val::Builtin(b));
        }
        if !spec.starts_with('.') && !spec.starts_with('/') && !spec.starts_with('@') {
            let what = name
                .map(|n| format!("`{n}` from \"{spec}\""))
                .unwrap_or_else(|| format!("\"{spec}\""));
            return Ok(Val::Opaque(what.into()));
        }
        let target = match self.resolve_module(from, spec, span) {
            Ok(t) => t,
            Err(e) if spec.starts_with('@') => {
                let _ = e;
                return Ok(Val::Opaque(format!("\"{spec}\"").into()));
            }
            Err(e) => return Err(e),
        };
        match name {
            None => Ok(Val::Namespace(target)),
            Some(n) => match self.export(&target, n, span)? {
                Some(v) => Ok(v),
                None => {
                    Err(self.error(from, span, format!("\"{spec}\" has no export named `{n}`")))
                }
            },
        }
    }

    /// The value of a module-level name, evaluated on first use.
    fn binding(&mut self, module: &Path, name: &str, span: Span) -> EResult<Val> {
        let env = &self.envs[module];
        if let Some(Binding::Done(v)) = env.bindings.get(name) {
            return Ok(v.clone());
        }
        let m = env.module.clone();
        let b = self
            .envs
            .get_mut(module)
            .and_then(|e| e.bindings.get_mut(name));
        let Some(b) = b else {
            // A global: the standard library's, else one only the running app has
            // (`process`, `globalThis`): fine unless a table needs its value.
            return Ok(super::js_builtins::global(name)
                .unwrap_or_else(|| Val::Opaque(format!("the global `{name}`").into())));
        };
        let taken = std::mem::replace(b, Binding::Evaluating);
        let original = taken.clone();
        let result = match taken {
            Binding::Done(v) => {
                *self
                    .envs
                    .get_mut(module)
                    .unwrap()
                    .bindings
                    .get_mut(name)
                    .unwrap() = Binding::Done(v.clone());
                return Ok(v);
            }
            Binding::Evaluating => Err(self.error(
                &m,
                span,
                format!("`{name}` is used before it is defined (a cycle)"),
            )),
            Binding::Var(item, i) => match decl_at(&m, item) {
                Some(Decl::Var(v)) => match v.decls.get(i).and_then(|d| d.init.as_ref()) {
                    Some(init) => self.eval(&m, &Scope::default(), init),
                    None => Ok(Val::Undefined),
                },
                _ => Ok(Val::Undefined),
            },
            Binding::Func(item) => match decl_at(&m, item) {
                Some(Decl::Fn(f)) => {
                    Ok(self.closure_from_function(&m, &Scope::default(), &f.function))
                }
                _ => Ok(Val::Undefined),
            },
            Binding::Import { from, name: n } => self.import(&m, &from, n.as_deref(), span),
            Binding::Enum(item) => match decl_at(&m, item) {
                Some(Decl::TsEnum(e)) => self.ts_enum(&m, e),
                _ => Ok(Val::Undefined),
            },
            Binding::DefaultFn(item) => match m.ast.body.get(item) {
                Some(ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(d))) => match &d.decl {
                    DefaultDecl::Fn(f) => {
                        Ok(self.closure_from_function(&m, &Scope::default(), &f.function))
                    }
                    _ => Ok(Val::Undefined),
                },
                _ => Ok(Val::Undefined),
            },
            Binding::DefaultExpr(item) => match m.ast.body.get(item) {
                Some(ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(d))) => {
                    self.eval(&m, &Scope::default(), &d.expr)
                }
                _ => Ok(Val::Undefined),
            },
        };
        let v = match result {
            Ok(v) => v,
            Err(e) => {
                // Put the binding back, so the next use reports the same error, not a cycle.
                if let Some(b) = self
                    .envs
                    .get_mut(module)
                    .and_then(|e| e.bindings.get_mut(name))
                {
                    *b = original;
                }
                return Err(needed_by(e, &m, name, span));
            }
        };
        *self
            .envs
            .get_mut(module)
            .unwrap()
            .bindings
            .get_mut(name)
            .unwrap() = Binding::Done(v.clone());
        Ok(v)
    }

    /// A TypeScript enum as the object it compiles to: each member's value, numbering from the
    /// last numeric one; numeric members also map back from value to name.
    fn ts_enum(&mut self, m: &Rc<SourceModule>, e: &TsEnumDecl) -> EResult<Val> {
        let scope = Scope::default().child();
        let mut names: IndexMap<String, Val> = IndexMap::new();
        let mut reverse: Vec<(f64, String)> = vec![];
        let mut next = Some(0.0);
        for member in &e.members {
            let name = match &member.id {
                TsEnumMemberId::Ident(i) => i.sym.to_string(),
                TsEnumMemberId::Str(s) => s.value.to_atom_lossy().to_string(),
                #[allow(unreachable_patterns)]
                _ => {
                    return Err(self.error(
                        m,
                        member.span,
                        "this enum member name is not supported",
                    ));
                }
            };
            let value = match &member.init {
                Some(init) => self.eval(m, &scope, init)?,
                None => match next {
                    Some(n) => Val::Num(n),
                    None => {
                        return Err(self.error(
                            m,
                            member.span,
                            "an enum member after a string member needs a value",
                        ));
                    }
                },
            };
            next = match &value {
                Val::Num(n) => {
                    reverse.push((*n, name.clone()));
                    Some(n + 1.0)
                }
                _ => None,
            };
            scope.set(&name, value.clone());
            names.insert(name, value);
        }
        // Property order as JavaScript has it: integer keys first, ascending.
        let mut out = IndexMap::new();
        let mut ints: Vec<(f64, String)> = reverse
            .iter()
            .filter(|(n, _)| *n >= 0.0 && n.fract() == 0.0)
            .cloned()
            .collect();
        ints.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (n, name) in &ints {
            out.insert(crate::jsjson::js_number_text(*n), Val::Str(name.clone()));
        }
        for (k, v) in names {
            out.insert(k, v);
        }
        for (n, name) in reverse
            .iter()
            .filter(|(n, _)| !(*n >= 0.0 && n.fract() == 0.0))
        {
            out.insert(crate::jsjson::js_number_text(*n), Val::Str(name.clone()));
        }
        Ok(Val::Object(Rc::new(out)))
    }

    fn closure_from_function(&self, m: &Rc<SourceModule>, scope: &Scope, f: &Function) -> Val {
        Val::Func(Rc::new(Closure::function(f, m.clone(), scope.clone())))
    }

    pub fn origin(m: &Rc<SourceModule>, span: Span) -> Origin {
        Origin {
            module: m.clone(),
            span,
        }
    }

    pub fn eval(&mut self, m: &Rc<SourceModule>, scope: &Scope, e: &Expr) -> EResult<Val> {
        if self.depth >= MAX_EVAL_DEPTH {
            let span = swc_core::common::Spanned::span(e);
            return Err(m.diagnostic(span, format!("evaluation nests deeper than {MAX_EVAL_DEPTH} levels here (a function that calls itself without end?)"), "too deep").into());
        }
        self.depth += 1;
        let v = self.eval_inner(m, scope, e);
        self.depth -= 1;
        v
    }

    fn eval_inner(&mut self, m: &Rc<SourceModule>, scope: &Scope, e: &Expr) -> EResult<Val> {
        match e {
            Expr::Lit(l) => self.literal(m, l),
            Expr::Ident(i) => self.ident(m, scope, &i.sym, i.span),
            Expr::Paren(p) => self.eval(m, scope, &p.expr),
            Expr::TsAs(x) => self.eval(m, scope, &x.expr),
            Expr::TsSatisfies(x) => self.eval(m, scope, &x.expr),
            Expr::TsNonNull(x) => self.eval(m, scope, &x.expr),
            Expr::TsConstAssertion(x) => self.eval(m, scope, &x.expr),
            Expr::TsTypeAssertion(x) => self.eval(m, scope, &x.expr),
            Expr::TsInstantiation(x) => self.eval(m, scope, &x.expr),
            Expr::Tpl(t) => {
                let mut s = String::new();
                for (i, q) in t.quasis.iter().enumerate() {
                    s.push_str(
                        &q.cooked
                            .as_ref()
                            .map(|c| c.to_atom_lossy().to_string())
                            .unwrap_or_default(),
                    );
                    if let Some(e) = t.exprs.get(i) {
                        let v = self.eval(m, scope, e)?;
                        s.push_str(&to_js_string(&v).ok_or_else(|| {
                            self.error(
                                m,
                                e.span(),
                                format!("{} cannot be interpolated into a string", v.type_name()),
                            )
                        })?);
                    }
                }
                Ok(Val::Str(s))
            }
            Expr::TaggedTpl(t) => {
                let tag = self.eval(m, scope, &t.tag)?;
                let mut chunks = vec![];
                for (i, q) in t.tpl.quasis.iter().enumerate() {
                    let text = q
                        .cooked
                        .as_ref()
                        .map(|c| c.to_atom_lossy().to_string())
                        .unwrap_or_else(|| q.raw.to_string());
                    chunks.push(SqlChunk::Text(text));
                    if let Some(e) = t.tpl.exprs.get(i) {
                        chunks.push(SqlChunk::Value(self.eval(m, scope, e)?));
                    }
                }
                match tag {
                    Val::Builtin("sql") => Ok(Val::Sql(Rc::new(SqlTemplate::new(
                        chunks,
                        Self::origin(m, t.span),
                    )))),
                    other => Err(self.error(
                        m,
                        t.span,
                        format!(
                            "tagged template with {} is not supported",
                            other.type_name()
                        ),
                    )),
                }
            }
            Expr::Array(a) => {
                let mut out = vec![];
                for el in a.elems.iter().flatten() {
                    let v = self.eval(m, scope, &el.expr)?;
                    if el.spread.is_some() {
                        match v {
                            Val::Array(items) => out.extend(items.iter().cloned()),
                            other => {
                                return Err(self.error(
                                    m,
                                    el.expr.span(),
                                    format!("cannot spread {}", other.type_name()),
                                ));
                            }
                        }
                    } else {
                        out.push(v);
                    }
                }
                Ok(Val::Array(Rc::new(out)))
            }
            Expr::Object(o) => self.object(m, scope, o),
            Expr::Arrow(a) => Ok(Val::Func(Rc::new(Closure::arrow(
                a,
                m.clone(),
                scope.clone(),
            )))),
            Expr::Fn(f) => Ok(self.closure_from_function(m, scope, &f.function)),
            Expr::Member(mem) => {
                let obj = self.eval(m, scope, &mem.obj)?;
                let key = match &mem.prop {
                    MemberProp::Ident(i) => i.sym.to_string(),
                    MemberProp::Computed(c) => {
                        let k = self.eval(m, scope, &c.expr)?;
                        to_js_string(&k).ok_or_else(|| {
                            self.error(m, c.span, "computed key must be a string or number")
                        })?
                    }
                    MemberProp::PrivateName(_) => {
                        return Err(self.error(m, mem.span, "private names are not supported"));
                    }
                };
                self.member(m, obj, &key, mem.span)
            }
            Expr::OptChain(o) => match &*o.base {
                OptChainBase::Member(mem) => {
                    let obj = self.eval(m, scope, &mem.obj)?;
                    if matches!(obj, Val::Undefined | Val::Null) {
                        return Ok(Val::Undefined);
                    }
                    let key = match &mem.prop {
                        MemberProp::Ident(i) => i.sym.to_string(),
                        _ => {
                            return Err(self.error(
                                m,
                                mem.span,
                                "this optional access is not supported",
                            ));
                        }
                    };
                    self.member(m, obj, &key, mem.span)
                }
                OptChainBase::Call(_) => {
                    Err(self.error(m, o.span, "optional calls are not supported"))
                }
            },
            Expr::Call(c) => self.call_expr(m, scope, c),
            Expr::New(n) => {
                let callee = self.eval(m, scope, &n.callee)?;
                if let Val::Opaque(what) = &callee {
                    return Ok(Val::Opaque(format!("new {what}(…)").into()));
                }
                let args = match &n.args {
                    Some(a) => self.args(m, scope, a)?,
                    None => vec![],
                };
                match callee {
                    Val::Builtin("Date") => super::js_builtins::new_date(self, m, n.span, &args),
                    other => Err(self.error(
                        m,
                        n.span,
                        format!("`new` of {} is not supported", other.type_name()),
                    )),
                }
            }
            Expr::Unary(u) => {
                let v = self.eval(m, scope, &u.arg)?;
                match (u.op, v) {
                    (UnaryOp::Minus, Val::Num(n)) => Ok(Val::Num(-n)),
                    (UnaryOp::Minus, Val::BigInt(b)) => Ok(Val::BigInt(format!("-{b}"))),
                    (UnaryOp::Plus, Val::Num(n)) => Ok(Val::Num(n)),
                    (UnaryOp::Bang, v) => Ok(Val::Bool(!v.truthy())),
                    (UnaryOp::Void, _) => Ok(Val::Undefined),
                    (UnaryOp::Tilde, Val::Num(n)) => Ok(Val::Num(f64::from(!(n as i64 as i32)))),
                    (UnaryOp::TypeOf, v) => Ok(Val::Str(
                        match v {
                            Val::Undefined => "undefined",
                            Val::Bool(_) => "boolean",
                            Val::Num(_) => "number",
                            Val::Str(_) => "string",
                            Val::BigInt(_) => "bigint",
                            Val::Func(_)
                            | Val::Builtin(_)
                            | Val::CustomType(_)
                            | Val::Method(..) => "function",
                            _ => "object",
                        }
                        .into(),
                    )),
                    (op, v) => Err(self.error(
                        m,
                        u.span,
                        format!("operator {op:?} on {} is not supported", v.type_name()),
                    )),
                }
            }
            Expr::Bin(b) => self.binary(m, scope, b),
            Expr::Cond(c) => {
                let t = self.eval(m, scope, &c.test)?;
                self.eval(m, scope, if t.truthy() { &c.cons } else { &c.alt })
            }
            other => Err(self.error(
                m,
                other.span(),
                "this expression is not supported by the static schema reader",
            )),
        }
    }

    fn literal(&self, m: &Rc<SourceModule>, l: &Lit) -> EResult<Val> {
        Ok(match l {
            Lit::Str(s) => Val::Str(s.value.to_atom_lossy().to_string()),
            Lit::Num(n) => Val::Num(n.value),
            Lit::Bool(b) => Val::Bool(b.value),
            Lit::Null(_) => Val::Null,
            Lit::BigInt(b) => Val::BigInt(b.value.to_string()),
            other => return Err(self.error(m, other.span(), "this literal is not supported")),
        })
    }

    fn ident(
        &mut self,
        m: &Rc<SourceModule>,
        scope: &Scope,
        name: &str,
        span: Span,
    ) -> EResult<Val> {
        if let Some(v) = scope.lookup(name) {
            return Ok(v);
        }
        let m = m.clone();
        self.binding(&m.path, name, span)
    }

    fn object(&mut self, m: &Rc<SourceModule>, scope: &Scope, o: &ObjectLit) -> EResult<Val> {
        let mut out = IndexMap::new();
        for p in &o.props {
            match p {
                PropOrSpread::Spread(s) => match self.eval(m, scope, &s.expr)? {
                    Val::Object(obj) => out.extend(obj.iter().map(|(k, v)| (k.clone(), v.clone()))),
                    Val::Undefined | Val::Null => {}
                    other => {
                        return Err(self.error(
                            m,
                            s.expr.span(),
                            format!("cannot spread {}", other.type_name()),
                        ));
                    }
                },
                PropOrSpread::Prop(p) => match &**p {
                    Prop::Shorthand(i) => {
                        let v = self.ident(m, scope, &i.sym, i.span)?;
                        out.insert(i.sym.to_string(), v);
                    }
                    Prop::KeyValue(kv) => {
                        let key = match &kv.key {
                            PropName::Computed(c) => {
                                let k = self.eval(m, scope, &c.expr)?;
                                to_js_string(&k).ok_or_else(|| {
                                    self.error(m, c.span, "computed key must be a string")
                                })?
                            }
                            k => prop_name(k)
                                .ok_or_else(|| self.error(m, kv.key.span(), "unsupported key"))?,
                        };
                        let v = self.eval(m, scope, &kv.value)?;
                        out.insert(key, v);
                    }
                    Prop::Method(md) => {
                        let key = prop_name(&md.key)
                            .ok_or_else(|| self.error(m, md.key.span(), "unsupported key"))?;
                        out.insert(key, self.closure_from_function(m, scope, &md.function));
                    }
                    other => {
                        return Err(self.error(
                            m,
                            other.span(),
                            "this object member is not supported",
                        ));
                    }
                },
            }
        }
        Ok(Val::Object(Rc::new(out)))
    }

    fn member(&mut self, m: &Rc<SourceModule>, obj: Val, key: &str, span: Span) -> EResult<Val> {
        match &obj {
            Val::Object(o) => Ok(o.get(key).cloned().unwrap_or(Val::Undefined)),
            Val::Array(a) => {
                if key == "length" {
                    return Ok(Val::Num(a.len() as f64));
                }
                if let Ok(i) = key.parse::<usize>() {
                    return Ok(a.get(i).cloned().unwrap_or(Val::Undefined));
                }
                Ok(Val::Method(Box::new(obj.clone()), key.to_string()))
            }
            Val::Namespace(path) => {
                let path = path.clone();
                Ok(self.export(&path, key, span)?.unwrap_or(Val::Undefined))
            }
            Val::Table(t) => drizzle::table_member(self, m, t, key, span),
            Val::Opaque(what) => Ok(Val::Opaque(format!("{what}.{key}").into())),
            Val::Str(s) if key == "length" => Ok(Val::Num(s.chars().count() as f64)),
            Val::Undefined | Val::Null => Err(self.error(
                m,
                span,
                format!("cannot read `{key}` of {}", obj.type_name()),
            )),
            _ => Ok(Val::Method(Box::new(obj), key.to_string())),
        }
    }

    pub fn args(
        &mut self,
        m: &Rc<SourceModule>,
        scope: &Scope,
        args: &[ExprOrSpread],
    ) -> EResult<Vec<Val>> {
        let mut out = vec![];
        for a in args {
            let v = self.eval(m, scope, &a.expr)?;
            match (a.spread.is_some(), v) {
                (true, Val::Array(items)) => out.extend(items.iter().cloned()),
                (true, other) => {
                    return Err(self.error(
                        m,
                        a.expr.span(),
                        format!("cannot spread {}", other.type_name()),
                    ));
                }
                (false, v) => out.push(v),
            }
        }
        Ok(out)
    }

    fn call_expr(&mut self, m: &Rc<SourceModule>, scope: &Scope, c: &CallExpr) -> EResult<Val> {
        let callee = match &c.callee {
            Callee::Expr(e) => self.eval(m, scope, e)?,
            _ => return Err(self.error(m, c.span, "this call is not supported")),
        };
        // What the schema reader does not evaluate is not evaluated further: its arguments
        // may be anything (`drizzle(createClient({ url: process.env.URL }))`).
        if let Val::Opaque(what) = &callee {
            return Ok(Val::Opaque(format!("{what}(…)").into()));
        }
        let made_before = self.volatile.len();
        let args = self.args(m, scope, &c.args)?;
        let is_default = matches!(&callee, Val::Method(recv, name) if name == "default" && matches!(**recv, Val::Column(_)));
        let out = self.call(m, callee, args, c.span)?;
        if is_default
            && self.volatile.len() > made_before
            && let Val::Column(b) = &out
        {
            let mut b = (**b).clone();
            b.volatile_default = Some(self.volatile[made_before].clone());
            return Ok(Val::Column(Rc::new(b)));
        }
        Ok(out)
    }

    pub fn call(
        &mut self,
        m: &Rc<SourceModule>,
        callee: Val,
        args: Vec<Val>,
        span: Span,
    ) -> EResult<Val> {
        match callee {
            Val::Func(f) => self.invoke(&f, args),
            Val::Builtin(name) => drizzle::call_builtin(self, m, name, args, span),
            Val::CustomType(sql_type) => drizzle::custom_column(m, &sql_type, args, span),
            Val::Method(recv, name) => drizzle::call_method(self, m, *recv, &name, args, span),
            Val::Opaque(what) => Ok(Val::Opaque(format!("{what}(…)").into())),
            other => Err(self.error(m, span, format!("{} is not callable", other.type_name()))),
        }
    }

    /// Call a user function or arrow with `args`.
    pub fn invoke(&mut self, f: &Closure, args: Vec<Val>) -> EResult<Val> {
        let scope = f.scope.child();
        for (i, p) in f.params().into_iter().enumerate() {
            let v = args.get(i).cloned().unwrap_or(Val::Undefined);
            self.bind_pattern(&f.module, &scope, p, v)?;
        }
        let m = f.module.clone();
        match f.body() {
            BodyRef::Arrow(ArrowFunctionBody::Expr(e)) => self.eval(&m, &scope, e),
            BodyRef::Arrow(ArrowFunctionBody::FunctionBody(b)) => {
                Ok(self.block(&m, &scope, &b.stmts)?.unwrap_or(Val::Undefined))
            }
            BodyRef::Block(stmts) => Ok(self.block(&m, &scope, stmts)?.unwrap_or(Val::Undefined)),
        }
    }

    fn bind_pattern(
        &mut self,
        m: &Rc<SourceModule>,
        scope: &Scope,
        p: &Pat,
        v: Val,
    ) -> EResult<()> {
        match p {
            Pat::Ident(i) => scope.set(&i.id.sym, v),
            Pat::Assign(a) => {
                let v = if matches!(v, Val::Undefined) {
                    self.eval(m, scope, &a.right)?
                } else {
                    v
                };
                self.bind_pattern(m, scope, &a.left, v)?;
            }
            Pat::Object(o) => {
                for prop in &o.props {
                    match prop {
                        ObjectPatProp::Assign(a) => {
                            let mut field = v.get(&a.key.sym).cloned().unwrap_or(Val::Undefined);
                            if let (Val::Undefined, Some(d)) = (&field, &a.value) {
                                field = self.eval(m, scope, d)?;
                            }
                            scope.set(&a.key.sym, field);
                        }
                        ObjectPatProp::KeyValue(kv) => {
                            let key = prop_name(&kv.key)
                                .ok_or_else(|| self.error(m, kv.key.span(), "unsupported key"))?;
                            let field = v.get(&key).cloned().unwrap_or(Val::Undefined);
                            self.bind_pattern(m, scope, &kv.value, field)?;
                        }
                        ObjectPatProp::Rest(r) => {
                            return Err(self.error(m, r.span, "rest patterns are not supported"));
                        }
                    }
                }
            }
            Pat::Array(a) => {
                for (i, el) in a.elems.iter().enumerate() {
                    if let Some(el) = el {
                        let item = match &v {
                            Val::Array(items) => items.get(i).cloned().unwrap_or(Val::Undefined),
                            _ => Val::Undefined,
                        };
                        self.bind_pattern(m, scope, el, item)?;
                    }
                }
            }
            other => {
                return Err(self.error(m, other.span(), "this parameter pattern is not supported"));
            }
        }
        Ok(())
    }

    /// Run a function body; `Some` when it returned.
    fn block(
        &mut self,
        m: &Rc<SourceModule>,
        scope: &Scope,
        stmts: &[Stmt],
    ) -> EResult<Option<Val>> {
        for s in stmts {
            match s {
                Stmt::Return(r) => {
                    return Ok(Some(match &r.arg {
                        Some(e) => self.eval(m, scope, e)?,
                        None => Val::Undefined,
                    }));
                }
                Stmt::Decl(Decl::Var(v)) => {
                    for d in &v.decls {
                        let val = match &d.init {
                            Some(e) => self.eval(m, scope, e)?,
                            None => Val::Undefined,
                        };
                        self.bind_pattern(m, scope, &d.name, val)?;
                    }
                }
                Stmt::Decl(Decl::Fn(f)) => {
                    let c = self.closure_from_function(m, scope, &f.function);
                    scope.set(&f.ident.sym, c);
                }
                Stmt::If(i) => {
                    let t = self.eval(m, scope, &i.test)?;
                    let branch = if t.truthy() {
                        Some(&i.cons)
                    } else {
                        i.alt.as_ref()
                    };
                    if let Some(b) = branch {
                        let stmts = match &**b {
                            Stmt::Block(b) => b.stmts.clone(),
                            other => vec![other.clone()],
                        };
                        if let Some(v) = self.block(m, &scope.child(), &stmts)? {
                            return Ok(Some(v));
                        }
                    }
                }
                Stmt::Block(b) => {
                    if let Some(v) = self.block(m, &scope.child(), &b.stmts)? {
                        return Ok(Some(v));
                    }
                }
                Stmt::Empty(_)
                | Stmt::Decl(Decl::TsInterface(_))
                | Stmt::Decl(Decl::TsTypeAlias(_)) => {}
                other => {
                    return Err(self.error(
                        m,
                        other.span(),
                        "this statement is not supported in a schema helper function; a helper may declare constants, branch with if/else and return: build lists with map/filter instead of loops",
                    ));
                }
            }
        }
        Ok(None)
    }

    fn binary(&mut self, m: &Rc<SourceModule>, scope: &Scope, b: &BinExpr) -> EResult<Val> {
        let l = self.eval(m, scope, &b.left)?;
        match b.op {
            BinaryOp::LogicalOr if l.truthy() => return Ok(l),
            BinaryOp::LogicalAnd if !l.truthy() => return Ok(l),
            BinaryOp::NullishCoalescing if !matches!(l, Val::Undefined | Val::Null) => {
                return Ok(l);
            }
            BinaryOp::LogicalOr | BinaryOp::LogicalAnd | BinaryOp::NullishCoalescing => {
                return self.eval(m, scope, &b.right);
            }
            _ => {}
        }
        let r = self.eval(m, scope, &b.right)?;
        use BinaryOp::*;
        Ok(match (b.op, &l, &r) {
            (Add, Val::Num(a), Val::Num(c)) => Val::Num(a + c),
            (Add, Val::Str(_), _) | (Add, _, Val::Str(_)) => {
                let (Some(a), Some(c)) = (to_js_string(&l), to_js_string(&r)) else {
                    return Err(self.error(m, b.span, "unsupported string concatenation"));
                };
                Val::Str(a + &c)
            }
            (Sub, Val::Num(a), Val::Num(c)) => Val::Num(a - c),
            (Mul, Val::Num(a), Val::Num(c)) => Val::Num(a * c),
            (Div, Val::Num(a), Val::Num(c)) => Val::Num(a / c),
            (Mod, Val::Num(a), Val::Num(c)) => Val::Num(a % c),
            (Exp, Val::Num(a), Val::Num(c)) => Val::Num(a.powf(*c)),
            (LShift, Val::Num(a), Val::Num(c)) => {
                Val::Num(f64::from((*a as i64 as i32).wrapping_shl(*c as u32 & 31)))
            }
            (RShift, Val::Num(a), Val::Num(c)) => {
                Val::Num(f64::from((*a as i64 as i32).wrapping_shr(*c as u32 & 31)))
            }
            (BitOr, Val::Num(a), Val::Num(c)) => {
                Val::Num(f64::from((*a as i64 as i32) | (*c as i64 as i32)))
            }
            (BitAnd, Val::Num(a), Val::Num(c)) => {
                Val::Num(f64::from((*a as i64 as i32) & (*c as i64 as i32)))
            }
            (BitXor, Val::Num(a), Val::Num(c)) => {
                Val::Num(f64::from((*a as i64 as i32) ^ (*c as i64 as i32)))
            }
            (Lt, Val::Str(a), Val::Str(c)) => Val::Bool(a < c),
            (Gt, Val::Str(a), Val::Str(c)) => Val::Bool(a > c),
            (EqEqEq | EqEq, _, _) => Val::Bool(loose_eq(&l, &r)),
            (NotEqEq | NotEq, _, _) => Val::Bool(!loose_eq(&l, &r)),
            (Lt, Val::Num(a), Val::Num(c)) => Val::Bool(a < c),
            (Gt, Val::Num(a), Val::Num(c)) => Val::Bool(a > c),
            (LtEq, Val::Num(a), Val::Num(c)) => Val::Bool(a <= c),
            (GtEq, Val::Num(a), Val::Num(c)) => Val::Bool(a >= c),
            _ => {
                return Err(self.error(
                    m,
                    b.span,
                    format!(
                        "operator {} on {} and {} is not supported",
                        b.op.as_str(),
                        l.type_name(),
                        r.type_name()
                    ),
                ));
            }
        })
    }
}

fn loose_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Null | Val::Undefined, Val::Null | Val::Undefined) => true,
        _ => false,
    }
}

/// The declaration of top-level item `item` (plain or exported).
fn decl_at(m: &SourceModule, item: usize) -> Option<&Decl> {
    match m.ast.body.get(item)? {
        ModuleItem::Stmt(Stmt::Decl(d)) => Some(d),
        ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => Some(&e.decl),
        _ => None,
    }
}

fn collect_decl(item: usize, d: &Decl, bindings: &mut HashMap<String, Binding>) -> Vec<String> {
    let mut names = vec![];
    match d {
        Decl::Var(v) => {
            for (i, decl) in v.decls.iter().enumerate() {
                if let (Pat::Ident(id), Some(_)) = (&decl.name, &decl.init) {
                    bindings.insert(id.id.sym.to_string(), Binding::Var(item, i));
                    names.push(id.id.sym.to_string());
                }
            }
        }
        Decl::Fn(f) => {
            bindings.insert(f.ident.sym.to_string(), Binding::Func(item));
            names.push(f.ident.sym.to_string());
        }
        Decl::TsEnum(e) if !e.declare => {
            bindings.insert(e.id.sym.to_string(), Binding::Enum(item));
            names.push(e.id.sym.to_string());
        }
        _ => {}
    }
    names
}

/// The bindings top-level item `item` declares that the evaluator can read: variables with
/// an initializer, functions, enums, and an `export default` expression or function.
fn collect_item(item: usize, it: &ModuleItem, bindings: &mut HashMap<String, Binding>) {
    match it {
        ModuleItem::Stmt(Stmt::Decl(d)) => {
            collect_decl(item, d, bindings);
        }
        ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => {
            collect_decl(item, &e.decl, bindings);
        }
        ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(_)) => {
            bindings.insert("*default*".into(), Binding::DefaultExpr(item));
        }
        ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultDecl(d)) => {
            if let DefaultDecl::Fn(f) = &d.decl {
                let local = f
                    .ident
                    .as_ref()
                    .map(|i| i.sym.to_string())
                    .unwrap_or_else(|| "*default*".into());
                bindings.insert(local, Binding::DefaultFn(item));
            }
        }
        _ => {}
    }
}

/// The error of evaluating `name`, with a note saying where `name` is (the chain of what the
/// schema needed, read from the innermost error outwards).
fn needed_by(e: anyhow::Error, m: &SourceModule, name: &str, span: Span) -> anyhow::Error {
    match e.downcast::<crate::diagnostic::Diagnostic>() {
        Ok(d) => {
            let shown = if name.starts_with('*') {
                "the default export"
            } else {
                name
            };
            let at = if span.is_dummy() {
                m.path.display().to_string()
            } else {
                m.diagnostic(span, "", "").location()
            };
            d.with_note(format!("needed for `{shown}`, used at {at}"))
                .into()
        }
        Err(e) => e,
    }
}

/// What the export classifier has looked at already: (module, name) pairs.
type Seen = rustc_hash::FxHashSet<(PathBuf, String)>;

/// drizzle exports that make a table or view (or a function that makes tables).
const SCHEMA_MAKERS: &[&str] = &["sqliteTable", "sqliteView", "sqliteTableCreator"];

impl Evaluator {
    /// Whether export `name` of `module` may be a table or view, judged from the code without
    /// evaluating it: what is made by a drizzle table or view builder (directly, through a
    /// local helper, or under another name) may be; relations, zod and drizzle-zod schemas,
    /// clients, enums, functions, plain objects and values are not, and are never evaluated.
    pub fn export_may_be_schema(&mut self, module: &Path, name: &str) -> EResult<bool> {
        let mut seen = rustc_hash::FxHashSet::default();
        self.export_may(module, name, &mut seen)
    }

    fn export_may(&mut self, module: &Path, name: &str, seen: &mut Seen) -> EResult<bool> {
        if !seen.insert((module.to_path_buf(), format!("export {name}"))) {
            return Ok(false);
        }
        let env = &self.envs[module];
        let m = env.module.clone();
        match env.exports.get(name).cloned() {
            Some(Export::Local(local)) => self.binding_may(module, &local, seen),
            Some(Export::From { from, name }) => self.import_may(&m, &from, &name, seen),
            Some(Export::NamespaceFrom(_)) => Ok(false),
            None => {
                for spec in env.star_exports.clone() {
                    if is_drizzle(&spec) || !(spec.starts_with('.') || spec.starts_with('/')) {
                        continue;
                    }
                    let target = self.resolve_module(&m, &spec, m.ast.span)?;
                    if self.envs[&target].exports.contains_key(name)
                        || !self.envs[&target].star_exports.is_empty()
                    {
                        return self.export_may(&target, name, seen);
                    }
                }
                Ok(false)
            }
        }
    }

    fn import_may(
        &mut self,
        from: &Rc<SourceModule>,
        spec: &str,
        name: &str,
        seen: &mut Seen,
    ) -> EResult<bool> {
        if is_drizzle(spec)
            || !(spec.starts_with('.') || spec.starts_with('/') || spec.starts_with('@'))
        {
            return Ok(false);
        }
        match self.resolve_module(from, spec, from.ast.span) {
            Ok(target) => self.export_may(&target, name, seen),
            // A path alias the reader cannot resolve: evaluating it will say so.
            Err(_) => Ok(true),
        }
    }

    fn binding_may(&mut self, module: &Path, name: &str, seen: &mut Seen) -> EResult<bool> {
        if !seen.insert((module.to_path_buf(), name.to_string())) {
            return Ok(false);
        }
        let env = &self.envs[module];
        let m = env.module.clone();
        let Some(b) = env.bindings.get(name).cloned() else {
            return Ok(false);
        };
        match b {
            Binding::Var(item, i) => match decl_at(&m, item) {
                Some(Decl::Var(v)) => match v.decls.get(i).and_then(|d| d.init.as_deref()) {
                    Some(init) => self.expr_may(&m, init, seen),
                    None => Ok(false),
                },
                _ => Ok(false),
            },
            Binding::DefaultExpr(item) => match m.ast.body.get(item) {
                Some(ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(d))) => {
                    self.expr_may(&m, &d.expr, seen)
                }
                _ => Ok(false),
            },
            Binding::Import {
                from,
                name: Some(n),
            } => self.import_may(&m, &from, &n, seen),
            Binding::Import { name: None, .. } => Ok(false),
            Binding::Func(_) | Binding::DefaultFn(_) | Binding::Enum(_) => Ok(false),
            Binding::Done(v) => Ok(matches!(v, Val::Table(_) | Val::View(_))),
            Binding::Evaluating => Ok(true),
        }
    }

    /// Whether a callee names a table or view maker: a drizzle builder, or a local helper whose
    /// returned value may be a table.
    fn callee_may(
        &mut self,
        m: &Rc<SourceModule>,
        callee: &Expr,
        seen: &mut Seen,
    ) -> EResult<bool> {
        match callee {
            Expr::Ident(i) => {
                let name = i.sym.to_string();
                let Some(b) = self.envs[&m.path].bindings.get(&name).cloned() else {
                    // A parameter or a global: not something that makes tables.
                    return Ok(false);
                };
                match b {
                    Binding::Import {
                        from,
                        name: Some(n),
                    } if is_drizzle(&from) => Ok(SCHEMA_MAKERS.contains(&n.as_str())),
                    // Already evaluated (by a table that used it).
                    Binding::Done(Val::Builtin(b)) => Ok(SCHEMA_MAKERS.contains(&b)),
                    // A table creator's result, or another method value.
                    Binding::Done(Val::Method(..)) => Ok(true),
                    Binding::Done(Val::Func(f)) => {
                        let fm = f.module.clone();
                        match f.body() {
                            BodyRef::Arrow(body) => self.arrow_may(&fm, body, seen),
                            BodyRef::Block(stmts) => {
                                self.function_may(&fm, Some(stmts), None, seen)
                            }
                        }
                    }
                    Binding::Func(item) => match decl_at(m, item) {
                        Some(Decl::Fn(f)) => self.function_may(
                            m,
                            f.function.body.as_ref().map(|b| &b.stmts[..]),
                            None,
                            seen,
                        ),
                        _ => Ok(false),
                    },
                    Binding::Var(item, i) => match decl_at(m, item) {
                        Some(Decl::Var(v)) => {
                            match v.decls.get(i).and_then(|d| d.init.as_deref()) {
                                Some(Expr::Arrow(a)) => self.arrow_may(m, &a.body, seen),
                                Some(Expr::Fn(f)) => self.function_may(
                                    m,
                                    f.function.body.as_ref().map(|b| &b.stmts[..]),
                                    None,
                                    seen,
                                ),
                                // `const createTable = sqliteTableCreator(...)`, or an alias.
                                Some(init) => self.expr_may(m, init, seen),
                                None => Ok(false),
                            }
                        }
                        _ => Ok(false),
                    },
                    Binding::Import {
                        from,
                        name: Some(n),
                    } => {
                        // A helper from another local module: judged by what it returns.
                        if !(from.starts_with('.')
                            || from.starts_with('/')
                            || from.starts_with('@'))
                        {
                            return Ok(false);
                        }
                        let Ok(target) = self.resolve_module(m, &from, m.ast.span) else {
                            return Ok(true);
                        };
                        let tm = self.envs[&target].module.clone();
                        match self.envs[&target].exports.get(&n).cloned() {
                            Some(Export::Local(local)) => {
                                let ident = Expr::Ident(Ident::new_no_ctxt(local.into(), i.span));
                                self.callee_may(&tm, &ident, seen)
                            }
                            _ => Ok(true),
                        }
                    }
                    _ => Ok(false),
                }
            }
            // `core.sqliteTable(...)`, `sqliteView("v").as(...)`, `t.something(...)`.
            Expr::Member(mem) => {
                if let (Expr::Ident(obj), MemberProp::Ident(prop)) = (&*mem.obj, &mem.prop)
                    && let Some(Binding::Import { from, name: None }) = self.envs[&m.path]
                        .bindings
                        .get(&obj.sym.to_string())
                        .cloned()
                    && is_drizzle(&from)
                {
                    return Ok(SCHEMA_MAKERS.contains(&&*prop.sym));
                }
                self.expr_may(m, &mem.obj, seen)
            }
            Expr::Paren(p) => self.callee_may(m, &p.expr, seen),
            // An immediately called function: judged by what it returns.
            Expr::Arrow(a) => self.arrow_may(m, &a.body, seen),
            Expr::Fn(f) => self.function_may(
                m,
                f.function.body.as_ref().map(|b| &b.stmts[..]),
                None,
                seen,
            ),
            Expr::Call(c) => match &c.callee {
                Callee::Expr(e) => self.callee_may(m, e, seen),
                _ => Ok(false),
            },
            _ => Ok(true),
        }
    }

    fn arrow_may(
        &mut self,
        m: &Rc<SourceModule>,
        body: &ArrowFunctionBody,
        seen: &mut Seen,
    ) -> EResult<bool> {
        match body {
            ArrowFunctionBody::Expr(e) => self.expr_may(m, e, seen),
            ArrowFunctionBody::FunctionBody(b) => self.function_may(m, Some(&b.stmts), None, seen),
        }
    }

    fn function_may(
        &mut self,
        m: &Rc<SourceModule>,
        body: Option<&[Stmt]>,
        _: Option<()>,
        seen: &mut Seen,
    ) -> EResult<bool> {
        let Some(stmts) = body else { return Ok(false) };
        let mut returns = vec![];
        collect_returns(stmts, &mut returns);
        for r in returns {
            if self.expr_may(m, r, seen)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn expr_may(&mut self, m: &Rc<SourceModule>, e: &Expr, seen: &mut Seen) -> EResult<bool> {
        match e {
            Expr::Call(c) => match &c.callee {
                Callee::Expr(callee) => self.callee_may(m, callee, seen),
                _ => Ok(false),
            },
            Expr::Ident(i) => {
                let path = m.path.clone();
                self.binding_may(&path, &i.sym, seen)
            }
            Expr::Member(mem) => match &*mem.obj {
                // `tables.users`, `ns.users`: whatever it names may be a table.
                Expr::Ident(obj) => match self.envs[&m.path]
                    .bindings
                    .get(&obj.sym.to_string())
                    .cloned()
                {
                    None => Ok(false),
                    Some(Binding::Import { from, name: None }) => {
                        let MemberProp::Ident(prop) = &mem.prop else {
                            return Ok(true);
                        };
                        if is_drizzle(&from)
                            || !(from.starts_with('.')
                                || from.starts_with('/')
                                || from.starts_with('@'))
                        {
                            return Ok(false);
                        }
                        match self.resolve_module(m, &from, m.ast.span) {
                            Ok(target) => self.export_may(&target, &prop.sym, seen),
                            Err(_) => Ok(true),
                        }
                    }
                    Some(Binding::Import { from, .. })
                        if is_drizzle(&from)
                            || !(from.starts_with('.')
                                || from.starts_with('/')
                                || from.starts_with('@')) =>
                    {
                        Ok(false)
                    }
                    Some(Binding::Enum(_) | Binding::Func(_)) => Ok(false),
                    Some(Binding::Done(Val::Namespace(path))) => {
                        let MemberProp::Ident(prop) = &mem.prop else {
                            return Ok(true);
                        };
                        self.export_may(&path, &prop.sym, seen)
                    }
                    Some(Binding::Done(v)) => Ok(matches!(
                        v,
                        Val::Object(_) | Val::Table(_) | Val::View(_) | Val::Array(_)
                    )),
                    Some(_) => Ok(true),
                },
                other => self.expr_may(m, other, seen),
            },
            Expr::Paren(p) => self.expr_may(m, &p.expr, seen),
            Expr::TsAs(x) => self.expr_may(m, &x.expr, seen),
            Expr::TsSatisfies(x) => self.expr_may(m, &x.expr, seen),
            Expr::TsNonNull(x) => self.expr_may(m, &x.expr, seen),
            Expr::TsConstAssertion(x) => self.expr_may(m, &x.expr, seen),
            Expr::TsTypeAssertion(x) => self.expr_may(m, &x.expr, seen),
            Expr::Cond(c) => {
                Ok(self.expr_may(m, &c.cons, seen)? || self.expr_may(m, &c.alt, seen)?)
            }
            Expr::Bin(b)
                if matches!(
                    b.op,
                    BinaryOp::LogicalOr | BinaryOp::LogicalAnd | BinaryOp::NullishCoalescing
                ) =>
            {
                Ok(self.expr_may(m, &b.left, seen)? || self.expr_may(m, &b.right, seen)?)
            }
            Expr::Seq(s) => match s.exprs.last() {
                Some(last) => self.expr_may(m, last, seen),
                None => Ok(false),
            },
            Expr::Lit(_)
            | Expr::Tpl(_)
            | Expr::Object(_)
            | Expr::Array(_)
            | Expr::Arrow(_)
            | Expr::Fn(_)
            | Expr::Class(_)
            | Expr::New(_)
            | Expr::Unary(_)
            | Expr::Update(_)
            | Expr::Bin(_)
            | Expr::Await(_)
            | Expr::TaggedTpl(_)
            | Expr::This(_)
            | Expr::MetaProp(_) => Ok(false),
            _ => Ok(true),
        }
    }
}

/// The expressions a function body returns (nested functions left out).
fn collect_returns<'a>(stmts: &'a [Stmt], out: &mut Vec<&'a Expr>) {
    for s in stmts {
        match s {
            Stmt::Return(r) => {
                if let Some(arg) = &r.arg {
                    out.push(arg);
                }
            }
            Stmt::Block(b) => collect_returns(&b.stmts, out),
            Stmt::If(i) => {
                collect_returns(std::slice::from_ref(&i.cons), out);
                if let Some(alt) = &i.alt {
                    collect_returns(std::slice::from_ref(alt), out);
                }
            }
            Stmt::Try(t) => {
                collect_returns(&t.block.stmts, out);
                if let Some(h) = &t.handler {
                    collect_returns(&h.body.stmts, out);
                }
            }
            Stmt::Switch(sw) => {
                for c in &sw.cases {
                    collect_returns(&c.cons, out);
                }
            }
            Stmt::For(f) => collect_returns(std::slice::from_ref(&f.body), out),
            Stmt::ForOf(f) => collect_returns(std::slice::from_ref(&f.body), out),
            Stmt::ForIn(f) => collect_returns(std::slice::from_ref(&f.body), out),
            Stmt::While(w) => collect_returns(std::slice::from_ref(&w.body), out),
            _ => {}
        }
    }
}

/// What to write instead, for a refusal that does not say already.
pub fn with_hint(msg: String) -> String {
    if msg.contains(';') || !(msg.contains("not supported") || msg.contains("not callable")) {
        return msg;
    }
    format!(
        "{msg}; the schema reader evaluates literals, constants, template strings, objects and arrays, arithmetic, string and array methods, enums, calls of local helper functions and drizzle's builders: write the value in one of those forms (or as sql`…` for the database)"
    )
}
