//! `auth pull | get | apply`: `configs/auth-config.yaml` and the copy the local platform
//! holds. `apply` validates the file first (every problem with its line) and stores it; the
//! next deploy uses it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::json;

use crate::diagnostic::Failure;
use crate::platform::{AUTH_CONFIG_FILE, LocalPlatform};
use crate::project::Project;
use crate::project::auth_config::{DEFAULT_CONFIG, validate};

/// The project's own copy.
pub fn local_file(project: &Project) -> PathBuf {
    project.root.join("configs/auth-config.yaml")
}

/// The platform's config (its default when none was applied).
pub fn get(project: &Project) -> Result<String> {
    let platform = LocalPlatform::open(project)?;
    Ok(platform
        .read_file(AUTH_CONFIG_FILE)?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|| DEFAULT_CONFIG.to_string()))
}

/// Write the platform's config to the project's file; returns the file.
pub fn pull(project: &Project) -> Result<PathBuf> {
    let text = get(project)?;
    let local = local_file(project);
    crate::project::fsio::write_all_atomic(&[(local.clone(), text.as_bytes())])?;
    Ok(local)
}

/// Validate the project's file and store it on the platform; returns the file.
pub fn apply(project: &Project) -> Result<PathBuf> {
    let platform = LocalPlatform::open(project)?;
    let local = local_file(project);
    let text = crate::project::auth_config::read(&local)?.with_context(|| {
        format!(
            "{} does not exist; `edgespark auth pull` writes the platform's copy there",
            project.display(&local)
        )
    })?;
    let keys = crate::project::runtime_keys::read(&project.defs_dir().join("runtime.ts"))?;
    let shown = PathBuf::from(project.display(&local));
    let problems = validate(&shown, &text, &keys.vars, &keys.secrets);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Failure {
            code: 1,
            message: format!(
                "the auth config is not valid; nothing applied\n{}",
                list.join("\n")
            ),
        }
        .into());
    }
    platform.write_file(AUTH_CONFIG_FILE, text.as_bytes())?;
    platform.log("auth.apply", json!({ "bytes": text.len() }))?;
    Ok(local)
}
