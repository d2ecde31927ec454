//! One workerd process running one build of the app: its modules and config written to a
//! folder of its own, workerd started on it, ready once its socket answers. Dropping it stops
//! the process (in-flight requests hold it alive: the front server keeps an `Arc` per request
//! until its answer has streamed to the end).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::config::{WorkerConfig, config_text};
use super::workerd::Workerd;

/// A running worker, reached through `client` (connections to its socket kept open and
/// reused).
pub struct Worker {
    pub client: Client,
    child: tokio::process::Child,
    dir: PathBuf,
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a worker runs: its modules (name, text) and bindings.
pub struct WorkerSpec {
    pub modules: Vec<(String, Vec<u8>)>,
    pub vars: serde_json::Value,
    pub secrets: serde_json::Value,
    pub environment: String,
    /// With a seed module: the token its trigger request carries.
    pub seed_token: Option<String>,
    /// Maps the places in the app's bundle its stack traces name back to the sources.
    pub stack: Option<std::sync::Arc<super::stack::StackMapper>>,
}

/// Start workerd on `spec` in a new folder under `runs`, calling the platform at
/// `platform_socket`; each line it writes (stack traces mapped to the sources) goes to `line`.
pub async fn start(
    workerd: &Workerd,
    runs: &Path,
    generation: u64,
    platform_socket: &Path,
    spec: &WorkerSpec,
    line: impl Fn(String) + Send + Sync + 'static,
) -> Result<Worker> {
    let dir = runs.join(format!("run-{generation}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut modules = vec![];
    for (i, (name, text)) in spec.modules.iter().enumerate() {
        let file = format!("m{i}.js");
        std::fs::write(dir.join(&file), text)?;
        modules.push((name.clone(), file));
    }
    let socket = dir.join("worker.sock");
    let config = config_text(&WorkerConfig {
        modules,
        listen: format!("unix:{}", socket.display()),
        platform: format!("unix:{}", platform_socket.display()),
        vars: spec.vars.to_string(),
        secrets: spec.secrets.to_string(),
        environment: spec.environment.clone(),
        seed_token: spec.seed_token.clone(),
        compatibility_date: workerd.compatibility_date(),
        compatibility_flags: workerd.compatibility_flags(),
    });
    // The config holds the secrets: only its owner may read it.
    crate::project::fsio::write_private_atomic(&dir.join("config.capnp"), config.as_bytes())?;
    let mut command = tokio::process::Command::new(&workerd.path);
    stop_with_parent(&mut command);
    let mut child = command
        .args(["serve", "config.capnp"])
        .current_dir(&dir)
        .env("PWD", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", workerd.path.display()))?;
    let output = Arc::new(Output {
        held: Mutex::new(Some(vec![])),
        line: Box::new(line),
        stack: spec.stack.clone(),
    });
    let streams = [
        child.stderr.take().map(|s| s.into_owned_fd()),
        child.stdout.take().map(|s| s.into_owned_fd()),
    ];
    for fd in streams.into_iter().flatten() {
        let output = output.clone();
        let fd = fd.context("reading workerd's output")?;
        std::thread::spawn(move || read_lines(std::fs::File::from(fd), &output));
    }
    // Ready once the worker answers a request: workerd listens before it loads the modules,
    // and exits when the app throws while loading. An exit before then is a failure with what
    // it said.
    let client = client_for(&socket);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait()? {
            // Its last words may still be in the pipes: their readers end at their ends.
            let waited = Instant::now();
            while Arc::strong_count(&output) > 1 && waited.elapsed() < Duration::from_millis(500) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            bail!(
                "workerd stopped ({status}) before serving:\n{}",
                output.said()
            );
        }
        if answers(&client).await {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "workerd did not start serving within 20 s:\n{}",
                output.said()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    output.release();
    Ok(Worker { client, child, dir })
}

/// Where workerd's lines go: held until it serves (they say why it did not start), then each
/// to `line` as it comes.
struct Output {
    held: Mutex<Option<Vec<String>>>,
    line: Box<dyn Fn(String) + Send + Sync>,
    /// Maps the bundle's places in stack traces back to the sources.
    stack: Option<Arc<super::stack::StackMapper>>,
}

impl Output {
    fn push(&self, l: String) {
        let l = match &self.stack {
            Some(s) => s.map_line(&l),
            None => l,
        };
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match held.as_mut() {
            Some(lines) => lines.push(l),
            None => {
                drop(held);
                (self.line)(l)
            }
        }
    }

    fn said(&self) -> String {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.as_deref().unwrap_or_default().join("\n")
    }

    /// The lines held so far go to `line`, in order, and so does every later one.
    fn release(&self) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        for l in held.take().unwrap_or_default() {
            (self.line)(l);
        }
    }
}

/// Each line of a workerd stream to `output`, read on a thread of its own. Once it has used
/// up what it read, the thread rests a moment: under load (a console line or two per request)
/// it is woken a couple of hundred times a second rather than once per line.
fn read_lines(stream: std::fs::File, output: &Output) {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::with_capacity(64 << 10, stream);
    let mut line = vec![];
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        output.push(String::from_utf8_lossy(text).into_owned());
        if reader.buffer().is_empty() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// The header of the request that asks a worker whether it is ready (main_js answers it
/// before the app sees it; the front server removes it from what clients send).
pub const READY_HEADER: &str = "x-edgespark-ready";

/// Whether the worker answers the readiness request.
async fn answers(client: &Client) -> bool {
    let Ok(request) = axum::http::Request::builder()
        .uri("http://worker/")
        .header(READY_HEADER, "1")
        .body(axum::body::Body::empty())
    else {
        return false;
    };
    match client.request(request).await {
        Ok(response) => response.status() == axum::http::StatusCode::NO_CONTENT,
        Err(_) => false,
    }
}

/// workerd ends when edgespark does, however it ends (`kill -9` included): Linux's parent
/// death signal. Elsewhere only a clean exit stops it (kill_on_drop).
fn stop_with_parent(command: &mut tokio::process::Command) {
    #[cfg(target_os = "linux")]
    {
        unsafe extern "C" {
            fn prctl(option: i32, arg2: u64, arg3: u64, arg4: u64, arg5: u64) -> i32;
        }
        const PR_SET_PDEATHSIG: i32 = 1;
        const SIGKILL: u64 = 9;
        // SAFETY: prctl is async-signal-safe and touches only the child being made.
        unsafe {
            command.pre_exec(|| {
                prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}

/// An HTTP/1.1 client whose every connection goes to one unix socket.
pub type Client = hyper_util::client::legacy::Client<UnixConnector, axum::body::Body>;

fn client_for(socket: &Path) -> Client {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        // Below workerd's own 15 s: a connection it is about to close is never reused.
        .pool_idle_timeout(Duration::from_secs(10))
        .build(UnixConnector(std::sync::Arc::new(socket.to_path_buf())))
}

/// Connects to the worker's socket whatever the URL says.
#[derive(Clone)]
pub struct UnixConnector(std::sync::Arc<PathBuf>);

type Connecting = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = std::io::Result<hyper_util::rt::TokioIo<tokio::net::UnixStream>>,
            > + Send,
    >,
>;

impl tower_service::Service<axum::http::Uri> for UnixConnector {
    type Response = hyper_util::rt::TokioIo<tokio::net::UnixStream>;
    type Error = std::io::Error;
    type Future = Connecting;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: axum::http::Uri) -> Self::Future {
        let socket = self.0.clone();
        Box::pin(async move {
            let stream = tokio::net::UnixStream::connect(&*socket).await?;
            Ok(hyper_util::rt::TokioIo::new(stream))
        })
    }
}
