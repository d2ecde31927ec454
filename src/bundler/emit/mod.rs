//! The emit stage: the linked module → JavaScript text. Collisions between the modules' names
//! (each module's top level has its own syntax context) are settled here: top-level names in
//! one pass and each statement's inner scopes on their own (`rename`), or by SWC's hygiene
//! pass over the whole bundle when that cannot be done;
//! with `minify`, our syntax rules shorten it and our renamer mangles it; parentheses
//! are fixed and the code printed, with a source map when asked for.

mod compress;
mod contexts;
mod mangle;
mod minify;
mod private_names;
mod rename;
mod reprint;
mod sourcemap;
mod sourcemap_json;
mod writer;

use std::path::{Path, PathBuf};

use rustc_hash::FxHashSet;
use swc_core::atoms::Atom;

use anyhow::{Context, Result};
use rayon::prelude::*;
use swc_core::common::util::take::Take;
use swc_core::common::{
    BytePos, DUMMY_SP, GLOBALS, Globals, LineCol, Mark, SourceMap, Spanned, SyntaxContext,
    sync::Lrc,
};
use swc_core::ecma::ast::{EsVersion, Module, ModuleItem, Program, Stmt};
use swc_core::ecma::codegen::{
    Config, Emitter,
    text_writer::{WriteJs, omit_trailing_semi},
};
use swc_core::ecma::transforms::base::{fixer::fixer, hygiene::hygiene};
use swc_core::ecma::visit::{Visit, VisitMutWith, VisitWith};

use mangle::Renames;

pub(crate) use contexts::top_level_bindings;
pub use rename::LostBinding;
pub use reprint::PrintMemo;
pub use sourcemap::SourceMapKind;

#[derive(Debug, Clone, Copy)]
pub struct EmitOptions {
    pub minify: bool,
    pub sourcemap: Option<SourceMapKind>,
    /// Each top-level statement has its names settled (`rename`) on its own; off only to
    /// make a bundle again after `LostBinding`.
    pub runs_alone: bool,
}

impl Default for EmitOptions {
    /// Unminified, no source map, each run of statements on its own.
    fn default() -> EmitOptions {
        EmitOptions {
            minify: false,
            sourcemap: None,
            runs_alone: true,
        }
    }
}

/// A printed bundle: its code, its source map when it goes to a file of its own, and the files
/// the `file` and `copy` loaders put beside it (name, bytes).
pub struct Emitted {
    pub code: String,
    pub map: Option<String>,
    pub assets: Vec<(String, Vec<u8>)>,
    /// Where each module's statements are in `code`, when asked for (`Output::modules`) and
    /// the statements of each module are together.
    pub sections: Vec<Section>,
}

/// The stretch of a bundle's text that holds one module's statements, and nothing else.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Section {
    pub module: PathBuf,
    pub start: usize,
    pub end: usize,
    /// The module's top-level bindings, by name, that the bundle's other statements mention
    /// (`link::Linked::inbound`; the bundler fills it in).
    pub inbound: Vec<String>,
}

/// Each module's section, given each statement's module (None: the linker's) and where the
/// text of each statement ends; a module whose statements are not all together has none.
fn sections_of(modules: &[Option<&Path>], ends: &[usize]) -> Vec<Section> {
    let mut sections: Vec<Section> = vec![];
    let mut seen: FxHashSet<&Path> = FxHashSet::default();
    let mut split: FxHashSet<&Path> = FxHashSet::default();
    let mut start = 0;
    for (module, &end) in modules.iter().zip(ends) {
        match (module, sections.last_mut()) {
            (Some(m), Some(last)) if last.module == *m && last.end == start => last.end = end,
            (Some(m), _) => {
                if !seen.insert(m) {
                    split.insert(m);
                }
                sections.push(Section {
                    module: m.to_path_buf(),
                    start,
                    end,
                    inbound: vec![],
                });
            }
            (None, _) => {}
        }
        start = end;
    }
    sections.retain(|s| !split.contains(s.module.as_path()));
    sections
}

/// Print `program`; minified, with no `;` before a `}`.
fn emit_with<W: WriteJs>(
    cm: &Lrc<SourceMap>,
    cfg: Config,
    wr: W,
    program: &Program,
    minify: bool,
) -> Result<()> {
    if minify {
        Emitter {
            cfg,
            cm: cm.clone(),
            comments: None,
            wr: omit_trailing_semi(wr),
        }
        .emit_program(program)
    } else {
        Emitter {
            cfg,
            cm: cm.clone(),
            comments: None,
            wr,
        }
        .emit_program(program)
    }
    .context("printing the bundle")
}

/// Where the printer put each source position: (source, line and UTF-16 column in the output).
type Mappings = Vec<(BytePos, LineCol)>;

/// One run printed: its text and mappings, and (for moving the next run's mappings) how many
/// line breaks it holds and the UTF-16 length of its text after the last one.
struct PrintedRun {
    text: String,
    /// With `ends` asked for: where each statement's text ends in `text`.
    ends: Vec<usize>,
    mappings: Mappings,
    line_breaks: u32,
    tail: u32,
}

/// How the names of a bundle's statements are settled as they are printed.
enum Naming<'a> {
    /// They are final.
    AsIs,
    /// The minifier's new names.
    Mangled(&'a Renames),
    /// Each statement renamed on its own (`rename::statement`), given its names.
    Settled(Vec<rename::Names>, rename::Settled),
}

/// How the names of one run of statements are settled as they are printed.
enum RunNaming<'a> {
    AsIs,
    /// The minifier's, with the index of the run's first item (the renames are per item).
    Mangled(usize, &'a Renames),
    /// Each statement's names, in order, and what is settled for all of them.
    Settled(std::vec::IntoIter<rename::Names>, &'a rename::Settled),
}

/// Parenthesize and print runs of top-level statements on all threads, joined in order. Each
/// run ends with its statement's `;` (the module's last one included, as a whole print does),
/// so the joined text is what printing the whole module gives. With `mappings`, each run's
/// mappings are moved to where its text lands in the whole.
#[allow(clippy::too_many_arguments)]
fn print_in_parallel(
    cm: &Lrc<SourceMap>,
    globals: &Globals,
    cfg: Config,
    program: Program,
    minify: bool,
    naming: Naming<'_>,
    mappings: Option<&mut Mappings>,
    ends: Option<&mut Vec<usize>>,
) -> Result<String> {
    let Program::Module(module) = program else {
        unreachable!("the bundle is a module")
    };
    let with_map = mappings.is_some();
    let with_ends = ends.is_some();
    // Many short runs rather than a few long ones: the threads finish together, and each run's
    // text grows (and is copied as it grows) less (heavy 2000: print 49-54 -> 40-44 ms with
    // sixteen a thread against four; three.js x10 unchanged).
    let runs = split_runs(module.body, |_| rayon::current_num_threads() * 16);
    let (mut names, settled, mangled) = match naming {
        Naming::AsIs => (Vec::new().into_iter(), None, None),
        Naming::Mangled(renames) => (Vec::new().into_iter(), None, Some(renames)),
        Naming::Settled(names, s) => (names.into_iter(), Some(s), None),
    };
    // Each run with how its names are settled.
    let runs: Vec<(RunNaming, Vec<ModuleItem>)> = (runs.into_iter())
        .scan(0, |next, run| {
            let first = *next;
            *next += run.len();
            let naming = match (&settled, mangled) {
                (Some(s), _) => {
                    let names: Vec<rename::Names> = names.by_ref().take(run.len()).collect();
                    RunNaming::Settled(names.into_iter(), s)
                }
                (None, Some(renames)) => RunNaming::Mangled(first, renames),
                (None, None) => RunNaming::AsIs,
            };
            Some((naming, run))
        })
        .collect();
    let printed: Vec<Result<PrintedRun>> = runs
        .into_par_iter()
        .map(|(naming, body)| {
            let (run, body) =
                print_run(cm, globals, cfg, body, minify, naming, with_map, with_ends)?;
            // Freeing a run's syntax tree costs about as much as a third of printing it.
            crate::timing::drop_off_the_critical_path(body);
            Ok(run)
        })
        .collect();
    let printed = printed.into_iter().collect::<Result<Vec<_>>>()?;
    if let Some(ends) = ends {
        let mut start = 0;
        for run in &printed {
            ends.extend(run.ends.iter().map(|e| start + e));
            start += run.text.len();
        }
    }
    Ok(join_runs(printed.iter(), mappings))
}

/// A run of top-level statements with their names settled (`naming`), parenthesized and
/// printed; the statements are handed back as the printer saw them. Fails with `LostBinding`
/// where a statement renamed on its own lost a top-level binding. With `with_ends`, each
/// statement is printed after the one before (the same text: the watch memo joins statements
/// printed alone) and where its text ends is noted.
#[allow(clippy::too_many_arguments)]
fn print_run(
    cm: &Lrc<SourceMap>,
    globals: &Globals,
    cfg: Config,
    mut body: Vec<ModuleItem>,
    minify: bool,
    mut naming: RunNaming<'_>,
    with_map: bool,
    with_ends: bool,
) -> Result<(PrintedRun, Vec<ModuleItem>)> {
    GLOBALS.set(globals, || -> Result<()> {
        // Item by item, so that each is walked (renamed, parenthesized, printed) while in the
        // core's cache; each as a module of its own, as the fixer treats a module's code as
        // strict.
        for (i, item) in body.iter_mut().enumerate() {
            match &mut naming {
                RunNaming::AsIs => {}
                RunNaming::Mangled(first, renames) => {
                    mangle::apply_renames(item, *first + i, renames)
                }
                RunNaming::Settled(names, s) => {
                    let names = names.next().expect("a statement's names");
                    *item = rename::statement(globals, item.take(), names, s).ok_or(LostBinding)?;
                }
            }
            let mut alone = Module {
                span: DUMMY_SP,
                body: vec![item.take()],
                shebang: None,
            };
            alone.visit_mut_with(&mut fixer(None));
            *item = alone.body.pop().expect("the item put in");
        }
        Ok(())
    })?;
    let mut text = String::new();
    let mut map = vec![];
    let mut ends = vec![];
    let module = |body| {
        Program::Module(Module {
            span: DUMMY_SP,
            body,
            shebang: None,
        })
    };
    let body = if with_ends {
        let mut printed = Vec::with_capacity(body.len());
        for item in body {
            let one = module(vec![item]);
            emit_with(cm, cfg, writer::Writer::new(&mut text, None), &one, minify)?;
            ends.push(text.len());
            printed.extend(one.expect_module().body);
        }
        printed
    } else {
        let program = module(body);
        let wr = writer::Writer::new(&mut text, with_map.then_some(&mut map));
        emit_with(cm, cfg, wr, &program, minify)?;
        program.expect_module().body
    };
    let (line_breaks, tail) = match (with_map, text.rfind('\n')) {
        (false, _) => (0, 0),
        (true, None) => (0, text.encode_utf16().count() as u32),
        (true, Some(end)) => (
            text.matches('\n').count() as u32,
            text[end + 1..].encode_utf16().count() as u32,
        ),
    };
    let run = PrintedRun {
        text,
        ends,
        mappings: map,
        line_breaks,
        tail,
    };
    Ok((run, body))
}

/// The runs' texts joined in order; with `mappings`, each run's mappings moved to where its
/// text lands in the whole.
fn join_runs<'a>(
    runs: impl Iterator<Item = &'a PrintedRun> + Clone,
    mut mappings: Option<&mut Mappings>,
) -> String {
    let mut out = String::with_capacity(runs.clone().map(|r| r.text.len()).sum());
    // The joined text's line count, and its last line's length in UTF-16 units.
    let (mut lines, mut last_line) = (0u32, 0u32);
    for run in runs {
        if let Some(all) = mappings.as_deref_mut() {
            all.extend(run.mappings.iter().map(|&(pos, at)| {
                let col = if at.line == 0 {
                    at.col + last_line
                } else {
                    at.col
                };
                let line = at.line + lines;
                (pos, LineCol { line, col })
            }));
            last_line = if run.line_breaks == 0 {
                last_line + run.tail
            } else {
                run.tail
            };
            lines += run.line_breaks;
        }
        out.push_str(&run.text);
    }
    out
}

/// Where a bundle goes: its file, and in a watch session what the last build printed there.
pub struct Output<'a> {
    pub file: &'a Path,
    pub memo: Option<&'a mut PrintMemo>,
    /// The module of each statement (see `link::Linked`): given, the sections of an
    /// unminified bundle without a source map, its statements named each on its own, are
    /// noted (`Emitted::sections`).
    pub modules: Option<&'a [Option<&'a Path>]>,
}

/// Print the bundle that will be written to `to.file` (the source map names the sources
/// relative to it). `eval_scopes`: the top-level contexts of the modules that call `eval`
/// directly (their names are kept, see `contexts::keep_names_seen_by_eval`).
pub fn print(
    cm: &Lrc<SourceMap>,
    globals: &Globals,
    unresolved: Mark,
    mut module: Module,
    eval_scopes: &[SyntaxContext],
    o: EmitOptions,
    to: Output<'_>,
) -> Result<Emitted> {
    let timer = crate::timing::StageTimer::from_env();
    contexts::keep_names_seen_by_eval(globals, &mut module.body, eval_scopes);
    let cfg = Config::default()
        .with_target(EsVersion::EsNext)
        .with_minify(o.minify);
    let mut mappings = vec![];
    let wanted = o.sourcemap.is_some().then_some(&mut mappings);
    let mut ends = vec![];
    let modules = to
        .modules
        .filter(|_| !o.minify && o.sourcemap.is_none() && o.runs_alone && to.memo.is_none());
    let code = match to.memo {
        // A watch session's unminified bundle: what did not change is taken from the last
        // build's (minified, the runs are compressed together: nothing is kept).
        Some(memo) if !o.minify && o.runs_alone => {
            memo.renamed_and_printed(cm, globals, cfg, module, wanted)?
        }
        memo => {
            if let Some(memo) = memo {
                memo.forget();
            }
            let (program, renames, settled) = GLOBALS.set(globals, || -> Result<_> {
                // The minifier settles collisions itself, and reports its own stages.
                if o.minify {
                    let (program, renames) =
                        minify::minify(cm, globals, Program::Module(module), unresolved);
                    Ok((program, renames, None))
                } else if o.runs_alone {
                    let settled = rename::settle(globals, &module.body)?;
                    timer.done("  rename");
                    Ok((Program::Module(module), None, Some(settled)))
                } else {
                    let program = Program::Module(module).apply(hygiene());
                    timer.done("  hygiene");
                    Ok((program, None, None))
                }
            })?;
            let naming = match (&renames, settled) {
                (_, Some((names, settled))) => Naming::Settled(names, settled),
                (Some(renames), None) => Naming::Mangled(renames),
                (None, None) => Naming::AsIs,
            };
            let ends = modules.is_some().then_some(&mut ends);
            print_in_parallel(cm, globals, cfg, program, o.minify, naming, wanted, ends)?
        }
    };
    timer.done("  print");
    match o.sourcemap {
        None => Ok(Emitted {
            code,
            map: None,
            assets: vec![],
            sections: modules.map_or(vec![], |m| sections_of(m, &ends)),
        }),
        Some(kind) => {
            let timer = crate::timing::StageTimer::from_env();
            let emitted = sourcemap::attach(cm, &mappings, code, kind, to.file);
            timer.done("  source map");
            emitted
        }
    }
}

/// A module's statements printed as they are in a bundle whose top-level names are known:
/// `items` are a bundle's (its imports declare names), each binding `top_level_bindings`
/// finds called what `name_of` says; its statements' text (imports and exports left out),
/// and the names they use freely. None when `name_of` has no name for a binding, or a
/// statement cannot be renamed on its own (`LostBinding`).
pub fn print_named(
    cm: &Lrc<SourceMap>,
    globals: &Globals,
    items: Vec<ModuleItem>,
    name_of: impl Fn(&swc_core::ecma::ast::Id) -> Option<Atom>,
) -> Result<Option<(String, FxHashSet<Atom>)>> {
    let Some((names, settled)) = rename::settle_imposed(globals, &items, name_of) else {
        return Ok(None);
    };
    let (names, statements): (Vec<rename::Names>, Vec<ModuleItem>) = (names.into_iter())
        .zip(items)
        .filter(|(_, item)| matches!(item, ModuleItem::Stmt(_)))
        .unzip();
    let cfg = Config::default().with_target(EsVersion::EsNext);
    let naming = RunNaming::Settled(names.into_iter(), &settled);
    match print_run(cm, globals, cfg, statements, false, naming, false, false) {
        Ok((run, _)) => Ok(Some((run.text, settled.reserved))),
        Err(e) if e.is::<LostBinding>() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Consecutive runs of top-level items of about equal size (`size_of`): at most as many as
/// `runs_for` asks for, given the whole size.
pub(crate) fn split_runs(
    items: Vec<ModuleItem>,
    runs_for: impl FnOnce(usize) -> usize,
) -> Vec<Vec<ModuleItem>> {
    let sizes: Vec<usize> = items.par_iter().map(size_of).collect();
    let total = sizes.iter().sum::<usize>();
    let target = total.div_ceil(runs_for(total).max(1)).max(1);
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

/// About how much printing `item` takes: the length of its source text, or for an item a
/// pass made (no place in the source: a module's wrapper), its statements counted at a
/// typical statement's length. Counting every item's statements was a walk of the whole bundle.
fn size_of(item: &ModuleItem) -> usize {
    /// Bytes of source per statement, about (heavy apps and three.js: 40-60).
    const STATEMENT: usize = 48;
    let span = item.span();
    if span.is_dummy() || span.hi <= span.lo {
        statements_in(item) * STATEMENT
    } else {
        (span.hi - span.lo).0 as usize
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use swc_core::ecma::ast::EmptyStmt;

    #[test]
    fn runs_keep_the_order_and_every_statement() {
        let items: Vec<ModuleItem> = (0..10)
            .map(|i| {
                ModuleItem::Stmt(Stmt::Empty(EmptyStmt {
                    span: swc_core::common::Span::new(BytePos(i), BytePos(i)),
                }))
            })
            .collect();
        let runs = split_runs(items.clone(), |_| 3);
        assert!(runs.len() <= 3 && runs.iter().all(|r| !r.is_empty()));
        assert_eq!(runs.concat(), items);
    }
}
