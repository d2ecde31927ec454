//! `edgespark auth pull | get [--json] | apply` (the work is ops::auth's): `configs/auth-config.yaml` and the config the
//! local platform holds. `apply` validates the file first (every problem with its line) and
//! stores it; the next deploy uses it.

use std::path::Path;

use anyhow::Result;
use clap::Subcommand;
use serde_json::{Value, json};

use crate::ops::auth;
use crate::project::Project;

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
    match cmd {
        AuthCommand::Pull => {
            let local = auth::pull(&project)?;
            errln!("wrote {}", project.display(&local));
        }
        AuthCommand::Get { json } => {
            let text = auth::get(&project)?;
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
            let local = auth::apply(&project)?;
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
