//! The one resolver: a specifier imported from a file → a file to read, or an external kept
//! as an import. The bundler and the TypeScript source loader (`source.rs`) both resolve through
//! it. oxc_resolver does the work (package.json `exports`, conditions, main fields, tsconfig
//! `paths`, `.js` → `.ts` probing).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

mod listings;
pub mod probes;

use oxc_resolver::{
    ResolveOptions, ResolverGeneric, SideEffects, TsConfig, TsconfigDiscovery, TsconfigOptions,
    TsconfigReferences,
};

/// Node's built-in modules (`require("module").builtinModules`, Node 22, without the internal
/// `_` ones): kept external under `--platform node`, as esbuild keeps them, subpaths included.
pub const NODE_BUILTINS: &[&str] = &[
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

/// How to resolve, as esbuild's flags of the same names say.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub conditions: Vec<String>,
    pub main_fields: Vec<String>,
    pub tsconfig: Option<PathBuf>,
    /// Specifiers kept as imports: exact (`hono`), prefix patterns (`node:*`, `edgespark/*`).
    pub externals: Vec<String>,
    /// Every file from a package (under node_modules) stays an import of its specifier, as
    /// esbuild's `--packages=external`: for analyses of the project's own code.
    pub packages_external: bool,
    /// `--loader .ext=kind`: how files of an extension are read (`.ext` with its dot).
    pub loaders: Vec<(String, Loader)>,
    /// `--platform node`: Node's built-in modules are external, also when reached through
    /// package.json "imports".
    pub node_builtins: bool,
}

/// How a file becomes a module, as esbuild's loaders of the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Loader {
    Js,
    Jsx,
    Ts,
    Tsx,
    /// `module.exports = <the JSON value>`.
    Json,
    /// `module.exports = "<the file's text>"` (a UTF-8 byte order mark dropped).
    Text,
    /// `module.exports = "<the file's bytes in base64>"`.
    Base64,
    /// `module.exports = <a Uint8Array of the file's bytes>`.
    Binary,
    /// `module.exports = {}`: the file is not read.
    Empty,
    /// `module.exports = "data:<type>;base64,..."` (or percent-escaped text when shorter).
    Dataurl,
    /// `module.exports = "./<name>-<hash>.<ext>"`: the file is copied beside the bundle.
    File,
    /// The import stays an import, of the file copied beside the bundle as
    /// `<name>-<hash>.<ext>`.
    Copy,
}

impl Loader {
    /// esbuild's default loader for a file name's extension (JavaScript when it has none).
    pub fn by_extension(path: &Path) -> Loader {
        match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
            "ts" | "mts" | "cts" => Loader::Ts,
            "tsx" => Loader::Tsx,
            "jsx" => Loader::Jsx,
            "json" => Loader::Json,
            "txt" => Loader::Text,
            _ => Loader::Js,
        }
    }
}

#[derive(Clone)]
pub enum Resolved {
    File(ResolvedFile),
    External(String),
}

/// A file to bundle and what its package.json says about it.
#[derive(Debug, Clone)]
pub struct ResolvedFile {
    pub path: PathBuf,
    /// False when its package declares it free of side effects (`"sideEffects"`): then it
    /// may be dropped whole when nothing it exports is used.
    pub side_effects: bool,
    /// Node treats it as an ES module by its own rules (`.mjs`/`.mts`, or `"type": "module"`),
    /// which changes what a default import of CommonJS means.
    pub node_mode: bool,
    /// Its package's "browser" map says `false` for it: it is bundled as an empty CommonJS
    /// module, not read.
    pub disabled: bool,
}

/// oxc_resolver over a file system that records every look (for the build cache).
type Oxc = ResolverGeneric<probes::RecordingFs>;

/// A tsconfig read, or why it could not be.
type TsconfigRead = Result<Arc<TsConfig>, String>;

/// The importer's directory, the specifier, and whether it is `require()`d.
type MemoKey = (PathBuf, String, bool);

pub struct Resolver {
    oxc: Oxc,
    /// The same, with the "require" condition in place of "import", for `require()` calls.
    oxc_require: Oxc,
    externals: Vec<String>,
    packages_external: bool,
    loaders: Vec<(String, Loader)>,
    /// With `--tsconfig`: that file, which applies to every file (read once).
    manual_tsconfig: Option<(PathBuf, std::sync::OnceLock<TsconfigRead>)>,
    /// What (directory, specifier, by require) resolved to: a specifier means the same from
    /// every file of a directory, and many files import the same ones (`hono` from each route).
    memo: Mutex<FxHashMap<MemoKey, Result<Resolved, String>>>,
    /// The files the `copy` loader kept as imports: the copy's name → the file.
    copied: Mutex<std::collections::BTreeMap<String, PathBuf>>,
    /// Every look at the file system so far.
    looks: probes::Log,
}

impl Resolver {
    pub fn new(o: &Options) -> Resolver {
        // A relative tsconfig would make every path it maps relative too.
        let tsconfig = o
            .tsconfig
            .as_ref()
            .map(|t| std::path::absolute(t).unwrap_or_else(|_| t.clone()));
        let options = ResolveOptions {
            extensions: [
                ".tsx", ".ts", ".jsx", ".js", ".mjs", ".cjs", ".mts", ".cts", ".json",
            ]
            .map(String::from)
            .to_vec(),
            // As esbuild: `./x.js` is x.js when there is one, else the TypeScript file it is
            // compiled from.
            extension_alias: vec![
                (
                    ".js".into(),
                    vec![".js".into(), ".ts".into(), ".tsx".into()],
                ),
                (".mjs".into(), vec![".mjs".into(), ".mts".into()]),
                (".cjs".into(), vec![".cjs".into(), ".cts".into()]),
            ],
            condition_names: o.conditions.clone(),
            main_fields: o.main_fields.clone(),
            // Under --platform node, a specifier that comes to a built-in (`#fs` mapped to "fs"
            // by package.json "imports") is the built-in, kept external.
            builtin_modules: o.node_builtins,
            // The browser field's file map applies wherever its entry does.
            alias_fields: if o.main_fields.iter().any(|f| f == "browser") {
                vec![vec!["browser".into()]]
            } else {
                vec![]
            },
            // Without --tsconfig each file has the nearest tsconfig.json above it, as in esbuild.
            tsconfig: Some(match &tsconfig {
                Some(t) => TsconfigDiscovery::Manual(TsconfigOptions {
                    config_file: t.clone(),
                    references: TsconfigReferences::Auto,
                }),
                None => TsconfigDiscovery::Auto,
            }),
            ..ResolveOptions::default()
        };
        let require_conditions = o
            .conditions
            .iter()
            .map(|c| {
                if c == "import" {
                    "require".to_string()
                } else {
                    c.clone()
                }
            })
            .collect();
        let looks = probes::Log::default();
        let fs = probes::RecordingFs::recording_in(looks.clone());
        let oxc = Oxc::new_with_file_system(fs, options.clone());
        let oxc_require = oxc.clone_with_options(ResolveOptions {
            condition_names: require_conditions,
            ..options
        });
        Resolver {
            oxc,
            oxc_require,
            externals: o.externals.clone(),
            packages_external: o.packages_external,
            loaders: o.loaders.clone(),
            manual_tsconfig: tsconfig.map(|t| (t, Default::default())),
            memo: Default::default(),
            copied: Default::default(),
            looks,
        }
    }

    /// Every look at the file system it makes, with what it found: asked again, the same
    /// answers mean it would resolve the same imports to the same files (see `probes`).
    pub fn looks(&self) -> probes::Log {
        self.looks.clone()
    }

    /// The tsconfig that applies to `file`: `--tsconfig`'s, else the nearest one above it
    /// (none for a data: URL or a file without one).
    pub fn tsconfig_for(&self, file: &Path) -> Result<Option<Arc<TsConfig>>, String> {
        if is_data_url(file) {
            return Ok(None);
        }
        if let Some((path, once)) = &self.manual_tsconfig {
            return once
                .get_or_init(|| {
                    self.oxc
                        .resolve_tsconfig(path)
                        .map_err(|e| format!("{}: {e}", path.display()))
                })
                .clone()
                .map(Some);
        }
        self.oxc
            .find_tsconfig(file)
            .map_err(|e| format!("the tsconfig.json for {}: {e}", file.display()))
    }

    /// The files the `copy` loader kept as imports, by the name of their copy.
    pub fn copied(&self) -> std::collections::BTreeMap<String, PathBuf> {
        self.copied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The loader for `path`: `--loader` for its extension, else the default one (a data:
    /// URL's by its media type).
    pub fn loader_for(&self, path: &Path) -> Loader {
        if is_data_url(path) {
            return match data_url(&path.to_string_lossy()) {
                Ok(Some((loader, _))) => loader,
                _ => Loader::Js,
            };
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        self.loaders
            .iter()
            .filter(|(ext, _)| name.ends_with(ext.as_str()))
            .max_by_key(|(ext, _)| ext.len())
            .map_or_else(|| Loader::by_extension(path), |(_, l)| *l)
    }

    pub fn is_external(&self, specifier: &str) -> bool {
        self.externals
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => specifier.starts_with(prefix),
                None => {
                    specifier == pattern
                        || specifier
                            .strip_prefix(pattern.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                }
            })
    }

    /// Resolve `specifier` as imported (or, with `by_require`, required) from the file
    /// `importer`. The error says where it looked.
    pub fn resolve(
        &self,
        importer: &Path,
        specifier: &str,
        by_require: bool,
    ) -> Result<Resolved, String> {
        if self.is_external(specifier) {
            return Ok(Resolved::External(specifier.to_string()));
        }
        // A data: URL of JavaScript or JSON is a module of its own, its text in the URL;
        // esbuild keeps any other data: URL an import, and so do we.
        if specifier.starts_with("data:") {
            if data_url(specifier)?.is_none() {
                return Ok(Resolved::External(specifier.to_string()));
            }
            return Ok(Resolved::File(ResolvedFile {
                path: PathBuf::from(specifier),
                side_effects: true,
                node_mode: false,
                disabled: false,
            }));
        }
        let dir = importer.parent().unwrap_or(Path::new("."));
        let key = (dir.to_path_buf(), specifier.to_string(), by_require);
        if let Some(known) = self
            .memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return known.clone();
        }
        let oxc = if by_require {
            &self.oxc_require
        } else {
            &self.oxc
        };
        let resolved = match oxc.resolve_file(importer, specifier) {
            Ok(r) if self.packages_external && in_package(r.path()) => {
                Ok(Resolved::External(specifier.to_string()))
            }
            Ok(r) if self.loader_for(r.path()) == Loader::Copy => match asset_name(r.path()) {
                Ok(name) => {
                    let copied = &mut self.copied.lock().unwrap_or_else(|e| e.into_inner());
                    copied.insert(name.clone(), r.path().to_path_buf());
                    Ok(Resolved::External(format!("./{name}")))
                }
                Err(why) => Err(why),
            },
            Ok(r) => Ok(Resolved::File(file_facts(&r))),
            Err(oxc_resolver::ResolveError::Ignored(path)) => Ok(Resolved::File(disabled(&path))),
            Err(oxc_resolver::ResolveError::Builtin { resolved, .. }) => {
                Ok(Resolved::External(resolved))
            }
            Err(e) => Err(format!("{e} (looked from {})", dir.display())),
        };
        self.memo
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, resolved.clone());
        resolved
    }

    /// An entry point given on the command line, with its package's facts.
    pub fn resolve_entry(&self, path: &Path) -> Result<ResolvedFile, String> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .ok_or_else(|| format!("{} is not a file", path.display()))?;
        match self
            .oxc
            .resolve(dir, &format!("./{}", name.to_string_lossy()))
        {
            Ok(r) => Ok(file_facts(&r)),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

/// The name a file gets beside the bundle (the `file` and `copy` loaders), as esbuild's
/// default `[name]-[hash]`: its stem, 8 base32 characters of a hash of its bytes, its extension.
pub fn asset_name(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let hash = blake3::hash(&bytes);
    let bits = hash.as_bytes()[..5]
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let code: String = (0..8)
        .map(|i| ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize] as char)
        .collect();
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("asset");
    Ok(match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{stem}-{code}.{ext}"),
        None => format!("{stem}-{code}"),
    })
}

/// A file of an installed package (under node_modules), not of the project.
pub fn in_package(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "node_modules")
}

/// A module the browser map disables: named apart from the real file, which other importers
/// may still reach.
fn disabled(path: &Path) -> ResolvedFile {
    let mut name = path.as_os_str().to_owned();
    name.push(" (disabled by the browser field)");
    ResolvedFile {
        path: PathBuf::from(name),
        side_effects: false,
        node_mode: false,
        disabled: true,
    }
}

fn file_facts(r: &oxc_resolver::Resolution) -> ResolvedFile {
    let path = r.full_path();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let pkg = r.package_json();
    let node_mode = match ext {
        "mjs" | "mts" => true,
        "cjs" | "cts" => false,
        _ => pkg
            .and_then(|p| p.r#type())
            .is_some_and(|t| matches!(t, oxc_resolver::PackageType::Module)),
    };
    let side_effects =
        match pkg.and_then(|p| p.side_effects().map(|s| (p.directory().to_path_buf(), s))) {
            None => true,
            Some((dir, se)) => {
                let rel = path
                    .strip_prefix(&dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                match se {
                    SideEffects::Bool(b) => b,
                    SideEffects::String(g) => glob_matches(g, &rel),
                    SideEffects::Array(gs) => gs.iter().any(|g| glob_matches(g, &rel)),
                }
            }
        };
    ResolvedFile {
        path,
        side_effects,
        node_mode,
        disabled: false,
    }
}

/// webpack's reading of a `sideEffects` pattern: relative to the package, `./` optional, a
/// pattern without `/` matches the file name in any folder; `*` within a folder, `**` across.
fn glob_matches(pattern: &str, rel: &str) -> bool {
    let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
    if !pattern.contains('/') {
        return wildcard(
            pattern.as_bytes(),
            rel.rsplit('/').next().unwrap_or(rel).as_bytes(),
        );
    }
    wildcard(pattern.as_bytes(), rel.as_bytes())
}

fn wildcard(p: &[u8], s: &[u8]) -> bool {
    match p {
        [] => s.is_empty(),
        [b'*', b'*', rest @ ..] => {
            let rest = rest.strip_prefix(b"/").unwrap_or(rest);
            (0..=s.len()).any(|i| (i == 0 || s[i - 1] == b'/') && wildcard(rest, &s[i..]))
                || wildcard(rest, s)
        }
        [b'*', rest @ ..] => (0..=s.len())
            .take_while(|&i| i == 0 || s[i - 1] != b'/')
            .any(|i| wildcard(rest, &s[i..])),
        [b'?', rest @ ..] => s.first().is_some_and(|&c| c != b'/') && wildcard(rest, &s[1..]),
        [c, rest @ ..] => s.first() == Some(c) && wildcard(rest, &s[1..]),
    }
}

/// Whether a module's "path" is a data: URL.
pub fn is_data_url(path: &Path) -> bool {
    path.as_os_str().to_string_lossy().starts_with("data:")
}

/// A data: URL's loader (by its media type: `text/javascript` or `application/json`, the ones
/// esbuild bundles; None for any other) and its decoded text (base64 or percent-encoded).
pub fn data_url(url: &str) -> Result<Option<(Loader, String)>, String> {
    let rest = url.strip_prefix("data:").unwrap_or(url);
    let (head, payload) = rest
        .split_once(',')
        .ok_or_else(|| format!("{url}: a data: URL needs a comma before its data"))?;
    let mut parts = head.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let base64 = parts.any(|p| p.trim().eq_ignore_ascii_case("base64"));
    let loader = match media.as_str() {
        "text/javascript" => Loader::Js,
        "application/json" => Loader::Json,
        _ => return Ok(None),
    };
    let bytes = if base64 {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(payload.trim())
            .map_err(|e| format!("{url}: not valid base64: {e}"))?
    } else {
        percent_decode(payload)
    };
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{url}: the data is not UTF-8 text"))?;
    Ok(Some((loader, text)))
}

/// `%XX` escapes decoded (a `%` not followed by two hex digits stays as it is).
pub fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (
                (bytes[i + 1] as char).to_digit(16),
                (bytes.get(i + 2).copied().unwrap_or(b'x') as char).to_digit(16),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn side_effects_patterns_match_as_webpack_reads_them() {
        assert!(glob_matches("*.css", "dist/styles/a.css"));
        assert!(glob_matches("./src/polyfill.js", "src/polyfill.js"));
        assert!(!glob_matches("./src/polyfill.js", "src/other.js"));
        assert!(glob_matches("dist/**/register.js", "dist/a/b/register.js"));
        assert!(glob_matches("dist/**/register.js", "dist/register.js"));
        assert!(!glob_matches("dist/*.js", "dist/a/b.js"));
        assert!(glob_matches("dist/*.js", "dist/b.js"));
    }
}
