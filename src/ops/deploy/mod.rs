//! `edgespark deploy`: schema sync → checks → type check, bundle and route analysis at once →
//! upload to the local platform and go live. Nothing is uploaded unless every step passes;
//! `--dry-run` stops before the upload.

pub mod checks;

use crate::generated;
use crate::typecheck;

use std::time::Instant;

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use crate::bundler::emit::EmitOptions;
use crate::bundler::graph::ModuleGraph;
use crate::diagnostic::Diagnostic;
use crate::platform::{LocalPlatform, Store};
use crate::project::Project;
use crate::routes::{Auth, Route};

pub struct DeployOptions {
    pub dry_run: bool,
    pub typecheck: typecheck::Mode,
}

#[derive(Debug, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub ms: u64,
    /// ok, failed, skipped or cached.
    pub status: &'static str,
    pub detail: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub ok: bool,
    pub dry_run: bool,
    pub steps: Vec<Step>,
    /// Each failed the deploy.
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    pub routes: Vec<Route>,
    pub bundle_bytes: usize,
    /// The compiler that ran the type check (None: it did not run).
    pub compiler: Option<String>,
    /// How the project's tsconfig was read for TypeScript 7, a note per change.
    pub notes: Vec<String>,
    pub deployment: Option<Value>,
    pub total_ms: u64,
}

impl Report {
    /// The report of a deploy that could not run its steps: what stopped it (also the empty
    /// report a deploy starts from).
    pub fn stopped(dry_run: bool, errors: Vec<Diagnostic>) -> Report {
        Report {
            ok: false,
            dry_run,
            steps: vec![],
            errors,
            warnings: vec![],
            routes: vec![],
            bundle_bytes: 0,
            compiler: None,
            notes: vec![],
            deployment: None,
            total_ms: 0,
        }
    }

    /// Step `name` failed with `e`: its diagnostics (with `code` unless they have their own)
    /// and the step, marked failed.
    fn failed_step(
        &mut self,
        name: &'static str,
        ms: u64,
        detail: &str,
        e: anyhow::Error,
        code: &str,
    ) {
        self.errors.extend(coded(Diagnostic::from_error(e), code));
        self.steps.push(Step {
            name,
            ms,
            status: "failed",
            detail: detail.into(),
        });
    }
}

/// Every diagnostic of a failed step carries a code: the step's when it has none of its own.
fn coded(all: Vec<Diagnostic>, code: &str) -> impl Iterator<Item = Diagnostic> {
    all.into_iter().map(move |d| d.or_code(code))
}

fn ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

pub fn deploy(project: &Project, o: &DeployOptions) -> Result<Report> {
    let started = Instant::now();
    let server = project.server_dir();
    project.server_entry()?;
    let platform = LocalPlatform::open(project)?;
    let mut r = Report::stopped(o.dry_run, vec![]);

    let t = Instant::now();
    // The defs are parsed once, for the schema sync and the checks.
    let mut sources = crate::source::Sources::new(None);
    let defs = generated::Defs::read_with(project, &mut sources)?;
    let written = generated::sync(&generated::all_files(project))?;
    let detail = if written.is_empty() {
        "up to date".to_string()
    } else {
        format!(
            "wrote {}",
            written
                .iter()
                .map(|p| project.display(p))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    r.steps.push(Step {
        name: "schema sync",
        ms: ms(t),
        status: "ok",
        detail,
    });

    let t = Instant::now();
    let found = checks::run(project, &platform, &defs.keys, &mut sources)?;
    let status = if found.errors.is_empty() {
        "ok"
    } else {
        "failed"
    };
    r.steps.push(Step {
        name: "checks",
        ms: ms(t),
        status,
        detail: format!(
            "{} problem(s), {} warning(s)",
            found.errors.len(),
            found.warnings.len()
        ),
    });
    r.errors.extend(coded(found.errors, "deploy/check"));
    r.warnings.extend(coded(found.warnings, "deploy/check"));

    // The type check (a separate process) runs while the bundle is made; the route analysis
    // reads the bundle's module graph between its scan and its link.
    let cache = project.root.join(".edgespark/cache");
    let tmp = project.root.join(".edgespark/tmp");
    let places = typecheck::Places {
        project_root: &project.root,
        server: &server,
        tmp_dir: &tmp,
        cache_dir: &cache,
    };
    let shown = |p: &std::path::Path| project.display(p);
    let (typechecked, analysed, bundled) = std::thread::scope(|s| {
        let typechecked = s.spawn(|| {
            let t = Instant::now();
            (typecheck::run(&places, o.typecheck, &shown), ms(t))
        });
        let t = Instant::now();
        let mut analysed = None;
        let read_routes = |graph: &ModuleGraph| {
            let t = Instant::now();
            (crate::routes::of_graph(graph, &server), ms(t))
        };
        // With its source map, kept beside the deployment: `serve` maps stack traces with it.
        let emit = EmitOptions {
            sourcemap: Some(crate::bundler::emit::SourceMapKind::External),
            ..EmitOptions::default()
        };
        let bundled = crate::ops::build::bundle_server_inspecting(project, emit, read_routes)
            .and_then(|(out, bundled)| {
                analysed = bundled.inspected;
                let warnings = bundled.warnings;
                let emitted = bundled.emitted?.remove(0);
                crate::project::fsio::write_all_atomic(&[(out.clone(), emitted.code.as_bytes())])?;
                Ok((out, emitted.code, emitted.map, warnings))
            });
        (
            typechecked.join().expect("the type check does not panic"),
            analysed,
            (bundled, ms(t)),
        )
    });

    let (outcome, took) = typechecked;
    let (status, detail) = match outcome {
        Err(e) => {
            r.errors
                .extend(coded(Diagnostic::from_error(e), "typecheck/no-compiler"));
            ("failed", "no compiler".to_string())
        }
        Ok(checked) => {
            let by = checked.compiler.clone().unwrap_or_default();
            r.compiler = checked.compiler;
            r.notes = checked.notes;
            match checked.outcome {
                typecheck::Outcome::Passed => ("ok", format!("no type errors: {by}")),
                typecheck::Outcome::Cached => (
                    "cached",
                    format!("no type errors (unchanged since {by} checked it)"),
                ),
                typecheck::Outcome::Skipped(why) => ("skipped", format!("not checked: {why}")),
                typecheck::Outcome::Failed(found) => {
                    let n = found.len();
                    r.errors.extend(found);
                    ("failed", format!("{n} type error(s): {by}"))
                }
            }
        }
    };
    r.steps.push(Step {
        name: "type check",
        ms: took,
        status,
        detail,
    });

    // A step that cannot run is a failed step of the report, not the end of the report.
    let (bundle, took) = bundled;
    let bundle = match bundle {
        Ok((out, code, map, warnings)) => {
            for w in warnings {
                let shown = server_relative(project, &w.file.to_string_lossy());
                r.warnings.push(w.at_display(&shown.to_string_lossy()));
            }
            r.bundle_bytes = code.len();
            r.steps.push(Step {
                name: "bundle",
                ms: took,
                status: "ok",
                detail: format!("{} ({} bytes)", project.display(&out), code.len()),
            });
            Some((code, map))
        }
        Err(e) => {
            r.failed_step(
                "bundle",
                took,
                "the server does not bundle",
                e,
                "bundle/error",
            );
            None
        }
    };

    // No graph, no routes: the bundle's errors say why.
    let Some((analysis, took)) = analysed else {
        r.steps.push(Step {
            name: "routes",
            ms: 0,
            status: "skipped",
            detail: "the server does not bundle".into(),
        });
        r.total_ms = ms(started);
        return Ok(r);
    };
    let analysis = match analysis {
        Ok(a) => a,
        Err(e) => {
            let why = "the routes could not be read";
            r.failed_step("routes", took, why, e, "routes/error");
            r.total_ms = ms(started);
            return Ok(r);
        }
    };
    let invalid: Vec<&Route> = analysis
        .routes
        .iter()
        .filter(|r| r.auth == Auth::Invalid)
        .collect();
    for route in &invalid {
        r.errors.push(
            Diagnostic::error(format!(
                "route {} {} ({}:{}) is outside /api/* or under the reserved /api/_es/*",
                route.method, route.path, route.file, route.line
            ))
            .with_code("deploy/route-outside-api")
            .at(&server_relative(project, &route.file), route.line, 1),
        );
    }
    for w in &analysis.warnings {
        let shown = server_relative(project, &w.file.to_string_lossy());
        r.warnings
            .push(w.clone().at_display(&shown.to_string_lossy()));
    }
    let status = if invalid.is_empty() { "ok" } else { "failed" };
    r.steps.push(Step {
        name: "routes",
        ms: took,
        status,
        detail: format!(
            "{} route(s), {} invalid",
            analysis.routes.len(),
            invalid.len()
        ),
    });
    r.routes = analysis.routes;

    r.ok = r.errors.is_empty();
    if let Some((bundle, map)) = bundle.filter(|_| r.ok && !o.dry_run) {
        let t = Instant::now();
        let manifest = platform.deploy(
            bundle.as_bytes(),
            map.as_deref().map(str::as_bytes),
            bindings(&defs, &platform, &r.routes)?,
        )?;
        r.steps.push(Step {
            name: "upload",
            ms: ms(t),
            status: "ok",
            detail: format!("live: {}", manifest["id"].as_str().unwrap_or("")),
        });
        r.deployment = Some(manifest);
    }
    r.total_ms = ms(started);
    Ok(r)
}

/// What the deployment is bound to: the database, the buckets, the names (never the values)
/// of its vars and secrets, and its routes by auth group.
fn bindings(defs: &generated::Defs, platform: &LocalPlatform, routes: &[Route]) -> Result<Value> {
    let buckets = defs.bucket_names();
    let vars: Vec<String> = platform.read(Store::Vars)?.into_keys().collect();
    let secrets: Vec<String> = platform.read(Store::Secrets)?.into_keys().collect();
    let count = |a: Auth| routes.iter().filter(|r| r.auth == a).count();
    Ok(json!({
        "database": "d1.sqlite",
        "buckets": buckets,
        "vars": vars,
        "secrets": secrets,
        "routes": { "protected": count(Auth::Protected), "public": count(Auth::Public), "webhook": count(Auth::Webhook) },
    }))
}

/// A route file (relative to the server folder) as the project shows it.
fn server_relative(project: &Project, file: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(project.display(&project.server_dir().join(file)))
}
