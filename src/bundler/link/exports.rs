//! Exports and imports resolved: what each module exports (its own statements, then `export *`), where an imported name finally lives, and the names a module exports.

use super::*;

impl<'g> Linker<'g> {
    pub(super) fn scan_module(
        &self,
        id: ModuleId,
    ) -> (Exports, HashMap<Id, (Target, Option<String>)>) {
        let m = &self.g.modules[id];
        let mut ex = Exports::default();
        let mut imports = HashMap::new();
        if self.is_commonjs(id) {
            return (ex, imports);
        }
        let str_of = |s: &Str| s.value.to_string_lossy().into_owned();
        let body = match self.bodies.get(id) {
            Some(Some(body)) => body,
            _ => &self.g.modules[id].ast.body,
        };
        for item in body {
            let ModuleItem::ModuleDecl(d) = item else {
                continue;
            };
            match d {
                ModuleDecl::Import(i) => {
                    let t = self.target(id, &str_of(&i.src), ImportKind::Static);
                    for s in &i.specifiers {
                        match s {
                            ImportSpecifier::Named(n) => {
                                let imported = n
                                    .imported
                                    .as_ref()
                                    .map(export_name)
                                    .unwrap_or_else(|| n.local.sym.to_string());
                                imports.insert(n.local.to_id(), (t.clone(), Some(imported)));
                            }
                            ImportSpecifier::Default(d) => {
                                imports
                                    .insert(d.local.to_id(), (t.clone(), Some("default".into())));
                            }
                            ImportSpecifier::Namespace(n) => {
                                imports.insert(n.local.to_id(), (t.clone(), None));
                            }
                        }
                    }
                }
                ModuleDecl::ExportDecl(e) => {
                    for i in declared(&e.decl) {
                        ex.named.insert(i.0.to_string(), Source::Local(i));
                    }
                }
                ModuleDecl::ExportDefaultDecl(d) => {
                    let local = match &d.decl {
                        DefaultDecl::Fn(f) => f.ident.as_ref().map(|i| i.to_id()),
                        DefaultDecl::Class(c) => c.ident.as_ref().map(|i| i.to_id()),
                        DefaultDecl::TsInterfaceDecl(_) => continue,
                    };
                    let local = local.unwrap_or_else(|| {
                        (
                            format!("{}_default", stem(&m.path)).into(),
                            self.top_ctxt(id),
                        )
                    });
                    ex.named.insert("default".into(), Source::Local(local));
                }
                ModuleDecl::ExportDefaultExpr(_) => {
                    ex.named.insert(
                        "default".into(),
                        Source::Local((
                            format!("{}_default", stem(&m.path)).into(),
                            self.top_ctxt(id),
                        )),
                    );
                }
                ModuleDecl::ExportNamed(n) if !n.type_only => {
                    let from = n
                        .src
                        .as_ref()
                        .map(|s| self.target(id, &str_of(s), ImportKind::Static));
                    for s in &n.specifiers {
                        match (s, &from) {
                            (ExportSpecifier::Named(sp), _) if sp.is_type_only => {}
                            (ExportSpecifier::Named(sp), Some(t)) => {
                                let orig = export_name(&sp.orig);
                                let name = sp
                                    .exported
                                    .as_ref()
                                    .map(export_name)
                                    .unwrap_or_else(|| orig.clone());
                                ex.named.insert(name, Source::Import(t.clone(), Some(orig)));
                            }
                            (ExportSpecifier::Named(sp), None) => {
                                let ModuleExportName::Ident(orig) = &sp.orig else {
                                    continue;
                                };
                                let name = sp
                                    .exported
                                    .as_ref()
                                    .map(export_name)
                                    .unwrap_or_else(|| orig.sym.to_string());
                                ex.named.insert(name, Source::Local(orig.to_id()));
                            }
                            (ExportSpecifier::Namespace(ns), Some(t)) => {
                                ex.named
                                    .insert(export_name(&ns.name), Source::Import(t.clone(), None));
                            }
                            (ExportSpecifier::Default(d), Some(t)) => {
                                ex.named.insert(
                                    d.exported.sym.to_string(),
                                    Source::Import(t.clone(), Some("default".into())),
                                );
                            }
                            _ => {}
                        }
                    }
                }
                ModuleDecl::ExportAll(a) if !a.type_only => {
                    ex.stars
                        .push(self.target(id, &str_of(&a.src), ImportKind::Static))
                }
                _ => {}
            }
        }
        // `export { x }` where x is itself an import: chase the import.
        for src in ex.named.values_mut() {
            if let Source::Local(local) = src
                && let Some((t, name)) = imports.get(local)
            {
                *src = Source::Import(t.clone(), name.clone());
            }
        }
        (ex, imports)
    }

    /// What `name` exported by `module` refers to; None if the module does not export it.
    pub(super) fn resolve_export<'a>(
        &'a self,
        module: ModuleId,
        name: &'a str,
        seen: &mut Vec<(ModuleId, &'a str)>,
    ) -> Option<Binding> {
        if seen.iter().any(|&(m, n)| m == module && n == name) {
            return None;
        }
        seen.push((module, name));
        if self.is_commonjs(module) {
            return Some(Binding::CommonJs(module, Some(name.to_string())));
        }
        if let Some(src) = self.exports[module].named.get(name) {
            return match src {
                Source::Local(id) => Some(Binding::Local(id.clone())),
                Source::Import(t, imported) => self.resolve_import(t, imported.as_deref(), seen),
            };
        }
        if name == "default" {
            return None;
        }
        // Through `export *`: a name two stars provide differently is ambiguous, so not
        // exported (as in Node). Names of CommonJS modules are known only at run time.
        let mut found: Option<Binding> = None;
        let mut commonjs = None;
        for star in &self.exports[module].stars {
            match star {
                Target::Module(m) if self.is_commonjs(*m) => {
                    commonjs.get_or_insert(*m);
                }
                Target::Module(m) => {
                    // Each star is followed from here: what another star saw is not seen.
                    let depth = seen.len();
                    let b = self.resolve_export(*m, name, seen);
                    seen.truncate(depth);
                    if let Some(b) = b {
                        match &found {
                            Some(f) if *f != b => return None,
                            _ => found = Some(b),
                        }
                    }
                }
                Target::External(_) => {}
            }
        }
        found.or_else(|| commonjs.map(|m| Binding::CommonJs(m, Some(name.to_string()))))
    }

    /// The CommonJS modules whose exports `module` re-exports with `export *`, directly or
    /// through other modules' stars.
    pub(super) fn commonjs_stars(
        &self,
        module: ModuleId,
        seen: &mut HashSet<ModuleId>,
    ) -> Vec<ModuleId> {
        if !seen.insert(module) {
            return vec![];
        }
        let mut out = vec![];
        for star in &self.exports[module].stars {
            match star {
                Target::Module(m) if self.is_commonjs(*m) => out.push(*m),
                Target::Module(m) => out.extend(self.commonjs_stars(*m, seen)),
                Target::External(_) => {}
            }
        }
        out
    }

    pub(super) fn resolve_import<'a>(
        &'a self,
        t: &Target,
        name: Option<&'a str>,
        seen: &mut Vec<(ModuleId, &'a str)>,
    ) -> Option<Binding> {
        match (t, name) {
            (Target::External(s), n) => Some(Binding::External(s.clone(), n.map(str::to_string))),
            (Target::Module(m), None) if self.is_commonjs(*m) => Some(Binding::CommonJs(*m, None)),
            (Target::Module(m), None) => Some(Binding::Namespace(*m)),
            (Target::Module(m), Some(n)) => self.resolve_export(*m, n, seen),
        }
    }

    /// Every name `module` exports, `export *` included (not `default` from stars), sorted as
    /// a namespace object's keys are.
    pub(super) fn export_names(
        &self,
        module: ModuleId,
        seen: &mut HashSet<ModuleId>,
    ) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if !seen.insert(module) {
            return out;
        }
        out.extend(self.exports[module].named.keys().cloned());
        let mut starred = BTreeSet::new();
        for star in &self.exports[module].stars {
            if let Target::Module(m) = star {
                starred.extend(
                    self.export_names(*m, seen)
                        .into_iter()
                        .filter(|n| n != "default"),
                );
            }
        }
        // Ambiguous star names resolve to nothing and are left out.
        out.extend(
            starred
                .into_iter()
                .filter(|n| {
                    !out.contains(n) && self.resolve_export(module, n, &mut vec![]).is_some()
                })
                .collect::<Vec<_>>(),
        );
        out
    }

    pub(super) fn missing_export(
        &self,
        importer: ModuleId,
        target: ModuleId,
        name: &str,
    ) -> anyhow::Error {
        anyhow!(
            "{}: no matching export in \"{}\" for import \"{name}\"",
            self.g.modules[importer].path.display(),
            self.g.modules[target].path.display()
        )
    }
}
