//! `--minify`: swc_ecma_minifier's compression, then our own renaming (mangle.rs,
//! private_names.rs). Compression is the expensive part and runs on runs of top-level
//! statements in parallel, with top-level bindings left alone (any run may use them; tree
//! shaking already dropped the unused ones).

use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::comments::{Comments, SingleThreadedComments};
use swc_core::common::{BytePos, DUMMY_SP, GLOBALS, Globals, Mark, SourceMap, SyntaxContext, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Id, Ident, Module, ModuleItem, Program};
use swc_core::ecma::minifier::option::{CompressOptions, ExtraOptions, MangleOptions, MinifyOptions};
use swc_core::ecma::transforms::base::{rename::rename, resolver};
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

type FxIndexSet<T> = indexmap::IndexSet<T, FxBuildHasher>;

/// Runs per thread: enough to even out statements of very different sizes.
const RUNS_PER_THREAD: usize = 4;

/// Compress and mangle the linked bundle (each module's names still in their own contexts,
/// `unresolved`: the globals'). Once every binding has a name of its own the contexts can be
/// dropped and the program resolved afresh, as the minifier expects of one module; renaming
/// only the clashing names for that is much cheaper than hygiene's scope analysis, and the
/// names are all mangled at the end anyway.
pub fn minify(cm: &Lrc<SourceMap>, globals: &Globals, program: Program, unresolved: Mark, pure_annotations: &FxHashSet<BytePos>) -> Program {
    let timer = crate::timing::StageTimer::from_env();
    let Program::Module(mut module) = program else { unreachable!("the bundle is a module") };
    let renames = clashing_names(globals, &module.body, unresolved);
    module.body.par_iter_mut().for_each(|item| {
        GLOBALS.set(globals, || {
            item.visit_mut_with(&mut rename(&renames));
            item.visit_mut_with(&mut ClearContexts);
        })
    });
    timer.done("  unique names");
    let (unresolved_mark, top_level_mark) = (Mark::new(), Mark::new());
    let Program::Module(module) = Program::Module(module).apply(resolver(unresolved_mark, top_level_mark, false)) else { unreachable!("the bundle is a module") };
    timer.done("  resolver");
    let extra = ExtraOptions { unresolved_mark, top_level_mark, mangle_name_cache: None };
    // Not `module: true`: the minifier takes that to mean it sees every use of a top-level name.
    let runs = super::split_runs(module.body, rayon::current_num_threads() * RUNS_PER_THREAD);
    // No function inlining: swc copies a small top-level function into each call site of its
    // run (drizzle's `sqliteTable` into every table), which costs more than it saves. Two
    // passes: by default swc repeats until a pass changes nothing, and on the bench apps the
    // third pass never did (same bytes, 5-8% less time).
    let co = CompressOptions { module: false, top_level: None, ecma: EsVersion::EsNext, inline: 0, passes: 2, ..Default::default() };
    let compress = MinifyOptions { compress: Some(co), mangle: None, ..Default::default() };
    let body: Vec<ModuleItem> = runs
        .into_par_iter()
        .map(|run| {
            GLOBALS.set(globals, || {
                let comments = pure_comments(pure_annotations);
                let run = Program::Module(Module { span: DUMMY_SP, body: run, shebang: None });
                let out = swc_core::ecma::minifier::optimize(run, cm.clone(), Some(&comments as &dyn Comments), None, &compress, &extra);
                out.expect_module().body
            })
        })
        .flatten()
        .collect();
    timer.done("  compress");
    let mut program = Program::Module(Module { span: DUMMY_SP, body, shebang: None });
    super::private_names::mangle_private_names(&mut program);
    if super::mangle::mangle_by_frequency(&mut program, unresolved_mark, globals).is_none() {
        // Mangling reads no annotations.
        let mangle = MinifyOptions { compress: None, mangle: Some(MangleOptions { top_level: Some(true), ..Default::default() }), ..Default::default() };
        program = swc_core::ecma::minifier::optimize(program, cm.clone(), None, None, &mangle, &extra);
    }
    timer.done("  mangle");
    program
}

/// The `/* @__PURE__ */` annotations, as comments the minifier reads.
fn pure_comments(positions: &FxHashSet<BytePos>) -> SingleThreadedComments {
    let comments = SingleThreadedComments::default();
    for &pos in positions {
        comments.add_pure_comment(pos);
    }
    comments
}

/// New names for the bindings whose name another binding or a global also has: the first
/// binding of a name keeps it unless a global has it, the others get `name$N`.
fn clashing_names(globals: &Globals, items: &[ModuleItem], unresolved: Mark) -> FxHashMap<Id, Atom> {
    struct Names {
        unresolved: Mark,
        /// Each binding, once, in the order met.
        bindings: FxIndexSet<Id>,
        /// The names not to give: globals' and the unmarked ones (labels, export names).
        kept: FxHashSet<Atom>,
    }
    impl Visit for Names {
        fn visit_ident(&mut self, i: &Ident) {
            if i.ctxt == SyntaxContext::empty() || i.ctxt.outer() == self.unresolved {
                self.kept.insert(i.sym.clone());
            } else {
                self.bindings.insert(i.to_id());
            }
        }
    }
    // Met per item on all threads, then merged in item order: the order one walk would meet them.
    let per_item: Vec<Names> = items
        .par_iter()
        .map(|item| {
            let mut names = Names { unresolved, bindings: FxIndexSet::default(), kept: FxHashSet::default() };
            GLOBALS.set(globals, || item.visit_with(&mut names));
            names
        })
        .collect();
    let mut names = Names { unresolved, bindings: FxIndexSet::default(), kept: FxHashSet::default() };
    for n in per_item {
        names.bindings.extend(n.bindings);
        names.kept.extend(n.kept);
    }
    let mut taken: FxHashSet<Atom> = names.kept.clone();
    taken.extend(names.bindings.iter().map(|id| id.0.clone()));
    let mut claimed = FxHashSet::default();
    let mut next_suffix = FxHashMap::default();
    let mut renames = FxHashMap::default();
    for id in names.bindings {
        if !names.kept.contains(&id.0) && claimed.insert(id.0.clone()) {
            continue;
        }
        let n = next_suffix.entry(id.0.clone()).or_insert(1u32);
        let fresh = loop {
            let candidate = Atom::from(format!("{}${n}", id.0));
            *n += 1;
            if taken.insert(candidate.clone()) {
                break candidate;
            }
        };
        renames.insert(id, fresh);
    }
    renames
}

struct ClearContexts;

impl VisitMut for ClearContexts {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        i.ctxt = SyntaxContext::empty();
    }
}
