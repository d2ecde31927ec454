//! `log tail`: the last events of the local platform's log, oldest first.

use anyhow::Result;
use serde_json::Value;

use crate::platform::LocalPlatform;
use crate::project::Project;

/// The last `lines` events (each `{time, event, details}`).
pub fn tail(project: &Project, lines: usize) -> Result<Vec<Value>> {
    let mut events = LocalPlatform::open(project)?.events()?;
    let keep = events.len().saturating_sub(lines);
    events.drain(..keep);
    Ok(events)
}
