//! The plan carried out on the user's own files, when they ask (`edgespark doctor --write`):
//! the least text edits that make each tsconfig of the chain valid for TypeScript 7 with the
//! meaning it had — options removed line and all, values replaced in place, pinned options
//! added at the top of `compilerOptions` in its indentation; comments and layout elsewhere kept.
//! The result reads the same to TypeScript 5.9. A tsconfig inside node_modules is not ours to
//! edit: what it needs is overridden in the project's own where an override exists.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::{Chain, Change, Layer, Note, plan};

/// One file's text before and after.
#[derive(Debug)]
pub struct Edit {
    pub file: PathBuf,
    pub before: String,
    pub after: String,
}

#[derive(Debug)]
pub struct Fixed {
    pub edits: Vec<Edit>,
    pub notes: Vec<Note>,
    /// Changes that cannot be made: in a package's tsconfig, with no override.
    pub left: Vec<String>,
}

enum Op {
    Remove(String),
    Set(String, Value),
    Insert(String, Value),
}

pub fn fix(chain: &Chain, major: u32) -> Fixed {
    let planned = plan(chain, major);
    let top = chain.top();
    let editable = |layer: usize| {
        !chain.layers[layer]
            .path
            .components()
            .any(|c| c.as_os_str() == "node_modules")
    };
    let mut ops: Vec<Vec<Op>> = chain.layers.iter().map(|_| vec![]).collect();
    let mut left = vec![];
    for p in &planned {
        match &p.change {
            Change::Remove { layer, key } if editable(*layer) => {
                ops[*layer].push(Op::Remove(key.clone()))
            }
            Change::Remove { layer, key } => left.push(format!(
                "{}: \"{key}\" cannot be unset from {}",
                chain.layers[*layer].path.display(),
                chain.layers[top].path.display()
            )),
            Change::Set { layer, key, value } if editable(*layer) => {
                ops[*layer].push(Op::Set(key.clone(), value.clone()))
            }
            Change::Set { key, value, .. } => ops[top].push(Op::Insert(key.clone(), value.clone())),
            Change::Pin { key, value } => ops[top].push(Op::Insert(key.clone(), value.clone())),
            Change::FoldBaseUrl { layer, base } => {
                if editable(*layer) {
                    ops[*layer].push(Op::Remove("baseUrl".into()));
                } else {
                    left.push(format!(
                        "{}: \"baseUrl\" cannot be unset from {}",
                        chain.layers[*layer].path.display(),
                        chain.layers[top].path.display()
                    ));
                }
                // paths, rebased onto the file that declares them (or the project's own).
                let (paths_layer, paths) = match chain.option("paths") {
                    Some((l, v)) if editable(l) => (l, Some(v)),
                    _ => (top, chain.option("paths").map(|(_, v)| v)),
                };
                let dir = &chain.layers[paths_layer].dir;
                let mut rebased = match paths {
                    Some(v) => super::derive::rebased_paths(v, base, dir, chain),
                    None => json!({}),
                };
                if let Some(map) = rebased.as_object_mut()
                    && !map.contains_key("*")
                {
                    map.insert(
                        "*".into(),
                        json!([format!("{}/*", crate::project::paths::relative(dir, base))]),
                    );
                }
                let has_own = chain.layers[paths_layer].option("paths").is_some();
                ops[paths_layer].push(if has_own {
                    Op::Set("paths".into(), rebased)
                } else {
                    Op::Insert("paths".into(), rebased)
                });
            }
        }
    }
    let edits = chain
        .layers
        .iter()
        .zip(ops)
        .filter(|(_, ops)| !ops.is_empty())
        .map(|(layer, ops)| Edit {
            file: layer.path.clone(),
            before: layer.raw.clone(),
            after: apply(layer, &ops),
        })
        .collect();
    Fixed {
        edits,
        notes: planned.into_iter().map(|p| p.note).collect(),
        left,
    }
}

/// The layer's raw text with `ops` made, from the last offset to the first.
fn apply(layer: &Layer, ops: &[Op]) -> String {
    let text = &layer.text;
    let mut spans: Vec<(usize, usize, String)> = vec![];
    let mut inserts = false;
    for op in ops {
        match op {
            Op::Remove(key) => {
                if let Some((start, end)) = property(layer, key) {
                    spans.push(removal(text, start, end));
                }
            }
            Op::Set(key, value) => {
                if let Some(start) = layer.offset(Some("compilerOptions"), key) {
                    let at = text[start..].find(':').map_or(start, |i| start + i + 1);
                    let at = at + (text[at..].len() - text[at..].trim_start().len());
                    let indent = indent_of(text, start);
                    spans.push((at, value_end(text, at), format_value(value, &indent)));
                }
            }
            Op::Insert(..) => inserts = true,
        }
    }
    if inserts {
        spans.push(insertion(layer, ops));
    }
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = layer.raw.clone();
    for (start, end, replacement) in spans {
        out.replace_range(start..end, &replacement);
    }
    out
}

/// The new properties, added right after `compilerOptions`' `{` in its indentation (the
/// section itself is added when there is none).
fn insertion(layer: &Layer, ops: &[Op]) -> (usize, usize, String) {
    let text = &layer.text;
    let props: Vec<(&String, &Value)> = ops
        .iter()
        .filter_map(|o| match o {
            Op::Insert(k, v) => Some((k, v)),
            _ => None,
        })
        .collect();
    let (open, outer) = match super::find_key(text, 0, "compilerOptions") {
        Some(at) => (
            text[at..].find('{').map_or(at, |i| at + i),
            indent_of(text, at),
        ),
        None => {
            // No compilerOptions: a new section first in the file.
            let open = text.find('{').unwrap_or(0);
            let body: Vec<String> = props
                .iter()
                .map(|(k, v)| format!("    \"{k}\": {}", format_value(v, "    ")))
                .collect();
            let text_after = text[open + 1..].trim_start();
            let comma = if text_after.starts_with('}') { "" } else { "," };
            return (
                open + 1,
                open + 1,
                format!(
                    "\n  \"compilerOptions\": {{\n{}\n  }}{comma}",
                    body.join(",\n")
                ),
            );
        }
    };
    let after = &text[open + 1..];
    let empty = after.trim_start().starts_with('}');
    let inner = if empty {
        format!("{outer}  ")
    } else {
        let first = open + 1 + (after.len() - after.trim_start().len());
        indent_of(text, first)
    };
    let body: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("\n{inner}\"{k}\": {}", format_value(v, &inner)))
        .collect();
    let mut s = body.join(",");
    if !empty {
        s.push(',');
    } else {
        s.push('\n');
        s.push_str(&outer);
    }
    (open + 1, open + 1, s)
}

/// The span of `"key": value` inside compilerOptions.
fn property(layer: &Layer, key: &str) -> Option<(usize, usize)> {
    let start = layer.offset(Some("compilerOptions"), key)?;
    let text = &layer.text;
    let colon = start + text[start..].find(':')? + 1;
    let value = colon + (text[colon..].len() - text[colon..].trim_start().len());
    Some((start, value_end(text, value)))
}

/// The span to cut for a property at `start..end`: its comma, and its whole line when it
/// has the line to itself (a comment after it included).
fn removal(text: &str, start: usize, end: usize) -> (usize, usize, String) {
    let mut end = end;
    let rest = &text[end..];
    let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    if rest[spaces..].starts_with(',') {
        end += spaces + 1;
    }
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let alone_before = text[line_start..start].trim().is_empty();
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let alone_after = text[end..line_end].trim().is_empty();
    if alone_before && alone_after {
        return (line_start, (line_end + 1).min(text.len()), String::new());
    }
    (start, end, String::new())
}

/// Where the JSON value starting at `at` ends (strings, brackets and literals; the text has
/// its comments blanked).
fn value_end(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = at;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    if depth == 0 {
                        return i;
                    }
                    depth -= 1;
                    if depth == 0 {
                        return i + 1;
                    }
                }
                b',' | b'\n' | b' ' | b'\t' | b'\r' if depth == 0 => return i,
                _ => {}
            }
        }
        i += 1;
    }
    bytes.len()
}

fn indent_of(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..at]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect()
}

/// A value as people write it in a tsconfig: objects one entry a line, arrays on one line.
fn format_value(value: &Value, indent: &str) -> String {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{indent}  {}: {}",
                        Value::String(k.clone()),
                        format_value(v, &format!("{indent}  "))
                    )
                })
                .collect();
            format!("{{\n{}\n{indent}}}", entries.join(",\n"))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| format_value(i, indent))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}
