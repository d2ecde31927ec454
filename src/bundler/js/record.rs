//! A module's record: the specifiers it loads (in source order, by kind) and whether it is
//! CommonJS, found in one walk over its AST.

use swc_core::common::{Mark, Span, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

use crate::parsing::module_facts::ModuleFacts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// `import ... from "x"`, `import "x"`, `export ... from "x"`: loaded before the module runs.
    Static,
    /// `import("x")`.
    Dynamic,
    /// `require("x")`.
    Require,
}

#[derive(Debug, Clone)]
pub struct ImportRecord {
    pub specifier: String,
    pub kind: ImportKind,
    pub span: Span,
    /// A `require()` or `import()` in a `try` block of its own function: the code handles it
    /// failing, so one that cannot be resolved is left to run (and fail) at run time, as
    /// esbuild does, not an error of the build.
    pub handles_failure: bool,
}

#[derive(Debug, Default, Clone)]
pub struct ModuleRecord {
    pub imports: Vec<ImportRecord>,
    /// Uses a free `module` or `exports`, or returns at top level: CommonJS.
    pub is_commonjs: bool,
    /// Has `import`/`export` syntax.
    pub is_esm: bool,
    pub has_top_level_await: bool,
    /// Where the first top-level `await` is (for the error of a format without it).
    pub top_level_await_at: Option<Span>,
    /// Its imports and exports by name.
    pub facts: ModuleFacts,
    /// A JSON module's top-level keys: the names it exports besides `default` (None: not JSON).
    pub json_keys: Option<Vec<String>>,
    /// Where it first calls the global `eval` directly: the code it runs may name any binding
    /// in scope, the module's own top-level ones included.
    pub direct_eval_at: Option<Span>,
}

impl ModuleRecord {
    pub fn of(m: &Module, unresolved: Mark) -> ModuleRecord {
        let mut c = Collector {
            record: ModuleRecord::default(),
            unresolved: SyntaxContext::empty().apply_mark(unresolved),
            fn_depth: 0,
            try_depth: 0,
        };
        c.record.facts = ModuleFacts::of(m);
        for item in &m.body {
            match item {
                ModuleItem::ModuleDecl(d) => {
                    c.record.is_esm = true;
                    let (src, span) = match d {
                        ModuleDecl::Import(i) if !i.type_only => (Some(&i.src), i.span),
                        ModuleDecl::ExportNamed(NamedExport {
                            src: Some(s),
                            type_only: false,
                            span,
                            ..
                        }) => (Some(s), *span),
                        ModuleDecl::ExportAll(e) if !e.type_only => (Some(&e.src), e.span),
                        _ => (None, Default::default()),
                    };
                    if let Some(src) = src {
                        c.record.imports.push(ImportRecord {
                            specifier: src.value.to_string_lossy().into_owned(),
                            kind: ImportKind::Static,
                            span,
                            handles_failure: false,
                        });
                    }
                }
                ModuleItem::Stmt(Stmt::Return(_)) => c.record.is_commonjs = true,
                _ => {}
            }
            item.visit_with(&mut c);
        }
        c.record
    }
}

struct Collector {
    record: ModuleRecord,
    unresolved: SyntaxContext,
    fn_depth: u32,
    /// How many `try` blocks of the current function the walk is in.
    try_depth: u32,
}

impl Collector {
    /// Inside a function's own body: the `try` blocks around it do not catch what it throws
    /// when it is called later (esbuild counts `try` blocks per function).
    fn in_function(&mut self, visit: impl FnOnce(&mut Self)) {
        let try_depth = std::mem::take(&mut self.try_depth);
        self.fn_depth += 1;
        visit(self);
        self.fn_depth -= 1;
        self.try_depth = try_depth;
    }
}

/// The specifier of `require("x")` / `import("x")`: a lone string (or plain template) argument.
pub fn string_arg(args: &[ExprOrSpread]) -> Option<String> {
    match args {
        [ExprOrSpread { spread: None, expr }] => match &**expr {
            Expr::Lit(Lit::Str(s)) => Some(s.value.to_string_lossy().into_owned()),
            Expr::Tpl(t) if t.exprs.is_empty() => t
                .quasis
                .first()
                .and_then(|q| q.cooked.as_ref())
                .map(|c| c.to_string_lossy().into_owned()),
            _ => None,
        },
        _ => None,
    }
}

impl Visit for Collector {
    fn visit_ident(&mut self, i: &Ident) {
        if i.ctxt == self.unresolved && (i.sym == "module" || i.sym == "exports") {
            self.record.is_commonjs = true;
        }
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        match &call.callee {
            Callee::Import(_) => {
                if let Some(s) = string_arg(&call.args) {
                    self.record.imports.push(ImportRecord {
                        specifier: s,
                        kind: ImportKind::Dynamic,
                        span: call.span,
                        handles_failure: self.try_depth > 0,
                    });
                }
            }
            Callee::Expr(e) => {
                if eval_callee(call).is_some_and(|i| i.ctxt == self.unresolved) {
                    self.record.direct_eval_at.get_or_insert(call.span);
                }
                if let Expr::Ident(i) = &**e
                    && i.sym == "require"
                    && i.ctxt == self.unresolved
                    && let Some(s) = string_arg(&call.args)
                {
                    self.record.imports.push(ImportRecord {
                        specifier: s,
                        kind: ImportKind::Require,
                        span: call.span,
                        handles_failure: self.try_depth > 0,
                    });
                }
            }
            Callee::Super(_) => {}
        }
        call.visit_children_with(self);
    }

    fn visit_await_expr(&mut self, a: &AwaitExpr) {
        if self.fn_depth == 0 {
            self.record.has_top_level_await = true;
            self.record.top_level_await_at.get_or_insert(a.span);
        }
        a.visit_children_with(self);
    }

    fn visit_for_of_stmt(&mut self, f: &ForOfStmt) {
        if f.is_await && self.fn_depth == 0 {
            self.record.has_top_level_await = true;
            self.record.top_level_await_at.get_or_insert(f.span);
        }
        f.visit_children_with(self);
    }

    fn visit_function(&mut self, f: &Function) {
        self.in_function(|c| f.visit_children_with(c));
    }

    fn visit_arrow_expr(&mut self, f: &ArrowExpr) {
        self.in_function(|c| f.visit_children_with(c));
    }

    fn visit_constructor(&mut self, f: &Constructor) {
        self.in_function(|c| f.visit_children_with(c));
    }

    fn visit_getter_prop(&mut self, f: &GetterProp) {
        self.in_function(|c| f.visit_children_with(c));
    }

    fn visit_setter_prop(&mut self, f: &SetterProp) {
        self.in_function(|c| f.visit_children_with(c));
    }

    fn visit_static_block(&mut self, f: &StaticBlock) {
        self.in_function(|c| f.visit_children_with(c));
    }

    // Only the `try` block: what its `catch` and `finally` load is not guarded by it.
    fn visit_try_stmt(&mut self, t: &TryStmt) {
        self.try_depth += 1;
        t.block.visit_with(self);
        self.try_depth -= 1;
        t.handler.visit_with(self);
        t.finalizer.visit_with(self);
    }

    // Property names are not references to `module`/`exports`.
    fn visit_member_prop(&mut self, p: &MemberProp) {
        if let MemberProp::Computed(c) = p {
            c.visit_with(self);
        }
    }
}

/// The `eval` a call calls by that name, `eval(...)`: a direct eval when it is the global one
/// (a local binding named `eval` is an ordinary function).
pub fn eval_callee(c: &CallExpr) -> Option<&Ident> {
    match &c.callee {
        Callee::Expr(e) => match &**e {
            Expr::Ident(i) if &*i.sym == "eval" => Some(i),
            _ => None,
        },
        _ => None,
    }
}

/// The binding an import specifier declares.
pub fn import_local(s: &ImportSpecifier) -> &Ident {
    match s {
        ImportSpecifier::Named(n) => &n.local,
        ImportSpecifier::Default(d) => &d.local,
        ImportSpecifier::Namespace(n) => &n.local,
    }
}
