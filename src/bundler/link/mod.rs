//! The link stage: the module graph → one ES module. ES modules are scope-hoisted (their
//! top-level code is concatenated in evaluation order and imports become direct references to
//! the exporting module's bindings); CommonJS modules are wrapped in lazy `__commonJS` functions
//! and imported through `__toESM`; external imports stay imports. Name collisions are settled
//! afterwards, once, by SWC's hygiene pass (every module's top level has its own context).

mod ast;
mod commonjs;
mod define;
mod entry;
mod esm;
mod exports;
mod externals;
mod lazy;
mod names;
mod namespaces;
mod rewrite;
mod runtime;
mod shake;

use ast::*;
use namespaces::{namespaces_in_place, with_namespaces_before};
use rewrite::Rewrite;

use shake::{Part, PartKind, Purity};

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

use anyhow::{Result, anyhow};
use indexmap::IndexMap;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::{BytePos, DUMMY_SP, FileName, GLOBALS, Mark, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::parser::{EsSyntax, Syntax};
use swc_core::ecma::transforms::base::resolver;
use swc_core::ecma::visit::{Visit, VisitMut, VisitMutWith, VisitWith};

use crate::bundler::graph::{ModuleGraph, ModuleId, Target};
use crate::bundler::js::record::{ImportKind, string_arg};
use crate::parsing::module_facts::ExportSource;

/// The bundle's module format, as esbuild's `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Esm,
    Cjs,
    Iife,
}

pub struct LinkOptions {
    pub format: Format,
    /// `--define K=V` pairs.
    pub defines: Vec<String>,
    /// Which of the entry's exports are the bundle's.
    pub entry_exports: EntryExports,
}

/// Which of the entry's exports are the bundle's (kept, and exported).
#[derive(Debug, Clone, PartialEq)]
pub enum EntryExports {
    All,
    /// Those whose binding in the entry has one of these names: a module linked alone for a
    /// bundle it is part of, whose other modules use these (`Linked::inbound`).
    Used(Vec<Atom>),
}

/// Where a name a module exports finally lives.
#[derive(Debug, Clone, PartialEq)]
enum Binding {
    /// A top-level binding of an ES module.
    Local(Id),
    /// The namespace object of an ES module.
    Namespace(ModuleId),
    /// A property of a CommonJS module's exports (`None`: the whole `__toESM` object).
    CommonJs(ModuleId, Option<String>),
    /// A name imported from an external module (`None`: its namespace).
    External(String, Option<String>),
}

/// A module's own export statements, before `export *` is followed.
#[derive(Default)]
struct Exports {
    /// name → what it refers to in this module (a local, or an import to chase).
    named: IndexMap<String, Source>,
    stars: Vec<Target>,
}

#[derive(Debug, Clone)]
enum Source {
    Local(Id),
    Import(Target, Option<String>),
}

pub struct Linker<'g> {
    g: &'g ModuleGraph,
    /// Per module, its statements when they were moved out of the graph (one bundle from it:
    /// no copy needed); empty when the graph keeps them and each bundle takes a copy.
    bodies: Vec<Option<Vec<ModuleItem>>>,
    exports: Vec<Exports>,
    /// Per module: local import binding → (target, imported name; None for `* as`).
    imports: Vec<HashMap<Id, (Target, Option<String>)>>,
    /// Context of the names the linker makes while binding imports (`import_x`, externals'
    /// locals); `taken` keeps them apart.
    ctxt: SyntaxContext,
    helper_mark: Mark,
    helper_ctxt: SyntaxContext,
    /// Per module: the context of the names the linker gives its wrapper, namespace object and
    /// init function, unique by it (so they need no shared counter; code that uses them is
    /// rewritten on several threads).
    module_ctxts: Vec<SyntaxContext>,
    needs: Mutex<Needs>,
    taken: HashSet<String>,
    /// Per base name, the suffix `name` tries first.
    next_suffix: HashMap<String, u32>,
    external_names: IndexMap<(String, Option<String>), Id>,
    /// Per module: an ES module run on demand (see lazy.rs).
    lazy: Vec<bool>,
    format: Format,
    defines: define::Defines,
    unresolved: SyntaxContext,
    /// Per module: the context of its top level.
    top_ctxts: Vec<SyntaxContext>,
    /// Every context a top-level binding of the bundle may have: the modules' top levels, the
    /// names the linker makes, the helpers'. See `Rewrite::mentioned`.
    binding_contexts: FxHashSet<SyntaxContext>,
}

/// What the linked code uses that the linker makes: helpers, CommonJS wrappers, namespace
/// objects. Sets: the order they are asked for in does not matter.
#[derive(Default)]
struct Needs {
    helpers: BTreeSet<&'static str>,
    wrappers: BTreeSet<ModuleId>,
    namespaces: BTreeSet<ModuleId>,
}

/// What goes at a module's place in the evaluation order.
enum InOrder {
    /// An ES module's code.
    Esm(Prepared),
    /// A CommonJS module that ES modules import: `require_x()`, run where Node would run it.
    RunCommonJs(ModuleId),
}

/// A module's imports resolved and its export syntax removed: ready to bind (`esm_bind`).
struct Resolved {
    id: ModuleId,
    /// Each import's local binding and what it refers to, sorted by name.
    bindings: Vec<(Id, Binding)>,
    /// Statements kept or dropped together (a declaration and the call naming it).
    groups: Vec<Vec<ModuleItem>>,
}

/// A module's code ready to be rewritten: its imports bound, its export syntax removed.
struct Prepared {
    id: ModuleId,
    replace: FxHashMap<Id, Box<Expr>>,
    namespaces: FxHashMap<Id, ModuleId>,
    /// `var import_x = __toESM(require_x())` per CommonJS module it imports.
    interop: Vec<ModuleItem>,
    /// Statements kept or dropped together (a declaration and the call naming it).
    groups: Vec<Vec<ModuleItem>>,
}

pub(crate) fn stem(path: &std::path::Path) -> String {
    let s = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("module");
    let s = if s == "index" {
        path.parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            .unwrap_or(s)
    } else {
        s
    };
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

// The arguments come as the boxed expressions the linker builds everywhere.

impl<'g> Linker<'g> {
    fn new(
        g: &'g ModuleGraph,
        bodies: Vec<Vec<ModuleItem>>,
        o: &LinkOptions,
    ) -> Result<Linker<'g>> {
        let unresolved = SyntaxContext::empty().apply_mark(g.marks.unresolved);
        let defines = define::Defines::parse(&g.cm, &o.defines, unresolved)?;
        let (ctxt, helper_mark, module_ctxts, top_ctxts) = GLOBALS.set(&g.globals, || {
            let of = |mark| SyntaxContext::empty().apply_mark(mark);
            let module_ctxts: Vec<SyntaxContext> =
                g.modules.iter().map(|m| of(m.link_mark)).collect();
            let top_ctxts: Vec<SyntaxContext> =
                g.modules.iter().map(|m| of(m.top_level_mark)).collect();
            (of(g.marks.linker), g.marks.helpers, module_ctxts, top_ctxts)
        });
        let helper_ctxt = SyntaxContext::empty().apply_mark(helper_mark);
        let binding_contexts = (top_ctxts.iter().copied())
            .chain(module_ctxts.iter().copied())
            .chain([ctxt, helper_ctxt])
            .collect();
        let mut l = Linker {
            g,
            bodies: bodies.into_iter().map(Some).collect(),
            exports: vec![],
            imports: vec![],
            ctxt,
            helper_mark,
            helper_ctxt,
            module_ctxts,
            needs: Mutex::new(Needs::default()),
            taken: HashSet::new(),
            next_suffix: HashMap::new(),
            external_names: IndexMap::new(),
            lazy: vec![],
            format: o.format,
            defines,
            unresolved,
            top_ctxts,
            binding_contexts,
        };
        let scanned: Vec<_> = (0..g.modules.len())
            .into_par_iter()
            .map(|id| GLOBALS.set(&g.globals, || l.scan_module(id)))
            .collect();
        (l.exports, l.imports) = scanned.into_iter().unzip();
        Ok(l)
    }

    /// A module's statements if they were moved out of the graph (taken once); None when the
    /// graph keeps them.
    fn moved_body(&mut self, id: ModuleId) -> Option<Vec<ModuleItem>> {
        let body = self.bodies.get_mut(id)?;
        Some(body.take().expect("each module is linked once"))
    }

    /// A module's statements, to be linked into the bundle (once).
    fn take_body(&mut self, id: ModuleId) -> Vec<ModuleItem> {
        match self.bodies.get_mut(id) {
            Some(body) => body.take().expect("each module is linked once"),
            None => self.g.modules[id].ast.body.clone(),
        }
    }

    fn top_ctxt(&self, id: ModuleId) -> SyntaxContext {
        self.top_ctxts[id]
    }

    fn is_commonjs(&self, id: ModuleId) -> bool {
        let r = &self.g.modules[id].record;
        r.is_commonjs && !r.is_esm
    }

    fn needs(&self) -> std::sync::MutexGuard<'_, Needs> {
        self.needs.lock().expect("no thread panics holding it")
    }

    fn helper(&self, name: &'static str) -> Box<Expr> {
        debug_assert!(runtime::is_helper(name));
        self.needs().helpers.insert(name);
        Box::new(Expr::Ident(Ident::new(
            name.into(),
            DUMMY_SP,
            self.helper_ctxt,
        )))
    }

    /// The target of the import record of `module` with this specifier and kind.
    fn target(&self, module: ModuleId, specifier: &str, kind: ImportKind) -> Target {
        self.g
            .import_target(module, specifier, kind)
            .cloned()
            .expect("every import was recorded and resolved")
    }
}

/// Link the graph into one ES module: runtime helpers, external imports, CommonJS wrappers,
/// namespace objects, then every ES module's code in evaluation order, then the entry's exports.
/// `pure_annotations`: where the sources' `/* @__PURE__ */` comments are (see js::parse).
/// `bodies`: the modules' statements if moved out of the graph, else empty (copies are made).
pub fn link(
    g: &ModuleGraph,
    bodies: Vec<Vec<ModuleItem>>,
    entry: ModuleId,
    o: &LinkOptions,
    pure_annotations: &FxHashSet<BytePos>,
) -> Result<Linked> {
    let t = crate::timing::StageTimer::from_env();
    let mut l = Linker::new(g, bodies, o)?;
    t.done("  exports");
    let order = g.evaluation_order(entry);
    let eager = g.statically_loaded(entry);
    if o.format != Format::Esm
        && let Some(m) = order
            .iter()
            .find(|&&m| eager[m] && g.modules[m].record.has_top_level_await)
    {
        let message = format!(
            "Top-level await is not supported with the \"{}\" output format",
            format!("{:?}", o.format).to_lowercase()
        );
        let module = &g.modules[*m];
        let mut d =
            crate::diagnostic::Diagnostic::error(message).with_code("bundle/top-level-await");
        if let Some(span) = module.record.top_level_await_at {
            let at = g.cm.lookup_char_pos(span.lo);
            d = d.at(&module.path, at.line, at.col_display + 1);
        } else {
            d = d.at(&module.path, 1, 1);
        }
        return Err(d.into());
    }
    l.lazy = l.lazy_modules(entry, &eager);
    // A CommonJS module that ES modules import runs where Node would run it: at its place in
    // the evaluation order (lazy modules run theirs from their init functions).
    let imported_statically: HashSet<ModuleId> = order
        .iter()
        .filter(|&&i| eager[i])
        .flat_map(|&i| g.modules[i].record.imports.iter().zip(&g.targets[i]))
        .filter_map(|(r, t)| match (r.kind, t) {
            (ImportKind::Static, Target::Module(m)) => Some(*m),
            _ => None,
        })
        .collect();
    // Imports are resolved on all threads, then bound in order (the names made for them count
    // up); the code is then rewritten on all threads, and the parts put in order.
    let mut esm: Vec<(ModuleId, Option<Vec<ModuleItem>>)> = vec![];
    for &id in &order {
        if !l.is_commonjs(id) {
            esm.push((id, l.moved_body(id)));
        }
    }
    let mut resolved = esm
        .into_par_iter()
        .map(|(id, body)| GLOBALS.set(&g.globals, || l.esm_resolve(id, body)))
        .collect::<Vec<_>>()
        .into_iter();
    let mut prepared = vec![];
    for &id in &order {
        if !l.is_commonjs(id) {
            let r = resolved.next().expect("one per ES module, in order")?;
            prepared.push(InOrder::Esm(l.esm_bind(r)));
        } else if imported_statically.contains(&id) {
            prepared.push(InOrder::RunCommonJs(id));
        }
    }
    let rewritten: Vec<(ModuleId, Result<Vec<Part>>)> = prepared
        .into_par_iter()
        .map(|p| match p {
            InOrder::Esm(p) => (p.id, GLOBALS.set(&g.globals, || l.esm_parts(p))),
            InOrder::RunCommonJs(id) => {
                let run = ModuleItem::Stmt(Stmt::Expr(ExprStmt {
                    span: DUMMY_SP,
                    expr: call(expr_ident(&l.require_name(id)), vec![]),
                }));
                (id, Ok(vec![Part::new(Some(id), PartKind::Code, vec![run])]))
            }
        })
        .collect();
    let mut code = vec![];
    let mut lazy = vec![];
    for (id, parts) in rewritten {
        if l.is_lazy(id) {
            lazy.extend(l.lazy_parts(id, parts?));
            // Loaded statically too: it runs at its place in the order unless required before.
            if eager[id] {
                let run = ModuleItem::Stmt(Stmt::Expr(ExprStmt {
                    span: DUMMY_SP,
                    expr: l.run_init(id),
                }));
                code.push(Part::new(Some(id), PartKind::Code, vec![run]));
            }
        } else {
            code.extend(parts?);
        }
    }
    t.done("  rewrite");
    let mut exports = l.entry_exports(entry)?;
    if let EntryExports::Used(names) = &o.entry_exports {
        exports_only(&mut exports, names);
    }
    // Wrappers and namespaces can be asked for while other code is produced; make them last,
    // until no new one appears.
    let mut wrappers = vec![];
    let mut done_wrappers = HashSet::new();
    let mut namespaces = vec![];
    let mut done_namespaces = HashSet::new();
    // Every CommonJS module the entry reaches is wrapped (it may be required from another wrapper).
    for id in g.reachable(entry) {
        if l.is_commonjs(id) {
            l.require_name(id);
        }
    }
    loop {
        let (pending_w, pending_n): (Vec<ModuleId>, Vec<ModuleId>) = {
            let needs = l.needs();
            (
                needs
                    .wrappers
                    .iter()
                    .copied()
                    .filter(|m| !done_wrappers.contains(m))
                    .collect(),
                needs
                    .namespaces
                    .iter()
                    .copied()
                    .filter(|m| !done_namespaces.contains(m))
                    .collect(),
            )
        };
        if pending_w.is_empty() && pending_n.is_empty() {
            break;
        }
        for m in pending_w {
            done_wrappers.insert(m);
            wrappers.push((m, l.commonjs_wrapper(m)?));
        }
        for m in pending_n {
            done_namespaces.insert(m);
            let name = l.namespace_name(m);
            namespaces.push((m, l.namespace_object(m, &name)?));
        }
    }
    wrappers.sort_by_key(|(m, _)| *m);
    namespaces.sort_by_key(|(m, _)| *m);
    // External imports first: in CommonJS and IIFE output they use a helper.
    let external_imports = l.external_imports();
    let mut parts: Vec<Part> = runtime_items(&l)?
        .into_iter()
        .map(|i| Part::new(None, PartKind::Linker, vec![i]))
        .collect();
    parts.extend(
        external_imports
            .into_iter()
            .map(|i| Part::new(None, PartKind::Root, vec![i])),
    );
    parts.extend(
        wrappers
            .into_iter()
            .map(|(m, w)| Part::new(Some(m), PartKind::Linker, vec![w])),
    );
    let in_place = namespaces_in_place(g, &l, &order, entry);
    let (before_code, mut at_top): (Vec<_>, Vec<_>) = namespaces
        .into_iter()
        .partition(|(m, _)| in_place.contains(m));
    let code = with_namespaces_before(code, before_code, &mut at_top);
    at_top.sort_by_key(|(m, _)| *m);
    parts.extend(
        at_top
            .into_iter()
            .map(|(m, n)| Part::new(Some(m), PartKind::Linker, n)),
    );
    parts.extend(lazy);
    parts.extend(code);
    parts.extend(
        exports
            .into_iter()
            .map(|i| Part::new(None, PartKind::Root, vec![i])),
    );
    t.done("  wrappers + ns");
    let purity = Purity {
        unresolved: l.unresolved,
        annotated: pure_annotations,
        helpers: l.helper_ctxt,
    };
    let module_of: FxHashMap<SyntaxContext, ModuleId> = (l.top_ctxts.iter().enumerate())
        .map(|(m, c)| (*c, m))
        .collect();
    let shake::Shaken {
        items: mut kept,
        inbound,
    } = shake::shake(
        parts,
        &l.binding_contexts,
        |m| !g.files[m].side_effects,
        |m| g.modules[m].record.direct_eval_at.is_some(),
        &purity,
        &module_of,
    );
    t.done("  shake");
    // Imports first, as ES modules hoist them anyway.
    kept.sort_by_key(|(_, i)| !matches!(i, ModuleItem::ModuleDecl(ModuleDecl::Import(_))));
    let (mut modules, mut body): (Vec<Option<ModuleId>>, Vec<ModuleItem>) =
        kept.into_iter().unzip();
    if o.format == Format::Iife {
        body = vec![iife(body)];
        modules = vec![None];
    }
    Ok(Linked {
        module: Module {
            span: DUMMY_SP,
            body,
            shebang: None,
        },
        modules,
        inbound,
    })
}

/// The linked bundle, and the module each of its statements comes from (None: made by the
/// linker for the whole bundle, as its helpers and external imports).
pub struct Linked {
    pub module: Module,
    pub modules: Vec<Option<ModuleId>>,
    /// Per module, its top-level bindings (by name) that the kept statements of other modules,
    /// or the bundle's exports, mention.
    pub inbound: FxHashMap<ModuleId, FxHashSet<Atom>>,
}

/// Of the entry's `export { ... }`, only the exports of bindings named in `names`.
fn exports_only(exports: &mut Vec<ModuleItem>, names: &[Atom]) {
    for item in exports.iter_mut() {
        if let ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(e)) = item {
            e.specifiers.retain(|s| {
                matches!(s, ExportSpecifier::Named(ExportNamedSpecifier {
                    orig: ModuleExportName::Ident(i), ..
                }) if names.contains(&i.sym))
            });
        }
    }
    exports.retain(|i| {
        !matches!(i, ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(e)) if e.specifiers.is_empty())
    });
}

fn runtime_items(l: &Linker) -> Result<Vec<ModuleItem>> {
    let helpers = std::mem::take(&mut l.needs().helpers);
    if helpers.is_empty() {
        return Ok(vec![]);
    }
    let src = runtime::source(&helpers);
    let name = FileName::Custom("edgespark:runtime".into());
    let m = crate::bundler::js::parse_snippet(&l.g.cm, name, src, Syntax::Es(EsSyntax::default()))
        .map_err(|e| anyhow!("runtime helpers do not parse: {:?}", e.kind()))?;
    // The helpers' declarations must carry the context the linker's references use.
    let m = GLOBALS.set(&l.g.globals, || {
        Program::Module(m).apply(resolver(l.g.marks.unresolved, l.helper_mark, false))
    });
    Ok(m.expect_module().body)
}
