//! `--minify`: swc_ecma_minifier on the hygienic bundle. Compression is the expensive part and
//! runs on runs of top-level statements in parallel, with top-level bindings left alone (any
//! run may use them; tree shaking already dropped the unused ones); then one mangle pass over
//! the whole bundle renames everything, top level included.

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use swc_core::common::comments::{Comments, SingleThreadedComments};
use swc_core::common::{BytePos, DUMMY_SP, GLOBALS, Globals, Mark, SourceMap, SyntaxContext, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Ident, Module, ModuleItem, Program, Stmt};
use swc_core::ecma::minifier::option::{CompressOptions, ExtraOptions, MangleOptions, MinifyOptions};
use swc_core::ecma::transforms::base::resolver;
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

/// Runs per thread: enough to even out statements of very different sizes.
const RUNS_PER_THREAD: usize = 4;

/// Compress and mangle. After hygiene every binding has a distinct name, so the contexts can
/// be dropped and the program resolved afresh, as the minifier expects of one module.
pub fn minify(cm: &Lrc<SourceMap>, globals: &Globals, mut program: Program, pure_annotations: &FxHashSet<BytePos>) -> Program {
    let timer = crate::timing::StageTimer::from_env();
    program.visit_mut_with(&mut ClearContexts);
    let (unresolved_mark, top_level_mark) = (Mark::new(), Mark::new());
    let Program::Module(module) = program.apply(resolver(unresolved_mark, top_level_mark, false)) else { unreachable!("the bundle is a module") };
    let extra = ExtraOptions { unresolved_mark, top_level_mark, mangle_name_cache: None };
    // Not `module: true`: the minifier takes that to mean it sees every use of a top-level name.
    let runs = split(module.body, rayon::current_num_threads() * RUNS_PER_THREAD);
    let compress = MinifyOptions { compress: Some(CompressOptions { module: false, top_level: None, ecma: EsVersion::EsNext, ..Default::default() }), mangle: None, ..Default::default() };
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
    let mangle = MinifyOptions { compress: None, mangle: Some(MangleOptions { top_level: Some(true), ..Default::default() }), ..Default::default() };
    let program = Program::Module(Module { span: DUMMY_SP, body, shebang: None });
    // Mangling reads no annotations.
    let program = swc_core::ecma::minifier::optimize(program, cm.clone(), None, None, &mangle, &extra);
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

/// Consecutive runs of statements of about equal size (by statement count), at most `n`.
fn split(items: Vec<ModuleItem>, n: usize) -> Vec<Vec<ModuleItem>> {
    let sizes: Vec<usize> = items.iter().map(statements_in).collect();
    let target = sizes.iter().sum::<usize>().div_ceil(n.max(1)).max(1);
    let mut runs = vec![];
    let mut run = vec![];
    let mut size = 0;
    for (item, s) in items.into_iter().zip(sizes) {
        run.push(item);
        size += s;
        if size >= target {
            runs.push(std::mem::take(&mut run));
            size = 0;
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

fn statements_in(item: &ModuleItem) -> usize {
    struct Count(usize);
    impl Visit for Count {
        fn visit_stmt(&mut self, s: &Stmt) {
            self.0 += 1;
            s.visit_children_with(self);
        }
    }
    let mut c = Count(1);
    item.visit_with(&mut c);
    c.0
}

struct ClearContexts;

impl VisitMut for ClearContexts {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        i.ctxt = SyntaxContext::empty();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swc_core::ecma::ast::EmptyStmt;

    #[test]
    fn runs_keep_the_order_and_every_statement() {
        let items: Vec<ModuleItem> = (0..10).map(|i| ModuleItem::Stmt(Stmt::Empty(EmptyStmt { span: swc_core::common::Span::new(BytePos(i), BytePos(i)) }))).collect();
        let runs = split(items.clone(), 3);
        assert!(runs.len() <= 3 && runs.iter().all(|r| !r.is_empty()));
        assert_eq!(runs.concat(), items);
    }
}
