//! `edgespark init <name> --agent <agent>`: a new project in `<name>/`, bound to a new project
//! on the local platform. The project is assembled in a hidden directory beside the target and
//! renamed into place at the end, so a failure leaves nothing behind.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;

use crate::ops::init::{InitOptions, init};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The project's directory, created here: starts with a letter or digit; letters, digits, `-`, `_`
    pub name: String,
    /// The coding agent that will work on it: claude (CLAUDE.md), gemini (GEMINI.md), others (AGENTS.md)
    #[arg(long)]
    pub agent: String,
    /// Start from a template: an official one (fullstack, bounty-tasks, flappy-bird-3d,
    /// waitlist-admin, login-aurora-split, login-editorial-center, login-frosted-glass,
    /// login-terminal-cli), github:owner/repo[/dir][#ref], an https:// URL of a .tar.gz, or a
    /// project folder or .tar.gz on disk
    #[arg(long, value_name = "SRC")]
    pub template: Option<String>,
}

/// `parent`: where the project's directory is made (-C, else the current directory).
pub fn run(a: InitArgs, parent: Option<&Path>) -> Result<()> {
    let parent = match parent {
        Some(p) => p.to_path_buf(),
        None => std::env::current_dir().context("reading the current directory")?,
    };
    let created = init(
        &InitOptions {
            name: a.name.clone(),
            agent: a.agent,
            template: a.template,
        },
        &parent,
    )?;
    if let Some((migration, statements)) = &created.first_migration {
        outln!("Wrote {migration} ({statements} statements)");
    }
    errln!(
        "created {} (project {}) with {}",
        created.target.display(),
        created.project_id,
        created.agent_file
    );
    errln!("next:\n  cd {}/server && npm install\n  cd ..", a.name);
    for step in created.next_steps {
        errln!("  {step}");
    }
    errln!("  edgespark deploy --dry-run");
    Ok(())
}
