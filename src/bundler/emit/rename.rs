//! The unminified bundle's names in time linear in its size (SWC's hygiene pass over the whole
//! bundle compares every scope's names with every outer one's, which grows quadratically with
//! the number of modules). As esbuild does: the top-level names of all modules are settled in
//! one pass against one set of reserved names (`contexts::top_level_names`), then each top-level
//! statement's inner scopes are renamed on their own, in parallel, by SWC's hygiene, where
//! there is anything to rename (`Names::may_clash`: most statements keep the source's names),
//! each as it is printed (`settle` settles the names, `statement` renames one statement).
//! A statement is walked again only where it has something to change: one walk finds every
//! statement's names (in a large app three statements in four change none; in three.js x10,
//! ten copies of each module, one in twelve).
//!
//! Once the top-level names are unique and none is a name some statement uses freely (a
//! global, or a name a pass made that nothing declares), a statement's hygiene has no reason to
//! rename a top-level binding: everything an inner scope could clash with is in the statement.
//! That is checked, not assumed: a statement whose top-level names came out changed fails the
//! pass with `LostBinding`, and the bundle is made again with the whole-bundle hygiene.

use rayon::prelude::*;
use rustc_hash::FxHashSet;
use swc_core::atoms::Atom;
use swc_core::common::{DUMMY_SP, GLOBALS, Globals, Mark, Span, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::transforms::base::hygiene::hygiene;
use swc_core::ecma::visit::{Visit, VisitWith};

use super::contexts::{
    TopLevelNames, contexts_of, imposed_names, top_level_bindings, top_level_names,
};
use crate::bundler::js::record::eval_callee;

/// A statement's own renaming changed a top-level binding that other statements use: the
/// bundle must be made again with `runs_alone` off (the whole-bundle hygiene).
#[derive(Debug)]
pub struct LostBinding;

impl std::fmt::Display for LostBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(
            "renaming a statement on its own lost a top-level binding that other statements use",
        )
    }
}

impl std::error::Error for LostBinding {}

/// What is settled for every statement of the bundle: the top-level bindings' new names and
/// the names used freely (each statement is then renamed as it is printed, `statement`).
pub struct Settled {
    pub(super) top: TopLevelNames,
    pub(super) top_level: SyntaxContext,
    pub(super) reserved: FxHashSet<Atom>,
}

/// Settle the names of the bundle's statements `items`, and give each statement's names: each
/// is then renamed as it is printed, while its syntax tree is in the core's cache (a pass of
/// its own over a large bundle read every tree from memory twice).
pub fn settle(
    globals: &Globals,
    items: &[ModuleItem],
) -> Result<(Vec<Names>, Settled), LostBinding> {
    let timer = crate::timing::StageTimer::from_env();
    let declared = top_level_bindings(items);
    let (reserved, names) = free_names(globals, items, &contexts_of(&declared));
    // An unmarked name, `eval` or `with`: only the whole-bundle pass knows what they see.
    if names.iter().any(|n| n.unmarked) {
        return Err(LostBinding);
    }
    timer.done("      free names");
    let top_level_mark = GLOBALS.set(globals, Mark::new);
    let top = top_level_names(&declared, top_level_mark, &reserved);
    let settled = Settled {
        top,
        top_level: SyntaxContext::empty().apply_mark(top_level_mark),
        reserved,
    };
    Ok((names, settled))
}

/// `settle` with the top-level names given, not chosen: each binding `declared` (of
/// `top_level_bindings`) is called what `name_of` says. None when it has no name for one, or
/// a statement has a name no resolver marked. Also the names the statements use freely.
pub(super) fn settle_imposed(
    globals: &Globals,
    items: &[ModuleItem],
    name_of: impl Fn(&Id) -> Option<Atom>,
) -> Option<(Vec<Names>, Settled)> {
    let declared = top_level_bindings(items);
    let (reserved, names) = free_names(globals, items, &contexts_of(&declared));
    if names.iter().any(|n| n.unmarked) {
        return None;
    }
    let mut renames = crate::bundler::ids::IdMap::default();
    for id in &declared {
        renames.insert(id.clone(), name_of(id)?);
    }
    let top_level_mark = GLOBALS.set(globals, Mark::new);
    let top = imposed_names(&declared, renames, top_level_mark);
    let settled = Settled {
        top,
        top_level: SyntaxContext::empty().apply_mark(top_level_mark),
        reserved,
    };
    Some((names, settled))
}

/// One statement with its names settled, given its names (`Names::of`) and what is settled
/// for the bundle; None when a top-level name came out changed, or the statement has a name
/// no resolver marked.
pub(super) fn statement(
    globals: &Globals,
    mut item: ModuleItem,
    names: Names,
    settled: &Settled,
) -> Option<ModuleItem> {
    let Settled {
        top,
        top_level,
        reserved,
    } = settled;
    // The statement's names as `top.apply` would leave them, without walking it.
    let (before, renamed) = names.after(top);
    let clash = before.may_clash(*top_level, reserved);
    // A statement with no binding renamed and nothing for hygiene to do is printed as it is:
    // printing reads names, not contexts. Imports and exports name bindings where `Names`
    // does not look (export specifiers): they are always walked.
    if !(renamed || clash || matches!(item, ModuleItem::ModuleDecl(_))) {
        return Some(item);
    }
    GLOBALS.set(globals, || {
        if top.apply(&mut item, None) {
            return None;
        }
        if !clash {
            return Some(item);
        }
        statement_renamed(item, before, *top_level)
    })
}

/// One top-level statement through hygiene; None when a top-level name came out changed.
/// The top-level bindings it uses are declared before it for the pass (and taken away after),
/// so that it sees them as the whole bundle's hygiene would: bindings of the scope around,
/// which an inner binding of the same name shadows without being renamed (hygiene renames
/// every inner binding named like a name it cannot find declared).
fn statement_renamed(
    item: ModuleItem,
    before: Names,
    top_level: SyntaxContext,
) -> Option<ModuleItem> {
    debug_assert!(
        Names::of(&item).used == before.used,
        "the names derived from the free-names walk are the statement's"
    );
    let mut outer: Vec<&Atom> = before
        .used
        .iter()
        .filter(|(_, ctxt, _)| *ctxt == top_level)
        .map(|(name, _, _)| name)
        .collect();
    outer.sort_unstable();
    outer.dedup();
    let declare_outer = ModuleItem::Stmt(Stmt::Decl(Decl::Var(Box::new(VarDecl {
        span: DUMMY_SP,
        ctxt: SyntaxContext::empty(),
        kind: VarDeclKind::Var,
        declare: false,
        decls: outer
            .into_iter()
            .map(|name| VarDeclarator {
                span: DUMMY_SP,
                name: Pat::Ident(Ident::new(name.clone(), DUMMY_SP, top_level).into()),
                init: None,
                definite: false,
            })
            .collect(),
    }))));
    let mut body = Program::Module(Module {
        span: DUMMY_SP,
        body: vec![declare_outer, item],
        shebang: None,
    })
    .apply(hygiene())
    .expect_module()
    .body;
    let renamed = body.pop()?;
    let after = Names::of(&renamed);
    let kept = before.used.len() == after.used.len()
        && before
            .used
            .iter()
            .zip(&after.used)
            .all(|((name, ctxt, _), (now, _, _))| *ctxt != top_level || name == now);
    kept.then_some(renamed)
}

/// The names statements use without declaring them, and not as another statement's top-level
/// binding: what no top-level binding may be called. Also each statement's names, for the
/// statement pass.
/// `top`: the contexts of the top-level bindings.
fn free_names(
    globals: &Globals,
    items: &[ModuleItem],
    top: &FxHashSet<SyntaxContext>,
) -> (FxHashSet<Atom>, Vec<Names>) {
    let (free, names): (Vec<FxHashSet<Atom>>, Vec<Names>) = items
        .par_iter()
        .map(|item| {
            GLOBALS.set(globals, || {
                let mut names = Names::of(item);
                (names.free(top), names)
            })
        })
        .unzip();
    let mut all = FxHashSet::default();
    for f in free {
        all.extend(f);
    }
    (all, names)
}

/// A statement's names, found in one walk.
#[derive(Default)]
pub struct Names {
    /// Every identifier that names a binding or refers to one, in order (not labels, nor the
    /// names modules export and import by).
    pub(super) used: Vec<(Atom, SyntaxContext, Span)>,
    /// The bindings among them.
    declared: Vec<Id>,
    /// Whether the walk is in a declaration's pattern (outside its default values and
    /// computed keys).
    in_pattern: bool,
    /// A name no resolver marked, or one code can observe (a direct `eval`, `with`).
    pub(super) unmarked: bool,
}

impl Names {
    pub(super) fn of(item: &ModuleItem) -> Names {
        let mut n = Names::default();
        item.visit_with(&mut n);
        n
    }

    /// The names the statement uses without declaring them, and not as a top-level binding
    /// (whose contexts are `top`); takes the declared names away.
    pub(super) fn free(&mut self, top: &FxHashSet<SyntaxContext>) -> FxHashSet<Atom> {
        let declared: FxHashSet<Id> = std::mem::take(&mut self.declared).into_iter().collect();
        self.used
            .iter()
            .filter(|(name, ctxt, _)| {
                !top.contains(ctxt) && !declared.contains(&(name.clone(), *ctxt))
            })
            .map(|(name, _, _)| name.clone())
            .collect()
    }

    /// Visit `pattern` as a declaration's (or not, `declaring`).
    fn pattern<T: VisitWith<Names> + ?Sized>(&mut self, pattern: &T, declaring: bool) {
        let outer = std::mem::replace(&mut self.in_pattern, declaring);
        pattern.visit_with(self);
        self.in_pattern = outer;
    }

    /// These names as `top.apply` makes them: it changes no identifier but those in top-level
    /// contexts, and keeps their order (a shorthand property it splits keeps its identifier as
    /// the value). Also whether it renames any.
    fn after(mut self, top: &TopLevelNames) -> (Names, bool) {
        let mut renamed = false;
        for (name, ctxt, _) in &mut self.used {
            if let Some((now, now_ctxt)) = top.now(name, *ctxt) {
                renamed |= now != *name;
                *name = now;
                *ctxt = now_ctxt;
            }
        }
        (self, renamed)
    }

    /// Whether hygiene could rename something here: where a name is two bindings that might
    /// see each other. It cannot where each name is one binding. Nor where the statement's
    /// identifiers are the source's own, in the source's order (no pass made or moved one),
    /// and a name's bindings are all the statement's own (not a top-level one, not a global)
    /// and each used only within a stretch of the source that holds none of the others' uses
    /// (sibling scopes: two loops' `i`): names and scopes are then as the source had them,
    /// and the source was valid. Anything else goes through hygiene.
    fn may_clash(&self, top_level: SyntaxContext, reserved: &FxHashSet<Atom>) -> bool {
        // Each name's bindings, with the stretch of source their uses span.
        let mut bindings: rustc_hash::FxHashMap<&Atom, Vec<(SyntaxContext, Span)>> =
            Default::default();
        let mut two_bindings = false;
        for (name, ctxt, span) in &self.used {
            let seen = bindings.entry(name).or_default();
            match seen.iter_mut().find(|(c, _)| c == ctxt) {
                Some((_, stretch)) => *stretch = stretch.to(*span),
                None => {
                    two_bindings |= !seen.is_empty();
                    seen.push((*ctxt, *span));
                }
            }
        }
        if !two_bindings {
            return false;
        }
        // Top-level names and globals are left out: the linker writes them where imports
        // were (no place in the source); one of them named like a binding here is a clash.
        let own: Vec<Span> = self
            .used
            .iter()
            .filter(|(name, ctxt, _)| *ctxt != top_level && !reserved.contains(name))
            .map(|(_, _, span)| *span)
            .collect();
        let in_source_order =
            own.iter().all(|span| !span.is_dummy()) && own.windows(2).all(|w| w[0].lo < w[1].lo);
        if !in_source_order {
            return true;
        }
        bindings.into_iter().any(|(name, mut seen)| {
            if seen.len() < 2 {
                return false;
            }
            if reserved.contains(name) || seen.iter().any(|(ctxt, _)| *ctxt == top_level) {
                return true;
            }
            seen.sort_unstable_by_key(|(_, span)| span.lo);
            seen.windows(2).any(|w| w[1].1.lo < w[0].1.hi)
        })
    }
}

impl Visit for Names {
    fn visit_ident(&mut self, i: &Ident) {
        self.unmarked |= i.ctxt == SyntaxContext::empty();
        self.used.push((i.sym.clone(), i.ctxt, i.span));
    }
    fn visit_call_expr(&mut self, c: &CallExpr) {
        self.unmarked |= eval_callee(c).is_some();
        c.visit_children_with(self);
    }
    fn visit_with_stmt(&mut self, w: &WithStmt) {
        self.unmarked = true;
        w.visit_children_with(self);
    }
    fn visit_labeled_stmt(&mut self, l: &LabeledStmt) {
        l.body.visit_with(self);
    }
    fn visit_break_stmt(&mut self, _: &BreakStmt) {}
    fn visit_continue_stmt(&mut self, _: &ContinueStmt) {}
    fn visit_module_export_name(&mut self, _: &ModuleExportName) {}
    fn visit_binding_ident(&mut self, b: &BindingIdent) {
        if self.in_pattern {
            self.declared.push(b.id.to_id());
        }
        b.visit_children_with(self);
    }
    // Default values and computed keys: what a pattern holds that declares nothing.
    fn visit_expr(&mut self, e: &Expr) {
        let outer = std::mem::replace(&mut self.in_pattern, false);
        e.visit_children_with(self);
        self.in_pattern = outer;
    }
    fn visit_var_declarator(&mut self, d: &VarDeclarator) {
        self.pattern(&d.name, true);
        d.init.visit_with(self);
    }
    fn visit_param(&mut self, p: &Param) {
        self.pattern(&p.decorators, false);
        self.pattern(&p.pat, true);
    }
    fn visit_arrow_expr(&mut self, a: &ArrowExpr) {
        self.pattern(&a.params, true);
        a.body.visit_with(self);
    }
    fn visit_catch_clause(&mut self, c: &CatchClause) {
        self.pattern(&c.param, true);
        c.body.visit_with(self);
    }
    fn visit_import_specifier(&mut self, s: &ImportSpecifier) {
        let local = crate::bundler::js::record::import_local(s);
        self.declared.push(local.to_id());
        self.visit_ident(local);
    }
    fn visit_fn_decl(&mut self, f: &FnDecl) {
        self.declared.push(f.ident.to_id());
        f.visit_children_with(self);
    }
    fn visit_class_decl(&mut self, c: &ClassDecl) {
        self.declared.push(c.ident.to_id());
        c.visit_children_with(self);
    }
    fn visit_fn_expr(&mut self, f: &FnExpr) {
        self.declared.extend(f.ident.as_ref().map(Ident::to_id));
        f.visit_children_with(self);
    }
    fn visit_class_expr(&mut self, c: &ClassExpr) {
        self.declared.extend(c.ident.as_ref().map(Ident::to_id));
        c.visit_children_with(self);
    }
}
