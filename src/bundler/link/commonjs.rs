//! A CommonJS module wrapped in a lazy `__commonJS` function.

use super::*;

impl<'g> Linker<'g> {
    /// `var require_x = __commonJS(function (exports, module) { ... })`.
    pub(super) fn commonjs_wrapper(&mut self, id: ModuleId) -> Result<ModuleItem> {
        let mut body: Vec<Stmt> = self
            .take_body(id)
            .into_iter()
            .filter_map(|i| match i {
                ModuleItem::Stmt(s) => Some(s),
                ModuleItem::ModuleDecl(_) => None,
            })
            .collect();
        // `exports` and `module` are the wrapper's parameters: in the module's own top-level
        // context, as if it had declared them (a `var exports` of its own is the same binding).
        let wrapper_ctxt = self.top_ctxt(id);
        let mut rewrite = Rewrite::new(
            &*self,
            id,
            FxHashMap::default(),
            FxHashMap::default(),
            Some(wrapper_ctxt),
        );
        body.visit_mut_with(&mut rewrite);
        if let Some(e) = rewrite.error {
            return Err(e);
        }
        if let Some(meta) = rewrite.import_meta {
            let empty = Box::new(Expr::Object(ObjectLit {
                span: DUMMY_SP,
                props: vec![],
            }));
            if let ModuleItem::Stmt(s) = var(VarDeclKind::Var, &meta, Some(empty)) {
                body.insert(0, s);
            }
        }
        let param = |n: &str| Param {
            span: DUMMY_SP,
            decorators: vec![],
            pat: Pat::Ident(Ident::new(n.into(), DUMMY_SP, wrapper_ctxt).into()),
        };
        let func = Box::new(Expr::Fn(FnExpr {
            ident: None,
            function: Box::new(Function {
                params: vec![param("exports"), param("module")],
                decorators: vec![],
                span: DUMMY_SP,
                ctxt: SyntaxContext::empty(),
                body: Some(FunctionBody {
                    span: DUMMY_SP,
                    stmts: body,
                }),
                this_param: None,
                is_generator: false,
                is_async: false,
                type_params: None,
                return_type: None,
            }),
        }));
        let name = self.require_name(id);
        let wrapped = call(self.helper("__commonJS"), vec![func]);
        Ok(var(VarDeclKind::Var, &name, Some(wrapped)))
    }
}
