//! The plan carried out on a copy: one flattened TypeScript 7 config in a folder of ours
//! (`.edgespark/tmp/`), every path in it rebased onto that folder, so that the compiler sees
//! the project as TypeScript 5 did while the user's files stay as they are.

use std::path::{Path, PathBuf};

use anyhow::Result;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::{Chain, Change, Note, Place, join, plan};
use crate::project::paths::{absolute, relative};

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

/// Derive the TypeScript 7 config for `tsconfig` (a project written for TypeScript `major`)
/// into the folder `out_dir`. Nothing is written here; the caller writes `text` to `config`.
pub fn derive(tsconfig: &Path, out_dir: &Path, major: u32) -> Result<Derived> {
    let chain = Chain::load(tsconfig)?;
    let planned = plan(&chain, major);
    if planned.is_empty() {
        return Ok(Derived {
            config: chain.layers[chain.top()].path.clone(),
            text: None,
            notes: vec![],
            origins: vec![],
        });
    }
    let out_dir = absolute(out_dir)?;
    let top = chain.top();
    let top_dir = chain.top_dir().to_path_buf();

    // The options in effect (each with the layer that set it), then the plan applied.
    let mut options: IndexMap<String, (Value, usize)> = IndexMap::new();
    for (i, layer) in chain.layers.iter().enumerate() {
        if let Some(Value::Object(o)) = layer.json.get("compilerOptions") {
            for (k, v) in o {
                options.insert(k.clone(), (v.clone(), i));
            }
        }
    }
    let mut base_url = None;
    for p in &planned {
        match &p.change {
            Change::Remove { key, .. } => {
                options.shift_remove(key);
            }
            Change::Set { key, value, layer } => {
                options.insert(key.clone(), (value.clone(), *layer));
            }
            Change::Pin { key, value } => {
                options.insert(key.clone(), (value.clone(), top));
            }
            Change::FoldBaseUrl { layer, base } => {
                options.shift_remove("baseUrl");
                base_url = Some((base.clone(), *layer));
            }
        }
    }

    // Everything that names a path is rebased onto `out_dir`.
    let rebase = |layer: usize, p: &str| relative(&out_dir, &chain.absolute(layer, p));
    let rebase_all = |layer: usize, value: &Value| match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map_or_else(|| i.clone(), |p| json!(rebase(layer, p)))
                })
                .collect(),
        ),
        other => other.clone(),
    };
    let mut compiler = Map::new();
    let mut origins = vec![];
    for (key, (value, layer)) in &options {
        let value = match key.as_str() {
            "rootDir" | "outDir" | "declarationDir" | "tsBuildInfoFile" => value
                .as_str()
                .map_or_else(|| value.clone(), |p| json!(rebase(*layer, p))),
            "rootDirs" | "typeRoots" => rebase_all(*layer, value),
            "paths" => {
                let from = base_url
                    .as_ref()
                    .map_or(chain.layers[*layer].dir.clone(), |b| b.0.clone());
                rebased_paths(value, &from, &out_dir, &chain)
            }
            _ => value.clone(),
        };
        compiler.insert(key.clone(), value);
        origins.push((
            key.clone(),
            chain.layers[*layer].place(Some("compilerOptions"), key),
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
                chain.layers[*layer].place(Some("compilerOptions"), "baseUrl"),
            ));
        }
    }
    if !options.contains_key("typeRoots") {
        // `types` names are looked up from the config's folder, which is now `out_dir`.
        let roots: Vec<String> = chain
            .type_roots()
            .iter()
            .map(|r| relative(&out_dir, r))
            .collect();
        compiler.insert("typeRoots".into(), json!(roots));
    }
    if !options.contains_key("rootDir") {
        // TypeScript 7 defaults rootDir to the config's folder, which is now `out_dir`.
        compiler.insert(
            "rootDir".into(),
            json!(relative(&out_dir, &source_root(&chain))),
        );
    }

    let mut config = Map::new();
    config.insert("compilerOptions".into(), Value::Object(compiler));
    for key in ["files", "include", "exclude"] {
        if let Some((layer, value)) = chain.top_level(key) {
            config.insert(key.into(), rebase_all(layer, value));
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
    if let Some((layer, Value::Array(refs))) = chain.top_level("references") {
        let refs: Vec<Value> = refs
            .iter()
            .map(|r| match r.get("path").and_then(Value::as_str) {
                Some(p) => json!({ "path": rebase(layer, p) }),
                None => r.clone(),
            })
            .collect();
        config.insert("references".into(), Value::Array(refs));
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(config)).expect("JSON values print");
    text.push('\n');
    let name = format!(
        "tsconfig.{}.json",
        top_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("project")
    );
    Ok(Derived {
        config: out_dir.join(name),
        text: Some(text),
        notes: planned.into_iter().map(|p| p.note).collect(),
        origins,
    })
}

/// `paths` whose targets (relative to `from`) are rebased onto `to`.
pub fn rebased_paths(paths: &Value, from: &Path, to: &Path, chain: &Chain) -> Value {
    let mut out = Map::new();
    for (pattern, targets) in paths.as_object().into_iter().flatten() {
        let targets: Vec<Value> = targets
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|t| json!(relative(to, &join(from, &chain.config_dir(t)))))
            .collect();
        out.insert(pattern.clone(), Value::Array(targets));
    }
    Value::Object(out)
}

/// The folder every source file is under: the config's, or the common ancestor of it and the
/// fixed part of each `files`/`include` entry (TypeScript 5 computed rootDir from the files;
/// TypeScript 7 takes the config's folder and refuses files outside it).
fn source_root(chain: &Chain) -> PathBuf {
    let mut root = chain.top_dir().to_path_buf();
    for key in ["files", "include"] {
        let Some((layer, Value::Array(items))) = chain.top_level(key) else {
            continue;
        };
        for item in items.iter().filter_map(Value::as_str) {
            let fixed: PathBuf = Path::new(&chain.config_dir(item))
                .components()
                .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?']))
                .collect();
            let path = join(&chain.layers[layer].dir, &fixed.to_string_lossy());
            while !path.starts_with(&root) {
                if !root.pop() {
                    break;
                }
            }
        }
    }
    root
}
