//! `edgespark storage apply [--confirm-dangerous]` and `storage bucket list [--desc]`: the
//! buckets declared in `server/src/defs/storage_schema.ts`, on the local platform (a folder
//! per bucket under `.edgespark/local/buckets/`). Removing a bucket deletes its objects, so it
//! needs `--confirm-dangerous`.

use std::path::Path;

use anyhow::Result;
use clap::Subcommand;

use crate::cli::output;
use crate::ops::storage;
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

pub fn run(cmd: StorageCommand, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    match cmd {
        StorageCommand::Bucket(BucketCommand::List { desc, json }) => {
            let current = storage::list(&LocalPlatform::open(&project)?)?;
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
            let applied = storage::apply(&project, confirm_dangerous)?;
            for w in &applied.warnings {
                err!("{}", w.render(output::color_enabled()));
            }
            errln!(
                "{} bucket(s): {} created, {} removed",
                applied.total,
                applied.created.len(),
                applied.removed.len()
            );
            Ok(())
        }
    }
}
