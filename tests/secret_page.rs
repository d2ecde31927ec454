//! `secret set` through the browser page, in a real headless browser (Debian's chromium driven
//! over WebDriver by chromedriver, installed by the test when missing): the value typed into
//! the form is stored and never printed; a wrong token, a wrong Host and a cross-origin post
//! are refused; the link does not work twice.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// chromium and chromedriver from Debian, installed when missing.
fn chromedriver() -> &'static Path {
    let driver = Path::new("/usr/bin/chromedriver");
    if !driver.is_file() {
        let install = || {
            Command::new("apt-get")
                .args(["install", "-y", "chromium", "chromium-driver"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .is_ok_and(|s| s.success())
        };
        if !install() {
            let _ = Command::new("apt-get").arg("update").status();
            assert!(install(), "apt-get install chromium chromium-driver failed");
        }
    }
    driver
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
}

/// A WebDriver session on a headless chromium.
struct Browser {
    driver: std::process::Child,
    base: String,
    session: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = agent()
            .delete(&format!("{}/session/{}", self.base, self.session))
            .call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while agent().get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            }
        }}});
        let created = post(&format!("{base}/session"), &caps);
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        Browser {
            driver,
            base,
            session,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    fn go(&self, url: &str) {
        post(&self.url("/url"), &json!({ "url": url }));
    }

    fn element(&self, css: &str) -> String {
        let found = post(
            &self.url("/element"),
            &json!({"using": "css selector", "value": css}),
        );
        found["value"]
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no {css}: {found}"))
            .to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css);
        post(
            &self.url(&format!("/element/{e}/value")),
            &json!({ "text": text }),
        );
    }

    fn click(&self, css: &str) {
        let e = self.element(css);
        post(&self.url(&format!("/element/{e}/click")), &json!({}));
    }

    fn page(&self) -> String {
        let mut r = agent().get(&self.url("/source")).call().unwrap();
        let v: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        v["value"].as_str().unwrap_or("").to_string()
    }
}

fn post(url: &str, body: &Value) -> Value {
    let mut r = agent()
        .post(url)
        .header("content-type", "application/json")
        .send(body.to_string())
        .unwrap();
    serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap_or(Value::Null)
}

#[test]
fn a_secret_typed_into_the_browser_page_is_stored_and_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("app");
    copy_project(&repo().join("fixtures/app"), &root);
    let mut command = Command::new(env!("CARGO_BIN_EXE_edgespark"));
    command
        .arg("-C")
        .arg(&root)
        .args(["secret", "set", "STRIPE_WEBHOOK_SECRET"])
        .env("NO_COLOR", "1")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("BROWSER")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no URL in: {said}"
        );
        said.push_str(&line);
        if let Some(at) = line.find("http://127.0.0.1:") {
            break line[at..].trim().to_string();
        }
    };
    let origin = url[..url.find("/secret/").unwrap()].to_string();

    // What a stranger tries first: a guessed token, a rebinding Host, a cross-site post.
    let a = agent();
    assert_eq!(
        a.get(&format!("{origin}/secret/guess"))
            .call()
            .unwrap()
            .status(),
        404
    );
    let rebinding = a
        .get(&url)
        .header("host", "evil.example:80")
        .call()
        .unwrap();
    assert_eq!(rebinding.status(), 403);
    let cross = a
        .post(&url)
        .header("origin", "http://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .send("STRIPE_WEBHOOK_SECRET=stolen")
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert!(!root.join(".edgespark/local/secrets.json").exists());

    // The user, in the browser.
    let value = "whsec_typed_in_the_browser_42";
    let browser = Browser::start();
    browser.go(&url);
    browser.type_into("input[name=STRIPE_WEBHOOK_SECRET]", value);
    browser.click("button[type=submit]");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !browser.page().contains("Stored STRIPE_WEBHOOK_SECRET") {
        assert!(Instant::now() < deadline, "{}", browser.page());
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(status.success(), "{said}{rest}");
    let printed = format!("{said}{rest}{out}");
    assert!(!printed.contains(value), "{printed}");

    let secrets = root.join(".edgespark/local/secrets.json");
    let stored: Value = serde_json::from_slice(&std::fs::read(&secrets).unwrap()).unwrap();
    assert_eq!(stored["STRIPE_WEBHOOK_SECRET"], value);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&secrets).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let events = std::fs::read_to_string(root.join(".edgespark/local/events.jsonl")).unwrap();
    assert!(events.contains("STRIPE_WEBHOOK_SECRET") && !events.contains(value));

    // The link is spent: the page is gone with the command.
    browser.go(&url);
    assert!(
        !browser.page().contains("type=\"password\""),
        "{}",
        browser.page()
    );
}
