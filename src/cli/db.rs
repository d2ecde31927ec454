//! `edgespark db ...`: generate, migrate, check, diff.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::cli::output;
use crate::migrate::diff;

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Diff src/defs/db_schema.ts against the last snapshot and write a new migration
    Generate(super::db_generate::GenerateArgs),
    /// Apply pending migrations to the local database (.edgespark/local/d1.sqlite); in a git
    /// repository only on the default branch (or [db] migration_branch)
    Migrate(MigrateArgs),
    /// Validate the migration chain and detect drift
    Check(CheckArgs),
    /// Print the SQL between two snapshots (renames taken from TO's _meta)
    Diff(DiffArgs),
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// Apply statements that destroy data (DROP TABLE/COLUMN, RENAME, DELETE without WHERE)
    #[arg(long)]
    pub confirm_dangerous: bool,
    /// Machine-readable result
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Print the findings as JSON
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
        DbCommand::Migrate(a) => migrate_command(a, dir),
        DbCommand::Check(a) => check_command(a, dir),
        DbCommand::Diff(a) => diff_command(a),
    }
}

fn diff_command(a: DiffArgs) -> Result<()> {
    let out = crate::ops::diff::diff(&a.from, &a.to, a.drizzle_compat)?
        .map_err(super::db_generate::unresolved_failure)?;
    print_diff(&out, a.json, true)
}

pub fn print_diff(out: &diff::DiffOutput, json: bool, breakpoints: bool) -> Result<()> {
    if json {
        let v = serde_json::json!({
            "sql": out.sql,
            "notes": out.notes.iter().map(|n| &n.0).collect::<Vec<_>>(),
            "warnings": out.warnings.iter().map(|w| {
                crate::diagnostic::Diagnostic::warning(w.clone()).with_code("migrate/diff")
            }).collect::<Vec<_>>(),
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    for n in &out.notes {
        output::note(&n.0);
    }
    for w in &out.warnings {
        output::warn(w);
    }
    out!("{}", diff::join_statements(&out.sql, breakpoints));
    if std::io::stdout().is_terminal() {
        outln!();
    }
    Ok(())
}

fn migrate_command(a: MigrateArgs, dir: Option<&Path>) -> Result<()> {
    let project = crate::project::Project::find(dir)?;
    let print = !a.json;
    let report = crate::ops::migrate::migrate(&project, a.confirm_dangerous, &mut |file| {
        if print {
            outln!("applied {file}");
        }
    })?;
    for w in &report.warnings {
        err!("{}", w.render(output::color_enabled()));
    }
    let db_path = project.local_database();
    if a.json {
        outln!(
            "{}",
            serde_json::json!({"applied": report.applied, "database": project.display(&db_path)})
        );
    } else if report.applied.is_empty() {
        outln!("No pending migrations");
    } else {
        outln!(
            "{} migration(s) applied to {}",
            report.applied.len(),
            project.display(&db_path)
        );
    }
    Ok(())
}

fn check_command(a: CheckArgs, dir: Option<&Path>) -> Result<()> {
    let project = crate::project::Project::find(dir)?;
    let findings = crate::ops::check::check(&project)?;
    let shown = project.display(&project.migrations_dir());
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"findings": findings}))?
        );
    } else {
        for f in &findings {
            outln!("{shown}/{}: {}", f.file, f.message);
        }
        if findings.is_empty() {
            outln!("{shown}: the migration chain is consistent");
        }
    }
    if findings.is_empty() {
        Ok(())
    } else {
        Err(output::Failure {
            code: 1,
            // Under --json the findings were the output.
            message: if a.json {
                String::new()
            } else {
                format!("{} problem(s) found", findings.len())
            },
        }
        .into())
    }
}
