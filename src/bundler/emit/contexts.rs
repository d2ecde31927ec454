//! The contexts swc_ecma_minifier expects: those the resolver gives one module (one context
//! for the top level, the unresolved mark on globals). The linked bundle has each module's own;
//! `one_top_level` turns them into those in one parallel pass, and `resolved_afresh` is the
//! slow way for the bundles it cannot do.

use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::{GLOBALS, Globals, Mark, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::transforms::base::{rename::rename, resolver};
use swc_core::ecma::utils::find_pat_ids;
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use super::compress::Assigned;
use crate::bundler::ids::{IdMap, IdRef};
use crate::bundler::js::record::{eval_callee, import_local};

pub(super) type FxIndexSet<T> = indexmap::IndexSet<T, FxBuildHasher>;

pub enum Contexts {
    /// As the resolver would have marked the whole bundle as one module.
    AsResolved,
    /// A name is unmarked, or observable (`eval`, `with`): the bundle must be resolved afresh.
    Unmarked,
}

/// Give the minifier the contexts it expects of one module, without resolving it again: each
/// module was resolved on its own, so every binding is already told apart by its context, and
/// only the bundle's top level is split between the modules' (and the linker's) contexts.
/// Those become the one `top_level_mark` context, the clashing names among them renamed
/// (`name$N`), as are those that have a name in `reserved`. Inner scopes keep their marks;
/// references to globals already carry the unresolved mark every module was resolved with.
/// With `note_assigned`, what the bundle assigns is noted on the way (for the minifier's
/// rules), so that needs no walk of its own.
pub fn one_top_level(
    globals: &Globals,
    items: &mut [ModuleItem],
    top_level_mark: Mark,
    reserved: &FxHashSet<Atom>,
    note_assigned: bool,
) -> TopLevelNames {
    let mut top = top_level_names(&top_level_bindings(items), top_level_mark, reserved);
    let (unmarked, assigned) = items
        .par_iter_mut()
        .map(|item| {
            let mut assigned = note_assigned.then(Assigned::default);
            let unmarked = GLOBALS.set(globals, || top.apply(item, assigned.as_mut()));
            (unmarked, assigned)
        })
        .reduce(
            || (false, None),
            |(u, a), (v, b)| {
                let assigned = match (a, b) {
                    (Some(a), Some(b)) => Some(a.merge(b)),
                    (a, b) => a.or(b),
                };
                (u || v, assigned)
            },
        );
    if unmarked {
        top.contexts = Contexts::Unmarked;
    }
    top.assigned = assigned;
    top
}

/// The top-level bindings of a module that calls `eval` directly keep their names: the code it
/// evaluates may name any of them. Another module's top-level binding of one of those names is
/// renamed first (`name$N`); settled later, it would keep the name as the first one met, and
/// the eval would read it (esbuild's bundles read the wrong one). `eval_scopes`: those
/// modules' top-level contexts.
pub fn keep_names_seen_by_eval(
    globals: &Globals,
    items: &mut [ModuleItem],
    eval_scopes: &[SyntaxContext],
) {
    if eval_scopes.is_empty() {
        return;
    }
    let declared = top_level_bindings(items);
    let seen: FxHashSet<&Atom> = declared
        .iter()
        .filter(|id| eval_scopes.contains(&id.1))
        .map(|id| &id.0)
        .collect();
    let mut taken: FxHashSet<Atom> = declared.iter().map(|id| id.0.clone()).collect();
    let mut next_suffix = FxHashMap::default();
    let renames: FxHashMap<Id, Atom> = declared
        .iter()
        .filter(|id| !eval_scopes.contains(&id.1) && seen.contains(&id.0))
        .map(|id| (id.clone(), suffixed(&id.0, &mut next_suffix, &mut taken)))
        .collect();
    if renames.is_empty() {
        return;
    }
    items
        .par_iter_mut()
        .for_each(|item| GLOBALS.set(globals, || item.visit_mut_with(&mut rename(&renames))));
}

/// What `one_top_level` will do, without walking the statements: given the top-level bindings
/// (`top_level_bindings`), the new names of those that clash with another or with a name in
/// `reserved`. Its `apply` then walks one statement.
pub fn top_level_names(
    declared: &FxIndexSet<Id>,
    top_level_mark: Mark,
    reserved: &FxHashSet<Atom>,
) -> TopLevelNames {
    let top_contexts = contexts_of(declared);
    let mut taken: FxHashSet<Atom> = reserved.clone();
    let mut renames: IdMap<Atom> = IdMap::default();
    let clashing: Vec<&Id> = declared
        .iter()
        .filter(|id| !taken.insert(id.0.clone()))
        .collect();
    let mut next_suffix = FxHashMap::default();
    for id in clashing {
        let fresh = suffixed(&id.0, &mut next_suffix, &mut taken);
        renames.insert(id.clone(), fresh);
    }
    TopLevelNames {
        contexts: Contexts::AsResolved,
        top_contexts,
        renames,
        top_level: SyntaxContext::empty().apply_mark(top_level_mark),
        assigned: None,
    }
}

/// These top-level bindings given the names `renames` holds (the others keep theirs).
pub(super) fn imposed_names(
    declared: &FxIndexSet<Id>,
    renames: IdMap<Atom>,
    top_level_mark: Mark,
) -> TopLevelNames {
    TopLevelNames {
        contexts: Contexts::AsResolved,
        top_contexts: contexts_of(declared),
        renames,
        top_level: SyntaxContext::empty().apply_mark(top_level_mark),
        assigned: None,
    }
}

/// The contexts of these top-level bindings.
pub(super) fn contexts_of(declared: &FxIndexSet<Id>) -> FxHashSet<SyntaxContext> {
    declared.iter().map(|id| id.1).collect()
}

/// What `one_top_level` did: whether the contexts are as resolved, and what each top-level
/// binding's name and context became.
pub struct TopLevelNames {
    pub contexts: Contexts,
    top_contexts: FxHashSet<SyntaxContext>,
    renames: IdMap<Atom>,
    top_level: SyntaxContext,
    /// With `note_assigned`: what the bundle assigns, in the names and contexts it now has.
    pub assigned: Option<Assigned>,
}

impl TopLevelNames {
    /// One statement's top-level bindings given their new names and the one context, noting
    /// what it assigns in `assigned`; true when it has a name no resolver marked, or one code
    /// can observe (`eval`, `with`).
    pub fn apply(&self, item: &mut ModuleItem, assigned: Option<&mut Assigned>) -> bool {
        let mut pass = OneTopLevel {
            top_contexts: &self.top_contexts,
            renames: &self.renames,
            top_level: self.top_level,
            unmarked: false,
            assigned,
        };
        item.visit_mut_with(&mut pass);
        pass.unmarked
    }

    /// The name and context an identifier in a top-level context now has (None: another
    /// context, left as it was).
    pub fn now(&self, name: &Atom, ctxt: SyntaxContext) -> Option<(Atom, SyntaxContext)> {
        if !self.top_contexts.contains(&ctxt) {
            return None;
        }
        let renamed = if self.renames.is_empty() {
            None
        } else {
            self.renames.get(&(name.clone(), ctxt))
        };
        Some((renamed.unwrap_or(name).clone(), self.top_level))
    }
}

/// The bindings declared at the top level (imports, declarations, and `var`s hoisted out of
/// top-level blocks), each once, in order.
pub(crate) fn top_level_bindings(items: &[ModuleItem]) -> FxIndexSet<Id> {
    let mut declared = FxIndexSet::default();
    for item in items {
        match item {
            ModuleItem::Stmt(Stmt::Decl(d)) => {
                declared.extend(crate::parsing::module_facts::declared(d))
            }
            // A block's `let` and function are the block's (the minifier sees them in their
            // own contexts); its `var`s are the top level's.
            ModuleItem::Stmt(s) => s.visit_with(&mut VarsOnly(&mut declared)),
            ModuleItem::ModuleDecl(ModuleDecl::Import(i)) => {
                declared.extend(i.specifiers.iter().map(|s| import_local(s).to_id()))
            }
            ModuleItem::ModuleDecl(_) => {}
        }
    }
    declared
}

/// The `var`s a top-level statement hoists out of its blocks (nothing inside an expression, a
/// function or a class declares a top-level name).
struct VarsOnly<'a>(&'a mut FxIndexSet<Id>);

impl Visit for VarsOnly<'_> {
    fn visit_var_decl(&mut self, v: &VarDecl) {
        if v.kind == VarDeclKind::Var {
            for d in &v.decls {
                for id in find_pat_ids::<_, Id>(&d.name) {
                    self.0.insert(id);
                }
            }
        }
    }
    fn visit_expr(&mut self, _: &Expr) {}
    fn visit_function(&mut self, _: &Function) {}
    fn visit_class(&mut self, _: &Class) {}
}

struct OneTopLevel<'a> {
    top_contexts: &'a FxHashSet<SyntaxContext>,
    renames: &'a IdMap<Atom>,
    top_level: SyntaxContext,
    /// A name no resolver marked, or one code can observe.
    unmarked: bool,
    /// Each assignment noted once its target has its new name and context.
    assigned: Option<&'a mut Assigned>,
}

impl OneTopLevel<'_> {
    fn is_renamed(&self, i: &Ident) -> bool {
        self.top_contexts.contains(&i.ctxt) && self.renames.contains_key(&IdRef::of(i))
    }
}

impl VisitMut for OneTopLevel<'_> {
    // Where a binding's name is also a property's, an export's or an import's, a renamed
    // binding keeps that name: `{ x }` becomes `{ x: x$1 }`, and so on.
    fn visit_mut_prop(&mut self, p: &mut Prop) {
        keep_shorthand_key(p, |i| self.is_renamed(i));
        p.visit_mut_children_with(self);
    }

    fn visit_mut_object_pat_prop(&mut self, p: &mut ObjectPatProp) {
        keep_pattern_key(p, |i| self.is_renamed(i));
        p.visit_mut_children_with(self);
    }

    fn visit_mut_import_named_specifier(&mut self, s: &mut ImportNamedSpecifier) {
        if s.imported.is_none() && self.is_renamed(&s.local) {
            s.imported = Some(ModuleExportName::Ident(Ident::new_no_ctxt(
                s.local.sym.clone(),
                s.local.span,
            )));
        }
        self.visit_mut_ident(&mut s.local);
    }

    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if self.top_contexts.contains(&i.ctxt) {
            if let Some(fresh) = self.renames.get(&IdRef::of(i)) {
                i.sym = fresh.clone();
            }
            i.ctxt = self.top_level;
        } else if i.ctxt == SyntaxContext::empty() {
            self.unmarked = true;
        }
    }

    fn visit_mut_call_expr(&mut self, c: &mut CallExpr) {
        self.unmarked |= eval_callee(c).is_some();
        c.visit_mut_children_with(self);
    }

    fn visit_mut_assign_expr(&mut self, a: &mut AssignExpr) {
        a.visit_mut_children_with(self);
        if let Some(assigned) = &mut self.assigned {
            assigned.assign(a);
        }
    }
    fn visit_mut_update_expr(&mut self, u: &mut UpdateExpr) {
        u.visit_mut_children_with(self);
        if let Some(assigned) = &mut self.assigned {
            assigned.update(u);
        }
    }
    fn visit_mut_for_head(&mut self, h: &mut ForHead) {
        h.visit_mut_children_with(self);
        if let Some(assigned) = &mut self.assigned {
            assigned.for_head(h);
        }
    }

    fn visit_mut_with_stmt(&mut self, w: &mut WithStmt) {
        self.unmarked = true;
        w.visit_mut_children_with(self);
    }

    // Names that are not bindings: labels, and the names modules export and import.
    fn visit_mut_labeled_stmt(&mut self, l: &mut LabeledStmt) {
        l.body.visit_mut_with(self);
    }
    fn visit_mut_break_stmt(&mut self, _: &mut BreakStmt) {}
    fn visit_mut_continue_stmt(&mut self, _: &mut ContinueStmt) {}
    fn visit_mut_module_export_name(&mut self, _: &mut ModuleExportName) {}
    fn visit_mut_export_named_specifier(&mut self, s: &mut ExportNamedSpecifier) {
        if let ModuleExportName::Ident(i) = &mut s.orig {
            if s.exported.is_none() && self.is_renamed(i) {
                s.exported = Some(ModuleExportName::Ident(Ident::new_no_ctxt(
                    i.sym.clone(),
                    i.span,
                )));
            }
            self.visit_mut_ident(i);
        }
    }
}

/// `{ x }` → `{ x: x }` when `x` is to be `renamed`: the property keeps its name.
pub(super) fn keep_shorthand_key(p: &mut Prop, renamed: impl Fn(&Ident) -> bool) {
    if let Prop::Shorthand(i) = p
        && renamed(i)
    {
        let key = PropName::Ident(IdentName::new(i.sym.clone(), i.span));
        *p = Prop::KeyValue(KeyValueProp {
            key,
            value: Box::new(Expr::Ident(i.clone())),
        });
    }
}

/// `{ x = 1 } = o` → `{ x: x = 1 } = o` when `x` is to be `renamed`: the key keeps its name.
pub(super) fn keep_pattern_key(p: &mut ObjectPatProp, renamed: impl Fn(&Ident) -> bool) {
    if let ObjectPatProp::Assign(a) = p
        && renamed(&a.key.id)
    {
        let key = PropName::Ident(IdentName::new(a.key.id.sym.clone(), a.key.id.span));
        let binding = Pat::Ident(a.key.clone());
        let value = match a.value.take() {
            Some(default) => Box::new(Pat::Assign(AssignPat {
                span: a.span,
                left: Box::new(binding),
                right: default,
            })),
            None => Box::new(binding),
        };
        *p = ObjectPatProp::KeyValue(KeyValuePatProp { key, value });
    }
}

/// The slow way to the same contexts, for bundles `one_top_level` cannot do: each binding given
/// a name no other has, then the contexts dropped and the whole bundle resolved as one module.
pub fn resolved_afresh(
    globals: &Globals,
    mut module: Module,
    unresolved: Mark,
    unresolved_mark: Mark,
    top_level_mark: Mark,
) -> Module {
    let renames = clashing_names(globals, &module.body, unresolved);
    module.body.par_iter_mut().for_each(|item| {
        GLOBALS.set(globals, || {
            item.visit_mut_with(&mut rename(&renames));
            item.visit_mut_with(&mut ClearContexts);
        })
    });
    Program::Module(module)
        .apply(resolver(unresolved_mark, top_level_mark, false))
        .expect_module()
}

/// New names for the bindings whose name another binding or a global also has: the first
/// binding of a name keeps it unless a global has it, the others get `name$N`. Bindings of
/// the functions around a direct `eval` come first (the evaluated code may name them), as
/// esbuild keeps them.
fn clashing_names(
    globals: &Globals,
    items: &[ModuleItem],
    unresolved: Mark,
) -> FxHashMap<Id, Atom> {
    struct Names {
        unresolved: Mark,
        /// Each binding, once, in the order met.
        bindings: FxIndexSet<Id>,
        /// Each marked identifier, once, in the order met: a binding's, or a name a pass put
        /// in a context of its own that nothing declares (a helper's `Object`).
        marked: FxIndexSet<Id>,
        /// The names not to give: globals' and the unmarked ones (labels, export names).
        kept: FxHashSet<Atom>,
        /// Per function around the current point (outermost first): the bindings declared in
        /// it, and whether a direct `eval` is in it.
        functions: Vec<(Vec<Id>, bool)>,
        /// The bindings of functions with a direct `eval` in them.
        seen_by_eval: FxHashSet<Id>,
    }
    impl Names {
        // Not `Default`: a default `Mark` is a new one.
        fn new(unresolved: Mark) -> Names {
            Names {
                unresolved,
                bindings: FxIndexSet::default(),
                marked: FxIndexSet::default(),
                kept: FxHashSet::default(),
                functions: vec![],
                seen_by_eval: FxHashSet::default(),
            }
        }
        fn declare(&mut self, id: Id) {
            if let Some((declared, _)) = self.functions.last_mut() {
                declared.push(id.clone());
            }
            self.bindings.insert(id);
        }
        fn in_function(&mut self, visit: impl FnOnce(&mut Self)) {
            self.functions.push((vec![], false));
            visit(self);
            let (declared, has_eval) = self.functions.pop().expect("pushed above");
            if has_eval {
                self.seen_by_eval.extend(declared);
                if let Some(outer) = self.functions.last_mut() {
                    outer.1 = true;
                }
            }
        }
    }
    impl Visit for Names {
        fn visit_function(&mut self, f: &Function) {
            self.in_function(|s| f.visit_children_with(s));
        }
        fn visit_arrow_expr(&mut self, a: &ArrowExpr) {
            self.in_function(|s| a.visit_children_with(s));
        }
        fn visit_call_expr(&mut self, c: &CallExpr) {
            if eval_callee(c).is_some_and(|i| i.ctxt.outer() == self.unresolved)
                && let Some(f) = self.functions.last_mut()
            {
                f.1 = true;
            }
            c.visit_children_with(self);
        }
        fn visit_ident(&mut self, i: &Ident) {
            if i.ctxt == SyntaxContext::empty() || i.ctxt.outer() == self.unresolved {
                self.kept.insert(i.sym.clone());
            } else {
                self.marked.insert(i.to_id());
            }
        }
        fn visit_binding_ident(&mut self, b: &BindingIdent) {
            self.declare(b.id.to_id());
            b.visit_children_with(self);
        }
        fn visit_fn_decl(&mut self, f: &FnDecl) {
            self.declare(f.ident.to_id());
            f.visit_children_with(self);
        }
        fn visit_class_decl(&mut self, c: &ClassDecl) {
            self.declare(c.ident.to_id());
            c.visit_children_with(self);
        }
        fn visit_fn_expr(&mut self, f: &FnExpr) {
            if let Some(i) = &f.ident {
                self.declare(i.to_id());
            }
            f.visit_children_with(self);
        }
        fn visit_class_expr(&mut self, c: &ClassExpr) {
            if let Some(i) = &c.ident {
                self.declare(i.to_id());
            }
            c.visit_children_with(self);
        }
        fn visit_import_specifier(&mut self, s: &ImportSpecifier) {
            self.declare(import_local(s).to_id());
            s.visit_children_with(self);
        }
    }
    // Met per item on all threads, then merged in item order: the order one walk would meet them.
    let per_item: Vec<Names> = items
        .par_iter()
        .map(|item| {
            let mut names = Names::new(unresolved);
            GLOBALS.set(globals, || item.visit_with(&mut names));
            names
        })
        .collect();
    let mut names = Names::new(unresolved);
    for n in per_item {
        names.bindings.extend(n.bindings);
        names.marked.extend(n.marked);
        names.kept.extend(n.kept);
        names.seen_by_eval.extend(n.seen_by_eval);
    }
    // Undeclared names are left as they are: once resolved afresh they are globals.
    let undeclared: Vec<Atom> = names
        .marked
        .iter()
        .filter(|id| !names.bindings.contains(*id))
        .map(|id| id.0.clone())
        .collect();
    names.kept.extend(undeclared);
    // In the order met, as before (a binding's declaration may come after a use).
    let (seen_by_eval, others): (Vec<Id>, Vec<Id>) = names
        .marked
        .into_iter()
        .filter(|id| names.bindings.contains(id))
        .partition(|id| names.seen_by_eval.contains(id));
    names.bindings = seen_by_eval.into_iter().chain(others).collect();
    let mut taken: FxHashSet<Atom> = names.kept.clone();
    taken.extend(names.bindings.iter().map(|id| id.0.clone()));
    let mut claimed = FxHashSet::default();
    let mut next_suffix = FxHashMap::default();
    let mut renames = FxHashMap::default();
    for id in names.bindings {
        if !names.kept.contains(&id.0) && claimed.insert(id.0.clone()) {
            continue;
        }
        let fresh = suffixed(&id.0, &mut next_suffix, &mut taken);
        renames.insert(id, fresh);
    }
    renames
}

/// `name$N` with the smallest N that is not `taken`, now taken. `next` keeps, per name, the
/// N to try first: every smaller one is taken already (`taken` only grows), so the k-th
/// binding of a name is not tried against the k - 1 names before it.
fn suffixed(name: &Atom, next: &mut FxHashMap<Atom, u32>, taken: &mut FxHashSet<Atom>) -> Atom {
    let n = next.entry(name.clone()).or_insert(1);
    loop {
        let candidate = Atom::from(format!("{name}${n}"));
        *n += 1;
        if taken.insert(candidate.clone()) {
            return candidate;
        }
    }
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
    use swc_core::common::{FileName, SourceMap, sync::Lrc};
    use swc_core::ecma::codegen::to_code_default;
    use swc_core::ecma::parser::{EsSyntax, Syntax};

    /// Each source parsed and resolved as a module of its own, their statements then joined
    /// as the linker joins modules; run through `one_top_level` and printed.
    fn joined(sources: &[&str]) -> (Contexts, String) {
        GLOBALS.set(&Globals::new(), || {
            let cm: Lrc<SourceMap> = Default::default();
            let unresolved = Mark::new();
            let mut body = vec![];
            for src in sources {
                let es = Syntax::Es(EsSyntax::default());
                let m = crate::bundler::js::parse_snippet(&cm, FileName::Anon, src.to_string(), es)
                    .unwrap();
                body.extend(
                    Program::Module(m)
                        .apply(resolver(unresolved, Mark::new(), false))
                        .expect_module()
                        .body,
                );
            }
            let contexts = one_top_level(
                &Globals::new(),
                &mut body,
                Mark::new(),
                &Default::default(),
                false,
            )
            .contexts;
            let code = to_code_default(
                cm,
                None,
                &Module {
                    span: Default::default(),
                    body,
                    shebang: None,
                },
            );
            (contexts, code)
        })
    }

    #[test]
    fn a_clashing_top_level_name_is_renamed_but_not_as_a_key_or_an_import_or_export_name() {
        let (contexts, code) = joined(&[
            "const x = 1; console.log(x);",
            "import { x } from \"ext\"; console.log({ x }); export { x };",
            "var { x } = globalThis.o; function f(x) { return x; }",
        ]);
        assert!(matches!(contexts, Contexts::AsResolved));
        assert!(code.contains("const x = 1;"), "{code}");
        assert!(code.contains("import { x as x$1 } from \"ext\""), "{code}");
        assert!(code.contains("console.log({\n    x: x$1\n})"), "{code}");
        assert!(code.contains("export { x$1 as x }"), "{code}");
        assert!(code.contains("var { x: x$2 } = globalThis.o"), "{code}");
        // A parameter is not a top-level binding: it keeps its name.
        assert!(code.contains("function f(x) {\n    return x;\n}"), "{code}");
    }

    #[test]
    fn direct_eval_needs_the_bundle_resolved_afresh() {
        let (contexts, _) = joined(&["const x = 1;", "function f(s) { return eval(s); }"]);
        assert!(matches!(contexts, Contexts::Unmarked));
    }
}
