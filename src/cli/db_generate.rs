//! `edgespark db generate`: flags to options, rename questions asked on a terminal (else
//! exit 2 listing them, or as JSON), and the result printed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use crate::cli::output::{self, Failure};
use crate::migrate::diff::{self, Decisions, Unresolved};
use crate::ops::generate::{GenerateOptions, Outcome, decisions, generate};
use crate::project::Project;

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

pub fn unresolved_failure(open: Vec<diff::Unresolved>) -> anyhow::Error {
    let mut msg = String::from("the schema diff needs rename decisions:");
    for u in &open {
        let what = match &u.table {
            Some(t) => format!("column `{t}`.`{}`", u.name),
            None => format!("table `{}`", u.name),
        };
        msg.push_str(&format!(
            "\n  {what} is new, or renamed from one of: {}",
            u.candidates.join(", ")
        ));
    }
    anyhow::Error::new(Failure {
        code: 2,
        message: msg,
    })
}

pub fn run(a: GenerateArgs, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    let options = GenerateOptions {
        name: a.name.clone(),
        custom: a.custom,
        decisions: decisions(&a.renames, a.hints.as_deref())?,
        drizzle_compat: a.drizzle_compat,
    };
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && !a.json;
    let json = a.json;
    let mut decide = |open: &[Unresolved], d: &mut Decisions| -> Result<()> {
        if interactive {
            return prompt(open, d);
        }
        if json {
            let v = serde_json::json!({"status": "unresolved", "unresolved": open});
            outln!("{}", serde_json::to_string_pretty(&v)?);
            return Err(Failure {
                code: 2,
                message: String::new(),
            }
            .into());
        }
        let e = unresolved_failure(open.to_vec());
        Err(Failure {
            code: 2,
            message: format!(
                "{e}\nanswer with --rename FROM=TO (tables: old=new; columns: table.old=table.new) or --hints FILE"
            ),
        }
        .into())
    };
    let report = generate(&project, &options, &mut decide)?;
    for n in &report.notes {
        output::note(n);
    }
    for w in &report.warnings {
        err!("{}", w.render(output::color_enabled()));
    }
    match (&report.outcome, json) {
        (
            Outcome::Written {
                migration,
                statements,
            },
            true,
        ) => {
            let v = serde_json::json!({
                "status": "written",
                "migration": project.display(migration),
                "statements": statements,
                "notes": report.notes,
                "warnings": report.warnings,
            });
            outln!("{}", serde_json::to_string_pretty(&v)?);
        }
        (
            Outcome::Written {
                migration,
                statements,
            },
            false,
        ) => {
            outln!(
                "Wrote {} ({statements} statements)",
                project.display(migration)
            );
        }
        (Outcome::Custom { migration }, _) => {
            outln!("Wrote {} (empty, for your SQL)", project.display(migration));
        }
        (Outcome::NoChanges | Outcome::NoTablesYet { .. }, true) => {
            outln!("{}", serde_json::json!({"status": "no_changes"}));
        }
        (Outcome::NoTablesYet { schema_file }, false) => outln!(
            "{} declares no tables yet: no migration is needed until it does",
            project.display(schema_file)
        ),
        (Outcome::NoChanges, false) => outln!("No schema changes, nothing to migrate"),
    }
    Ok(())
}
