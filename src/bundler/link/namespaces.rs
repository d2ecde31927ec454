//! Namespace objects (`import * as ns`, `export * as ns`, `import()` of a bundled ES module):
//! made once per module, and placed just before the module's code where that is safe.

use super::*;

impl<'g> Linker<'g> {
    /// `var x_exports = {}; __export(x_exports, { a: () => a, ... });`
    pub(super) fn namespace_object(&mut self, m: ModuleId, name: &Id) -> Result<Vec<ModuleItem>> {
        let names = self.export_names(m, &mut HashSet::new());
        let mut props = vec![];
        for n in names {
            let b = self.resolve_export(m, &n, &mut vec![]).ok_or_else(|| {
                anyhow!(
                    "`{n}` of {} cannot be resolved",
                    self.g.modules[m].path.display()
                )
            })?;
            let value = self.binding_expr(&b, m);
            let key = if is_identifier_name(&n) {
                PropName::Ident(IdentName::new(n.as_str().into(), DUMMY_SP))
            } else {
                PropName::Str(n.as_str().into())
            };
            props.push(PropOrSpread::Prop(Box::new(Prop::KeyValue(KeyValueProp {
                key,
                value: arrow(value),
            }))));
        }
        let obj = Box::new(Expr::Object(ObjectLit {
            span: DUMMY_SP,
            props,
        }));
        let export = call(self.helper("__export"), vec![expr_ident(name), obj]);
        let mut items = vec![
            var(
                VarDeclKind::Var,
                name,
                Some(Box::new(Expr::Object(ObjectLit {
                    span: DUMMY_SP,
                    props: vec![],
                }))),
            ),
            ModuleItem::Stmt(Stmt::Expr(ExprStmt {
                span: DUMMY_SP,
                expr: export,
            })),
        ];
        // `export * from "./x.cjs"`: the CommonJS module's names, copied when it has run.
        for cjs in self.commonjs_stars(m, &mut HashSet::new()) {
            let value = self.binding_expr(&Binding::CommonJs(cjs, None), m);
            let reexport = call(self.helper("__reExport"), vec![expr_ident(name), value]);
            items.push(ModuleItem::Stmt(Stmt::Expr(ExprStmt {
                span: DUMMY_SP,
                expr: reexport,
            })));
        }
        Ok(items)
    }
}

/// The modules whose namespace object can stand just before their own code, as esbuild puts
/// it: ES modules run in place whose every importer is an ES module run after them. (Near the
/// code that reads it, gzip finds more to match.) Any other namespace object stays at the top,
/// where cycles, wrappers and lazily run modules can reach it before its module runs.
pub(super) fn namespaces_in_place(
    g: &ModuleGraph,
    l: &Linker,
    order: &[ModuleId],
    entry: ModuleId,
) -> HashSet<ModuleId> {
    let mut position: Vec<Option<usize>> = vec![None; g.modules.len()];
    for (i, &m) in order.iter().enumerate() {
        if !l.is_lazy(m) && !l.is_commonjs(m) {
            position[m] = Some(i);
        }
    }
    let mut in_place: HashSet<ModuleId> = order
        .iter()
        .copied()
        .filter(|&m| position[m].is_some())
        .collect();
    for importer in g.reachable(entry) {
        for t in &g.targets[importer] {
            if let Target::Module(m) = *t
                && m != importer
                && position[importer]
                    .zip(position[m])
                    .is_none_or(|(i, m)| i < m)
            {
                in_place.remove(&m);
            }
        }
    }
    in_place
}

/// The modules' code with each namespace object just before its module's first part; those
/// of modules without code go to `at_top`.
pub(super) fn with_namespaces_before(
    code: Vec<Part>,
    namespaces: Vec<(ModuleId, Vec<ModuleItem>)>,
    at_top: &mut Vec<(ModuleId, Vec<ModuleItem>)>,
) -> Vec<Part> {
    let mut namespaces: HashMap<ModuleId, Vec<ModuleItem>> = namespaces.into_iter().collect();
    let mut out = Vec::with_capacity(code.len() + namespaces.len());
    for part in code {
        if let Some(ns) = part.module.and_then(|m| namespaces.remove(&m)) {
            out.push(Part::new(part.module, PartKind::Linker, ns));
        }
        out.push(part);
    }
    at_top.extend(namespaces);
    out
}
