//! `dev`: the working tree run on workerd with its own database and buckets
//! (`.edgespark/dev/`), `ctx.environment` = "dev". The build of `--watch` runs again on every
//! save (only changed modules parsed again); while it runs requests wait, then the new worker
//! answers them; a failed build is reported and the last good one keeps serving. On each build
//! the database follows `db_schema.ts` in place (see `dev_schema`), and `server/dev/seed.ts`
//! runs when its content changed since it last ran (or after `--reset`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::bundler::emit::EmitOptions;
use crate::bundler::graph::Session;
use crate::ops::app_run::{self, App, Options};
use crate::ops::dev_schema::{self, Synced};
use crate::ops::serve::Report;
use crate::platform::{LocalPlatform, Store};
use crate::project::Project;
use crate::runtime::worker::WorkerSpec;

pub struct DevOptions {
    pub host: String,
    pub port: u16,
    /// Wipe the dev database and buckets first (the seed runs again).
    pub reset: bool,
}

/// Run until interrupted. `accept` is asked whether to apply a schema change that destroys
/// data (what it destroys).
pub fn dev(
    project: &Project,
    o: DevOptions,
    accept: impl Fn(&[String]) -> bool + Send + Sync + 'static,
    report: impl Fn(Report) + Send + Sync + 'static,
) -> Result<()> {
    let dir = project.dev_dir();
    if o.reset {
        reset(&dir)?;
    }
    let runtime = crate::ops::app_run::runtime()?;
    let report = Arc::new(report);
    let events = report.clone();
    let app = runtime.block_on(App::start(
        project,
        Options {
            host: o.host,
            port: o.port,
            environment: "dev",
            database: dir.join("d1.sqlite"),
            buckets_root: dir.join("buckets"),
            create_buckets: true,
            runs_dir: dir.join("run"),
            web_root: project.web_output(),
        },
        move |batch| events(Report::Events(batch.to_vec())),
    ))?;
    let app = Arc::new(app);
    report(Report::Ready {
        origin: app.origin.clone(),
        workerd: format!("workerd {} ({})", app.workerd().date, app.workerd().from),
    });
    let handle = runtime.handle().clone();
    let mut builder = Builder {
        project: project.clone(),
        app: app.clone(),
        dir: dir.clone(),
        sessions: [
            Session::watching(),
            Session::watching(),
            Session::watching(),
        ],
        seed_token: crate::runtime::auth::random_id(),
        builds: 0,
    };
    let report_builds = report.clone();
    let entry = project.server_entry()?;
    let watching = std::thread::spawn(move || {
        let rebuild = |change: crate::ops::watch::Change| {
            let started = Instant::now();
            for session in &mut builder.sessions {
                session.changed_since_last(change.contents());
            }
            builder.app.hold();
            let (outcome, inputs) = builder.build_and_load(&handle, &accept, &*report_builds);
            match outcome {
                Ok(what) => report_builds(Report::Loaded {
                    what,
                    ms: started.elapsed().as_millis(),
                }),
                Err(e) => {
                    builder.app.release();
                    report_builds(Report::Failed {
                        error: e,
                        kept: builder.app.is_serving(),
                    });
                }
            }
            // Reported: the copies the next build takes are made while the watch waits.
            for session in &mut builder.sessions {
                session.prepare_next();
            }
            crate::ops::watch::Built {
                inputs: Some(inputs),
                written: vec![],
            }
        };
        crate::ops::watch::watch(rebuild, &[entry])
    });
    let outcome = watching
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the file watcher stopped")));
    drop(runtime);
    outcome
}

/// Remove the dev database, buckets and seed record.
fn reset(dir: &Path) -> Result<()> {
    for name in [
        "d1.sqlite",
        "d1.sqlite-wal",
        "d1.sqlite-shm",
        "schema.json",
        "seeded",
    ] {
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| format!("removing {}", dir.join(name).display()));
            }
        }
    }
    let buckets = dir.join("buckets");
    if buckets.exists() {
        std::fs::remove_dir_all(&buckets)
            .with_context(|| format!("removing {}", buckets.display()))?;
    }
    Ok(())
}

struct Builder {
    project: Project,
    app: Arc<App>,
    dir: PathBuf,
    /// The app's, the platform module's and the seed's: each parses only what changed.
    sessions: [Session; 3],
    seed_token: String,
    builds: u64,
}

impl Builder {
    /// Build, bring the schema along, start the new worker, seed when needed: what was loaded,
    /// and every file read (watched for the next change).
    fn build_and_load(
        &mut self,
        handle: &tokio::runtime::Handle,
        accept: &dyn Fn(&[String]) -> bool,
        report: &dyn Fn(Report),
    ) -> (Result<String>, Vec<PathBuf>) {
        let mut inputs = vec![];
        let outcome = self.try_build_and_load(handle, accept, report, &mut inputs);
        (outcome, inputs)
    }

    fn try_build_and_load(
        &mut self,
        handle: &tokio::runtime::Handle,
        accept: &dyn Fn(&[String]) -> bool,
        report: &dyn Fn(Report),
        inputs: &mut Vec<PathBuf>,
    ) -> Result<String> {
        let project = &self.project;
        let server = project.server_dir();
        let env_file = server.join(".env.local");
        inputs.push(env_file.clone());
        let seed_file = server.join("dev/seed.ts");
        inputs.push(seed_file.clone());
        inputs.push(project.defs_dir().join("db_schema.ts"));
        let [app_session, platform_session, seed_session] = &mut self.sessions;
        // With a source map, for the stack traces the worker prints.
        let emit = EmitOptions {
            sourcemap: Some(crate::bundler::emit::SourceMapKind::External),
            ..EmitOptions::default()
        };
        let (out, bundled) =
            crate::ops::build::bundle_server_in(project, app_session, emit, |_| ())?;
        inputs.extend(bundled.watched());
        for w in &bundled.warnings {
            report(Report::Note(w.render(false)));
        }
        let emitted = bundled.emitted?.remove(0);
        let app_code = emitted.code;
        let stack = emitted.map.as_deref().and_then(|map| {
            let dir = out.parent().unwrap_or(&server);
            crate::runtime::stack::StackMapper::new(map, dir, &project.root).map(Arc::new)
        });
        let run_dir = self.dir.join("run");
        let (platform_code, read) = app_run::platform_module(project, platform_session, &run_dir)?;
        // Not the platform's own sources dev writes there: a change to them is not a save.
        inputs.extend(read.into_iter().filter(|p| !p.starts_with(&run_dir)));
        let seed = if seed_file.is_file() {
            Some(bundle_seed(
                project,
                seed_session,
                &seed_file,
                &run_dir,
                inputs,
            )?)
        } else {
            None
        };
        let synced = {
            let mut db = self
                .app
                .platform
                .db
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            dev_schema::sync(project, &mut db, &self.dir.join("schema.json"), accept)?
        };
        match synced {
            Synced::Unchanged => {}
            Synced::Applied(n) => report(Report::Note(format!(
                "Schema applied to the dev database ({n} statement(s), rows kept)"
            ))),
            Synced::Blocked(what) => report(Report::Note(format!(
                "Schema change not applied: it would destroy data ({}); restart with --accept-data-loss to apply it",
                what.join("; ")
            ))),
        }
        let (vars, secrets) = vars_and_secrets(project, &env_file)?;
        let seeded = seed.is_some();
        let spec = WorkerSpec {
            modules: app_run::modules(app_code, platform_code, seed),
            vars,
            secrets,
            environment: "dev".into(),
            seed_token: seeded.then(|| self.seed_token.clone()),
            stack,
        };
        handle.block_on(self.app.load(&spec))?;
        self.builds += 1;
        if seeded {
            self.seed_if_changed(handle, &seed_file, report);
        }
        Ok(format!("build {}", self.builds))
    }

    /// Run the seed in the worker when its text is not the one that last ran.
    fn seed_if_changed(
        &self,
        handle: &tokio::runtime::Handle,
        file: &Path,
        report: &dyn Fn(Report),
    ) {
        let Ok(text) = std::fs::read(file) else {
            return;
        };
        let hash = blake3::hash(&text).to_hex().to_string();
        let record = self.dir.join("seeded");
        if std::fs::read_to_string(&record).ok().as_deref() == Some(hash.as_str()) {
            return;
        }
        let ran = handle.block_on(self.app.seed(&self.seed_token));
        match ran {
            Ok(()) => {
                let _ = crate::project::fsio::write_all_atomic(&[(record, hash.as_bytes())]);
                report(Report::Note(
                    "Seeded the dev database (server/dev/seed.ts)".into(),
                ));
            }
            Err(e) => report(Report::Note(format!(
                "The seed failed (dev goes on): {e:#}"
            ))),
        }
    }
}

/// The seed module's code; the files it read go to `inputs`, whether or not it builds.
fn bundle_seed(
    project: &Project,
    session: &mut Session,
    seed: &Path,
    run_dir: &Path,
    inputs: &mut Vec<PathBuf>,
) -> Result<String> {
    let bundled = crate::ops::build::bundle_for_worker(
        project,
        session,
        seed,
        &run_dir.join("seed.bundle.js"),
        EmitOptions::default(),
        |_| (),
    );
    inputs.extend(bundled.watched());
    Ok(bundled.emitted?.remove(0).code)
}

/// `server/.env.local` (each key a var and a secret, as the EdgeSpark CLI reads it) when it
/// exists, else the local platform's vars and secrets.
fn vars_and_secrets(
    project: &Project,
    env_file: &Path,
) -> Result<(serde_json::Value, serde_json::Value)> {
    if let Ok(text) = std::fs::read_to_string(env_file) {
        let values = app_run::parse_env(&text);
        return Ok((app_run::as_json(&values), app_run::as_json(&values)));
    }
    let platform = LocalPlatform::open(project)?;
    Ok((
        app_run::as_json(&platform.read(Store::Vars)?),
        app_run::as_json(&platform.read(Store::Secrets)?),
    ))
}
