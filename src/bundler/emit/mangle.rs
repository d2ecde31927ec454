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
    let scopes = match program {
        Program::Module(m) => ScopeCollector::of_items(&m.body, unresolved_mark, globals),
        Program::Script(s) => ScopeCollector::of_items(&s.body, unresolved_mark, globals),
    };
    if scopes.observable_names {
        return None;
    }
    timer.done("      scopes");
    let map = names_for(&scopes)?;
    timer.done("      slots");
    Some(map)
}

/// Each binding's new name, by its identifier.
pub type Renames = FxHashMap<Id, Atom>;

/// Rename one top-level item by the map. The printer does this item by item just before it
/// parenthesizes and prints the item, while the item is still in the core's cache: a walk of
/// its own over the whole bundle cost as much again in cache misses.
pub fn apply_renames(item: &mut ModuleItem, renames: &Renames) {
    match item {
        ModuleItem::Stmt(s) => s.visit_mut_with(&mut Rename(renames)),
        // An import or export names bindings in the module's interface too, in forms swc's
        // renamer knows (`export function f` → `function e` and `export { e as f }`).
        ModuleItem::ModuleDecl(_) => item.visit_mut_with(&mut rename(renames)),
    }
}

/// A statement's bindings renamed by the map: every identifier but labels. (swc's renamer
/// does the same, with a check of the stack's depth at every expression.)
struct Rename<'a>(&'a Renames);

impl Rename<'_> {
    fn is_renamed(&self, i: &Ident) -> bool {
        self.0.contains_key(&(i.sym.clone(), i.ctxt))
    }
}

impl VisitMut for Rename<'_> {
    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if let Some(new) = self.0.get(&(i.sym.clone(), i.ctxt)) {
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
    unresolved_mark: Mark,
    scopes: Vec<Scope>,
    current: usize,
    /// The innermost function's scope.
    function: usize,
    ids: FxHashMap<Id, Sym>,
    names: Vec<Id>,
    /// Per identifier: how often it occurs (declaration included), and its scope if a binding.
    uses: Vec<u32>,
    scope_of: Vec<Option<usize>>,
    observable_names: bool,
}

impl ScopeCollector {
    fn new(unresolved_mark: Mark) -> ScopeCollector {
        ScopeCollector {
            unresolved_mark,
            scopes: vec![Scope::default()],
            ..Default::default()
        }
    }

    /// The scopes of a program's top-level items: each item's collected on its own, on all
    /// threads, then joined in order, numbering identifiers and scopes as one walk over the
    /// whole program would (the names given depend on that order).
    fn of_items<T: VisitWith<ScopeCollector> + Sync>(
        items: &[T],
        unresolved_mark: Mark,
        globals: &Globals,
    ) -> ScopeCollector {
        let each: Vec<ScopeCollector> = items
            .par_iter()
            .map(|item| {
                GLOBALS.set(globals, || {
                    let mut c = ScopeCollector::new(unresolved_mark);
                    item.visit_with(&mut c);
                    c
                })
            })
            .collect();
        let mut all = ScopeCollector::new(unresolved_mark);
        for c in each {
            all.join(c);
        }
        all
    }

    /// Add what `next` collected of the next top-level item: its scope 0 is the program's.
    fn join(&mut self, next: ScopeCollector) {
        self.observable_names |= next.observable_names;
        // Its scope k (> 0) becomes scope `offset + k` here.
        let offset = self.scopes.len() - 1;
        let scope_here = |k: usize| if k == 0 { 0 } else { offset + k };
        let sym_here: Vec<Sym> = next
            .names
            .into_iter()
            .zip(next.uses)
            .map(|(id, uses)| {
                let s = match self.ids.entry(id) {
                    std::collections::hash_map::Entry::Occupied(e) => *e.get(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        let s = self.names.len() as Sym;
                        self.names.push(e.key().clone());
                        e.insert(s);
                        self.uses.push(0);
                        self.scope_of.push(None);
                        s
                    }
                };
                self.uses[s as usize] += uses;
                s
            })
            .collect();
        // A binding an earlier item declared keeps that declaration's scope.
        let first: Vec<bool> = next
            .scope_of
            .iter()
            .zip(&sym_here)
            .map(|(scope, &s)| match scope {
                Some(k) if self.scope_of[s as usize].is_none() => {
                    self.scope_of[s as usize] = Some(scope_here(*k));
                    true
                }
                _ => false,
            })
            .collect();
        for (k, scope) in next.scopes.into_iter().enumerate() {
            let bindings = scope
                .bindings
                .iter()
                .filter(|&&b| first[b as usize])
                .map(|&b| sym_here[b as usize]);
            let refs = scope.refs.iter().map(|&r| sym_here[r as usize]);
            if k == 0 {
                self.scopes[0].bindings.extend(bindings);
                self.scopes[0].refs.extend(refs);
            } else {
                self.scopes.push(Scope {
                    parent: scope_here(scope.parent),
                    bindings: bindings.collect(),
                    refs: refs.collect(),
                });
            }
        }
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
        if let Some(&s) = self.ids.get(&(id.sym.clone(), id.ctxt)) {
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

impl Visit for ScopeCollector {
    fn visit_ident(&mut self, i: &Ident) {
        let s = self.sym(i);
        self.uses[s as usize] += 1;
        self.scopes[self.current].refs.push(s);
    }

    fn visit_call_expr(&mut self, c: &CallExpr) {
        if let Callee::Expr(e) = &c.callee
            && let Expr::Ident(i) = &**e
            && &*i.sym == "eval"
        {
            self.observable_names = true;
        }
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
fn names_for(c: &ScopeCollector) -> Option<FxHashMap<Id, Atom>> {
    let renamed: Vec<bool> = c
        .names
        .iter()
        .zip(&c.scope_of)
        .map(|(id, scope)| {
            scope.is_some() && id.1.outer() != c.unresolved_mark && id.1.outer() != Mark::root()
        })
        .collect();
    let free = free_bindings(c, &renamed)?;
    let slot_of = slots(c, &renamed, &free);
    let slot_count = slot_of.iter().flatten().max().map_or(0, |&s| s + 1);
    let mut weight = vec![0u64; slot_count];
    for (sym, slot) in slot_of.iter().enumerate() {
        if let Some(slot) = slot {
            weight[*slot] += u64::from(c.uses[sym]);
        }
    }
    let mut order: Vec<usize> = (0..slot_count).collect();
    order.sort_by_key(|&s| (std::cmp::Reverse(weight[s]), s));

    let kept: FxHashSet<&Atom> = c
        .names
        .iter()
        .zip(&renamed)
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
    Some(
        slot_of
            .iter()
            .enumerate()
            .filter_map(|(sym, slot)| Some((c.names[sym].clone(), name_of_slot[(*slot)?].clone())))
            .collect(),
    )
}

/// Per scope: the bindings of scopes around it that are used in it or in a scope inside it.
/// Scopes are numbered parents first, so one pass from the last collects them bottom up.
fn free_bindings(c: &ScopeCollector, renamed: &[bool]) -> Option<Vec<FxHashSet<Sym>>> {
    let mut free: Vec<FxHashSet<Sym>> = c.scopes.iter().map(|_| FxHashSet::default()).collect();
    for i in (0..c.scopes.len()).rev() {
        let mut set = std::mem::take(&mut free[i]);
        set.extend(c.scopes[i].refs.iter().filter(|&&s| renamed[s as usize]));
        set.retain(|&s| c.scope_of[s as usize] != Some(i));
        if i == 0 {
            // Whatever is left at the top was used outside its scope.
            if !set.is_empty() {
                return None;
            }
        } else {
            free[c.scopes[i].parent].extend(set.iter().copied());
        }
        free[i] = set;
    }
    Some(free)
}

/// Slots, parents first: a scope's bindings take the lowest slots its free bindings do not
/// hold.
fn slots(c: &ScopeCollector, renamed: &[bool], free: &[FxHashSet<Sym>]) -> Vec<Option<usize>> {
    let mut slot_of: Vec<Option<usize>> = vec![None; c.names.len()];
    for (i, scope) in c.scopes.iter().enumerate() {
        let taken: FxHashSet<usize> = free[i]
            .iter()
            .filter_map(|&s| slot_of[s as usize])
            .collect();
        // In the order declared: parameter lists come out alike (`e,t,n`), and slot order is
        // source order, which `names_for` uses.
        let bindings = scope
            .bindings
            .iter()
            .copied()
            .filter(|&s| renamed[s as usize]);
        let mut next = 0;
        for s in bindings {
            while taken.contains(&next) {
                next += 1;
            }
            slot_of[s as usize] = Some(next);
            next += 1;
        }
    }
    slot_of
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
            let mut one_walk = ScopeCollector::new(unresolved);
            program.visit_with(&mut one_walk);
            let joined =
                ScopeCollector::of_items(&program.as_module().unwrap().body, unresolved, &globals);
            assert!(one_walk.scopes.len() > 8 && one_walk.names.len() > 10);
            assert_eq!(joined.scopes, one_walk.scopes);
            assert_eq!(joined.names, one_walk.names);
            assert_eq!(joined.uses, one_walk.uses);
            assert_eq!(joined.scope_of, one_walk.scope_of);
            assert_eq!(joined.ids, one_walk.ids);
        });
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
