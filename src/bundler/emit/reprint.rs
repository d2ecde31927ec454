//! Naming and printing again only what changed: a watch session keeps each top-level
//! statement as the linker made it, with what its names came to and its text. The next build
//! takes the text of every statement it has again (the same syntax tree, contexts included:
//! a module not parsed again keeps them) whose names still come to the same, without walking
//! it for its names, settling them or printing it.
//!
//! A statement's text is a function of the statement and of the names its top-level
//! identifiers get (`rename::statement`: hygiene within a statement sees only the statement
//! and the top-level names it uses). So a statement is taken when it is equal to one the last
//! build printed, each identifier of it that was in a top-level context still is and has the
//! name it had, and none of its other identifiers is now in one (a binding appeared or went).
//! The names a statement uses freely, which every top-level name must avoid, are the same
//! under those conditions: they are kept with it.

use anyhow::Result;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::sync::Lrc;
use swc_core::common::{BytePos, GLOBALS, Globals, Mark, SourceMap, Spanned, SyntaxContext};
use swc_core::ecma::ast::{Id, Module, ModuleItem};
use swc_core::ecma::codegen::Config;

use super::contexts::{contexts_of, top_level_bindings, top_level_names};
use super::rename::{self, LostBinding, Names};
use super::{Mappings, PrintedRun, RunNaming, join_runs, print_run};

/// The statements the last build printed, by their span.
#[derive(Default)]
pub struct PrintMemo {
    with_map: bool,
    kept: FxHashMap<SpanKey, Vec<Option<Kept>>>,
    /// Of the last build's statements, how many were printed (not taken), and how many in all.
    last: (usize, usize),
}

/// A statement's span, its start and end.
type SpanKey = (BytePos, BytePos);

/// A statement as the linker made it, what its names came to, and its text.
struct Kept {
    item: ModuleItem,
    /// The names it uses freely.
    free: Vec<Atom>,
    /// Its identifiers in top-level contexts, each once, with the name each was printed with.
    top: Vec<(Id, Atom)>,
    /// The contexts of its other identifiers, each once.
    others: Vec<SyntaxContext>,
    text: PrintedRun,
}

impl Kept {
    /// Whether its identifiers are in top-level contexts (`top`) as they were.
    fn contexts_hold(&self, top: &FxHashSet<SyntaxContext>) -> bool {
        self.top.iter().all(|(id, _)| top.contains(&id.1))
            && !self.others.iter().any(|c| top.contains(c))
    }
}

/// One statement of this build done: where it is kept (None: not kept), what is kept of it,
/// whether it was printed (not taken), and what is left of it to free.
struct Done {
    at: Option<SpanKey>,
    kept: Kept,
    printed: bool,
    left: Vec<ModuleItem>,
}

/// One statement of this build: taken from the memo, or to be named and printed.
enum Statement {
    Taken(Kept),
    Afresh(Names),
}

impl PrintMemo {
    /// Of the last build's top-level statements, how many were printed, and how many in all.
    pub fn last_printed(&self) -> (usize, usize) {
        self.last
    }

    /// Nothing kept: the next build prints every statement.
    pub(super) fn forget(&mut self) {
        if !self.kept.is_empty() {
            crate::timing::drop_off_the_critical_path(std::mem::take(&mut self.kept));
        }
        self.last = (0, 0);
    }

    /// `module` named as `rename::renamed` names it and printed as `print_in_parallel` prints
    /// it (the same text and mappings), each statement the memo holds still named the same
    /// taken from it; the memo then holds this build's. Fails with `LostBinding` where
    /// `renamed` does (the memo is then empty).
    pub(super) fn renamed_and_printed(
        &mut self,
        cm: &Lrc<SourceMap>,
        globals: &Globals,
        cfg: Config,
        module: Module,
        mappings: Option<&mut Mappings>,
    ) -> Result<String> {
        let timer = crate::timing::StageTimer::from_env();
        let with_map = mappings.is_some();
        let mut earlier = std::mem::take(&mut self.kept);
        self.last = (0, 0);
        if self.with_map != with_map {
            crate::timing::drop_off_the_critical_path(std::mem::take(&mut earlier));
            self.with_map = with_map;
        }
        let items = module.body;
        // Statements made by the linker have no span of their own, and imports and exports
        // name bindings where `Names` does not look: those are named and printed each time.
        let found: Vec<Option<usize>> = items
            .par_iter()
            .map(|item| {
                let candidates = earlier.get(&key(item)?)?;
                candidates
                    .iter()
                    .position(|k| k.as_ref().is_some_and(|k| k.item == *item))
            })
            .collect();
        let declared = top_level_bindings(&items);
        let top = contexts_of(&declared);
        // A kept statement once (of two alike, the second is done afresh).
        let mut taken: Vec<Option<Kept>> = items
            .iter()
            .zip(found)
            .map(|(item, at)| {
                let kept = earlier.get_mut(&key(item)?)?.get_mut(at?)?.take()?;
                kept.contexts_hold(&top).then_some(kept)
            })
            .collect();
        let mut names: Vec<Option<Names>> = items
            .par_iter()
            .zip(&taken)
            .map(|(item, kept)| kept.is_none().then(|| Names::of(item)))
            .collect();
        crate::timing::drop_off_the_critical_path(earlier);
        // An unmarked name, `eval` or `with`: only the whole-bundle pass knows what they see.
        if names.iter().flatten().any(|n| n.unmarked) {
            return Err(LostBinding.into());
        }
        let frees: Vec<Option<FxHashSet<Atom>>> = names
            .par_iter_mut()
            .map(|n| n.as_mut().map(|n| n.free(&top)))
            .collect();
        let mut reserved: FxHashSet<Atom> = FxHashSet::default();
        reserved.extend(frees.iter().flatten().flatten().cloned());
        reserved.extend(taken.iter().flatten().flat_map(|k| k.free.iter().cloned()));
        timer.done("      free names");
        let top_level_mark = GLOBALS.set(globals, Mark::new);
        let settled = rename::Settled {
            top: top_level_names(&declared, top_level_mark, &reserved),
            top_level: SyntaxContext::empty().apply_mark(top_level_mark),
            reserved,
        };
        let names_now = &settled.top;
        // A kept statement whose top-level names moved is done afresh.
        let mut frees = frees;
        for (i, kept) in taken.iter_mut().enumerate() {
            let moved = kept.as_ref().is_some_and(|k| {
                (k.top.iter())
                    .any(|(id, was)| names_now.now(&id.0, id.1).map(|n| n.0) != Some(was.clone()))
            });
            if moved {
                *kept = None;
                let mut n = Names::of(&items[i]);
                frees[i] = Some(n.free(&top));
                names[i] = Some(n);
            }
        }
        let statements: Vec<Statement> = taken
            .into_iter()
            .zip(names)
            .map(|(kept, names)| match (kept, names) {
                (Some(kept), _) => Statement::Taken(kept),
                (None, Some(names)) => Statement::Afresh(names),
                (None, None) => unreachable!("a statement not taken has its names"),
            })
            .collect();
        let done: Vec<Result<Done>> = items
            .into_par_iter()
            .zip(statements)
            .zip(frees)
            .map(|((item, this), free)| match this {
                Statement::Taken(kept) => Ok(Done {
                    at: key(&kept.item),
                    kept,
                    printed: false,
                    left: vec![item],
                }),
                Statement::Afresh(names) => {
                    let at = key(&item);
                    let linked = at.is_some().then(|| item.clone());
                    let (top_ids, others) = identifiers(&names, &top, names_now);
                    let naming = RunNaming::Settled(vec![names].into_iter(), &settled);
                    let (text, mut printed) =
                        print_run(cm, globals, cfg, vec![item], false, naming, with_map, false)?;
                    let item = match linked {
                        Some(linked) => linked,
                        None => printed.pop().expect("the statement printed"),
                    };
                    let kept = Kept {
                        item,
                        free: free.map(|f| f.into_iter().collect()).unwrap_or_default(),
                        top: top_ids,
                        others,
                        text,
                    };
                    Ok(Done {
                        at,
                        kept,
                        printed: true,
                        left: printed,
                    })
                }
            })
            .collect();
        timer.done("      statements and print");
        let done = done.into_iter().collect::<Result<Vec<_>>>()?;
        let code = join_runs(done.iter().map(|d| &d.kept.text), mappings);
        self.last = (done.iter().filter(|d| d.printed).count(), done.len());
        let mut kept: FxHashMap<SpanKey, Vec<Option<Kept>>> = FxHashMap::default();
        let mut left = vec![];
        for d in done {
            if let Some(at) = d.at {
                kept.entry(at).or_default().push(Some(d.kept));
            }
            left.push(d.left);
        }
        crate::timing::drop_off_the_critical_path(left);
        self.kept = kept;
        Ok(code)
    }
}

/// Where a statement is kept: its span; None for one the linker made (no span of its own)
/// and for imports and exports.
fn key(item: &ModuleItem) -> Option<SpanKey> {
    let span = item.span();
    (!span.is_dummy() && matches!(item, ModuleItem::Stmt(_))).then_some((span.lo, span.hi))
}

/// A statement's identifiers in top-level contexts, each once with its name now, and the
/// contexts of its others, each once.
fn identifiers(
    names: &Names,
    top: &FxHashSet<SyntaxContext>,
    now: &super::contexts::TopLevelNames,
) -> (Vec<(Id, Atom)>, Vec<SyntaxContext>) {
    let mut ids: FxHashSet<(&Atom, SyntaxContext)> = FxHashSet::default();
    let mut others: FxHashSet<SyntaxContext> = FxHashSet::default();
    for (name, ctxt, _) in &names.used {
        if top.contains(ctxt) {
            ids.insert((name, *ctxt));
        } else {
            others.insert(*ctxt);
        }
    }
    let ids: Vec<(Id, Atom)> = ids
        .into_iter()
        .map(|(name, ctxt)| {
            let now = now
                .now(name, ctxt)
                .map(|n| n.0)
                .unwrap_or_else(|| name.clone());
            ((name.clone(), ctxt), now)
        })
        .collect();
    (ids, others.into_iter().collect())
}
