//! One walk of a parsed module, after scope resolution, for three things: what an ES module may
//! not contain (esm_rules.rs), the assignments the bundle cannot keep (assignments.rs), and
//! whether it has decorators to lower. Each was a walk of every module of its own.

use swc_core::common::Span;
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

use super::{assignments, esm_rules};

/// What the walk found: each the first of its kind, as a span and esbuild's message.
pub struct Found {
    /// Only looked for in an ES module.
    pub not_in_a_module: Option<(Span, String)>,
    pub refused_assignment: Option<(Span, String)>,
    pub decorators: bool,
}

pub fn check(module: &Module, esm: bool) -> Found {
    let mut walk = Checks {
        esm: esm.then(esm_rules::Rules::default),
        assignments: assignments::Walk::default(),
        decorators: false,
    };
    module.visit_with(&mut walk);
    Found {
        not_in_a_module: walk.esm.and_then(|rules| rules.found),
        refused_assignment: walk.assignments.first_refused(),
        decorators: walk.decorators,
    }
}

struct Checks {
    esm: Option<esm_rules::Rules>,
    assignments: assignments::Walk,
    decorators: bool,
}

impl Visit for Checks {
    fn visit_with_stmt(&mut self, w: &WithStmt) {
        if let Some(rules) = &mut self.esm {
            rules.with_stmt(w);
        }
        w.visit_children_with(self);
    }
    fn visit_function(&mut self, f: &Function) {
        if let Some(rules) = &mut self.esm {
            rules.function(f);
        }
        f.visit_children_with(self);
    }
    fn visit_constructor(&mut self, c: &Constructor) {
        if let Some(rules) = &mut self.esm {
            rules.constructor(c);
        }
        c.visit_children_with(self);
    }
    fn visit_import_decl(&mut self, d: &ImportDecl) {
        self.assignments.import_decl(d);
    }
    fn visit_var_decl(&mut self, d: &VarDecl) {
        self.assignments.var_decl(d);
        d.visit_children_with(self);
    }
    fn visit_assign_expr(&mut self, a: &AssignExpr) {
        self.assignments.assign_expr(a);
        a.visit_children_with(self);
    }
    fn visit_update_expr(&mut self, u: &UpdateExpr) {
        self.assignments.update_expr(u);
        u.visit_children_with(self);
    }
    fn visit_for_in_stmt(&mut self, f: &ForInStmt) {
        self.assignments.for_head(&f.left);
        f.visit_children_with(self);
    }
    fn visit_for_of_stmt(&mut self, f: &ForOfStmt) {
        self.assignments.for_head(&f.left);
        f.visit_children_with(self);
    }
    fn visit_decorator(&mut self, d: &Decorator) {
        self.decorators = true;
        d.visit_children_with(self);
    }
}
