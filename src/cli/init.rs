//! `edgespark init <name> --agent <agent>`: a new project in `<name>/`, bound to a new project
//! on the local platform. The project is assembled in a hidden directory beside the target and
//! renamed into place at the end, so a failure leaves nothing behind.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;

use super::db::GenerateArgs;
use crate::cli::output::Failure;
use crate::deploy::generated::{self, Defs};
use crate::platform::LocalPlatform;
use crate::project::auth_config::DEFAULT_CONFIG;
use crate::project::{Project, scaffold};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The project's directory, created here: starts with a letter or digit; letters, digits, `-`, `_`
    pub name: String,
    /// The coding agent that will work on it: claude (CLAUDE.md), gemini (GEMINI.md), others (AGENTS.md)
    #[arg(long)]
    pub agent: String,
}

/// `parent`: where the project's directory is made (-C, else the current directory).
pub fn run(a: InitArgs, parent: Option<&Path>) -> Result<()> {
    if let Some(problem) = scaffold::name_problem(&a.name) {
        return Err(Failure {
            code: 2,
            message: format!("project name {:?} {problem}", a.name),
        }
        .into());
    }
    let parent = match parent {
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir().context("reading the current directory")?,
    };
    let target = parent.join(&a.name);
    if target.exists() {
        return Err(Failure {
            code: 5,
            message: format!("{} already exists; nothing written", target.display()),
        }
        .into());
    }
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{}.init-", a.name))
        .tempdir_in(&parent)
        .with_context(|| format!("writing in {}", parent.display()))?;
    let project_id = uuid::Uuid::new_v4().to_string();
    assemble(staging.path(), &a, &project_id)?;
    std::fs::rename(staging.path(), &target)
        .with_context(|| format!("moving the new project to {}", target.display()))?;
    // Renamed away: nothing is left for the guard to remove.
    let _ = staging.keep();

    errln!(
        "created {} (project {project_id}) with {}",
        target.display(),
        scaffold::agent_file(&a.agent)
    );
    errln!(
        "next:\n  cd {}/server && npm install\n  cd .. && edgespark deploy --dry-run",
        a.name
    );
    Ok(())
}

/// Write the scaffold into `root`, then what the platform would provide: the generated files,
/// the first migration applied to the local database, and the default auth config stored.
fn assemble(root: &Path, a: &InitArgs, project_id: &str) -> Result<()> {
    let files = scaffold::files(&a.name, project_id, &a.agent);
    let writes: Vec<_> = files
        .iter()
        .map(|(path, text)| (root.join(path), text.as_bytes()))
        .collect();
    crate::project::fsio::write_all_atomic(&writes)?;
    let project = Project::find(Some(root))?;
    generated::sync(&generated::all_files(&project, &Defs::read(&project)?))?;

    let first = GenerateArgs {
        name: Some("init".into()),
        custom: false,
        renames: vec![],
        hints: None,
        drizzle_compat: false,
        json: false,
    };
    super::db_generate::generate(first, &project)?;
    super::db::apply_pending(&project, false, false)?;

    let platform = LocalPlatform::open(&project)?;
    platform.write_file(super::auth::STATE, DEFAULT_CONFIG.as_bytes())?;
    platform.log("init", json!({ "name": a.name, "project_id": project_id }))?;
    Ok(())
}
