//! `db diff`: the SQL between two snapshot files, renames taken from the second's `_meta`.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::migrate::diff::{self, Decisions, DiffOutput, Mode, Unresolved};
use crate::migrate::snapshot::Snapshot;

/// A snapshot file, or the empty schema for `empty`.
pub fn load_snapshot(arg: &str) -> Result<Snapshot> {
    if arg == "empty" {
        return Ok(Snapshot::empty());
    }
    let path = PathBuf::from(arg);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Snapshot::parse(&text)
        .with_context(|| format!("{} is not a valid drizzle-kit snapshot", path.display()))
}

/// The diff from `from` to `to`; `Err(Ok(open))` when a rename is neither recorded nor
/// decidable, listing what needs an answer.
pub fn diff(
    from: &str,
    to: &str,
    drizzle_compat: bool,
) -> Result<Result<DiffOutput, Vec<Unresolved>>> {
    let from = load_snapshot(from)?;
    let to = load_snapshot(to)?;
    let decisions = Decisions {
        table_renames: to.renames.tables.clone(),
        column_renames: to.renames.columns.clone(),
        default_create: true,
        ..Default::default()
    };
    let mode = if drizzle_compat {
        Mode::Drizzle
    } else {
        Mode::Fixed
    };
    Ok(diff::diff(&from.schema, &to.schema, &decisions, mode))
}
