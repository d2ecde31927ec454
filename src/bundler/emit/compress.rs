//! `--minify`'s syntax rules, as esbuild applies them: each a local rewrite to shorter code
//! that does the same. `true` → `!0`, `undefined` → `void 0`, `const` → `let` where nothing
//! assigns the binding, `if (a) b()` → `a && b()`, `if (a) return b; return c` →
//! `return a ? b : c`, adjacent declarations and expression statements joined, blocks of one
//! statement unbraced. One walk per top-level statement, on all threads: no rule drops, moves
//! or renames a binding, so no statement needs to know another's. (swc's compressor took a
//! quarter of a minified build's time for 3-4% of its size; these rules take most of that 3-4%.)

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use swc_core::common::{Span, Spanned, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::utils::find_pat_ids;
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use super::private_names::PrivateNames;
use crate::bundler::js::record::eval_callee;

/// Folding `if (a) return b; return c` into one `return` nests a conditional per `if`: a
/// function of thousands of them would nest deeper than later passes recurse safely.
const MAX_FOLDED_RETURNS: usize = 64;

/// At most this many top-level statements are joined into one: the stages after this one
/// (renaming, printing) take a top-level statement at a time on each thread, and the whole
/// bundle as one `var` would leave all but one thread idle.
const TOP_LEVEL_JOINED: usize = 32;

/// The bundle's statements rewritten shorter. `unresolved`: the context of names no scope
/// declares (the global `undefined`).
/// `assigned`: what the bundle assigns, when a walk before this one noted it (`Assigned`'s
/// methods); otherwise this walks the bundle for it first.
pub fn compress(body: &mut Vec<ModuleItem>, unresolved: SyntaxContext, assigned: Option<Assigned>) {
    let Assigned {
        ids: assigned,
        eval,
    } = assigned.unwrap_or_else(|| {
        body.par_iter()
            .map(|item| {
                let mut a = Assigned::default();
                item.visit_with(&mut a);
                a
            })
            .reduce(Assigned::default, Assigned::merge)
    });
    body.par_iter_mut().for_each(|item| {
        item.visit_mut_with(&mut Rules {
            unresolved,
            assigned: &assigned,
            // A direct `eval` may assign any binding it sees.
            consts_stay: eval,
            in_with: 0,
            private: PrivateNames::default(),
        })
    });
    // Runs of top-level statements (between imports and exports) joined as any list is.
    let mut out = Vec::with_capacity(body.len());
    let mut run = vec![];
    for item in std::mem::take(body) {
        match item {
            ModuleItem::Stmt(s) => run.push(s),
            decl => {
                join_stmts(&mut run, TOP_LEVEL_JOINED);
                out.extend(run.drain(..).map(ModuleItem::Stmt));
                out.push(decl);
            }
        }
    }
    join_stmts(&mut run, TOP_LEVEL_JOINED);
    out.extend(run.into_iter().map(ModuleItem::Stmt));
    *body = out;
}

/// The bindings something assigns after their declaration, and whether a direct `eval` is
/// called. Its walk (`Visit`) notes each assignment; a walk that goes everywhere for other
/// reasons (`contexts::one_top_level`) may note them instead.
#[derive(Default)]
pub struct Assigned {
    ids: FxHashSet<Id>,
    eval: bool,
}

impl Assigned {
    /// What `a` assigns (not what assignments nested in it do).
    pub fn assign(&mut self, a: &AssignExpr) {
        a.left.visit_with(&mut Targets(&mut self.ids));
    }
    pub fn update(&mut self, u: &UpdateExpr) {
        if let Expr::Ident(i) = unparen(&u.arg) {
            self.ids.insert(i.to_id());
        }
    }
    /// `for (x of y)`, `for ({ x } in y)`.
    pub fn for_head(&mut self, h: &ForHead) {
        if let ForHead::Pat(p) = h {
            p.visit_with(&mut Targets(&mut self.ids));
        }
    }
    pub fn merge(mut self, other: Assigned) -> Assigned {
        self.ids.extend(other.ids);
        self.eval |= other.eval;
        self
    }
}

/// Every binding a pattern or an assignment target names.
struct Targets<'a>(&'a mut FxHashSet<Id>);

impl Visit for Targets<'_> {
    fn visit_binding_ident(&mut self, i: &BindingIdent) {
        self.0.insert(i.id.to_id());
    }
    // `(x) = 1`, `for ((x) of y)`: a name in parentheses is assigned too.
    fn visit_simple_assign_target(&mut self, t: &SimpleAssignTarget) {
        if let SimpleAssignTarget::Paren(p) = t
            && let Expr::Ident(i) = unparen(&p.expr)
        {
            self.0.insert(i.to_id());
        }
        t.visit_children_with(self);
    }
    fn visit_pat(&mut self, p: &Pat) {
        if let Pat::Expr(e) = p
            && let Expr::Ident(i) = unparen(e)
        {
            self.0.insert(i.to_id());
        }
        p.visit_children_with(self);
    }
    // A default value or a computed key inside a pattern is read, not assigned.
    fn visit_expr(&mut self, _: &Expr) {}
}

impl Visit for Assigned {
    fn visit_assign_expr(&mut self, a: &AssignExpr) {
        self.assign(a);
        a.visit_children_with(self);
    }
    fn visit_update_expr(&mut self, u: &UpdateExpr) {
        self.update(u);
        u.visit_children_with(self);
    }
    fn visit_for_head(&mut self, h: &ForHead) {
        self.for_head(h);
        h.visit_children_with(self);
    }
    fn visit_call_expr(&mut self, c: &CallExpr) {
        self.eval |= eval_callee(c).is_some();
        c.visit_children_with(self);
    }
}

struct Rules<'a> {
    unresolved: SyntaxContext,
    assigned: &'a FxHashSet<Id>,
    consts_stay: bool,
    /// Inside a `with` body, `undefined` may be the object's property.
    in_with: u32,
    /// Private class members are renamed in this walk too (private_names.rs).
    private: PrivateNames,
}

impl VisitMut for Rules<'_> {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        if let Expr::Unary(UnaryExpr {
            op: UnaryOp::Bang,
            arg,
            ..
        }) = e
            && let Expr::Lit(Lit::Bool(b)) = &**arg
        {
            *e = Expr::Lit(Lit::Bool(Bool {
                span: b.span,
                value: !b.value,
            }));
        }
        e.visit_mut_children_with(self);
        match e {
            Expr::Lit(Lit::Bool(b)) => *e = not(number(b.span, if b.value { 0.0 } else { 1.0 })),
            Expr::Ident(i)
                if i.sym == "undefined" && i.ctxt == self.unresolved && self.in_with == 0 =>
            {
                *e = void_0(i.span)
            }
            // Two strings compare the same loosely: `typeof a === "b"` → `typeof a == "b"`.
            // Of the names `typeof` gives, only "undefined" sorts after "u": `typeof a ===
            // "undefined"` → `typeof a > "u"`.
            Expr::Bin(b)
                if matches!(b.op, BinaryOp::EqEqEq | BinaryOp::NotEqEq)
                    && is_string(&b.left)
                    && is_string(&b.right) =>
            {
                let equal = matches!(b.op, BinaryOp::EqEqEq);
                let typeof_first = is_typeof(&b.left);
                let typeof_second = is_typeof(&b.right);
                let other = if typeof_first {
                    &mut b.right
                } else {
                    &mut b.left
                };
                if (typeof_first || typeof_second)
                    && let Expr::Lit(Lit::Str(s)) = &mut **other
                    && s.value.as_str() == Some("undefined")
                {
                    *s = Str {
                        span: s.span,
                        value: "u".into(),
                        raw: None,
                    };
                    // With "undefined" first: `"u" < typeof a`.
                    b.op = match (equal, typeof_first) {
                        (true, true) | (false, false) => BinaryOp::Gt,
                        (true, false) | (false, true) => BinaryOp::Lt,
                    };
                } else {
                    b.op = if equal {
                        BinaryOp::EqEq
                    } else {
                        BinaryOp::NotEq
                    };
                }
            }
            _ => {}
        }
    }

    // `a["b"]` → `a.b`.
    fn visit_mut_member_prop(&mut self, p: &mut MemberProp) {
        p.visit_mut_children_with(self);
        if let MemberProp::Computed(c) = p
            && let Expr::Lit(Lit::Str(s)) = &*c.expr
            && let Some(name) = s.value.as_str().filter(|n| is_identifier_name(n))
        {
            *p = MemberProp::Ident(IdentName {
                span: c.span,
                sym: name.into(),
            });
        }
    }

    // `undefined` assigned, counted (`undefined++`) or deleted, in parentheses or not, stays:
    // `void 0` cannot be assigned, and `delete` means otherwise there.
    fn visit_mut_update_expr(&mut self, u: &mut UpdateExpr) {
        if !matches!(unparen(&u.arg), Expr::Ident(_)) {
            u.visit_mut_children_with(self);
        }
    }

    fn visit_mut_unary_expr(&mut self, u: &mut UnaryExpr) {
        if !(u.op == UnaryOp::Delete && matches!(unparen(&u.arg), Expr::Ident(_))) {
            u.visit_mut_children_with(self);
        }
    }

    fn visit_mut_simple_assign_target(&mut self, t: &mut SimpleAssignTarget) {
        if !matches!(t, SimpleAssignTarget::Paren(p) if matches!(unparen(&p.expr), Expr::Ident(_)))
        {
            t.visit_mut_children_with(self);
        }
    }

    fn visit_mut_pat(&mut self, p: &mut Pat) {
        if !matches!(p, Pat::Expr(e) if matches!(unparen(e), Expr::Ident(_))) {
            p.visit_mut_children_with(self);
        }
    }

    fn visit_mut_class(&mut self, c: &mut Class) {
        self.private.enter(c);
        c.visit_mut_children_with(self);
        self.private.leave();
    }

    fn visit_mut_private_name(&mut self, n: &mut PrivateName) {
        self.private.rename(n);
    }

    fn visit_mut_with_stmt(&mut self, w: &mut WithStmt) {
        w.obj.visit_mut_with(self);
        self.in_with += 1;
        w.body.visit_mut_with(self);
        self.in_with -= 1;
    }

    fn visit_mut_var_decl(&mut self, v: &mut VarDecl) {
        v.visit_mut_children_with(self);
        if v.kind == VarDeclKind::Const && !self.consts_stay {
            let bound: Vec<Id> = find_pat_ids(&v.decls);
            if bound.iter().all(|id| !self.assigned.contains(id)) {
                v.kind = VarDeclKind::Let;
            }
        }
    }

    fn visit_mut_stmts(&mut self, stmts: &mut Vec<Stmt>) {
        stmts.visit_mut_children_with(self);
        join_stmts(stmts, usize::MAX);
    }

    fn visit_mut_stmt(&mut self, s: &mut Stmt) {
        s.visit_mut_children_with(self);
        simplify(s);
    }

    fn visit_mut_return_stmt(&mut self, r: &mut ReturnStmt) {
        r.visit_mut_children_with(self);
        if r.arg.as_deref().is_some_and(is_void_0) {
            r.arg = None;
        }
    }

    fn visit_mut_arrow_function_body(&mut self, body: &mut ArrowFunctionBody) {
        body.visit_mut_children_with(self);
        if let ArrowFunctionBody::FunctionBody(b) = body
            && let [Stmt::Return(ReturnStmt { arg: Some(_), .. })] = b.stmts.as_slice()
            && let Some(Stmt::Return(ReturnStmt { arg: Some(e), .. })) = b.stmts.pop()
        {
            *body = ArrowFunctionBody::Expr(e);
        }
    }
}

/// One statement's own rules: `if` into an expression, a loop's body unbraced.
fn simplify(s: &mut Stmt) {
    match s {
        Stmt::If(_) => simplify_if(s),
        Stmt::While(w) if is_true(&w.test) => {
            let mut body = std::mem::replace(&mut w.body, Box::new(empty(w.span)));
            unbrace(&mut body);
            *s = Stmt::For(ForStmt {
                span: w.span,
                init: None,
                test: None,
                update: None,
                body,
            });
        }
        Stmt::While(WhileStmt { body, .. })
        | Stmt::DoWhile(DoWhileStmt { body, .. })
        | Stmt::For(ForStmt { body, .. })
        | Stmt::ForIn(ForInStmt { body, .. })
        | Stmt::ForOf(ForOfStmt { body, .. }) => unbrace(body),
        _ => {}
    }
}

fn simplify_if(s: &mut Stmt) {
    let Stmt::If(i) = s else { return };
    if let Some(alt) = &mut i.alt {
        unbrace(alt);
        if is_empty(alt) {
            i.alt = None;
        }
    }
    // With an `else`, a `then` ending in an `if` of its own keeps its braces: unbraced, the
    // `else` would be that inner `if`'s.
    if i.alt.is_none() || !captures_else(unbraced(&i.cons)) {
        unbrace(&mut i.cons);
    }
    if is_empty(&i.cons) {
        match i.alt.take() {
            None => {
                *s = expr_stmt(i.span, take_expr(&mut i.test));
                return;
            }
            Some(alt) => {
                *i.test = negated(take_expr(&mut i.test));
                i.cons = alt;
            }
        }
    }
    let span = i.span;
    match (&mut *i.cons, i.alt.as_deref_mut()) {
        (Stmt::Expr(c), None) => {
            let test = take_expr(&mut i.test);
            let then = take_expr(&mut c.expr);
            *s = expr_stmt(span, and_then(test, then));
        }
        (Stmt::Expr(c), Some(Stmt::Expr(a))) => {
            let e = choose(
                take_expr(&mut i.test),
                take_expr(&mut c.expr),
                take_expr(&mut a.expr),
            );
            *s = expr_stmt(span, e);
        }
        (
            Stmt::Return(ReturnStmt { arg: Some(c), .. }),
            Some(Stmt::Return(ReturnStmt { arg: Some(a), .. })),
        ) => {
            let e = choose(take_expr(&mut i.test), take_expr(c), take_expr(a));
            *s = Stmt::Return(ReturnStmt {
                span,
                arg: Some(Box::new(e)),
            });
        }
        _ => {}
    }
}

/// A list of statements joined: empty statements dropped, blocks without declarations of
/// their own spliced in, `if (a) return b; return c` folded, adjacent declarations of one
/// kind made one, and each expression statement joined to the next statement's expression;
/// at most `most` statements into one.
fn join_stmts(list: &mut Vec<Stmt>, most: usize) {
    let mut flat: Vec<Stmt> = Vec::with_capacity(list.len());
    for s in list.drain(..) {
        match s {
            // Before anything else, an empty statement stays: a string after it is not a
            // directive, and must not become one.
            Stmt::Empty(_) if !flat.is_empty() => {}
            // At the start, a block opening with a string (or none) would make a directive.
            Stmt::Block(b)
                if !b.stmts.iter().any(is_scoped)
                    && (!flat.is_empty()
                        || b.stmts.first().is_some_and(|s| !is_directive_like(s))) =>
            {
                flat.extend(b.stmts)
            }
            s => flat.push(s),
        }
    }
    // From the end, so that a chain folds into one `return`.
    let mut i = flat.len();
    let mut folded = 0;
    while i >= 2 {
        i -= 1;
        let foldable = matches!(
            (&flat[i - 1], &flat[i]),
            (
                Stmt::If(IfStmt { alt: None, cons, .. }),
                Stmt::Return(ReturnStmt { arg: Some(_), .. }),
            ) if matches!(&**cons, Stmt::Return(ReturnStmt { arg: Some(_), .. }))
        );
        if !foldable || folded >= MAX_FOLDED_RETURNS {
            folded = 0;
            continue;
        }
        folded += 1;
        let Stmt::Return(ReturnStmt {
            arg: Some(otherwise),
            ..
        }) = flat.remove(i)
        else {
            unreachable!("matched above")
        };
        let Stmt::If(IfStmt {
            span, test, cons, ..
        }) = &mut flat[i - 1]
        else {
            unreachable!("matched above")
        };
        let Stmt::Return(ReturnStmt {
            arg: Some(then), ..
        }) = &mut **cons
        else {
            unreachable!("matched above")
        };
        let e = choose(take_expr(test), take_expr(then), *otherwise);
        flat[i - 1] = Stmt::Return(ReturnStmt {
            span: *span,
            arg: Some(Box::new(e)),
        });
    }
    let mut joined = 0;
    for s in flat {
        let before = list.len();
        let last = match list.last_mut() {
            Some(last) if joined < most => last,
            _ => {
                list.push(s);
                joined = 1;
                continue;
            }
        };
        joined += 1;
        match (last, s) {
            (Stmt::Decl(Decl::Var(a)), Stmt::Decl(Decl::Var(mut b)))
                if a.kind == b.kind && !a.declare && !b.declare =>
            {
                a.decls.append(&mut b.decls);
            }
            (Stmt::Expr(a), s) if !is_directive_like_expr(&a.expr) => match s {
                Stmt::Expr(mut b) if !is_directive_like_expr(&b.expr) => {
                    *a.expr = sequence(take_expr(&mut a.expr), take_expr(&mut b.expr));
                }
                Stmt::Return(ReturnStmt {
                    span,
                    arg: Some(mut arg),
                }) => {
                    let first = take_expr(&mut a.expr);
                    list.pop();
                    list.push(Stmt::Return(ReturnStmt {
                        span,
                        arg: Some(Box::new(sequence(first, take_expr(&mut arg)))),
                    }));
                }
                Stmt::Throw(ThrowStmt { span, mut arg }) => {
                    let first = take_expr(&mut a.expr);
                    list.pop();
                    list.push(Stmt::Throw(ThrowStmt {
                        span,
                        arg: Box::new(sequence(first, take_expr(&mut arg))),
                    }));
                }
                Stmt::If(mut i) => {
                    let first = take_expr(&mut a.expr);
                    list.pop();
                    *i.test = sequence(first, take_expr(&mut i.test));
                    list.push(Stmt::If(i));
                }
                s => list.push(s),
            },
            (_, s) => list.push(s),
        }
        if list.len() > before {
            joined = 1;
        }
    }
}

/// A statement that declares a name scoped to its block (or, for a function in a block, to
/// it in strict code): the block around it cannot go.
fn is_scoped(s: &Stmt) -> bool {
    match s {
        Stmt::Decl(Decl::Var(v)) => v.kind != VarDeclKind::Var,
        Stmt::Decl(_) | Stmt::Labeled(_) => true,
        _ => false,
    }
}

/// `body` without its braces when it is a block of one statement (or none) that may stand
/// alone.
fn unbrace(body: &mut Box<Stmt>) {
    if let Stmt::Block(b) = &mut **body {
        if b.stmts.is_empty() {
            **body = empty(b.span);
        } else if stands_alone(b) {
            **body = b.stmts.pop().expect("one statement");
        }
    }
}

/// What `unbrace` would leave, for a look.
fn unbraced(body: &Stmt) -> &Stmt {
    match body {
        Stmt::Block(b) if stands_alone(b) => &b.stmts[0],
        _ => body,
    }
}

/// A block of one statement that needs no block around it.
fn stands_alone(b: &BlockStmt) -> bool {
    b.stmts.len() == 1 && !is_scoped(&b.stmts[0])
}

/// Whether an `else` after `s` would be taken by an `if` inside it.
fn captures_else(s: &Stmt) -> bool {
    match s {
        Stmt::If(IfStmt { alt: None, .. }) => true,
        Stmt::If(IfStmt { alt: Some(alt), .. }) => captures_else(alt),
        Stmt::While(WhileStmt { body, .. })
        | Stmt::For(ForStmt { body, .. })
        | Stmt::ForIn(ForInStmt { body, .. })
        | Stmt::ForOf(ForOfStmt { body, .. })
        | Stmt::Labeled(LabeledStmt { body, .. })
        | Stmt::With(WithStmt { body, .. }) => captures_else(body),
        _ => false,
    }
}

fn is_empty(s: &Stmt) -> bool {
    match s {
        Stmt::Empty(_) => true,
        Stmt::Block(b) => b.stmts.is_empty(),
        _ => false,
    }
}

/// A string standing alone as a statement: never joined, as it may be a directive.
fn is_directive_like(s: &Stmt) -> bool {
    matches!(s, Stmt::Expr(e) if is_directive_like_expr(&e.expr))
}

fn is_directive_like_expr(e: &Expr) -> bool {
    matches!(e, Expr::Lit(Lit::Str(_)))
}

/// `true` as written or as these rules write it.
fn is_true(e: &Expr) -> bool {
    match e {
        Expr::Lit(Lit::Bool(b)) => b.value,
        Expr::Unary(UnaryExpr {
            op: UnaryOp::Bang,
            arg,
            ..
        }) => matches!(&**arg, Expr::Lit(Lit::Num(n)) if n.value == 0.0),
        _ => false,
    }
}

/// Known to be a string: a string literal or a `typeof`.
fn is_string(e: &Expr) -> bool {
    matches!(unparen(e), Expr::Lit(Lit::Str(_))) || is_typeof(e)
}

fn is_typeof(e: &Expr) -> bool {
    matches!(
        unparen(e),
        Expr::Unary(UnaryExpr {
            op: UnaryOp::TypeOf,
            ..
        })
    )
}

/// A name that may follow a `.` (reserved words included; ASCII only, to stay simple).
fn is_identifier_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn is_void_0(e: &Expr) -> bool {
    matches!(e, Expr::Unary(UnaryExpr { op: UnaryOp::Void, arg, .. })
        if matches!(&**arg, Expr::Lit(Lit::Num(n)) if n.value == 0.0))
}

/// `test && then`, or `x || then` for a test `!x`.
fn and_then(test: Expr, then: Expr) -> Expr {
    let span = test.span();
    match test {
        Expr::Unary(UnaryExpr {
            op: UnaryOp::Bang,
            arg,
            ..
        }) => binary(span, BinaryOp::LogicalOr, *arg, then),
        test => binary(span, BinaryOp::LogicalAnd, test, then),
    }
}

/// `test ? then : otherwise`, or `x ? otherwise : then` for a test `!x`.
fn choose(test: Expr, then: Expr, otherwise: Expr) -> Expr {
    let span = test.span();
    let (test, then, otherwise) = match test {
        Expr::Unary(UnaryExpr {
            op: UnaryOp::Bang,
            arg,
            ..
        }) => (*arg, otherwise, then),
        test => (test, then, otherwise),
    };
    Expr::Cond(CondExpr {
        span,
        test: Box::new(test),
        cons: Box::new(then),
        alt: Box::new(otherwise),
    })
}

/// `!e`, or `x` for an `e` that is `!x` in a test (where only truth counts).
fn negated(e: Expr) -> Expr {
    match e {
        Expr::Unary(UnaryExpr {
            op: UnaryOp::Bang,
            arg,
            ..
        }) => *arg,
        e => not(e),
    }
}

/// `a, b`, flattened.
fn sequence(a: Expr, b: Expr) -> Expr {
    let span = a.span();
    let mut exprs = match a {
        Expr::Seq(s) => s.exprs,
        a => vec![Box::new(a)],
    };
    match b {
        Expr::Seq(s) => exprs.extend(s.exprs),
        b => exprs.push(Box::new(b)),
    }
    Expr::Seq(SeqExpr { span, exprs })
}

fn binary(span: Span, op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Bin(BinExpr {
        span,
        op,
        left: Box::new(left),
        right: Box::new(right),
    })
}

fn not(e: Expr) -> Expr {
    Expr::Unary(UnaryExpr {
        span: e.span(),
        op: UnaryOp::Bang,
        arg: Box::new(e),
    })
}

fn number(span: Span, value: f64) -> Expr {
    Expr::Lit(Lit::Num(Number {
        span,
        value,
        raw: None,
    }))
}

fn void_0(span: Span) -> Expr {
    Expr::Unary(UnaryExpr {
        span,
        op: UnaryOp::Void,
        arg: Box::new(number(span, 0.0)),
    })
}

fn expr_stmt(span: Span, e: Expr) -> Stmt {
    Stmt::Expr(ExprStmt {
        span,
        expr: Box::new(e),
    })
}

fn empty(span: Span) -> Stmt {
    Stmt::Empty(EmptyStmt { span })
}

/// `e` without the parentheses around it.
fn unparen(mut e: &Expr) -> &Expr {
    while let Expr::Paren(p) = e {
        e = &p.expr;
    }
    e
}

fn take_expr(e: &mut Box<Expr>) -> Expr {
    let span = e.span();
    std::mem::replace(&mut **e, Expr::Invalid(Invalid { span }))
}
