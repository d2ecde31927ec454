//! `db check`: the migration chain validated (journal, files, snapshots, ids), drift between
//! replaying the migrations and the latest snapshot, and a schema edited since the last
//! `db generate`.

use anyhow::Result;

use crate::migrate::check::Finding;
use crate::migrate::folder::Folder;
use crate::project::Project;

/// Every problem found (none: the chain is consistent).
pub fn check(project: &Project) -> Result<Vec<Finding>> {
    let folder = Folder::new(project.migrations_dir());
    let schema_file = project.schema_file();
    let current = if schema_file.is_file() {
        Some(crate::schema::read(
            &schema_file,
            Some(&project.server_dir()),
        )?)
    } else {
        None
    };
    crate::migrate::check::check(&folder, Some(&schema_file), current.as_ref())
}
