//! edgespark's front server (axum on tokio) and the platform service the worker calls.
//!
//! The front server, on the user's port: `/api/_es/auth/*` (email-and-password auth with
//! Better Auth's endpoint shapes), `/api/_es/storage/*` (presigned URLs), the rest of
//! `/api/_es/*` reserved; `/api/*` forwarded to the worker with the auth convention enforced
//! first (401 without a session; `/api/public/*` with the user or none; `/api/webhooks/*`
//! never with one); anything else from the web build's folder (index.html for paths that are
//! not files). The platform service, on a unix socket only workerd is given: SQL on the
//! database (D1), bucket objects, users made by the seed script.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::auth;
use super::d1;
use super::storage::{Bucket, Grant, ListOptions, Metadata};
use super::worker::Worker;

/// The cookie that carries the session token (Better Auth's name).
pub const SESSION_COOKIE: &str = "better-auth.session_token";

/// The header that carries the signed-in user to the worker; removed from what clients send.
const USER_HEADER: &str = "x-edgespark-user";

/// The largest request body the front server takes (256 MiB).
const BODY_LIMIT: usize = 256 << 20;

/// Which worker answers: one is being started (requests wait), or one is serving.
#[derive(Clone)]
pub enum WorkerState {
    Starting,
    Serving(Arc<Worker>),
    /// None could be started (the reason): requests get 503.
    Failed(String),
}

/// Something for the log: a request answered, or a line the worker wrote.
#[derive(Debug, Clone)]
pub enum Event {
    Request {
        method: String,
        path: String,
        status: u16,
        ms: f64,
    },
    Worker(String),
}

/// What the servers share.
pub struct Platform {
    pub db: Mutex<Connection>,
    pub buckets_root: PathBuf,
    /// Whether a bucket is made on first use (dev); else only those `storage apply` made
    /// (their folders) exist.
    pub create_buckets: bool,
    /// Signs presigned URLs.
    pub key: [u8; 32],
    /// `http://host:port`, for presigned URLs and the seed's fetch.
    pub origin: String,
    pub web_root: Option<PathBuf>,
    pub worker: watch::Receiver<WorkerState>,
    pub events: tokio::sync::mpsc::UnboundedSender<Event>,
    /// Places in the worker: `WORKER_PLACES` permits (see `admitted`).
    pub admission: tokio::sync::Semaphore,
}

/// How many requests the worker is handed at once. workerd serves its connections on one
/// thread and, given a hundred at once, answers a few of them a second or more late (100
/// clients on the health route: p99 0.3-0.8 s, maximum 1-1.9 s; with 64 places p99 30-90 ms,
/// maximum under 135 ms, the same requests/s). The others wait here in arrival order.
pub const WORKER_PLACES: usize = 64;

/// A request the worker has not answered within this long gives its place up: a slow handler
/// (an upstream call, a request the app makes to itself) never holds the queue for longer.
const PLACE_HELD: Duration = Duration::from_millis(50);

impl Platform {
    fn log(&self, e: Event) {
        let _ = self.events.send(e);
    }

    fn bucket(&self, name: &str) -> Result<Bucket, String> {
        crate::project::paths::bucket_name_problem(name).map_or(Ok(()), Err)?;
        let dir = self.buckets_root.join(name);
        if !self.create_buckets && !dir.is_dir() {
            return Err(format!(
                "there is no bucket {name:?} on this platform (edgespark storage apply makes the buckets of storage_schema.ts)"
            ));
        }
        Ok(Bucket { dir })
    }
}

/// The front server's routes.
pub fn front(platform: Arc<Platform>) -> Router {
    Router::new()
        .fallback(front_request)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(platform)
}

/// The platform service's routes.
pub fn platform_service(platform: Arc<Platform>) -> Router {
    Router::new()
        .route("/d1", axum::routing::post(d1_query))
        .route("/d1/exec", axum::routing::post(d1_exec))
        .route("/storage/{op}", axum::routing::post(storage_op))
        .route("/auth/create-user", axum::routing::post(create_user))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(platform)
}

async fn front_request(State(p): State<Arc<Platform>>, request: Request) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let response = route(&p, request).await;
    p.log(Event::Request {
        method,
        path,
        status: response.status().as_u16(),
        ms: started.elapsed().as_secs_f64() * 1000.0,
    });
    response
}

async fn route(p: &Arc<Platform>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if let Some(rest) = path.strip_prefix("/api/_es/auth/") {
        return auth_endpoint(p, rest, request).await;
    }
    if let Some(rest) = path.strip_prefix("/api/_es/storage/") {
        return presigned(p, rest.to_string(), request).await;
    }
    if path == "/api/_es" || path.starts_with("/api/_es/") {
        return error(StatusCode::NOT_FOUND, "not a platform endpoint");
    }
    if path == "/api" || path.starts_with("/api/") {
        return to_worker(p, request).await;
    }
    static_file(p, &path).await
}

// ---- the auth convention and the worker ------------------------------------------------------

/// The user whose session the request's cookie names.
fn signed_in(p: &Platform, headers: &HeaderMap) -> Option<auth::User> {
    let token = cookie(headers, SESSION_COOKIE)?;
    let db = p.db.lock().unwrap_or_else(|e| e.into_inner());
    auth::session(&db, &token).map(|(u, _)| u)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

async fn to_worker(p: &Arc<Platform>, mut request: Request) -> Response {
    let path = request.uri().path();
    let public = path.starts_with("/api/public/") || path == "/api/public";
    let webhook = path.starts_with("/api/webhooks/") || path == "/api/webhooks";
    request.headers_mut().remove(USER_HEADER);
    request.headers_mut().remove("x-edgespark-seed");
    request.headers_mut().remove(super::worker::READY_HEADER);
    let user = if webhook {
        None
    } else {
        signed_in(p, request.headers())
    };
    if user.is_none() && !public && !webhook {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized: sign in first");
    }
    // Base64 of the JSON: a header value is ASCII, a user's name need not be.
    if let Some(u) = &user {
        use base64::Engine;
        let json = serde_json::to_vec(u).unwrap_or_default();
        let encoded = base64::engine::general_purpose::STANDARD.encode(json);
        if let Ok(v) = HeaderValue::from_str(&encoded) {
            request.headers_mut().insert(USER_HEADER, v);
        }
    }
    // The whole body first, then head and body in one write: workerd answers a handler that
    // returns before reading the body and closes the connection, and a body still being
    // streamed to it then fails with a broken pipe before its answer is read (a 502).
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(e) => return unread_body(e),
    };
    let request = Request::from_parts(parts, Body::from(body));
    let worker = match serving(p).await {
        Ok(w) => w,
        Err(why) => return error(StatusCode::SERVICE_UNAVAILABLE, &why),
    };
    match admitted(&p.admission, forward(worker, request)).await {
        Ok(r) => r,
        Err(e) => error(
            StatusCode::BAD_GATEWAY,
            &format!("the worker did not answer: {e:#}"),
        ),
    }
}

/// The answer to a request whose body could not be read whole: too large, or cut off.
fn unread_body(e: axum::Error) -> Response {
    let too_large =
        std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
    if too_large {
        let why = format!("the request body is larger than {} MiB", BODY_LIMIT >> 20);
        return error(StatusCode::PAYLOAD_TOO_LARGE, &why);
    }
    error(
        StatusCode::BAD_REQUEST,
        &format!("reading the request body: {e}"),
    )
}

/// `answer` once a place in the worker is free (tokio's semaphore is fair: first come, first
/// served), the place kept until the answer's head arrives or `PLACE_HELD` has passed.
async fn admitted<T>(
    places: &tokio::sync::Semaphore,
    answer: impl std::future::Future<Output = T>,
) -> T {
    let place = places.acquire().await;
    tokio::pin!(answer);
    match tokio::time::timeout(PLACE_HELD, &mut answer).await {
        Ok(answered) => answered,
        Err(_) => {
            drop(place);
            answer.await
        }
    }
}

/// The worker serving now; while one is starting, wait for it.
async fn serving(p: &Platform) -> Result<Arc<Worker>, String> {
    let mut rx = p.worker.clone();
    loop {
        match rx.borrow_and_update().clone() {
            WorkerState::Serving(w) => return Ok(w),
            WorkerState::Failed(why) => return Err(why),
            WorkerState::Starting => {}
        }
        if rx.changed().await.is_err() {
            return Err("the app is shutting down".into());
        }
    }
}

/// The request sent to the worker (HTTP/1.1 over its unix socket, on a pooled connection),
/// the answer streamed back. The Host header stays the client's: workerd makes the request's
/// URL from it. The answer's body holds the worker: one switched away from while it streams
/// keeps running until the stream ends.
pub async fn forward(worker: Arc<Worker>, request: Request) -> anyhow::Result<Response> {
    let (mut parts, body) = request.into_parts();
    let pq = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    parts.uri = format!("http://worker{pq}").parse()?;
    let response = worker
        .client
        .request(axum::http::Request::from_parts(parts, body))
        .await?;
    use http_body_util::BodyExt;
    Ok(response.map(|body| {
        Body::new(body.map_frame(move |frame| {
            let _held = &worker;
            frame
        }))
    }))
}

// ---- auth endpoints ------------------------------------------------------------------------

async fn auth_endpoint(p: &Arc<Platform>, rest: &str, request: Request) -> Response {
    let method = request.method().clone();
    let headers = request.headers().clone();
    // As Better Auth: a POST from another site's page (a form signing the visitor in or out)
    // is refused.
    if method == Method::POST && !same_site(&headers) {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({ "code": "INVALID_ORIGIN", "message": "Invalid origin" })),
        )
            .into_response();
    }
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let p = p.clone();
    let rest = rest.to_string();
    // Password hashing takes tens of milliseconds: off the async threads.
    tokio::task::spawn_blocking(move || {
        let field = |k: &str| input[k].as_str().unwrap_or("").to_string();
        let mut db = p.db.lock().unwrap_or_else(|e| e.into_inner());
        match (method, rest.as_str()) {
            (Method::POST, "sign-up/email") => {
                let image = input["image"].as_str();
                match auth::sign_up(
                    &mut db,
                    &field("name"),
                    &field("email"),
                    &field("password"),
                    image,
                ) {
                    Ok((user, session)) => with_session(
                        json!({ "token": session.token, "user": user }),
                        &session.token,
                    ),
                    Err(r) => refused(r),
                }
            }
            (Method::POST, "sign-in/email") => {
                match auth::sign_in(&mut db, &field("email"), &field("password")) {
                    Ok((user, session)) => with_session(
                        json!({ "redirect": false, "token": session.token, "user": user }),
                        &session.token,
                    ),
                    Err(r) => refused(r),
                }
            }
            (Method::POST, "sign-out") => {
                if let Some(token) = cookie(&headers, SESSION_COOKIE) {
                    auth::sign_out(&db, &token);
                }
                let mut r = axum::Json(json!({ "success": true })).into_response();
                r.headers_mut().insert(
                    header::SET_COOKIE,
                    HeaderValue::from_static(
                        "better-auth.session_token=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
                    ),
                );
                r
            }
            (Method::GET, "get-session") => {
                let found = cookie(&headers, SESSION_COOKIE).and_then(|t| auth::session(&db, &t));
                match found {
                    Some((user, session)) => {
                        axum::Json(json!({ "session": session, "user": user })).into_response()
                    }
                    None => axum::Json(Value::Null).into_response(),
                }
            }
            _ => error(StatusCode::NOT_FOUND, "not an auth endpoint"),
        }
    })
    .await
    .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "auth failed"))
}

/// A request without an Origin (not sent by a browser's page), or from the origin it is
/// addressed to.
fn same_site(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

fn with_session(body: Value, token: &str) -> Response {
    let mut r = axum::Json(body).into_response();
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}",
        auth::SESSION_SECONDS
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn refused(r: auth::Refusal) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        axum::Json(json!({ "code": r.code, "message": r.message })),
    )
        .into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

// ---- presigned URLs ---------------------------------------------------------------------------

/// Refuse `request` after reading what it sends, up to 1 MiB: a client still writing its
/// upload when the answer comes and the connection closes gets a broken pipe instead of the
/// answer.
async fn refused_upload(request: Request, status: StatusCode, message: &str) -> Response {
    let _ = axum::body::to_bytes(request.into_body(), 1 << 20).await;
    error(status, message)
}

async fn presigned(p: &Arc<Platform>, rest: String, request: Request) -> Response {
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), unpercent(v)))
                .collect()
        })
        .unwrap_or_default();
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some((bucket, path)) = rest.split_once('/') else {
        return refused_upload(request, StatusCode::NOT_FOUND, "no such object").await;
    };
    let (bucket, path) = (unpercent(bucket), unpercent(path));
    let required: std::collections::BTreeMap<String, String> = get("headers")
        .and_then(|h| serde_json::from_str(&h).ok())
        .unwrap_or_default();
    let grant = Grant {
        method: get("method").unwrap_or_default(),
        bucket: bucket.clone(),
        path: path.clone(),
        expires: get("expires").and_then(|e| e.parse().ok()).unwrap_or(0),
        required_headers: required.clone(),
    };
    let signature = get("signature").unwrap_or_default();
    let valid = grant.signature(&p.key).as_bytes() == signature.as_bytes()
        && grant.method == request.method().as_str();
    if !valid {
        let why = "the URL's signature does not match";
        return refused_upload(request, StatusCode::FORBIDDEN, why).await;
    }
    if grant.expires * 1000 < crate::jsjson::date_now() {
        return refused_upload(request, StatusCode::FORBIDDEN, "the URL has expired").await;
    }
    let missing = required.iter().find(|(name, value)| {
        request
            .headers()
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            != Some(value.as_str())
    });
    if let Some((name, value)) = missing {
        let why = format!("the upload must carry the header {name}: {value}");
        return refused_upload(request, StatusCode::FORBIDDEN, &why).await;
    }
    let b = match p.bucket(&bucket) {
        Ok(b) => b,
        Err(why) => return refused_upload(request, StatusCode::NOT_FOUND, &why).await,
    };
    if grant.method == "PUT" {
        let bytes = match axum::body::to_bytes(request.into_body(), BODY_LIMIT).await {
            Ok(b) => b,
            Err(e) => return unread_body(e),
        };
        let meta = Metadata {
            content_type: required.get("content-type").cloned(),
            content_disposition: required.get("content-disposition").cloned(),
            content_encoding: required.get("content-encoding").cloned(),
            cache_control: required.get("cache-control").cloned(),
            ..Default::default()
        };
        return match b.put(&path, &bytes, meta) {
            Ok(()) => StatusCode::OK.into_response(),
            Err(e) => error(StatusCode::BAD_REQUEST, &format!("{e:#}")),
        };
    }
    match b.get(&path) {
        Ok(Some((bytes, meta))) => object_response(bytes, &meta),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such object"),
        Err(e) => error(StatusCode::BAD_REQUEST, &format!("{e:#}")),
    }
}

fn object_response(bytes: Vec<u8>, meta: &Metadata) -> Response {
    let mut r = Response::new(Body::from(bytes));
    for (k, v) in meta.headers() {
        if let (Ok(k), Ok(v)) = (
            header::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            r.headers_mut().insert(k, v);
        }
    }
    r
}

fn unpercent(s: &str) -> String {
    String::from_utf8_lossy(&crate::resolve::percent_decode(s)).into_owned()
}

// ---- static files ------------------------------------------------------------------------------

async fn static_file(p: &Platform, path: &str) -> Response {
    let Some(root) = &p.web_root else {
        return error(StatusCode::NOT_FOUND, "not found (no web build to serve)");
    };
    let relative = unpercent(path.trim_start_matches('/'));
    let safe = relative
        .split('/')
        .all(|s| s != ".." && !s.contains('\\') && !s.contains('\0'));
    let mut file = root.join(if safe { relative.as_str() } else { "" });
    if file.is_dir() {
        file = file.join("index.html");
    }
    if !safe || !file.is_file() {
        file = root.join("index.html");
    }
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&file)),
            );
            r
        }
        Err(_) => error(StatusCode::NOT_FOUND, "not found"),
    }
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

// ---- the platform service -----------------------------------------------------------------------

async fn d1_query(State(p): State<Arc<Platform>>, body: Bytes) -> Response {
    let request: d1::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("D1_ERROR: {e}")),
    };
    let ran = tokio::task::spawn_blocking(move || {
        let mut db = p.db.lock().unwrap_or_else(|e| e.into_inner());
        d1::run(&mut db, &request)
    })
    .await;
    match ran {
        Ok(Ok(results)) => axum::Json(json!({ "results": results })).into_response(),
        Ok(Err(message)) => error(StatusCode::BAD_REQUEST, &message),
        Err(_) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "D1_ERROR: the query failed",
        ),
    }
}

async fn d1_exec(State(p): State<Arc<Platform>>, body: Bytes) -> Response {
    let sql = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["sql"].as_str().map(String::from))
        .unwrap_or_default();
    let ran = tokio::task::spawn_blocking(move || {
        let db = p.db.lock().unwrap_or_else(|e| e.into_inner());
        d1::exec(&db, &sql)
    })
    .await;
    match ran {
        Ok(Ok((count, duration))) => {
            axum::Json(json!({ "count": count, "duration": duration })).into_response()
        }
        Ok(Err(message)) => error(StatusCode::BAD_REQUEST, &message),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "D1_ERROR: exec failed"),
    }
}

#[derive(serde::Deserialize)]
struct Target {
    bucket: String,
    #[serde(default)]
    path: String,
}

async fn storage_op(
    State(p): State<Arc<Platform>>,
    axum::extract::Path(op): axum::extract::Path<String>,
    Query(target): Query<Target>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let bucket = match p.bucket(&target.bucket) {
        Ok(b) => b,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    let done = tokio::task::spawn_blocking(move || -> anyhow::Result<Response> {
        let input = || serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
        Ok(match op.as_str() {
            "put" => {
                let meta: Metadata = headers
                    .get("x-edgespark-metadata")
                    .and_then(|v| serde_json::from_slice(v.as_bytes()).ok())
                    .unwrap_or_default();
                bucket.put(&target.path, &body, meta)?;
                StatusCode::OK.into_response()
            }
            "get" => match bucket.get(&target.path)? {
                Some((bytes, meta)) => {
                    let mut r = Response::new(Body::from(bytes));
                    r.headers_mut().insert(
                        "x-edgespark-metadata",
                        HeaderValue::from_str(&serde_json::to_string(&meta)?)?,
                    );
                    r
                }
                None => StatusCode::NO_CONTENT.into_response(),
            },
            "head" => axum::Json(json!({ "metadata": bucket.head(&target.path)? })).into_response(),
            "list" => {
                let o: ListOptions = serde_json::from_value(input()).unwrap_or_default();
                axum::Json(bucket.list(&o)?).into_response()
            }
            "delete" => {
                let paths: Vec<String> =
                    serde_json::from_value(input()["paths"].clone()).unwrap_or_default();
                bucket.delete(&paths)?;
                axum::Json(json!({})).into_response()
            }
            "presign" => {
                super::storage::check_path(&target.path)?;
                let i = input();
                let method = i["method"].as_str().unwrap_or("GET").to_string();
                let seconds = i["expiresInSecs"]
                    .as_i64()
                    .unwrap_or(3600)
                    .clamp(1, 7 * 24 * 3600);
                let meta: Metadata =
                    serde_json::from_value(i["options"].clone()).unwrap_or_default();
                let grant = Grant {
                    required_headers: if method == "PUT" {
                        meta.headers()
                    } else {
                        Default::default()
                    },
                    method,
                    bucket: target.bucket.clone(),
                    path: target.path.clone(),
                    expires: crate::jsjson::date_now() / 1000 + seconds,
                };
                axum::Json(json!({
                    "url": grant.url(&p.origin, &p.key),
                    "expiresAt": grant.expires * 1000,
                    "requiredHeaders": grant.required_headers,
                }))
                .into_response()
            }
            _ => error(StatusCode::NOT_FOUND, "not a storage operation"),
        })
    })
    .await;
    match done {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => error(StatusCode::BAD_REQUEST, &format!("{e:#}")),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "storage failed"),
    }
}

async fn create_user(State(p): State<Arc<Platform>>, body: Bytes) -> Response {
    let input: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let field = |k: &str| input[k].as_str().unwrap_or("").to_string();
    let (name, email, password) = (field("name"), field("email"), field("password"));
    let made = tokio::task::spawn_blocking(move || {
        let mut db = p.db.lock().unwrap_or_else(|e| e.into_inner());
        auth::create_user(&mut db, &name, &email, &password, None)
    })
    .await;
    match made {
        Ok(Ok(user)) => axum::Json(json!({ "user": user })).into_response(),
        Ok(Err(r)) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": format!("{}: {}", r.code, r.message) })),
        )
            .into_response(),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "createUser failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn a_body_over_the_limit_is_refused_as_too_large() {
        runtime().block_on(async {
            let over = axum::body::to_bytes(Body::from("0123456789"), 4).await;
            let status = unread_body(over.unwrap_err()).status();
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        });
    }

    #[test]
    fn places_are_given_one_at_a_time_in_arrival_order() {
        runtime().block_on(async {
            let places = Arc::new(tokio::sync::Semaphore::new(1));
            let order = Arc::new(Mutex::new(Vec::new()));
            let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut waiting = Vec::new();
            for i in 0..5 {
                let (places, order, inside) = (places.clone(), order.clone(), inside.clone());
                waiting.push(tokio::spawn(async move {
                    admitted(&places, async {
                        let others = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        order.lock().unwrap().push((i, others));
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    })
                    .await
                }));
                tokio::task::yield_now().await;
            }
            for w in waiting {
                w.await.unwrap();
            }
            let alone: Vec<(i32, usize)> = (0..5).map(|i| (i, 0)).collect();
            assert_eq!(*order.lock().unwrap(), alone);
        });
    }

    #[test]
    fn an_unanswered_request_gives_its_place_up() {
        runtime().block_on(async {
            let places = Arc::new(tokio::sync::Semaphore::new(1));
            let slow = {
                let places = places.clone();
                tokio::spawn(async move {
                    admitted(&places, tokio::time::sleep(Duration::from_secs(30))).await
                })
            };
            tokio::task::yield_now().await;
            let started = Instant::now();
            let quick =
                tokio::time::timeout(Duration::from_secs(5), admitted(&places, async { 7 }));
            assert_eq!(
                quick.await.ok(),
                Some(7),
                "the second request never got a place"
            );
            assert!(started.elapsed() >= PLACE_HELD);
            slow.abort();
        });
    }
}
