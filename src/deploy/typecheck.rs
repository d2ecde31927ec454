//! The type check: the native TypeScript 7 compiler (`tsc --noEmit`), never Node. It is found
//! in the project's node_modules (`@typescript/typescript-<os>-<arch>/lib/tsc`, or the native
//! preview's `tsgo`) or on PATH when that one is native; a passing result is cached by a hash
//! of everything it reads, so an unchanged project is not checked twice.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Check when a native compiler is found; otherwise skip, saying so
    Auto,
    /// Fail when no native compiler is found
    Required,
    /// Do not check
    Off,
}

#[derive(Debug)]
pub enum Outcome {
    Passed,
    /// Passed before with these exact inputs.
    Cached,
    Skipped(String),
    Failed(String),
}

pub fn run(server: &Path, cache_dir: &Path, mode: Mode) -> Result<Outcome> {
    if mode == Mode::Off {
        return Ok(Outcome::Skipped("--typecheck off".into()));
    }
    let Some(tsc) = find_native_tsc(server) else {
        let why = "no native TypeScript 7 compiler (add typescript@7 to the server's devDependencies, or put a native tsc on PATH)".to_string();
        return Ok(if mode == Mode::Required {
            Outcome::Failed(why)
        } else {
            Outcome::Skipped(why)
        });
    };
    let key = input_hash(server, &tsc)?;
    let marker = cache_dir.join("typecheck").join(&key);
    if marker.is_file() {
        return Ok(Outcome::Cached);
    }
    let out = Command::new(&tsc)
        .args(["--noEmit", "-p", "tsconfig.json"])
        .current_dir(server)
        .output()
        .with_context(|| format!("running {}", tsc.display()))?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        return Ok(Outcome::Failed(text.trim_end().to_string()));
    }
    crate::project::fsio::write_all_atomic(&[(marker, b"passed\n".as_slice())])?;
    Ok(Outcome::Passed)
}

/// The native compiler, if the project or PATH has one.
pub fn find_native_tsc(server: &Path) -> Option<PathBuf> {
    let scope = server.join("node_modules/@typescript");
    let mut candidates = vec![];
    if let Ok(entries) = std::fs::read_dir(&scope) {
        let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        dirs.sort();
        for d in dirs {
            let name = d
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            if name.starts_with("typescript-") || name.starts_with("native-preview-") {
                candidates.push(d.join("lib/tsc"));
                candidates.push(d.join("lib/tsgo"));
            }
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates
            .extend(std::env::split_paths(&path).flat_map(|d| [d.join("tsc"), d.join("tsgo")]));
    }
    candidates.into_iter().find(|c| is_native(c))
}

/// An executable that is not a script for Node (the TypeScript 5 `tsc` is one).
fn is_native(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    if !bytes.starts_with(b"#!") {
        return !bytes.is_empty();
    }
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    !String::from_utf8_lossy(first_line).contains("node")
}

/// blake3 over the compiler and every file under the server (but node_modules' and dist's
/// contents, which the lockfile and the sources stand for).
fn input_hash(server: &Path, tsc: &Path) -> Result<String> {
    let mut h = blake3::Hasher::new();
    h.update(tsc.to_string_lossy().as_bytes());
    h.update(
        &std::fs::metadata(tsc)
            .map(|m| m.len())
            .unwrap_or(0)
            .to_le_bytes(),
    );
    let mut files = vec![];
    collect(server, server, &mut files)?;
    files.sort();
    for f in files {
        h.update(f.to_string_lossy().as_bytes());
        h.update(
            &std::fs::read(server.join(&f)).with_context(|| format!("reading {}", f.display()))?,
        );
    }
    Ok(h.finalize().to_hex().to_string())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "node_modules" && name != "dist" && !name.starts_with('.') {
                collect(root, &path, out)?;
            }
        } else if name.ends_with(".ts") || name.ends_with(".tsx") || name.ends_with(".json") {
            out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
    Ok(())
}
