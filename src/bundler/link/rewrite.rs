//! The rewrite of a module's code for the bundle: import bindings → what they are bound to,
//! `require("x")`/`import("x")` of bundled modules → their wrappers and namespaces.

use super::*;

/// Rewrites a module's code for the bundle: import bindings → what they are bound to,
/// `require("x")`/`import("x")` of bundled modules → their wrappers and namespaces.
pub(super) struct Rewrite<'l, 'g> {
    pub(super) linker: &'l Linker<'g>,
    pub(super) module: ModuleId,
    pub(super) replace: FxHashMap<Id, Box<Expr>>,
    /// The contexts of `replace`'s names (the module's top level): other identifiers, most of
    /// them, need no lookup.
    pub(super) replaced_contexts: Vec<SyntaxContext>,
    /// Imported names bound to an ES module's namespace: `ns.x` is then `x` itself, so the
    /// namespace object is needed only where it is used as a value.
    pub(super) namespaces: FxHashMap<Id, ModuleId>,
    /// Modules whose namespace members the rewritten code reads (see `namespace_member`).
    pub(super) read_through: Vec<ModuleId>,
    pub(super) error: Option<anyhow::Error>,
    /// In a CommonJS module: the context its wrapper's `exports` and `module` parameters have.
    pub(super) wrapper_ctxt: Option<SyntaxContext>,
    /// Outside ESM output, the module's `import.meta` became this variable (`var import_meta =
    /// {}`, which its owner declares), as esbuild does.
    pub(super) import_meta: Option<Id>,
    /// The identifiers the rewritten code holds in a context a top-level binding may have
    /// (`Linker::binding_contexts`), noted as it is rewritten: the shake needs no walk of its
    /// own to find what each statement references.
    pub(super) mentioned: Vec<Id>,
}

impl Rewrite<'_, '_> {
    pub(super) fn new<'l, 'g>(
        linker: &'l Linker<'g>,
        module: ModuleId,
        replace: FxHashMap<Id, Box<Expr>>,
        namespaces: FxHashMap<Id, ModuleId>,
        wrapper_ctxt: Option<SyntaxContext>,
    ) -> Rewrite<'l, 'g> {
        let mut replaced_contexts: Vec<SyntaxContext> = replace.keys().map(|id| id.1).collect();
        replaced_contexts.sort();
        replaced_contexts.dedup();
        Rewrite {
            linker,
            module,
            replace,
            replaced_contexts,
            namespaces,
            read_through: vec![],
            error: None,
            wrapper_ctxt,
            import_meta: None,
            mentioned: vec![],
        }
    }

    fn mention(&mut self, i: &Ident) {
        if self.linker.binding_contexts.contains(&i.ctxt) {
            self.mentioned.push(i.to_id());
        }
    }

    /// Notes the identifiers of `e`, an expression the rewrite put in (and does not walk).
    fn mention_all(&mut self, e: &Expr) {
        struct Mentions<'r, 'l, 'g>(&'r mut Rewrite<'l, 'g>);
        impl Visit for Mentions<'_, '_, '_> {
            fn visit_ident(&mut self, i: &Ident) {
                self.0.mention(i);
            }
        }
        e.visit_with(&mut Mentions(self));
    }

    /// Whether `i` may be one of the names to replace.
    fn replaced(&self, i: &Ident) -> bool {
        self.replaced_contexts.contains(&i.ctxt)
    }

    /// What `ns.a.b` names, when `ns` is an imported namespace and every step is a static
    /// export: an ES module's binding or another namespace.
    /// `via` gets the namespaces' modules: the expression reads through them, so they count as
    /// used (a side-effect-free package's module keeps its effects).
    fn namespace_member(&self, e: &Expr, via: &mut Vec<ModuleId>) -> Option<Binding> {
        match e {
            Expr::Ident(i) => self
                .replaced(i)
                .then(|| self.namespaces.get(&i.to_id()))
                .flatten()
                .map(|&m| Binding::Namespace(m)),
            Expr::Member(MemberExpr { obj, prop, .. }) => {
                let Binding::Namespace(m) = self.namespace_member(obj, via)? else {
                    return None;
                };
                via.push(m);
                let name = match prop {
                    MemberProp::Ident(n) => n.sym.to_string(),
                    MemberProp::Computed(ComputedPropName { expr, .. }) => match &**expr {
                        Expr::Lit(Lit::Str(s)) => s.value.to_string_lossy().into_owned(),
                        _ => return None,
                    },
                    MemberProp::PrivateName(_) => return None,
                };
                match self.linker.resolve_export(m, &name, &mut vec![])? {
                    b @ (Binding::Local(_) | Binding::Namespace(_)) => Some(b),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// `require("x")` → the module's exports.
    fn require(&mut self, specifier: &str) -> Result<Box<Expr>> {
        let l = self.linker;
        Ok(
            match l.target(self.module, specifier, ImportKind::Require) {
                Target::External(s) => call(
                    l.helper("__require"),
                    vec![Box::new(Expr::Lit(Lit::Str(s.as_str().into())))],
                ),
                Target::Module(m) if l.is_commonjs(m) => {
                    call(expr_ident(&l.require_name(m)), vec![])
                }
                // Every ES module that is required runs on demand (lazy.rs).
                Target::Module(m) if l.init_is_async(m, &mut vec![]) => {
                    // Node throws ERR_REQUIRE_ASYNC_MODULE (when the call runs) and runs nothing.
                    call(
                        l.helper("__requireAsyncModule"),
                        vec![Box::new(Expr::Lit(Lit::Str(specifier.into())))],
                    )
                }
                Target::Module(m) => {
                    let run = call(expr_ident(&l.init_name(m)), vec![]);
                    let exports = call(
                        l.helper("__toCommonJS"),
                        vec![expr_ident(&l.namespace_name(m))],
                    );
                    Box::new(Expr::Seq(SeqExpr {
                        span: DUMMY_SP,
                        exprs: vec![run, exports],
                    }))
                }
            },
        )
    }

    /// `import("x")` → a promise of the module's namespace.
    fn dynamic_import(&mut self, specifier: &str) -> Result<Option<Box<Expr>>> {
        let l = self.linker;
        let Target::Module(m) = l.target(self.module, specifier, ImportKind::Dynamic) else {
            return Ok(None);
        };
        let value = if l.is_commonjs(m) {
            let req = call(expr_ident(&l.require_name(m)), vec![]);
            call(l.helper("__toESM"), vec![req])
        } else {
            expr_ident(&l.namespace_name(m))
        };
        let mut promise = call(
            member(
                Box::new(Expr::Ident(Ident::new(
                    "Promise".into(),
                    DUMMY_SP,
                    l.unresolved,
                ))),
                "resolve",
            ),
            vec![],
        );
        // A lazy module runs first (its init may be async: wait for it).
        if l.is_lazy(m) {
            promise = call(
                member(promise, "then"),
                vec![arrow(call(expr_ident(&l.init_name(m)), vec![]))],
            );
        }
        Ok(Some(call(member(promise, "then"), vec![arrow(value)])))
    }
}

impl VisitMut for Rewrite<'_, '_> {
    fn visit_mut_expr(&mut self, e: &mut Expr) {
        if let Some(v) = self.linker.defines.replacement(e, self.linker.unresolved) {
            *e = *v;
            self.mention_all(e);
            return;
        }
        if let Expr::MetaProp(MetaPropExpr {
            kind: MetaPropKind::ImportMeta,
            ..
        }) = e
            && self.linker.format != Format::Esm
        {
            let (linker, module) = (self.linker, self.module);
            let id = self
                .import_meta
                .get_or_insert_with(|| linker.module_name(module, "import_meta".into()));
            *e = Expr::Ident(ident(id));
            self.mention_all(e);
            return;
        }
        if matches!(e, Expr::Member(_)) && !self.namespaces.is_empty() {
            let mut via = vec![];
            if let Some(b) = self.namespace_member(e, &mut via) {
                self.read_through.extend(via);
                *e = *self.linker.bundled_binding_expr(&b, self.module);
                self.mention_all(e);
                return;
            }
        }
        if let Expr::Ident(i) = e {
            if self.replaced(i)
                && let Some(r) = self.replace.get(&i.to_id())
            {
                *e = (**r).clone();
                self.mention_all(e);
                return;
            }
            // A `require` that is not a static call: the bundle's own (Node's when it exists).
            if i.ctxt == self.linker.unresolved && i.sym == "require" {
                *e = *self.linker.helper("__require");
                self.mention_all(e);
                return;
            }
        }
        if let Expr::Call(c) = e {
            let unresolved = self.linker.unresolved;
            let replacement = match &c.callee {
                Callee::Expr(callee) if matches!(&**callee, Expr::Ident(i) if i.sym == "require" && i.ctxt == unresolved) => {
                    string_arg(&c.args).map(|s| self.require(&s).map(Some))
                }
                Callee::Import(_) => string_arg(&c.args).map(|s| self.dynamic_import(&s)),
                _ => None,
            };
            match replacement {
                Some(Ok(Some(r))) => {
                    *e = *r;
                    self.mention_all(e);
                    return;
                }
                Some(Err(err)) => {
                    self.error.get_or_insert(err);
                }
                _ => {}
            }
        }
        e.visit_mut_children_with(self);
    }

    fn visit_mut_ident(&mut self, i: &mut Ident) {
        if let Some(ctxt) = self.wrapper_ctxt
            && i.ctxt == self.linker.unresolved
            && (i.sym == "exports" || i.sym == "module")
        {
            i.ctxt = ctxt;
        }
        self.mention(i);
    }

    fn visit_mut_prop(&mut self, p: &mut Prop) {
        if let Prop::Shorthand(i) = p
            && let Some(r) = self
                .replaced(i)
                .then(|| self.replace.get(&i.to_id()))
                .flatten()
        {
            let value = r.clone();
            self.mention_all(&value);
            *p = Prop::KeyValue(KeyValueProp {
                key: PropName::Ident(IdentName::new(i.sym.clone(), i.span)),
                value,
            });
            return;
        }
        p.visit_mut_children_with(self);
    }
}
