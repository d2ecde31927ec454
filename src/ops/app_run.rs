//! What `dev` and `serve` share: the platform (database, buckets, signing key) behind the
//! front server and the platform service, and the worker they forward to, replaced by a new
//! one when the code changes (the old one finishes the requests it has; requests that arrive
//! while a new one starts wait for it). Every request and every line the worker writes goes
//! to the local platform's event log and to the caller.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use serde_json::Value;
use tokio::sync::watch;

use crate::bundler::emit::EmitOptions;
use crate::bundler::graph::Session;
use crate::project::Project;
use crate::runtime::server::{Event, Platform, WorkerState};
use crate::runtime::worker::{Worker, WorkerSpec};
use crate::runtime::workerd::Workerd;

pub struct Options {
    pub host: String,
    pub port: u16,
    /// `ctx.environment`: "dev" or "production".
    pub environment: &'static str,
    pub database: PathBuf,
    pub buckets_root: PathBuf,
    /// Whether a bucket is made on first use (dev) or must have been applied (serve).
    pub create_buckets: bool,
    /// Where each worker's files and the platform socket go.
    pub runs_dir: PathBuf,
    pub web_root: Option<PathBuf>,
}

/// A running app: its servers, and the worker serving now.
pub struct App {
    pub platform: Arc<Platform>,
    pub origin: String,
    state: watch::Sender<WorkerState>,
    current: Mutex<Option<Arc<Worker>>>,
    workerd: Workerd,
    runs_dir: PathBuf,
    platform_socket: PathBuf,
    generation: std::sync::atomic::AtomicU64,
    events: tokio::sync::mpsc::UnboundedSender<Event>,
}

impl App {
    /// Open the database, bind the port, and serve (no worker yet: requests to `/api/*` wait
    /// for the first `load`). Each event goes to the project's event log and to `on_events`.
    pub async fn start(
        project: &Project,
        o: Options,
        on_events: impl Fn(&[Event]) + Send + 'static,
    ) -> Result<App> {
        let workerd = crate::runtime::workerd::find_or_fetch(&project.server_dir())?;
        let db = crate::migrate::apply::open(&o.database)?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        crate::runtime::auth::ensure_tables(&db)
            .with_context(|| format!("creating the auth tables in {}", o.database.display()))?;
        let listener = tokio::net::TcpListener::bind((o.host.as_str(), o.port))
            .await
            .with_context(|| format!("listening on {}:{}", o.host, o.port))?;
        let address = listener.local_addr()?;
        let origin = format!("http://{address}");
        std::fs::create_dir_all(&o.runs_dir)
            .with_context(|| format!("creating {}", o.runs_dir.display()))?;
        remove_old_runs(&o.runs_dir);
        let platform_socket = o.runs_dir.join("platform.sock");
        let _ = std::fs::remove_file(&platform_socket);
        let service = tokio::net::UnixListener::bind(&platform_socket)
            .with_context(|| format!("listening on {}", platform_socket.display()))?;
        let (state, worker) = watch::channel(WorkerState::Starting);
        let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
        let mut key = [0u8; 32];
        rand::fill(&mut key);
        let platform = Arc::new(Platform {
            db: Mutex::new(db),
            buckets_root: o.buckets_root,
            create_buckets: o.create_buckets,
            key,
            origin: origin.clone(),
            web_root: o.web_root,
            worker,
            events: events.clone(),
            admission: tokio::sync::Semaphore::new(crate::runtime::server::WORKER_PLACES),
        });
        // Off the servers' threads, and in batches (one write for all the events waiting):
        // the log file and the caller's printing. After a batch the thread rests a moment, so
        // that under load it is woken a hundred times a second, not once per event.
        let mut log = crate::platform::EventLog::open(&project.local_dir())?;
        std::thread::spawn(move || {
            while let Some(first) = received.blocking_recv() {
                let mut batch = vec![first];
                while batch.len() < 4096
                    && let Ok(e) = received.try_recv()
                {
                    batch.push(e);
                }
                let lines: Vec<(&str, EventDetails)> = batch.iter().map(event_line).collect();
                let _ = log.append_all(&lines);
                on_events(&batch);
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        });
        let front = crate::runtime::server::front(platform.clone());
        tokio::spawn(async move { axum::serve(listener, front).await });
        let service_routes = crate::runtime::server::platform_service(platform.clone());
        tokio::spawn(async move { axum::serve(service, service_routes).await });
        Ok(App {
            platform,
            origin,
            state,
            current: Mutex::new(None),
            workerd,
            runs_dir: o.runs_dir,
            platform_socket,
            generation: Default::default(),
            events,
        })
    }

    /// Requests wait from now until the next `load` ends.
    pub fn hold(&self) {
        self.state.send_replace(WorkerState::Starting);
    }

    /// Start a worker on `spec` and send requests to it; the one before finishes what it has.
    /// On failure the one before keeps serving (or, with none, requests get the reason).
    pub async fn load(&self, spec: &WorkerSpec) -> Result<()> {
        let generation = 1 + self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let events = self.events.clone();
        let started = crate::runtime::worker::start(
            &self.workerd,
            &self.runs_dir,
            generation,
            &self.platform_socket,
            spec,
            move |line| {
                let _ = events.send(Event::Worker(line));
            },
        )
        .await;
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match started {
            Ok(worker) => {
                let worker = Arc::new(worker);
                *current = Some(worker.clone());
                self.state.send_replace(WorkerState::Serving(worker));
                Ok(())
            }
            Err(e) => {
                self.state.send_replace(match current.as_ref() {
                    Some(w) => WorkerState::Serving(w.clone()),
                    None => WorkerState::Failed(format!("the app could not start: {e:#}")),
                });
                Err(e)
            }
        }
    }

    /// Whether a worker is serving (one has started).
    pub fn is_serving(&self) -> bool {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        current.is_some()
    }

    /// Give the requests back to the worker serving before a `hold` (a build failed).
    pub fn release(&self) {
        let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = current.as_ref() {
            self.state.send_replace(WorkerState::Serving(w.clone()));
        }
    }

    /// Run the seed module in the serving worker (dev): its error is the seed's error.
    pub async fn seed(&self, token: &str) -> Result<()> {
        let worker = {
            let current = self.current.lock().unwrap_or_else(|e| e.into_inner());
            current.clone().context("no worker is serving")?
        };
        let request = axum::http::Request::builder()
            .method("POST")
            .uri("/__edgespark/seed")
            .header("host", self.origin.trim_start_matches("http://"))
            .header("x-edgespark-seed", token)
            .header("x-edgespark-origin", &self.origin)
            .body(axum::body::Body::empty())?;
        let response = crate::runtime::server::forward(worker, request).await?;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await?;
        if !status.is_success() {
            anyhow::bail!("{}", String::from_utf8_lossy(&body));
        }
        Ok(())
    }

    pub fn workerd(&self) -> &Workerd {
        &self.workerd
    }
}

/// The folders of workers an earlier run left (killed, it could not remove them): their
/// configs hold the secrets.
fn remove_old_runs(runs_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(runs_dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with("run-")
            && e.file_type().is_ok_and(|t| t.is_dir())
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// An event's details as the event log records them.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum EventDetails<'a> {
    Request {
        method: &'a str,
        path: &'a str,
        status: u16,
        ms: f64,
    },
    Console {
        line: &'a str,
    },
}

/// An event as the event log records it.
fn event_line(e: &Event) -> (&'static str, EventDetails<'_>) {
    match e {
        Event::Request {
            method,
            path,
            status,
            ms,
        } => (
            "request",
            EventDetails::Request {
                method,
                path,
                status: *status,
                ms: (ms * 10.0).round() / 10.0,
            },
        ),
        Event::Worker(line) => ("console", EventDetails::Console { line }),
    }
}

/// The platform module bundled for the project: `platform.js` with the project's drizzle-orm
/// D1 driver and its defs' `drizzleSchema`; with the files it read.
pub fn platform_module(
    project: &Project,
    session: &mut Session,
    work_dir: &Path,
) -> Result<(String, Vec<PathBuf>)> {
    let server = project.server_dir();
    let src = work_dir.join("platform-src");
    let platform_js = src.join("platform.js");
    let entry = src.join("entry.js");
    let options = crate::ops::build::worker_options(&server);
    let resolver = crate::resolve::Resolver::new(&options);
    let from = server.join("src/index.ts");
    let drizzle = match resolver.resolve(&from, "drizzle-orm/d1", false) {
        Ok(crate::resolve::Resolved::File(f)) => Some(f.path),
        _ => None,
    };
    let defs = project.defs_dir().join("index.ts");
    let text = |p: &Path| p.to_string_lossy().into_owned();
    let entry_text = crate::runtime::platform_entry(
        &text(&platform_js),
        drizzle.as_deref().map(text).as_deref(),
        defs.is_file().then(|| text(&defs)).as_deref(),
    );
    let mut files: Vec<(PathBuf, &[u8])> = vec![];
    if std::fs::read(&platform_js).ok().as_deref() != Some(crate::runtime::PLATFORM_JS.as_bytes()) {
        files.push((platform_js.clone(), crate::runtime::PLATFORM_JS.as_bytes()));
    }
    if std::fs::read(&entry).ok().as_deref() != Some(entry_text.as_bytes()) {
        files.push((entry.clone(), entry_text.as_bytes()));
    }
    crate::project::fsio::write_all_atomic(&files)?;
    // Nobody watches these files: the session is told they were written, or it would take
    // them as the last build read them.
    if !files.is_empty() {
        session.changed_since_last(None);
    }
    let out = work_dir.join("platform.bundle.js");
    let bundled = crate::ops::build::bundle_for_worker(
        project,
        session,
        &entry,
        &out,
        EmitOptions::default(),
        |_| (),
    );
    let inputs = bundled.watched();
    let code = bundled.emitted?.remove(0).code;
    Ok((code, inputs))
}

/// The worker's modules: the entry, the app's bundle, the platform and its two names, and the
/// seed module when there is one (dev).
pub fn modules(app: String, platform: String, seed: Option<String>) -> Vec<(String, Vec<u8>)> {
    let main = crate::runtime::main_js(seed.is_some()).into_bytes();
    let mut modules = vec![
        ("main.js".into(), main),
        ("app.js".into(), app.into_bytes()),
        ("platform.js".into(), platform.into_bytes()),
        (
            "edgespark".into(),
            crate::runtime::EDGESPARK_MODULE.as_bytes().to_vec(),
        ),
        (
            "edgespark/http".into(),
            crate::runtime::EDGESPARK_HTTP_MODULE.as_bytes().to_vec(),
        ),
    ];
    if let Some(seed) = seed {
        modules.push(("seed.js".into(), seed.into_bytes()));
    }
    modules
}

/// A `.env` file's `KEY=VALUE` lines (comments, blank lines and `export ` skipped; quotes
/// around a value removed).
pub fn parse_env(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = ['"', '\'']
            .iter()
            .find_map(|q| v.strip_prefix(*q).and_then(|r| r.strip_suffix(*q)))
            .unwrap_or(v);
        out.insert(k.trim().to_string(), v.to_string());
    }
    out
}

/// Vars and secrets as JSON objects for the worker's bindings.
pub fn as_json(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// The runtime the servers run on: one thread for the async work (the front server is a thin
/// layer; workerd's isolate and the client need the machine's other cores), plus the blocking
/// pool for SQLite and password hashing.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?)
}
