//! Names the linker makes and the expressions that reach a binding: a module's own names, its
//! wrapper and namespace names, external imports' names.

use super::*;

impl<'g> Linker<'g> {
    /// A fresh bundle-unique name made by the linker.
    pub(super) fn name(&mut self, base: &str) -> Id {
        // From the suffix after the last one given for `base`: every one before it is taken
        // (`taken` only grows), and a thousand `index.ts` files would otherwise try a
        // thousand names each.
        let next = self.next_suffix.entry(base.to_string()).or_insert(1);
        loop {
            let n = match *next {
                1 => base.to_string(),
                i => format!("{base}{i}"),
            };
            *next += 1;
            if self.taken.insert(n.clone()) {
                return (n.into(), self.ctxt);
            }
        }
    }

    /// `__name(binding, "default")`, for an anonymous default export given a binding name.
    pub(super) fn named_default(&self, binding: &Id) -> ModuleItem {
        let args = vec![
            Box::new(Expr::Ident(ident(binding))),
            Box::new(Expr::Lit(Lit::Str("default".into()))),
        ];
        ModuleItem::Stmt(Stmt::Expr(ExprStmt {
            span: DUMMY_SP,
            expr: call(self.helper("__name"), args),
        }))
    }

    /// A name the linker gives something of module `m`'s.
    pub(super) fn module_name(&self, m: ModuleId, name: String) -> Id {
        (name.into(), self.module_ctxts[m])
    }

    /// `require_x`, the CommonJS module's wrapper (which is then made).
    pub(super) fn require_name(&self, m: ModuleId) -> Id {
        self.needs().wrappers.insert(m);
        self.module_name(m, format!("require_{}", stem(&self.g.modules[m].path)))
    }

    /// `x_exports`, the ES module's namespace object (which is then made).
    pub(super) fn namespace_name(&self, m: ModuleId) -> Id {
        self.needs().namespaces.insert(m);
        self.module_name(m, format!("{}_exports", stem(&self.g.modules[m].path)))
    }

    pub(super) fn external_name(&mut self, source: &str, name: Option<&str>) -> Id {
        // Without `import` syntax, one `var import_x = __toESM(require("x"))` per module.
        let name = if self.format == Format::Esm {
            name
        } else {
            None
        };
        let key = (source.to_string(), name.map(str::to_string));
        if let Some(n) = self.external_names.get(&key) {
            return n.clone();
        }
        let base = match name {
            Some("default") | None => format!(
                "import_{}",
                source
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect::<String>()
            ),
            Some(n) => n
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
        };
        let id = self.name(&base);
        self.external_names.insert(key, id.clone());
        id
    }

    /// The expression an import binding stands for.
    pub(super) fn binding_expr(&mut self, b: &Binding, importer: ModuleId) -> Box<Expr> {
        match b {
            Binding::External(source, name) => {
                let local = expr_ident(&self.external_name(source, name.as_deref()));
                match (self.format, name) {
                    (Format::Esm, _) | (_, None) => local,
                    (_, Some(n)) => member(local, n),
                }
            }
            bundled => self.bundled_binding_expr(bundled, importer),
        }
    }

    /// The expression a binding to a bundled module stands for.
    pub(super) fn bundled_binding_expr(&self, b: &Binding, importer: ModuleId) -> Box<Expr> {
        match b {
            Binding::Local(id) => expr_ident(id),
            Binding::Namespace(m) => expr_ident(&self.namespace_name(*m)),
            Binding::CommonJs(m, prop) => {
                let req = self.require_name(*m);
                let node_mode = self.g.files[importer].node_mode;
                let mut args = vec![call(expr_ident(&req), vec![])];
                if node_mode {
                    args.push(num(1.0));
                }
                let esm = call(self.helper("__toESM"), args);
                match prop {
                    Some(p) => member(esm, p),
                    None => esm,
                }
            }
            Binding::External(..) => unreachable!("externals are bound by binding_expr"),
        }
    }
}
