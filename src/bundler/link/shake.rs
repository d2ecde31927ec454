//! Tree shaking, per top-level statement, on the linked program. Imports are already direct
//! references to the exporting module's declarations, so one reference graph over every
//! statement of the bundle decides what is kept: the entry's exports, every statement that may
//! have side effects (in a module whose package does not declare itself free of them), and
//! everything those reach. A module marked `"sideEffects": false` contributes its effectful
//! statements only once something it declares is used.

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use swc_core::atoms::Atom;
use swc_core::common::{BytePos, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

use crate::bundler::graph::ModuleId;
use crate::bundler::ids::{IdMap, IdRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// Always kept: the bundle's imports of externals and its exports.
    Root,
    /// Made by the linker (helpers, wrappers, namespace objects, interop variables): kept only
    /// when referenced.
    Linker,
    /// A module's own statement: kept when referenced or when it may have side effects.
    Code,
}

/// Statements kept or dropped together.
pub struct Part {
    pub module: Option<ModuleId>,
    pub kind: PartKind,
    pub items: Vec<ModuleItem>,
    /// Other modules it uses without naming their declarations (it reads their re-exports).
    pub uses: Vec<ModuleId>,
    /// The identifiers its items hold in the contexts given to `shake`, noted as they were
    /// rewritten; None: its items are walked for them.
    pub mentions: Option<Vec<Id>>,
}

impl Part {
    pub fn new(module: Option<ModuleId>, kind: PartKind, items: Vec<ModuleItem>) -> Part {
        Part {
            module,
            kind,
            items,
            uses: vec![],
            mentions: None,
        }
    }
}

/// What decides whether an expression may have side effects.
pub struct Purity<'a> {
    /// The context of identifiers no module declares (globals).
    pub unresolved: SyntaxContext,
    /// Positions annotated `/* @__PURE__ */`.
    pub annotated: &'a FxHashSet<BytePos>,
    /// The context of the runtime helpers' names.
    pub helpers: SyntaxContext,
}

/// The kept statements, in their order. `binding_contexts`: the contexts the parts' `mentions`
/// were noted in (where a part declares a name in another, a pass made it: decorators' helpers,
/// say, and every part is walked). `side_effect_free(m)`: module m's package says it has no
/// side effects. `evals(m)`: module m calls `eval` directly, and the code it runs may name any
/// of its declarations: its statements are kept as if each had side effects.
pub fn shake(
    parts: Vec<Part>,
    binding_contexts: &FxHashSet<SyntaxContext>,
    side_effect_free: impl Fn(ModuleId) -> bool,
    evals: impl Fn(ModuleId) -> bool + Sync,
    purity: &Purity,
    module_of: &FxHashMap<SyntaxContext, ModuleId>,
) -> Shaken {
    let declarations: Vec<Vec<Id>> = parts
        .par_iter()
        .map(|p| p.items.iter().flat_map(declared).collect())
        .collect();
    let mut declared_by: IdMap<Vec<usize>> = IdMap::default();
    for (i, decls) in declarations.into_iter().enumerate() {
        for d in decls {
            declared_by.entry(d).or_default().push(i);
        }
    }
    let contexts: FxHashSet<SyntaxContext> = declared_by.keys().map(|id| id.1).collect();
    // A part's mentions hold every identifier it has in a context some part declares in.
    let mentions_hold = contexts.is_subset(binding_contexts);
    // Per part: the parts declaring what it mentions, and whether it may have side effects.
    let facts: Vec<(Vec<usize>, bool)> = parts
        .par_iter()
        .map(|p| {
            let mut refs = References {
                declared_by: &declared_by,
                contexts: &contexts,
                parts: vec![],
            };
            match &p.mentions {
                Some(mentions) if mentions_hold => {
                    for (sym, ctxt) in mentions {
                        refs.mentioned(sym, *ctxt);
                    }
                }
                _ => p.items.visit_with(&mut refs),
            }
            refs.parts.sort_unstable();
            refs.parts.dedup();
            let effects = match p.kind {
                PartKind::Root => true,
                PartKind::Linker => false,
                PartKind::Code => {
                    p.module.is_some_and(&evals) || !p.items.iter().all(|i| purity.item(i))
                }
            };
            (refs.parts, effects)
        })
        .collect();
    // Effectful statements of side-effect-free modules wait until their module is used.
    let mut waiting: FxHashMap<ModuleId, Vec<usize>> = FxHashMap::default();
    let mut stack = vec![];
    for (i, p) in parts.iter().enumerate() {
        if !facts[i].1 {
            continue;
        }
        match p.module {
            Some(m) if p.kind == PartKind::Code && side_effect_free(m) => {
                waiting.entry(m).or_default().push(i)
            }
            _ => stack.push(i),
        }
    }
    let mut live = vec![false; parts.len()];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut live[i], true) {
            continue;
        }
        for m in parts[i].module.iter().chain(&parts[i].uses) {
            if let Some(w) = waiting.remove(m) {
                stack.extend(w);
            }
        }
        stack.extend(facts[i].0.iter().copied().filter(|&p| !live[p]));
    }
    // Each module's top-level bindings that other modules' kept statements (or the linker's)
    // mention, by name: what the module is used for.
    let mut inbound: FxHashMap<ModuleId, FxHashSet<Atom>> = FxHashMap::default();
    for (p, _) in parts.iter().zip(&live).filter(|(_, l)| **l) {
        let mut note = |sym: &Atom, ctxt: SyntaxContext| {
            if let Some(&m) = module_of.get(&ctxt)
                && p.module != Some(m)
            {
                inbound.entry(m).or_default().insert(sym.clone());
            }
        };
        match &p.mentions {
            Some(mentions) => mentions.iter().for_each(|(sym, ctxt)| note(sym, *ctxt)),
            None => {
                struct Idents<F>(F);
                impl<F: FnMut(&Atom, SyntaxContext)> Visit for Idents<F> {
                    fn visit_ident(&mut self, i: &Ident) {
                        (self.0)(&i.sym, i.ctxt);
                    }
                }
                p.items.visit_with(&mut Idents(&mut note));
            }
        }
    }
    let (kept, dropped): (Vec<_>, Vec<_>) = parts.into_iter().zip(live).partition(|(_, l)| *l);
    // Freeing the dropped statements (zod's unused locales, say) takes a while.
    crate::timing::drop_off_the_critical_path(dropped);
    let items = (kept.into_iter())
        .flat_map(|(p, _)| p.items.into_iter().map(move |i| (p.module, i)))
        .collect();
    Shaken { items, inbound }
}

/// What the shake kept: each statement with its module, and what each module is used for
/// (its top-level bindings, by name, that kept statements of other modules mention).
pub struct Shaken {
    pub items: Vec<(Option<ModuleId>, ModuleItem)>,
    pub inbound: FxHashMap<ModuleId, FxHashSet<Atom>>,
}

/// The parts declaring an identifier a part mentions (a superset of what it references;
/// enough to keep what it needs). Most identifiers are in no top-level context and need no
/// lookup.
struct References<'a> {
    declared_by: &'a IdMap<Vec<usize>>,
    contexts: &'a FxHashSet<SyntaxContext>,
    parts: Vec<usize>,
}

impl References<'_> {
    fn mentioned(&mut self, sym: &Atom, ctxt: SyntaxContext) {
        if self.contexts.contains(&ctxt)
            && let Some(ps) = self.declared_by.get(&IdRef(sym, ctxt))
        {
            self.parts.extend_from_slice(ps);
        }
    }
}

impl Visit for References<'_> {
    fn visit_ident(&mut self, i: &Ident) {
        self.mentioned(&i.sym, i.ctxt);
    }
}

/// The top-level names an item declares.
fn declared(item: &ModuleItem) -> Vec<Id> {
    match item {
        ModuleItem::Stmt(Stmt::Decl(d)) => crate::parsing::module_facts::declared(d),
        ModuleItem::ModuleDecl(ModuleDecl::Import(i)) => i
            .specifiers
            .iter()
            .map(|s| crate::bundler::js::record::import_local(s).to_id())
            .collect(),
        _ => vec![],
    }
}

/// Globals whose mere reading cannot throw or run code.
const KNOWN_GLOBALS: &[&str] = &[
    "undefined",
    "NaN",
    "Infinity",
    "globalThis",
    "Object",
    "Array",
    "Function",
    "String",
    "Number",
    "Boolean",
    "Symbol",
    "BigInt",
    "Math",
    "JSON",
    "Date",
    "RegExp",
    "Error",
    "TypeError",
    "RangeError",
    "SyntaxError",
    "ReferenceError",
    "EvalError",
    "URIError",
    "AggregateError",
    "Map",
    "Set",
    "WeakMap",
    "WeakSet",
    "WeakRef",
    "FinalizationRegistry",
    "Promise",
    "Proxy",
    "Reflect",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "DataView",
    "Int8Array",
    "Uint8Array",
    "Uint8ClampedArray",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "Float32Array",
    "Float64Array",
    "BigInt64Array",
    "BigUint64Array",
    "Intl",
    "console",
    "TextEncoder",
    "TextDecoder",
    "URL",
    "URLSearchParams",
    "Request",
    "Response",
    "Headers",
    "FormData",
    "Blob",
    "File",
    "ReadableStream",
    "WritableStream",
    "TransformStream",
    "AbortController",
    "AbortSignal",
    "Event",
    "EventTarget",
    "crypto",
    "fetch",
    "atob",
    "btoa",
    "encodeURIComponent",
    "decodeURIComponent",
    "encodeURI",
    "decodeURI",
    "parseInt",
    "parseFloat",
    "isNaN",
    "isFinite",
    "setTimeout",
    "clearTimeout",
    "setInterval",
    "clearInterval",
    "queueMicrotask",
    "structuredClone",
];

impl Purity<'_> {
    fn item(&self, item: &ModuleItem) -> bool {
        match item {
            ModuleItem::Stmt(s) => self.stmt(s),
            ModuleItem::ModuleDecl(_) => false,
        }
    }

    fn stmt(&self, s: &Stmt) -> bool {
        match s {
            Stmt::Empty(_) => true,
            Stmt::Decl(Decl::Fn(_)) => true,
            Stmt::Decl(Decl::Class(c)) => self.class(&c.class),
            Stmt::Decl(Decl::Var(v)) => v.decls.iter().all(|d| {
                matches!(d.name, Pat::Ident(_)) && d.init.as_deref().is_none_or(|e| self.expr(e))
            }),
            Stmt::Expr(e) => matches!(&*e.expr, Expr::Lit(Lit::Str(_))) || self.is_naming(&e.expr),
            _ => false,
        }
    }

    /// `__name(f, "default")`: only names what it is kept with.
    fn is_naming(&self, e: &Expr) -> bool {
        matches!(e, Expr::Call(CallExpr { callee: Callee::Expr(f), args, .. }) if matches!(&**f, Expr::Ident(i) if i.ctxt == self.helpers && &*i.sym == "__name") && self.args(args))
    }

    fn is_global(&self, i: &Ident) -> bool {
        i.ctxt == self.unresolved
    }

    pub fn expr(&self, e: &Expr) -> bool {
        match e {
            Expr::Lit(_) | Expr::Arrow(_) | Expr::Fn(_) | Expr::This(_) => true,
            Expr::Ident(i) => !self.is_global(i) || KNOWN_GLOBALS.contains(&&*i.sym),
            Expr::Class(c) => self.class(&c.class),
            Expr::Array(a) => a
                .elems
                .iter()
                .flatten()
                .all(|e| e.spread.is_none() && self.expr(&e.expr)),
            Expr::Object(o) => o.props.iter().all(|p| match p {
                PropOrSpread::Spread(_) => false,
                PropOrSpread::Prop(p) => self.prop(p),
            }),
            Expr::Tpl(t) => t.exprs.iter().all(|e| matches!(&**e, Expr::Lit(_))),
            Expr::Unary(u) => match u.op {
                UnaryOp::Delete => false,
                UnaryOp::TypeOf if matches!(&*u.arg, Expr::Ident(_)) => true,
                _ => self.expr(&u.arg),
            },
            Expr::Bin(b) => {
                !matches!(b.op, BinaryOp::In | BinaryOp::InstanceOf)
                    && self.expr(&b.left)
                    && self.expr(&b.right)
            }
            Expr::Cond(c) => self.expr(&c.test) && self.expr(&c.cons) && self.expr(&c.alt),
            Expr::Seq(s) => s.exprs.iter().all(|e| self.expr(e)),
            Expr::Paren(p) => self.expr(&p.expr),
            Expr::Call(c) => {
                (self.annotated.contains(&c.span.lo) && self.args(&c.args))
                    || self.is_pure_builtin_call(c)
            }
            Expr::New(n) => {
                (self.annotated.contains(&n.span.lo)
                    && n.args.as_deref().is_none_or(|a| self.args(a)))
                    || self.is_pure_builtin_new(n)
            }
            // A property of a built-in namespace (`Symbol.iterator`, `Object.assign`).
            Expr::Member(m) => {
                matches!((&*m.obj, &m.prop), (Expr::Ident(o), MemberProp::Ident(_)) if self.is_global(o) && KNOWN_GLOBALS.contains(&&*o.sym))
            }
            _ => false,
        }
    }

    /// `Symbol()`, `Symbol("x")`, `Symbol.for("x")`: a new or registered symbol from a primitive,
    /// which runs no code and cannot throw.
    fn is_pure_builtin_call(&self, c: &CallExpr) -> bool {
        let Callee::Expr(callee) = &c.callee else {
            return false;
        };
        let is_symbol =
            |e: &Expr| matches!(e, Expr::Ident(i) if self.is_global(i) && &*i.sym == "Symbol");
        let callee_ok = match &**callee {
            Expr::Member(m) => {
                is_symbol(&m.obj)
                    && matches!(&m.prop, MemberProp::Ident(p) if &*p.sym == "for")
                    && c.args.len() == 1
            }
            e => is_symbol(e) && c.args.len() <= 1,
        };
        callee_ok
            && c.args.iter().all(|a| {
                a.spread.is_none() && matches!(&*a.expr, Expr::Lit(Lit::Str(_) | Lit::Num(_)))
            })
    }

    /// `new Map()`, `new Set()`, `new WeakMap()`, `new WeakSet()`, and `new Set([pure...])` /
    /// `new Map([[pure, pure]...])`: no user code runs (an array literal's own iterator) and
    /// nothing can throw.
    fn is_pure_builtin_new(&self, n: &NewExpr) -> bool {
        let Expr::Ident(class) = &*n.callee else {
            return false;
        };
        if !self.is_global(class) || !matches!(&*class.sym, "Map" | "Set" | "WeakMap" | "WeakSet") {
            return false;
        }
        match n.args.as_deref() {
            None | Some([]) => true,
            Some([ExprOrSpread { spread: None, expr }]) => match (&*class.sym, &**expr) {
                ("Set", Expr::Array(a)) => a.elems.iter().all(|e| e.as_ref().is_some_and(|e| e.spread.is_none() && self.expr(&e.expr))),
                ("Map", Expr::Array(a)) => a.elems.iter().all(|e| {
                    e.as_ref().is_some_and(|e| e.spread.is_none() && matches!(&*e.expr, Expr::Array(pair) if pair.elems.len() == 2 && self.expr(&e.expr)))
                }),
                _ => false,
            },
            _ => false,
        }
    }

    fn args(&self, args: &[ExprOrSpread]) -> bool {
        args.iter()
            .all(|a| a.spread.is_none() && self.expr(&a.expr))
    }

    fn key(&self, k: &PropName) -> bool {
        match k {
            PropName::Computed(c) => self.expr(&c.expr),
            _ => true,
        }
    }

    fn prop(&self, p: &Prop) -> bool {
        match p {
            Prop::Shorthand(i) => self.expr(&Expr::Ident(i.clone())),
            Prop::KeyValue(kv) => self.key(&kv.key) && self.expr(&kv.value),
            Prop::Getter(g) => self.key(&g.key),
            Prop::Setter(s) => self.key(&s.key),
            Prop::Method(m) => self.key(&m.key),
            Prop::Assign(_) => false,
        }
    }

    /// A class is pure when defining it runs no code: no decorators or static blocks, and its
    /// heritage, computed keys and static values are pure.
    fn class(&self, c: &Class) -> bool {
        c.decorators.is_empty()
            && c.super_class.as_deref().is_none_or(|s| self.expr(s))
            && c.body.iter().all(|m| match m {
                ClassMember::Constructor(_)
                | ClassMember::Empty(_)
                | ClassMember::PrivateMethod(_) => true,
                ClassMember::Method(m) => m.function.decorators.is_empty() && self.key(&m.key),
                ClassMember::ClassProp(p) => {
                    p.decorators.is_empty()
                        && self.key(&p.key)
                        && (!p.is_static || p.value.as_deref().is_none_or(|v| self.expr(v)))
                }
                ClassMember::PrivateProp(p) => {
                    p.decorators.is_empty()
                        && (!p.is_static || p.value.as_deref().is_none_or(|v| self.expr(v)))
                }
                ClassMember::AutoAccessor(a) => {
                    a.decorators.is_empty()
                        && (!a.is_static || a.value.as_deref().is_none_or(|v| self.expr(v)))
                }
                ClassMember::StaticBlock(_) | ClassMember::TsIndexSignature(_) => false,
            })
    }
}
