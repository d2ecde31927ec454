//! `serve` and `dev` driven over HTTP, as a user's browser and scripts would: the example app
//! on workerd (from the oracle's npm packages, on PATH), with the auth convention, CRUD through
//! drizzle visible in the SQLite file, storage and presigned URLs, reloads on save, the schema
//! applied in place, the seed, and a restart after `kill -9`.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// The folder holding workerd, installed from the oracle's lockfile.
fn workerd_dir() -> PathBuf {
    let oracle = repo().join("tests/oracle");
    npm_ci(&oracle);
    oracle.join("node_modules/@cloudflare/workerd-linux-64/bin")
}

/// A running `edgespark serve` or `dev`: its origin, and everything it printed so far.
struct Running {
    child: Child,
    origin: String,
    log: Arc<Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn start(dir: &Path, args: &[&str]) -> Running {
        let path = format!(
            "{}:{}",
            workerd_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        // Nothing is fetched: a registry that is not there.
        Running::start_with(
            dir,
            args,
            &[
                ("PATH", &path),
                ("NPM_CONFIG_REGISTRY", "http://127.0.0.1:9/"),
            ],
        )
    }

    fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_edgespark"))
            .arg("-C")
            .arg(dir)
            .args(args)
            .args(["--port", "0"])
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut running = Running {
            child,
            origin: String::new(),
            log,
        };
        running.wait_for("Loaded ");
        let log = running.log();
        let origin = log
            .split("Serving on ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("no origin in:\n{log}"));
        running.origin = origin.to_string();
        running
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Wait until the output holds `text`.
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = self.log();
            if log.contains(text) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("it stopped ({status}) before printing {text:?}:\n{log}");
            }
            assert!(Instant::now() < deadline, "no {text:?} in:\n{log}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// An HTTP client with a cookie jar of one cookie (the session's).
struct Client {
    origin: String,
    agent: ureq::Agent,
    cookie: Option<String>,
}

impl Client {
    fn new(origin: &str) -> Client {
        Client {
            origin: origin.to_string(),
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .new_agent(),
            cookie: None,
        }
    }

    fn call(&mut self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.origin)
        };
        self.send(method, &url, body.unwrap_or("").as_bytes().to_vec(), &[])
    }

    fn send(
        &mut self,
        method: &str,
        url: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            request = request.header("content-type", "application/json");
        }
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c.as_str());
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let mut response = self.agent.run(request.body(body).unwrap()).unwrap();
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }
}

/// The status lines of `n` POSTs to `path`, eight at a time, each body sent 0-4 ms after its
/// head, as a slow client's would be.
fn posts_with_late_bodies(origin: &str, path: &str, signature: &str, n: usize) -> Vec<String> {
    use std::io::{Read, Write};
    let host = origin.trim_start_matches("http://").to_string();
    let one = |i: usize| {
        let body = br#"{"type":"invoice.paid"}"#;
        let mut stream = std::net::TcpStream::connect(&host).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n\
             stripe-signature: {signature}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_micros((i % 5) as u64 * 1000));
        let _ = stream.write_all(body);
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.lines().next().unwrap_or_default().to_string()
    };
    std::thread::scope(|s| {
        let lanes: Vec<_> = (0..8)
            .map(|lane| s.spawn(move || (lane..n).step_by(8).map(one).collect::<Vec<_>>()))
            .collect();
        lanes.into_iter().flat_map(|l| l.join().unwrap()).collect()
    })
}

/// The example app in a temporary folder, its migrations generated and applied, its buckets
/// made, a secret set and deployed to the local platform; with a route that hands out a
/// presigned upload URL added to the copy.
/// How many lines `/api/public/slow` streams in the deployed app, one each 100 ms.
const SLOW_CHUNKS: usize = 100;

fn deployed_app() -> (tempfile::TempDir, PathBuf) {
    npm_ci(&repo().join("fixtures/app/server"));
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    copy_project(&repo().join("fixtures/app"), &root);
    let files = std::fs::read_to_string(root.join("server/src/routes/files.ts")).unwrap();
    write(
        &root,
        "server/src/routes/files.ts",
        &format!(
            "{files}\nfiles.get(\"/upload-url/:name{{.+}}\", async (c) => {{\n  const u = await storage.from(buckets.attachments).createPresignedPutUrl(mine(c.req.param(\"name\")), 600, {{ contentType: \"text/plain\" }});\n  return c.json(u);\n}});\nfiles.get(\"/trace\", (c) => {{\n  console.error(new Error(\"served trace\"));\n  return c.text(\"t\");\n}});\n"
        ),
    );
    // An answer that streams for a while: a deployment switch must not cut it.
    let public = std::fs::read_to_string(root.join("server/src/routes/public.ts")).unwrap();
    write(
        &root,
        "server/src/routes/public.ts",
        &format!(
            "{public}\npublicRoutes.get(\"/slow\", () => {{\n  let i = 0;\n  const body = new ReadableStream({{\n    async pull(out) {{\n      await new Promise((r) => setTimeout(r, 100));\n      out.enqueue(new TextEncoder().encode(`chunk ${{i}}\\n`));\n      if (++i === {SLOW_CHUNKS}) out.close();\n    }},\n  }});\n  return new Response(body, {{ headers: {{ \"content-type\": \"text/plain\" }} }});\n}});\n"
        ),
    );
    for args in [
        &["db", "generate"][..],
        &["db", "migrate"],
        &["storage", "apply"],
    ] {
        assert_success(&run(&root, args));
    }
    set_webhook_secret(&root, "whsec_test");
    assert_success(&run(&root, &["deploy", "--typecheck", "off"]));
    (tmp, root)
}

/// `secret set --stdin STRIPE_WEBHOOK_SECRET` on the local platform of the project at `root`.
fn set_webhook_secret(root: &Path, value: &str) {
    let out = bin()
        .arg("-C")
        .arg(root)
        .args(["secret", "set", "--stdin", "STRIPE_WEBHOOK_SECRET"])
        .write_stdin(format!("{value}\n"))
        .output()
        .unwrap();
    assert_success(&out);
}

/// The starter template's shape in `dir`, with the example app's packages.
fn starter(dir: &Path) -> PathBuf {
    let app_server = repo().join("fixtures/app/server");
    npm_ci(&app_server);
    let root = dir.join("starter");
    copy_project(&repo().join("fixtures/starter"), &root);
    std::os::unix::fs::symlink(
        app_server.join("node_modules"),
        root.join("server/node_modules"),
    )
    .unwrap();
    root
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn serve_enforces_the_auth_convention_and_runs_the_platform_against_the_project_database() {
    let (_tmp, root) = deployed_app();
    let mut app = Running::start(&root, &["serve"]);
    let mut c = Client::new(&app.origin);

    // The auth convention, before any handler runs.
    assert_eq!(c.call("GET", "/api/posts", None).0, 401);
    assert_eq!(
        c.call("GET", "/api/public/health", None),
        (200, "ok".into())
    );
    assert_eq!(c.call("GET", "/api/_es/anything", None).0, 404);
    // A webhook is called without a session and reads a secret.
    let (status, body) = c.send(
        "POST",
        &format!("{}/api/webhooks/stripe", app.origin),
        br#"{"type":"invoice.paid"}"#.to_vec(),
        &[("stripe-signature", "whsec_test")],
    );
    assert_eq!(
        (status, json(&body)["received"].clone()),
        (200, "invoice.paid".into())
    );
    // A handler that answers before reading the body (a bad signature) is answered as it
    // said, even when the body comes after the head (workerd then closes the connection; a
    // body still being streamed to it made about 1 in 100 of these a 502).
    let answers = posts_with_late_bodies(&app.origin, "/api/webhooks/stripe", "whsec_wrong", 600);
    let refused = answers.iter().filter(|l| l.contains(" 400 ")).count();
    assert_eq!(
        refused,
        600,
        "{:?}",
        answers.iter().find(|l| !l.contains(" 400 "))
    );

    // Sign up (signed in), sign out (401 again), sign in.
    let up = r#"{"name":"Ann","email":"Ann@Example.com","password":"correct horse"}"#;
    let (status, body) = c.call("POST", "/api/_es/auth/sign-up/email", Some(up));
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["user"]["email"], "ann@example.com");
    assert_eq!(
        c.call("POST", "/api/_es/auth/sign-up/email", Some(up)).0,
        422
    );
    let (status, me) = c.call("GET", "/api/me", None);
    assert_eq!(
        (status, json(&me)["user"]["email"].clone()),
        (200, "ann@example.com".into())
    );
    let (_, session) = c.call("GET", "/api/_es/auth/get-session", None);
    assert_eq!(json(&session)["user"]["name"], "Ann");
    assert_eq!(c.call("POST", "/api/_es/auth/sign-out", Some("{}")).0, 200);
    assert!(c.cookie.is_none());
    assert_eq!(c.call("GET", "/api/me", None).0, 401);
    assert_eq!(c.call("GET", "/api/_es/auth/get-session", None).1, "null");
    let wrong = r#"{"email":"ann@example.com","password":"wrong password"}"#;
    assert_eq!(
        c.call("POST", "/api/_es/auth/sign-in/email", Some(wrong)).0,
        401
    );
    let right = r#"{"email":"ann@example.com","password":"correct horse"}"#;
    // Another site's page cannot sign a visitor in.
    let (status, _) = Client::new(&app.origin).send(
        "POST",
        &format!("{}/api/_es/auth/sign-in/email", app.origin),
        right.as_bytes().to_vec(),
        &[
            ("origin", "http://evil.example"),
            ("content-type", "text/plain"),
        ],
    );
    assert_eq!(status, 403);
    assert_eq!(
        c.call("POST", "/api/_es/auth/sign-in/email", Some(right)).0,
        200
    );
    assert_eq!(c.call("GET", "/api/me", None).0, 200);

    // CRUD through drizzle (a batch included), in the project's SQLite file.
    let profile = r#"{"handle":"ann","displayName":"Ann"}"#;
    assert_eq!(c.call("PUT", "/api/me/profile", Some(profile)).0, 200);
    let (status, created) = c.call("POST", "/api/posts", Some(r#"{"title":"Hello World"}"#));
    assert_eq!(status, 201, "{created}");
    assert_eq!(json(&created)["slug"], "hello-world");
    c.call("POST", "/api/posts", Some(r#"{"title":"Second"}"#));
    let (_, deleted) = c.call("DELETE", "/api/posts/2", None);
    assert_eq!(json(&deleted), serde_json::json!({"deleted": 2, "left": 1}));
    let db = rusqlite::Connection::open(root.join(".edgespark/local/d1.sqlite")).unwrap();
    let titles: Vec<String> = db
        .prepare("SELECT title FROM posts ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(titles, ["Hello World"]);

    // Storage: put, list, get, a presigned GET, a presigned PUT then GET by URL, delete.
    let (status, put) = c.call(
        "PUT",
        "/api/files/notes/a.txt",
        Some(r#"{"text":"hello file"}"#),
    );
    assert_eq!(
        (status, json(&put)["size"].clone()),
        (201, 10.into()),
        "{put}"
    );
    let (_, listed) = c.call("GET", "/api/files", None);
    assert_eq!(
        json(&listed)["files"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
    assert_eq!(
        c.call("GET", "/api/files/read/notes/a.txt", None).1,
        "hello file"
    );
    let (_, link) = c.call("GET", "/api/files/link/notes/a.txt", None);
    let url = json(&link)["downloadUrl"].as_str().unwrap().to_string();
    let mut stranger = Client::new(&app.origin);
    assert_eq!(stranger.call("GET", &url, None), (200, "hello file".into()));
    let forged = url.replace("notes/a.txt", "notes/b.txt");
    assert_eq!(stranger.call("GET", &forged, None).0, 403);
    let (_, upload) = c.call("GET", "/api/files/upload-url/up.txt", None);
    let upload = json(&upload);
    let put_url = upload["uploadUrl"].as_str().unwrap();
    assert_eq!(upload["requiredHeaders"]["content-type"], "text/plain");
    let (status, _) = stranger.send("PUT", put_url, b"uploaded".to_vec(), &[]);
    assert_eq!(status, 403, "an upload without the required header");
    let (status, _) = stranger.send(
        "PUT",
        put_url,
        b"uploaded".to_vec(),
        &[("content-type", "text/plain")],
    );
    assert_eq!(status, 200);
    assert_eq!(c.call("GET", "/api/files/read/up.txt", None).1, "uploaded");
    let (status, _) = c.call("POST", "/api/files/delete", Some(r#"{"names":["up.txt"]}"#));
    assert!(status < 300);
    assert_eq!(c.call("GET", "/api/files/read/up.txt", None).0, 404);

    // A stack the deployed worker prints names the TypeScript source (the deployment's map).
    assert_eq!(c.call("GET", "/api/files/trace", None).1, "t");
    app.wait_for("at server/src/routes/files.ts:");

    // Each request is in the event log.
    app.wait_for("GET /api/files/read/up.txt 404");
    let events = std::fs::read_to_string(root.join(".edgespark/local/events.jsonl")).unwrap();
    assert!(
        events.contains(r#""path":"/api/posts","status":201"#),
        "{events}"
    );

    // kill -9 and start again: every committed row is there.
    app.child.kill().unwrap(); // SIGKILL: no chance to clean up
    let _ = app.child.wait();
    drop(app);
    // A folder a killed run left (a later generation's, say) is cleared by the next start:
    // its config holds the secrets.
    let stale = root.join(".edgespark/serve/run-7");
    std::fs::rename(root.join(".edgespark/serve/run-1"), &stale).unwrap();
    assert!(stale.join("config.capnp").is_file());
    let again = Running::start(&root, &["serve"]);
    assert!(!stale.exists());
    let mut c2 = Client::new(&again.origin);
    assert_eq!(
        c2.call("POST", "/api/_es/auth/sign-in/email", Some(right))
            .0,
        200
    );
    let (_, posts) = c2.call("GET", "/api/posts", None);
    assert_eq!(json(&posts)["posts"][0]["title"], "Hello World");
}

/// The issue's load: 100 clients at once, 10,000 requests in all (reads, writes through D1,
/// public routes), every one answered with success and every write answered 201 in the file.
#[test]
fn serve_under_load_answers_every_request_and_keeps_every_write() {
    let (_tmp, root) = deployed_app();
    let app = Running::start(&root, &["serve"]);
    let mut c = Client::new(&app.origin);
    let up = r#"{"name":"Load","email":"load@example.com","password":"password123"}"#;
    assert_eq!(
        c.call("POST", "/api/_es/auth/sign-up/email", Some(up)).0,
        200
    );
    assert_eq!(
        c.call("PUT", "/api/me/profile", Some(r#"{"handle":"load"}"#))
            .0,
        200
    );
    let cookie = c.cookie.clone().unwrap();
    let started = Instant::now();
    let clients: Vec<_> = (0..100)
        .map(|client| {
            let (origin, cookie) = (app.origin.clone(), cookie.clone());
            std::thread::spawn(move || {
                let mut c = Client::new(&origin);
                c.cookie = Some(cookie);
                let mut failed = Vec::new();
                let mut written = 0;
                for n in 0..100 {
                    let (status, body) = match n % 4 {
                        0 => {
                            let title = format!(r#"{{"title":"load {client} {n}"}}"#);
                            c.call("POST", "/api/posts", Some(&title))
                        }
                        1 => c.call("GET", "/api/posts", None),
                        _ => c.call("GET", "/api/public/health", None),
                    };
                    match (n % 4, status) {
                        (0, 201) => written += 1,
                        (0, _) => failed.push((status, body)),
                        (_, 200) => {}
                        _ => failed.push((status, body)),
                    }
                }
                (written, failed)
            })
        })
        .collect();
    let mut written = 0;
    for client in clients {
        let (w, failed) = client.join().unwrap();
        assert!(failed.is_empty(), "answers that failed: {failed:?}");
        written += w;
    }
    assert_eq!(written, 2500);
    // Bounded in time: a hang or a queue that never drains fails here, not in CI's limit.
    assert!(
        started.elapsed() < Duration::from_secs(300),
        "10,000 requests took {:?}",
        started.elapsed()
    );
    let db = rusqlite::Connection::open(root.join(".edgespark/local/d1.sqlite")).unwrap();
    let rows: i64 = db
        .query_row(
            "SELECT count(*) FROM posts WHERE title LIKE 'load %'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, written, "every write answered 201 is a row");
}

#[test]
fn serve_switches_to_a_new_deployment_while_running() {
    let (_tmp, root) = deployed_app();
    let app = Running::start(&root, &["serve"]);
    let mut c = Client::new(&app.origin);
    // `log tail --follow --json` receives the requests made while it runs.
    let mut follower = Command::new(env!("CARGO_BIN_EXE_edgespark"))
        .arg("-C")
        .arg(&root)
        .args(["log", "tail", "--follow", "--json", "-n", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let followed = Arc::new(Mutex::new(Vec::<serde_json::Value>::new()));
    let sink = followed.clone();
    let stdout = follower.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(json(&line));
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(c.call("GET", "/api/public/health", None).1, "ok");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = followed.lock().unwrap().clone();
        if seen.iter().any(|e| {
            e["event"] == "request"
                && e["details"]["path"] == "/api/public/health"
                && e["details"]["status"] == 200
        }) {
            break;
        }
        assert!(Instant::now() < deadline, "log tail --follow saw: {seen:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = follower.kill();
    let _ = follower.wait();
    // A streamed answer started before the switch: each line with when it came.
    let slow_url = format!("{}/api/public/slow", app.origin);
    let slow = std::thread::spawn(move || {
        let mut answer = ureq::get(&slow_url).call().unwrap();
        let mut lines = vec![];
        let reader = BufReader::new(answer.body_mut().as_reader());
        for line in reader.lines() {
            match line {
                Ok(l) => lines.push((l, Instant::now())),
                Err(e) => {
                    lines.push((format!("error: {e}"), Instant::now()));
                    break;
                }
            }
        }
        lines
    });
    let public = root.join("server/src/routes/public.ts");
    let text = std::fs::read_to_string(&public).unwrap();
    std::fs::write(
        &public,
        text.replace("plain(\"ok\")", "plain(\"ok, deployed again\")"),
    )
    .unwrap();
    assert_success(&run(&root, &["deploy", "--typecheck", "off"]));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = c.call("GET", "/api/public/health", None);
        assert_eq!(status, 200, "a request failed during the switch: {body}");
        if body == "ok, deployed again" {
            break;
        }
        assert!(Instant::now() < deadline, "still {body}:\n{}", app.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    // The old deployment's stream goes on to its end after the switch.
    let switched = Instant::now();
    let lines = slow.join().unwrap();
    let expected: Vec<String> = (0..SLOW_CHUNKS).map(|i| format!("chunk {i}")).collect();
    let got: Vec<String> = lines.iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(got, expected, "the streamed answer was cut");
    assert!(
        lines.last().unwrap().1 > switched,
        "the stream ended before the switch: the test proves nothing (make it longer)"
    );

    // A secret set while it runs is served without a deploy, and no request fails meanwhile.
    set_webhook_secret(&root, "whsec_rotated");
    let webhook = format!("{}/api/webhooks/stripe", app.origin);
    let mut signed = |signature: &str| {
        let event = br#"{"type":"invoice.paid"}"#.to_vec();
        c.send("POST", &webhook, event, &[("stripe-signature", signature)])
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = signed("whsec_rotated");
        if status == 200 {
            break;
        }
        assert_eq!(status, 400, "only the old secret may refuse it: {body}");
        assert!(
            Instant::now() < deadline,
            "the new secret never arrived:\n{}",
            app.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(signed("whsec_test").0, 400, "the old secret still works");
    assert!(
        app.log().contains("with the vars and secrets set now"),
        "{}",
        app.log()
    );
}

#[test]
fn dev_reloads_on_save_keeps_rows_across_schema_changes_and_seeds_once() {
    npm_ci(&repo().join("fixtures/app/server"));
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    copy_project(&repo().join("fixtures/app"), &root);
    write(
        &root,
        "server/dev/seed.ts",
        "import { profiles } from \"@defs\";\nexport default async function seed(ctx: any) {\n  const user = await ctx.auth.createUser({ email: \"seed@example.com\", password: \"password123\", name: \"Seed\" });\n  await ctx.db.insert(profiles).values({ userId: user.id, handle: \"seeded\" });\n}\n",
    );
    let mut dev = Running::start(&root, &["dev"]);
    dev.wait_for("Seeded the dev database");
    let mut c = Client::new(&dev.origin);
    let seed_user = r#"{"email":"seed@example.com","password":"password123"}"#;
    assert_eq!(
        c.call("POST", "/api/_es/auth/sign-in/email", Some(seed_user))
            .0,
        200
    );
    let (_, created) = c.call("POST", "/api/posts", Some(r#"{"title":"Kept"}"#));
    assert_eq!(json(&created)["title"], "Kept", "{created}");

    // A route edited: the next requests get the new code.
    let public = root.join("server/src/routes/public.ts");
    let text = std::fs::read_to_string(&public).unwrap();
    let edited = text.replace("plain(\"ok\")", "plain(\"ok, edited\")");
    let traced = "publicRoutes.get(\"/trace\", () => {\n  console.error(new Error(\"traced\"));\n  return new Response(\"t\");\n});\n";
    std::fs::write(&public, format!("{edited}\n{traced}")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while c.call("GET", "/api/public/health", None).1 != "ok, edited" {
        assert!(Instant::now() < deadline, "{}", dev.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    // The stack the worker prints names the TypeScript source, not the bundle.
    let line = edited.lines().count() + 3;
    assert_eq!(c.call("GET", "/api/public/trace", None).1, "t");
    dev.wait_for(&format!("at server/src/routes/public.ts:{line}:"));

    // A save that does not build: reported, and the last good build keeps answering.
    let good = std::fs::read_to_string(&public).unwrap();
    std::fs::write(&public, format!("{good}\nconst broken = ;\n")).unwrap();
    dev.wait_for("The last good build keeps serving");
    assert_eq!(c.call("GET", "/api/public/health", None).1, "ok, edited");

    // A save that builds but throws while loading: workerd never serves it; the error names
    // the source, and the last good build keeps answering.
    std::fs::write(
        &public,
        format!("{good}\nthrow new Error(\"thrown while loading\");\n"),
    )
    .unwrap();
    dev.wait_for("Uncaught Error: thrown while loading");
    let line = good.lines().count() + 2;
    dev.wait_for(&format!("at server/src/routes/public.ts:{line}:"));
    assert_eq!(c.call("GET", "/api/public/health", None).1, "ok, edited");
    std::fs::write(&public, &good).unwrap();

    // A column added: applied in place, the row kept.
    let schema_file = root.join("server/src/defs/db_schema.ts");
    let schema = std::fs::read_to_string(&schema_file).unwrap();
    let added = schema.replace(
        "  title: text(\"title\").notNull(),",
        "  title: text(\"title\").notNull(),\n  subtitle: text(\"subtitle\"),",
    );
    assert_ne!(added, schema);
    std::fs::write(&schema_file, &added).unwrap();
    dev.wait_for("Schema applied to the dev database (1 statement(s)");
    let db = rusqlite::Connection::open(root.join(".edgespark/dev/d1.sqlite")).unwrap();
    let row: (String, Option<String>) = db
        .query_row("SELECT title, subtitle FROM posts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(row, ("Kept".to_string(), None));

    // Dropping it back is refused (no terminal, no --accept-data-loss): nothing changes.
    std::fs::write(&schema_file, &schema).unwrap();
    dev.wait_for("Schema change not applied: it would destroy data (DROP COLUMN `subtitle`");
    let columns: i64 = db
        .query_row(
            "SELECT count(*) FROM pragma_table_info('posts') WHERE name = 'subtitle'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(columns, 1);

    // Restarted: the rows are there and the unchanged seed does not run again.
    drop(dev);
    let dev = Running::start(&root, &["dev"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!dev.log().contains("Seeded"), "{}", dev.log());
    let profiles: i64 = db
        .query_row("SELECT count(*) FROM profiles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(profiles, 1);
    let posts: i64 = db
        .query_row("SELECT count(*) FROM posts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(posts, 1);
    drop(dev);
    drop(db);

    // --reset: the dev data wiped, the seed run again; a seed that fails is reported and dev
    // goes on serving.
    let mut dev = Running::start(&root, &["dev", "--reset"]);
    dev.wait_for("Seeded the dev database");
    let db = rusqlite::Connection::open(root.join(".edgespark/dev/d1.sqlite")).unwrap();
    let posts: i64 = db
        .query_row("SELECT count(*) FROM posts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(posts, 0);
    write(
        &root,
        "server/dev/seed.ts",
        "export default async function seed() {\n  throw new Error(\"seed exploded\");\n}\n",
    );
    dev.wait_for("The seed failed (dev goes on)");
    assert!(dev.log().contains("seed exploded"), "{}", dev.log());
    let mut c = Client::new(&dev.origin);
    assert_eq!(c.call("GET", "/api/public/health", None).0, 200);
}

#[test]
fn dev_runs_a_template_shaped_project_with_its_web_build_and_env_file() {
    // The starter: an empty db_schema.ts, no migrations, storage, vars, a web front end.
    let tmp = tempfile::tempdir().unwrap();
    let root = starter(tmp.path());
    write(
        &root,
        "web/dist/index.html",
        "<!doctype html><title>starter</title>",
    );
    write(&root, "web/dist/assets/app.js", "console.log('web');");
    // A route that leaves work to run after its response (ctx.runInBackground).
    let index = std::fs::read_to_string(root.join("server/src/index.ts")).unwrap();
    let later = "import { ctx } from \"edgespark\";\napp.get(\"/api/public/later\", (c) => {\n  ctx.runInBackground(new Promise((r) => setTimeout(r, 50)).then(() => storage.from(buckets.uploads).put(\"later.txt\", new TextEncoder().encode(\"done\"))));\n  return c.text(ctx.environment);\n});\nexport default app;";
    write(
        &root,
        "server/src/index.ts",
        &index.replace("export default app;", later),
    );
    let mut dev = Running::start(&root, &["dev"]);
    let mut c = Client::new(&dev.origin);

    // The web build: files, and index.html for any other path (a single-page app's routes).
    assert_eq!(
        c.call("GET", "/", None).1,
        "<!doctype html><title>starter</title>"
    );
    assert_eq!(
        c.call("GET", "/settings/profile", None).1,
        "<!doctype html><title>starter</title>"
    );
    let (status, js) = c.call("GET", "/assets/app.js", None);
    assert_eq!((status, js.as_str()), (200, "console.log('web');"));

    let (_, hello) = c.call("GET", "/api/public/hello", None);
    assert_eq!(json(&hello)["hello"], "guest");
    // A name that is not ASCII reaches the worker whole.
    let up = r#"{"name":"Zoë Bö","email":"bo@example.com","password":"password123"}"#;
    assert_eq!(
        c.call("POST", "/api/_es/auth/sign-up/email", Some(up)).0,
        200
    );
    let (_, hello) = c.call("GET", "/api/public/hello", None);
    assert_eq!(json(&hello)["hello"], "Zoë Bö");
    let (_, me) = c.call("GET", "/api/me", None);
    assert_eq!(json(&me)["admin"], false);

    // server/.env.local gives dev its vars; a change to it reloads.
    write(
        &root,
        "server/.env.local",
        "ADMIN_EMAILS=\"bo@example.com\"\n",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while json(&c.call("GET", "/api/me", None).1)["admin"] != true {
        assert!(Instant::now() < deadline, "{}", dev.log());
        std::thread::sleep(Duration::from_millis(20));
    }

    // The background work runs after the response; ctx.environment is "dev".
    assert_eq!(c.call("GET", "/api/public/later", None).1, "dev");
    let later = root.join(".edgespark/dev/buckets/uploads/later.txt");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read(&later).ok().as_deref() != Some(b"done".as_slice()) {
        assert!(Instant::now() < deadline, "{}", dev.log());
        std::thread::sleep(Duration::from_millis(20));
    }

    // Storage in a bucket dev makes on first use.
    let (status, _) = c.send(
        "PUT",
        &format!("{}/api/files/note.txt", dev.origin),
        b"bytes".to_vec(),
        &[("content-type", "text/plain")],
    );
    assert_eq!(status, 201);
    let (_, listed) = c.call("GET", "/api/files", None);
    assert_eq!(
        json(&listed)["files"].as_array().unwrap().len(),
        1,
        "{listed}"
    );
    dev.wait_for("PUT /api/files/note.txt 201");
}

#[test]
fn without_workerd_at_hand_dev_fetches_it_from_the_registry_checked_and_cached() {
    // The package as the registry serves it: package.json and bin/workerd (here a script that
    // runs the real binary, to keep the tarball small).
    let real = workerd_dir().join("workerd");
    let package = tempfile::tempdir().unwrap();
    write(
        package.path(),
        "package.json",
        r#"{"name":"@cloudflare/workerd-linux-64","version":"1.20261117.1"}"#,
    );
    write(
        package.path(),
        "bin/workerd",
        &format!("#!/bin/sh\nexec {} \"$@\"\n", real.display()),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        package.path().join("bin/workerd"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let tarball = tar_gz(package.path(), "package");
    let integrity = {
        use base64::Engine;
        use sha2::Digest;
        format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(&tarball))
        )
    };
    let registry = StandIn::bind();
    let doc = serde_json::json!({
        "name": "@cloudflare/workerd-linux-64",
        "versions": { "1.20261117.1": { "version": "1.20261117.1", "dist": {
            "tarball": format!("{}tarballs/workerd.tgz", registry.url),
            "integrity": integrity,
        } } }
    });
    let registry = registry.serve(
        [
            (
                "/@cloudflare%2fworkerd-linux-64".to_string(),
                (200, vec![], doc.to_string().into_bytes()),
            ),
            ("/tarballs/workerd.tgz".to_string(), (200, vec![], tarball)),
        ]
        .into_iter()
        .collect(),
    );

    let tmp = tempfile::tempdir().unwrap();
    let root = starter(tmp.path());
    let cache = tmp.path().join("cache");
    let env = [
        ("PATH", "/usr/bin:/bin"),
        ("XDG_CACHE_HOME", cache.to_str().unwrap()),
        ("NPM_CONFIG_REGISTRY", registry.url.as_str()),
    ];
    let dev = Running::start_with(&root, &["dev"], &env);
    assert!(
        dev.log()
            .contains("edgespark/npm/@cloudflare/workerd-linux-64/1.20261117.1"),
        "{}",
        dev.log()
    );
    let mut c = Client::new(&dev.origin);
    assert_eq!(
        json(&c.call("GET", "/api/public/hello", None).1)["hello"],
        "guest"
    );
    drop(dev);
    // Cached: the registry is not asked again.
    let asked = registry.requests.lock().unwrap().len();
    let again = Running::start_with(&root, &["dev"], &env);
    assert!(again.log().contains("Loaded "));
    assert_eq!(registry.requests.lock().unwrap().len(), asked);
}
