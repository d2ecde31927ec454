//! The one TypeScript source loader (the schema reader's, deploy's checks', the defs
//! readers'): parse with SWC, resolve imports through `crate::resolve`, report syntax errors
//! with a code frame.

use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{Context, Result};
use swc_core::common::{BytePos, FileName, SourceMap, Span, Spanned, sync::Lrc};
use swc_core::ecma::ast::{EsVersion, Module};
use swc_core::ecma::parser::{Syntax, TsSyntax, parse_file_as_module};

use crate::diagnostic::Diagnostic;
use crate::parsing::module_facts::ModuleFacts;
use crate::resolve::{Options, Resolved, Resolver};

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
    /// A loader whose imports resolve as ES module imports do (`import`, then `default`),
    /// through the tsconfig.json of `tsconfig_dir` when given (else each file's nearest one).
    pub fn new(tsconfig_dir: Option<&Path>) -> Sources {
        let tsconfig = tsconfig_dir
            .map(|dir| dir.join("tsconfig.json"))
            .filter(|t| t.is_file());
        let options = Options {
            conditions: vec!["import".into(), "default".into()],
            main_fields: vec!["main".into()],
            tsconfig,
            externals: vec![],
            packages_external: false,
            loaders: vec![],
            node_builtins: false,
        };
        Sources {
            cm: Lrc::new(SourceMap::default()),
            resolver: Resolver::new(&options),
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
        match self.resolver.resolve(importer, specifier, false) {
            Ok(Resolved::File(f)) => Ok(f.path),
            Ok(Resolved::External(s)) => Err(anyhow::anyhow!("{s} is not a file")),
            Err(why) => Err(anyhow::anyhow!("{why}")),
        }
    }
}
