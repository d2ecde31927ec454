//! `edgespark deploy [--dry-run] [--json] [--typecheck auto|off]`.

use std::path::Path;

use anyhow::Result;
use clap::Args;

use crate::diagnostic::Diagnostic;
use crate::ops::deploy::{DeployOptions, Report, deploy};
use crate::project::Project;
use crate::typecheck::Mode;

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// Stop before the upload: schema sync, checks, type check, bundle and routes only
    #[arg(long)]
    pub dry_run: bool,
    /// Print a machine-readable summary (for CI) instead of text
    #[arg(long)]
    pub json: bool,
    /// The type check, by the native TypeScript 7 compiler: the project's, one on PATH, or the
    /// pinned release fetched from the npm registry into the user's cache
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub typecheck: Mode,
}

/// Exit code 1 when a step failed (the report says which).
pub fn run(a: DeployArgs, dir: Option<&Path>) -> Result<i32> {
    let report = Project::find(dir).and_then(|project| {
        deploy(
            &project,
            &DeployOptions {
                dry_run: a.dry_run,
                typecheck: a.typecheck,
            },
        )
    });
    // With --json, CI reads one JSON document whatever happened.
    let report = match (report, a.json) {
        (Ok(r), _) => r,
        (Err(e), true) => {
            let errors = Diagnostic::from_error(e)
                .into_iter()
                .map(|d| d.or_code("deploy/stopped"))
                .collect();
            Report::stopped(a.dry_run, errors)
        }
        (Err(e), false) => return Err(e),
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_text(&report);
    }
    Ok(if report.ok { 0 } else { 1 })
}

fn print_text(r: &Report) {
    for s in &r.steps {
        let mark = match s.status {
            "ok" | "cached" => "✓",
            "skipped" => "-",
            _ => "✗",
        };
        errln!("{mark} {:<12} {:>6} ms  {}", s.name, s.ms, s.detail);
    }
    for n in &r.notes {
        errln!("{n}");
    }
    if !r.routes.is_empty() {
        out!("{}", crate::cli::routes::grouped(&r.routes));
    }
    let color = crate::cli::output::color_enabled();
    for w in r.warnings.iter().chain(&r.errors) {
        err!("{}", w.render(color));
    }
    match (&r.deployment, r.ok) {
        (Some(d), _) => errln!(
            "Deployed {} in {} ms: live on the local platform",
            d["id"].as_str().unwrap_or(""),
            r.total_ms
        ),
        (None, true) => errln!("Dry run passed in {} ms: nothing uploaded", r.total_ms),
        (None, false) => errln!(
            "Deploy failed ({} problem(s)); nothing uploaded",
            r.errors.len()
        ),
    }
}
