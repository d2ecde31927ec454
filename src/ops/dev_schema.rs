//! `dev` keeps its database in step with `db_schema.ts` without losing rows: the schema last
//! applied is kept beside the database (`.edgespark/dev/schema.json`, a snapshot); each start
//! and save diffs it against the file with the migration engine and applies the statements in
//! place, in one transaction (table rebuilds copy their rows). A change that destroys data
//! (a table or column dropped; a rename dev cannot tell from a drop and an add) is applied only
//! when the user says yes, or with `--accept-data-loss`; otherwise it is reported as blocked
//! and the database stays as it was. (The EdgeSpark CLI's `drizzle-kit push` may truncate.)

use std::path::Path;

use anyhow::{Context, Result};
use rusqlite::Connection;

use crate::migrate::classify::{Class, classify};
use crate::migrate::diff::{Decisions, Mode, diff};
use crate::migrate::snapshot::{KeyOrder, Snapshot};
use crate::project::Project;

pub enum Synced {
    Unchanged,
    /// How many statements ran.
    Applied(usize),
    /// Not applied: what it would destroy.
    Blocked(Vec<String>),
}

/// Bring the dev database to the project's schema. `accept` is asked about a destructive
/// change (what it destroys) and says whether to go ahead.
pub fn sync(
    project: &Project,
    db: &mut Connection,
    state: &Path,
    accept: &dyn Fn(&[String]) -> bool,
) -> Result<Synced> {
    let file = project.defs_dir().join("db_schema.ts");
    if !file.is_file() {
        return Ok(Synced::Unchanged);
    }
    let read = crate::schema::read(&file, Some(&project.server_dir()))?;
    let before = match std::fs::read_to_string(state) {
        Ok(text) => Snapshot::parse(&text)
            .with_context(|| format!("{} is not a snapshot", state.display()))?,
        Err(_) => Snapshot::empty(),
    };
    let decisions = Decisions {
        default_create: true,
        ..Decisions::default()
    };
    let out = diff(&before.schema, &read.schema, &decisions, Mode::Fixed)
        .map_err(|open| anyhow::anyhow!("undecided renames: {open:?}"))?;
    if out.sql.is_empty() {
        return Ok(Synced::Unchanged);
    }
    let destroys: Vec<String> = out
        .sql
        .iter()
        .flat_map(|s| classify(s))
        .filter_map(|c| match c {
            Class::Destructive(what) => Some(what),
            _ => None,
        })
        .collect();
    if !destroys.is_empty() && !accept(&destroys) {
        return Ok(Synced::Blocked(destroys));
    }
    let tx = db.transaction()?;
    for sql in &out.sql {
        tx.execute_batch(sql)
            .with_context(|| format!("applying the schema change: {sql}"))?;
    }
    tx.commit().context("applying the schema change")?;
    let after = Snapshot {
        schema: read.schema,
        ..Snapshot::empty()
    };
    crate::project::fsio::write_all_atomic(&[(
        state.to_path_buf(),
        after.to_file_text(KeyOrder::Generated).as_bytes(),
    )])?;
    Ok(Synced::Applied(out.sql.len()))
}
