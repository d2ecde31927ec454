//! `serve`: the local platform's live deployment (`live.json`) run on workerd against the
//! project database, vars, secrets and buckets, with `ctx.environment` = "production". A
//! `deploy` while it runs is picked up: the new deployment's worker starts, then takes the
//! requests; the old one finishes those it has. So is a var or secret set or deleted while it
//! runs (as the platform makes a new version of the worker when a secret changes): the same
//! deployment starts again with the new values.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::bundler::graph::Session;
use crate::ops::app_run::{self, App, Options};
use crate::platform::{LocalPlatform, Store};
use crate::project::Project;
use crate::runtime::server::Event;
use crate::runtime::worker::WorkerSpec;

pub struct ServeOptions {
    pub host: String,
    pub port: u16,
}

/// What `serve` and `dev` tell the user while they run.
pub enum Report {
    /// Serving at this origin (the workerd that runs the app, where it was found).
    Ready { origin: String, workerd: String },
    /// A new build or deployment took over (what, and how long it took to start).
    Loaded { what: String, ms: u128 },
    /// It could not (why), and whether one before keeps serving (else requests get the reason).
    Failed { error: anyhow::Error, kept: bool },
    /// Something to say (a schema change blocked, a seed run).
    Note(String),
    /// Requests answered and lines the worker wrote, in order.
    Events(Vec<Event>),
}

/// The live deployment: its id, its bundle, and the bindings it runs with now.
struct Live {
    id: String,
    spec: WorkerSpec,
}

fn read_live(project: &Project, platform_code: &str) -> Result<Live> {
    let platform = LocalPlatform::open(project)?;
    let live = platform
        .read_file("live.json")?
        .context("nothing is deployed on the local platform yet: run edgespark deploy first")?;
    let live: serde_json::Value =
        serde_json::from_slice(&live).context("the local platform's live.json is not valid")?;
    let (Some(id), Some(bundle)) = (live["id"].as_str(), live["bundle"].as_str()) else {
        anyhow::bail!("the local platform's live.json names no deployment");
    };
    let code = platform
        .read_file(&format!("deployments/{bundle}"))?
        .with_context(|| format!("the live deployment's bundle deployments/{bundle} is missing"))?;
    // The map is relative to the bundle's place when it was built (server/dist/).
    let stack = platform
        .read_file(&format!("deployments/{bundle}.map"))?
        .and_then(|map| {
            let map = String::from_utf8(map).ok()?;
            let dist = project.server_dir().join("dist");
            crate::runtime::stack::StackMapper::new(&map, &dist, &project.root)
                .map(std::sync::Arc::new)
        });
    let (vars, secrets) = bindings_of(&platform)?;
    let spec = WorkerSpec {
        modules: app_run::modules(
            String::from_utf8(code).context("the deployed bundle is not UTF-8")?,
            platform_code.to_string(),
            None,
        ),
        vars,
        secrets,
        environment: "production".into(),
        seed_token: None,
        stack,
    };
    Ok(Live {
        id: id.to_string(),
        spec,
    })
}

/// The local platform's vars and secrets, as the worker is given them.
fn bindings_of(platform: &LocalPlatform) -> Result<(serde_json::Value, serde_json::Value)> {
    Ok((
        app_run::as_json(&platform.read(Store::Vars)?),
        app_run::as_json(&platform.read(Store::Secrets)?),
    ))
}

/// Serve until interrupted.
pub fn serve(
    project: &Project,
    o: ServeOptions,
    report: impl Fn(Report) + Send + Sync + 'static,
) -> Result<()> {
    let runtime = crate::ops::app_run::runtime()?;
    let report = std::sync::Arc::new(report);
    runtime.block_on(async {
        let runs_dir = project.root.join(".edgespark/serve");
        let (platform_code, _) =
            app_run::platform_module(project, &mut Session::default(), &runs_dir)?;
        // Read before the deployment, so a change in between is seen at the first poll.
        let stores = [Store::Vars, Store::Secrets].map(|s| project.local_dir().join(s.file()));
        let read_stores = || stores.each_ref().map(|f| std::fs::read(f).ok());
        let mut bindings = read_stores();
        let live = read_live(project, &platform_code)?;
        let buckets_root = LocalPlatform::open(project)?.buckets_root();
        let events = report.clone();
        let app = App::start(
            project,
            Options {
                host: o.host,
                port: o.port,
                environment: "production",
                database: project.local_database(),
                buckets_root,
                create_buckets: false,
                runs_dir: runs_dir.clone(),
                web_root: project.web_output(),
            },
            move |batch| events(Report::Events(batch.to_vec())),
        )
        .await?;
        let t = Instant::now();
        app.load(&live.spec).await?;
        report(Report::Ready {
            origin: app.origin.clone(),
            workerd: format!("workerd {} ({})", app.workerd().date, app.workerd().from),
        });
        report(Report::Loaded {
            what: format!("deployment {}", live.id),
            ms: t.elapsed().as_millis(),
        });
        let pointer = project.local_dir().join("live.json");
        let mut seen = std::fs::read(&pointer).ok();
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            // live.json is replaced atomically, moved last by deploy: a change is a new
            // deployment in place. The vars and secrets files are replaced atomically too.
            let now = std::fs::read(&pointer).ok();
            let deployed = now != seen;
            // Read without the platform's lock, which a deploy or `secret set` may hold.
            let values = read_stores();
            if !deployed && values == bindings {
                continue;
            }
            seen = now;
            bindings = values;
            let next = match read_live(project, &platform_code) {
                Ok(next) => next,
                Err(e) => {
                    report(Report::Failed {
                        error: e,
                        kept: true,
                    });
                    continue;
                }
            };
            let t = Instant::now();
            match app.load(&next.spec).await {
                Ok(()) => {
                    let what = if deployed {
                        format!("deployment {}", next.id)
                    } else {
                        format!("deployment {} with the vars and secrets set now", next.id)
                    };
                    report(Report::Loaded {
                        what,
                        ms: t.elapsed().as_millis(),
                    });
                }
                Err(e) => report(Report::Failed {
                    error: e,
                    kept: true,
                }),
            }
        }
    })
}
