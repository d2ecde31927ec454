//! The migration engine: snapshots and journal on disk, schema diff, SQL, apply, check.

pub mod apply;
pub mod check;
pub mod classify;
pub mod diff;
pub mod folder;
pub mod journal;
pub mod settle;
pub mod snapshot;
pub mod words;
