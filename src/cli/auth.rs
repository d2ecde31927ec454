//! `edgespark auth pull | get [--json] | apply`: `configs/auth-config.yaml` and the config the
//! local platform holds. `apply` validates the file first (every problem with its line) and
//! stores it; the next deploy uses it.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::cli::output::Failure;
use crate::platform::AUTH_CONFIG_FILE as STATE;
use crate::platform::LocalPlatform;
use crate::project::Project;
use crate::project::auth_config::{DEFAULT_CONFIG, validate};

#[derive(Subcommand, Debug)]
pub enum AuthCommand {
    /// Write the platform's auth config to configs/auth-config.yaml
    Pull,
    /// Print the platform's auth config
    Get {
        /// As JSON
        #[arg(long)]
        json: bool,
    },
    /// Validate configs/auth-config.yaml and store it on the platform (used from the next deploy)
    Apply,
}

pub fn run(cmd: AuthCommand, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    let platform = LocalPlatform::open(&project)?;
    let stored = platform
        .read_file(STATE)?
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let local = project.root.join("configs/auth-config.yaml");
    match cmd {
        AuthCommand::Pull => {
            let text = stored.unwrap_or_else(|| DEFAULT_CONFIG.to_string());
            crate::project::fsio::write_all_atomic(&[(local.clone(), text.as_bytes())])?;
            errln!("wrote {}", project.display(&local));
        }
        AuthCommand::Get { json } => {
            let text = stored.unwrap_or_else(|| DEFAULT_CONFIG.to_string());
            if json {
                let node = crate::project::auth_config::parse(&text).map_err(|e| {
                    anyhow::anyhow!("the platform's auth config is not valid YAML: {e}")
                })?;
                outln!("{}", serde_json::to_string_pretty(&to_json(&node))?);
            } else {
                out!("{text}");
            }
        }
        AuthCommand::Apply => {
            let text = crate::project::auth_config::read(&local)?.with_context(|| {
                format!(
                    "{} does not exist; `edgespark auth pull` writes the platform's copy there",
                    project.display(&local)
                )
            })?;
            let keys = crate::project::runtime_keys::read(&project.defs_dir().join("runtime.ts"))?;
            let problems = validate(&text, &keys.vars, &keys.secrets);
            if !problems.is_empty() {
                let list: Vec<String> = problems
                    .iter()
                    .map(|p| {
                        format!(
                            "{}:{}:{}: {}",
                            project.display(&local),
                            p.line,
                            p.column,
                            p.message
                        )
                    })
                    .collect();
                return Err(Failure {
                    code: 1,
                    message: format!(
                        "the auth config is not valid; nothing applied\n{}",
                        list.join("\n")
                    ),
                }
                .into());
            }
            platform.write_file(STATE, text.as_bytes())?;
            platform.log("auth.apply", json!({ "bytes": text.len() }))?;
            errln!(
                "applied {} (takes effect on the next deploy)",
                project.display(&local)
            );
        }
    }
    Ok(())
}

/// YAML → JSON, scalars typed as YAML reads them (booleans, numbers, else strings).
fn to_json(node: &marked_yaml::Node) -> Value {
    match node {
        marked_yaml::Node::Mapping(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.as_str().to_string(), to_json(v)))
                .collect(),
        ),
        marked_yaml::Node::Sequence(s) => Value::Array(s.iter().map(to_json).collect()),
        marked_yaml::Node::Scalar(s) => {
            if let Some(b) = s.as_bool() {
                json!(b)
            } else if let Some(i) = s.as_i64() {
                json!(i)
            } else if let Some(f) = s.as_f64().filter(|_| !s.as_str().is_empty()) {
                json!(f)
            } else {
                json!(s.as_str())
            }
        }
    }
}
