//! `db migrate`: pending migrations applied to the local database, each file atomically, in
//! a git repository only from the default branch (or `[db] migration_branch`).

use anyhow::Result;

use crate::diagnostic::{Diagnostic, Failure};
use crate::project::Project;
use crate::project::git::{BranchRule, migration_branch_rule};

pub struct Migrated {
    /// The files applied, in order.
    pub applied: Vec<String>,
    pub warnings: Vec<Diagnostic>,
}

/// Apply what is pending, after the branch rule.
pub fn migrate(
    project: &Project,
    confirm_dangerous: bool,
    on_applied: &mut dyn FnMut(&str),
) -> Result<Migrated> {
    let mut warnings = vec![];
    let configured = project.config.db.migration_branch.as_deref();
    match migration_branch_rule(&project.root, configured) {
        BranchRule::Allowed => {}
        BranchRule::Refused(problem) => {
            return Err(Failure {
                code: 1,
                message: problem,
            }
            .into());
        }
        BranchRule::DefaultUnknown => warnings.push(
            Diagnostic::warning(
                "could not tell the git default branch (no origin/HEAD, and not exactly one of main/master); \
                 set [db] migration_branch in edgespark.toml to enforce the migrate-from-default-branch rule",
            )
            .with_code("migrate/default-branch-unknown"),
        ),
    }
    let applied = apply_pending(project, confirm_dangerous, on_applied)?;
    Ok(Migrated { applied, warnings })
}

/// Apply the project's pending migrations to its local database (a failed one changes nothing);
/// statements that destroy data need `confirm_dangerous`. Returns the files applied, each
/// also passed to `on_applied` as it is.
pub fn apply_pending(
    project: &Project,
    confirm_dangerous: bool,
    on_applied: &mut dyn FnMut(&str),
) -> Result<Vec<String>> {
    use crate::migrate::apply;
    let folder = crate::migrate::folder::Folder::new(project.migrations_dir());
    let shown = project.display(&folder.dir);
    // Check the history before touching the database, so a broken chain changes nothing.
    crate::migrate::check::require_applicable_journal(&folder, &shown)?;
    // Another command migrating the same database waits for this one.
    let platform = crate::platform::LocalPlatform::open(project)?;
    let mut db = apply::open(&project.local_database())?;
    let pending = apply::pending(&folder, &db)?;
    let dangerous = apply::review(&pending, &shown)?;
    if !dangerous.is_empty() && !confirm_dangerous {
        let msg = format!(
            "these statements destroy data; re-run with --confirm-dangerous to apply them:\n  {}",
            dangerous.join("\n  ")
        );
        return Err(crate::diagnostic::Failure {
            code: 1,
            message: msg,
        }
        .into());
    }
    let mut done = vec![];
    for p in &pending {
        apply::apply_file(&mut db, p, &shown)?;
        on_applied(&p.file);
        done.push(p.file.clone());
    }
    if !done.is_empty() {
        platform.log("db.migrate", serde_json::json!({ "applied": done }))?;
    }
    Ok(done)
}
