//! Loading TypeScript modules for the schema reader: parse with SWC, resolve imports with
//! oxc_resolver, report syntax errors with a code frame.

use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{Context, Result};
use oxc_resolver::{ResolveOptions, Resolver};
use swc_core::common::{BytePos, FileName, SourceMap, Span, Spanned, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Module};
use swc_core::ecma::parser::{Syntax, TsSyntax, parse_file_as_module};

use crate::diagnostic::Diagnostic;
use crate::parsing::module_facts::ModuleFacts;

#[derive(Debug)]
pub struct SourceModule {
    pub path: PathBuf,
    pub text: String,
    pub ast: Module,
    /// Its imports and exports by name.
    pub facts: ModuleFacts,
    start: BytePos,
}

impl SourceModule {
    /// Byte offsets of `span` within this module's text.
    pub fn offsets(&self, span: Span) -> (usize, usize) {
        let lo = span.lo.0.saturating_sub(self.start.0) as usize;
        let hi = span.hi.0.saturating_sub(self.start.0) as usize;
        (lo, hi.max(lo))
    }

    pub fn diagnostic(
        &self,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(&self.path, &self.text, self.offsets(span), message, label)
    }
}

pub struct Sources {
    cm: Lrc<SourceMap>,
    resolver: Resolver,
    modules: HashMap<PathBuf, Rc<SourceModule>>,
}

impl Sources {
    pub fn new(tsconfig_dir: Option<&Path>) -> Sources {
        let mut options = ResolveOptions {
            extensions: vec![
                ".ts".into(),
                ".tsx".into(),
                ".mts".into(),
                ".js".into(),
                ".mjs".into(),
            ],
            extension_alias: vec![(
                ".js".into(),
                vec![".ts".into(), ".tsx".into(), ".js".into()],
            )],
            condition_names: vec!["import".into(), "default".into()],
            ..ResolveOptions::default()
        };
        if let Some(dir) = tsconfig_dir {
            let tsconfig = dir.join("tsconfig.json");
            if tsconfig.is_file() {
                options.tsconfig = Some(oxc_resolver::TsconfigDiscovery::Manual(
                    oxc_resolver::TsconfigOptions {
                        config_file: tsconfig,
                        references: oxc_resolver::TsconfigReferences::Auto,
                    },
                ));
            }
        }
        Sources {
            cm: Lrc::new(SourceMap::default()),
            resolver: Resolver::new(options),
            modules: HashMap::default(),
        }
    }

    pub fn load(&mut self, path: &Path) -> Result<Rc<SourceModule>> {
        let path = path
            .canonicalize()
            .with_context(|| format!("reading {}", path.display()))?;
        if let Some(m) = self.modules.get(&path) {
            return Ok(m.clone());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        crate::parsing::depth::check(&path, &text)?;
        let fm = self
            .cm
            .new_source_file(Lrc::new(FileName::Real(path.clone())), text.clone());
        let tsx = path.extension().is_some_and(|e| e == "tsx");
        let syntax = Syntax::Typescript(TsSyntax {
            tsx,
            decorators: true,
            ..Default::default()
        });
        let mut recovered = vec![];
        let parsed = parse_file_as_module(&fm, syntax, EsVersion::EsNext, None, &mut recovered);
        let start = fm.start_pos;
        let err = match parsed {
            Ok(ast) if recovered.is_empty() => {
                let m = Rc::new(SourceModule {
                    path: path.clone(),
                    text,
                    facts: ModuleFacts::of(&ast),
                    ast,
                    start,
                });
                self.modules.insert(path, m.clone());
                return Ok(m);
            }
            Ok(_) => recovered.remove(0),
            Err(e) => e,
        };
        let stub = SourceModule {
            path: path.clone(),
            text,
            ast: Module::default(),
            facts: ModuleFacts::default(),
            start,
        };
        let msg = err.kind().msg().to_string();
        Err(stub
            .diagnostic(err.span(), format!("syntax error: {msg}"), msg)
            .into())
    }

    /// Resolve `specifier` imported from `importer`.
    pub fn resolve(&self, importer: &Path, specifier: &str) -> Result<PathBuf> {
        let dir = importer.parent().unwrap_or(Path::new("."));
        let r = self
            .resolver
            .resolve(dir, specifier)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(r.full_path())
    }
}
