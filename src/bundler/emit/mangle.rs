//! Renaming for `--minify`, by frequency (as esbuild and oxc do; swc's own mangler names
//! bindings in the order it meets them, which costs about 8% of gzip size on a large bundle).
//!
//! Each binding gets a slot, and each slot a name, the most used slots the shortest names. A
//! scope's bindings take the lowest slots that no binding from outside it, referenced inside
//! it, already has: so sibling scopes reuse slots, and so does a nested scope that does not
//! use an outer binding (its `e` shadows one it never needed). Bindings are put in their
//! block (`let`, `const`, `class`, a catch parameter) or function (`var`, parameters, and
//! function declarations, as sloppy code hoists them); putting a binding in a wider scope than
//! its own would only cost reuse.

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::{GLOBALS, Globals, Mark};
use swc_core::ecma::ast::*;
use swc_core::ecma::transforms::base::rename::rename;
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use super::contexts::{keep_pattern_key, keep_shorthand_key};
use crate::bundler::ids::{IdMap, IdRef};
use crate::bundler::js::record::eval_callee;

/// The new name of every binding of a program that the resolver has marked, to be applied
/// with [`apply_renames`]. `None` when the program has a direct `eval` or a `with`, where
/// names are observable, or a reference this scope model cannot place: the caller mangles as
/// before.
pub fn mangle_by_frequency(
    program: &Program,
    unresolved_mark: Mark,
    globals: &Globals,
) -> Option<Renames> {
    let timer = crate::timing::StageTimer::from_env();
    let items = match program {
        Program::Module(m) => ScopeCollector::of_items(&m.body, globals),
        Program::Script(s) => ScopeCollector::of_items(&s.body, globals),
    };
    if items.iter().any(|c| c.observable_names) {
        return None;
    }
    let numbering = Numbering::of(&items);
    timer.done("      scopes");
    let map = names_for(&items, &numbering, unresolved_mark, globals)?;
    timer.done("      slots");
    Some(map)
}

/// Each binding's new name, by its identifier: the program scope's bindings', and each
/// top-level item's own (a binding of an item's inner scopes occurs in that item only). An
/// item's names are looked up in a small table of its own, which stays in the core's cache.
#[derive(Debug, Default, PartialEq)]
pub struct Renames {
    top: IdMap<Atom>,
    items: Vec<IdMap<Atom>>,
}

/// Rename top-level item `index` by the map. The printer does this item by item just before
/// it parenthesizes and prints the item, while the item is still in the core's cache: a walk
/// of its own over the whole bundle cost as much again in cache misses.
pub fn apply_renames(item: &mut ModuleItem, index: usize, renames: &Renames) {
    let names = Rename {
        own: &renames.items[index],
        top: &renames.top,
    };
    match item {
        ModuleItem::Stmt(s) => s.visit_mut_with(&mut { names }),
        // An import or export names bindings in the module's interface too, in forms swc's
        // renamer knows (`export function f` → `function e` and `export { e as f }`): it is
        // given the new names of the item's identifiers.
        ModuleItem::ModuleDecl(_) => {
            struct Named<'a>(Rename<'a>, FxHashMap<Id, Atom>);
            impl Visit for Named<'_> {
                fn visit_ident(&mut self, i: &Ident) {
                    if let Some(new) = self.0.new_name(i) {
                        self.1.insert(i.to_id(), new.clone());
                    }
                }
            }
            let mut named = Named(names, FxHashMap::default());
            item.visit_with(&mut named);
            item.visit_mut_with(&mut rename(&named.1));
        }
    }
}

/// A statement's bindings renamed by the map: every identifier but labels. (swc's renamer
/// does the same, with a check of the stack's depth at every expression.)
struct Rename<'a> {
    own: &'a IdMap<Atom>,
    top: &'a IdMap<Atom>,
}

impl Rename<'_> {
    fn new_name(&self, i: &Ident) -> Option<&Atom> {
        let id = IdRef::of(i);
        self.own.get(&id).or_else(|| self.top.get(&id))
    }

    fn is_renamed(&self, i: &Ident) -> bool {
        self.new_name(i).is_some()
    }
}

impl VisitMut for Rename<'_> {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if let Some(new) = self.new_name(i) {
            i.sym = new.clone();
        }
    }
    fn visit_mut_prop(&mut self, p: &mut Prop) {
        keep_shorthand_key(p, |i| self.is_renamed(i));
        p.visit_mut_children_with(self);
    }
    fn visit_mut_object_pat_prop(&mut self, p: &mut ObjectPatProp) {
        keep_pattern_key(p, |i| self.is_renamed(i));
        p.visit_mut_children_with(self);
    }
    fn visit_mut_labeled_stmt(&mut self, l: &mut LabeledStmt) {
        l.body.visit_mut_with(self);
    }
    fn visit_mut_break_stmt(&mut self, _: &mut BreakStmt) {}
    fn visit_mut_continue_stmt(&mut self, _: &mut ContinueStmt) {}
}

/// An identifier's number, in the order first met.
type Sym = u32;

#[derive(Default, Debug, PartialEq)]
struct Scope {
    parent: usize,
    bindings: Vec<Sym>,
    /// Identifiers occurring directly in this scope (not in nested ones).
    refs: Vec<Sym>,
}

#[derive(Default)]
struct ScopeCollector {
    scopes: Vec<Scope>,
    current: usize,
    /// The innermost function's scope.
    function: usize,
    ids: IdMap<Sym>,
    names: Vec<Id>,
    /// Per identifier: how often it occurs (declaration included), and its scope if a binding.
    uses: Vec<u32>,
    scope_of: Vec<Option<usize>>,
    observable_names: bool,
}

impl ScopeCollector {
    fn new() -> ScopeCollector {
        ScopeCollector {
            scopes: vec![Scope::default()],
            ..Default::default()
        }
    }

    /// The scopes of a program's top-level items, each item's collected on its own, on all
    /// threads: its scope 0 is the program's.
    fn of_items<T: VisitWith<ScopeCollector> + Sync>(
        items: &[T],
        globals: &Globals,
    ) -> Vec<ScopeCollector> {
        items
            .par_iter()
            .map(|item| {
                GLOBALS.set(globals, || {
                    let mut c = ScopeCollector::new();
                    item.visit_with(&mut c);
                    c
                })
            })
            .collect()
    }

    /// A function's scope (`var` and function declarations go there) or a block's.
    fn in_new_scope(&mut self, function: bool, visit: impl FnOnce(&mut Self)) {
        let (parent, parent_function) = (self.current, self.function);
        self.scopes.push(Scope {
            parent,
            ..Default::default()
        });
        self.current = self.scopes.len() - 1;
        if function {
            self.function = self.current;
        }
        visit(self);
        (self.current, self.function) = (parent, parent_function);
    }

    fn sym(&mut self, id: &Ident) -> Sym {
        if let Some(&s) = self.ids.get(&IdRef::of(id)) {
            return s;
        }
        let s = self.names.len() as Sym;
        self.ids.insert(id.to_id(), s);
        self.names.push(id.to_id());
        self.uses.push(0);
        self.scope_of.push(None);
        s
    }

    /// `hoisted`: declared in the function's scope, not the block's.
    fn declare(&mut self, id: &Ident, hoisted: bool) {
        let s = self.sym(id);
        let scope = if hoisted { self.function } else { self.current };
        if self.scope_of[s as usize].is_none() {
            self.scope_of[s as usize] = Some(scope);
            self.scopes[scope].bindings.push(s);
        }
    }

    fn declare_pattern(&mut self, pat: &Pat, hoisted: bool) {
        struct Bindings<'a>(&'a mut ScopeCollector, bool);
        impl Visit for Bindings<'_> {
            fn visit_binding_ident(&mut self, b: &BindingIdent) {
                self.0.declare(&b.id, self.1);
            }
            // Default values and computed keys are expressions, not bindings.
            fn visit_expr(&mut self, _: &Expr) {}
            fn visit_prop_name(&mut self, _: &PropName) {}
        }
        pat.visit_with(&mut Bindings(self, hoisted));
    }
}

/// The identifiers of all items numbered, and their scopes placed, as one walk over the
/// whole program would (the names given depend on that order). Only the identifiers are
/// joined, serially; each item keeps its own scopes, which `names_for` goes through in
/// parallel.
#[derive(Default)]
struct Numbering {
    ids: IdMap<Sym>,
    names: Vec<Id>,
    /// Per identifier: how often it occurs in the whole program.
    uses: Vec<u32>,
    /// Per identifier: the scope of its first declaration, 0 the program's, an item's scope
    /// k > 0 at `offset[item] + k`.
    scope_of: Vec<Option<usize>>,
    /// Per item: the number here of each of its identifiers.
    sym_here: Vec<Vec<Sym>>,
    /// Per item: where its scopes are numbered from.
    offset: Vec<usize>,
    /// The program scope's bindings, in the order first declared.
    program: Vec<Sym>,
}

/// An item's scope `k` as the program numbers it: its scope 0 is the program's; the others
/// follow `offset`, where the item's scopes start.
fn program_scope(offset: usize, k: usize) -> usize {
    if k == 0 { 0 } else { offset + k }
}

impl Numbering {
    fn of(items: &[ScopeCollector]) -> Numbering {
        let mut n = Numbering::default();
        let mut offset = 0;
        for item in items {
            let sym_here: Vec<Sym> = item
                .names
                .iter()
                .zip(&item.uses)
                .map(|(id, &uses)| {
                    let s = match n.ids.get(id) {
                        Some(&s) => s,
                        None => {
                            let s = n.names.len() as Sym;
                            n.ids.insert(id.clone(), s);
                            n.names.push(id.clone());
                            n.uses.push(0);
                            n.scope_of.push(None);
                            s
                        }
                    };
                    n.uses[s as usize] += uses;
                    s
                })
                .collect();
            // A binding an earlier item declared keeps that declaration's scope.
            let first: Vec<bool> = (item.scope_of.iter().zip(&sym_here))
                .map(|(scope, &s)| match scope {
                    Some(k) if n.scope_of[s as usize].is_none() => {
                        n.scope_of[s as usize] = Some(program_scope(offset, *k));
                        true
                    }
                    _ => false,
                })
                .collect();
            let program = item.scopes[0]
                .bindings
                .iter()
                .filter(|&&b| first[b as usize]);
            n.program.extend(program.map(|&b| sym_here[b as usize]));
            n.sym_here.push(sym_here);
            n.offset.push(offset);
            offset += item.scopes.len() - 1;
        }
        n
    }
}

impl Visit for ScopeCollector {
    fn visit_ident(&mut self, i: &Ident) {
        let s = self.sym(i);
        self.uses[s as usize] += 1;
        self.scopes[self.current].refs.push(s);
    }

    fn visit_call_expr(&mut self, c: &CallExpr) {
        self.observable_names |= eval_callee(c).is_some();
        c.visit_children_with(self);
    }

    fn visit_with_stmt(&mut self, w: &WithStmt) {
        self.observable_names = true;
        w.visit_children_with(self);
    }

    fn visit_var_decl(&mut self, d: &VarDecl) {
        for declarator in &d.decls {
            self.declare_pattern(&declarator.name, d.kind == VarDeclKind::Var);
        }
        d.visit_children_with(self);
    }

    fn visit_using_decl(&mut self, d: &UsingDecl) {
        for declarator in &d.decls {
            self.declare_pattern(&declarator.name, false);
        }
        d.visit_children_with(self);
    }

    // In the function's scope even in a block: sloppy code hoists it there too.
    fn visit_fn_decl(&mut self, f: &FnDecl) {
        self.declare(&f.ident, true);
        f.visit_children_with(self);
    }

    fn visit_class_decl(&mut self, c: &ClassDecl) {
        self.declare(&c.ident, false);
        c.visit_children_with(self);
    }

    // The name of a function or class expression is seen only inside it: declaring it outside
    // is merely cautious.
    fn visit_fn_expr(&mut self, f: &FnExpr) {
        if let Some(i) = &f.ident {
            self.declare(i, false);
        }
        f.visit_children_with(self);
    }

    fn visit_class_expr(&mut self, c: &ClassExpr) {
        if let Some(i) = &c.ident {
            self.declare(i, false);
        }
        c.visit_children_with(self);
    }

    // The body's statements share the parameter's scope, as a function's share its
    // parameters': `catch (e) { let e }` is an early error, so a body binding must never take
    // the parameter's name (in a nested scope it could, the parameter being unused there).
    fn visit_catch_clause(&mut self, c: &CatchClause) {
        self.in_new_scope(false, |s| {
            if let Some(p) = &c.param {
                s.declare_pattern(p, false);
            }
            c.param.visit_with(s);
            c.body.stmts.visit_with(s);
        });
    }

    fn visit_block_stmt(&mut self, b: &BlockStmt) {
        self.in_new_scope(false, |s| b.visit_children_with(s));
    }

    fn visit_for_stmt(&mut self, f: &ForStmt) {
        self.in_new_scope(false, |s| f.visit_children_with(s));
    }

    fn visit_for_in_stmt(&mut self, f: &ForInStmt) {
        self.in_new_scope(false, |s| f.visit_children_with(s));
    }

    fn visit_for_of_stmt(&mut self, f: &ForOfStmt) {
        self.in_new_scope(false, |s| f.visit_children_with(s));
    }

    fn visit_switch_stmt(&mut self, sw: &SwitchStmt) {
        self.in_new_scope(false, |s| sw.visit_children_with(s));
    }

    fn visit_import_specifier(&mut self, s: &ImportSpecifier) {
        let local = crate::bundler::js::record::import_local(s);
        self.declare(local, false);
        self.visit_ident(local);
    }

    fn visit_export_named_specifier(&mut self, s: &ExportNamedSpecifier) {
        // The exported name is not a binding.
        if let ModuleExportName::Ident(i) = &s.orig {
            self.visit_ident(i);
        }
    }

    fn visit_function(&mut self, f: &Function) {
        self.in_new_scope(true, |s| {
            for p in &f.params {
                s.declare_pattern(&p.pat, false);
            }
            f.visit_children_with(s);
        });
    }

    fn visit_arrow_expr(&mut self, a: &ArrowExpr) {
        self.in_new_scope(true, |s| {
            for p in &a.params {
                s.declare_pattern(p, false);
            }
            a.visit_children_with(s);
        });
    }

    fn visit_constructor(&mut self, c: &Constructor) {
        self.in_new_scope(true, |s| {
            for p in &c.params {
                if let ParamOrTsParamProp::Param(p) = p {
                    s.declare_pattern(&p.pat, false);
                }
            }
            c.visit_children_with(s);
        });
    }

    fn visit_static_block(&mut self, b: &StaticBlock) {
        self.in_new_scope(true, |s| b.visit_children_with(s));
    }

    // Labels are not bindings (and the resolver leaves them unmarked).
    fn visit_labeled_stmt(&mut self, l: &LabeledStmt) {
        l.body.visit_with(self);
    }
    fn visit_break_stmt(&mut self, _: &BreakStmt) {}
    fn visit_continue_stmt(&mut self, _: &ContinueStmt) {}
}

/// The rename map, or `None` if a binding is used outside the scope it was put in.
fn names_for(
    items: &[ScopeCollector],
    n: &Numbering,
    unresolved_mark: Mark,
    globals: &Globals,
) -> Option<Renames> {
    let renamed: Vec<bool> = (n.names.par_chunks(4096).zip(n.scope_of.par_chunks(4096)))
        .flat_map_iter(|(ids, scopes)| {
            GLOBALS.set(globals, || {
                let unmarked = [unresolved_mark, Mark::root()];
                let renamed = |(id, scope): (&Id, &Option<usize>)| {
                    scope.is_some() && !unmarked.contains(&id.1.outer())
                };
                ids.iter().zip(scopes).map(renamed).collect::<Vec<_>>()
            })
        })
        .collect();
    // The program's bindings first, in order: nothing is free in the program's scope.
    let mut top_slot: Vec<Option<usize>> = vec![None; n.names.len()];
    let mut top_count = 0;
    for &s in n.program.iter().filter(|&&s| renamed[s as usize]) {
        top_slot[s as usize] = Some(top_count);
        top_count += 1;
    }
    let each: Vec<ItemSlots> = (items.par_iter().enumerate())
        .map(|(i, item)| item_slots(item, i, n, &renamed, &top_slot))
        .collect::<Option<_>>()?;
    let slot_count = (each.iter().map(|e| e.weight.len())).fold(top_count, usize::max);
    let mut weight = vec![0u64; slot_count];
    for (s, slot) in top_slot.iter().enumerate() {
        if let Some(slot) = slot {
            weight[*slot] += u64::from(n.uses[s]);
        }
    }
    for e in &each {
        for (total, w) in weight.iter_mut().zip(&e.weight) {
            *total += w;
        }
    }
    let mut order: Vec<usize> = (0..slot_count).collect();
    order.sort_by_key(|&s| (std::cmp::Reverse(weight[s]), s));

    let kept: FxHashSet<&Atom> = (n.names.iter().zip(&renamed))
        .filter(|(_, r)| !**r)
        .map(|(id, _)| &id.0)
        .collect();
    let names: Vec<Atom> = (0..)
        .map(short_name)
        .filter(|name| !kept.contains(name) && !is_reserved(name))
        .take(slot_count)
        .collect();
    let mut name_of_slot = vec![Atom::default(); slot_count];
    // The most used slots get the shortest names; among the slots that get names of one
    // length, those declared first get the first names (as Closure Compiler does): bindings
    // declared together then get names alike (`Ai,Mi,Ni`), which gzip likes.
    let mut start = 0;
    while start < names.len() {
        let len = names[start].len();
        let end = start + names[start..].iter().take_while(|n| n.len() == len).count();
        let mut same_length = order[start..end].to_vec();
        same_length.sort_unstable();
        for (slot, name) in same_length.into_iter().zip(&names[start..end]) {
            name_of_slot[slot] = name.clone();
        }
        start = end;
    }
    let name = |slot: usize| name_of_slot[slot].clone();
    let top = (n.program.iter())
        .filter_map(|&s| Some((n.names[s as usize].clone(), name(top_slot[s as usize]?))))
        .collect();
    let items = (items.par_iter().zip(&each))
        .map(|(item, e)| {
            (e.slot_of.iter())
                .map(|&(s, slot)| (item.names[s as usize].clone(), name(slot)))
                .collect()
        })
        .collect();
    let map = Renames { top, items };
    Some(map)
}

/// One item's bindings in its own scopes: their slots, and how much each slot is used.
struct ItemSlots {
    /// (the item's identifier, its slot)
    slot_of: Vec<(Sym, usize)>,
    weight: Vec<u64>,
}

/// The slots of item `i`'s bindings, or `None` if one is used outside the scope it was put
/// in. First, per scope, the bindings of scopes around it that are used in it or in a scope
/// inside it (scopes are numbered parents first, so one pass from the last collects them
/// bottom up); then, parents first, a scope's bindings take the lowest slots its free
/// bindings do not hold, the program's bindings holding theirs (`top_slot`).
fn item_slots(
    item: &ScopeCollector,
    i: usize,
    n: &Numbering,
    renamed: &[bool],
    top_slot: &[Option<usize>],
) -> Option<ItemSlots> {
    let global = |s: Sym| n.sym_here[i][s as usize] as usize;
    let here = |k: usize| program_scope(n.offset[i], k);
    let scopes = &item.scopes;
    let mut free: Vec<FxHashSet<Sym>> = scopes.iter().map(|_| FxHashSet::default()).collect();
    for k in (0..scopes.len()).rev() {
        let mut set = std::mem::take(&mut free[k]);
        set.extend(scopes[k].refs.iter().filter(|&&s| renamed[global(s)]));
        set.retain(|&s| n.scope_of[global(s)] != Some(here(k)));
        if k == 0 {
            // Whatever is left at the top was used outside its scope.
            if !set.is_empty() {
                return None;
            }
        } else {
            free[scopes[k].parent].extend(set.iter().copied());
        }
        free[k] = set;
    }
    let mut slot: Vec<Option<usize>> = vec![None; item.names.len()];
    let mut out = ItemSlots {
        slot_of: vec![],
        weight: vec![],
    };
    for (k, scope) in scopes.iter().enumerate().skip(1) {
        let taken: FxHashSet<usize> = (free[k].iter())
            .filter_map(|&s| slot[s as usize].or(top_slot[global(s)]))
            .collect();
        // In the order declared: parameter lists come out alike (`e,t,n`), and slot order is
        // source order, which `names_for` uses.
        let bindings = (scope.bindings.iter().copied())
            .filter(|&s| renamed[global(s)] && n.scope_of[global(s)] == Some(here(k)));
        let mut next = 0;
        for s in bindings {
            while taken.contains(&next) {
                next += 1;
            }
            slot[s as usize] = Some(next);
            out.slot_of.push((s, next));
            if out.weight.len() <= next {
                out.weight.resize(next + 1, 0);
            }
            out.weight[next] += u64::from(n.uses[global(s)]);
            next += 1;
        }
    }
    Some(out)
}

const HEAD: &[u8] = b"etnsriaoclpdufhmgvybxwkqjzABCDEFGHIJKLMNOPQRSTUVWXYZ$_";
const TAIL: &[u8] = b"etnsriaoclpdufhmgvybxwkqjzABCDEFGHIJKLMNOPQRSTUVWXYZ$_0123456789";

/// The `n`th shortest identifier: a, b, …, $, _, aa, ba, …: the first character from 54, the
/// rest from 64.
pub(super) fn short_name(mut n: usize) -> Atom {
    let mut name = String::new();
    name.push(HEAD[n % HEAD.len()] as char);
    n /= HEAD.len();
    while n > 0 {
        n -= 1;
        name.push(TAIL[n % TAIL.len()] as char);
        n /= TAIL.len();
    }
    Atom::from(name)
}

fn is_reserved(name: &str) -> bool {
    matches!(
        name,
        "do" | "if"
            | "in"
            | "for"
            | "let"
            | "new"
            | "try"
            | "var"
            | "case"
            | "else"
            | "enum"
            | "eval"
            | "null"
            | "this"
            | "true"
            | "void"
            | "with"
            | "await"
            | "break"
            | "catch"
            | "class"
            | "const"
            | "false"
            | "super"
            | "throw"
            | "while"
            | "yield"
            | "delete"
            | "export"
            | "import"
            | "public"
            | "return"
            | "static"
            | "switch"
            | "typeof"
            | "default"
            | "extends"
            | "finally"
            | "package"
            | "private"
            | "continue"
            | "debugger"
            | "function"
            | "arguments"
            | "interface"
            | "protected"
            | "implements"
            | "instanceof"
            | "undefined"
            | "NaN"
            | "Infinity"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_collected_per_item_and_joined_are_those_of_one_walk() {
        use swc_core::common::{FileName, SourceMap, sync::Lrc};
        use swc_core::ecma::parser::{EsSyntax, Syntax};
        use swc_core::ecma::transforms::base::resolver;
        // Top-level names used before and declared in several items, shadowing, blocks,
        // catch clauses, classes, and a function hoisted out of a block.
        let src = r#"
            use(a); var a = 1;
            function f(x) { var y = x + a; { let a = y; g(a); } return () => x + y; }
            var a = 2; class C { m(z) { try { z(); } catch (e) { return e + a; } } }
            for (let i = 0; i < 3; i++) { var h = i; function g(q) { return q + h; } }
            const o = { a, f, k: function named() { return named; } };
        "#;
        let globals = Globals::new();
        GLOBALS.set(&globals, || {
            let cm: Lrc<SourceMap> = Default::default();
            let es = Syntax::Es(EsSyntax::default());
            let m = crate::bundler::js::parse_snippet(&cm, FileName::Anon, src.into(), es).unwrap();
            let unresolved = Mark::new();
            let program = Program::Module(m).apply(resolver(unresolved, Mark::new(), false));
            let mut one_walk = ScopeCollector::new();
            program.visit_with(&mut one_walk);
            let items = ScopeCollector::of_items(&program.as_module().unwrap().body, &globals);
            let joined = Numbering::of(&items);
            assert!(one_walk.scopes.len() > 8 && one_walk.names.len() > 10);
            assert_eq!(joined.names, one_walk.names);
            assert_eq!(joined.uses, one_walk.uses);
            assert_eq!(joined.scope_of, one_walk.scope_of);
            assert_eq!(joined.ids, one_walk.ids);
            assert_eq!(scopes_of(&items, &joined), one_walk.scopes);
            // And so the names given.
            let whole = Numbering::of(std::slice::from_ref(&one_walk));
            let one_map = names_for(
                std::slice::from_ref(&one_walk),
                &whole,
                unresolved,
                &globals,
            );
            let map = names_for(&items, &joined, unresolved, &globals);
            let flat = |r: Renames| {
                let mut all = r.top;
                r.items.into_iter().for_each(|own| all.extend(own));
                all
            };
            let (map, one_map) = (map.map(flat), one_map.map(flat));
            assert!(map.as_ref().is_some_and(|m| m.len() > 10));
            assert_eq!(map, one_map);
        });
    }

    /// The scopes of the items as one walk over the program numbers them.
    fn scopes_of(items: &[ScopeCollector], n: &Numbering) -> Vec<Scope> {
        let mut scopes = vec![Scope {
            parent: 0,
            bindings: n.program.clone(),
            refs: vec![],
        }];
        for (i, item) in items.iter().enumerate() {
            let global = |s: &Sym| n.sym_here[i][*s as usize];
            let here = |k: usize| program_scope(n.offset[i], k);
            scopes[0]
                .refs
                .extend(item.scopes[0].refs.iter().map(global));
            for (k, scope) in item.scopes.iter().enumerate().skip(1) {
                let first = |s: &Sym| n.scope_of[global(s) as usize] == Some(here(k));
                scopes.push(Scope {
                    parent: here(scope.parent),
                    bindings: scope
                        .bindings
                        .iter()
                        .filter(|s| first(s))
                        .map(global)
                        .collect(),
                    refs: scope.refs.iter().map(global).collect(),
                });
            }
        }
        scopes
    }

    #[test]
    fn names_are_distinct_and_short_first() {
        let names: Vec<Atom> = (0..5000).map(short_name).collect();
        assert_eq!(names.iter().collect::<FxHashSet<_>>().len(), names.len());
        assert!(names[..54].iter().all(|n| n.len() == 1));
        assert!(names[54..54 + 54 * 64].iter().all(|n| n.len() == 2));
        assert!(names.iter().all(|n| !n.as_bytes()[0].is_ascii_digit()));
    }
}
