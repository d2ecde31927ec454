//! Printing again only what changed: a watch session keeps each top-level statement it printed
//! with its text, and the next build takes the text of every statement it has again (a module
//! that did not change, names that did not move) instead of printing it.

use anyhow::Result;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use swc_core::common::{BytePos, Globals, SourceMap, Spanned, SyntaxContext, sync::Lrc};
use swc_core::ecma::ast::{Module, ModuleItem};
use swc_core::ecma::codegen::Config;
use swc_core::ecma::visit::{VisitMut, VisitMutWith};

use super::{Mappings, PrintedRun, join_runs, print_run};

/// The statements the last build printed, by their span, with their text (and its mappings
/// when the build made a source map).
#[derive(Default)]
pub struct PrintMemo {
    with_map: bool,
    printed: FxHashMap<SpanKey, Vec<Remembered>>,
    /// Of the last build's statements, how many were printed (not taken), and how many in all.
    last: (usize, usize),
}

/// A statement's span, its start and end.
type SpanKey = (BytePos, BytePos);

/// A statement as it was printed, and its text (None once a build took it).
type Remembered = (ModuleItem, Option<PrintedRun>);

impl PrintMemo {
    /// Of the last build's top-level statements, how many were printed, and how many in all.
    pub fn last_printed(&self) -> (usize, usize) {
        self.last
    }

    /// `module` printed as `print_in_parallel` prints it (the same text and mappings), each
    /// statement the memo holds unchanged taken from it; the memo then holds this build's.
    pub(super) fn print(
        &mut self,
        cm: &Lrc<SourceMap>,
        globals: &Globals,
        cfg: Config,
        module: Module,
        mappings: Option<&mut Mappings>,
    ) -> Result<String> {
        let with_map = mappings.is_some();
        let mut earlier = std::mem::take(&mut self.printed);
        if self.with_map != with_map {
            crate::timing::drop_off_the_critical_path(std::mem::take(&mut earlier));
            self.with_map = with_map;
        }
        // Syntax contexts are made anew by every build and printing does not read them: they
        // are cleared, so that a statement compares equal to the same one of the last build.
        // Spans are compared: the printer reads them (line breaks, mappings).
        let items: Vec<ModuleItem> = module
            .body
            .into_par_iter()
            .map(|mut item| {
                item.visit_mut_with(&mut ClearContexts);
                item
            })
            .collect();
        // Statements made by the linker have no span of their own: they are printed each time.
        let found: Vec<Option<usize>> = items
            .par_iter()
            .map(|item| {
                let span = item.span();
                if span.is_dummy() {
                    return None;
                }
                let candidates = earlier.get(&(span.lo, span.hi))?;
                candidates.iter().position(|(old, _)| old == item)
            })
            .collect();
        // The texts taken (a text once: of two statements alike, the second is printed), then
        // the others printed, each on its own to be remembered.
        let taken: Vec<Option<PrintedRun>> = found
            .into_iter()
            .zip(&items)
            .map(|(at, item)| {
                let span = item.span();
                earlier.get_mut(&(span.lo, span.hi))?.get_mut(at?)?.1.take()
            })
            .collect();
        self.last = (taken.iter().filter(|t| t.is_none()).count(), taken.len());
        let printed: Vec<Result<(PrintedRun, ModuleItem)>> = items
            .into_par_iter()
            .zip(taken)
            .map(|(item, taken)| match taken {
                Some(run) => Ok((run, item)),
                None => {
                    let (run, mut body) =
                        print_run(cm, globals, cfg, vec![item], false, None, with_map)?;
                    Ok((run, body.pop().expect("the statement printed")))
                }
            })
            .collect();
        crate::timing::drop_off_the_critical_path(earlier);
        let printed = printed.into_iter().collect::<Result<Vec<_>>>()?;
        let code = join_runs(printed.iter().map(|(run, _)| run), mappings);
        let mut kept: FxHashMap<SpanKey, Vec<Remembered>> = FxHashMap::default();
        for (run, item) in printed {
            let span = item.span();
            if !span.is_dummy() {
                kept.entry((span.lo, span.hi))
                    .or_default()
                    .push((item, Some(run)));
            }
        }
        self.printed = kept;
        Ok(code)
    }
}

/// Every syntax context made empty.
struct ClearContexts;

impl VisitMut for ClearContexts {
    fn visit_mut_syntax_context(&mut self, ctxt: &mut SyntaxContext) {
        *ctxt = SyntaxContext::empty();
    }
}
