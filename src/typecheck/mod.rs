//! The type check: the native TypeScript 7 compiler (`tsc --noEmit`), never Node, on the
//! project as it is (see `compiler` for where the compiler comes from). A project written for
//! TypeScript 5 is checked through a derived config (`tsconfig`), its findings reported on the
//! user's own files (`diagnostics`). A passing result is cached by a hash of everything it
//! reads, so an unchanged project is not checked twice. The report always says which compiler
//! ran, or why none did.

pub mod compiler;
pub mod diagnostics;
pub mod tsconfig;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Check with the project's native compiler, one on PATH, or one fetched from the npm
    /// registry; fail when there is none to be had
    Auto,
    /// Do not check
    Off,
}

#[derive(Debug)]
pub enum Outcome {
    Passed,
    /// Passed before with these exact inputs.
    Cached,
    Skipped(String),
    /// The compiler's findings.
    Failed(Vec<crate::diagnostic::Diagnostic>),
}

/// What the check did, with which compiler, through which config.
#[derive(Debug)]
pub struct Checked {
    pub outcome: Outcome,
    /// e.g. "TypeScript 7.0.2 (server/node_modules)".
    pub compiler: Option<String>,
    /// Each change the derived config makes, at the user's tsconfig line.
    pub notes: Vec<String>,
}

/// Where the check runs: the server folder, the folder for derived configs and the cache.
pub struct Places<'a> {
    pub project_root: &'a Path,
    pub server: &'a Path,
    pub tmp_dir: &'a Path,
    pub cache_dir: &'a Path,
}

pub fn run(at: &Places, mode: Mode, shown: &(dyn Fn(&Path) -> String + Sync)) -> Result<Checked> {
    if mode == Mode::Off {
        return Ok(Checked {
            outcome: Outcome::Skipped("--typecheck off".into()),
            compiler: None,
            notes: vec![],
        });
    }
    let tsconfig = at.server.join("tsconfig.json");
    let major = tsconfig::written_for(at.server, at.project_root);
    let derived = tsconfig::derive(&tsconfig, at.tmp_dir, major)?;
    let notes: Vec<String> = derived
        .notes
        .iter()
        .map(|n| {
            format!(
                "{}:{}:{}: note: {}",
                shown(&n.at.file),
                n.at.line,
                n.at.col,
                n.message
            )
        })
        .collect();
    let tsc = match compiler::find(at.server, shown) {
        Some(found) => found,
        None => compiler::fetch(at.server)?,
    };
    let described = Some(tsc.describe());
    let key = input_hash(at.server, &tsc.path, derived.text.as_deref())?;
    let marker = at.cache_dir.join("typecheck").join(&key);
    if marker.is_file() {
        return Ok(Checked {
            outcome: Outcome::Cached,
            compiler: described,
            notes,
        });
    }
    if let Some(text) = &derived.text {
        // Written only when it changed, so its timestamp means something.
        if std::fs::read_to_string(&derived.config).ok().as_deref() != Some(text) {
            crate::project::fsio::write_all_atomic(&[(derived.config.clone(), text.as_bytes())])?;
        }
    }
    let out = Command::new(&tsc.path)
        .args(["--noEmit", "--pretty", "false", "-p"])
        .arg(&derived.config)
        .current_dir(at.server)
        .output()
        .with_context(|| format!("running {}", tsc.path.display()))?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        let mut found = diagnostics::read(&text, at.server, &derived, shown);
        if found.is_empty() {
            found.push(crate::diagnostic::Diagnostic::error(format!(
                "{} exited with {}",
                tsc.path.display(),
                out.status
            )));
        }
        return Ok(Checked {
            outcome: Outcome::Failed(found),
            compiler: described,
            notes,
        });
    }
    crate::project::fsio::write_all_atomic(&[(marker, b"passed\n".as_slice())])?;
    Ok(Checked {
        outcome: Outcome::Passed,
        compiler: described,
        notes,
    })
}

/// blake3 over the compiler, the derived config and every file under the server (but
/// node_modules' and dist's contents, which the lockfile and the sources stand for).
fn input_hash(server: &Path, tsc: &Path, derived: Option<&str>) -> Result<String> {
    let mut h = blake3::Hasher::new();
    h.update(tsc.to_string_lossy().as_bytes());
    h.update(
        &std::fs::metadata(tsc)
            .map(|m| m.len())
            .unwrap_or(0)
            .to_le_bytes(),
    );
    h.update(derived.unwrap_or("").as_bytes());
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
