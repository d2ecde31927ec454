//! `--minify`: swc_ecma_minifier's compression, then our own renaming (mangle.rs,
//! private_names.rs). Compression is the expensive part and runs on runs of top-level
//! statements in parallel, with top-level bindings left alone (any run may use them; tree
//! shaking already dropped the unused ones).

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use swc_core::common::comments::{Comments, SingleThreadedComments};
use swc_core::common::{BytePos, DUMMY_SP, GLOBALS, Globals, Mark, SourceMap, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Module, ModuleItem, Program};
use swc_core::ecma::minifier::option::{CompressOptions, ExtraOptions, MangleOptions, MinifyOptions};

use super::contexts::{Contexts, one_top_level, resolved_afresh};

/// Runs per thread: enough to even out statements of very different sizes.
const RUNS_PER_THREAD: usize = 4;

/// Compress and mangle the linked bundle (each module's names still in their own contexts,
/// `unresolved`: the globals'). The minifier expects the contexts the resolver gives one
/// module; `one_top_level` makes them out of the modules' own in one parallel pass.
pub fn minify(cm: &Lrc<SourceMap>, globals: &Globals, program: Program, unresolved: Mark, pure_annotations: &FxHashSet<BytePos>) -> Program {
    let timer = crate::timing::StageTimer::from_env();
    let Program::Module(mut module) = program else { unreachable!("the bundle is a module") };
    let top_level_mark = Mark::new();
    let unresolved_mark = match one_top_level(globals, &mut module.body, top_level_mark) {
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
