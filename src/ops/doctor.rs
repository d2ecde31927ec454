//! `doctor`: how the type check runs on this project — which TypeScript it was written for,
//! which native compiler runs (or would be fetched) — and the tsconfig changes TypeScript 7
//! needs, as edits of the user's files, written on request.

use std::path::Path;

use anyhow::Result;

use crate::project::Project;
use crate::registry;
use crate::typecheck::{compiler, tsconfig};

pub struct Diagnosis {
    /// The TypeScript major the project was written for.
    pub written_for: u32,
    /// The compiler the check runs, or what deploy would fetch.
    pub compiler: String,
    /// The changes TypeScript 7 needs, each a note at its tsconfig line.
    pub fixed: tsconfig::fix::Fixed,
}

pub fn diagnose(project: &Project) -> Result<Diagnosis> {
    let server = project.server_dir();
    let shown = |p: &Path| project.display(p);
    let written_for = tsconfig::written_for(&server, &project.root);
    let chain = tsconfig::Chain::load(&server.join("tsconfig.json"))?;
    let fixed = tsconfig::fix::fix(&chain, written_for);
    let compiler = match compiler::find(&server, shown) {
        Some(c) => c.describe(),
        None => would_fetch(&server),
    };
    Ok(Diagnosis {
        written_for,
        compiler,
        fixed,
    })
}

/// Write the edits into the user's files (atomically, all or none).
pub fn write(fixed: &tsconfig::fix::Fixed) -> Result<()> {
    let files: Vec<_> = fixed
        .edits
        .iter()
        .map(|e| (e.file.clone(), e.after.as_bytes()))
        .collect();
    crate::project::fsio::write_all_atomic(&files)
}

/// What deploy would do with no compiler in the project or on PATH.
fn would_fetch(server: &Path) -> String {
    let Some(package) = compiler::platform_package() else {
        return "no native TypeScript 7 for this machine: deploy needs --typecheck off".into();
    };
    let cached = registry::user_cache()
        .map(|c| registry::cached(&c, &package, compiler::PINNED))
        .ok()
        .filter(|d| d.join("package.json").is_file());
    match cached {
        Some(dir) => format!(
            "TypeScript {} (cached in {})",
            compiler::PINNED,
            dir.display()
        ),
        None => format!(
            "none in node_modules or on PATH: deploy fetches {package}@{} from {}",
            compiler::PINNED,
            registry::Registry::for_package(server, &package).url
        ),
    }
}
