//! Every `--json` prints exactly one JSON document on stdout, whatever fails: CI reads it.

mod common;

use common::*;

/// Each command line that takes `--json`.
const COMMANDS: &[&[&str]] = &[
    &["deploy", "--dry-run", "--json"],
    &["routes", "--json"],
    &["db", "generate", "--json"],
    &["db", "migrate", "--json"],
    &["db", "check", "--json"],
    &["db", "diff", "empty", "missing.json", "--json"],
    &["doctor", "--json"],
    &["var", "list", "--json"],
    &["secret", "list", "--json"],
    &["log", "tail", "--json"],
    &["auth", "get", "--json"],
    &["storage", "bucket", "list", "--json"],
];

fn one_document(stdout: &[u8], what: &[&str]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let mut docs = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
    let first = docs
        .next()
        .unwrap_or_else(|| panic!("{what:?}: no JSON on stdout"))
        .unwrap_or_else(|e| panic!("{what:?}: {e}: {text}"));
    assert!(
        docs.next().is_none(),
        "{what:?}: more than one document: {text}"
    );
    first
}

#[test]
fn outside_a_project_every_json_command_prints_one_document() {
    let dir = tempfile::tempdir().unwrap();
    for args in COMMANDS {
        let out = bin().args(*args).current_dir(dir.path()).output().unwrap();
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        let doc = one_document(&out.stdout, args);
        assert_eq!(doc["ok"], false, "{args:?}: {doc}");
        let e = &doc["errors"][0];
        assert!(
            e["code"].is_string() && e["message"].is_string(),
            "{args:?}: {doc}"
        );
    }
}

#[test]
fn a_failed_check_prints_its_findings_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "edgespark.toml",
        "project_id = \"j\"\n[server]\npath = \"server\"\n",
    );
    write(
        dir.path(),
        "server/drizzle/meta/_journal.json",
        "{ not json",
    );
    let out = run(dir.path(), &["db", "check", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc = one_document(&out.stdout, &["db", "check", "--json"]);
    assert!(
        doc["findings"].as_array().is_some_and(|f| !f.is_empty()),
        "{doc}"
    );
}
