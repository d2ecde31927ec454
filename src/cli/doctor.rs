//! `edgespark doctor [--write] [--json]`: how the type check will run on this project — which
//! TypeScript the project was written for, which native compiler runs (or would be fetched),
//! and the tsconfig changes TypeScript 7 needs, shown as a diff. `--write` (or a yes on a
//! terminal) makes them in the user's files; without it nothing is written (the check works
//! either way: it derives the same config in .edgespark/tmp/).

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::Result;
use clap::Args;
use serde_json::json;

use crate::ops::doctor;
use crate::project::Project;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Write the tsconfig changes (else they are shown, and asked for on a terminal)
    #[arg(long)]
    pub write: bool,
    /// Print a machine-readable report instead of text (writes only with --write)
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: DoctorArgs, dir: Option<&Path>) -> Result<i32> {
    let project = Project::find(dir)?;
    let shown = |p: &Path| project.display(p);
    let doctor::Diagnosis {
        written_for: major,
        compiler,
        fixed,
    } = doctor::diagnose(&project)?;
    let notes: Vec<String> = fixed
        .notes
        .iter()
        .map(|n| {
            format!(
                "{}:{}:{}: {}",
                shown(&n.at.file),
                n.at.line,
                n.at.col,
                n.message
            )
        })
        .collect();
    let diffs: Vec<(String, String)> = fixed
        .edits
        .iter()
        .map(|e| {
            let name = shown(&e.file);
            let diff = similar::TextDiff::from_lines(&e.before, &e.after)
                .unified_diff()
                .context_radius(2)
                .header(&name, &format!("{name} (for TypeScript 7)"))
                .to_string();
            (name, diff)
        })
        .collect();

    if a.json {
        if a.write {
            doctor::write(&fixed)?;
        }
        let report = json!({
            "written_for": major,
            "compiler": compiler,
            "notes": notes,
            "edits": diffs.iter().map(|(f, d)| json!({ "file": f, "diff": d })).collect::<Vec<_>>(),
            "left": fixed.left,
            "wrote": a.write && !fixed.edits.is_empty(),
        });
        outln!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(0);
    }

    outln!("written for: TypeScript {major}");
    outln!("type check:  {compiler}");
    if fixed.edits.is_empty() && fixed.left.is_empty() {
        outln!("tsconfig:    ready for TypeScript 7 as it is");
        return Ok(0);
    }
    outln!("tsconfig:    {} change(s) for TypeScript 7", notes.len());
    for n in &notes {
        outln!("  {n}");
    }
    for l in &fixed.left {
        outln!("  cannot change {l}");
    }
    for (_, diff) in &diffs {
        out!("{diff}");
    }
    if fixed.edits.is_empty() {
        return Ok(0);
    }
    let write_it =
        a.write || (std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && ask());
    if write_it {
        doctor::write(&fixed)?;
        for (name, _) in &diffs {
            outln!("wrote {name}");
        }
        outln!("The config now means the same to TypeScript 5.9 and to TypeScript 7.");
    } else {
        outln!(
            "Nothing written: `edgespark doctor --write` makes these changes. The type check does not need them (it derives this config in .edgespark/tmp/)."
        );
    }
    Ok(0)
}

fn ask() -> bool {
    err!("Write these changes? [y/N] ");
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y" | "yes")
}
