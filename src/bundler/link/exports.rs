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
        let facts = &m.record.facts;
        let target = |from: &str| self.target(id, from, ImportKind::Static);
        for (from, b) in facts.value_imports() {
            let name = b.imported.name().map(str::to_string);
            imports.insert(b.local.clone(), (target(from), name));
        }
        for e in facts.value_exports() {
            let source = match &e.source {
                ExportSource::Local(local) => Source::Local(local.clone()),
                ExportSource::Anonymous => Source::Local((
                    format!("{}_default", stem(&m.path)).into(),
                    self.top_ctxt(id),
                )),
                ExportSource::From { from, imported } => {
                    Source::Import(target(from), imported.name().map(str::to_string))
                }
            };
            ex.named.insert(e.exported.clone(), source);
        }
        ex.stars = facts.value_stars().map(target).collect();
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
