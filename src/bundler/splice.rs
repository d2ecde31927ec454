//! One module's edit put into the last bundle without bundling the rest again: the module is
//! linked alone (every import left external) and printed with the names the last bundle gave
//! its bindings, and that text takes the place of the module's text in the last bundle.
//!
//! It is what bundling everything again would write when the edit changes nothing any other
//! module sees, and that is checked, not assumed:
//! - the module before the edit, linked alone and printed with the last bundle's names, is
//!   exactly its text in the last bundle (the names are found by printing it with a marker
//!   for each binding and reading what stands in the last text where each marker is);
//! - the edit keeps its imports, exports and top-level declarations (in order), the imported
//!   bindings it uses (and how: alone, or which members of them) and the names it uses freely:
//!   so every other module is linked, shaken and named as before;
//! - the module is linked as the bundle used it: its exports those of its bindings that the
//!   bundle's other statements mention (recorded by the shake), so it keeps what the bundle
//!   would keep;
//! - it is an ES module whose imports are static and name bindings (no `* as`, no
//!   re-exports, no `require`, `import()` or direct `eval`), of a file with side effects.
//!
//! Where any of that fails the caller bundles again.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use swc_core::atoms::Atom;
use swc_core::common::{GLOBALS, Globals, Mark, SourceMap, SyntaxContext, sync::Lrc};
use swc_core::ecma::ast::{Id, Ident, ImportSpecifier, ModuleDecl, ModuleExportName, ModuleItem};
use swc_core::ecma::visit::{Visit, VisitWith};

use super::emit::{print_named, top_level_bindings};
use super::graph::ModuleGraph;
use super::js::record::{ImportKind, ModuleRecord};
use super::js::{self, Marks};
use super::link::{EntryExports, LinkOptions, link};
use crate::parsing::module_facts::{ExportSource, Imported};
use crate::resolve::{Loader, Options, Resolver};

/// The last bundle and one module's edit.
pub struct Edit<'a> {
    /// The last bundle's text, and where the module's statements are in it.
    pub bundle: &'a str,
    pub section: (usize, usize),
    pub path: &'a Path,
    /// Its top-level bindings (by name) that the bundle's other statements mention: what the
    /// other modules use it for.
    pub inbound: &'a [String],
    /// The module's source as the last bundle was made from it, and as it is now.
    pub before: &'a str,
    pub after: &'a str,
}

/// The bundle with the edited module's statements made from its source now: what bundling
/// everything again with `options` and `link` would write; also the length of the module's
/// statements' text in it. None when that is not known this way (see the module's comment).
pub fn splice(edit: &Edit, options: &Options, link: &LinkOptions) -> Option<(String, usize)> {
    if edit.before.contains(MARKER) || edit.after.contains(MARKER) {
        return None;
    }
    let last = edit.bundle.get(edit.section.0..edit.section.1)?;
    // Linked for what the other modules use it for: the bundle keeps what that reaches.
    let used = EntryExports::Used(edit.inbound.iter().map(|n| n.as_str().into()).collect());
    let resolver = Resolver::new(options);
    let before = Alone::link(edit.path, edit.before, &resolver, link, &used)?;
    let after = Alone::link(edit.path, edit.after, &resolver, link, &used)?;
    if before.interface != after.interface
        || before.own != after.own
        || before.imported != after.imported
    {
        return None;
    }
    // The last bundle's names: each binding printed as a marker of its key, read back.
    let none = Default::default();
    let index_of = |key: &Key| before.order.iter().position(|k| k == key);
    let (marked, free_before) = before.print(&none, |key| Some(marker(index_of(key)?)))?;
    let found = names_at_markers(&marked, last, before.order.len())?;
    let keyed = |k: usize| before.order.get(k).cloned();
    // A member read that is not an import's is left as it is: the check below then fails.
    let names: FxHashMap<Key, Atom> = (found.names.into_iter().enumerate())
        .filter_map(|(k, name)| Some((keyed(k)?, name?)))
        .chain(
            (found.members.into_iter()).filter_map(|((k, prop), name)| match keyed(k)? {
                Key::Import(from, imported) => Some((Key::Member(from, imported, prop), name)),
                _ => None,
            }),
        )
        .collect();
    let members: BTreeSet<Key> = (names.keys())
        .filter(|k| matches!(k, Key::Member(..)))
        .cloned()
        .collect();
    // A binding no statement names (an unused import) is printed nowhere: its marker serves.
    let name_of = |key: &Key| {
        names
            .get(key)
            .cloned()
            .or_else(|| Some(marker(index_of(key)?)))
    };
    let (again, _) = before.print(&members, name_of)?;
    if again != last {
        return None;
    }
    let (text, free_after) = after.print(&members, name_of)?;
    if free_after != free_before {
        return None;
    }
    let mut out = String::with_capacity(edit.bundle.len() - last.len() + text.len());
    out.push_str(&edit.bundle[..edit.section.0]);
    out.push_str(&text);
    out.push_str(&edit.bundle[edit.section.1..]);
    Some((out, text.len()))
}

/// What stands for binding `k` while the last bundle's names are read.
const MARKER: &str = "__edgespark_splice_";

fn marker(k: usize) -> Atom {
    format!("{MARKER}{k}__").into()
}

/// What stands in the last text where the marked one has markers.
#[derive(Debug, PartialEq)]
struct Found {
    /// Each binding's name (None: not printed).
    names: Vec<Option<Atom>>,
    /// Where the marked text has `marker.prop` and the last text a name alone: the imported
    /// binding is a namespace, and the bundle has its member's own binding there.
    members: FxHashMap<(usize, Atom), Atom>,
}

/// What stands in `last` where `marked` has each binding's marker, when `last` is `marked`
/// with a name for each marker (and for each `marker.prop` that the bundle names alone), the
/// same name every time.
fn names_at_markers(marked: &str, last: &str, bindings: usize) -> Option<Found> {
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let name_len = |s: &str| s.find(|c: char| !is_name(c)).unwrap_or(s.len());
    let mut found = Found {
        names: vec![None; bindings],
        members: FxHashMap::default(),
    };
    let (mut text, mut rest) = (marked, last);
    while let Some(at) = text.find(MARKER) {
        rest = rest.strip_prefix(&text[..at])?;
        let after = &text[at + MARKER.len()..];
        let digits = after.find(|c: char| !c.is_ascii_digit())?;
        let k: usize = after[..digits].parse().ok()?;
        text = after[digits..].strip_prefix("__")?;
        let len = name_len(rest);
        let name = Atom::from(rest.get(..len).filter(|n| !n.is_empty())?);
        rest = &rest[len..];
        // `marker.prop` where the last text goes on otherwise: a namespace's member.
        let member = text.strip_prefix('.').map(|p| &p[..name_len(p)]);
        // The last text going on with the same `.prop`: the binding's own member read.
        let read_alike = |prop: &str| {
            (rest.strip_prefix('.').and_then(|r| r.strip_prefix(prop)))
                .is_some_and(|r| !r.starts_with(is_name))
        };
        let slot = match member {
            Some(prop) if !prop.is_empty() && !read_alike(prop) => {
                text = &text[1 + prop.len()..];
                found
                    .members
                    .entry((k, prop.into()))
                    .or_insert(name.clone())
            }
            _ => found.names.get_mut(k)?.get_or_insert(name.clone()),
        };
        if *slot != name {
            return None;
        }
    }
    (rest == text).then_some(found)
}

/// What a top-level binding of a module linked alone is, whatever its syntax context.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Key {
    /// Declared by the module, by this name.
    Own(Atom),
    /// Imported from this specifier by this name.
    Import(String, Atom),
    /// A member read of such an import (`z.object`): an imported namespace's member is the
    /// binding it names in the bundle.
    Member(String, Atom, Atom),
}

/// A module linked alone, as the entry of a bundle whose every import is external.
struct Alone {
    cm: Lrc<SourceMap>,
    globals: Arc<Globals>,
    /// The bundle's statements: the external imports, the module's statements, its exports.
    items: Vec<ModuleItem>,
    /// Each top-level binding's key, and the keys in the order of their bindings.
    keys: FxHashMap<Id, Key>,
    order: Vec<Key>,
    /// Its imports and exports, in words.
    interface: String,
    /// The names it declares at the top level, in order (the bundle names clashing ones in
    /// the order it meets them).
    own: Vec<Atom>,
    /// How its statements use each imported binding: alone, or a member of it (by name).
    imported: BTreeSet<(Key, Option<Atom>)>,
    /// Each import's binding.
    imports: FxHashMap<Id, Key>,
}

impl Alone {
    /// The module at `path` with source `text`, linked alone, the bundle's exports those of
    /// `exports`; None where a splice does not apply.
    fn link(
        path: &Path,
        text: &str,
        resolver: &Resolver,
        link_options: &LinkOptions,
        exports: &EntryExports,
    ) -> Option<Alone> {
        let loader = resolver.loader_for(path);
        if !matches!(loader, Loader::Ts | Loader::Tsx | Loader::Js | Loader::Jsx) {
            return None;
        }
        let transforms = super::graph::transforms_for(path, resolver).ok()?;
        let file = resolver.resolve_entry(path).ok()?;
        if !file.side_effects || file.disabled {
            return None;
        }
        let globals = Arc::new(Globals::new());
        let cm: Lrc<SourceMap> = Default::default();
        GLOBALS.set(&globals.clone(), || {
            let marks = Marks {
                unresolved: Mark::new(),
                linker: Mark::new(),
                helpers: Mark::new(),
            };
            // As the scan reads a file: without a byte order mark.
            let text = text.strip_prefix('\u{feff}').unwrap_or(text).to_string();
            let parsed =
                js::parse(&cm, path, text, loader, marks, Mark::new(), &transforms).ok()?;
            let interface = interface(&parsed.record)?;
            let top = SyntaxContext::empty().apply_mark(parsed.top_level_mark);
            let pure = parsed.pure_annotations.iter().copied().collect();
            let mut graph = ModuleGraph::of_one(cm.clone(), globals.clone(), marks, parsed, file);
            let bodies = graph.take_bodies();
            let link_options = LinkOptions {
                format: link_options.format,
                defines: link_options.defines.clone(),
                entry_exports: exports.clone(),
            };
            let items = link(&graph, bodies, 0, &link_options, &pure)
                .ok()?
                .module
                .body;
            let mut imports: FxHashMap<Id, Key> = FxHashMap::default();
            for item in &items {
                if let ModuleItem::ModuleDecl(ModuleDecl::Import(i)) = item {
                    let from = i.src.value.to_string_lossy().into_owned();
                    for s in &i.specifiers {
                        let (local, name) = match s {
                            ImportSpecifier::Named(n) => match &n.imported {
                                Some(ModuleExportName::Ident(i)) => (&n.local, i.sym.clone()),
                                Some(ModuleExportName::Str(s)) => {
                                    (&n.local, s.value.to_string_lossy().as_ref().into())
                                }
                                None => (&n.local, n.local.sym.clone()),
                            },
                            ImportSpecifier::Default(d) => (&d.local, "default".into()),
                            ImportSpecifier::Namespace(_) => return None,
                        };
                        imports.insert(local.to_id(), Key::Import(from.clone(), name));
                    }
                }
            }
            let mut keys = FxHashMap::default();
            let mut order = vec![];
            let mut own = vec![];
            for id in top_level_bindings(&items) {
                let key = if id.1 == top {
                    own.push(id.0.clone());
                    Key::Own(id.0.clone())
                } else {
                    // A name the linker made (not an import's): not kept by the edit's check.
                    imports.get(&id)?.clone()
                };
                order.push(key.clone());
                keys.insert(id, key);
            }
            let mut used = Used {
                imports: &imports,
                shapes: BTreeSet::new(),
            };
            for item in &items {
                if let ModuleItem::Stmt(s) = item {
                    s.visit_with(&mut used);
                }
            }
            let imported = used.shapes;
            Some(Alone {
                cm,
                globals,
                items,
                keys,
                order,
                interface,
                own,
                imported,
                imports,
            })
        })
    }

    /// Its statements' text with each binding named by `name_of` its key, and the names they
    /// use freely. A read of an imported namespace's member (`z.object`, its key among
    /// `members`) is the member's own binding, named as such.
    fn print(
        &self,
        members: &BTreeSet<Key>,
        name_of: impl Fn(&Key) -> Option<Atom>,
    ) -> Option<(String, rustc_hash::FxHashSet<Atom>)> {
        GLOBALS.set(&self.globals, || {
            let mut items = self.items.clone();
            let mut keys = self.keys.clone();
            members_as_bindings(&mut items, &self.imports, members, &mut keys);
            print_named(&self.cm, &self.globals, items, |id| name_of(keys.get(id)?))
                .ok()
                .flatten()
        })
    }
}

/// Each read `ns.prop` of an import whose member `Key::Member` is among `members` made an
/// identifier of its own, keyed so in `keys` and declared by an import the printer leaves out.
fn members_as_bindings(
    items: &mut Vec<ModuleItem>,
    imports: &FxHashMap<Id, Key>,
    members: &BTreeSet<Key>,
    keys: &mut FxHashMap<Id, Key>,
) {
    use swc_core::ecma::ast::{
        Expr, ImportDecl, ImportNamedSpecifier, ImportPhase, MemberExpr, MemberProp, Str,
    };
    use swc_core::ecma::visit::{VisitMut, VisitMutWith};
    struct Members<'a> {
        imports: &'a FxHashMap<Id, Key>,
        members: &'a BTreeSet<Key>,
        made: std::collections::BTreeMap<Key, Ident>,
    }
    impl VisitMut for Members<'_> {
        fn visit_mut_expr(&mut self, e: &mut Expr) {
            if let Expr::Member(MemberExpr {
                obj,
                prop: MemberProp::Ident(prop),
                span,
            }) = e
                && let Expr::Ident(ns) = &**obj
                && let Some(Key::Import(from, name)) = self.imports.get(&ns.to_id())
            {
                let key = Key::Member(from.clone(), name.clone(), prop.sym.clone());
                if self.members.contains(&key) {
                    let made = self.made.entry(key).or_insert_with(|| {
                        let ctxt = SyntaxContext::empty().apply_mark(Mark::new());
                        Ident::new(prop.sym.clone(), *span, ctxt)
                    });
                    *e = Expr::Ident(Ident::new(made.sym.clone(), *span, made.ctxt));
                    return;
                }
            }
            e.visit_mut_children_with(self);
        }
    }
    if members.is_empty() {
        return;
    }
    let mut rewrite = Members {
        imports,
        members,
        made: Default::default(),
    };
    for item in items.iter_mut() {
        if let ModuleItem::Stmt(s) = item {
            s.visit_mut_with(&mut rewrite);
        }
    }
    for (key, local) in rewrite.made {
        keys.insert(local.to_id(), key);
        items.push(ModuleItem::ModuleDecl(ModuleDecl::Import(ImportDecl {
            span: Default::default(),
            specifiers: vec![ImportSpecifier::Named(ImportNamedSpecifier {
                span: Default::default(),
                local,
                imported: None,
                is_type_only: false,
            })],
            src: Box::new(Str::from("")),
            type_only: false,
            with: None,
            phase: ImportPhase::default(),
        })));
    }
}

/// How statements use imported bindings: each alone, or each member read of it (`ns.prop`).
struct Used<'a> {
    imports: &'a FxHashMap<Id, Key>,
    shapes: BTreeSet<(Key, Option<Atom>)>,
}

impl Visit for Used<'_> {
    fn visit_expr(&mut self, e: &swc_core::ecma::ast::Expr) {
        use swc_core::ecma::ast::{Expr, MemberExpr, MemberProp};
        if let Expr::Member(MemberExpr {
            obj,
            prop: MemberProp::Ident(prop),
            ..
        }) = e
            && let Expr::Ident(ns) = &**obj
            && let Some(key) = self.imports.get(&ns.to_id())
        {
            self.shapes.insert((key.clone(), Some(prop.sym.clone())));
            return;
        }
        e.visit_children_with(self);
    }

    fn visit_ident(&mut self, i: &Ident) {
        if let Some(key) = self.imports.get(&i.to_id()) {
            self.shapes.insert((key.clone(), None));
        }
    }
}

/// A module's imports and exports in words, when they are what a splice keeps track of: an ES
/// module whose imports are static and name bindings, which re-exports nothing and calls no
/// `eval`.
fn interface(r: &ModuleRecord) -> Option<String> {
    let f = &r.facts;
    let simple = r.is_esm
        && !r.is_commonjs
        && r.direct_eval_at.is_none()
        && r.json_keys.is_none()
        && f.stars.is_empty()
        && r.imports.iter().all(|i| i.kind == ImportKind::Static);
    if !simple {
        return None;
    }
    let mut words = String::new();
    for i in &r.imports {
        let _ = write!(words, "import {:?};", i.specifier);
    }
    for i in &f.imports {
        let _ = write!(words, "from {:?} {}:", i.from, i.type_only);
        for b in &i.bindings {
            if b.imported == Imported::Namespace {
                return None;
            }
            let _ = write!(words, " {} {:?} {}", b.local.0, b.imported, b.type_only);
        }
        words.push(';');
    }
    for e in &f.exports {
        let local = match &e.source {
            ExportSource::Local(id) => id.0.as_str(),
            ExportSource::Anonymous => "",
            ExportSource::From { .. } => return None,
        };
        let _ = write!(words, "export {:?} {local} {};", e.exported, e.type_only);
    }
    let _ = write!(words, "await {}", r.has_top_level_await);
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_where_the_markers_stand() {
        let (m0, m1, m2) = (marker(0), marker(1), marker(2));
        let marked = format!("const {m0} = {m1}(1);\n{m1}({m0});\n{m2}.object({m2}.id);\n");
        let last = "const r0$1 = Hono(1);\nHono(r0$1);\nobject(z.id);\n";
        let found = names_at_markers(&marked, last, 3).unwrap();
        assert_eq!(
            found.names,
            [Some("r0$1".into()), Some("Hono".into()), Some("z".into())]
        );
        let object = ((2, "object".into()), "object".into());
        assert_eq!(found.members.into_iter().collect::<Vec<_>>(), [object]);
        // One marker, two names; text around the markers that differs.
        let marked = format!("const {m0} = {m1}(1);\n{m1}({m0});\n");
        assert_eq!(
            names_at_markers(&marked, "const a = b(1);\nb(c);\n", 2),
            None
        );
        assert_eq!(
            names_at_markers(&marked, "const a = b(2);\nb(a);\n", 2),
            None
        );
        assert_eq!(
            names_at_markers(&marked, "const a = b(1);\nb(a);\nmore", 2),
            None
        );
    }
}
