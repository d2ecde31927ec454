//! Building the small pieces of AST the linker adds (names, calls, members, arrows, variable
//! declarations), without spans: the printer places them.

use super::*;

pub(super) fn ident(id: &Id) -> Ident {
    Ident::new(id.0.clone(), DUMMY_SP, id.1)
}

pub(super) fn expr_ident(id: &Id) -> Box<Expr> {
    Box::new(Expr::Ident(ident(id)))
}

#[allow(clippy::vec_box)]
pub(super) fn call(callee: Box<Expr>, args: Vec<Box<Expr>>) -> Box<Expr> {
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

pub(super) fn member(obj: Box<Expr>, prop: &str) -> Box<Expr> {
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

pub(super) fn is_identifier_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

pub(super) fn var(kind: VarDeclKind, id: &Id, init: Option<Box<Expr>>) -> ModuleItem {
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

pub(super) fn num(n: f64) -> Box<Expr> {
    Box::new(Expr::Lit(Lit::Num(Number {
        span: DUMMY_SP,
        value: n,
        raw: None,
    })))
}

/// `() => body`.
pub(super) fn arrow(body: Box<Expr>) -> Box<Expr> {
    arrow_with(ArrowFunctionBody::Expr(body), false)
}

/// `() => { stmts }` (`async` when asked).
pub(super) fn arrow_block(stmts: Vec<Stmt>, is_async: bool) -> Box<Expr> {
    arrow_with(
        ArrowFunctionBody::FunctionBody(FunctionBody {
            span: DUMMY_SP,
            stmts,
        }),
        is_async,
    )
}

pub(super) fn arrow_with(body: ArrowFunctionBody, is_async: bool) -> Box<Expr> {
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

/// An anonymous function, arrow or class: Node names it after what it is bound to.
pub(super) fn is_anonymous_function(e: &Expr) -> bool {
    match e {
        Expr::Arrow(_) => true,
        Expr::Fn(f) => f.ident.is_none(),
        Expr::Class(c) => c.ident.is_none(),
        Expr::Paren(p) => is_anonymous_function(&p.expr),
        _ => false,
    }
}

/// `(() => { body })();`
pub(super) fn iife(body: Vec<ModuleItem>) -> ModuleItem {
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
