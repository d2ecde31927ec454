//! `storage apply` and `storage bucket list`: the buckets declared in
//! `server/src/defs/storage_schema.ts` on the local platform (a folder per bucket under
//! `.edgespark/local/buckets/`). Removing a bucket deletes its objects, so it needs
//! `confirm_dangerous`.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::Failure;
use crate::generated::buckets;
use crate::platform::{BUCKETS_FILE, LocalPlatform};
use crate::project::Project;

/// A bucket as the platform records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bucket {
    pub description: String,
    /// ms since the epoch.
    pub created_at: u64,
}

/// The buckets on the platform, by name.
pub fn list(platform: &LocalPlatform) -> Result<BTreeMap<String, Bucket>> {
    Ok(match platform.read_file(BUCKETS_FILE)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .context("the local platform's buckets.json is not valid")?,
        None => BTreeMap::new(),
    })
}

pub struct Applied {
    pub created: Vec<String>,
    pub removed: Vec<String>,
    /// How many buckets there are now.
    pub total: usize,
    pub warnings: Vec<Diagnostic>,
}

/// Create the buckets storage_schema.ts declares and remove the ones it no longer does.
pub fn apply(project: &Project, confirm_dangerous: bool) -> Result<Applied> {
    let platform = LocalPlatform::open(project)?;
    let mut current = list(&platform)?;
    let declared = buckets(&project.defs_dir().join("storage_schema.ts"))?;
    let removed: Vec<String> = current
        .keys()
        .filter(|k| !declared.iter().any(|(n, _)| n == *k))
        .cloned()
        .collect();
    if !removed.is_empty() && !confirm_dangerous {
        return Err(Failure {
            code: 2,
            message: format!(
                "removing bucket(s) {} deletes every object in them; run again with --confirm-dangerous",
                removed.join(", ")
            ),
        }
        .into());
    }
    let now = crate::jsjson::date_now() as u64;
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
    platform.write_file(BUCKETS_FILE, &serde_json::to_vec_pretty(&current)?)?;
    // The objects go once the platform no longer lists the bucket. A name recorded before
    // names were checked never had a folder of its own, so nothing is deleted for it.
    let mut warnings = vec![];
    for name in &removed {
        match platform.bucket_dir(name) {
            Ok(_) => platform.remove_bucket_dir(name)?,
            Err(why) => warnings.push(
                Diagnostic::warning(format!(
                    "bucket {name:?} forgotten, no folder removed: {why}"
                ))
                .with_code("storage/no-folder"),
            ),
        }
    }
    platform.log(
        "storage.apply",
        json!({ "created": created, "removed": removed }),
    )?;
    Ok(Applied {
        created,
        removed,
        total: current.len(),
        warnings,
    })
}
