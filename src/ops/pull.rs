//! `pull`: the files of `server/src/__generated__/` checked or (re)written per the platform's
//! contract.

use std::path::PathBuf;

use anyhow::Result;

use crate::generated::{self, GeneratedFile};
use crate::project::Project;

/// Which generated files: the platform tables, the type declarations, or both.
pub fn files(project: &Project, schema: bool, types: bool) -> Vec<GeneratedFile> {
    let mut files = vec![];
    if schema {
        files.extend(generated::schema_files(project));
    }
    if types {
        files.extend(generated::type_files(project));
    }
    files
}

/// The stale ones, written nowhere.
pub fn stale(project: &Project, schema: bool, types: bool) -> Vec<PathBuf> {
    generated::stale(&files(project, schema, types))
        .into_iter()
        .map(|f| f.path.clone())
        .collect()
}

/// Write what is stale (under the platform's lock: a deploy syncs the same files); returns
/// what was written.
pub fn pull(project: &Project, schema: bool, types: bool) -> Result<Vec<PathBuf>> {
    let _lock = crate::platform::LocalPlatform::open(project)?;
    generated::sync(&files(project, schema, types))
}
