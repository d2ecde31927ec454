//! `db check`: the migration folder is consistent (journal ↔ files ↔ snapshots, the prevId
//! chain, ids, `when`), the schema was not edited without `generate`, and replaying every
//! migration gives the schema the latest snapshot describes.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Result;
use rusqlite::Connection;
use serde_json::Value;

use super::classify::{split, text_of};
use super::folder::{Folder, schema_hash};
use super::journal::Journal;
use super::snapshot::{ORIGIN_ID, Snapshot};
use crate::schema::model::Schema;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub file: String,
    pub message: String,
    /// What the problem stops (not part of `db check --json`).
    #[serde(skip)]
    pub stops: Stops,
}

/// Which commands a finding stops. Real histories have gaps drizzle-kit works with (a
/// hand-written migration without a snapshot, `when`s out of order), so only what would make a
/// command go wrong stops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stops {
    /// Reported only.
    #[default]
    Nothing,
    /// `generate` would diff against the wrong snapshot or number the migration wrongly.
    Generate,
    /// Both: `migrate` would apply the wrong file, or one file twice.
    Migrate,
    /// An entry without its snapshot: `generate` goes ahead only if replaying every migration
    /// gives the schema of the latest snapshot there is.
    MissingSnapshot,
}

fn finding(out: &mut Vec<Finding>, file: impl Into<String>, message: impl Into<String>) {
    stopping(out, Stops::Nothing, file, message)
}

fn stopping(
    out: &mut Vec<Finding>,
    stops: Stops,
    file: impl Into<String>,
    message: impl Into<String>,
) {
    out.push(Finding {
        file: file.into(),
        message: message.into(),
        stops,
    });
}

pub fn check(
    folder: &Folder,
    schema_file: Option<&Path>,
    current: Option<&crate::schema::ReadSchema>,
) -> Result<Vec<Finding>> {
    let Chain {
        findings: mut out,
        journal,
        snapshots,
        listed_snapshots,
        cut_short,
    } = chain(folder)?;
    if cut_short {
        return Ok(out);
    }
    // Schema edited without generate.
    if let (Some(file), Some(stored)) = (schema_file, folder.stored_schema_hash())
        && file.is_file()
        && schema_hash(file)? != stored
    {
        let latest = snapshots.values().next_back();
        let changed = match (latest, current) {
            // Read as `db generate` reads it: generate-time defaults keep the snapshot's value.
            (Some(l), Some(c)) => {
                !same_schema(&l.schema, &super::settle::settle(c, &l.schema, false).0)
            }
            _ => true,
        };
        if changed {
            finding(
                &mut out,
                "meta/_edgespark_schema_hash",
                "db_schema.ts changed since the last `db generate`; run `edgespark db generate`",
            );
        }
    }
    // Drift: replay everything and compare with the latest snapshot.
    if let Some(last) = listed_snapshots.last().and_then(|n| snapshots.get(n)) {
        drift(folder, &journal, last, &mut out)?;
    }
    Ok(out)
}

/// What is wrong with journal entry `i` on its own, and what it stops: a tag that is not a file
/// name (nothing after it can be read safely), or a tag listed before it.
fn entry_problem(journal: &Journal, i: usize) -> Option<(String, bool)> {
    let e = &journal.entries[i];
    if let Some(problem) = crate::project::paths::journal_tag_problem(&e.tag) {
        return Some((
            format!(
                "entry {} has a tag that is not a file name: {problem}",
                e.idx
            ),
            true,
        ));
    }
    journal.entries[..i]
        .iter()
        .any(|p| p.tag == e.tag)
        .then(|| {
            (
                format!("entry {} ({}) is listed twice", e.idx, e.tag),
                false,
            )
        })
}

fn refusal(found: &[Finding], display_dir: &str, doing: &str) -> Result<()> {
    if found.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = found
        .iter()
        .map(|f| format!("{display_dir}/{}: {}", f.file, f.message))
        .collect();
    anyhow::bail!(
        "the migration history is inconsistent, so nothing was {doing}:\n  {}\nrun `edgespark db check` for the whole report",
        list.join("\n  ")
    )
}

/// What stops `db migrate`: a journal entry it would apply wrongly (a tag that is a path, an
/// entry listed twice). Only the journal is read; snapshots do not matter to applying.
pub fn require_applicable_journal(folder: &Folder, display_dir: &str) -> Result<()> {
    let journal = folder.journal()?;
    let mut found = vec![];
    for i in 0..journal.entries.len() {
        if let Some((message, stop)) = entry_problem(&journal, i) {
            stopping(&mut found, Stops::Migrate, "meta/_journal.json", message);
            if stop {
                break;
            }
        }
    }
    refusal(&found, display_dir, "applied")
}

/// What stops `db generate` (the journal's problems, a broken snapshot chain, an entry without
/// its snapshot when the replayed history disagrees with the latest snapshot), as one error;
/// else the journal and the latest snapshot (the empty schema if none), read once.
pub fn require_sound_chain(folder: &Folder, display_dir: &str) -> Result<(Journal, Snapshot)> {
    let Chain {
        findings,
        journal,
        snapshots,
        cut_short,
        ..
    } = chain(folder)?;
    let latest = snapshots
        .into_values()
        .next_back()
        .unwrap_or_else(Snapshot::empty);
    let mut found: Vec<Finding> = findings
        .iter()
        .filter(|f| matches!(f.stops, Stops::Migrate | Stops::Generate))
        .cloned()
        .collect();
    if !cut_short && found.is_empty() && findings.iter().any(|f| f.stops == Stops::MissingSnapshot)
    {
        let mut drifted = vec![];
        drift(folder, &journal, &latest, &mut drifted)?;
        if !drifted.is_empty() {
            found.extend(
                findings
                    .iter()
                    .filter(|f| f.stops == Stops::MissingSnapshot)
                    .cloned(),
            );
            found.extend(drifted);
        }
    }
    refusal(&found, display_dir, "generated")?;
    Ok((journal, latest))
}

/// The chain's structure, read once: journal ↔ files ↔ snapshots, tags, prevIds, ids.
struct Chain {
    findings: Vec<Finding>,
    journal: Journal,
    /// By file name (`meta/NNNN_snapshot.json`), so the last is the latest.
    snapshots: BTreeMap<String, Snapshot>,
    /// The snapshot each journal entry names, in order.
    listed_snapshots: Vec<String>,
    /// The journal could not be followed to its end (unreadable, or a tag that is a path):
    /// nothing may be read through it.
    cut_short: bool,
}

fn chain(folder: &Folder) -> Result<Chain> {
    let mut out = vec![];
    let journal_name = "meta/_journal.json";
    let journal = match folder.journal() {
        Ok(j) => j,
        Err(e) => {
            stopping(&mut out, Stops::Migrate, journal_name, format!("{e:#}"));
            return Ok(Chain {
                findings: out,
                journal: Journal::new(),
                snapshots: BTreeMap::new(),
                listed_snapshots: vec![],
                cut_short: true,
            });
        }
    };
    if !folder.journal_path().exists() && folder.dir.exists() {
        finding(&mut out, journal_name, "missing");
    }
    // Snapshots by file name.
    let mut snapshots: BTreeMap<String, Snapshot> = BTreeMap::new();
    for f in folder.snapshot_files()? {
        let name = format!(
            "meta/{}",
            f.file_name().unwrap_or_default().to_string_lossy()
        );
        match Folder::read_snapshot(&f) {
            Ok(s) => {
                snapshots.insert(name, s);
            }
            Err(e) => stopping(&mut out, Stops::Generate, name, format!("{e:#}")),
        }
    }
    // Journal entries ↔ files.
    let mut listed_sql = vec![];
    let mut listed_snapshots = vec![];
    let mut prev_when = 0;
    let mut prev_snapshot: Option<(String, String)> = None;
    for (i, e) in journal.entries.iter().enumerate() {
        if let Some((message, stop)) = entry_problem(&journal, i) {
            stopping(&mut out, Stops::Migrate, journal_name, message);
            if stop {
                return Ok(Chain {
                    findings: out,
                    journal,
                    snapshots,
                    listed_snapshots,
                    cut_short: true,
                });
            }
        }
        let sql = format!("{}.sql", e.tag);
        if !folder.dir.join(&sql).is_file() {
            stopping(
                &mut out,
                Stops::Generate,
                journal_name,
                format!("entry {} ({}) has no file {sql}", e.idx, e.tag),
            );
        }
        if e.idx != i as u64 {
            finding(
                &mut out,
                journal_name,
                format!("entry {} has idx {} (expected {i})", e.tag, e.idx),
            );
        }
        if i > 0 && e.when <= prev_when {
            finding(
                &mut out,
                journal_name,
                format!(
                    "entry {} has a `when` ({}) not after the previous entry's ({prev_when})",
                    e.tag, e.when
                ),
            );
        }
        prev_when = e.when;
        listed_sql.push(sql);
        let prefix = e.tag.split('_').next().unwrap_or("");
        let snap_name = format!("meta/{prefix}_snapshot.json");
        listed_snapshots.push(snap_name.clone());
        match snapshots.get(&snap_name) {
            None if !folder.dir.join(&snap_name).exists() => stopping(
                &mut out,
                Stops::MissingSnapshot,
                journal_name,
                format!("entry {} has no snapshot {snap_name}", e.tag),
            ),
            None => {}
            Some(s) => {
                let expected_parent = prev_snapshot
                    .as_ref()
                    .map(|(_, id)| id.as_str())
                    .unwrap_or(ORIGIN_ID);
                if (i == 0 || prev_snapshot.is_some()) && s.prev_id != expected_parent {
                    let parent = prev_snapshot
                        .as_ref()
                        .map(|(n, _)| n.clone())
                        .unwrap_or_else(|| "the empty schema".into());
                    stopping(
                        &mut out,
                        Stops::Generate,
                        snap_name.clone(),
                        format!("prevId {} does not point at {parent}", s.prev_id),
                    );
                }
                prev_snapshot = Some((snap_name.clone(), s.id.clone()));
                continue;
            }
        }
        prev_snapshot = None;
    }
    if let Ok(rd) = std::fs::read_dir(&folder.dir) {
        let mut extra: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".sql") && !listed_sql.contains(n))
            .collect();
        extra.sort();
        for n in extra {
            finding(
                &mut out,
                n,
                "not listed in meta/_journal.json (it will never be applied)",
            );
        }
    }
    for name in snapshots.keys() {
        if !listed_snapshots.contains(name) {
            finding(&mut out, name.clone(), "not listed in meta/_journal.json");
        }
    }
    // Duplicate ids and forks.
    let mut by_id: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut by_parent: HashMap<&str, Vec<&str>> = HashMap::new();
    for (n, s) in &snapshots {
        by_id.entry(&s.id).or_default().push(n);
        by_parent.entry(&s.prev_id).or_default().push(n);
    }
    let mut dup: Vec<String> = by_id
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(id, v)| format!("id {id} is used by {}", v.join(", ")))
        .collect();
    dup.sort();
    for d in dup {
        stopping(&mut out, Stops::Generate, "meta/", d);
    }
    let mut forks: Vec<String> = by_parent
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(p, v)| format!("[{}] point to the same parent snapshot {p}: a collision, as after merging two branches", v.join(", ")))
        .collect();
    forks.sort();
    for f in forks {
        stopping(&mut out, Stops::Generate, "meta/", f);
    }
    Ok(Chain {
        findings: out,
        journal,
        snapshots,
        listed_snapshots,
        cut_short: false,
    })
}

fn same_schema(a: &Schema, b: &Schema) -> bool {
    let decisions = super::diff::Decisions {
        default_create: true,
        ..Default::default()
    };
    super::diff::diff(a, b, &decisions, super::diff::Mode::Drizzle)
        .map(|o| o.sql.is_empty())
        .unwrap_or(false)
}

/// What replaying the migrations must agree with the latest snapshot on, per table, each list
/// sorted: columns (name, declared type, notnull, pk, default), index names, and foreign keys
/// (columns, parent table, parent columns, on update, on delete).
/// Each item is rendered as text so a finding can quote it.
#[derive(Debug, PartialEq, Default)]
struct TableShape {
    columns: Vec<String>,
    indexes: Vec<String>,
    foreign_keys: Vec<String>,
}

fn column_shape(name: &str, ty: &str, not_null: bool, pk: bool, default: Option<String>) -> String {
    let mut s = format!("`{name}` {ty}");
    if pk {
        s.push_str(" primary key");
    }
    if not_null {
        s.push_str(" not null");
    }
    if let Some(d) = default {
        s.push_str(" default ");
        s.push_str(&d);
    }
    s
}

fn foreign_key_shape(
    from: &[String],
    parent: &str,
    to: &[String],
    on_update: &str,
    on_delete: &str,
) -> String {
    format!(
        "({}) → `{parent}`({}) on update {on_update} on delete {on_delete}",
        from.join(", "),
        to.join(", ")
    )
}

type Shape = BTreeMap<String, TableShape>;

/// A foreign key read from SQLite: (columns, parent table, parent columns, on update, on delete).
type ForeignKeyRows = (Vec<String>, String, Vec<String>, String, String);

fn database_shape(db: &Connection) -> Result<Shape> {
    let mut shape = Shape::new();
    let mut tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'es_system__%' AND name NOT LIKE '\\_\\_%' ESCAPE '\\'")?;
    let names: Vec<String> = tables
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for t in names {
        let mut ts = TableShape::default();
        let mut st = db.prepare("SELECT name, type, \"notnull\", pk, dflt_value FROM pragma_table_xinfo(?1) WHERE hidden IN (0, 2, 3)")?;
        for r in st.query_map([&t], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)? != 0,
                r.get::<_, i64>(3)? != 0,
                r.get::<_, Option<String>>(4)?,
            ))
        })? {
            let (n, ty, nn, pk, dflt) = r?;
            ts.columns.push(column_shape(
                &n,
                &declared_type(&ty),
                nn,
                pk,
                dflt.map(|d| default_text(&d)),
            ));
        }
        ts.columns.sort();
        ts.indexes = db
            .prepare("SELECT name FROM pragma_index_list(?1) WHERE origin = 'c'")?
            .query_map([&t], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ts.indexes.sort();
        // One row per column pair; group by constraint id.
        let mut fks: BTreeMap<i64, ForeignKeyRows> = BTreeMap::new();
        let mut st = db.prepare("SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq")?;
        for r in st.query_map([&t], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })? {
            let (id, parent, from, to, upd, del) = r?;
            let e = fks.entry(id).or_insert_with(|| {
                (
                    vec![],
                    parent,
                    vec![],
                    upd.to_lowercase(),
                    del.to_lowercase(),
                )
            });
            e.0.push(from);
            e.2.extend(to);
        }
        ts.foreign_keys = fks
            .into_values()
            .map(|(f, p, to, u, d)| foreign_key_shape(&f, &p, &to, &u, &d))
            .collect();
        ts.foreign_keys.sort();
        shape.insert(t, ts);
    }
    Ok(shape)
}

/// The part of a column type SQLite keeps as the declared type (`text collate nocase` → `text`).
fn declared_type(t: &str) -> String {
    let t = t.to_lowercase().replace(" (", "(");
    t.split(" collate ").next().unwrap_or("").trim().to_string()
}

/// A default as SQLite echoes it back, compared loosely: surrounding parentheses and case aside.
fn default_text(d: &str) -> String {
    let mut t = d.trim();
    while t.starts_with('(') && t.ends_with(')') && balanced(&t[1..t.len() - 1]) {
        t = t[1..t.len() - 1].trim();
    }
    t.to_lowercase()
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

fn snapshot_shape(s: &Snapshot) -> Shape {
    let mut shape = Shape::new();
    for t in s.schema.tables.values() {
        let mut ts = TableShape {
            columns: t
                .columns
                .values()
                .map(|c| {
                    let pk = c.primary_key
                        || t.composite_primary_keys
                            .values()
                            .any(|p| p.columns.contains(&c.name));
                    let dflt = c.default.as_ref().map(|v| match v {
                        Value::String(s) => default_text(s),
                        other => default_text(&other.to_string()),
                    });
                    column_shape(&c.name, &declared_type(&c.sql_type), c.not_null, pk, dflt)
                })
                .collect(),
            ..Default::default()
        };
        ts.columns.sort();
        ts.indexes = t.indexes.keys().cloned().collect();
        ts.indexes.sort();
        ts.foreign_keys = t
            .foreign_keys
            .values()
            .map(|f| {
                let action =
                    |a: &Option<String>| a.as_deref().unwrap_or("no action").to_lowercase();
                foreign_key_shape(
                    &f.columns_from,
                    &f.table_to,
                    &f.columns_to,
                    &action(&f.on_update),
                    &action(&f.on_delete),
                )
            })
            .collect();
        ts.foreign_keys.sort();
        shape.insert(t.name.clone(), ts);
    }
    shape
}

/// What is only in the replayed database and what only in the snapshot, if anything.
fn differences(replayed: &[String], snapshot: &[String]) -> Option<String> {
    let only = |a: &[String], b: &[String]| {
        a.iter()
            .filter(|x| !b.contains(x))
            .cloned()
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (r, s) = (only(replayed, snapshot), only(snapshot, replayed));
    let shown = |x: String| {
        if x.is_empty() {
            "nothing".to_string()
        } else {
            x
        }
    };
    (!r.is_empty() || !s.is_empty())
        .then(|| format!("replay has {}, snapshot has {}", shown(r), shown(s)))
}

fn drift(
    folder: &Folder,
    journal: &Journal,
    last: &Snapshot,
    out: &mut Vec<Finding>,
) -> Result<()> {
    let mut db = Connection::open_in_memory()?;
    super::apply::prepare(&db)?;
    for e in &journal.entries {
        let file = format!("{}.sql", e.tag);
        let Ok(bytes) = std::fs::read(folder.dir.join(&file)) else {
            return Ok(());
        };
        let statements = match text_of(&bytes).and_then(split) {
            Ok(s) => s,
            Err(u) => {
                finding(
                    out,
                    format!("{file}:{}:{}", u.line, u.column),
                    format!("cannot be read: {}", u.why),
                );
                return Ok(());
            }
        };
        let tx = db.transaction()?;
        for st in &statements {
            if let Err(err) = tx.execute_batch(&st.sql) {
                finding(
                    out,
                    format!("{file}:{}", st.line),
                    format!("does not apply on a replay of the history: {err}"),
                );
                return Ok(());
            }
        }
        tx.commit()?;
    }
    let actual = database_shape(&db)?;
    let expected = snapshot_shape(last);
    for (t, shape) in &expected {
        match actual.get(t) {
            None => finding(
                out,
                "meta/",
                format!(
                    "drift: table `{t}` is in the latest snapshot but the migrations never create it"
                ),
            ),
            Some(a) => {
                let differences = [
                    ("columns", differences(&a.columns, &shape.columns)),
                    ("indexes", differences(&a.indexes, &shape.indexes)),
                    (
                        "foreign keys",
                        differences(&a.foreign_keys, &shape.foreign_keys),
                    ),
                ];
                for (what, d) in differences {
                    if let Some(d) = d {
                        finding(
                            out,
                            "meta/",
                            format!(
                                "drift: the {what} of `{t}` after replaying the migrations differ from the latest snapshot ({d})"
                            ),
                        );
                    }
                }
            }
        }
    }
    for t in actual.keys() {
        if !expected.contains_key(t) {
            finding(
                out,
                "meta/",
                format!(
                    "drift: the migrations create table `{t}`, which the latest snapshot does not have"
                ),
            );
        }
    }
    Ok(())
}
