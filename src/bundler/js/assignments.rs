//! Assignments the bundle cannot keep, refused as esbuild refuses them: to an imported binding
//! (`Cannot assign to import "x"`: the import is a live reference to another module's binding)
//! and to a `const` (`Cannot assign to "x" because it is a constant`: bundling may inline it).
//! Checked after scope resolution, so a shadowing `let x` is another binding.

use rustc_hash::FxHashSet;
use swc_core::common::{Span, Spanned};
use swc_core::ecma::ast::*;
use swc_core::ecma::utils::find_pat_ids;
use swc_core::ecma::visit::{Visit, VisitWith};

/// The first assignment to an import or a constant: its span and esbuild's message.
pub fn first_refused(module: &Module) -> Option<(Span, String)> {
    let mut bindings = Bindings::default();
    module.visit_with(&mut bindings);
    // Most modules (CommonJS ones, and every package file without consts or imports) have
    // nothing that could be assigned wrongly: no second walk.
    if bindings.imports.is_empty() && bindings.constants.is_empty() {
        return None;
    }
    let mut check = Check {
        bindings: &bindings,
        found: None,
    };
    module.visit_with(&mut check);
    check.found
}

#[derive(Default)]
struct Bindings {
    imports: FxHashSet<Id>,
    constants: FxHashSet<Id>,
}

impl Visit for Bindings {
    fn visit_import_decl(&mut self, d: &ImportDecl) {
        if d.type_only {
            return;
        }
        for s in &d.specifiers {
            let local = match s {
                ImportSpecifier::Named(n) => &n.local,
                ImportSpecifier::Default(d) => &d.local,
                ImportSpecifier::Namespace(n) => &n.local,
            };
            self.imports.insert(local.to_id());
        }
    }

    fn visit_var_decl(&mut self, d: &VarDecl) {
        if d.kind == VarDeclKind::Const {
            for decl in &d.decls {
                let ids: Vec<Id> = find_pat_ids(&decl.name);
                self.constants.extend(ids);
            }
        }
        d.visit_children_with(self);
    }
}

struct Check<'a> {
    bindings: &'a Bindings,
    found: Option<(Span, String)>,
}

impl Check<'_> {
    fn target(&mut self, id: &Ident, span: Span) {
        if self.found.is_some() {
            return;
        }
        let key = id.to_id();
        if self.bindings.imports.contains(&key) {
            self.found = Some((span, format!("Cannot assign to import \"{}\"", id.sym)));
        } else if self.bindings.constants.contains(&key) {
            self.found = Some((
                span,
                format!("Cannot assign to \"{}\" because it is a constant", id.sym),
            ));
        }
    }

    fn pattern<T: VisitWith<swc_core::ecma::utils::DestructuringFinder<Ident>>>(
        &mut self,
        p: &T,
        span: Span,
    ) {
        let ids: Vec<Ident> = find_pat_ids(p);
        for id in &ids {
            self.target(id, span);
        }
    }
}

impl Visit for Check<'_> {
    fn visit_assign_expr(&mut self, a: &AssignExpr) {
        match &a.left {
            AssignTarget::Simple(SimpleAssignTarget::Ident(b)) => self.target(&b.id, a.span),
            AssignTarget::Pat(p) => self.pattern(p, a.span),
            _ => {}
        }
        a.visit_children_with(self);
    }

    fn visit_update_expr(&mut self, u: &UpdateExpr) {
        if let Expr::Ident(id) = &*u.arg {
            self.target(id, u.span);
        }
        u.visit_children_with(self);
    }

    fn visit_for_in_stmt(&mut self, f: &ForInStmt) {
        if let ForHead::Pat(p) = &f.left {
            self.pattern(p, f.left.span());
        }
        f.visit_children_with(self);
    }

    fn visit_for_of_stmt(&mut self, f: &ForOfStmt) {
        if let ForHead::Pat(p) = &f.left {
            self.pattern(p, f.left.span());
        }
        f.visit_children_with(self);
    }
}
