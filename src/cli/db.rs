//! `edgespark db ...`: generate, migrate, check, diff.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

use crate::cli::output;
use crate::migrate::diff::{self, Decisions, Mode};
use crate::migrate::snapshot::Snapshot;

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Diff src/defs/db_schema.ts against the last snapshot and write a new migration
    Generate(GenerateArgs),
    /// Print the SQL between two snapshots (renames taken from TO's _meta)
    Diff(DiffArgs),
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Migration name (default: a random <adjective>_<noun>)
    #[arg(long)]
    pub name: Option<String>,
    /// Write an empty migration for hand-written SQL
    #[arg(long)]
    pub custom: bool,
    /// A rename decision: `old_table=new_table` or `table.old_column=table.new_column`
    #[arg(long = "rename", value_name = "FROM=TO")]
    pub renames: Vec<String>,
    /// A JSON file of decisions: [{"type":"rename","kind":"column","table":"users","from":"role","to":"kind"}, {"type":"create","kind":"table","name":"t"}]
    #[arg(long, value_name = "FILE")]
    pub hints: Option<PathBuf>,
    /// Write exactly what drizzle-kit 0.31 writes, its known defects included
    #[arg(long)]
    pub drizzle_compat: bool,
    /// Machine-readable result (and the open decisions, when there are any)
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// A snapshot file, or `empty` for the empty schema
    pub from: String,
    /// A snapshot file, or `empty`
    pub to: String,
    /// Write exactly what drizzle-kit 0.31 writes, its known defects included
    #[arg(long)]
    pub drizzle_compat: bool,
    /// Print {"sql": [...], "notes": [...], "warnings": [...]} instead of the SQL file text
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: DbCommand, dir: Option<&Path>) -> Result<()> {
    match cmd {
        DbCommand::Generate(a) => super::db_generate::run(a, dir),
        DbCommand::Diff(a) => diff_command(a),
    }
}

fn load_snapshot(arg: &str) -> Result<Snapshot> {
    if arg == "empty" {
        return Ok(Snapshot::empty());
    }
    let path = PathBuf::from(arg);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Snapshot::parse(&text).with_context(|| format!("{} is not a valid drizzle-kit snapshot", path.display()))
}

pub fn unresolved_failure(open: Vec<diff::Unresolved>) -> anyhow::Error {
    let mut msg = String::from("the schema diff needs rename decisions:");
    for u in &open {
        let what = match &u.table {
            Some(t) => format!("column `{t}`.`{}`", u.name),
            None => format!("table `{}`", u.name),
        };
        msg.push_str(&format!("\n  {what} is new, or renamed from one of: {}", u.candidates.join(", ")));
    }
    anyhow::Error::new(output::Failure { code: 2, message: msg })
}

fn diff_command(a: DiffArgs) -> Result<()> {
    let from = load_snapshot(&a.from)?;
    let to = load_snapshot(&a.to)?;
    let decisions = Decisions {
        table_renames: to.renames.tables.clone(),
        column_renames: to.renames.columns.clone(),
        default_create: true,
        ..Default::default()
    };
    let mode = if a.drizzle_compat { Mode::Drizzle } else { Mode::Fixed };
    let out = diff::diff(&from.schema, &to.schema, &decisions, mode).map_err(unresolved_failure)?;
    print_diff(&out, a.json, true)
}

pub fn print_diff(out: &diff::DiffOutput, json: bool, breakpoints: bool) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        let v = serde_json::json!({
            "sql": out.sql,
            "notes": out.notes.iter().map(|n| &n.0).collect::<Vec<_>>(),
            "warnings": out.warnings,
        });
        writeln!(stdout, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    for n in &out.notes {
        output::note(&n.0);
    }
    for w in &out.warnings {
        output::warn(w);
    }
    stdout.write_all(diff::join_statements(&out.sql, breakpoints).as_bytes())?;
    if stdout.is_terminal() {
        writeln!(stdout)?;
    }
    Ok(())
}

