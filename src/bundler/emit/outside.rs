//! Compressing a run of top-level statements as if it were the whole program, so the
//! minifier may drop, inline and fold the run's own top-level bindings. The bindings the run
//! shares with other runs (its own that they use, theirs that it uses) are handed to code the
//! minifier must keep (`keep_items`), which reads them and writes those that may change;
//! afterwards that code is taken out again (`without_keep`), and the bundle is made again the
//! old way if the minifier lost a shared binding anyway.

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::common::{DUMMY_SP, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

use super::contexts::top_level_bindings;

/// What a run must treat as used where it cannot see: its top-level bindings that other runs
/// use, and the other runs' bindings it uses; `written`, those of them that may change.
#[derive(Default, Clone)]
pub struct Outside {
    read: Vec<Id>,
    written: Vec<Id>,
    /// The run's own bindings among `read`: they must still be declared after compression.
    own: Vec<Id>,
}

/// Per run, the top-level bindings it shares with other runs.
pub fn used_outside(runs: &[Vec<ModuleItem>], top_level: SyntaxContext) -> Vec<Outside> {
    let declared: Vec<_> = runs.par_iter().map(|r| top_level_bindings(r)).collect();
    let uses: Vec<Uses> = runs
        .par_iter()
        .map(|r| {
            let mut uses = Uses {
                top_level,
                ..Default::default()
            };
            r.visit_with(&mut uses);
            uses
        })
        .collect();
    let owner: FxHashMap<&Id, usize> = declared
        .iter()
        .enumerate()
        .flat_map(|(i, d)| d.iter().map(move |id| (id, i)))
        .collect();
    let mut read: Vec<FxHashSet<&Id>> = vec![FxHashSet::default(); runs.len()];
    let mut written: Vec<FxHashSet<&Id>> = vec![FxHashSet::default(); runs.len()];
    for (i, u) in uses.iter().enumerate() {
        for id in &u.read {
            if let Some(&o) = owner.get(id)
                && o != i
            {
                // Another run's binding: to this run, anything may happen to it (else an
                // assignment to it here would look unused), and this run's use is one the
                // other must keep.
                read[o].insert(id);
                read[i].insert(id);
                written[i].insert(id);
                if u.written.contains(id) {
                    written[o].insert(id);
                }
            }
        }
    }
    // A value the minifier would copy into every read (`const n = 1`) is written too, so the
    // binding stays for the other runs.
    for (i, run) in runs.iter().enumerate() {
        let copyable = copyable_values(run);
        let read_copyable: Vec<&Id> = read[i]
            .iter()
            .copied()
            .filter(|id| copyable.contains(*id))
            .collect();
        written[i].extend(read_copyable);
    }
    // In declaration order, so the output does not depend on hashing.
    let in_order = |set: &FxHashSet<&Id>| {
        declared
            .iter()
            .flatten()
            .filter(|id| set.contains(id))
            .cloned()
            .collect()
    };
    (0..runs.len())
        .map(|i| {
            let read: Vec<Id> = in_order(&read[i]);
            let own = read
                .iter()
                .filter(|id| owner.get(id) == Some(&i))
                .cloned()
                .collect();
            Outside {
                read,
                written: in_order(&written[i]),
                own,
            }
        })
        .collect()
}

/// The run's top-level variables declared with no value or a literal one.
fn copyable_values(run: &[ModuleItem]) -> FxHashSet<Id> {
    let mut out = FxHashSet::default();
    for item in run {
        if let ModuleItem::Stmt(Stmt::Decl(Decl::Var(v))) = item {
            for d in &v.decls {
                if let Pat::Ident(b) = &d.name
                    && d.init.as_deref().is_none_or(is_literal)
                {
                    out.insert(b.id.to_id());
                }
            }
        }
    }
    out
}

fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) => true,
        Expr::Tpl(t) => t.exprs.is_empty(),
        Expr::Unary(u) => is_literal(&u.arg),
        Expr::Paren(p) => is_literal(&p.expr),
        _ => false,
    }
}

/// The top-level names a run mentions, and those it assigns (over-approximated: every name in
/// an assignment's target).
#[derive(Default)]
struct Uses {
    top_level: SyntaxContext,
    read: FxHashSet<Id>,
    written: FxHashSet<Id>,
    in_target: bool,
}

impl Uses {
    fn target(&mut self, visit: impl FnOnce(&mut Self)) {
        let outer = std::mem::replace(&mut self.in_target, true);
        visit(self);
        self.in_target = outer;
    }
}

impl Visit for Uses {
    fn visit_ident(&mut self, i: &Ident) {
        if i.ctxt == self.top_level {
            self.read.insert(i.to_id());
            if self.in_target {
                self.written.insert(i.to_id());
            }
        }
    }
    fn visit_assign_target(&mut self, t: &AssignTarget) {
        self.target(|s| t.visit_children_with(s));
    }
    fn visit_update_expr(&mut self, u: &UpdateExpr) {
        self.target(|s| u.visit_children_with(s));
    }
    fn visit_for_head(&mut self, h: &ForHead) {
        match h {
            ForHead::Pat(_) => self.target(|s| h.visit_children_with(s)),
            _ => h.visit_children_with(self),
        }
    }
}

pub const KEEP: &str = "__edgespark_keep";
/// A global no code defines: the minifier can neither drop the arguments of a call to it nor
/// know what the call does.
const USE: &str = "__edgespark_use";

/// `function __edgespark_keep() { [c] = __edgespark_use(a, b, c, a, b, c); } __edgespark_keep();`:
/// to the minifier, the run's bindings that other runs use are read (and written, those that
/// other runs write) by code it must keep. Read twice: the minifier would move a value read
/// once into its one reader. `top_level`, `unresolved`: the contexts of the
/// bundle's top level and of its globals.
pub fn keep_items(
    outside: &Outside,
    top_level: SyntaxContext,
    unresolved: SyntaxContext,
) -> [ModuleItem; 2] {
    let keep = Ident::new(KEEP.into(), DUMMY_SP, top_level);
    let ident = |id: &Id| Ident::new(id.0.clone(), DUMMY_SP, id.1);
    let targets = outside
        .written
        .iter()
        .map(|id| {
            Some(Pat::Ident(BindingIdent {
                id: ident(id),
                type_ann: None,
            }))
        })
        .collect();
    let reads = call(
        &Ident::new(USE.into(), DUMMY_SP, unresolved),
        outside
            .read
            .iter()
            .chain(&outside.read)
            .map(|id| Expr::Ident(ident(id)))
            .collect(),
    );
    let assign = Expr::Assign(AssignExpr {
        span: DUMMY_SP,
        op: AssignOp::Assign,
        left: AssignTarget::Pat(AssignTargetPat::Array(ArrayPat {
            span: DUMMY_SP,
            elems: targets,
            optional: false,
            type_ann: None,
        })),
        right: Box::new(reads),
    });
    let body = FunctionBody {
        span: DUMMY_SP,
        stmts: vec![Stmt::Expr(ExprStmt {
            span: DUMMY_SP,
            expr: Box::new(assign),
        })],
    };
    let function = Function {
        this_param: None,
        params: vec![],
        decorators: vec![],
        span: DUMMY_SP,
        ctxt: Default::default(),
        body: Some(body),
        is_generator: false,
        is_async: false,
        type_params: None,
        return_type: None,
    };
    [
        ModuleItem::Stmt(Stmt::Decl(Decl::Fn(FnDecl {
            ident: keep.clone(),
            declare: false,
            function: Box::new(function),
        }))),
        ModuleItem::Stmt(Stmt::Expr(ExprStmt {
            span: DUMMY_SP,
            expr: Box::new(call(&keep, vec![])),
        })),
    ]
}

fn call(callee: &Ident, args: Vec<Expr>) -> Expr {
    let args = args
        .into_iter()
        .map(|e| ExprOrSpread {
            spread: None,
            expr: Box::new(e),
        })
        .collect();
    Expr::Call(CallExpr {
        span: DUMMY_SP,
        ctxt: Default::default(),
        callee: Callee::Expr(Box::new(Expr::Ident(callee.clone()))),
        args,
        type_args: None,
    })
}

/// The compressed run without `keep_items`; `None` if they are not where they were put, or a
/// binding other runs use is gone (the run is then compressed as part of the bundle).
pub fn without_keep(mut body: Vec<ModuleItem>, outside: &Outside) -> Option<Vec<ModuleItem>> {
    let is_keep_call = |e: &Expr| matches!(e, Expr::Call(CallExpr { callee: Callee::Expr(c), args, .. }) if args.is_empty() && matches!(&**c, Expr::Ident(i) if i.sym == *KEEP));
    body.retain(
        |item| !matches!(item, ModuleItem::Stmt(Stmt::Decl(Decl::Fn(f))) if f.ident.sym == *KEEP),
    );
    let last = body
        .iter()
        .rposition(|item| matches!(item, ModuleItem::Stmt(Stmt::Expr(_))))?;
    let ModuleItem::Stmt(Stmt::Expr(ExprStmt { expr, .. })) = &mut body[last] else {
        unreachable!()
    };
    match &mut **expr {
        e if is_keep_call(e) => drop(body.remove(last)),
        Expr::Seq(seq) if seq.exprs.last().is_some_and(|e| is_keep_call(e)) => {
            drop(seq.exprs.pop())
        }
        _ => return None,
    }
    struct Mentions(bool);
    impl Visit for Mentions {
        fn visit_ident(&mut self, i: &Ident) {
            self.0 |= i.sym == *KEEP || i.sym == *USE;
        }
    }
    let mut mentions = Mentions(false);
    body.visit_with(&mut mentions);
    let declared = top_level_bindings(&body);
    (!mentions.0 && outside.own.iter().all(|id| declared.contains(id))).then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use swc_core::common::{FileName, GLOBALS, Globals, Mark, SourceMap, sync::Lrc};
    use swc_core::ecma::codegen::to_code_default;
    use swc_core::ecma::minifier::option::{
        CompressOptions, ExtraOptions, MinifyOptions, TopLevelOptions,
    };
    use swc_core::ecma::parser::{EsSyntax, Syntax, parse_file_as_module};
    use swc_core::ecma::transforms::base::resolver;

    /// The runs (each a source of statements of one program) compressed alone, as `minify`
    /// does; `None` where a run lost a shared binding.
    fn compressed_alone(runs: &[&str]) -> Vec<Option<String>> {
        GLOBALS.set(&Globals::new(), || {
            let cm: Lrc<SourceMap> = Default::default();
            let (unresolved, top_level) = (Mark::new(), Mark::new());
            let es = Syntax::Es(EsSyntax::default());
            let m = crate::bundler::js::parse_snippet(&cm, FileName::Anon, runs.join("\n"), es)
                .unwrap();
            let mut body = Program::Module(m)
                .apply(resolver(unresolved, top_level, false))
                .expect_module()
                .body
                .into_iter();
            let split: Vec<Vec<ModuleItem>> = runs
                .iter()
                .map(|src| {
                    let n = parse_file_as_module(
                        &cm.new_source_file(Lrc::new(FileName::Anon), src.to_string()),
                        Syntax::Es(EsSyntax::default()),
                        EsVersion::EsNext,
                        None,
                        &mut vec![],
                    )
                    .unwrap()
                    .body
                    .len();
                    body.by_ref().take(n).collect()
                })
                .collect();
            let ctxt = |mark| SyntaxContext::empty().apply_mark(mark);
            let outside = used_outside(&split, ctxt(top_level));
            let co = CompressOptions {
                top_level: Some(TopLevelOptions { functions: true }),
                top_retain: vec![KEEP.into()],
                inline: 0,
                ..Default::default()
            };
            let options = MinifyOptions {
                compress: Some(co),
                ..Default::default()
            };
            let extra = ExtraOptions {
                unresolved_mark: unresolved,
                top_level_mark: top_level,
                mangle_name_cache: None,
            };
            split
                .into_iter()
                .zip(&outside)
                .map(|(mut run, outside)| {
                    run.extend(keep_items(outside, ctxt(top_level), ctxt(unresolved)));
                    let program = Program::Module(Module {
                        span: DUMMY_SP,
                        body: run,
                        shebang: None,
                    });
                    let out = swc_core::ecma::minifier::optimize(
                        program,
                        cm.clone(),
                        None,
                        None,
                        &options,
                        &extra,
                    )
                    .expect_module()
                    .body;
                    without_keep(out, outside).map(|body| {
                        to_code_default(
                            cm.clone(),
                            None,
                            &Module {
                                span: DUMMY_SP,
                                body,
                                shebang: None,
                            },
                        )
                    })
                })
                .collect()
        })
    }

    #[test]
    fn a_run_drops_its_own_unused_bindings_and_keeps_those_other_runs_use() {
        let runs = compressed_alone(&[
            "let n = 1; var Box; const unused = { a: 1 }; const once = [1, 2]; function f() { return n + once[0]; }",
            "Box = class Box {}; n = 2;",
            "console.log(f(), Box, n);",
        ]);
        let first = runs[0].as_deref().expect("nothing lost");
        assert!(!first.contains("unused"), "{first}");
        assert!(
            first.contains("function f()") && first.contains("n = 1") && first.contains("Box"),
            "{first}"
        );
        // Written in another run: its value is not folded into `f`.
        assert!(first.contains("return n +"), "{first}");
        let second = runs[1].as_deref().expect("nothing lost");
        assert!(
            second.contains("Box = class"),
            "an assignment other runs read is kept: {second}"
        );
        assert!(!second.contains(KEEP) && !second.contains(USE), "{second}");
    }

    #[test]
    fn a_run_that_lost_a_shared_binding_is_told_apart() {
        GLOBALS.set(&Globals::new(), || {
            let id: Id = (
                "shared".into(),
                SyntaxContext::empty().apply_mark(Mark::new()),
            );
            let outside = Outside {
                read: vec![id.clone()],
                written: vec![],
                own: vec![id],
            };
            let keep = keep_items(&outside, SyntaxContext::empty(), SyntaxContext::empty());
            assert!(
                without_keep(keep.to_vec(), &outside).is_none(),
                "`shared` is not declared"
            );
        });
    }
}
