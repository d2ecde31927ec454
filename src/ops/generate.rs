//! `db generate`: the schema read and settled against the latest snapshot, diffed, and the
//! next migration written (SQL, snapshot, journal entry, schema hash) under the platform's
//! lock, so two generates at once write one migration. Rename questions the diff cannot settle
//! alone go to the caller.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::Failure;
use crate::migrate::diff::{self, Decisions, Mode, Unresolved, UnresolvedKind};
use crate::migrate::folder::{Folder, NewMigration};
use crate::migrate::snapshot::{KeyOrder, Snapshot};
use crate::project::Project;
use crate::schema::model::Schema;

pub struct GenerateOptions {
    /// The migration's name (default: a random <adjective>_<noun>).
    pub name: Option<String>,
    /// An empty migration for hand-written SQL.
    pub custom: bool,
    /// Rename decisions known beforehand.
    pub decisions: Decisions,
    /// drizzle-kit 0.31's exact output, its known defects included.
    pub drizzle_compat: bool,
}

/// Answers open rename questions (updating the decisions), or ends the operation.
pub type Decide<'a> = &'a mut dyn FnMut(&[Unresolved], &mut Decisions) -> Result<()>;

pub enum Outcome {
    Written {
        migration: PathBuf,
        statements: usize,
    },
    Custom {
        migration: PathBuf,
    },
    NoChanges,
    /// The schema declares nothing yet: no migration is needed until it does.
    NoTablesYet {
        schema_file: PathBuf,
    },
}

pub struct Generated {
    pub outcome: Outcome,
    pub notes: Vec<String>,
    pub warnings: Vec<Diagnostic>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Hint {
    Rename {
        kind: UnresolvedKind,
        table: Option<String>,
        from: String,
        to: String,
    },
    Create {
        kind: UnresolvedKind,
        table: Option<String>,
        name: String,
    },
}

/// The decisions given as `--rename FROM=TO` flags and a hints file.
pub fn decisions(renames: &[String], hints: Option<&Path>) -> Result<Decisions> {
    let mut d = Decisions::default();
    for r in renames {
        let Some((from, to)) = r.split_once('=') else {
            bail!(Failure {
                code: 2,
                message: format!("--rename {r}: expected FROM=TO")
            });
        };
        match (from.split_once('.'), to.split_once('.')) {
            (None, None) => d.table_renames.push((from.into(), to.into())),
            (Some((_, fc)), Some((tt, tc))) => {
                d.column_renames.push((tt.into(), fc.into(), tc.into()))
            }
            _ => bail!(Failure {
                code: 2,
                message: format!(
                    "--rename {r}: both sides must be tables (a=b) or columns (t.a=t.b)"
                )
            }),
        }
    }
    if let Some(path) = hints {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let hints: Vec<Hint> = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid hints file", path.display()))?;
        for h in hints {
            match h {
                Hint::Rename {
                    kind: UnresolvedKind::Table,
                    from,
                    to,
                    ..
                } => d.table_renames.push((from, to)),
                Hint::Rename {
                    kind: UnresolvedKind::Column,
                    table: Some(t),
                    from,
                    to,
                } => d.column_renames.push((t, from, to)),
                Hint::Create {
                    kind: UnresolvedKind::Table,
                    name,
                    ..
                } => d.created_tables.push(name),
                Hint::Create {
                    kind: UnresolvedKind::Column,
                    table: Some(t),
                    name,
                } => d.created_columns.push((t, name)),
                _ => bail!("{}: a column hint needs its \"table\"", path.display()),
            }
        }
    }
    Ok(d)
}

fn now_ms() -> u64 {
    crate::jsjson::date_now() as u64
}

/// The next migration of `project`, written to its migrations folder (nothing when the schema
/// has not changed). Open rename questions go to `decide`, which answers them in the
/// decisions or ends the operation with an error.
pub fn generate(project: &Project, a: &GenerateOptions, decide: Decide) -> Result<Generated> {
    // Two generates at once would both number their migration NNNN; the second waits.
    if let Some(problem) = a
        .name
        .as_deref()
        .and_then(crate::project::paths::migration_tag_problem)
    {
        bail!(Failure {
            code: 2,
            message: format!("--name: {problem}")
        });
    }
    let _lock = crate::platform::LocalPlatform::open(project)?;
    let folder = Folder::new(project.migrations_dir());
    // The chain is checked (forks among it) and read once.
    let (mut journal, prev) =
        crate::migrate::check::require_sound_chain(&folder, &project.display(&folder.dir))?;
    let schema_file = project.schema_file();
    let mut decisions = a.decisions.clone();
    let mut report = Generated {
        outcome: Outcome::NoChanges,
        notes: vec![],
        warnings: vec![],
    };
    let mode = if a.drizzle_compat {
        Mode::Drizzle
    } else {
        Mode::Fixed
    };
    let idx = journal.next_idx();
    let prefix = format!("{idx:04}");
    let tag = format!(
        "{prefix}_{}",
        a.name
            .clone()
            .unwrap_or_else(crate::migrate::words::random_name)
    );
    let id = uuid::Uuid::new_v4().to_string();

    if a.custom {
        let mut snap = prev.clone();
        snap.prev_id = prev.id.clone();
        snap.id = id;
        snap.renames = Default::default();
        let sql = "-- Custom SQL migration file, put your code below! --";
        folder.add(
            &mut journal,
            &NewMigration {
                tag: &tag,
                prefix: &prefix,
                sql,
                snapshot_text: &snap.to_file_text(KeyOrder::Custom),
                version: &snap.version,
                when: now_ms(),
                schema_source: None,
            },
        )?;
        report.outcome = Outcome::Custom {
            migration: folder.sql_path(&tag),
        };
        return Ok(report);
    }

    let read = crate::schema::read(&schema_file, Some(&project.server_dir()))?;
    report.warnings.extend(read.warnings.iter().cloned());
    let (schema, settled) = crate::migrate::settle::settle(&read, &prev.schema, a.drizzle_compat);
    report.warnings.extend(settled);
    let mut snap = Snapshot {
        version: "6".into(),
        dialect: "sqlite".into(),
        id,
        prev_id: prev.id.clone(),
        schema,
        renames: Default::default(),
    };
    // The snapshot is written while the diff runs (on the other core); only a rename, recorded
    // in its `_meta`, makes it be written again.
    let (out, mut snapshot_text) = std::thread::scope(|s| {
        let text = s.spawn(|| snap.to_file_text(KeyOrder::Generated));
        let out = decide_and_diff(&prev.schema, &snap.schema, &mut decisions, mode, decide);
        (
            out,
            text.join().expect("snapshot serialization does not panic"),
        )
    });
    let out = out?;
    report.notes.extend(out.notes.iter().map(|n| n.0.clone()));
    let diff_warnings = out.warnings.iter().cloned().map(Diagnostic::warning);
    report
        .warnings
        .extend(diff_warnings.map(|d| d.with_code("migrate/diff")));
    if out.sql.is_empty() {
        if journal.entries.is_empty()
            && snap.schema.tables.is_empty()
            && snap.schema.views.is_empty()
        {
            report.outcome = Outcome::NoTablesYet {
                schema_file: schema_file.clone(),
            };
        }
        return Ok(report);
    }
    if out.renames != snap.renames {
        snap.renames = out.renames.clone();
        snapshot_text = snap.to_file_text(KeyOrder::Generated);
    }
    let sql = diff::join_statements(&out.sql, true);
    folder.add(
        &mut journal,
        &NewMigration {
            tag: &tag,
            prefix: &prefix,
            sql: &sql,
            snapshot_text: &snapshot_text,
            version: &snap.version,
            when: now_ms(),
            schema_source: Some(read.source.as_bytes()),
        },
    )?;
    report.outcome = Outcome::Written {
        migration: folder.sql_path(&tag),
        statements: out.sql.len(),
    };
    Ok(report)
}

/// The diff of `prev` → `cur`; open rename questions go to `decide` until none is left.
fn decide_and_diff(
    prev: &Schema,
    cur: &Schema,
    decisions: &mut Decisions,
    mode: Mode,
    decide: Decide,
) -> Result<diff::DiffOutput> {
    loop {
        match diff::diff(prev, cur, decisions, mode) {
            Ok(out) => return Ok(out),
            Err(open) => decide(&open, decisions)?,
        }
    }
}
