//! A project's tsconfig as TypeScript 5 read it (the `extends` chain followed, `${configDir}`,
//! paths relative to the file that wrote them), and the plan that makes it mean the same to
//! TypeScript 7: `baseUrl` (an error there) folded into `paths`, the `@types` packages
//! TypeScript 5 included by itself listed, the TypeScript 5 defaults the project relied on
//! pinned where TypeScript 7 changed them, removed options given their TypeScript 7 meaning.
//! Each change carries a note at the tsconfig line it comes from. The plan is carried out two
//! ways: `derive` writes an equivalent config elsewhere for the check (the user's files are
//! never edited), `fix` edits the user's files when they ask (`edgespark doctor --write`).

pub mod derive;
pub mod fix;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use crate::project::paths::{absolute, relative};

pub use derive::{Derived, derive};

/// A place in a tsconfig file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone)]
pub struct Note {
    pub at: Place,
    pub message: String,
}

/// One file of the `extends` chain.
pub struct Layer {
    pub path: PathBuf,
    pub dir: PathBuf,
    /// The file as written.
    pub raw: String,
    /// The text with comments and trailing commas blanked (offsets unchanged).
    pub text: String,
    pub json: Map<String, Value>,
}

impl Layer {
    /// Where `"key":` is written, searching after `"section"` when given.
    pub fn place(&self, section: Option<&str>, key: &str) -> Place {
        let at = self.offset(section, key).unwrap_or(0);
        let (line, col) = crate::diagnostic::line_col(self.text.as_bytes(), at);
        Place {
            file: self.path.clone(),
            line,
            col,
        }
    }

    /// The offset of `"key":` (after `"section":` when given), or of the section itself.
    fn offset(&self, section: Option<&str>, key: &str) -> Option<usize> {
        let from = section
            .and_then(|s| find_key(&self.text, 0, s))
            .unwrap_or(0);
        find_key(&self.text, from, key).or_else(|| section.and_then(|s| find_key(&self.text, 0, s)))
    }

    fn option(&self, key: &str) -> Option<&Value> {
        self.json.get("compilerOptions")?.get(key)
    }
}

fn find_key(text: &str, from: usize, key: &str) -> Option<usize> {
    let quoted = format!("\"{key}\"");
    let mut start = from;
    while let Some(i) = text[start..].find(&quoted) {
        let at = start + i;
        if text[at + quoted.len()..].trim_start().starts_with(':') {
            return Some(at);
        }
        start = at + quoted.len();
    }
    None
}

/// The chain, base first, the project's own tsconfig last.
pub struct Chain {
    pub layers: Vec<Layer>,
}

impl Chain {
    pub fn load(tsconfig: &Path) -> Result<Chain> {
        let mut layers = vec![];
        load(&absolute(tsconfig)?, &mut layers, &mut vec![])?;
        Ok(Chain { layers })
    }

    pub fn top(&self) -> usize {
        self.layers.len() - 1
    }

    pub fn top_dir(&self) -> &Path {
        &self.layers[self.top()].dir
    }

    /// The last layer that sets compiler option `key`, and its value.
    pub fn option(&self, key: &str) -> Option<(usize, &Value)> {
        self.layers
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, l)| l.option(key).map(|v| (i, v)))
    }

    fn option_lower(&self, key: &str) -> Option<(usize, String)> {
        self.option(key)
            .and_then(|(i, v)| v.as_str().map(|s| (i, s.to_ascii_lowercase())))
    }

    /// The last layer that sets a top-level `key`, and its value.
    pub fn top_level(&self, key: &str) -> Option<(usize, &Value)> {
        self.layers
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, l)| l.json.get(key).map(|v| (i, v)))
    }

    /// `${configDir}` stands for the folder of the tsconfig the compiler was given.
    pub fn config_dir(&self, p: &str) -> String {
        p.replace("${configDir}", &self.top_dir().to_string_lossy())
    }

    /// A path written in `layer`, made absolute.
    pub fn absolute(&self, layer: usize, p: &str) -> PathBuf {
        join(&self.layers[layer].dir, &self.config_dir(p))
    }

    /// The @types folders TypeScript looks in: `typeRoots`, else every `node_modules/@types`
    /// from the project's folder up.
    pub fn type_roots(&self) -> Vec<PathBuf> {
        match self.option("typeRoots") {
            Some((layer, Value::Array(roots))) => roots
                .iter()
                .filter_map(Value::as_str)
                .map(|p| self.absolute(layer, p))
                .collect(),
            _ => self
                .top_dir()
                .ancestors()
                .map(|a| a.join("node_modules/@types"))
                .filter(|p| p.is_dir())
                .collect(),
        }
    }

    pub fn note(&self, layer: usize, key: &str, message: String) -> Note {
        let section = (key != "compilerOptions").then_some("compilerOptions");
        Note {
            at: self.layers[layer].place(section, key),
            message,
        }
    }
}

pub fn join(dir: &Path, p: &str) -> PathBuf {
    absolute(&dir.join(p)).unwrap_or_else(|_| dir.join(p))
}

/// What TypeScript 7 needs changed, each with its note.
#[derive(Debug, Clone)]
pub enum Change {
    /// Leave compiler option `key` of `layer` out.
    Remove { layer: usize, key: String },
    /// Give compiler option `key` of `layer` this value instead.
    Set {
        layer: usize,
        key: String,
        value: Value,
    },
    /// Set compiler option `key`, unset in the whole chain, in the project's own tsconfig.
    Pin { key: String, value: Value },
    /// `baseUrl` of `layer` (the folder `base`) is gone: paths resolve from it, and `"*"`
    /// keeps its lookup of bare names unless `paths` has its own.
    FoldBaseUrl { layer: usize, base: PathBuf },
}

pub struct Planned {
    pub change: Change,
    pub note: Note,
}

/// Options TypeScript 7 removed outright; with no emit, leaving them out keeps the meaning.
const GONE: &[&str] = &[
    "charset",
    "importsNotUsedAsValues",
    "keyofStringsOnly",
    "noImplicitUseStrict",
    "noStrictGenericChecks",
    "out",
    "prepend",
    "preserveValueImports",
    "suppressExcessPropertyErrors",
    "suppressImplicitAnyIndexErrors",
    "outFile",
    "downlevelIteration",
];

/// The changes that make `chain` (a project written for TypeScript `major`) mean to
/// TypeScript 7 what it meant to the TypeScript it was written for.
pub fn plan(chain: &Chain, major: u32) -> Vec<Planned> {
    let mut out = vec![];
    let mut add = |change: Change, layer: usize, key: &str, message: String| {
        out.push(Planned {
            change,
            note: chain.note(layer, key, message),
        })
    };
    let top = chain.top();
    let mut remove = |layer: usize, key: &str, message: String| {
        let change = Change::Remove {
            layer,
            key: key.to_string(),
        };
        add(change, layer, key, message)
    };
    for key in GONE {
        if let Some((layer, _)) = chain.option(key) {
            let why =
                format!("\"{key}\" is removed in TypeScript 7; left out (the check emits nothing)");
            remove(layer, key, why);
        }
    }
    for key in [
        "esModuleInterop",
        "allowSyntheticDefaultImports",
        "alwaysStrict",
    ] {
        if let Some((layer, Value::Bool(false))) = chain.option(key) {
            let why = format!(
                "\"{key}\": false is removed in TypeScript 7, where it is always on; left out"
            );
            remove(layer, key, why);
        }
    }
    if let Some((layer, target)) = chain.option_lower("target")
        && matches!(target.as_str(), "es3" | "es5")
    {
        let change = Change::Set {
            layer,
            key: "target".into(),
            value: json!("es2015"),
        };
        add(
            change,
            layer,
            "target",
            format!("\"target\": \"{target}\" is removed in TypeScript 7; checked as es2015"),
        );
    }
    if let Some((layer, module)) = chain.option_lower("module")
        && matches!(module.as_str(), "amd" | "umd" | "system" | "none")
    {
        let change = Change::Set {
            layer,
            key: "module".into(),
            value: json!("esnext"),
        };
        add(
            change,
            layer,
            "module",
            format!("\"module\": \"{module}\" is removed in TypeScript 7; checked as esnext"),
        );
    }
    if let Some((layer, resolution)) = chain.option_lower("moduleResolution")
        && matches!(resolution.as_str(), "node" | "node10" | "classic")
    {
        let key = "moduleResolution".to_string();
        if chain
            .option_lower("module")
            .is_some_and(|(_, m)| m.starts_with("node"))
        {
            let message = format!(
                "\"moduleResolution\": \"{resolution}\" is removed in TypeScript 7; its default for this \"module\" is used"
            );
            add(
                Change::Remove {
                    layer,
                    key: key.clone(),
                },
                layer,
                &key,
                message,
            );
        } else {
            let message = format!(
                "\"moduleResolution\": \"{resolution}\" is removed in TypeScript 7; checked as bundler"
            );
            add(
                Change::Set {
                    layer,
                    key: key.clone(),
                    value: json!("bundler"),
                },
                layer,
                &key,
                message,
            );
        }
    }

    // The TypeScript 5 defaults that TypeScript 7 changed, kept where the project relied on them.
    if major < 6 {
        for key in ["strict", "noUncheckedSideEffectImports"] {
            if chain.option(key).is_none() {
                let message = format!(
                    "\"{key}\" is not set: TypeScript 5's default (false) is kept (TypeScript 7 turns it on)"
                );
                add(
                    Change::Pin {
                        key: key.into(),
                        value: json!(false),
                    },
                    top,
                    "compilerOptions",
                    message,
                );
            }
        }
        let old_target = chain.option_lower("target").map(|(_, t)| t);
        if old_target.is_none() {
            let message = "\"target\" is not set: TypeScript 5's default (es5) is removed in TypeScript 7; checked as es2015".to_string();
            add(
                Change::Pin {
                    key: "target".into(),
                    value: json!("es2015"),
                },
                top,
                "compilerOptions",
                message,
            );
        }
        if chain.option("module").is_none() {
            // TypeScript 5 chose CommonJS for an ES3/ES5 target (also its default), else ES2015.
            let module = if old_target
                .as_deref()
                .is_none_or(|t| t == "es3" || t == "es5")
            {
                "commonjs"
            } else {
                "es2015"
            };
            let message = format!(
                "\"module\" is not set: TypeScript 5's default here ({module}) is kept (TypeScript 7's is esnext)"
            );
            add(
                Change::Pin {
                    key: "module".into(),
                    value: json!(module),
                },
                top,
                "compilerOptions",
                message,
            );
        }
        if chain.option("types").is_none() {
            let mut names: Vec<String> = chain
                .type_roots()
                .iter()
                .flat_map(|root| std::fs::read_dir(root).into_iter().flatten().flatten())
                .filter(|e| e.path().is_dir())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| !n.starts_with('.'))
                .collect();
            names.sort();
            names.dedup();
            if !names.is_empty() {
                let message = format!(
                    "\"types\" is not set: TypeScript 5 included every @types package, TypeScript 7 includes none; listed: {}",
                    names.join(", ")
                );
                add(
                    Change::Pin {
                        key: "types".into(),
                        value: json!(names),
                    },
                    top,
                    "compilerOptions",
                    message,
                );
            }
        }
    }

    if let Some((layer, value)) = chain.option("baseUrl") {
        let base = chain.absolute(layer, value.as_str().unwrap_or("."));
        let keeps = if chain
            .option("paths")
            .is_some_and(|(_, p)| p.get("*").is_some())
        {
            String::new()
        } else {
            format!(
                ", and \"*\": [\"{}/*\"] keeps its lookup of bare module names",
                relative(chain.top_dir(), &base)
            )
        };
        let message = format!(
            "\"baseUrl\" is removed in TypeScript 7 (TS5102): \"paths\" are resolved from it{keeps}"
        );
        add(
            Change::FoldBaseUrl { layer, base },
            layer,
            "baseUrl",
            message,
        );
    }
    out
}

/// Which TypeScript major a project was written for: its installed `typescript`, else the
/// range its package.json asks for, else 7.
pub fn written_for(server: &Path, root: &Path) -> u32 {
    for dir in server.ancestors() {
        let manifest = dir.join("node_modules/typescript/package.json");
        if let Some(major) =
            read_json(&manifest).and_then(|j| j["version"].as_str().and_then(major_of))
        {
            return major;
        }
        if dir == root {
            break;
        }
    }
    for dir in [server, root] {
        let Some(manifest) = read_json(&dir.join("package.json")) else {
            continue;
        };
        for section in ["devDependencies", "dependencies"] {
            if let Some(major) = manifest[section]["typescript"].as_str().and_then(major_of) {
                return major;
            }
        }
    }
    7
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// The major version a version or range starts with (`^5.9.3` → 5); None for tags.
fn major_of(range: &str) -> Option<u32> {
    let digits: String = range
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Read `path` and, first, what it extends (base first in `layers`).
fn load(path: &Path, layers: &mut Vec<Layer>, chain: &mut Vec<PathBuf>) -> Result<()> {
    if chain.contains(&path.to_path_buf()) {
        bail!("{}: \"extends\" leads back to itself", path.display());
    }
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut text = raw.clone();
    json_strip_comments::strip(&mut text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let json: Map<String, Value> = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not a valid tsconfig: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let dir = path
        .parent()
        .context("a tsconfig is in a folder")?
        .to_path_buf();
    let layer = Layer {
        path: path.to_path_buf(),
        dir,
        raw,
        text,
        json,
    };
    let extends: Vec<String> = match layer.json.get("extends") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => vec![],
    };
    chain.push(path.to_path_buf());
    for spec in extends {
        let base = resolve_extends(&layer.dir, &spec).with_context(|| {
            let at = layer.place(None, "extends");
            format!(
                "{}:{}:{}: \"extends\": {spec:?} is not found",
                at.file.display(),
                at.line,
                at.col
            )
        })?;
        load(&absolute(&base)?, layers, chain)?;
    }
    chain.pop();
    layers.push(layer);
    Ok(())
}

/// A relative `extends` is a file (`.json` may be left off); a bare one is a package's
/// tsconfig found in node_modules, as TypeScript looks it up.
fn resolve_extends(dir: &Path, spec: &str) -> Option<PathBuf> {
    let candidates = |base: PathBuf| {
        let mut with_json = base.clone().into_os_string();
        with_json.push(".json");
        [
            base.clone(),
            PathBuf::from(with_json),
            base.join("tsconfig.json"),
        ]
    };
    if spec.starts_with('.') || Path::new(spec).is_absolute() {
        return candidates(dir.join(spec)).into_iter().find(|p| p.is_file());
    }
    for ancestor in dir.ancestors() {
        let package = ancestor.join("node_modules").join(spec);
        if let Some(found) = candidates(package.clone())
            .into_iter()
            .find(|p| p.is_file())
        {
            return Some(found);
        }
        if let Some(field) = read_json(&package.join("package.json"))
            .and_then(|m| m["tsconfig"].as_str().map(String::from))
            && package.join(&field).is_file()
        {
            return Some(package.join(field));
        }
    }
    None
}
