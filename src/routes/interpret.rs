//! Follows Hono apps through a project's top-level code, module by module in evaluation order,
//! doing what Hono's own methods do to an app's route list: `new Hono()`, `basePath` (a clone
//! sharing the list, with its own base path), `get/post/put/delete/patch/options/all` and `on`
//! (which also remember the last path, as Hono does), `use` (middleware: not listed), and
//! `route(prefix, sub)` (copies the sub-app's routes registered so far). Values it cannot know
//! are `Unknown`; a registration on a known app that depends on one becomes a warning.

use std::collections::HashMap;
use std::path::Path;

use swc_core::common::Span;
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

use super::{Analysis, Auth, Route, merge_path};
use crate::bundler::graph::{ModuleGraph, ModuleId, Target};
use crate::bundler::js::record::ImportKind;
use crate::diagnostic::Diagnostic;
use crate::parsing::module_facts::ExportSource;
use crate::resolve::in_package;

/// Packages whose `Hono` export is the app class.
const HONO_PACKAGES: &[&str] = &["hono", "hono/tiny", "hono/quick"];
const METHODS: &[&str] = &["get", "post", "put", "delete", "patch", "options", "all"];

#[derive(Debug, Clone)]
enum Value {
    HonoClass,
    App(usize),
    Str(String),
    Strs(Vec<String>),
    Namespace(ModuleId),
    Unknown,
}

/// One Hono object: its route list (shared with the apps it was cloned from by `basePath`),
/// its base path, and the last path a method was given (Hono's `#path`).
struct Instance {
    list: usize,
    base: String,
    path: String,
}

struct Interpreter<'g> {
    g: &'g ModuleGraph,
    server_dir: &'g Path,
    module: ModuleId,
    instances: Vec<Instance>,
    lists: Vec<Vec<Route>>,
    env: HashMap<Id, Value>,
    exports: Vec<Option<HashMap<String, Value>>>,
    warnings: Vec<Diagnostic>,
}

/// The routes of the app the entry module default-exports; `None` when that is not an app.
pub fn run(g: &ModuleGraph, server_dir: &Path) -> Option<Analysis> {
    let entry = g.entries[0];
    let mut it = Interpreter {
        g,
        server_dir,
        module: entry,
        instances: vec![],
        lists: vec![],
        env: HashMap::new(),
        exports: vec![None; g.modules.len()],
        warnings: vec![],
    };
    // Packages are not followed: an import of one is an import of its specifier, whether the
    // graph was scanned with packages external (`routes`) or whole (deploy's bundle).
    for m in g.evaluation_order(entry) {
        if in_package(&g.files[m].path) {
            continue;
        }
        it.module = m;
        it.run_module(m);
    }
    let Some(Value::App(i)) = it.exports[entry]
        .as_ref()
        .and_then(|e| e.get("default"))
        .cloned()
    else {
        return None;
    };
    let routes = std::mem::take(&mut it.lists[it.instances[i].list]);
    Some(Analysis {
        routes,
        warnings: it.warnings,
    })
}

impl Interpreter<'_> {
    fn run_module(&mut self, m: ModuleId) {
        let g = self.g;
        let facts = &g.modules[m].record.facts;
        // Imports are bound before the module runs, as in ES modules.
        for (from, b) in facts.value_imports() {
            let v = self.import_value(&self.target(m, from), b.imported.name());
            self.env.insert(b.local.clone(), v);
        }
        let mut default = Value::Unknown;
        for item in &g.modules[m].ast.body {
            match item {
                ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(e)) => self.declare(&e.decl),
                ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(e)) => {
                    default = self.eval(&e.expr);
                }
                ModuleItem::Stmt(Stmt::Decl(d)) => self.declare(d),
                ModuleItem::Stmt(Stmt::Expr(e)) => {
                    self.eval(&e.expr);
                }
                ModuleItem::Stmt(s) => self.not_followed(s),
                _ => {}
            }
        }
        // Its exports once it has run: its own names, then what `export *` adds.
        let mut exports: HashMap<String, Value> = HashMap::new();
        for e in facts.value_exports() {
            let v = match &e.source {
                ExportSource::Local(id) => self.env.get(id).cloned().unwrap_or(Value::Unknown),
                ExportSource::From { from, imported } => {
                    self.import_value(&self.target(m, from), imported.name())
                }
                ExportSource::Anonymous => default.clone(),
            };
            exports.insert(e.exported.clone(), v);
        }
        for from in facts.value_stars() {
            if let Target::Module(t) = self.target(m, from) {
                for (k, v) in self.exports[t].clone().unwrap_or_default() {
                    if k != "default" {
                        exports.entry(k).or_insert(v);
                    }
                }
            }
        }
        self.exports[m] = Some(exports);
    }

    /// The target of the static import of `specifier` in module `m`.
    fn target(&self, m: ModuleId, specifier: &str) -> Target {
        match self.g.import_target(m, specifier, ImportKind::Static) {
            Some(Target::Module(t)) if !in_package(&self.g.files[*t].path) => Target::Module(*t),
            _ => Target::External(specifier.to_string()),
        }
    }

    /// What `name` (the namespace with `None`) imported from `t` is.
    fn import_value(&self, t: &Target, name: Option<&str>) -> Value {
        match (t, name) {
            (Target::External(s), Some("Hono")) if HONO_PACKAGES.contains(&s.as_str()) => {
                Value::HonoClass
            }
            (Target::External(_), _) => Value::Unknown,
            (Target::Module(m), None) => Value::Namespace(*m),
            (Target::Module(m), Some(n)) => self.exports[*m]
                .as_ref()
                .and_then(|e| e.get(n))
                .cloned()
                .unwrap_or(Value::Unknown),
        }
    }

    fn declare(&mut self, d: &Decl) {
        match d {
            Decl::Var(v) => {
                for d in &v.decls {
                    let value = d
                        .init
                        .as_deref()
                        .map(|e| self.eval(e))
                        .unwrap_or(Value::Unknown);
                    if let Pat::Ident(b) = &d.name {
                        self.env.insert(b.id.to_id(), value);
                    }
                }
            }
            Decl::Fn(f) => self.not_followed(&f.function),
            Decl::Class(c) => self.not_followed(&c.class),
            _ => {}
        }
    }

    fn eval(&mut self, e: &Expr) -> Value {
        match e {
            Expr::Lit(Lit::Str(s)) => Value::Str(s.value.to_string_lossy().into_owned()),
            Expr::Tpl(t) => {
                let mut out = String::new();
                for (i, q) in t.quasis.iter().enumerate() {
                    let Some(cooked) = &q.cooked else {
                        return Value::Unknown;
                    };
                    out.push_str(&cooked.to_string_lossy());
                    if let Some(e) = t.exprs.get(i) {
                        let Value::Str(s) = self.eval(e) else {
                            return Value::Unknown;
                        };
                        out.push_str(&s);
                    }
                }
                Value::Str(out)
            }
            Expr::Bin(b) if b.op == BinaryOp::Add => {
                match (self.eval(&b.left), self.eval(&b.right)) {
                    (Value::Str(l), Value::Str(r)) => Value::Str(l + &r),
                    _ => Value::Unknown,
                }
            }
            Expr::Array(a) => {
                let mut out = vec![];
                for el in &a.elems {
                    match el
                        .as_ref()
                        .map(|el| (el.spread.is_none(), self.eval(&el.expr)))
                    {
                        Some((true, Value::Str(s))) => out.push(s),
                        _ => return Value::Unknown,
                    }
                }
                Value::Strs(out)
            }
            Expr::Ident(i) => self.env.get(&i.to_id()).cloned().unwrap_or(Value::Unknown),
            Expr::Paren(p) => self.eval(&p.expr),
            Expr::Await(a) => self.eval(&a.arg),
            Expr::Seq(s) => s
                .exprs
                .iter()
                .map(|e| self.eval(e))
                .last()
                .unwrap_or(Value::Unknown),
            Expr::Assign(a) => {
                let v = self.eval(&a.right);
                if let (AssignOp::Assign, AssignTarget::Simple(SimpleAssignTarget::Ident(b))) =
                    (a.op, &a.left)
                {
                    self.env.insert(b.id.to_id(), v.clone());
                }
                v
            }
            Expr::Member(m) => match (self.eval(&m.obj), &m.prop) {
                (Value::Namespace(ns), MemberProp::Ident(p)) => self.exports[ns]
                    .as_ref()
                    .and_then(|e| e.get(&*p.sym))
                    .cloned()
                    .unwrap_or(Value::Unknown),
                _ => Value::Unknown,
            },
            Expr::New(n) => {
                let class = self.eval(&n.callee);
                for a in n.args.iter().flatten() {
                    self.eval(&a.expr);
                }
                match class {
                    Value::HonoClass => Value::App(self.new_app()),
                    _ => Value::Unknown,
                }
            }
            Expr::Call(c) => self.call(c),
            // Functions are not run, nor both arms of a condition: a registration inside one is
            // reported instead.
            _ => {
                self.not_followed(e);
                Value::Unknown
            }
        }
    }

    fn new_app(&mut self) -> usize {
        self.lists.push(vec![]);
        self.instances.push(Instance {
            list: self.lists.len() - 1,
            base: "/".into(),
            path: "/".into(),
        });
        self.instances.len() - 1
    }

    fn call(&mut self, c: &CallExpr) -> Value {
        let Callee::Expr(callee) = &c.callee else {
            return Value::Unknown;
        };
        let (receiver, method) = match &**callee {
            Expr::Member(MemberExpr {
                obj,
                prop: MemberProp::Ident(p),
                ..
            }) => (self.eval(obj), Some(p)),
            other => (self.eval(other), None),
        };
        let args: Vec<(Value, &Expr)> = c
            .args
            .iter()
            .map(|a| {
                (
                    if a.spread.is_some() {
                        Value::Unknown
                    } else {
                        self.eval(&a.expr)
                    },
                    &*a.expr,
                )
            })
            .collect();
        match (receiver, method) {
            (Value::App(app), Some(m)) => self.app_method(app, &m.sym, &args, m.span),
            _ => Value::Unknown,
        }
    }

    /// What Hono's method `name` does to app `i`; returns what it returns.
    fn app_method(&mut self, i: usize, name: &str, args: &[(Value, &Expr)], at: Span) -> Value {
        if METHODS.contains(&name) {
            let method = name.to_ascii_uppercase();
            let handlers = match args.first() {
                Some((Value::Str(p), _)) => {
                    self.instances[i].path = p.clone();
                    args.len() - 1
                }
                Some((_, e)) if !is_handler(e) => {
                    self.warn(
                        at,
                        format!(
                            "the path given to {name}() is not a string the analysis can work out"
                        ),
                    );
                    return Value::App(i);
                }
                _ => args.len(),
            };
            if handlers > 0 {
                let path = self.instances[i].path.clone();
                self.add(i, &method, &path, at);
            }
            return Value::App(i);
        }
        match name {
            "on" => {
                let strings = |v: &Value| match v {
                    Value::Str(s) => Some(vec![s.clone()]),
                    Value::Strs(s) => Some(s.clone()),
                    _ => None,
                };
                let (Some(methods), Some(paths)) = (
                    args.first().and_then(|a| strings(&a.0)),
                    args.get(1).and_then(|a| strings(&a.0)),
                ) else {
                    self.warn(at, "the methods or paths given to on() are not strings the analysis can work out".into());
                    return Value::App(i);
                };
                if args.len() > 2 {
                    for p in &paths {
                        self.instances[i].path = p.clone();
                        for m in &methods {
                            self.add(i, &m.to_ascii_uppercase(), p, at);
                        }
                    }
                }
                Value::App(i)
            }
            "use" => {
                self.instances[i].path = match args.first() {
                    Some((Value::Str(p), _)) => p.clone(),
                    _ => "*".into(),
                };
                Value::App(i)
            }
            "basePath" => {
                match args.first() {
                    Some((Value::Str(p), _)) => {
                        let base = merge_path(&self.instances[i].base, p);
                        let list = self.instances[i].list;
                        self.instances.push(Instance {
                            list,
                            base,
                            path: "/".into(),
                        });
                        Value::App(self.instances.len() - 1)
                    }
                    _ => {
                        self.warn(at, "the path given to basePath() is not a string the analysis can work out".into());
                        Value::Unknown
                    }
                }
            }
            "route" => {
                match (args.first(), args.get(1)) {
                    (Some((Value::Str(prefix), _)), Some((Value::App(sub), _))) => {
                        let base = merge_path(&self.instances[i].base, prefix);
                        let copied: Vec<Route> = self.lists[self.instances[*sub].list].clone();
                        let list = self.instances[i].list;
                        for r in copied {
                            let path = merge_path(&base, &r.path);
                            self.lists[list].push(Route {
                                auth: Auth::of(&path),
                                path,
                                ..r
                            });
                        }
                    }
                    (Some((Value::Str(_), _)), _) => self.warn(
                        at,
                        "route(): the sub-app is not one the analysis can follow".into(),
                    ),
                    _ => self.warn(
                        at,
                        "route(): the prefix is not a string the analysis can work out".into(),
                    ),
                }
                Value::App(i)
            }
            "onError" | "notFound" => Value::App(i),
            _ => Value::Unknown,
        }
    }

    fn add(&mut self, i: usize, method: &str, path: &str, at: Span) {
        let path = merge_path(&self.instances[i].base, path);
        let (file, line) = (self.file(), self.g.cm.lookup_char_pos(at.lo).line);
        let list = self.instances[i].list;
        self.lists[list].push(Route {
            method: method.to_string(),
            auth: Auth::of(&path),
            path,
            file,
            line,
        });
    }

    /// The current module's file, relative to the server folder.
    fn file(&self) -> String {
        let path = &self.g.modules[self.module].path;
        path.strip_prefix(self.server_dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    fn warn(&mut self, at: Span, message: String) {
        let file = self.file();
        let source = self.g.cm.lookup_byte_offset(at.lo);
        let start = source.pos.0 as usize;
        let end = start + (at.hi.0 - at.lo.0) as usize;
        let d = Diagnostic::new(
            Path::new(&file),
            &source.sf.src,
            (start, end),
            message,
            "here",
        );
        self.warnings
            .push(d.as_warning().with_code("routes/unread"));
    }

    /// Code that is not run here (function bodies, conditionals, loops): a registration on a
    /// known app inside it is reported, not followed.
    fn not_followed<N: for<'e> VisitWith<Registrations<'e>>>(&mut self, node: &N) {
        let mut found = Registrations {
            env: &self.env,
            at: vec![],
        };
        node.visit_with(&mut found);
        let at = found.at;
        for (span, name) in at {
            self.warn(span, format!("{name}() on a Hono app inside a function, condition or loop is not followed; register routes at the top level"));
        }
    }
}

/// Calls of a registering method on an identifier bound to a known app.
struct Registrations<'e> {
    env: &'e HashMap<Id, Value>,
    at: Vec<(Span, String)>,
}

impl Visit for Registrations<'_> {
    fn visit_call_expr(&mut self, c: &CallExpr) {
        if let Callee::Expr(callee) = &c.callee
            && let Expr::Member(MemberExpr {
                obj,
                prop: MemberProp::Ident(p),
                ..
            }) = &**callee
        {
            let registers =
                METHODS.contains(&&*p.sym) || matches!(&*p.sym, "on" | "route" | "basePath");
            if registers
                && matches!(&**obj, Expr::Ident(i) if matches!(self.env.get(&i.to_id()), Some(Value::App(_))))
            {
                self.at.push((p.span, p.sym.to_string()));
            }
        }
        c.visit_children_with(self);
    }
}

/// A first argument that is a handler, not a path: a function, or a call making one.
fn is_handler(e: &Expr) -> bool {
    matches!(e, Expr::Arrow(_) | Expr::Fn(_) | Expr::Call(_))
}
