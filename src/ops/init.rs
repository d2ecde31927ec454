//! `init`: a new project in `<name>/`, bound to a new project on the local platform, from the
//! scaffold or a template. The project is assembled in a hidden directory beside the target
//! and renamed into place at the end, so a failure leaves nothing behind.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::json;

use crate::diagnostic::Failure;
use crate::generated;
use crate::ops::generate::{GenerateOptions, Outcome, generate};
use crate::platform::LocalPlatform;
use crate::project::auth_config::DEFAULT_CONFIG;
use crate::project::{Project, scaffold, template};

pub struct InitOptions {
    /// The project's directory name.
    pub name: String,
    /// The coding agent: its instructions file is named after it.
    pub agent: String,
    /// A template source (see `project::template::source`).
    pub template: Option<String>,
}

pub struct Created {
    pub target: PathBuf,
    pub project_id: String,
    /// CLAUDE.md, GEMINI.md or AGENTS.md.
    pub agent_file: String,
    /// What a template's runtime.ts asks for: each var and secret to set.
    pub next_steps: Vec<String>,
    /// The scaffold's first migration (shown path, statements).
    pub first_migration: Option<(String, usize)>,
}

/// `parent`: where the project's directory is made.
pub fn init(a: &InitOptions, parent: &Path) -> Result<Created> {
    if let Some(problem) = scaffold::name_problem(&a.name) {
        return Err(Failure {
            code: 2,
            message: format!("project name {:?} {problem}", a.name),
        }
        .into());
    }
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
        .tempdir_in(parent)
        .with_context(|| format!("writing in {}", parent.display()))?;
    let project_id = uuid::Uuid::new_v4().to_string();
    let mut first_migration = None;
    let next_steps = match &a.template {
        None => {
            first_migration = assemble(staging.path(), a, &project_id)?;
            vec![]
        }
        Some(spec) => assemble_from_template(staging.path(), a, spec, &project_id)?,
    };
    std::fs::rename(staging.path(), &target)
        .with_context(|| format!("moving the new project to {}", target.display()))?;
    // Renamed away: nothing is left for the guard to remove.
    let _ = staging.keep();

    Ok(Created {
        agent_file: scaffold::agent_file(&a.agent).to_string(),
        target,
        project_id,
        next_steps,
        first_migration,
    })
}

/// Copy the template into `root` with a new project id and the agent file (unless it has
/// one), apply its migrations to a fresh local database and store its auth config. Returns
/// the steps its runtime.ts asks for: each var and secret to set.
fn assemble_from_template(
    root: &Path,
    a: &InitOptions,
    spec: &str,
    project_id: &str,
) -> Result<Vec<String>> {
    let source = template::source(spec)?;
    template::copy_into(&source, root)?;
    let toml = root.join(crate::project::CONFIG_FILE);
    let text = std::fs::read_to_string(&toml)
        .with_context(|| format!("the template has no {}", crate::project::CONFIG_FILE))?;
    let agent_file = root.join(scaffold::agent_file(&a.agent));
    let agent_text = scaffold::agent_instructions(&a.name);
    let mut writes = vec![(
        toml,
        template::with_project_id(&text, project_id).into_bytes(),
    )];
    if !agent_file.exists() {
        writes.push((agent_file, agent_text.into_bytes()));
    }
    let refs: Vec<_> = writes
        .iter()
        .map(|(p, b)| (p.clone(), b.as_slice()))
        .collect();
    crate::project::fsio::write_all_atomic(&refs)?;
    let project = Project::find(Some(root))?;
    // A fresh database: nothing a migration drops holds data yet.
    crate::ops::migrate::apply_pending(&project, true, &mut |_| {})?;
    let auth = crate::project::auth_config::read(&project.root.join("configs/auth-config.yaml"))?
        .unwrap_or_else(|| DEFAULT_CONFIG.to_string());
    let platform = LocalPlatform::open(&project)?;
    platform.write_file(crate::platform::AUTH_CONFIG_FILE, auth.as_bytes())?;
    platform.log(
        "init",
        json!({ "name": a.name, "project_id": project_id, "template": spec }),
    )?;
    let keys = crate::project::runtime_keys::read(&project.defs_dir().join("runtime.ts"))
        .unwrap_or_default();
    let mut steps: Vec<String> = keys
        .vars
        .iter()
        .map(|k| format!("edgespark var set {k}=..."))
        .collect();
    steps.extend(
        keys.secrets
            .iter()
            .map(|k| format!("edgespark secret set {k}")),
    );
    Ok(steps)
}

/// Write the scaffold into `root`, then what the platform would provide: the generated files,
/// the first migration applied to the local database, and the default auth config stored.
fn assemble(root: &Path, a: &InitOptions, project_id: &str) -> Result<Option<(String, usize)>> {
    let files = scaffold::files(&a.name, project_id, &a.agent);
    let writes: Vec<_> = files
        .iter()
        .map(|(path, text)| (root.join(path), text.as_bytes()))
        .collect();
    crate::project::fsio::write_all_atomic(&writes)?;
    let project = Project::find(Some(root))?;
    generated::sync(&generated::all_files(&project))?;

    let first = GenerateOptions {
        name: Some("init".into()),
        custom: false,
        decisions: Default::default(),
        drizzle_compat: false,
    };
    let report = generate(&project, &first, &mut |_, _| {
        anyhow::bail!("a new project's first migration has no rename to decide")
    })?;
    let first = match &report.outcome {
        Outcome::Written {
            migration,
            statements,
        } => Some((project.display(migration), *statements)),
        _ => None,
    };
    crate::ops::migrate::apply_pending(&project, false, &mut |_| {})?;

    let platform = LocalPlatform::open(&project)?;
    platform.write_file(crate::platform::AUTH_CONFIG_FILE, DEFAULT_CONFIG.as_bytes())?;
    platform.log("init", json!({ "name": a.name, "project_id": project_id }))?;
    Ok(first)
}
