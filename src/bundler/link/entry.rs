//! The entry module's exports, as the bundle's own `export` statements.

use super::*;

impl<'g> Linker<'g> {
    /// The entry's exports as the bundle's `export { ... }` (and `export * from` externals).
    pub(super) fn entry_exports(&mut self, entry: ModuleId) -> Result<Vec<ModuleItem>> {
        let mut out = vec![];
        match self.format {
            Format::Esm => {}
            // An IIFE has nowhere to put exports (esbuild's --global-name is not offered).
            Format::Iife => return Ok(out),
            Format::Cjs => {
                let value = if self.is_commonjs(entry) {
                    call(expr_ident(&self.require_name(entry)), vec![])
                } else {
                    let ns = self.namespace_name(entry);
                    call(self.helper("__toCommonJS"), vec![expr_ident(&ns)])
                };
                out.push(ModuleItem::Stmt(crate::bundler::js::module_exports_assign(
                    value,
                    DUMMY_SP,
                    self.unresolved,
                )));
                return Ok(out);
            }
        }
        if self.is_commonjs(entry) {
            let req = self.require_name(entry);
            let value = call(expr_ident(&req), vec![]);
            out.push(ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(
                ExportDefaultExpr {
                    span: DUMMY_SP,
                    expr: value,
                },
            )));
            return Ok(out);
        }
        let mut specifiers = vec![];
        for n in self.export_names(entry, &mut HashSet::new()) {
            let Some(b) = self.resolve_export(entry, &n, &mut vec![]) else {
                continue;
            };
            let local = match &b {
                Binding::Local(id) => id.clone(),
                _ => {
                    let expr = self.binding_expr(&b, entry);
                    match *expr {
                        Expr::Ident(i) => i.to_id(),
                        other => {
                            let id = self.name(&format!(
                                "export_{}",
                                if is_identifier_name(&n) {
                                    n.clone()
                                } else {
                                    "value".into()
                                }
                            ));
                            out.push(var(VarDeclKind::Var, &id, Some(Box::new(other))));
                            id
                        }
                    }
                }
            };
            let exported = if is_identifier_name(&n) {
                ModuleExportName::Ident(Ident::new(
                    n.as_str().into(),
                    DUMMY_SP,
                    SyntaxContext::empty(),
                ))
            } else {
                ModuleExportName::Str(n.as_str().into())
            };
            specifiers.push(ExportSpecifier::Named(ExportNamedSpecifier {
                span: DUMMY_SP,
                orig: ModuleExportName::Ident(ident(&local)),
                exported: Some(exported),
                is_type_only: false,
            }));
        }
        for star in self.exports[entry].stars.clone() {
            if let Target::External(s) = star {
                out.push(ModuleItem::ModuleDecl(ModuleDecl::ExportAll(ExportAll {
                    span: DUMMY_SP,
                    src: Box::new(s.as_str().into()),
                    type_only: false,
                    with: None,
                })));
            }
        }
        if !specifiers.is_empty() {
            out.push(ModuleItem::ModuleDecl(ModuleDecl::ExportNamed(
                NamedExport {
                    span: DUMMY_SP,
                    specifiers,
                    src: None,
                    type_only: false,
                    with: None,
                },
            )));
        }
        Ok(out)
    }
}
