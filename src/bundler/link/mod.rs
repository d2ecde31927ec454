//! The link stage: the module graph → one ES module. ES modules are scope-hoisted (their
//! top-level code is concatenated in evaluation order and imports become direct references to
//! the exporting module's bindings); CommonJS modules are wrapped in lazy `__commonJS` functions
//! and imported through `__toESM`; external imports stay imports. Name collisions are settled
//! afterwards, once, by SWC's hygiene pass (every module's top level has its own context).

mod define;
mod lazy;
mod runtime;
mod shake;

use shake::{Part, PartKind, Purity};

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use anyhow::{Result, anyhow};
use indexmap::IndexMap;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::common::{BytePos, DUMMY_SP, FileName, GLOBALS, Mark, SyntaxContext, sync::Lrc};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{EsSyntax, Syntax, parse_file_as_module};
use swc_core::ecma::transforms::base::resolver;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

use crate::bundler::graph::{ModuleGraph, ModuleId, Target};
use crate::bundler::js::record::{ImportKind, declared, export_name, string_arg};

/// The bundle's module format, as esbuild's `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Esm,
    Cjs,
    Iife,
}

pub struct LinkOptions {
    pub format: Format,
    /// `--define K=V` pairs.
    pub defines: Vec<String>,
}

/// Where a name a module exports finally lives.
#[derive(Debug, Clone, PartialEq)]
enum Binding {
    /// A top-level binding of an ES module.
    Local(Id),
    /// The namespace object of an ES module.
    Namespace(ModuleId),
    /// A property of a CommonJS module's exports (`None`: the whole `__toESM` object).
    CommonJs(ModuleId, Option<String>),
    /// A name imported from an external module (`None`: its namespace).
    External(String, Option<String>),
}

/// A module's own export statements, before `export *` is followed.
#[derive(Default)]
struct Exports {
    /// name → what it refers to in this module (a local, or an import to chase).
    named: IndexMap<String, Source>,
    stars: Vec<Target>,
}

#[derive(Debug, Clone)]
enum Source {
    Local(Id),
    Import(Target, Option<String>),
}

pub struct Linker<'g> {
    g: &'g ModuleGraph,
    /// Per module, its statements when they were moved out of the graph (one bundle from it:
    /// no copy needed); empty when the graph keeps them and each bundle takes a copy.
    bodies: Vec<Option<Vec<ModuleItem>>>,
    exports: Vec<Exports>,
    /// Per module: local import binding → (target, imported name; None for `* as`).
    imports: Vec<HashMap<Id, (Target, Option<String>)>>,
    /// Context of the names the linker makes while binding imports (`import_x`, externals'
    /// locals); `taken` keeps them apart.
    ctxt: SyntaxContext,
    helper_mark: Mark,
    helper_ctxt: SyntaxContext,
    /// Per module: the context of the names the linker gives its wrapper, namespace object and
    /// init function, unique by it (so they need no shared counter; code that uses them is
    /// rewritten on several threads).
    module_ctxts: Vec<SyntaxContext>,
    needs: Mutex<Needs>,
    taken: HashSet<String>,
    external_names: IndexMap<(String, Option<String>), Id>,
    /// Per module: an ES module run on demand (see lazy.rs).
    lazy: Vec<bool>,
    format: Format,
    defines: define::Defines,
    unresolved: SyntaxContext,
}

/// What the linked code uses that the linker makes: helpers, CommonJS wrappers, namespace
/// objects. Sets: the order they are asked for in does not matter.
#[derive(Default)]
struct Needs {
    helpers: BTreeSet<&'static str>,
    wrappers: BTreeSet<ModuleId>,
    namespaces: BTreeSet<ModuleId>,
}

/// What goes at a module's place in the evaluation order.
enum InOrder {
    /// An ES module's code.
    Esm(Prepared),
    /// A CommonJS module that ES modules import: `require_x()`, run where Node would run it.
    RunCommonJs(ModuleId),
}

/// A module's code ready to be rewritten: its imports bound, its export syntax removed.
struct Prepared {
    id: ModuleId,
    replace: FxHashMap<Id, Box<Expr>>,
    namespaces: FxHashMap<Id, ModuleId>,
    /// `var import_x = __toESM(require_x())` per CommonJS module it imports.
    interop: Vec<ModuleItem>,
    /// Statements kept or dropped together (a declaration and the call naming it).
    groups: Vec<Vec<ModuleItem>>,
}

pub(crate) fn stem(path: &std::path::Path) -> String {
    let s = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("module");
    let s = if s == "index" {
        path.parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            .unwrap_or(s)
    } else {
        s
    };
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn ident(id: &Id) -> Ident {
    Ident::new(id.0.clone(), DUMMY_SP, id.1)
}

fn expr_ident(id: &Id) -> Box<Expr> {
    Box::new(Expr::Ident(ident(id)))
}

// The arguments come as the boxed expressions the linker builds everywhere.
#[allow(clippy::vec_box)]
fn call(callee: Box<Expr>, args: Vec<Box<Expr>>) -> Box<Expr> {
    Box::new(Expr::Call(CallExpr {
        span: DUMMY_SP,
        ctxt: SyntaxContext::empty(),
        callee: Callee::Expr(callee),
        args: args
            .into_iter()
            .map(|e| ExprOrSpread {
                spread: None,
                expr: e,
            })
            .collect(),
        type_args: None,
    }))
}

fn member(obj: Box<Expr>, prop: &str) -> Box<Expr> {
    let prop = if is_identifier_name(prop) {
        MemberProp::Ident(IdentName::new(prop.into(), DUMMY_SP))
    } else {
        MemberProp::Computed(ComputedPropName {
            span: DUMMY_SP,
            expr: Box::new(Expr::Lit(Lit::Str(prop.into()))),
        })
    };
    Box::new(Expr::Member(MemberExpr {
        span: DUMMY_SP,
        obj,
        prop,
    }))
}

fn is_identifier_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

fn var(kind: VarDeclKind, id: &Id, init: Option<Box<Expr>>) -> ModuleItem {
    ModuleItem::Stmt(Stmt::Decl(Decl::Var(Box::new(VarDecl {
        span: DUMMY_SP,
        ctxt: SyntaxContext::empty(),
        kind,
        declare: false,
        decls: vec![VarDeclarator {
            span: DUMMY_SP,
            name: Pat::Ident(ident(id).into()),
            init,
            definite: false,
        }],
    }))))
}

fn num(n: f64) -> Box<Expr> {
    Box::new(Expr::Lit(Lit::Num(Number {
        span: DUMMY_SP,
        value: n,
        raw: None,
    })))
}

/// `() => body`.
fn arrow(body: Box<Expr>) -> Box<Expr> {
    arrow_with(ArrowFunctionBody::Expr(body), false)
}

/// `() => { stmts }` (`async` when asked).
fn arrow_block(stmts: Vec<Stmt>, is_async: bool) -> Box<Expr> {
    arrow_with(
        ArrowFunctionBody::FunctionBody(FunctionBody {
            span: DUMMY_SP,
            stmts,
        }),
        is_async,
    )
}

fn arrow_with(body: ArrowFunctionBody, is_async: bool) -> Box<Expr> {
    Box::new(Expr::Arrow(ArrowExpr {
        span: DUMMY_SP,
        ctxt: SyntaxContext::empty(),
        params: vec![],
        body: Box::new(body),
        is_async,
        is_generator: false,
        type_params: None,
        return_type: None,
    }))
}

impl<'g> Linker<'g> {
    fn new(
        g: &'g ModuleGraph,
        bodies: Vec<Vec<ModuleItem>>,
        o: &LinkOptions,
    ) -> Result<Linker<'g>> {
        let unresolved = SyntaxContext::empty().apply_mark(g.marks.unresolved);
        let defines = define::Defines::parse(&g.cm, &o.defines, unresolved)?;
        let (ctxt, helper_mark, module_ctxts) = GLOBALS.set(&g.globals, || {
            let module_ctxts = g
                .modules
                .iter()
                .map(|_| SyntaxContext::empty().apply_mark(Mark::new()))
                .collect();
            (
                SyntaxContext::empty().apply_mark(Mark::new()),
                Mark::new(),
                module_ctxts,
            )
        });
        let helper_ctxt = SyntaxContext::empty().apply_mark(helper_mark);
        let mut l = Linker {
            g,
            bodies: bodies.into_iter().map(Some).collect(),
            exports: vec![],
            imports: vec![],
            ctxt,
            helper_mark,
            helper_ctxt,
            module_ctxts,
            needs: Mutex::new(Needs::default()),
            taken: HashSet::new(),
            external_names: IndexMap::new(),
            lazy: vec![],
            format: o.format,
            defines,
            unresolved,
        };
        let scanned: Vec<_> = (0..g.modules.len())
            .into_par_iter()
            .map(|id| GLOBALS.set(&g.globals, || l.scan_module(id)))
            .collect();
        (l.exports, l.imports) = scanned.into_iter().unzip();
        Ok(l)
    }

    /// A module's statements, to be linked into the bundle (once).
    fn take_body(&mut self, id: ModuleId) -> Vec<ModuleItem> {
        match self.bodies.get_mut(id) {
            Some(body) => body.take().expect("each module is linked once"),
            None => self.g.modules[id].ast.body.clone(),
        }
    }

    fn top_ctxt(&self, id: ModuleId) -> SyntaxContext {
        SyntaxContext::empty().apply_mark(self.g.modules[id].top_level_mark)
    }

    fn is_commonjs(&self, id: ModuleId) -> bool {
        let r = &self.g.modules[id].record;
        r.is_commonjs && !r.is_esm
    }

    /// A fresh bundle-unique name made by the linker.
    fn name(&mut self, base: &str) -> Id {
        let mut n = base.to_string();
        let mut i = 2;
        while !self.taken.insert(n.clone()) {
            n = format!("{base}{i}");
            i += 1;
        }
        (n.into(), self.ctxt)
    }

    /// `__name(binding, "default")`, for an anonymous default export given a binding name.
    fn named_default(&self, binding: &Id) -> ModuleItem {
        let args = vec![
            Box::new(Expr::Ident(ident(binding))),
            Box::new(Expr::Lit(Lit::Str("default".into()))),
        ];
        ModuleItem::Stmt(Stmt::Expr(ExprStmt {
            span: DUMMY_SP,
            expr: call(self.helper("__name"), args),
        }))
    }

    fn needs(&self) -> std::sync::MutexGuard<'_, Needs> {
        self.needs.lock().expect("no thread panics holding it")
    }

    fn helper(&self, name: &'static str) -> Box<Expr> {
        debug_assert!(runtime::is_helper(name));
        self.needs().helpers.insert(name);
        Box::new(Expr::Ident(Ident::new(
            name.into(),
            DUMMY_SP,
            self.helper_ctxt,
        )))
    }

    /// The target of the import record of `module` with this specifier and kind.
    fn target(&self, module: ModuleId, specifier: &str, kind: ImportKind) -> Target {
        self.g
            .import_target(module, specifier, kind)
            .cloned()
            .expect("every import was recorded and resolved")
    }

    fn scan_module(&self, id: ModuleId) -> (Exports, HashMap<Id, (Target, Option<String>)>) {
        let m = &self.g.modules[id];
        let mut ex = Exports::default();
        let mut imports = HashMap::new();
        if self.is_commonjs(id) {
            return (ex, imports);
        }
        let str_of = |s: &Str| s.value.to_string_lossy().into_owned();
        let body = match self.bodies.get(id) {
            Some(Some(body)) => body,
            _ => &self.g.modules[id].ast.body,
        };
        for item in body {
            let ModuleItem::ModuleDecl(d) = item else {
                continue;
            };
            match d {
                ModuleDecl::Import(i) => {
                    let t = self.target(id, &str_of(&i.src), ImportKind::Static);
                    for s in &i.specifiers {
                        match s {
                            ImportSpecifier::Named(n) => {
                                let imported = n
                                    .imported
                                    .as_ref()
                                    .map(export_name)
                                    .unwrap_or_else(|| n.local.sym.to_string());
                                imports.insert(n.local.to_id(), (t.clone(), Some(imported)));
                            }
                            ImportSpecifier::Default(d) => {
                                imports
                                    .insert(d.local.to_id(), (t.clone(), Some("default".into())));
                            }
                            ImportSpecifier::Namespace(n) => {
                                imports.insert(n.local.to_id(), (t.clone(), None));
                            }
                        }
                    }
                }
                ModuleDecl::ExportDecl(e) => {
                    for i in declared(&e.decl) {
                        ex.named.insert(i.0.to_string(), Source::Local(i));
                    }
                }
                ModuleDecl::ExportDefaultDecl(d) => {
                    let local = match &d.decl {
                        DefaultDecl::Fn(f) => f.ident.as_ref().map(|i| i.to_id()),
                        DefaultDecl::Class(c) => c.ident.as_ref().map(|i| i.to_id()),
                        DefaultDecl::TsInterfaceDecl(_) => continue,
                    };
                    let local = local.unwrap_or_else(|| {
                        (
                            format!("{}_default", stem(&m.path)).into(),
                            self.top_ctxt(id),
                        )
                    });
                    ex.named.insert("default".into(), Source::Local(local));
                }
                ModuleDecl::ExportDefaultExpr(_) => {
                    ex.named.insert(
                        "default".into(),
                        Source::Local((
                            format!("{}_default", stem(&m.path)).into(),
                            self.top_ctxt(id),
                        )),
                    );
                }
                ModuleDecl::ExportNamed(n) if !n.type_only => {
                    let from = n
                        .src
                        .as_ref()
                        .map(|s| self.target(id, &str_of(s), ImportKind::Static));
                    for s in &n.specifiers {
                        match (s, &from) {
                            (ExportSpecifier::Named(sp), _) if sp.is_type_only => {}
                            (ExportSpecifier::Named(sp), Some(t)) => {
                                let orig = export_name(&sp.orig);
                                let name = sp
                                    .exported
                                    .as_ref()
                                    .map(export_name)
                                    .unwrap_or_else(|| orig.clone());
                                ex.named.insert(name, Source::Import(t.clone(), Some(orig)));
                            }
                            (ExportSpecifier::Named(sp), None) => {
                                let ModuleExportName::Ident(orig) = &sp.orig else {
                                    continue;
                                };
                                let name = sp
                                    .exported
                                    .as_ref()
                                    .map(export_name)
                                    .unwrap_or_else(|| orig.sym.to_string());
                                ex.named.insert(name, Source::Local(orig.to_id()));
                            }
                            (ExportSpecifier::Namespace(ns), Some(t)) => {
                                ex.named
                                    .insert(export_name(&ns.name), Source::Import(t.clone(), None));
                            }
                            (ExportSpecifier::Default(d), Some(t)) => {
                                ex.named.insert(
                                    d.exported.sym.to_string(),
                                    Source::Import(t.clone(), Some("default".into())),
                                );
                            }
                            _ => {}
                        }
                    }
                }
                ModuleDecl::ExportAll(a) if !a.type_only => {
                    ex.stars
                        .push(self.target(id, &str_of(&a.src), ImportKind::Static))
                }
                _ => {}
            }
        }
        // `export { x }` where x is itself an import: chase the import.
        for src in ex.named.values_mut() {
            if let Source::Local(local) = src
                && let Some((t, name)) = imports.get(local)
            {
                *src = Source::Import(t.clone(), name.clone());
            }
        }
        (ex, imports)
    }

    /// What `name` exported by `module` refers to; None if the module does not export it.
    fn resolve_export<'a>(
        &'a self,
        module: ModuleId,
        name: &'a str,
        seen: &mut Vec<(ModuleId, &'a str)>,
    ) -> Option<Binding> {
        if seen.iter().any(|&(m, n)| m == module && n == name) {
            return None;
        }
        seen.push((module, name));
        if self.is_commonjs(module) {
            return Some(Binding::CommonJs(module, Some(name.to_string())));
        }
        if let Some(src) = self.exports[module].named.get(name) {
            return match src {
                Source::Local(id) => Some(Binding::Local(id.clone())),
                Source::Import(t, imported) => self.resolve_import(t, imported.as_deref(), seen),
            };
        }
        if name == "default" {
            return None;
        }
        // Through `export *`: a name two stars provide differently is ambiguous, so not
        // exported (as in Node). Names of CommonJS modules are known only at run time.
        let mut found: Option<Binding> = None;
        let mut commonjs = None;
        for star in &self.exports[module].stars {
            match star {
                Target::Module(m) if self.is_commonjs(*m) => {
                    commonjs.get_or_insert(*m);
                }
                Target::Module(m) => {
                    // Each star is followed from here: what another star saw is not seen.
                    let depth = seen.len();
                    let b = self.resolve_export(*m, name, seen);
                    seen.truncate(depth);
                    if let Some(b) = b {
                        match &found {
                            Some(f) if *f != b => return None,
                            _ => found = Some(b),
                        }
                    }
                }
                Target::External(_) => {}
            }
        }
        found.or_else(|| commonjs.map(|m| Binding::CommonJs(m, Some(name.to_string()))))
    }

    /// The CommonJS modules whose exports `module` re-exports with `export *`, directly or
    /// through other modules' stars.
    fn commonjs_stars(&self, module: ModuleId, seen: &mut HashSet<ModuleId>) -> Vec<ModuleId> {
        if !seen.insert(module) {
            return vec![];
        }
        let mut out = vec![];
        for star in &self.exports[module].stars {
            match star {
                Target::Module(m) if self.is_commonjs(*m) => out.push(*m),
                Target::Module(m) => out.extend(self.commonjs_stars(*m, seen)),
                Target::External(_) => {}
            }
        }
        out
    }

    fn resolve_import<'a>(
        &'a self,
        t: &Target,
        name: Option<&'a str>,
        seen: &mut Vec<(ModuleId, &'a str)>,
    ) -> Option<Binding> {
        match (t, name) {
            (Target::External(s), n) => Some(Binding::External(s.clone(), n.map(str::to_string))),
            (Target::Module(m), None) if self.is_commonjs(*m) => Some(Binding::CommonJs(*m, None)),
            (Target::Module(m), None) => Some(Binding::Namespace(*m)),
            (Target::Module(m), Some(n)) => self.resolve_export(*m, n, seen),
        }
    }

    /// Every name `module` exports, `export *` included (not `default` from stars), sorted as
    /// a namespace object's keys are.
    fn export_names(&self, module: ModuleId, seen: &mut HashSet<ModuleId>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if !seen.insert(module) {
            return out;
        }
        out.extend(self.exports[module].named.keys().cloned());
        let mut starred = BTreeSet::new();
        for star in &self.exports[module].stars {
            if let Target::Module(m) = star {
                starred.extend(
                    self.export_names(*m, seen)
                        .into_iter()
                        .filter(|n| n != "default"),
                );
            }
        }
        // Ambiguous star names resolve to nothing and are left out.
        out.extend(
            starred
                .into_iter()
                .filter(|n| {
                    !out.contains(n) && self.resolve_export(module, n, &mut vec![]).is_some()
                })
                .collect::<Vec<_>>(),
        );
        out
    }

    /// A name the linker gives something of module `m`'s.
    fn module_name(&self, m: ModuleId, name: String) -> Id {
        (name.into(), self.module_ctxts[m])
    }

    /// `require_x`, the CommonJS module's wrapper (which is then made).
    fn require_name(&self, m: ModuleId) -> Id {
        self.needs().wrappers.insert(m);
        self.module_name(m, format!("require_{}", stem(&self.g.modules[m].path)))
    }

    /// `x_exports`, the ES module's namespace object (which is then made).
    fn namespace_name(&self, m: ModuleId) -> Id {
        self.needs().namespaces.insert(m);
        self.module_name(m, format!("{}_exports", stem(&self.g.modules[m].path)))
    }

    fn external_name(&mut self, source: &str, name: Option<&str>) -> Id {
        // Without `import` syntax, one `var import_x = __toESM(require("x"))` per module.
        let name = if self.format == Format::Esm {
            name
        } else {
            None
        };
        let key = (source.to_string(), name.map(str::to_string));
        if let Some(n) = self.external_names.get(&key) {
            return n.clone();
        }
        let base = match name {
            Some("default") | None => format!(
                "import_{}",
                source
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect::<String>()
            ),
            Some(n) => n
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
        };
        let id = self.name(&base);
        self.external_names.insert(key, id.clone());
        id
    }

    /// The expression an import binding stands for.
    fn binding_expr(&mut self, b: &Binding, importer: ModuleId) -> Box<Expr> {
        match b {
            Binding::External(source, name) => {
                let local = expr_ident(&self.external_name(source, name.as_deref()));
                match (self.format, name) {
                    (Format::Esm, _) | (_, None) => local,
                    (_, Some(n)) => member(local, n),
                }
            }
            bundled => self.bundled_binding_expr(bundled, importer),
        }
    }

    /// The expression a binding to a bundled module stands for.
    fn bundled_binding_expr(&self, b: &Binding, importer: ModuleId) -> Box<Expr> {
        match b {
            Binding::Local(id) => expr_ident(id),
            Binding::Namespace(m) => expr_ident(&self.namespace_name(*m)),
            Binding::CommonJs(m, prop) => {
                let req = self.require_name(*m);
                let node_mode = self.g.files[importer].node_mode;
                let mut args = vec![call(expr_ident(&req), vec![])];
                if node_mode {
                    args.push(num(1.0));
                }
                let esm = call(self.helper("__toESM"), args);
                match prop {
                    Some(p) => member(esm, p),
                    None => esm,
                }
            }
            Binding::External(..) => unreachable!("externals are bound by binding_expr"),
        }
    }

    fn missing_export(&self, importer: ModuleId, target: ModuleId, name: &str) -> anyhow::Error {
        anyhow!(
            "{}: no matching export in \"{}\" for import \"{name}\"",
            self.g.modules[importer].path.display(),
            self.g.modules[target].path.display()
        )
    }

    /// One ES module's imports bound and its export syntax removed, ready for `esm_parts`.
    fn esm_prepare(&mut self, id: ModuleId) -> Result<Prepared> {
        let mut replace: FxHashMap<Id, Box<Expr>> = FxHashMap::default();
        let mut imports: Vec<(Id, (Target, Option<String>))> = self.imports[id]
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        imports.sort_by(|a, b| a.0.0.cmp(&b.0.0));
        // One `var import_x = __toESM(require_x())` per CommonJS module this module imports.
        let mut commonjs: IndexMap<ModuleId, Id> = IndexMap::new();
        let mut namespaces: FxHashMap<Id, ModuleId> = FxHashMap::default();
        let mut out = vec![];
        for (local, (t, name)) in imports {
            let b = self.resolve_import(&t, name.as_deref(), &mut vec![]);
            let b = match (b, &t) {
                (Some(b), _) => b,
                (None, Target::Module(m)) => {
                    return Err(self.missing_export(id, *m, name.as_deref().unwrap_or("*")));
                }
                (None, Target::External(_)) => unreachable!("externals always resolve"),
            };
            let expr = match &b {
                Binding::CommonJs(m, prop) => {
                    let var_name = match commonjs.get(m) {
                        Some(v) => v.clone(),
                        None => {
                            let v =
                                self.name(&format!("import_{}", stem(&self.g.modules[*m].path)));
                            let init = self.binding_expr(&Binding::CommonJs(*m, None), id);
                            out.push(var(VarDeclKind::Var, &v, Some(init)));
                            commonjs.insert(*m, v.clone());
                            v
                        }
                    };
                    match prop {
                        Some(p) => member(expr_ident(&var_name), p),
                        None => expr_ident(&var_name),
                    }
                }
                Binding::Namespace(m) => {
                    namespaces.insert(local.clone(), *m);
                    self.binding_expr(&b, id)
                }
                _ => self.binding_expr(&b, id),
            };
            replace.insert(local, expr);
        }
        let interop = out;
        let m = &self.g.modules[id];
        let path = m.path.clone();
        let top = self.top_ctxt(id);
        // Statements kept or dropped together (a declaration and the call naming it).
        let mut groups: Vec<Vec<ModuleItem>> = vec![];
        for item in self.take_body(id) {
            match item {
                ModuleItem::Stmt(s) => groups.push(vec![ModuleItem::Stmt(s)]),
                ModuleItem::ModuleDecl(d) => match d {
                    ModuleDecl::ExportDecl(e) => {
                        groups.push(vec![ModuleItem::Stmt(Stmt::Decl(e.decl))])
                    }
                    ModuleDecl::ExportDefaultDecl(d) => {
                        let name: Id = (format!("{}_default", stem(&path)).into(), top);
                        let (decl, anonymous) = match d.decl {
                            DefaultDecl::Fn(mut f) => {
                                let given = f.ident.take();
                                let anonymous = given.is_none();
                                (
                                    Decl::Fn(FnDecl {
                                        ident: given.unwrap_or_else(|| ident(&name)),
                                        declare: false,
                                        function: f.function,
                                    }),
                                    anonymous,
                                )
                            }
                            DefaultDecl::Class(mut c) => {
                                let given = c.ident.take();
                                let anonymous = given.is_none();
                                (
                                    Decl::Class(ClassDecl {
                                        ident: given.unwrap_or_else(|| ident(&name)),
                                        declare: false,
                                        class: c.class,
                                    }),
                                    anonymous,
                                )
                            }
                            DefaultDecl::TsInterfaceDecl(_) => continue,
                        };
                        let mut group = vec![ModuleItem::Stmt(Stmt::Decl(decl))];
                        group.extend(anonymous.then(|| self.named_default(&name)));
                        groups.push(group);
                    }
                    ModuleDecl::ExportDefaultExpr(e) => {
                        let name: Id = (format!("{}_default", stem(&path)).into(), top);
                        let anonymous = is_anonymous_function(&e.expr);
                        let mut group = vec![var(VarDeclKind::Var, &name, Some(e.expr))];
                        group.extend(anonymous.then(|| self.named_default(&name)));
                        groups.push(group);
                    }
                    _ => {}
                },
            }
        }
        Ok(Prepared {
            id,
            replace,
            namespaces,
            interop,
            groups,
        })
    }

    /// The code of one ES module, rewritten (on any thread): the linker's interop variables,
    /// then one part per statement.
    fn esm_parts(&self, p: Prepared) -> Result<Vec<Part>> {
        let Prepared {
            id,
            replace,
            namespaces,
            interop,
            mut groups,
        } = p;
        let mut rewrite = Rewrite::new(self, id, replace, namespaces, None);
        let mut reads = Vec::with_capacity(groups.len());
        for group in &mut groups {
            group.visit_mut_with(&mut rewrite);
            reads.push(std::mem::take(&mut rewrite.read_through));
        }
        if let Some(e) = rewrite.error {
            return Err(e);
        }
        let interop = interop
            .into_iter()
            .map(|i| Part::new(Some(id), PartKind::Linker, vec![i]));
        let code = groups.into_iter().zip(reads).map(|(g, uses)| Part {
            uses,
            ..Part::new(Some(id), PartKind::Code, g)
        });
        Ok(interop.chain(code).collect())
    }

    /// `var require_x = __commonJS(function (exports, module) { ... })`.
    fn commonjs_wrapper(&mut self, id: ModuleId) -> Result<ModuleItem> {
        let mut body: Vec<Stmt> = self
            .take_body(id)
            .into_iter()
            .filter_map(|i| match i {
                ModuleItem::Stmt(s) => Some(s),
                ModuleItem::ModuleDecl(_) => None,
            })
            .collect();
        // `exports` and `module` are the wrapper's parameters: in the module's own top-level
        // context, as if it had declared them (a `var exports` of its own is the same binding).
        let wrapper_ctxt = self.top_ctxt(id);
        let mut rewrite = Rewrite::new(
            &*self,
            id,
            FxHashMap::default(),
            FxHashMap::default(),
            Some(wrapper_ctxt),
        );
        body.visit_mut_with(&mut rewrite);
        if let Some(e) = rewrite.error {
            return Err(e);
        }
        let param = |n: &str| Param {
            span: DUMMY_SP,
            decorators: vec![],
            pat: Pat::Ident(Ident::new(n.into(), DUMMY_SP, wrapper_ctxt).into()),
        };
        let func = Box::new(Expr::Fn(FnExpr {
            ident: None,
            function: Box::new(Function {
                params: vec![param("exports"), param("module")],
                decorators: vec![],
                span: DUMMY_SP,
                ctxt: SyntaxContext::empty(),
                body: Some(FunctionBody {
                    span: DUMMY_SP,
                    stmts: body,
                }),
                this_param: None,
                is_generator: false,
                is_async: false,
                type_params: None,
                return_type: None,
            }),
        }));
        let name = self.require_name(id);
        let wrapped = call(self.helper("__commonJS"), vec![func]);
        Ok(var(VarDeclKind::Var, &name, Some(wrapped)))
    }

    /// `var x_exports = {}; __export(x_exports, { a: () => a, ... });`
    fn namespace_object(&mut self, m: ModuleId, name: &Id) -> Result<Vec<ModuleItem>> {
        let names = self.export_names(m, &mut HashSet::new());
        let mut props = vec![];
        for n in names {
            let b = self.resolve_export(m, &n, &mut vec![]).ok_or_else(|| {
                anyhow!(
                    "`{n}` of {} cannot be resolved",
                    self.g.modules[m].path.display()
                )
            })?;
            let value = self.binding_expr(&b, m);
            let key = if is_identifier_name(&n) {
                PropName::Ident(IdentName::new(n.as_str().into(), DUMMY_SP))
            } else {
                PropName::Str(n.as_str().into())
            };
            props.push(PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
                key,
                value: arrow(value),
            }))));
        }
        let obj = Box::new(Expr::Object(ObjectLit {
            span: DUMMY_SP,
            props,
        }));
        let export = call(self.helper("__export"), vec![expr_ident(name), obj]);
        let mut items = vec![
            var(
                VarDeclKind::Var,
                name,
                Some(Box::new(Expr::Object(ObjectLit {
                    span: DUMMY_SP,
                    props: vec![],
                }))),
            ),
            ModuleItem::Stmt(Stmt::Expr(ExprStmt {
                span: DUMMY_SP,
                expr: export,
            })),
        ];
        // `export * from "./x.cjs"`: the CommonJS module's names, copied when it has run.
        for cjs in self.commonjs_stars(m, &mut HashSet::new()) {
            let value = self.binding_expr(&Binding::CommonJs(cjs, None), m);
            let reexport = call(self.helper("__reExport"), vec![expr_ident(name), value]);
            items.push(ModuleItem::Stmt(Stmt::Expr(ExprStmt {
                span: DUMMY_SP,
                expr: reexport,
            })));
        }
        Ok(items)
    }

    /// The entry's exports as the bundle's `export { ... }` (and `export * from` externals).
    fn entry_exports(&mut self, entry: ModuleId) -> Result<Vec<ModuleItem>> {
        let mut out = vec![];
        match self.format {
            Format::Esm => {}
            // An IIFE has nowhere to put exports (esbuild's --global-name is not offered).
            Format::Iife => return Ok(out),
            Format::Cjs => {
                let value = if self.is_commonjs(entry) {
                    call(expr_ident(&self.require_name(entry)), vec![])
                } else {
                    let ns = self.namespace_name(entry);
                    call(self.helper("__toCommonJS"), vec![expr_ident(&ns)])
                };
                out.push(ModuleItem::Stmt(crate::bundler::js::module_exports_assign(
                    value,
                    DUMMY_SP,
                    self.unresolved,
                )));
                return Ok(out);
            }
        }
        if self.is_commonjs(entry) {
            let req = self.require_name(entry);
            let value = call(expr_ident(&req), vec![]);
            out.push(ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(
                ExportDefaultExpr {
                    span: DUMMY_SP,
                    expr: value,
                },
            )));
            return Ok(out);
        }
        let mut specifiers = vec![];
        for n in self.export_names(entry, &mut HashSet::new()) {
            let Some(b) = self.resolve_export(entry, &n, &mut vec![]) else {
                continue;
            };
            let local = match &b {
                Binding::Local(id) => id.clone(),
                _ => {
                    let expr = self.binding_expr(&b, entry);
                    match *expr {
                        Expr::Ident(i) => i.to_id(),
                        other => {
                            let id = self.name(&format!(
                                "export_{}",
                                if is_identifier_name(&n) {
                                    n.clone()
                                } else {
                                    "value".into()
                                }
                            ));
                            out.push(var(VarDeclKind::Var, &id, Some(Box::new(other))));
                            id
                        }
                    }
                }
            };
            let exported = if is_identifier_name(&n) {
                ModuleExportName::Ident(Ident::new(
                    n.as_str().into(),
                    DUMMY_SP,
                    SyntaxContext::empty(),
                ))
            } else {
                ModuleExportName::Str(n.as_str().into())
            };
            specifiers.push(ExportSpecifier::Named(ExportNamedSpecifier {
                span: DUMMY_SP,
                orig: ModuleExportName::Ident(ident(&local)),
                exported: Some(exported),
                is_type_only: false,
            }));
        }
        for star in self.exports[entry].stars.clone() {
            if let Target::External(s) = star {
                out.push(ModuleItem::ModuleDecl(ModuleDecl::ExportAll(ExportAll {
                    span: DUMMY_SP,
                    src: Box::new(s.as_str().into()),
                    type_only: false,
                    with: None,
                })));
            }
        }
        if !specifiers.is_empty() {
            out.push(ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(
                NamedExport {
                    span: DUMMY_SP,
                    specifiers,
                    src: None,
                    type_only: false,
                    with: None,
                },
            )));
        }
        Ok(out)
    }

    fn external_imports(&mut self) -> Vec<ModuleItem> {
        if self.format != Format::Esm {
            let sources: Vec<(String, Id)> = self
                .external_names
                .iter()
                .map(|((s, _), id)| (s.clone(), id.clone()))
                .collect();
            return sources
                .into_iter()
                .map(|(source, id)| {
                    let require = Box::new(Expr::Ident(Ident::new(
                        "require".into(),
                        DUMMY_SP,
                        self.unresolved,
                    )));
                    let loaded = call(
                        require,
                        vec![Box::new(Expr::Lit(Lit::Str(source.as_str().into())))],
                    );
                    var(
                        VarDeclKind::Var,
                        &id,
                        Some(call(self.helper("__toESM"), vec![loaded])),
                    )
                })
                .collect();
        }
        self.external_names
            .iter()
            .map(|((source, name), local)| {
                let local = ident(local);
                let spec = match name.as_deref() {
                    None => ImportSpecifier::Namespace(ImportStarAsSpecifier {
                        span: DUMMY_SP,
                        local,
                    }),
                    Some("default") => ImportSpecifier::Default(ImportDefaultSpecifier {
                        span: DUMMY_SP,
                        local,
                    }),
                    Some(n) => ImportSpecifier::Named(ImportNamedSpecifier {
                        span: DUMMY_SP,
                        imported: (n != &*local.sym).then(|| ModuleExportName::Str(n.into())),
                        local,
                        is_type_only: false,
                    }),
                };
                ModuleItem::ModuleDecl(ModuleDecl::Import(ImportDecl {
                    span: DUMMY_SP,
                    specifiers: vec![spec],
                    src: Box::new(source.as_str().into()),
                    type_only: false,
                    with: None,
                    phase: Default::default(),
                }))
            })
            .collect()
    }
}

/// Rewrites a module's code for the bundle: import bindings → what they are bound to,
/// `require("x")`/`import("x")` of bundled modules → their wrappers and namespaces.
struct Rewrite<'l, 'g> {
    linker: &'l Linker<'g>,
    module: ModuleId,
    replace: FxHashMap<Id, Box<Expr>>,
    /// The contexts of `replace`'s names (the module's top level): other identifiers, most of
    /// them, need no lookup.
    replaced_contexts: Vec<SyntaxContext>,
    /// Imported names bound to an ES module's namespace: `ns.x` is then `x` itself, so the
    /// namespace object is needed only where it is used as a value.
    namespaces: FxHashMap<Id, ModuleId>,
    /// Modules whose namespace members the rewritten code reads (see `namespace_member`).
    read_through: Vec<ModuleId>,
    error: Option<anyhow::Error>,
    /// In a CommonJS module: the context its wrapper's `exports` and `module` parameters have.
    wrapper_ctxt: Option<SyntaxContext>,
}

impl Rewrite<'_, '_> {
    fn new<'l, 'g>(
        linker: &'l Linker<'g>,
        module: ModuleId,
        replace: FxHashMap<Id, Box<Expr>>,
        namespaces: FxHashMap<Id, ModuleId>,
        wrapper_ctxt: Option<SyntaxContext>,
    ) -> Rewrite<'l, 'g> {
        let mut replaced_contexts: Vec<SyntaxContext> = replace.keys().map(|id| id.1).collect();
        replaced_contexts.sort();
        replaced_contexts.dedup();
        Rewrite {
            linker,
            module,
            replace,
            replaced_contexts,
            namespaces,
            read_through: vec![],
            error: None,
            wrapper_ctxt,
        }
    }

    /// Whether `i` may be one of the names to replace.
    fn replaced(&self, i: &Ident) -> bool {
        self.replaced_contexts.contains(&i.ctxt)
    }

    /// What `ns.a.b` names, when `ns` is an imported namespace and every step is a static
    /// export: an ES module's binding or another namespace.
    /// `via` gets the namespaces' modules: the expression reads through them, so they count as
    /// used (a side-effect-free package's module keeps its effects).
    fn namespace_member(&self, e: &Expr, via: &mut Vec<ModuleId>) -> Option<Binding> {
        match e {
            Expr::Ident(i) => self
                .replaced(i)
                .then(|| self.namespaces.get(&i.to_id()))
                .flatten()
                .map(|&m| Binding::Namespace(m)),
            Expr::Member(MemberExpr { obj, prop, .. }) => {
                let Binding::Namespace(m) = self.namespace_member(obj, via)? else {
                    return None;
                };
                via.push(m);
                let name = match prop {
                    MemberProp::Ident(n) => n.sym.to_string(),
                    MemberProp::Computed(ComputedPropName { expr, .. }) => match &**expr {
                        Expr::Lit(Lit::Str(s)) => s.value.to_string_lossy().into_owned(),
                        _ => return None,
                    },
                    MemberProp::PrivateName(_) => return None,
                };
                match self.linker.resolve_export(m, &name, &mut vec![])? {
                    b @ (Binding::Local(_) | Binding::Namespace(_)) => Some(b),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `require("x")` → the module's exports.
    fn require(&mut self, specifier: &str) -> Result<Box<Expr>> {
        let l = self.linker;
        Ok(
            match l.target(self.module, specifier, ImportKind::Require) {
                Target::External(s) => call(
                    l.helper("__require"),
                    vec![Box::new(Expr::Lit(Lit::Str(s.as_str().into())))],
                ),
                Target::Module(m) if l.is_commonjs(m) => {
                    call(expr_ident(&l.require_name(m)), vec![])
                }
                // Every ES module that is required runs on demand (lazy.rs).
                Target::Module(m) if l.init_is_async(m, &mut vec![]) => {
                    // Node throws ERR_REQUIRE_ASYNC_MODULE (when the call runs) and runs nothing.
                    call(
                        l.helper("__requireAsyncModule"),
                        vec![Box::new(Expr::Lit(Lit::Str(specifier.into())))],
                    )
                }
                Target::Module(m) => {
                    let run = call(expr_ident(&l.init_name(m)), vec![]);
                    let exports = call(
                        l.helper("__toCommonJS"),
                        vec![expr_ident(&l.namespace_name(m))],
                    );
                    Box::new(Expr::Seq(SeqExpr {
                        span: DUMMY_SP,
                        exprs: vec![run, exports],
                    }))
                }
            },
        )
    }

    /// `import("x")` → a promise of the module's namespace.
    fn dynamic_import(&mut self, specifier: &str) -> Result<Option<Box<Expr>>> {
        let l = self.linker;
        let Target::Module(m) = l.target(self.module, specifier, ImportKind::Dynamic) else {
            return Ok(None);
        };
        let value = if l.is_commonjs(m) {
            let req = call(expr_ident(&l.require_name(m)), vec![]);
            call(l.helper("__toESM"), vec![req])
        } else {
            expr_ident(&l.namespace_name(m))
        };
        let mut promise = call(
            member(
                Box::new(Expr::Ident(Ident::new(
                    "Promise".into(),
                    DUMMY_SP,
                    l.unresolved,
                ))),
                "resolve",
            ),
            vec![],
        );
        // A lazy module runs first (its init may be async: wait for it).
        if l.is_lazy(m) {
            promise = call(
                member(promise, "then"),
                vec![arrow(call(expr_ident(&l.init_name(m)), vec![]))],
            );
        }
        Ok(Some(call(member(promise, "then"), vec![arrow(value)])))
    }
}

impl VisitMut for Rewrite<'_, '_> {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        if let Some(v) = self.linker.defines.replacement(e, self.linker.unresolved) {
            *e = *v;
            return;
        }
        if matches!(e, Expr::Member(_)) && !self.namespaces.is_empty() {
            let mut via = vec![];
            if let Some(b) = self.namespace_member(e, &mut via) {
                self.read_through.extend(via);
                *e = *self.linker.bundled_binding_expr(&b, self.module);
                return;
            }
        }
        if let Expr::Ident(i) = e {
            if self.replaced(i)
                && let Some(r) = self.replace.get(&i.to_id())
            {
                *e = (**r).clone();
                return;
            }
            // A `require` that is not a static call: the bundle's own (Node's when it exists).
            if i.ctxt == self.linker.unresolved && i.sym == "require" {
                *e = *self.linker.helper("__require");
                return;
            }
        }
        if let Expr::Call(c) = e {
            let unresolved = self.linker.unresolved;
            let replacement = match &c.callee {
                Callee::Expr(callee) if matches!(&**callee, Expr::Ident(i) if i.sym == "require" && i.ctxt == unresolved) => {
                    string_arg(&c.args).map(|s| self.require(&s).map(Some))
                }
                Callee::Import(_) => string_arg(&c.args).map(|s| self.dynamic_import(&s)),
                _ => None,
            };
            match replacement {
                Some(Ok(Some(r))) => {
                    *e = *r;
                    return;
                }
                Some(Err(err)) => {
                    self.error.get_or_insert(err);
                }
                _ => {}
            }
        }
        e.visit_mut_children_with(self);
    }

    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if let Some(ctxt) = self.wrapper_ctxt
            && i.ctxt == self.linker.unresolved
            && (i.sym == "exports" || i.sym == "module")
        {
            i.ctxt = ctxt;
        }
    }

    fn visit_mut_prop(&mut self, p: &mut Prop) {
        if let Prop::Shorthand(i) = p
            && let Some(r) = self
                .replaced(i)
                .then(|| self.replace.get(&i.to_id()))
                .flatten()
        {
            *p = Prop::KeyValue(KeyValueProp {
                key: PropName::Ident(IdentName::new(i.sym.clone(), i.span)),
                value: r.clone(),
            });
            return;
        }
        p.visit_mut_children_with(self);
    }
}

/// Link the graph into one ES module: runtime helpers, external imports, CommonJS wrappers,
/// namespace objects, then every ES module's code in evaluation order, then the entry's exports.
/// `pure_annotations`: where the sources' `/* @__PURE__ */` comments are (see js::parse).
/// `bodies`: the modules' statements if moved out of the graph, else empty (copies are made).
pub fn link(
    g: &ModuleGraph,
    bodies: Vec<Vec<ModuleItem>>,
    entry: ModuleId,
    o: &LinkOptions,
    pure_annotations: &FxHashSet<BytePos>,
) -> Result<Module> {
    let t = crate::timing::StageTimer::from_env();
    let mut l = Linker::new(g, bodies, o)?;
    t.done("  exports");
    let order = g.evaluation_order(entry);
    let eager = g.statically_loaded(entry);
    if o.format != Format::Esm
        && let Some(m) = order
            .iter()
            .find(|&&m| eager[m] && g.modules[m].record.has_top_level_await)
    {
        return Err(anyhow!(
            "{}: top-level await is not supported with the \"{}\" output format",
            g.modules[*m].path.display(),
            format!("{:?}", o.format).to_lowercase()
        ));
    }
    l.lazy = l.lazy_modules(entry, &eager);
    // A CommonJS module that ES modules import runs where Node would run it: at its place in
    // the evaluation order (lazy modules run theirs from their init functions).
    let imported_statically: HashSet<ModuleId> = order
        .iter()
        .filter(|&&i| eager[i])
        .flat_map(|&i| g.modules[i].record.imports.iter().zip(&g.targets[i]))
        .filter_map(|(r, t)| match (r.kind, t) {
            (ImportKind::Static, Target::Module(m)) => Some(*m),
            _ => None,
        })
        .collect();
    // Imports are bound in order (the names made for them count up), the code is then
    // rewritten on all threads, and the parts put in order.
    let mut prepared = vec![];
    for &id in &order {
        if !l.is_commonjs(id) {
            prepared.push(InOrder::Esm(l.esm_prepare(id)?));
        } else if imported_statically.contains(&id) {
            prepared.push(InOrder::RunCommonJs(id));
        }
    }
    let rewritten: Vec<(ModuleId, Result<Vec<Part>>)> = prepared
        .into_par_iter()
        .map(|p| match p {
            InOrder::Esm(p) => (p.id, GLOBALS.set(&g.globals, || l.esm_parts(p))),
            InOrder::RunCommonJs(id) => {
                let run = ModuleItem::Stmt(Stmt::Expr(ExprStmt {
                    span: DUMMY_SP,
                    expr: call(expr_ident(&l.require_name(id)), vec![]),
                }));
                (id, Ok(vec![Part::new(Some(id), PartKind::Code, vec![run])]))
            }
        })
        .collect();
    let mut code = vec![];
    let mut lazy = vec![];
    for (id, parts) in rewritten {
        if l.is_lazy(id) {
            lazy.extend(l.lazy_parts(id, parts?));
            // Loaded statically too: it runs at its place in the order unless required before.
            if eager[id] {
                let run = ModuleItem::Stmt(Stmt::Expr(ExprStmt {
                    span: DUMMY_SP,
                    expr: l.run_init(id),
                }));
                code.push(Part::new(Some(id), PartKind::Code, vec![run]));
            }
        } else {
            code.extend(parts?);
        }
    }
    t.done("  rewrite");
    let exports = l.entry_exports(entry)?;
    // Wrappers and namespaces can be asked for while other code is produced; make them last,
    // until no new one appears.
    let mut wrappers = vec![];
    let mut done_wrappers = HashSet::new();
    let mut namespaces = vec![];
    let mut done_namespaces = HashSet::new();
    // Every CommonJS module the entry reaches is wrapped (it may be required from another wrapper).
    for id in g.reachable(entry) {
        if l.is_commonjs(id) {
            l.require_name(id);
        }
    }
    loop {
        let (pending_w, pending_n): (Vec<ModuleId>, Vec<ModuleId>) = {
            let needs = l.needs();
            (
                needs
                    .wrappers
                    .iter()
                    .copied()
                    .filter(|m| !done_wrappers.contains(m))
                    .collect(),
                needs
                    .namespaces
                    .iter()
                    .copied()
                    .filter(|m| !done_namespaces.contains(m))
                    .collect(),
            )
        };
        if pending_w.is_empty() && pending_n.is_empty() {
            break;
        }
        for m in pending_w {
            done_wrappers.insert(m);
            wrappers.push((m, l.commonjs_wrapper(m)?));
        }
        for m in pending_n {
            done_namespaces.insert(m);
            let name = l.namespace_name(m);
            namespaces.push((m, l.namespace_object(m, &name)?));
        }
    }
    wrappers.sort_by_key(|(m, _)| *m);
    namespaces.sort_by_key(|(m, _)| *m);
    // External imports first: in CommonJS and IIFE output they use a helper.
    let external_imports = l.external_imports();
    let mut parts: Vec<Part> = runtime_items(&l)?
        .into_iter()
        .map(|i| Part::new(None, PartKind::Linker, vec![i]))
        .collect();
    parts.extend(
        external_imports
            .into_iter()
            .map(|i| Part::new(None, PartKind::Root, vec![i])),
    );
    parts.extend(
        wrappers
            .into_iter()
            .map(|(m, w)| Part::new(Some(m), PartKind::Linker, vec![w])),
    );
    let in_place = namespaces_in_place(g, &l, &order, entry);
    let (before_code, mut at_top): (Vec<_>, Vec<_>) = namespaces
        .into_iter()
        .partition(|(m, _)| in_place.contains(m));
    let code = with_namespaces_before(code, before_code, &mut at_top);
    at_top.sort_by_key(|(m, _)| *m);
    parts.extend(
        at_top
            .into_iter()
            .map(|(m, n)| Part::new(Some(m), PartKind::Linker, n)),
    );
    parts.extend(lazy);
    parts.extend(code);
    parts.extend(
        exports
            .into_iter()
            .map(|i| Part::new(None, PartKind::Root, vec![i])),
    );
    t.done("  wrappers + ns");
    let purity = Purity {
        unresolved: l.unresolved,
        annotated: pure_annotations,
        helpers: l.helper_ctxt,
    };
    let mut body = shake::shake(parts, |m| !g.files[m].side_effects, &purity);
    t.done("  shake");
    // Imports first, as ES modules hoist them anyway.
    body.sort_by_key(|i| !matches!(i, ModuleItem::ModuleDecl(ModuleDecl::Import(_))));
    if o.format == Format::Iife {
        body = vec![iife(body)];
    }
    Ok(Module {
        span: DUMMY_SP,
        body,
        shebang: None,
    })
}

/// The modules whose namespace object can stand just before their own code, as esbuild puts
/// it: ES modules run in place whose every importer is an ES module run after them. (Near the
/// code that reads it, gzip finds more to match.) Any other namespace object stays at the top,
/// where cycles, wrappers and lazily run modules can reach it before its module runs.
fn namespaces_in_place(
    g: &ModuleGraph,
    l: &Linker,
    order: &[ModuleId],
    entry: ModuleId,
) -> HashSet<ModuleId> {
    let mut position: Vec<Option<usize>> = vec![None; g.modules.len()];
    for (i, &m) in order.iter().enumerate() {
        if !l.is_lazy(m) && !l.is_commonjs(m) {
            position[m] = Some(i);
        }
    }
    let mut in_place: HashSet<ModuleId> = order
        .iter()
        .copied()
        .filter(|&m| position[m].is_some())
        .collect();
    for importer in g.reachable(entry) {
        for t in &g.targets[importer] {
            if let Target::Module(m) = *t
                && m != importer
                && position[importer]
                    .zip(position[m])
                    .is_none_or(|(i, m)| i < m)
            {
                in_place.remove(&m);
            }
        }
    }
    in_place
}

/// The modules' code with each namespace object just before its module's first part; those
/// of modules without code go to `at_top`.
fn with_namespaces_before(
    code: Vec<Part>,
    namespaces: Vec<(ModuleId, Vec<ModuleItem>)>,
    at_top: &mut Vec<(ModuleId, Vec<ModuleItem>)>,
) -> Vec<Part> {
    let mut namespaces: HashMap<ModuleId, Vec<ModuleItem>> = namespaces.into_iter().collect();
    let mut out = Vec::with_capacity(code.len() + namespaces.len());
    for part in code {
        if let Some(ns) = part.module.and_then(|m| namespaces.remove(&m)) {
            out.push(Part::new(part.module, PartKind::Linker, ns));
        }
        out.push(part);
    }
    at_top.extend(namespaces);
    out
}

/// An anonymous function, arrow or class: Node names it after what it is bound to.
fn is_anonymous_function(e: &Expr) -> bool {
    match e {
        Expr::Arrow(_) => true,
        Expr::Fn(f) => f.ident.is_none(),
        Expr::Class(c) => c.ident.is_none(),
        Expr::Paren(p) => is_anonymous_function(&p.expr),
        _ => false,
    }
}

/// `(() => { body })();`
fn iife(body: Vec<ModuleItem>) -> ModuleItem {
    let stmts = body
        .into_iter()
        .filter_map(|i| {
            if let ModuleItem::Stmt(s) = i {
                Some(s)
            } else {
                None
            }
        })
        .collect();
    ModuleItem::Stmt(Stmt::Expr(ExprStmt {
        span: DUMMY_SP,
        expr: call(arrow_block(stmts, false), vec![]),
    }))
}

fn runtime_items(l: &Linker) -> Result<Vec<ModuleItem>> {
    let helpers = std::mem::take(&mut l.needs().helpers);
    if helpers.is_empty() {
        return Ok(vec![]);
    }
    let src = runtime::source(&helpers);
    let fm =
        l.g.cm
            .new_source_file(Lrc::new(FileName::Custom("edgespark:runtime".into())), src);
    let m = parse_file_as_module(
        &fm,
        Syntax::Es(EsSyntax::default()),
        EsVersion::EsNext,
        None,
        &mut vec![],
    )
    .map_err(|e| anyhow!("runtime helpers do not parse: {:?}", e.kind()))?;
    // The helpers' declarations must carry the context the linker's references use.
    let m = GLOBALS.set(&l.g.globals, || {
        Program::Module(m).apply(resolver(l.g.marks.unresolved, l.helper_mark, false))
    });
    Ok(m.expect_module().body)
}
