//! `meta/_journal.json`: the ordered list of migrations, as drizzle-kit 0.31 writes it.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Journal {
    pub version: String,
    pub dialect: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub idx: u64,
    pub version: String,
    pub when: u64,
    pub tag: String,
    pub breakpoints: bool,
}

impl Default for Journal {
    fn default() -> Self {
        Journal::new()
    }
}

impl Journal {
    pub fn new() -> Journal {
        Journal {
            version: "7".into(),
            dialect: "sqlite".into(),
            entries: vec![],
        }
    }

    pub fn parse(text: &str) -> Result<Journal> {
        let j: Journal = serde_json::from_str(text).context("not a valid drizzle-kit journal")?;
        if j.dialect != "sqlite" && j.dialect != "turso" {
            bail!(
                "the journal's dialect is \"{}\"; only sqlite is supported",
                j.dialect
            );
        }
        Ok(j)
    }

    pub fn to_file_text(&self) -> String {
        let v = serde_json::to_value(self).expect("a journal always serializes");
        crate::jsjson::stringify_pretty(&v)
    }

    pub fn next_idx(&self) -> u64 {
        self.entries.last().map(|e| e.idx + 1).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_drizzle_text() {
        let text = "{\n  \"version\": \"7\",\n  \"dialect\": \"sqlite\",\n  \"entries\": [\n    {\n      \"idx\": 0,\n      \"version\": \"6\",\n      \"when\": 1753026930951,\n      \"tag\": \"0000_slow_scarecrow\",\n      \"breakpoints\": true\n    }\n  ]\n}";
        assert_eq!(Journal::parse(text).unwrap().to_file_text(), text);
    }
}
