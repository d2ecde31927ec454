//! A TypeScript 5 project's tsconfig, read as TypeScript 5 read it and written out again as an
//! equivalent config for TypeScript 7, in `.edgespark/tmp/` (the user's files are never
//! edited). The `extends` chain is followed and flattened; every relative path is rebased onto
//! the new folder; `baseUrl` (an error in TypeScript 7) is folded into `paths`; the `@types`
//! packages TypeScript 5 included by itself are listed; the TypeScript 5 defaults the project
//! relied on are pinned where TypeScript 7 changed them; removed options get their TypeScript 7
//! meaning. Each change is a note at the line of the tsconfig it comes from. A config that
//! needs no change is used as it is.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};

use crate::project::paths::{absolute, relative};

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

/// The config the compiler is to read.
#[derive(Debug)]
pub struct Derived {
    /// The user's own tsconfig, or the derived one.
    pub config: PathBuf,
    /// The derived config's text (None: the user's own is used).
    pub text: Option<String>,
    pub notes: Vec<Note>,
    /// For each option written in the derived text, where the user wrote it: errors the
    /// compiler finds in the derived config are reported there.
    pub origins: Vec<(String, Place)>,
}

/// One file of the `extends` chain.
struct Layer {
    path: PathBuf,
    dir: PathBuf,
    /// The text with comments and trailing commas blanked (offsets unchanged).
    text: String,
    json: Map<String, Value>,
}

impl Layer {
    /// Where `"key":` is written, searching after `"section"` when given.
    fn place(&self, section: Option<&str>, key: &str) -> Place {
        let from = section
            .and_then(|s| find_key(&self.text, 0, s))
            .unwrap_or(0);
        let at = find_key(&self.text, from, key)
            .or_else(|| section.and_then(|s| find_key(&self.text, 0, s)))
            .unwrap_or(0);
        let (line, col) = crate::schema::line_col(self.text.as_bytes(), at);
        Place {
            file: self.path.clone(),
            line,
            col,
        }
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

/// An option's value and the layer that set it last.
struct Opt {
    value: Value,
    layer: usize,
}

/// Which TypeScript major a project was written for: its installed `typescript`, else the
/// range its package.json asks for, else 7.
pub fn written_for(server: &Path, root: &Path) -> (u32, String) {
    for dir in server.ancestors() {
        let manifest = dir.join("node_modules/typescript/package.json");
        if let Some(version) =
            read_json(&manifest).and_then(|j| j["version"].as_str().map(String::from))
            && let Some(major) = major_of(&version)
        {
            return (major, format!("typescript {version} is installed"));
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
            if let Some(range) = manifest[section]["typescript"].as_str()
                && let Some(major) = major_of(range)
            {
                return (major, format!("package.json asks for typescript {range}"));
            }
        }
    }
    (7, "no typescript version is declared".to_string())
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

/// Derive the TypeScript 7 config for `tsconfig` (a project written for TypeScript `major`)
/// into the folder `out_dir`. Nothing is written here; the caller writes `text` to `config`.
pub fn derive(tsconfig: &Path, out_dir: &Path, major: u32) -> Result<Derived> {
    let tsconfig = absolute(tsconfig)?;
    let out_dir = absolute(out_dir)?;
    let mut layers = vec![];
    load(&tsconfig, &mut layers, &mut vec![])?;
    let top = layers.len() - 1;
    let top_dir = layers[top].dir.clone();

    let mut options: indexmap::IndexMap<String, Opt> = indexmap::IndexMap::new();
    for (i, layer) in layers.iter().enumerate() {
        if let Some(Value::Object(o)) = layer.json.get("compilerOptions") {
            for (k, v) in o {
                options.insert(
                    k.clone(),
                    Opt {
                        value: v.clone(),
                        layer: i,
                    },
                );
            }
        }
    }
    let mut d = Deriving {
        layers: &layers,
        top_dir: &top_dir,
        out_dir: &out_dir,
        notes: vec![],
    };
    let ts5 = major < 6;
    let lower = |o: &indexmap::IndexMap<String, Opt>, k: &str| {
        o.get(k)
            .and_then(|o| o.value.as_str())
            .map(str::to_ascii_lowercase)
    };

    // Options TypeScript 7 removed, with the meaning they get there.
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
    for key in GONE {
        if let Some(o) = options.shift_remove(*key) {
            d.note(
                o.layer,
                key,
                format!("\"{key}\" is removed in TypeScript 7; left out (the check emits nothing)"),
            );
        }
    }
    for key in [
        "esModuleInterop",
        "allowSyntheticDefaultImports",
        "alwaysStrict",
    ] {
        if options
            .get(key)
            .is_some_and(|o| o.value == Value::Bool(false))
        {
            let o = options.shift_remove(key).expect("present");
            d.note(
                o.layer,
                key,
                format!(
                    "\"{key}\": false is removed in TypeScript 7, where it is always on; left out"
                ),
            );
        }
    }
    if let Some(target) = lower(&options, "target")
        && matches!(target.as_str(), "es3" | "es5")
    {
        let o = options.get_mut("target").expect("present");
        o.value = json!("es2015");
        let layer = o.layer;
        d.note(
            layer,
            "target",
            format!("\"target\": \"{target}\" is removed in TypeScript 7; checked as es2015"),
        );
    }
    if let Some(module) = lower(&options, "module")
        && matches!(module.as_str(), "amd" | "umd" | "system" | "none")
    {
        let o = options.get_mut("module").expect("present");
        o.value = json!("esnext");
        let layer = o.layer;
        d.note(
            layer,
            "module",
            format!("\"module\": \"{module}\" is removed in TypeScript 7; checked as esnext"),
        );
    }
    if let Some(resolution) = lower(&options, "moduleResolution")
        && matches!(resolution.as_str(), "node" | "node10" | "classic")
    {
        let node_module = lower(&options, "module").is_some_and(|m| m.starts_with("node"));
        let o = options.shift_remove("moduleResolution").expect("present");
        if node_module {
            d.note(o.layer, "moduleResolution", format!("\"moduleResolution\": \"{resolution}\" is removed in TypeScript 7; its default for this \"module\" is used"));
        } else {
            options.insert(
                "moduleResolution".into(),
                Opt {
                    value: json!("bundler"),
                    layer: o.layer,
                },
            );
            d.note(o.layer, "moduleResolution", format!("\"moduleResolution\": \"{resolution}\" is removed in TypeScript 7; checked as bundler"));
        }
    }

    // The TypeScript 5 defaults that TypeScript 7 changed, kept where the project relied on them.
    if ts5 {
        for (key, value, why) in [
            ("strict", json!(false), "TypeScript 7 turns it on"),
            (
                "noUncheckedSideEffectImports",
                json!(false),
                "TypeScript 7 turns it on",
            ),
        ] {
            if !options.contains_key(key) {
                d.note(
                    top,
                    "compilerOptions",
                    format!(
                        "\"{key}\" is not set: TypeScript 5's default ({value}) is kept ({why})"
                    ),
                );
                options.insert(key.into(), Opt { value, layer: top });
            }
        }
        if !options.contains_key("target") {
            d.note(top, "compilerOptions", "\"target\" is not set: TypeScript 5's default (es5) is removed in TypeScript 7; checked as es2015".into());
            options.insert(
                "target".into(),
                Opt {
                    value: json!("es2015"),
                    layer: top,
                },
            );
        }
        if !options.contains_key("module") {
            // TypeScript 5 chose CommonJS for an ES3/ES5 target (also its default), else ES2015.
            let old_target = layers.iter().rev().find_map(|l| {
                l.json
                    .get("compilerOptions")?
                    .get("target")?
                    .as_str()
                    .map(str::to_ascii_lowercase)
            });
            let module = if old_target
                .as_deref()
                .is_none_or(|t| t == "es3" || t == "es5")
            {
                "commonjs"
            } else {
                "es2015"
            };
            d.note(top, "compilerOptions", format!("\"module\" is not set: TypeScript 5's default here ({module}) is kept (TypeScript 7's is esnext)"));
            options.insert(
                "module".into(),
                Opt {
                    value: json!(module),
                    layer: top,
                },
            );
        }
    }

    // `types`: TypeScript 5 included every package of every @types folder it could see.
    let type_roots = match options.get("typeRoots") {
        Some(o) => o
            .value
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|p| d.absolute(o.layer, p))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
        None => top_dir
            .ancestors()
            .map(|a| a.join("node_modules/@types"))
            .filter(|p| p.is_dir())
            .collect(),
    };
    if ts5 && !options.contains_key("types") {
        let mut names: Vec<String> = type_roots
            .iter()
            .flat_map(|root| std::fs::read_dir(root).into_iter().flatten().flatten())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names.dedup();
        if !names.is_empty() {
            d.note(top, "compilerOptions", format!("\"types\" is not set: TypeScript 5 included every @types package, TypeScript 7 includes none; listed: {}", names.join(", ")));
        }
        options.insert(
            "types".into(),
            Opt {
                value: json!(names),
                layer: top,
            },
        );
    }

    // `baseUrl`: paths are rebased onto it, and its lookup of bare names becomes "*".
    let base_url = options.shift_remove("baseUrl").map(|o| {
        (
            d.absolute(o.layer, o.value.as_str().unwrap_or(".")),
            o.layer,
        )
    });
    if let Some((base, layer)) = &base_url {
        let keeps = if options
            .get("paths")
            .is_some_and(|p| p.value.get("*").is_some())
        {
            String::new()
        } else {
            format!(
                ", and \"*\": [\"{}/*\"] keeps its lookup of bare module names",
                relative(&top_dir, base)
            )
        };
        d.note(*layer, "baseUrl", format!("\"baseUrl\" is removed in TypeScript 7 (TS5102): \"paths\" are resolved from it{keeps}"));
    }

    if d.notes.is_empty() {
        return Ok(Derived {
            config: tsconfig,
            text: None,
            notes: vec![],
            origins: vec![],
        });
    }

    // Everything that names a path is rebased onto `out_dir`.
    let mut compiler = Map::new();
    let mut origins = vec![];
    for (key, o) in &options {
        let value = match key.as_str() {
            "rootDir" | "outDir" | "declarationDir" | "tsBuildInfoFile" => match o.value.as_str() {
                Some(p) => json!(d.rebase(o.layer, p)),
                None => o.value.clone(),
            },
            "rootDirs" | "typeRoots" => d.rebase_all(o.layer, &o.value),
            "paths" => {
                let from = base_url
                    .as_ref()
                    .map_or(layers[o.layer].dir.clone(), |b| b.0.clone());
                let mut paths = Map::new();
                for (pattern, targets) in o.value.as_object().into_iter().flatten() {
                    let targets: Vec<Value> = targets
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(|t| json!(relative(&out_dir, &join(&from, &d.config_dir(t)))))
                        .collect();
                    paths.insert(pattern.clone(), Value::Array(targets));
                }
                Value::Object(paths)
            }
            _ => o.value.clone(),
        };
        compiler.insert(key.clone(), value);
        origins.push((
            key.clone(),
            layers[o.layer].place(Some("compilerOptions"), key),
        ));
    }
    if let Some((base, layer)) = &base_url {
        let paths = compiler.entry("paths").or_insert_with(|| json!({}));
        if let Some(paths) = paths.as_object_mut()
            && !paths.contains_key("*")
        {
            paths.insert(
                "*".into(),
                json!([format!("{}/*", relative(&out_dir, base))]),
            );
        }
        if !options.contains_key("paths") {
            origins.push((
                "paths".into(),
                layers[*layer].place(Some("compilerOptions"), "baseUrl"),
            ));
        }
    }
    if !options.contains_key("typeRoots") {
        let roots: Vec<String> = type_roots.iter().map(|r| relative(&out_dir, r)).collect();
        compiler.insert("typeRoots".into(), json!(roots));
    }
    if !options.contains_key("rootDir") {
        // TypeScript 7 defaults rootDir to the config's folder, which is now `out_dir`.
        compiler.insert(
            "rootDir".into(),
            json!(relative(&out_dir, &d.source_root())),
        );
    }

    let mut config = Map::new();
    config.insert("compilerOptions".into(), Value::Object(compiler));
    for key in ["files", "include", "exclude"] {
        if let Some((layer, value)) = d.last(key) {
            config.insert(key.into(), d.rebase_all(layer, value));
        }
    }
    if !config.contains_key("files") && !config.contains_key("include") {
        config.insert(
            "include".into(),
            json!([relative(&out_dir, &top_dir.join("**/*"))]),
        );
    }
    if !config.contains_key("exclude") {
        let mut exclude: Vec<Value> = ["node_modules", "bower_components", "jspm_packages"]
            .iter()
            .map(|n| json!(relative(&out_dir, &top_dir.join(n))))
            .collect();
        if let Some(out) = config["compilerOptions"].get("outDir") {
            exclude.push(out.clone());
        }
        config.insert("exclude".into(), Value::Array(exclude));
    }
    if let Some((layer, Value::Array(refs))) = d.last("references") {
        let refs: Vec<Value> = refs
            .iter()
            .map(|r| match r.get("path").and_then(Value::as_str) {
                Some(p) => json!({ "path": d.rebase(layer, p) }),
                None => r.clone(),
            })
            .collect();
        config.insert("references".into(), Value::Array(refs));
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(config)).expect("JSON values print");
    text.push('\n');
    let name = format!(
        "tsconfig.{}.json",
        tsconfig
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("project")
    );
    Ok(Derived {
        config: out_dir.join(name),
        text: Some(text),
        notes: d.notes,
        origins,
    })
}

struct Deriving<'a> {
    layers: &'a [Layer],
    top_dir: &'a Path,
    out_dir: &'a Path,
    notes: Vec<Note>,
}

impl Deriving<'_> {
    fn note(&mut self, layer: usize, key: &str, message: String) {
        let section = (key != "compilerOptions").then_some("compilerOptions");
        let at = self.layers[layer].place(section, key);
        self.notes.push(Note { at, message });
    }

    /// `${configDir}` stands for the folder of the tsconfig the compiler was given.
    fn config_dir(&self, p: &str) -> String {
        p.replace("${configDir}", &self.top_dir.to_string_lossy())
    }

    fn absolute(&self, layer: usize, p: &str) -> PathBuf {
        join(&self.layers[layer].dir, &self.config_dir(p))
    }

    fn rebase(&self, layer: usize, p: &str) -> String {
        relative(self.out_dir, &self.absolute(layer, p))
    }

    fn rebase_all(&self, layer: usize, value: &Value) -> Value {
        match value {
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| match i.as_str() {
                        Some(p) => json!(self.rebase(layer, p)),
                        None => i.clone(),
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// The last layer that sets a top-level `key`, and its value.
    fn last(&self, key: &str) -> Option<(usize, &Value)> {
        self.layers
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, l)| l.json.get(key).map(|v| (i, v)))
    }

    /// The folder every source file is under: the config's, or the common ancestor of it and
    /// the fixed part of each `files`/`include` entry (TypeScript 5 computed rootDir from the
    /// files; TypeScript 7 takes the config's folder and refuses files outside it).
    fn source_root(&self) -> PathBuf {
        let mut root = self.top_dir.to_path_buf();
        for key in ["files", "include"] {
            let Some((layer, Value::Array(items))) = self.last(key) else {
                continue;
            };
            for item in items.iter().filter_map(Value::as_str) {
                let fixed: PathBuf = Path::new(&self.config_dir(item))
                    .components()
                    .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?']))
                    .collect();
                let path = join(&self.layers[layer].dir, &fixed.to_string_lossy());
                while !path.starts_with(&root) {
                    if !root.pop() {
                        break;
                    }
                }
            }
        }
        root
    }
}

fn join(dir: &Path, p: &str) -> PathBuf {
    absolute(&dir.join(p)).unwrap_or_else(|_| dir.join(p))
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
