//! `edgespark storage apply [--confirm-dangerous]` and `storage bucket list [--desc]`: the
//! buckets declared in `server/src/defs/storage_schema.ts`, on the local platform (a folder
//! per bucket under `.edgespark/local/buckets/`). Removing a bucket deletes its objects, so it
//! needs `--confirm-dangerous`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use clap::Subcommand;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cli::output::{self, Failure};
use crate::generated::buckets;
use crate::platform::BUCKETS_FILE as STATE;
use crate::platform::LocalPlatform;
use crate::project::Project;

#[derive(Subcommand, Debug)]
pub enum StorageCommand {
    /// Create the buckets storage_schema.ts declares and remove the ones it no longer does
    Apply {
        /// Allow removing buckets (and every object in them)
        #[arg(long)]
        confirm_dangerous: bool,
    },
    /// Buckets on the local platform
    #[command(subcommand)]
    Bucket(BucketCommand),
}

#[derive(Subcommand, Debug)]
pub enum BucketCommand {
    /// List the buckets and when they were created
    List {
        /// Show each bucket's description too
        #[arg(long)]
        desc: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Bucket {
    description: String,
    created_at: u64,
}

pub fn run(cmd: StorageCommand, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    let platform = LocalPlatform::open(&project)?;
    let mut current: BTreeMap<String, Bucket> = match platform.read_file(STATE)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .context("the local platform's buckets.json is not valid")?,
        None => BTreeMap::new(),
    };
    match cmd {
        StorageCommand::Bucket(BucketCommand::List { desc, json }) => {
            if json {
                outln!("{}", serde_json::to_string_pretty(&current)?);
                return Ok(());
            }
            for (name, b) in &current {
                let description = if desc {
                    format!("  {}", b.description)
                } else {
                    String::new()
                };
                outln!("{name}  {}{description}", b.created_at);
            }
            Ok(())
        }
        StorageCommand::Apply { confirm_dangerous } => {
            let declared = buckets(&project.defs_dir().join("storage_schema.ts"))?;
            let removed: Vec<String> = current
                .keys()
                .filter(|k| !declared.iter().any(|(n, _)| n == *k))
                .cloned()
                .collect();
            if !removed.is_empty() && !confirm_dangerous {
                return Err(Failure { code: 2, message: format!("removing bucket(s) {} deletes every object in them; run again with --confirm-dangerous", removed.join(", ")) }.into());
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            platform.check_buckets_root()?;
            let mut created = vec![];
            for (name, description) in &declared {
                std::fs::create_dir_all(platform.bucket_dir(name)?)
                    .with_context(|| format!("creating bucket {name}"))?;
                match current.get_mut(name) {
                    Some(b) => b.description = description.clone(),
                    None => {
                        current.insert(
                            name.clone(),
                            Bucket {
                                description: description.clone(),
                                created_at: now,
                            },
                        );
                        created.push(name.clone());
                    }
                }
            }
            for name in &removed {
                current.remove(name);
            }
            platform.write_file(STATE, &serde_json::to_vec_pretty(&current)?)?;
            // The objects go once the platform no longer lists the bucket.
            // A name recorded before names were checked never had a folder of its own, so
            // nothing is deleted for it.
            for name in &removed {
                match platform.bucket_dir(name) {
                    Ok(_) => platform.remove_bucket_dir(name)?,
                    Err(why) => output::warn(&format!(
                        "bucket {name:?} forgotten, no folder removed: {why}"
                    )),
                }
            }
            platform.log(
                "storage.apply",
                json!({ "created": created, "removed": removed }),
            )?;
            errln!(
                "{} bucket(s): {} created, {} removed",
                current.len(),
                created.len(),
                removed.len()
            );
            Ok(())
        }
    }
}
