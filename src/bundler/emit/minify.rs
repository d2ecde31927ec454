//! `--minify`: swc_ecma_minifier's compression, then our own renaming (mangle.rs,
//! private_names.rs). Compression is the expensive part and runs on runs of top-level
//! statements in parallel, with top-level bindings left alone (any run may use them; tree
//! shaking already dropped the unused ones).

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use swc_core::atoms::Atom;
use swc_core::common::comments::{Comments, SingleThreadedComments};
use swc_core::common::{
    BytePos, DUMMY_SP, GLOBALS, Globals, Mark, SourceMap, SyntaxContext, sync::Lrc,
};
use swc_core::ecma::ast::*;
use swc_core::ecma::minifier::option::{
    CompressOptions, ExtraOptions, MangleOptions, MinifyOptions, TopLevelOptions,
};

use super::contexts::{Contexts, one_top_level, resolved_afresh};
use super::outside::{KEEP, Outside, keep_items, used_outside, without_keep};

/// How the bundle is cut into runs to compress: by its size alone, the same on every machine,
/// as where a run ends shows in the output. swc's compressor takes more than linear time in
/// the size of what it is given: runs of about this many statements (counted through nested
/// ones) compressed the heavy app at 2000 routes in 130-155 ms where 8 runs took 290-305 ms,
/// and three.js x10 in 300 ms where 8 runs took 430-630 ms, for 0.1% more gzip. Much smaller
/// runs cost more again: each carries the top-level names other runs use (outside.rs).
const STATEMENTS_PER_RUN: usize = 1500;
/// At least this many runs, four per thread on two cores, to even out statements of very
/// different sizes.
const MIN_RUNS: usize = 8;

/// A pass over part of the bundle dropped, moved or renamed a top-level binding that other
/// statements use (the minifier, see outside.rs; or the renamer, see rename.rs): the bundle
/// must be made again with `runs_alone` off.
#[derive(Debug)]
pub struct LostBinding;

impl std::fmt::Display for LostBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(
            "a pass over part of the bundle lost a top-level binding that other statements use",
        )
    }
}

impl std::error::Error for LostBinding {}

/// Compress and mangle the linked bundle (each module's names still in their own contexts,
/// `unresolved`: the globals'). The minifier expects the contexts the resolver gives one
/// module; `one_top_level` makes them out of the modules' own in one parallel pass.
/// `runs_alone`: compress each run of statements as the whole program it nearly is, so the
/// minifier may drop, inline and fold its own top-level bindings (outside.rs); otherwise
/// it leaves every top-level binding alone.
pub fn minify(
    cm: &Lrc<SourceMap>,
    globals: &Globals,
    program: Program,
    unresolved: Mark,
    pure_annotations: &FxHashSet<BytePos>,
    runs_alone: bool,
) -> Result<Program, LostBinding> {
    let timer = crate::timing::StageTimer::from_env();
    let Program::Module(mut module) = program else {
        unreachable!("the bundle is a module")
    };
    let top_level_mark = Mark::new();
    let unresolved_mark = match one_top_level(
        globals,
        &mut module.body,
        top_level_mark,
        &Default::default(),
    )
    .contexts
    {
        Contexts::AsResolved => {
            timer.done("  top level");
            unresolved
        }
        Contexts::Unmarked => {
            let unresolved_mark = Mark::new();
            module = resolved_afresh(globals, module, unresolved, unresolved_mark, top_level_mark);
            timer.done("  resolved afresh");
            unresolved_mark
        }
    };
    let extra = ExtraOptions {
        unresolved_mark,
        top_level_mark,
        mangle_name_cache: None,
    };
    // Not `module: true`: the minifier takes that to mean it sees every use of a top-level
    // name, which a run's code does not.
    let runs = super::split_runs(module.body, |statements| {
        statements.div_ceil(STATEMENTS_PER_RUN).max(MIN_RUNS)
    });
    // No function inlining: swc copies a small top-level function into each call site of its
    // run (drizzle's `sqliteTable` into every table), which costs more than it saves. One
    // pass: by default swc repeats until a pass changes nothing; a second pass took 15% of
    // the build's CPU time for 0.2-0.3% of gzip size on the bench apps.
    // Nor the passes that follow values through their uses (dropping unused bindings and
    // dead code to a fixed point, collapsing and inlining variables, hoisting properties,
    // evaluating): on three.js x10 they took 45% of compression's time for 0.4% of its size
    // (still 0.5% smaller than esbuild's; tree shaking already dropped unused top-level code).
    let options = |alone: bool| {
        let top_level = alone.then_some(TopLevelOptions { functions: true });
        let top_retain = if alone {
            vec![Atom::from(KEEP)]
        } else {
            vec![]
        };
        let co = CompressOptions {
            module: false,
            top_level,
            top_retain,
            ecma: EsVersion::EsNext,
            inline: 0,
            passes: 1,
            unused: false,
            dead_code: false,
            collapse_vars: false,
            reduce_vars: false,
            reduce_fns: false,
            hoist_props: false,
            evaluate: false,
            ..Default::default()
        };
        MinifyOptions {
            compress: Some(co),
            mangle: None,
            ..Default::default()
        }
    };
    let compress = options(runs_alone);
    let top_level = SyntaxContext::empty().apply_mark(top_level_mark);
    let unresolved_ctxt = SyntaxContext::empty().apply_mark(unresolved_mark);
    let outside = if runs_alone {
        used_outside(&runs, top_level)
    } else {
        vec![Outside::default(); runs.len()]
    };
    let compressed: Vec<Option<Vec<ModuleItem>>> = runs
        .into_par_iter()
        .zip(outside)
        // One task per run, so an idle thread takes the next run (runs of equal statement
        // counts take from 4 to 8 ms).
        .with_max_len(1)
        .map(|(mut run, outside)| {
            // swc's compressor takes time growing as a power of the nesting depth (a chain of
            // 3,000 `?:` took 35 s); a run nested that deeply is left as it is.
            if nesting_exceeds(&run, MAX_COMPRESS_NESTING) {
                return Some(run);
            }
            if runs_alone {
                run.extend(keep_items(&outside, top_level, unresolved_ctxt));
            }
            let out = GLOBALS.set(globals, || {
                let comments = pure_comments(pure_annotations);
                let run = Program::Module(Module {
                    span: DUMMY_SP,
                    body: run,
                    shebang: None,
                });
                swc_core::ecma::minifier::optimize(
                    run,
                    cm.clone(),
                    Some(&comments as &dyn Comments),
                    None,
                    &compress,
                    &extra,
                )
                .expect_module()
                .body
            });
            if runs_alone {
                without_keep(out, &outside)
            } else {
                Some(out)
            }
        })
        .collect();
    let Some(body) = compressed.into_iter().collect::<Option<Vec<_>>>() else {
        return Err(LostBinding);
    };
    let body: Vec<ModuleItem> = body.into_iter().flatten().collect();
    timer.done("  compress");
    let mut program = Program::Module(Module {
        span: DUMMY_SP,
        body,
        shebang: None,
    });
    super::private_names::mangle_private_names(&mut program);
    if super::mangle::mangle_by_frequency(&mut program, unresolved_mark, globals).is_none() {
        // Mangling reads no annotations.
        let mangle = MinifyOptions {
            compress: None,
            mangle: Some(MangleOptions {
                top_level: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        program =
            swc_core::ecma::minifier::optimize(program, cm.clone(), None, None, &mangle, &extra);
    }
    timer.done("  mangle");
    Ok(program)
}

/// Deeper than this (expressions and statements inside one another), a run is not compressed.
const MAX_COMPRESS_NESTING: usize = 1000;

/// Whether expressions and statements in `items` nest more than `limit` deep.
fn nesting_exceeds(items: &[ModuleItem], limit: usize) -> bool {
    use swc_core::ecma::visit::{Visit, VisitWith};
    struct Depth {
        now: usize,
        limit: usize,
        exceeded: bool,
    }
    impl Depth {
        fn enter<N: VisitWith<Self>>(&mut self, node: &N) {
            if self.exceeded {
                return;
            }
            self.now += 1;
            if self.now > self.limit {
                self.exceeded = true;
            } else {
                node.visit_children_with(self);
            }
            self.now -= 1;
        }
    }
    impl Visit for Depth {
        fn visit_expr(&mut self, e: &Expr) {
            self.enter(e);
        }
        fn visit_stmt(&mut self, s: &Stmt) {
            self.enter(s);
        }
    }
    let mut d = Depth {
        now: 0,
        limit,
        exceeded: false,
    };
    items.visit_with(&mut d);
    d.exceeded
}

/// The `/* @__PURE__ */` annotations, as comments the minifier reads.
fn pure_comments(positions: &FxHashSet<BytePos>) -> SingleThreadedComments {
    let comments = SingleThreadedComments::default();
    for &pos in positions {
        comments.add_pure_comment(pos);
    }
    comments
}
