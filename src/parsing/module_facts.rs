//! What a module imports and exports, read once from its AST when it is parsed and shared by
//! every stage that needs it: the linker, the route analysis, the schema reader and deploy's
//! checks. Type-only imports and exports are kept, flagged, for the checks that care.

use swc_core::common::Span;
use swc_core::ecma::ast::*;

/// The imports and exports of one module, in source order.
#[derive(Debug, Default, Clone)]
pub struct ModuleFacts {
    /// Each `import` declaration.
    pub imports: Vec<ImportFacts>,
    /// Each name the module exports (`export * from` excepted).
    pub exports: Vec<ExportFacts>,
    /// Each `export * from "x"`.
    pub stars: Vec<StarFacts>,
}

#[derive(Debug, Clone)]
pub struct ImportFacts {
    pub from: String,
    pub span: Span,
    /// `import type`, or every one of its specifiers is `type` (a bare `import "x"` is not).
    pub type_only: bool,
    pub bindings: Vec<ImportBinding>,
}

#[derive(Debug, Clone)]
pub struct ImportBinding {
    pub local: Id,
    pub imported: Imported,
    /// Of an `import type` declaration, or `import { type x }`.
    pub type_only: bool,
}

/// What an import binding (or a re-export) takes from its module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// A named export (`default` for a default import).
    Name(String),
    /// The namespace object (`* as ns`).
    Namespace,
}

impl Imported {
    /// The export's name; `None` for the namespace.
    pub fn name(&self) -> Option<&str> {
        match self {
            Imported::Name(n) => Some(n),
            Imported::Namespace => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExportFacts {
    /// The name other modules import it by.
    pub exported: String,
    pub source: ExportSource,
    /// A type, an interface, or an `export type { ... }`.
    pub type_only: bool,
    /// Its statement's index in the module body.
    pub item: usize,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportSource {
    /// A binding of this module (`export const x`, `export { x }`, `export default function f`).
    Local(Id),
    /// Another module's export (`export { a as b } from "x"`, `export * as ns from "x"`).
    From { from: String, imported: Imported },
    /// `export default <expression>`, or a default function or class without a name.
    Anonymous,
}

#[derive(Debug, Clone)]
pub struct StarFacts {
    pub from: String,
    pub span: Span,
    pub type_only: bool,
}

impl ModuleFacts {
    pub fn of(m: &Module) -> ModuleFacts {
        let mut facts = ModuleFacts::default();
        for (item, it) in m.body.iter().enumerate() {
            if let ModuleItem::ModuleDecl(d) = it {
                facts.add(item, d);
            }
        }
        facts
    }

    fn add(&mut self, item: usize, d: &ModuleDecl) {
        let str_of = |s: &Str| s.value.to_string_lossy().into_owned();
        match d {
            ModuleDecl::Import(i) => {
                let bindings: Vec<ImportBinding> = i
                    .specifiers
                    .iter()
                    .map(|s| match s {
                        ImportSpecifier::Named(n) => ImportBinding {
                            local: n.local.to_id(),
                            imported: Imported::Name(
                                n.imported
                                    .as_ref()
                                    .map(export_name)
                                    .unwrap_or_else(|| n.local.sym.to_string()),
                            ),
                            type_only: i.type_only || n.is_type_only,
                        },
                        ImportSpecifier::Default(d) => ImportBinding {
                            local: d.local.to_id(),
                            imported: Imported::Name("default".into()),
                            type_only: i.type_only,
                        },
                        ImportSpecifier::Namespace(n) => ImportBinding {
                            local: n.local.to_id(),
                            imported: Imported::Namespace,
                            type_only: i.type_only,
                        },
                    })
                    .collect();
                let type_only =
                    i.type_only || (!bindings.is_empty() && bindings.iter().all(|b| b.type_only));
                self.imports.push(ImportFacts {
                    from: str_of(&i.src),
                    span: i.span,
                    type_only,
                    bindings,
                });
            }
            ModuleDecl::ExportDecl(e) => {
                let (names, type_only) = match &e.decl {
                    Decl::TsInterface(t) => (vec![t.id.to_id()], true),
                    Decl::TsTypeAlias(t) => (vec![t.id.to_id()], true),
                    d => (declared(d), false),
                };
                for id in names {
                    self.exports.push(ExportFacts {
                        exported: id.0.to_string(),
                        source: ExportSource::Local(id),
                        type_only,
                        item,
                        span: e.span,
                    });
                }
            }
            ModuleDecl::ExportDefaultDecl(d) => {
                let (local, type_only) = match &d.decl {
                    DefaultDecl::Fn(f) => (f.ident.as_ref().map(|i| i.to_id()), false),
                    DefaultDecl::Class(c) => (c.ident.as_ref().map(|i| i.to_id()), false),
                    DefaultDecl::TsInterfaceDecl(t) => (Some(t.id.to_id()), true),
                };
                self.exports.push(ExportFacts {
                    exported: "default".into(),
                    source: local.map_or(ExportSource::Anonymous, ExportSource::Local),
                    type_only,
                    item,
                    span: d.span,
                });
            }
            ModuleDecl::ExportDefaultExpr(e) => self.exports.push(ExportFacts {
                exported: "default".into(),
                source: ExportSource::Anonymous,
                type_only: false,
                item,
                span: e.span,
            }),
            ModuleDecl::ExportNamed(n) => {
                let from = n.src.as_deref().map(str_of);
                for s in &n.specifiers {
                    let (exported, source, type_only) = match (s, &from) {
                        (ExportSpecifier::Named(sp), from) => {
                            let orig = export_name(&sp.orig);
                            let exported = sp.exported.as_ref().map(export_name);
                            let source = match (from, &sp.orig) {
                                (Some(f), _) => ExportSource::From {
                                    from: f.clone(),
                                    imported: Imported::Name(orig.clone()),
                                },
                                (None, ModuleExportName::Ident(i)) => {
                                    ExportSource::Local(i.to_id())
                                }
                                // `export { "a" }` without `from` is not JavaScript.
                                (None, ModuleExportName::Str(_)) => continue,
                            };
                            let type_only = n.type_only || sp.is_type_only;
                            (exported.unwrap_or(orig), source, type_only)
                        }
                        (ExportSpecifier::Namespace(ns), Some(f)) => (
                            export_name(&ns.name),
                            ExportSource::From {
                                from: f.clone(),
                                imported: Imported::Namespace,
                            },
                            n.type_only,
                        ),
                        (ExportSpecifier::Default(d), Some(f)) => (
                            d.exported.sym.to_string(),
                            ExportSource::From {
                                from: f.clone(),
                                imported: Imported::Name("default".into()),
                            },
                            n.type_only,
                        ),
                        _ => continue,
                    };
                    self.exports.push(ExportFacts {
                        exported,
                        source,
                        type_only,
                        item,
                        span: n.span,
                    });
                }
            }
            ModuleDecl::ExportAll(a) => self.stars.push(StarFacts {
                from: str_of(&a.src),
                span: a.span,
                type_only: a.type_only,
            }),
            _ => {}
        }
    }

    /// The runtime exports: type-only ones left out.
    pub fn value_exports(&self) -> impl Iterator<Item = &ExportFacts> {
        self.exports.iter().filter(|e| !e.type_only)
    }

    /// The runtime import bindings, with the module each is from.
    pub fn value_imports(&self) -> impl Iterator<Item = (&str, &ImportBinding)> {
        self.imports.iter().flat_map(|i| {
            i.bindings
                .iter()
                .filter(|b| !b.type_only)
                .map(|b| (i.from.as_str(), b))
        })
    }

    /// The modules `export *` re-exports at run time.
    pub fn value_stars(&self) -> impl Iterator<Item = &str> {
        self.stars
            .iter()
            .filter(|s| !s.type_only)
            .map(|s| s.from.as_str())
    }
}

/// The identifiers a declaration binds (every name a destructuring pattern binds).
pub fn declared(d: &Decl) -> Vec<Id> {
    use swc_core::ecma::utils::find_pat_ids;
    match d {
        Decl::Fn(f) => vec![f.ident.to_id()],
        Decl::Class(c) => vec![c.ident.to_id()],
        Decl::Var(v) => v
            .decls
            .iter()
            .flat_map(|d| find_pat_ids::<_, Id>(&d.name))
            .collect(),
        Decl::TsEnum(e) => vec![e.id.to_id()],
        Decl::Using(u) => u
            .decls
            .iter()
            .flat_map(|d| find_pat_ids::<_, Id>(&d.name))
            .collect(),
        Decl::TsModule(_) | Decl::TsInterface(_) | Decl::TsTypeAlias(_) => vec![],
    }
}

/// The name an import or export specifier spells: `x` or `"a-b"`.
pub fn export_name(n: &ModuleExportName) -> String {
    match n {
        ModuleExportName::Ident(i) => i.sym.to_string(),
        ModuleExportName::Str(s) => s.value.to_string_lossy().into_owned(),
    }
}
