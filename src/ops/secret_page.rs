//! `secret set` without `--stdin`: the values are typed into a page in the browser, never on
//! the terminal. A one-time page on 127.0.0.1 at a random port and an unguessable path asks
//! for each key in a password field; the values are stored (atomically, mode 0600) when the
//! form is posted, and the page says so. The link works once and for 10 minutes; any other
//! path or token is a 404; the Host header must name the loopback address (no DNS rebinding)
//! and a post must come from the page's own origin (no cross-site posts).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Result, bail};
use axum::Router;
use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// How long the link works.
pub const LIFETIME: Duration = Duration::from_secs(600);

/// What takes the values once they are all there.
type Store = Box<dyn Fn(Vec<(String, String)>) -> Result<()> + Send + Sync>;

struct Page {
    keys: Vec<String>,
    path: String,
    port: u16,
    /// Set once the values are stored: the link is dead.
    done: Mutex<bool>,
    store: Store,
    finished: tokio::sync::Notify,
}

/// Serve the page for `keys`, hand its URL to `show`, and return once `store` has taken the
/// values (or fail when the link expires first, after `lifetime`: `LIFETIME` but in tests).
pub fn collect(
    keys: Vec<String>,
    lifetime: Duration,
    show: impl FnOnce(&str),
    store: impl Fn(Vec<(String, String)>) -> Result<()> + Send + Sync + 'static,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let token = format!(
            "{}{}",
            crate::runtime::auth::random_id(),
            crate::runtime::auth::random_id()
        );
        let page = Arc::new(Page {
            keys,
            path: format!("/secret/{token}"),
            port,
            done: Mutex::new(false),
            store: Box::new(store),
            finished: tokio::sync::Notify::new(),
        });
        let url = format!("http://127.0.0.1:{port}{}", page.path);
        let app = Router::new().fallback(answer).with_state(page.clone());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        show(&url);
        let finished = tokio::time::timeout(lifetime, page.finished.notified()).await;
        // Let the confirmation reach the browser before the server goes.
        tokio::time::sleep(Duration::from_millis(200)).await;
        server.abort();
        if finished.is_err() {
            let after = match lifetime.as_secs() {
                0 => format!("{} ms", lifetime.as_millis()),
                s if s % 60 == 0 => format!("{} minutes", s / 60),
                s => format!("{s} seconds"),
            };
            bail!(
                "the link expired after {after} without the values being entered; run the command again"
            );
        }
        Ok(())
    })
}

async fn answer(State(page): State<Arc<Page>>, request: Request) -> Response {
    let response = respond(&page, request).await;
    with_guard_headers(response)
}

async fn respond(page: &Arc<Page>, request: Request) -> Response {
    let origins = [
        format!("127.0.0.1:{}", page.port),
        format!("localhost:{}", page.port),
    ];
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !origins.iter().any(|o| o == host) {
        return (StatusCode::FORBIDDEN, "wrong host").into_response();
    }
    if request.uri().path() != page.path || *page.done.lock().unwrap_or_else(|e| e.into_inner()) {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match *request.method() {
        Method::GET => Html(form(&page.keys, None)).into_response(),
        Method::POST => {
            if !same_origin(request.headers(), &origins) {
                return (StatusCode::FORBIDDEN, "cross-origin post refused").into_response();
            }
            use axum::extract::FromRequest;
            let Ok(Form(fields)) =
                Form::<HashMap<String, String>>::from_request(request, &()).await
            else {
                return (StatusCode::BAD_REQUEST, "not a form").into_response();
            };
            submit(page, fields)
        }
        _ => (StatusCode::METHOD_NOT_ALLOWED, "").into_response(),
    }
}

fn submit(page: &Arc<Page>, fields: HashMap<String, String>) -> Response {
    let mut values = vec![];
    for key in &page.keys {
        match fields.get(key).map(|v| v.trim_end_matches(['\r', '\n'])) {
            Some(v) if !v.is_empty() => values.push((key.clone(), v.to_string())),
            _ => {
                return Html(form(&page.keys, Some(&format!("{key} needs a value"))))
                    .into_response();
            }
        }
    }
    let mut done = page.done.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    if let Err(e) = (page.store)(values) {
        return Html(form(&page.keys, Some(&format!("not stored: {e:#}")))).into_response();
    }
    *done = true;
    page.finished.notify_one();
    Html(shell(
        "Stored",
        &format!(
            "<p class=\"ok\">Stored {} on the local platform. You can close this page.</p>",
            escape(&page.keys.join(", "))
        ),
    ))
    .into_response()
}

/// The post comes from the page itself: its Origin (or, without one, its Referer) is ours.
fn same_origin(headers: &HeaderMap, origins: &[String]) -> bool {
    let from = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let ours = |url: &str| {
        origins.iter().any(|o| {
            let base = format!("http://{o}");
            url == base || url.starts_with(&format!("{base}/"))
        })
    };
    match (from(header::ORIGIN), from(header::REFERER)) {
        (Some(origin), _) => ours(&origin),
        (None, Some(referer)) => ours(&referer),
        (None, None) => false,
    }
}

fn with_guard_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    for (name, value) in [
        ("cache-control", "no-store"),
        // Not no-referrer: under it a browser posts the form with `Origin: null`.
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    r
}

fn form(keys: &[String], problem: Option<&str>) -> String {
    let mut fields = String::new();
    for (i, key) in keys.iter().enumerate() {
        let k = escape(key);
        let autofocus = if i == 0 { " autofocus" } else { "" };
        fields.push_str(&format!(
            "<label for=\"f{i}\">{k}</label><input id=\"f{i}\" name=\"{k}\" type=\"password\" autocomplete=\"off\" required{autofocus}>"
        ));
    }
    let problem = problem
        .map(|p| format!("<p class=\"problem\">{}</p>", escape(p)))
        .unwrap_or_default();
    shell(
        "Set secrets",
        &format!(
            "<p>Values for the local platform's secrets. They are stored on this machine only (mode 0600) and never shown again.</p>{problem}<form method=\"post\">{fields}<button type=\"submit\">Store</button></form>"
        ),
    )
}

fn shell(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>edgespark · {title}</title><style>\
body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1b1b1f}}\
h1{{font-size:1.4rem}}label{{display:block;margin-top:1rem;font-weight:600;font-family:ui-monospace,monospace}}\
input{{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font:inherit;border:1px solid #888;border-radius:4px}}\
button{{margin-top:1.5rem;padding:.5rem 1.25rem;font:inherit;border:0;border-radius:4px;background:#1b1b1f;color:#fff;cursor:pointer}}\
.problem{{color:#b00020}}.ok{{color:#0a6b2d;font-weight:600}}\
</style></head><body><h1>{title}</h1>{body}</body></html>"
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_dies_when_its_lifetime_ends() {
        let (url_tx, url_rx) = std::sync::mpsc::channel::<String>();
        let stored = Arc::new(Mutex::new(false));
        let flag = stored.clone();
        let waiting = std::thread::spawn(move || {
            collect(
                vec!["API_KEY".into()],
                Duration::from_millis(400),
                |url| {
                    url_tx
                        .send(url.to_string())
                        .expect("the test waits for the URL")
                },
                move |_| {
                    *flag.lock().expect("not poisoned") = true;
                    Ok(())
                },
            )
        });
        let url = url_rx.recv().expect("the page's URL");
        // While it lives, the page answers.
        let page = ureq::get(&url)
            .call()
            .expect("the page answers before it expires");
        assert_eq!(page.status(), 200);
        let outcome = waiting.join().expect("collect does not panic");
        let err = outcome.expect_err("nothing was entered: the link expires");
        assert!(err.to_string().contains("expired after 400 ms"), "{err}");
        assert!(!*stored.lock().expect("not poisoned"), "nothing is stored");
        // And once it is dead, nothing listens there.
        assert!(ureq::get(&url).call().is_err(), "{url} still answers");
    }
}
