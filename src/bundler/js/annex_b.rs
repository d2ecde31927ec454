//! Annex B of the ECMAScript spec (B.3.2): in sloppy code a function declared in a block is
//! also a `var` of the enclosing function, which gets the function's value when the
//! declaration is evaluated. A bundle is strict (an ES module), where the function stays in its
//! block, so for a sloppy script that `var` is written out, as esbuild does:
//!
//! ```js
//! { function f() {} }  f();   →   var f;  { function f() {}  f = f; }  f();
//! ```
//!
//! where the assignment's left side is the `var` and its right side the block's function (the
//! two `f`s get different syntax contexts and later distinct names). In two steps around the
//! resolver: `declare_vars` adds the `var`s before it (so every other `f` of the function
//! resolves to the `var`), `assign_vars` adds the assignments after it (when both bindings are
//! known). Both find the same declarations: those the spec hoists, i.e. where a `var` of that
//! name would not clash with a parameter or a `let`/`const`/`class` (or block function) of an
//! enclosing block. Strict functions (a `"use strict"` directive) and classes are left alone.

use rustc_hash::FxHashSet;
use swc_core::atoms::Atom;
use swc_core::common::{DUMMY_SP, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::utils::find_pat_ids;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

/// Before the resolver, on a script: `var f;` at the top of each sloppy function (and of the
/// script) for each block function `f` the spec hoists. Returns whether there was any.
pub fn declare_vars(script: &mut Script) -> bool {
    if is_strict(&script.body) {
        return false;
    }
    let mut v = SloppyFunctions(Declare { found: false });
    v.0.body(&mut script.body, &FxHashSet::default());
    script.body.visit_mut_children_with(&mut v);
    v.0.found
}

/// After the resolver, on a script made a module whose `declare_vars` found something:
/// `f = f;` (the `var` = the block's function) after each hoisted block function.
pub fn assign_vars(module: &mut Module) {
    let mut stmts: Vec<Stmt> = std::mem::take(&mut module.body)
        .into_iter()
        .map(|i| i.expect_stmt())
        .collect();
    let mut v = SloppyFunctions(Assign);
    v.0.body(&mut stmts, &FxHashSet::default());
    stmts.visit_mut_children_with(&mut v);
    module.body = stmts.into_iter().map(ModuleItem::Stmt).collect();
}

/// What each step does with one function body (or the script's top level).
trait PerBody {
    fn body(&mut self, stmts: &mut Vec<Stmt>, params: &FxHashSet<Atom>);
}

/// Every sloppy function of a tree, each body handed to `S` (classes are strict, and so is a
/// function with a `"use strict"` directive and all it contains).
struct SloppyFunctions<S>(S);

impl<S: PerBody> VisitMut for SloppyFunctions<S> {
    fn visit_mut_function(&mut self, f: &mut Function) {
        let Some(body) = &mut f.body else { return };
        if is_strict(&body.stmts) {
            return;
        }
        let params = f
            .params
            .iter()
            .flat_map(|p| find_pat_ids::<_, Id>(&p.pat))
            .map(|id| id.0)
            .collect();
        self.0.body(&mut body.stmts, &params);
        f.visit_mut_children_with(self);
    }

    fn visit_mut_arrow_expr(&mut self, a: &mut ArrowExpr) {
        if let ArrowFunctionBody::FunctionBody(b) = &mut *a.body {
            if is_strict(&b.stmts) {
                return;
            }
            let params = a
                .params
                .iter()
                .flat_map(find_pat_ids::<_, Id>)
                .map(|id| id.0)
                .collect();
            self.0.body(&mut b.stmts, &params);
        }
        a.visit_mut_children_with(self);
    }

    fn visit_mut_class(&mut self, _: &mut Class) {}
}

struct Declare {
    found: bool,
}

impl PerBody for Declare {
    fn body(&mut self, stmts: &mut Vec<Stmt>, params: &FxHashSet<Atom>) {
        let mut names: Vec<Atom> = vec![];
        hoisted_functions(stmts, params, &mut |block, i| {
            let Stmt::Decl(Decl::Fn(f)) = &block[i] else {
                unreachable!("a function declaration")
            };
            if !names.contains(&f.ident.sym) {
                names.push(f.ident.sym.clone());
            }
            0
        });
        if names.is_empty() {
            return;
        }
        self.found = true;
        let decls = names
            .into_iter()
            .map(|n| VarDeclarator {
                span: DUMMY_SP,
                name: Pat::Ident(Ident::new_no_ctxt(n, DUMMY_SP).into()),
                init: None,
                definite: false,
            })
            .collect();
        let var = Stmt::Decl(Decl::Var(Box::new(VarDecl {
            span: DUMMY_SP,
            ctxt: SyntaxContext::empty(),
            kind: VarDeclKind::Var,
            declare: false,
            decls,
        })));
        stmts.insert(directives(stmts), var);
    }
}

struct Assign;

impl PerBody for Assign {
    fn body(&mut self, stmts: &mut Vec<Stmt>, params: &FxHashSet<Atom>) {
        let vars = var_bindings(stmts);
        hoisted_functions(stmts, params, &mut |block, i| {
            let Stmt::Decl(Decl::Fn(f)) = &block[i] else {
                unreachable!("a function declaration")
            };
            let Some(var) = vars.iter().find(|v| v.sym == f.ident.sym) else {
                return 0;
            };
            let assign = AssignExpr {
                span: DUMMY_SP,
                op: AssignOp::Assign,
                left: AssignTarget::Simple(SimpleAssignTarget::Ident(var.clone().into())),
                right: Box::new(Expr::Ident(f.ident.clone())),
            };
            block.insert(
                i + 1,
                Stmt::Expr(ExprStmt {
                    span: DUMMY_SP,
                    expr: Box::new(Expr::Assign(assign)),
                }),
            );
            1
        });
    }
}

/// Calls `found(block, i)` for each function declaration `block[i]` in a block of this body
/// (not in nested functions) that Annex B hoists; `found` returns how many statements it
/// inserted after it.
fn hoisted_functions(
    body: &mut [Stmt],
    params: &FxHashSet<Atom>,
    found: &mut dyn FnMut(&mut Vec<Stmt>, usize) -> usize,
) {
    // Parameters and the body's own lexical names block a `var` of the same name.
    let mut enclosing = vec![params.clone(), lexical_names(body, false)];
    for s in body {
        walk_stmt(s, &mut enclosing, found);
    }
}

fn walk_stmt(
    s: &mut Stmt,
    enclosing: &mut Vec<FxHashSet<Atom>>,
    found: &mut dyn FnMut(&mut Vec<Stmt>, usize) -> usize,
) {
    match s {
        Stmt::Block(b) => walk_block(&mut b.stmts, enclosing, found),
        Stmt::If(i) => {
            walk_stmt(&mut i.cons, enclosing, found);
            if let Some(alt) = &mut i.alt {
                walk_stmt(alt, enclosing, found);
            }
        }
        Stmt::For(f) => {
            let names = match &f.init {
                Some(VarDeclOrExpr::VarDecl(v)) if v.kind != VarDeclKind::Var => var_names(v),
                _ => FxHashSet::default(),
            };
            in_scope(names, enclosing, |e| walk_stmt(&mut f.body, e, found));
        }
        Stmt::ForIn(ForInStmt { left, body, .. }) | Stmt::ForOf(ForOfStmt { left, body, .. }) => {
            let names = match left {
                ForHead::VarDecl(v) if v.kind != VarDeclKind::Var => var_names(v),
                _ => FxHashSet::default(),
            };
            in_scope(names, enclosing, |e| walk_stmt(body, e, found));
        }
        Stmt::While(WhileStmt { body, .. })
        | Stmt::DoWhile(DoWhileStmt { body, .. })
        | Stmt::Labeled(LabeledStmt { body, .. })
        | Stmt::With(WithStmt { body, .. }) => walk_stmt(body, enclosing, found),
        Stmt::Try(t) => {
            walk_block(&mut t.block.stmts, enclosing, found);
            if let Some(h) = &mut t.handler {
                let names = h
                    .param
                    .iter()
                    .flat_map(find_pat_ids::<_, Id>)
                    .map(|id| id.0)
                    .collect();
                in_scope(names, enclosing, |e| {
                    walk_block(&mut h.body.stmts, e, found)
                });
            }
            if let Some(f) = &mut t.finalizer {
                walk_block(&mut f.stmts, enclosing, found);
            }
        }
        Stmt::Switch(sw) => {
            // The cases share one block.
            let names = sw
                .cases
                .iter()
                .flat_map(|c| lexical_names(&c.cons, true))
                .collect();
            in_scope(names, enclosing, |e| {
                for case in &mut sw.cases {
                    block_functions(&mut case.cons, e, found);
                }
            });
        }
        _ => {}
    }
}

/// A block: its hoisted functions, then the blocks inside it.
fn walk_block(
    stmts: &mut Vec<Stmt>,
    enclosing: &mut Vec<FxHashSet<Atom>>,
    found: &mut dyn FnMut(&mut Vec<Stmt>, usize) -> usize,
) {
    let names = lexical_names(stmts, true);
    in_scope(names, enclosing, |e| block_functions(stmts, e, found));
}

/// The hoisted function declarations directly in `stmts` (whose block is already on
/// `enclosing`), then the statements inside them.
fn block_functions(
    stmts: &mut Vec<Stmt>,
    enclosing: &mut Vec<FxHashSet<Atom>>,
    found: &mut dyn FnMut(&mut Vec<Stmt>, usize) -> usize,
) {
    let mut i = 0;
    while i < stmts.len() {
        if let Stmt::Decl(Decl::Fn(f)) = &stmts[i] {
            // Its own block declares it; the blocks around it must not.
            let outer = &enclosing[..enclosing.len() - 1];
            if !outer.iter().any(|names| names.contains(&f.ident.sym)) {
                i += found(stmts, i);
            }
        }
        i += 1;
    }
    for s in stmts.iter_mut() {
        walk_stmt(s, enclosing, found);
    }
}

fn in_scope(
    names: FxHashSet<Atom>,
    enclosing: &mut Vec<FxHashSet<Atom>>,
    walk: impl FnOnce(&mut Vec<FxHashSet<Atom>>),
) {
    enclosing.push(names);
    walk(enclosing);
    enclosing.pop();
}

/// The names `let`, `const` and `class` declare directly in `stmts` (and function
/// declarations, which are lexical in a block but not in a function body).
fn lexical_names(stmts: &[Stmt], in_block: bool) -> FxHashSet<Atom> {
    let mut names = FxHashSet::default();
    for s in stmts {
        match s {
            Stmt::Decl(Decl::Var(v)) if v.kind != VarDeclKind::Var => names.extend(var_names(v)),
            Stmt::Decl(Decl::Class(c)) => {
                names.insert(c.ident.sym.clone());
            }
            Stmt::Decl(Decl::Fn(f)) if in_block => {
                names.insert(f.ident.sym.clone());
            }
            _ => {}
        }
    }
    names
}

fn var_names(v: &VarDecl) -> FxHashSet<Atom> {
    v.decls
        .iter()
        .flat_map(|d| find_pat_ids::<_, Id>(&d.name))
        .map(|id| id.0)
        .collect()
}

/// The bindings of the `var` statements directly in a function body (`declare_vars` put the
/// Annex B ones there).
fn var_bindings(stmts: &[Stmt]) -> Vec<Ident> {
    stmts
        .iter()
        .filter_map(|s| match s {
            Stmt::Decl(Decl::Var(v)) if v.kind == VarDeclKind::Var => Some(v),
            _ => None,
        })
        .flat_map(|v| {
            v.decls
                .iter()
                .filter_map(|d| d.name.as_ident().map(|b| b.id.clone()))
        })
        .collect()
}

/// How many statements open the body as directives (`"use asm";`).
fn directives(stmts: &[Stmt]) -> usize {
    stmts
        .iter()
        .take_while(|s| matches!(s, Stmt::Expr(e) if matches!(&*e.expr, Expr::Lit(Lit::Str(_)))))
        .count()
}

fn is_strict(stmts: &[Stmt]) -> bool {
    stmts[..directives(stmts)].iter().any(|s| matches!(s, Stmt::Expr(e) if matches!(&*e.expr, Expr::Lit(Lit::Str(s)) if s.raw.as_ref().is_some_and(|r| &r[1..r.len() - 1] == "use strict"))))
}
