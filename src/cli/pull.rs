//! `edgespark pull [schema|types] [--check]`: (re)write `server/src/__generated__/`.

use std::path::Path;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::generated;
use crate::project::Project;

#[derive(Args, Debug)]
pub struct PullArgs {
    /// Only the platform tables (schema) or only the type declarations (types); default both
    #[arg(value_enum)]
    pub what: Option<What>,
    /// Write nothing; exit 1 when a generated file is stale, listing it
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum What {
    Schema,
    Types,
}

pub fn run(a: PullArgs, dir: Option<&Path>) -> Result<i32> {
    let project = Project::find(dir)?;
    let mut files = vec![];
    if !matches!(a.what, Some(What::Types)) {
        files.extend(generated::schema_files(&project));
    }
    if !matches!(a.what, Some(What::Schema)) {
        files.extend(generated::type_files(&project));
    }
    if a.check {
        let stale = generated::stale(&files);
        for f in &stale {
            errln!("stale: {} (run `edgespark pull`)", project.display(&f.path));
        }
        if stale.is_empty() {
            errln!("generated files are up to date");
        }
        return Ok(if stale.is_empty() { 0 } else { 1 });
    }
    // A deploy syncs the same files; one at a time.
    let _lock = crate::platform::LocalPlatform::open(&project)?;
    let written = generated::sync(&files)?;
    for p in &written {
        errln!("wrote {}", project.display(p));
    }
    if written.is_empty() {
        errln!("generated files are up to date");
    }
    Ok(0)
}
