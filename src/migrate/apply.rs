//! Apply pending migrations to a SQLite database the way D1 runs them: foreign keys on, each
//! file all-or-nothing, recorded by file name in `es_system__db_migrations`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use rusqlite::Connection;

use super::classify::{Class, FileStatement, classify, split, text_of};
use super::folder::Folder;

pub const TRACKING_TABLE: &str = "es_system__db_migrations";

pub fn open(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let db = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
    prepare(&db).with_context(|| format!("{} is not a usable SQLite database", path.display()))?;
    Ok(db)
}

/// Foreign keys on (D1 always enforces them) and the tracking table.
pub fn prepare(db: &Connection) -> Result<()> {
    db.execute_batch(&format!(
        "PRAGMA foreign_keys=ON;
         CREATE TABLE IF NOT EXISTS {TRACKING_TABLE} (
           id INTEGER PRIMARY KEY AUTOINCREMENT,
           name TEXT UNIQUE,
           applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
         );"
    ))?;
    Ok(())
}

pub fn applied(db: &Connection) -> Result<Vec<String>> {
    let mut st = db.prepare(&format!("SELECT name FROM {TRACKING_TABLE} ORDER BY id"))?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The journal's files not yet applied to the database at `path`, read without changing it
/// (no database, or no tracking table: all of them).
pub fn unapplied_files(folder: &Folder, path: &Path) -> Result<Vec<String>> {
    let files = folder
        .journal()?
        .entries
        .into_iter()
        .map(|e| format!("{}.sql", e.tag));
    if !path.is_file() {
        return Ok(files.collect());
    }
    let db = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", path.display()))?;
    let unusable = || format!("{} is not a usable SQLite database", path.display());
    let tracked: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [TRACKING_TABLE],
            |r| r.get(0),
        )
        .with_context(unusable)?;
    let done = if tracked == 0 {
        vec![]
    } else {
        applied(&db).with_context(unusable)?
    };
    Ok(files.filter(|f| !done.contains(f)).collect())
}

/// A migration file waiting to be applied, split into its statements.
pub struct Pending {
    pub file: String,
    pub statements: Vec<FileStatement>,
}

pub fn pending(folder: &Folder, db: &Connection) -> Result<Vec<Pending>> {
    let done = applied(db)?;
    let mut out = vec![];
    for e in folder.journal()?.entries {
        if let Some(problem) = crate::project::paths::journal_tag_problem(&e.tag) {
            bail!(
                "{}: an entry's tag is not a file name: {problem}",
                folder.journal_path().display()
            );
        }
        let file = format!("{}.sql", e.tag);
        if done.contains(&file) {
            continue;
        }
        let path = folder.dir.join(&file);
        let bytes = std::fs::read(&path)
            .with_context(|| format!("reading {} (listed in the journal)", path.display()))?;
        let statements = text_of(&bytes).and_then(split).map_err(|u| {
            anyhow::anyhow!(
                "{}:{}:{}: cannot read this migration: {}; nothing was applied",
                path.display(),
                u.line,
                u.column,
                u.why
            )
        })?;
        out.push(Pending { file, statements });
    }
    Ok(out)
}

/// What in `files` needs `--confirm-dangerous`, and what D1 would reject (an error).
pub fn review(files: &[Pending], display_dir: &str) -> Result<Vec<String>> {
    let mut dangerous = vec![];
    let mut unsupported = vec![];
    for f in files {
        for st in &f.statements {
            for c in classify(&st.sql) {
                let at = format!("{display_dir}/{}:{}", f.file, st.line);
                match c {
                    Class::Destructive(what) => dangerous.push(format!("{at}: {what}")),
                    Class::Unsupported(what) => {
                        unsupported.push(format!("{at}: {what} is not supported by D1"))
                    }
                    Class::Safe | Class::Unparsed(_) => {}
                }
            }
        }
    }
    if !unsupported.is_empty() {
        bail!(
            "these statements would be rejected by D1:\n  {}",
            unsupported.join("\n  ")
        );
    }
    Ok(dangerous)
}

/// Apply one file in one transaction; on any error nothing of it stays.
pub fn apply_file(db: &mut Connection, p: &Pending, display_dir: &str) -> Result<()> {
    let tx = db.transaction()?;
    for st in &p.statements {
        if let Err(e) = tx.execute_batch(&st.sql) {
            bail!(
                "{display_dir}/{}:{}: {e}\n  in: {}",
                p.file,
                st.line,
                st.sql.lines().next().unwrap_or("")
            );
        }
    }
    tx.execute(
        &format!("INSERT INTO {TRACKING_TABLE} (name) VALUES (?1)"),
        [&p.file],
    )?;
    // Deferred foreign key violations surface at commit.
    tx.commit()
        .with_context(|| format!("{display_dir}/{}: commit failed", p.file))?;
    Ok(())
}
