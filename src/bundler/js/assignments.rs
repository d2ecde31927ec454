//! Assignments the bundle cannot keep, refused as esbuild refuses them: to an imported binding
//! (`Cannot assign to import "x"`: the import is a live reference to another module's binding)
//! and to a `const` (`Cannot assign to "x" because it is a constant`: bundling may inline it).
//! Checked after scope resolution, so a shadowing `let x` is another binding.

use rustc_hash::FxHashSet;
use swc_core::common::{Span, Spanned};
use swc_core::ecma::ast::*;
use swc_core::ecma::utils::find_pat_ids;
use swc_core::ecma::visit::VisitWith;

/// The bindings and every assignment's targets, gathered as the module's walk (checks.rs)
/// meets them; the targets (few, in source order) are checked against the bindings after.
#[derive(Default)]
pub(super) struct Walk {
    imports: FxHashSet<Id>,
    constants: FxHashSet<Id>,
    /// Each identifier assigned to, with the span of its assignment, in source order.
    targets: Vec<(Id, Span)>,
}

impl Walk {
    /// The first assignment to an import or a constant: its span and esbuild's message.
    pub(super) fn first_refused(self) -> Option<(Span, String)> {
        self.targets.into_iter().find_map(|(id, span)| {
            if self.imports.contains(&id) {
                Some((span, format!("Cannot assign to import \"{}\"", id.0)))
            } else if self.constants.contains(&id) {
                let message = format!("Cannot assign to \"{}\" because it is a constant", id.0);
                Some((span, message))
            } else {
                None
            }
        })
    }

    fn pattern<T: VisitWith<swc_core::ecma::utils::DestructuringFinder<Id>>>(
        &mut self,
        p: &T,
        span: Span,
    ) {
        let ids: Vec<Id> = find_pat_ids(p);
        self.targets.extend(ids.into_iter().map(|id| (id, span)));
    }

    pub(super) fn import_decl(&mut self, d: &ImportDecl) {
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

    pub(super) fn var_decl(&mut self, d: &VarDecl) {
        if d.kind == VarDeclKind::Const {
            for decl in &d.decls {
                let ids: Vec<Id> = find_pat_ids(&decl.name);
                self.constants.extend(ids);
            }
        }
    }

    pub(super) fn assign_expr(&mut self, a: &AssignExpr) {
        match &a.left {
            AssignTarget::Simple(SimpleAssignTarget::Ident(b)) => {
                self.targets.push((b.id.to_id(), a.span))
            }
            AssignTarget::Pat(p) => self.pattern(p, a.span),
            _ => {}
        }
    }

    pub(super) fn update_expr(&mut self, u: &UpdateExpr) {
        if let Expr::Ident(id) = &*u.arg {
            self.targets.push((id.to_id(), u.span));
        }
    }

    /// A `for … in` or `for … of` head.
    pub(super) fn for_head(&mut self, h: &ForHead) {
        if let ForHead::Pat(p) = h {
            self.pattern(p, h.span());
        }
    }
}
