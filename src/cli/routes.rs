//! `edgespark routes [--json]`: the project's Hono routes, found statically, grouped by the
//! EdgeSpark auth convention.

use std::path::Path;

use anyhow::Result;
use clap::Args;

use crate::ops::routes::analyze;
use crate::project::Project;
use crate::routes::{Auth, Route};

#[derive(Args, Debug)]
pub struct RoutesArgs {
    /// Print `{"routes": [...], "warnings": [...]}` instead of the grouped list
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: RoutesArgs, dir: Option<&Path>) -> Result<()> {
    let project = Project::find(dir)?;
    let analysis = analyze(&project)?;
    if a.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "routes": analysis.routes, "warnings": analysis.warnings })
            )?
        );
    } else {
        out!("{}", grouped(&analysis.routes));
    }
    for w in &analysis.warnings {
        err!("{}", w.render(crate::cli::output::color_enabled()));
    }
    Ok(())
}

/// The routes of the project's `server/src/index.ts`.
const GROUPS: &[(Auth, &str)] = &[
    (
        Auth::Protected,
        "Protected (login required, auth.user guaranteed):",
    ),
    (
        Auth::Public,
        "Public (login optional, auth.user if logged in):",
    ),
    (Auth::Webhook, "Webhooks (no auth check):"),
    (
        Auth::Invalid,
        "Invalid (outside /api/*, or under the reserved /api/_es/*):",
    ),
];

/// The three groups with their counts, each route as `METHOD  path` in registration order; the
/// invalid group only when there are such routes.
pub fn grouped(routes: &[Route]) -> String {
    let mut out = String::new();
    for (auth, label) in GROUPS {
        let group: Vec<&Route> = routes.iter().filter(|r| r.auth == *auth).collect();
        if *auth == Auth::Invalid && group.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "{label:<width$}{} routes\n",
            group.len(),
            width = 51.max(label.len() + 1)
        ));
        for r in group {
            out.push_str(&format!("  {:<6} {}\n", r.method, r.path));
        }
    }
    out
}
