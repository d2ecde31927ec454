//! `edgespark routes`: the static route list must equal Hono's own runtime list (`inspectRoutes`
//! from hono/dev, run by Node on the built bundle, middleware left out) on every fixture: the
//! example app, a fixture of every registration form the analysis follows, and a generated app
//! of 1000 route files. Node and hono/dev are the oracle only.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A copy of `fixture` whose node_modules is the example app's (hono and the rest).
fn project(fixture: &str, dir: &Path) -> PathBuf {
    npm_ci(&repo().join("fixtures/app/server"));
    npm_ci(&repo().join("tests/oracle"));
    let project = dir.join("project");
    copy_project(&repo().join(fixture), &project);
    link_packages(&project);
    project
}

/// A project of only edgespark.toml and `server/src/index.ts` (more files may be added).
fn bare_project(dir: &Path, index_ts: &str) -> PathBuf {
    let project = dir.join("project");
    std::fs::create_dir_all(project.join("server/src")).unwrap();
    std::fs::write(
        project.join("edgespark.toml"),
        "project_id = \"00000000-0000-4000-8000-000000000003\"\n",
    )
    .unwrap();
    std::fs::write(project.join("server/src/index.ts"), index_ts).unwrap();
    project
}

fn link_packages(project: &Path) {
    let modules = project.join("server/node_modules");
    if !modules.exists() {
        std::os::unix::fs::symlink(repo().join("fixtures/app/server/node_modules"), modules)
            .unwrap();
    }
}

/// Hono's list for the project: build it, import the bundle, `inspectRoutes`.
fn hono_list(project: &Path, dir: &Path) -> String {
    let built = run(project, &["build"]);
    assert_success(&built);
    let run_dir = dir.join("run");
    std::fs::create_dir_all(&run_dir).unwrap();
    let link = run_dir.join("node_modules");
    if !link.exists() {
        std::os::unix::fs::symlink(repo().join("tests/oracle/node_modules"), link).unwrap();
    }
    let bundle = run_dir.join("bundle.mjs");
    std::fs::copy(project.join("server/dist/bundle.js"), &bundle).unwrap();
    let listed = node(
        &run_dir,
        &repo().join("tests/oracle/list_routes.mjs"),
        &[
            &bundle,
            &repo().join("fixtures/app/server/node_modules/hono"),
        ],
    );
    assert!(
        listed.lines().count() > 0 && !listed.contains("exit "),
        "{listed}"
    );
    listed
}

/// Our list, from `routes --json`, in the same form; and the JSON itself.
fn our_list(project: &Path) -> (String, serde_json::Value) {
    let out = run(project, &["routes", "--json"]);
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let lines = json["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}\n",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect();
    (lines, json)
}

#[test]
fn the_example_apps_routes_are_honos() {
    let dir = tempfile::tempdir().unwrap();
    let project = project("fixtures/app", dir.path());
    let (ours, json) = our_list(&project);
    assert_eq!(ours, hono_list(&project, dir.path()));
    let first = &json["routes"][0];
    assert_eq!(
        (first["file"].as_str(), first["auth"].as_str()),
        (Some("src/routes/posts.ts"), Some("protected"))
    );
    assert!(first["line"].as_u64().unwrap() > 1);
    let text = String::from_utf8(run(&project, &["routes"]).stdout).unwrap();
    assert!(
        text.starts_with("Protected (login required, auth.user guaranteed):"),
        "{text}"
    );
    assert!(text.contains("Webhooks (no auth check):                          1 routes\n  POST   /api/webhooks/stripe\n"), "{text}");
    assert!(!text.contains("Invalid"), "{text}");
}

#[test]
fn every_registration_form_matches_honos_list() {
    let dir = tempfile::tempdir().unwrap();
    let project = project("fixtures/routes/tricky", dir.path());
    let (ours, json) = our_list(&project);
    assert_eq!(ours, hono_list(&project, dir.path()));
    assert_eq!(json["warnings"].as_array().unwrap().len(), 0, "{json}");
    let auth_of = |path: &str| {
        json["routes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == path)
            .map(|r| r["auth"].as_str().unwrap().to_string())
    };
    assert_eq!(auth_of("/health").as_deref(), Some("invalid"));
    assert_eq!(auth_of("/api/_es/mine").as_deref(), Some("invalid"));
    assert_eq!(auth_of("/api/public").as_deref(), Some("public"));
    assert_eq!(auth_of("/api/webhooks/github").as_deref(), Some("webhook"));
    let text = String::from_utf8(run(&project, &["routes"]).stdout).unwrap();
    assert!(text.contains("Invalid (outside /api/*, or under the reserved /api/_es/*): 2 routes\n  GET    /api/_es/mine\n  GET    /health\n"), "{text}");
}

#[test]
fn a_generated_app_of_1000_route_files_matches_honos_list() {
    let dir = tempfile::tempdir().unwrap();
    let project = bare_project(dir.path(), "");
    let src = project.join("server/src/routes");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::copy(
        repo().join("fixtures/routes/tricky/server/tsconfig.json"),
        project.join("server/tsconfig.json"),
    )
    .unwrap();
    let mut index = String::from("import { Hono } from \"hono\";\n");
    let mut mounts = String::from("const app = new Hono().basePath(\"/api\");\n");
    for i in 0..1000 {
        let group = ["", "/public", "/webhooks"][i % 3];
        std::fs::write(
            src.join(format!("r{i}.ts")),
            format!("import {{ Hono }} from \"hono\";\nexport const r{i} = new Hono()\n  .get(\"/:id{{[0-9]+}}\", (c) => c.text(\"{i}\"))\n  .post(\"/\", (c) => c.text(\"{i}\"));\nr{i}.on([\"PUT\", \"DELETE\"], \"/x/:k?\", (c) => c.text(\"{i}\"));\n"),
        )
        .unwrap();
        index.push_str(&format!("import {{ r{i} }} from \"./routes/r{i}\";\n"));
        mounts.push_str(&format!("app.route(\"{group}/r{i}\", r{i});\n"));
    }
    std::fs::write(
        project.join("server/src/index.ts"),
        format!("{index}{mounts}export default app;\n"),
    )
    .unwrap();
    npm_ci(&repo().join("fixtures/app/server"));
    npm_ci(&repo().join("tests/oracle"));
    link_packages(&project);
    let (ours, _) = our_list(&project);
    assert_eq!(ours.lines().count(), 4000);
    assert_eq!(ours, hono_list(&project, dir.path()));
}

#[test]
fn registrations_it_cannot_follow_are_warnings_with_their_location() {
    let dir = tempfile::tempdir().unwrap();
    let project = bare_project(
        dir.path(),
        "import { Hono } from \"hono\";\nconst app = new Hono().basePath(\"/api\");\napp.get(\"/known\", (c) => c.text(\"k\"));\nfunction later() {\n  app.get(\"/inside\", (c) => c.text(\"i\"));\n}\nlater();\napp.get(process.env.P as string, (c) => c.text(\"p\"));\nexport default app;\n",
    );
    link_packages(&project);
    let out = run(&project, &["routes", "--json"]);
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["routes"].as_array().unwrap().len(), 1, "{json}");
    let warnings: Vec<String> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| format!("{}:{}", w["file"].as_str().unwrap(), w["line"]))
        .collect();
    assert_eq!(warnings, ["src/index.ts:5", "src/index.ts:8"]);
    let text = run(&project, &["routes"]);
    assert!(
        String::from_utf8_lossy(&text.stderr)
            .contains("warning: src/index.ts:5:7: get() on a Hono app inside a function"),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
}

#[test]
fn a_default_export_that_is_not_an_app_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let project = bare_project(
        dir.path(),
        "export default { fetch() { return new Response(\"x\"); } };\n",
    );
    let out = run(&project, &["routes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("default export is not a Hono app"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
