//! The dependency rule of the library (src/lib.rs, ARCHITECTURE.md): cli → ops → engines →
//! base, read from the source: every `crate::X` a file names must be in its own layer or one
//! below, and top-level modules must not name each other in a circle.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of src/ and its layer (higher uses lower).
const LAYERS: &[(&str, u8)] = &[
    ("cli", 3),
    ("ops", 2),
    ("bundler", 1),
    ("schema", 1),
    ("migrate", 1),
    ("routes", 1),
    ("runtime", 1),
    ("typecheck", 1),
    ("generated", 1),
    ("diagnostic", 0),
    ("source", 0),
    ("project", 0),
    ("platform", 0),
    ("registry", 0),
    ("jsjson", 0),
    ("random", 0),
    ("parsing", 0),
    ("resolve", 0),
    ("console", 0),
    ("timing", 0),
    // Test support: the fuzzer drives engines.
    ("fuzz", 2),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level modules `text` names as `crate::X`.
fn named(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        // `$crate::` in a macro is the crate itself, not a path into a module.
        if text[..i].ends_with('$') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

/// Every file's top-level module and what it names, as (from, to, file).
fn edges() -> Vec<(String, String, String)> {
    let src = common::repo().join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let mut out = vec![];
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for to in named(&text) {
            if to != top {
                out.push((top.clone(), to, rel.display().to_string()));
            }
        }
    }
    out
}

fn violations(edges: &[(String, String, String)]) -> Vec<String> {
    let mut bad = vec![];
    for (from, to, file) in edges {
        match (layer(from), layer(to)) {
            (Some(a), Some(b)) if b > a => bad.push(format!(
                "src/{file}: {from} (layer {a}) uses crate::{to} (layer {b})"
            )),
            (None, _) => bad.push(format!(
                "src/{file}: module `{from}` has no layer in tests/layers.rs"
            )),
            (_, None) => bad.push(format!(
                "src/{file}: uses `crate::{to}`, which has no layer in tests/layers.rs"
            )),
            _ => {}
        }
    }
    bad
}

/// Circles among top-level modules (each found once, from its smallest member).
fn circles(edges: &[(String, String, String)]) -> Vec<Vec<String>> {
    let mut graph: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, to, _) in edges {
        graph.entry(from).or_default().insert(to);
    }
    let mut found = vec![];
    for &start in graph.keys() {
        let mut stack = vec![(start, vec![start])];
        while let Some((at, path)) = stack.pop() {
            for &next in graph.get(at).into_iter().flatten() {
                if next == start {
                    found.push(path.iter().map(|s| s.to_string()).collect());
                } else if next > start && !path.contains(&next) {
                    let mut p = path.clone();
                    p.push(next);
                    stack.push((next, p));
                }
            }
        }
    }
    found
}

#[test]
fn arrows_only_point_down() {
    let edges = edges();
    assert!(edges.len() > 20, "the scan found the imports");
    let bad = violations(&edges);
    assert!(
        bad.is_empty(),
        "upward or unknown uses:\n{}",
        bad.join("\n")
    );
    let c = circles(&edges);
    assert!(c.is_empty(), "circles between top-level modules: {c:?}");
}

#[test]
fn the_check_catches_an_upward_use() {
    // The same scan on a line an engine must not have.
    let mut edges = edges();
    edges.push((
        "schema".into(),
        "cli".into(),
        "schema/mod.rs (added by this test)".into(),
    ));
    edges.push((
        "project".into(),
        "ops".into(),
        "project/mod.rs (added by this test)".into(),
    ));
    let bad = violations(&edges);
    assert!(
        bad.iter()
            .any(|b| b.contains("schema (layer 1) uses crate::cli (layer 3)")),
        "{bad:?}"
    );
    assert!(
        bad.iter()
            .any(|b| b.contains("project (layer 0) uses crate::ops (layer 2)")),
        "{bad:?}"
    );
    // And a circle between two engines.
    edges.push(("migrate".into(), "bundler".into(), "x".into()));
    edges.push(("bundler".into(), "migrate".into(), "y".into()));
    assert!(!circles(&edges).is_empty());
    assert_eq!(
        named("use crate::schema::model;\nmacro { $crate::console::x }"),
        ["schema".to_string()].into()
    );
}
