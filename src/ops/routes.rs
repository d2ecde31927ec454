//! `routes`: the project's Hono routes, found statically from the server entry with the
//! Workers resolve options.

use anyhow::Result;

use crate::ops::build::worker_options;
use crate::project::Project;
use crate::routes::Analysis;

pub fn analyze(project: &Project) -> Result<Analysis> {
    let server = project.server_dir();
    let entry = project.server_entry()?;
    crate::routes::analyze(&server, &entry, &worker_options(&server))
}
