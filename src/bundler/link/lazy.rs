//! ES modules that run on demand: those the entry reaches only through `import()` or
//! `require()`, those some module `require()`s (Node runs them at the require, which may come
//! before their place in the static order), and the ES modules those import statically (a
//! module runs after its dependencies, wherever it runs). Their code goes into
//! `var init_x = __esm(() => { ... })`, run once, when first asked for; their top-level
//! bindings stay at the bundle's top level (declared there, assigned by the init function) so
//! the rest of the bundle refers to them directly, as to any other module's. An init function
//! whose module (or a lazy module it imports) awaits at top level is async.

use swc_core::common::{DUMMY_SP, Mark, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::utils::find_pat_ids;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

use super::shake::{Part, PartKind};
use super::{Linker, arrow_block, call, expr_ident, var};
use crate::bundler::graph::{ModuleId, Target};
use crate::bundler::js::record::ImportKind;

impl Linker<'_> {
    /// Per module: whether it runs on demand. `eager`: whether the entry loads it statically.
    pub(super) fn lazy_modules(&self, entry: ModuleId, eager: &[bool]) -> Vec<bool> {
        let g = self.g;
        let mut lazy = vec![false; g.modules.len()];
        let mut stack: Vec<ModuleId> = (0..g.modules.len()).filter(|&m| !eager[m]).collect();
        for m in g.reachable(entry) {
            for (r, t) in g.modules[m].record.imports.iter().zip(&g.targets[m]) {
                if let (ImportKind::Require, Target::Module(d)) = (r.kind, t) {
                    stack.push(*d);
                }
            }
        }
        while let Some(m) = stack.pop() {
            if self.is_commonjs(m) || std::mem::replace(&mut lazy[m], true) {
                continue;
            }
            for (r, t) in g.modules[m].record.imports.iter().zip(&g.targets[m]) {
                if let (ImportKind::Static, Target::Module(d)) = (r.kind, t) {
                    stack.push(*d);
                }
            }
        }
        lazy
    }

    pub(super) fn is_lazy(&self, m: ModuleId) -> bool {
        self.lazy.get(m).copied().unwrap_or(false)
    }

    /// `init_x`, the lazy module's init function (every lazy module has one).
    pub(super) fn init_name(&self, m: ModuleId) -> Id {
        self.module_name(m, format!("init_{}", super::stem(&self.g.modules[m].path)))
    }

    /// Whether running `m`'s init function returns a promise.
    pub(super) fn init_is_async(&self, m: ModuleId, seen: &mut Vec<ModuleId>) -> bool {
        if seen.contains(&m) {
            return false;
        }
        seen.push(m);
        self.g.modules[m].record.has_top_level_await
            || self
                .lazy_static_deps(m)
                .into_iter()
                .any(|d| self.init_is_async(d, seen))
    }

    /// The lazy modules `m` imports statically, in source order.
    fn lazy_static_deps(&self, m: ModuleId) -> Vec<ModuleId> {
        let mut out = vec![];
        for (r, t) in self.g.modules[m]
            .record
            .imports
            .iter()
            .zip(&self.g.targets[m])
        {
            if let (ImportKind::Static, Target::Module(d)) = (r.kind, t)
                && self.is_lazy(*d)
                && !out.contains(d)
            {
                out.push(*d);
            }
        }
        out
    }

    /// `init_x()`, awaited when it is async.
    pub(super) fn run_init(&self, m: ModuleId) -> Box<Expr> {
        let run = call(expr_ident(&self.init_name(m)), vec![]);
        if self.init_is_async(m, &mut vec![]) {
            Box::new(Expr::Await(AwaitExpr {
                span: DUMMY_SP,
                arg: run,
            }))
        } else {
            run
        }
    }

    /// The parts of a lazy module, made of its rewritten code: its functions and the
    /// declarations of its other top-level names, then its init function.
    pub(super) fn lazy_parts(&self, id: ModuleId, code: Vec<Part>) -> Vec<Part> {
        let mut top = vec![];
        let mut names: Vec<Id> = vec![];
        let mut inside: Vec<Stmt> = vec![];
        for d in self.lazy_static_deps(id) {
            let run = self.run_init(d);
            inside.push(Stmt::Expr(ExprStmt {
                span: DUMMY_SP,
                expr: run,
            }));
        }
        for part in code {
            for item in part.items {
                match item {
                    ModuleItem::Stmt(Stmt::Decl(Decl::Fn(f))) => top.push(Part::new(
                        Some(id),
                        PartKind::Code,
                        vec![ModuleItem::Stmt(Stmt::Decl(Decl::Fn(f)))],
                    )),
                    ModuleItem::Stmt(Stmt::Decl(Decl::Var(v))) => {
                        for d in v.decls {
                            names.extend(find_pat_ids::<_, Id>(&d.name));
                            if let Some(init) = d.init {
                                inside.push(assign(d.name, init));
                            }
                        }
                    }
                    ModuleItem::Stmt(Stmt::Decl(Decl::Class(c))) => {
                        names.push(c.ident.to_id());
                        let class = Box::new(Expr::Class(class_expr(&c.ident, c.class)));
                        inside.push(assign(Pat::Ident(c.ident.into()), class));
                    }
                    ModuleItem::Stmt(s) => inside.push(s),
                    ModuleItem::ModuleDecl(_) => {}
                }
            }
        }
        let mut parts: Vec<Part> = names
            .iter()
            .map(|n| {
                Part::new(
                    Some(id),
                    PartKind::Linker,
                    vec![var(VarDeclKind::Var, n, None)],
                )
            })
            .collect();
        parts.extend(top);
        let is_async = self.init_is_async(id, &mut vec![]);
        let func = arrow_block(inside, is_async);
        let init = self.init_name(id);
        let wrapped = call(self.helper("__esm"), vec![func]);
        parts.push(Part::new(
            Some(id),
            PartKind::Linker,
            vec![var(VarDeclKind::Var, &init, Some(wrapped))],
        ));
        parts
    }
}

/// `name = value;` (a pattern becomes a destructuring assignment).
fn assign(name: Pat, value: Box<Expr>) -> Stmt {
    let left =
        match name {
            Pat::Ident(i) => AssignTarget::Simple(SimpleAssignTarget::Ident(i)),
            other => AssignTarget::Pat(AssignTargetPat::try_from(other).unwrap_or_else(|_| {
                unreachable!("a declaration's pattern is an assignment pattern")
            })),
        };
    let expr = Expr::Assign(AssignExpr {
        span: DUMMY_SP,
        op: AssignOp::Assign,
        left,
        right: value,
    });
    // `({ a } = x)` needs parentheses as a statement; the fixer adds them.
    Stmt::Expr(ExprStmt {
        span: DUMMY_SP,
        expr: Box::new(expr),
    })
}

/// `class C {}` as the value of `C = class C {}`: the class's own name (what its body means by
/// `C`, as in the declaration) a binding apart from the variable, so that to the minifier and
/// hygiene the two are not one identifier.
fn class_expr(name: &Ident, mut class: Box<Class>) -> ClassExpr {
    let own = Ident::new(
        name.sym.clone(),
        name.span,
        SyntaxContext::empty().apply_mark(Mark::new()),
    );
    struct Inner<'a>(&'a Ident, SyntaxContext);
    impl VisitMut for Inner<'_> {
        fn visit_mut_ident(&mut self, i: &mut Ident) {
            if i.sym == self.0.sym && i.ctxt == self.0.ctxt {
                i.ctxt = self.1;
            }
        }
    }
    class.visit_mut_with(&mut Inner(name, own.ctxt));
    ClassExpr {
        ident: Some(own),
        class,
    }
}
