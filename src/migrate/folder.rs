//! The migrations folder (`server/drizzle/`): reading it, and adding a migration to it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use super::journal::{Entry, Journal};
use super::snapshot::Snapshot;
use crate::project::fsio::write_all_atomic;

pub const SCHEMA_HASH_FILE: &str = "_edgespark_schema_hash";

pub struct Folder {
    pub dir: PathBuf,
}

impl Folder {
    pub fn new(dir: PathBuf) -> Folder {
        Folder { dir }
    }

    pub fn meta(&self) -> PathBuf {
        self.dir.join("meta")
    }

    pub fn journal_path(&self) -> PathBuf {
        self.meta().join("_journal.json")
    }

    /// The journal, or an empty one when the folder has none yet.
    pub fn journal(&self) -> Result<Journal> {
        let p = self.journal_path();
        if !p.exists() {
            return Ok(Journal::new());
        }
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        Journal::parse(&text).with_context(|| format!("{} is broken", p.display()))
    }

    /// Snapshot files in `meta/`, sorted by name (drizzle-kit's order).
    pub fn snapshot_files(&self) -> Result<Vec<PathBuf>> {
        let meta = self.meta();
        if !meta.is_dir() {
            return Ok(vec![]);
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&meta)
            .with_context(|| format!("reading {}", meta.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                !name.starts_with('_') && name.ends_with(".json")
            })
            .collect();
        files.sort();
        Ok(files)
    }

    pub fn read_snapshot(path: &Path) -> Result<Snapshot> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Snapshot::parse(&text)
            .with_context(|| format!("{} is not a valid snapshot", path.display()))
    }

    pub fn sql_path(&self, tag: &str) -> PathBuf {
        self.dir.join(format!("{tag}.sql"))
    }

    /// Add a migration: its SQL, its snapshot, the hash of the schema source if given, then
    /// the journal entry (the commit point), each file written atomically.
    pub fn add(&self, journal: &mut Journal, m: &NewMigration) -> Result<()> {
        let NewMigration {
            tag,
            prefix,
            sql,
            snapshot_text,
            version,
            when,
            schema_source,
        } = *m;
        if let Some(problem) = crate::project::paths::journal_tag_problem(tag) {
            bail!("cannot name a migration {tag:?}: {problem}");
        }
        if self.sql_path(tag).exists() {
            bail!("{} already exists", self.sql_path(tag).display());
        }
        let hash = schema_source.map(hash_of);
        journal.entries.push(Entry {
            idx: journal.next_idx(),
            version: version.to_string(),
            when,
            tag: tag.into(),
            breakpoints: true,
        });
        let journal_text = journal.to_file_text();
        let mut files = vec![
            (self.sql_path(tag), sql.as_bytes()),
            (
                self.meta().join(format!("{prefix}_snapshot.json")),
                snapshot_text.as_bytes(),
            ),
        ];
        if let Some(h) = &hash {
            files.push((self.meta().join(SCHEMA_HASH_FILE), h.as_bytes()));
        }
        files.push((self.journal_path(), journal_text.as_bytes()));
        write_all_atomic(&files)
    }

    pub fn stored_schema_hash(&self) -> Option<String> {
        std::fs::read_to_string(self.meta().join(SCHEMA_HASH_FILE))
            .ok()
            .map(|s| s.trim().to_string())
    }
}

/// What one migration adds to the folder.
pub struct NewMigration<'a> {
    /// `0003_brave_fox`: the SQL file's name and the journal's tag.
    pub tag: &'a str,
    /// `0003`: the snapshot's number.
    pub prefix: &'a str,
    pub sql: &'a str,
    pub snapshot_text: &'a str,
    /// The snapshot format version, recorded in the journal entry.
    pub version: &'a str,
    /// When it was generated (ms since the epoch).
    pub when: u64,
    /// The schema file's bytes, whose hash is recorded beside the migrations.
    pub schema_source: Option<&'a [u8]>,
}

/// Lower-case sha256 hex of the schema file's bytes.
pub fn schema_hash(schema_file: &Path) -> Result<String> {
    let bytes =
        std::fs::read(schema_file).with_context(|| format!("reading {}", schema_file.display()))?;
    Ok(hash_of(&bytes))
}

/// Lowercase sha256 hex of `db_schema.ts`'s bytes.
pub fn hash_of(schema_source: &[u8]) -> String {
    Sha256::digest(schema_source)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
