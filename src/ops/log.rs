//! `log tail`: the last events of the local platform's log, oldest first; with `--follow`,
//! every event appended after them as it comes (requests and console lines of a running
//! `dev` or `serve`, deploys, changes), read without the platform's lock (lines are appended
//! whole).

use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use anyhow::{Context, Result};
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

/// The last `lines` events, then each new one as it is appended, until `each` says stop.
pub fn follow(project: &Project, lines: usize, mut each: impl FnMut(&Value) -> bool) -> Result<()> {
    let path = project.local_dir().join("events.jsonl");
    let mut offset = 0;
    let mut pending = Vec::new();
    let mut first = true;
    loop {
        let bytes = read_from(&path, offset)?;
        offset += bytes.len() as u64;
        pending.extend(bytes);
        // Whole lines only: the rest waits for its newline.
        let end = pending
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let complete: Vec<u8> = pending.drain(..end).collect();
        let events: Vec<Value> = complete
            .split(|b| *b == b'\n')
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect();
        let skip = if first {
            events.len().saturating_sub(lines)
        } else {
            0
        };
        first = false;
        for e in &events[skip..] {
            if !each(e) {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn read_from(path: &std::path::Path, offset: u64) -> Result<Vec<u8>> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    f.seek(SeekFrom::Start(offset))?;
    let mut out = vec![];
    f.read_to_end(&mut out)?;
    Ok(out)
}
