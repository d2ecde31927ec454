//! `edgespark pull [schema|types] [--check]`: (re)write `server/src/__generated__/`.

use std::path::Path;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::ops::pull;
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
    let schema = !matches!(a.what, Some(What::Types));
    let types = !matches!(a.what, Some(What::Schema));
    if a.check {
        let stale = pull::stale(&project, schema, types);
        for f in &stale {
            errln!("stale: {} (run `edgespark pull`)", project.display(f));
        }
        if stale.is_empty() {
            errln!("generated files are up to date");
        }
        return Ok(if stale.is_empty() { 0 } else { 1 });
    }
    let written = pull::pull(&project, schema, types)?;
    for p in &written {
        errln!("wrote {}", project.display(p));
    }
    if written.is_empty() {
        errln!("generated files are up to date");
    }
    Ok(0)
}
