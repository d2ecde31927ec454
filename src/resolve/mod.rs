//! The resolve stage: a specifier imported from a file → a file to bundle, or an external kept
//! as an import. oxc_resolver does the work (package.json `exports`, conditions, main fields,
//! tsconfig `paths`, `.js` → `.ts` probing).

use std::path::{Path, PathBuf};

use oxc_resolver::{ResolveOptions, Resolver as Oxc, TsconfigDiscovery, TsconfigOptions, TsconfigReferences};

/// How to resolve, as esbuild's flags of the same names say.
#[derive(Debug, Clone)]
pub struct Options {
    pub conditions: Vec<String>,
    pub main_fields: Vec<String>,
    pub tsconfig: Option<PathBuf>,
    /// Specifiers kept as imports: exact (`hono`), prefix patterns (`node:*`, `edgespark/*`).
    pub externals: Vec<String>,
}

pub enum Resolved {
    File(PathBuf),
    External(String),
}

pub struct Resolver {
    oxc: Oxc,
    externals: Vec<String>,
}

impl Resolver {
    pub fn new(o: &Options) -> Resolver {
        // A relative tsconfig would make every path it maps relative too.
        let tsconfig = o.tsconfig.as_ref().map(|t| std::path::absolute(t).unwrap_or_else(|_| t.clone()));
        let options = ResolveOptions {
            extensions: [".tsx", ".ts", ".jsx", ".js", ".mjs", ".cjs", ".mts", ".cts", ".json"].map(String::from).to_vec(),
            extension_alias: vec![
                (".js".into(), vec![".ts".into(), ".tsx".into(), ".js".into()]),
                (".mjs".into(), vec![".mts".into(), ".mjs".into()]),
            ],
            condition_names: o.conditions.clone(),
            main_fields: o.main_fields.clone(),
            tsconfig: tsconfig.map(|t| {
                TsconfigDiscovery::Manual(TsconfigOptions { config_file: t, references: TsconfigReferences::Auto })
            }),
            ..ResolveOptions::default()
        };
        Resolver { oxc: Oxc::new(options), externals: o.externals.clone() }
    }

    pub fn is_external(&self, specifier: &str) -> bool {
        self.externals.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => specifier.starts_with(prefix),
            None => specifier == pattern || specifier.strip_prefix(pattern.as_str()).is_some_and(|rest| rest.starts_with('/')),
        })
    }

    /// Resolve `specifier` as imported from the file `importer`. The error says where it looked.
    pub fn resolve(&self, importer: &Path, specifier: &str) -> Result<Resolved, String> {
        if self.is_external(specifier) {
            return Ok(Resolved::External(specifier.to_string()));
        }
        let dir = importer.parent().unwrap_or(Path::new("."));
        match self.oxc.resolve(dir, specifier) {
            Ok(r) => Ok(Resolved::File(r.full_path())),
            Err(e) => Err(format!("{e} (looked from {})", dir.display())),
        }
    }
}
