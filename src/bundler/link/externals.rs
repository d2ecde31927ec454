//! Imports of external modules, hoisted to the top of the bundle, one per module.

use super::*;

impl<'g> Linker<'g> {
    pub(super) fn external_imports(&mut self) -> Vec<ModuleItem> {
        if self.format != Format::Esm {
            let sources: Vec<(String, Id)> = self
                .external_names
                .iter()
                .map(|((s, _), id)| (s.clone(), id.clone()))
                .collect();
            return sources
                .into_iter()
                .map(|(source, id)| {
                    let require = Box::new(Expr::Ident(Ident::new(
                        "require".into(),
                        DUMMY_SP,
                        self.unresolved,
                    )));
                    let loaded = call(
                        require,
                        vec![Box::new(Expr::Lit(Lit::Str(source.as_str().into())))],
                    );
                    var(
                        VarDeclKind::Var,
                        &id,
                        Some(call(self.helper("__toESM"), vec![loaded])),
                    )
                })
                .collect();
        }
        self.external_names
            .iter()
            .map(|((source, name), local)| {
                let local = ident(local);
                let spec = match name.as_deref() {
                    None => ImportSpecifier::Namespace(ImportStarAsSpecifier {
                        span: DUMMY_SP,
                        local,
                    }),
                    Some("default") => ImportSpecifier::Default(ImportDefaultSpecifier {
                        span: DUMMY_SP,
                        local,
                    }),
                    Some(n) => ImportSpecifier::Named(ImportNamedSpecifier {
                        span: DUMMY_SP,
                        imported: (n != &*local.sym).then(|| ModuleExportName::Str(n.into())),
                        local,
                        is_type_only: false,
                    }),
                };
                ModuleItem::ModuleDecl(ModuleDecl::Import(ImportDecl {
                    span: DUMMY_SP,
                    specifiers: vec![spec],
                    src: Box::new(source.as_str().into()),
                    type_only: false,
                    with: None,
                    phase: Default::default(),
                }))
            })
            .collect()
    }
}
