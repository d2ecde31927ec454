//! The migration engine: snapshots and journal on disk, schema diff, SQL, apply, check.

pub mod diff;
pub mod jsjson;
pub mod snapshot;
