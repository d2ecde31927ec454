//! The deploy's checks, none of which fixes anything: the defs barrel exports what the
//! platform needs; defs import no runtime values from `edgespark`; `db_schema.ts` has not
//! changed since the last `db generate`; every migration is applied; the runtime keys agree
//! with what is set; the auth config is valid.

use std::path::Path;

use anyhow::Result;
use swc_core::common::Span;

use crate::diagnostic::Diagnostic;
use crate::migrate::folder::{Folder, schema_hash};
use crate::parsing::module_facts::ExportSource;
use crate::platform::{LocalPlatform, Store};
use crate::project::Project;
use crate::project::runtime_keys::RuntimeKeys;
use crate::source::Sources;

#[derive(Debug, Default)]
pub struct Findings {
    /// Each fails the deploy.
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Findings {
    fn error(&mut self, code: &str, message: String) {
        self.errors.push(Diagnostic::error(message).with_code(code));
    }

    fn warning(&mut self, code: &str, message: String) {
        self.warnings
            .push(Diagnostic::warning(message).with_code(code));
    }
}

/// The checks. `sources` is the loader the deploy read the defs with: each file parsed once.
pub fn run(
    project: &Project,
    platform: &LocalPlatform,
    keys: &RuntimeKeys,
    sources: &mut Sources,
) -> Result<Findings> {
    let mut f = Findings::default();
    let defs = project.defs_dir();
    barrel(project, sources, &defs.join("index.ts"), &mut f)?;
    defs_imports(project, sources, &defs, &mut f)?;
    migrations(project, &mut f)?;
    runtime_keys(platform, keys, &mut f)?;
    auth_config(project, keys, &mut f);
    Ok(f)
}

/// What `defs/index.ts` must export, and the modules it must re-export everything from.
const REQUIRED_EXPORTS: &[&str] = &["drizzleSchema", "buckets", "VarKey", "SecretKey"];
const REQUIRED_STAR_EXPORTS: &[&str] =
    &["db_schema", "db_relations", "sys_schema", "sys_relations"];

fn barrel(project: &Project, sources: &mut Sources, index: &Path, f: &mut Findings) -> Result<()> {
    let shown = project.display(index);
    if !index.is_file() {
        f.error("deploy/check", format!("{shown} is missing: the platform reads drizzleSchema, buckets, VarKey and SecretKey from it"));
        return Ok(());
    }
    let module = sources.load(index)?;
    let names: Vec<&str> = module
        .facts
        .exports
        .iter()
        .map(|e| e.exported.as_str())
        .collect();
    let stars: Vec<&str> = module.facts.stars.iter().map(|s| s.from.as_str()).collect();
    for name in REQUIRED_EXPORTS.iter().filter(|n| !names.contains(n)) {
        f.error(
            "deploy/check",
            format!(
                "{shown} does not export `{name}` (the platform needs it; see the project template)"
            ),
        );
    }
    for module in REQUIRED_STAR_EXPORTS {
        let found = stars
            .iter()
            .any(|s| Path::new(s).file_stem().is_some_and(|stem| stem == *module));
        if !found {
            f.error(
                "deploy/check",
                format!(
                    "{shown} does not re-export `{module}` (add `export * from \"...{module}\"`)"
                ),
            );
        }
    }
    Ok(())
}

/// `import { db } from "edgespark"` in defs would run platform code where only declarations
/// belong; type-only imports are fine.
fn defs_imports(
    project: &Project,
    sources: &mut Sources,
    defs: &Path,
    f: &mut Findings,
) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(defs) else {
        return Ok(());
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ts" || x == "tsx"))
        .collect();
    files.sort();
    for file in files {
        let module = sources.load(&file)?;
        // Every static import and re-export, with whether only types come through it.
        let facts = &module.facts;
        let imports = facts.imports.iter().map(|i| (&i.from, i.type_only, i.span));
        // One per `export { ... } from` statement: only types when all its names are.
        let mut re_exports: Vec<(&String, bool, Span)> = vec![];
        for e in &facts.exports {
            let ExportSource::From { from, .. } = &e.source else {
                continue;
            };
            match re_exports.last_mut() {
                Some(last) if last.2 == e.span => last.1 &= e.type_only,
                _ => re_exports.push((from, e.type_only, e.span)),
            }
        }
        let stars = facts.stars.iter().map(|s| (&s.from, s.type_only, s.span));
        let mut all: Vec<_> = imports.chain(re_exports).chain(stars).collect();
        all.sort_by_key(|(_, _, span)| span.lo);
        for (specifier, type_only, span) in all {
            if (specifier == "edgespark" || specifier.starts_with("edgespark/")) && !type_only {
                f.errors.push(
                    module
                        .diagnostic(
                            span,
                            format!("defs import runtime values from \"{specifier}\"; only `import type` is allowed there"),
                            "a runtime import",
                        )
                        .with_code("deploy/defs-runtime-import")
                        .at_display(&project.display(&file)),
                );
            }
        }
    }
    Ok(())
}

fn migrations(project: &Project, f: &mut Findings) -> Result<()> {
    let schema = project.schema_file();
    if !schema.is_file() {
        return Ok(());
    }
    let folder = Folder::new(project.migrations_dir());
    let current = schema_hash(&schema)?;
    match folder.stored_schema_hash() {
        Some(stored) if stored == current => {}
        Some(_) => f.error(
            "deploy/check",
            format!(
                "{} changed since the last `edgespark db generate`: generate a migration for it",
                project.display(&schema)
            ),
        ),
        // No migration yet: needed only once the schema declares a table or view (several
        // templates start with an empty db_schema.ts, for which `generate` writes nothing).
        None => match crate::schema::read(&schema, Some(&project.server_dir())) {
            Ok(read) if read.schema.tables.is_empty() && read.schema.views.is_empty() => {}
            Ok(_) => f.error(
                "deploy/check",
                format!(
                    "{} has no migrations yet: run `edgespark db generate`",
                    project.display(&schema)
                ),
            ),
            Err(e) => f.errors.extend(Diagnostic::from_error(e)),
        },
    }
    if !folder.journal_path().is_file() {
        return Ok(());
    }
    let pending = crate::migrate::apply::unapplied_files(&folder, &project.local_database())?;
    if !pending.is_empty() {
        f.error(
            "deploy/check",
            format!(
                "{} migration(s) not applied to the database: {} (run `edgespark db migrate`)",
                pending.len(),
                pending.join(", ")
            ),
        );
    }
    Ok(())
}

fn runtime_keys(platform: &LocalPlatform, keys: &RuntimeKeys, f: &mut Findings) -> Result<()> {
    for (store, declared) in [(Store::Vars, &keys.vars), (Store::Secrets, &keys.secrets)] {
        let set = platform.read(store)?;
        for key in declared.iter().filter(|k| !set.contains_key(*k)) {
            f.warning("deploy/check", format!("{} {key} is declared in runtime.ts but not set (it reads as null): `edgespark {} set {key}`", store.noun(), store.noun()));
        }
        for key in set.keys().filter(|k| !declared.contains(k)) {
            f.warning(
                "deploy/check",
                format!(
                    "{} {key} is set but not declared in runtime.ts, so the app cannot read it",
                    store.noun()
                ),
            );
        }
    }
    Ok(())
}

fn auth_config(project: &Project, keys: &RuntimeKeys, f: &mut Findings) {
    let path = project.root.join("configs/auth-config.yaml");
    let text = match crate::project::auth_config::read(&path) {
        Ok(Some(text)) => text,
        Ok(None) => {
            f.warning(
                "deploy/check",
                format!(
                    "{} is missing: the platform's default auth config applies",
                    project.display(&path)
                ),
            );
            return;
        }
        Err(e) => {
            f.errors.extend(Diagnostic::from_error(e));
            return;
        }
    };
    let shown = Path::new(&project.display(&path)).to_path_buf();
    let problems = crate::project::auth_config::validate(&shown, &text, &keys.vars, &keys.secrets);
    f.errors.extend(
        problems
            .into_iter()
            .map(|p| p.with_code("deploy/auth-config")),
    );
}
