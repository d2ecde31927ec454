//! `edgespark db generate`: schema diff → a new migration in server/drizzle/.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::db::{GenerateArgs, unresolved_failure};
use crate::cli::output::{self, Failure};
use crate::migrate::diff::{self, Decisions, Mode, Unresolved, UnresolvedKind};
use crate::migrate::folder::Folder;
use crate::migrate::snapshot::{KeyOrder, Snapshot};
use crate::project::Project;
use crate::schema::model::Schema;

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

fn parse_decisions(a: &GenerateArgs) -> Result<Decisions> {
    let mut d = Decisions::default();
    for r in &a.renames {
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
    if let Some(path) = &a.hints {
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

/// Ask on the terminal: new, or renamed from which candidate?
fn prompt(open: &[Unresolved], d: &mut Decisions) -> Result<()> {
    let stdin = std::io::stdin();
    let u = &open[0];
    let what = match &u.table {
        Some(t) => format!("column `{t}`.`{}`", u.name),
        None => format!("table `{}`", u.name),
    };
    errln!("Is {what} new, or renamed?");
    errln!("  0) + {} (new)", u.name);
    for (i, c) in u.candidates.iter().enumerate() {
        errln!("  {}) ~ {c} › {} (rename)", i + 1, u.name);
    }
    err!("choice [0]: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let choice: usize = line.trim().parse().unwrap_or(0);
    match (choice, &u.table) {
        (0, None) => d.created_tables.push(u.name.clone()),
        (0, Some(t)) => d.created_columns.push((t.clone(), u.name.clone())),
        (i, None) => d.table_renames.push((
            u.candidates.get(i - 1).cloned().unwrap_or_default(),
            u.name.clone(),
        )),
        (i, Some(t)) => d.column_renames.push((
            t.clone(),
            u.candidates.get(i - 1).cloned().unwrap_or_default(),
            u.name.clone(),
        )),
    }
    Ok(())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub fn run(a: GenerateArgs, dir: Option<&Path>) -> Result<()> {
    generate(a, &Project::find(dir)?)
}

/// The next migration of `project`, written to its migrations folder (nothing when the schema
/// has not changed).
pub fn generate(a: GenerateArgs, project: &Project) -> Result<()> {
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
    let mut decisions = parse_decisions(&a)?;
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
            &tag,
            &prefix,
            sql,
            &snap.to_file_text(KeyOrder::Custom),
            &snap.version,
            now_ms(),
            None,
        )?;
        outln!(
            "Wrote {} (empty, for your SQL)",
            project.display(&folder.sql_path(&tag))
        );
        return Ok(());
    }

    let read = crate::schema::read(&schema_file, Some(&project.server_dir()))?;
    for w in &read.warnings {
        output::warn(w);
    }
    let (schema, settled) = crate::migrate::settle::settle(&read, &prev.schema, a.drizzle_compat);
    for w in &settled {
        output::warn(w);
    }
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
        let out = decide_and_diff(&prev.schema, &snap.schema, &mut decisions, mode, a.json);
        (
            out,
            text.join().expect("snapshot serialization does not panic"),
        )
    });
    let out = out?;
    for n in &out.notes {
        output::note(&n.0);
    }
    for w in &out.warnings {
        output::warn(w);
    }
    if out.sql.is_empty() {
        if a.json {
            outln!("{}", serde_json::json!({"status": "no_changes"}));
        } else if journal.entries.is_empty()
            && snap.schema.tables.is_empty()
            && snap.schema.views.is_empty()
        {
            outln!(
                "{} declares no tables yet: no migration is needed until it does",
                project.display(&schema_file)
            );
        } else {
            outln!("No schema changes, nothing to migrate");
        }
        return Ok(());
    }
    if out.renames != snap.renames {
        snap.renames = out.renames.clone();
        snapshot_text = snap.to_file_text(KeyOrder::Generated);
    }
    let sql = diff::join_statements(&out.sql, true);
    folder.add(
        &mut journal,
        &tag,
        &prefix,
        &sql,
        &snapshot_text,
        &snap.version,
        now_ms(),
        Some(read.source.as_bytes()),
    )?;
    if a.json {
        let v = serde_json::json!({
            "status": "written",
            "migration": project.display(&folder.sql_path(&tag)),
            "statements": out.sql.len(),
            "notes": out.notes.iter().map(|n| &n.0).collect::<Vec<_>>(),
            "warnings": out.warnings,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        outln!(
            "Wrote {} ({} statements)",
            project.display(&folder.sql_path(&tag)),
            out.sql.len()
        );
    }
    Ok(())
}

/// The diff of `prev` → `cur`; open rename questions are asked on a terminal, otherwise they
/// end the command with exit 2 (listed, or as JSON).
fn decide_and_diff(
    prev: &Schema,
    cur: &Schema,
    decisions: &mut Decisions,
    mode: Mode,
    json: bool,
) -> Result<diff::DiffOutput> {
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && !json;
    loop {
        match diff::diff(prev, cur, decisions, mode) {
            Ok(out) => return Ok(out),
            Err(open) if interactive => prompt(&open, decisions)?,
            Err(open) if json => {
                let v = serde_json::json!({"status": "unresolved", "unresolved": open});
                outln!("{}", serde_json::to_string_pretty(&v)?);
                return Err(Failure {
                    code: 2,
                    message: String::new(),
                }
                .into());
            }
            Err(open) => {
                let e = unresolved_failure(open);
                let msg = format!(
                    "{e}\nanswer with --rename FROM=TO (tables: old=new; columns: table.old=table.new) or --hints FILE"
                );
                return Err(Failure {
                    code: 2,
                    message: msg,
                }
                .into());
            }
        }
    }
}
