//! TypeScript's `useDefineForClassFields: false`: a class field is an assignment, not a
//! definition. Instance fields with a value become `this.key = value` right after `super()`,
//! static ones `static { this.key = value }` in place; fields without a value vanish (they only
//! declared a type). Private and computed-key fields keep define semantics, as in esbuild.

use swc_core::common::{DUMMY_SP, Mark, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::utils::{constructor::inject_after_super, default_constructor_with_span};
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

pub struct AssignClassFields;

impl VisitMut for AssignClassFields {
    fn visit_mut_class(&mut self, class: &mut Class) {
        class.visit_mut_children_with(self);
        let mut inits = vec![];
        let mut body = Vec::with_capacity(class.body.len());
        for member in class.body.drain(..) {
            match member {
                ClassMember::ClassProp(p) if !matches!(p.key, PropName::Computed(_)) => {
                    let Some(value) = p.value else { continue };
                    let assign = this_prop_assign(p.key, value, p.span);
                    if p.is_static {
                        let stmts = vec![Stmt::Expr(ExprStmt {
                            span: p.span,
                            expr: assign,
                        })];
                        body.push(ClassMember::StaticBlock(StaticBlock {
                            span: p.span,
                            body: BlockStmt {
                                span: p.span,
                                stmts,
                                ..Default::default()
                            },
                        }));
                    } else {
                        inits.push(assign);
                    }
                }
                other => body.push(other),
            }
        }
        class.body = body;
        if inits.is_empty() {
            return;
        }
        if !class
            .body
            .iter()
            .any(|m| matches!(m, ClassMember::Constructor(_)))
        {
            let mut ctor = default_constructor_with_span(class.super_class.is_some(), DUMMY_SP);
            // Its `...args` in a context of its own, as the resolver would have given it.
            let own = SyntaxContext::empty().apply_mark(Mark::new());
            ctor.ctxt = own;
            ctor.visit_mut_with(&mut InContext(own));
            class.body.push(ClassMember::Constructor(ctor));
        }
        if let Some(c) = class.body.iter_mut().find_map(|m| m.as_mut_constructor()) {
            inject_after_super(c, inits);
        }
    }
}

/// Puts unmarked identifiers in one context.
struct InContext(SyntaxContext);

impl VisitMut for InContext {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if i.ctxt == SyntaxContext::empty() {
            i.ctxt = self.0;
        }
    }
}

/// `this.key = value` (`this["key"]` for string and number keys).
fn this_prop_assign(key: PropName, value: Box<Expr>, span: swc_core::common::Span) -> Box<Expr> {
    let prop = match key {
        PropName::Ident(i) => MemberProp::Ident(i),
        PropName::Str(s) => MemberProp::Computed(ComputedPropName {
            span,
            expr: Box::new(Expr::Lit(Lit::Str(s))),
        }),
        PropName::Num(n) => MemberProp::Computed(ComputedPropName {
            span,
            expr: Box::new(Expr::Lit(Lit::Num(n))),
        }),
        PropName::BigInt(b) => MemberProp::Computed(ComputedPropName {
            span,
            expr: Box::new(Expr::Lit(Lit::BigInt(b))),
        }),
        PropName::Computed(c) => MemberProp::Computed(c),
    };
    let target = MemberExpr {
        span,
        obj: Box::new(Expr::This(ThisExpr { span })),
        prop,
    };
    Box::new(Expr::Assign(AssignExpr {
        span,
        op: AssignOp::Assign,
        left: AssignTarget::Simple(SimpleAssignTarget::Member(target)),
        right: value,
    }))
}
