//! `edgespark deploy` and `edgespark pull` on copies of the example app: the pipeline passes
//! and goes live on the local platform; each failure path (a route outside /api, a missing
//! barrel export, a runtime import in defs, a broken auth config, unapplied migrations, type
//! errors) fails the deploy, says where, and uploads nothing; generated files are kept fresh.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// A copy of the example app, migrated, with its declared vars and secret set.
fn ready_project(dir: &Path) -> PathBuf {
    npm_ci(&repo().join("fixtures/app/server"));
    let project = dir.join("app");
    copy_project(&repo().join("fixtures/app"), &project);
    for args in [
        &["db", "generate", "--name", "init"][..],
        &["db", "migrate"],
        &["var", "set", "ADMIN_EMAILS=a@example.com", "SITE_NAME=Demo"],
    ] {
        let out = run(&project, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = bin()
        .args(["secret", "set", "--stdin", "STRIPE_WEBHOOK_SECRET"])
        .current_dir(&project)
        .write_stdin("whsec_do_not_leak\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    project
}

fn deploy_json(project: &Path, extra: &[&str]) -> (i32, Value) {
    let out = bin()
        .args(["deploy", "--json"])
        .args(extra)
        .current_dir(project)
        .env("PATH", native_tsc_dir())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

fn errors(report: &Value) -> String {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        // Each error is a diagnostic; `text` is what a person reads.
        .map(|e| e["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

fn local(project: &Path) -> PathBuf {
    project.join(".edgespark/local")
}

#[test]
fn a_ready_project_deploys_and_goes_live() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());

    let (code, dry) = deploy_json(&project, &["--dry-run"]);
    assert_eq!(code, 0, "{dry:#}");
    let steps: Vec<&str> = dry["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["schema sync", "checks", "type check", "bundle", "routes"]
    );
    assert_eq!(dry["routes"].as_array().unwrap().len(), 18);
    assert!(
        !local(&project).join("live.json").exists(),
        "a dry run uploads nothing"
    );
    assert!(project.join("server/dist/bundle.js").is_file());

    let (code, first) = deploy_json(&project, &[]);
    assert_eq!(code, 0, "{first:#}");
    let (code, second) = deploy_json(&project, &[]);
    assert_eq!(code, 0);
    let (id1, id2) = (
        first["deployment"]["id"].as_str().unwrap(),
        second["deployment"]["id"].as_str().unwrap(),
    );
    assert!(
        id1.starts_with("0001-") && id2.starts_with("0002-"),
        "{id1} {id2}"
    );
    let live: Value =
        serde_json::from_slice(&std::fs::read(local(&project).join("live.json")).unwrap()).unwrap();
    assert_eq!(live["id"], id2);

    // The same bundle is stored once, by content, and is the one built.
    let deployments = local(&project).join("deployments");
    let bundles: Vec<PathBuf> = std::fs::read_dir(&deployments)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().unwrap() == "js")
        .collect();
    assert_eq!(bundles.len(), 1);
    let built = std::fs::read(project.join("server/dist/bundle.js")).unwrap();
    assert_eq!(std::fs::read(&bundles[0]).unwrap(), built);
    assert_eq!(
        bundles[0].file_stem().unwrap().to_str().unwrap(),
        blake3::hash(&built).to_hex().as_str()
    );

    let manifest: Value =
        serde_json::from_slice(&std::fs::read(deployments.join(format!("{id2}.json"))).unwrap())
            .unwrap();
    let b = &manifest["bindings"];
    assert_eq!(
        b["buckets"],
        serde_json::json!(["avatars", "post-attachments"])
    );
    assert_eq!(b["vars"], serde_json::json!(["ADMIN_EMAILS", "SITE_NAME"]));
    assert_eq!(b["secrets"], serde_json::json!(["STRIPE_WEBHOOK_SECRET"]));
    assert_eq!(
        b["routes"],
        serde_json::json!({ "protected": 13, "public": 4, "webhook": 1 })
    );

    // The secret's value is in no file but the secrets store.
    for (path, bytes) in tree(&project) {
        if path.ends_with("secrets.json")
            || path.components().any(|c| c.as_os_str() == "node_modules")
        {
            continue;
        }
        assert!(
            !String::from_utf8_lossy(&bytes).contains("whsec_do_not_leak"),
            "{}",
            path.display()
        );
    }
    let log = run(&project, &["log", "tail"]);
    let log = String::from_utf8_lossy(&log.stdout);
    assert!(
        log.contains("deploy") && log.contains(id1) && log.contains(id2),
        "{log}"
    );
}

#[test]
fn the_text_report_groups_the_routes_and_times_each_step() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let out = bin()
        .args(["deploy", "--dry-run"])
        .current_dir(&project)
        .env("PATH", native_tsc_dir())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("Protected (login required, auth.user guaranteed):  13 routes")
            && stdout.contains("POST   /api/webhooks/stripe"),
        "{stdout}"
    );
    for step in ["schema sync", "checks", "type check", "bundle", "routes"] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(step) && l.contains(" ms")),
            "{step}: {stderr}"
        );
    }
    assert!(
        stderr.contains("no type errors: TypeScript 7.0.2") && stderr.contains("Dry run passed"),
        "{stderr}"
    );
}

/// Deploy must fail, name the problem, and leave the platform without a live deployment.
fn assert_refused(project: &Path, expected: &[&str]) {
    let (code, report) = deploy_json(project, &[]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["ok"], false);
    let errors = errors(&report);
    for e in expected {
        assert!(errors.contains(e), "expected {e:?} in:\n{errors}");
    }
    assert!(report["deployment"].is_null());
    assert!(!local(project).join("live.json").exists());
}

#[test]
fn a_route_outside_api_fails_the_deploy_listing_each() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let index = project.join("server/src/index.ts");
    let text = std::fs::read_to_string(&index).unwrap();
    let root = "const root = new Hono();\nroot.get(\"/health\", (c) => c.text(\"ok\"));\nroot.post(\"/api/_es/hook\", (c) => c.text(\"no\"));\nroot.route(\"/\", app);\nexport default root;";
    let text = text.replace("export default app;", root);
    std::fs::write(&index, text).unwrap();
    assert_refused(
        &project,
        &[
            "route GET /health (src/index.ts:",
            "route POST /api/_es/hook",
        ],
    );
}

#[test]
fn a_missing_barrel_export_fails_the_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let index = project.join("server/src/defs/index.ts");
    let text = std::fs::read_to_string(&index)
        .unwrap()
        .replace("export { buckets };\n", "")
        .replace("export * from \"./db_relations\";\n", "");
    std::fs::write(&index, text).unwrap();
    assert_refused(
        &project,
        &[
            "does not export `buckets`",
            "does not re-export `db_relations`",
        ],
    );
}

#[test]
fn defs_importing_runtime_values_from_edgespark_fail_the_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let file = project.join("server/src/defs/db_relations.ts");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!(
            "import type {{ ctx }} from \"edgespark\";\nimport {{ db }} from \"edgespark\";\n{text}"
        ),
    )
    .unwrap();
    assert_refused(
        &project,
        &["server/src/defs/db_relations.ts:2:1: defs import runtime values from \"edgespark\""],
    );
}

#[test]
fn a_broken_auth_config_fails_the_deploy_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let yaml = "disableSignUp: false\nsesion:\n  expiresIn: 60\nproviderGoogle:\n  enabled: true\n  config: {}\nproviderEmailPassword:\n  enabled: yes please\n";
    std::fs::write(project.join("configs/auth-config.yaml"), yaml).unwrap();
    assert_refused(
        &project,
        &[
            "configs/auth-config.yaml:2:1: unknown key `sesion`",
            "configs/auth-config.yaml:5:3: `providerGoogle` is enabled but `providerGoogle.config.clientIdVarRef` is not set",
            "configs/auth-config.yaml:8:12: `providerEmailPassword.enabled` must be true or false",
        ],
    );
}

#[test]
fn unapplied_migrations_and_an_ungenerated_schema_fail_the_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let schema = project.join("server/src/defs/db_schema.ts");
    let text = std::fs::read_to_string(&schema).unwrap();
    std::fs::write(&schema, format!("{text}\nexport const extra = sqliteTable(\"extra\", {{ id: integer(\"id\").primaryKey() }});\n")).unwrap();
    assert_refused(
        &project,
        &["db_schema.ts changed since the last `edgespark db generate`"],
    );
    assert!(
        run(&project, &["db", "generate", "--name", "extra"])
            .status
            .success()
    );
    assert_refused(
        &project,
        &["1 migration(s) not applied to the database: 0001_extra.sql"],
    );
    assert!(run(&project, &["db", "migrate"]).status.success());
    assert_eq!(deploy_json(&project, &[]).0, 0);
}

/// A stand-in for the native compiler: a script (not for Node) that fails while `fail` exists
/// and counts its runs.
fn fake_tsc(dir: &Path) -> PathBuf {
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'Version 7.0.2'; exit 0; fi\necho run >> {runs}\nif [ -e {fail} ]; then echo 'src/index.ts(3,7): error TS2322: Type number is not assignable to type string.'; exit 2; fi\nexit 0\n",
        runs = dir.join("runs").display(),
        fail = dir.join("fail").display()
    );
    let tsc = bin_dir.join("tsc");
    std::fs::write(&tsc, script).unwrap();
    let mut perms = std::fs::metadata(&tsc).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&tsc, perms).unwrap();
    bin_dir
}

#[test]
fn the_type_check_runs_the_native_compiler_fails_on_errors_and_is_cached() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let tools = fake_tsc(dir.path());
    let deploy = |extra: &[&str]| {
        let out = bin()
            .args(["deploy", "--dry-run", "--json"])
            .args(extra)
            .current_dir(&project)
            .env("PATH", &tools)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        )
    };
    let status = |r: &Value| r["steps"][2]["status"].as_str().unwrap().to_string();
    let runs = || {
        std::fs::read_to_string(dir.path().join("runs"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };

    std::fs::write(dir.path().join("fail"), "").unwrap();
    let (code, r) = deploy(&[]);
    assert_eq!((code, status(&r).as_str()), (1, "failed"));
    // Reported on the user's file, with its line and a frame.
    assert!(
        errors(&r).contains("server/src/index.ts:3:7: TS2322"),
        "{r:#}"
    );
    assert_eq!(
        r["compiler"].as_str().unwrap(),
        format!("TypeScript 7.0.2 ({} on PATH)", tools.join("tsc").display())
    );

    std::fs::remove_file(dir.path().join("fail")).unwrap();
    let (code, r) = deploy(&["--typecheck", "auto"]);
    assert_eq!((code, status(&r).as_str()), (0, "ok"));
    let (code, r) = deploy(&[]);
    assert_eq!(
        (code, status(&r).as_str()),
        (0, "cached"),
        "an unchanged project is not checked twice"
    );
    assert_eq!(runs(), 2);
    std::fs::write(
        project.join("server/src/lib/extra.ts"),
        "export const x = 1;\n",
    )
    .unwrap();
    assert_eq!(
        status(&deploy(&[]).1),
        "ok",
        "a changed file is checked again"
    );
    assert_eq!(runs(), 3);

    let (code, r) = deploy(&["--typecheck", "off"]);
    assert_eq!((code, status(&r).as_str()), (0, "skipped"));
    // No native compiler anywhere and the registry unreachable: a failure that says what to
    // do, never a silent skip.
    let out = bin()
        .args(["deploy", "--dry-run", "--json"])
        .current_dir(&project)
        .env("PATH", "/nonexistent")
        .env("XDG_CACHE_HOME", dir.path().join("empty-cache"))
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = errors(&r);
    assert!(
        said.contains("could not be fetched from http://127.0.0.1:9/")
            && said.contains("--typecheck off"),
        "{said}"
    );
}

#[test]
fn pull_writes_the_generated_files_and_check_finds_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    npm_ci(&repo().join("fixtures/app/server"));
    let project = dir.path().join("app");
    copy_project(&repo().join("fixtures/app"), &project);
    // The example app's generated files are what `pull` writes.
    assert_eq!(run(&project, &["pull", "--check"]).status.code(), Some(0));

    // The types are the platform's, the same in every project: a new key in runtime.ts makes
    // nothing stale (edgespark.d.ts reads VarKey from the defs).
    let runtime = project.join("server/src/defs/runtime.ts");
    let text = std::fs::read_to_string(&runtime)
        .unwrap()
        .replace("\"SITE_NAME\"", "\"SITE_NAME\" | \"THEME\"");
    std::fs::write(&runtime, text).unwrap();
    assert_eq!(
        run(&project, &["pull", "types", "--check"]).status.code(),
        Some(0)
    );

    // An edited copy is stale, and pull writes ours back.
    let types_file = project.join("server/src/__generated__/server-types.d.ts");
    let ours = std::fs::read_to_string(&types_file).unwrap();
    std::fs::write(
        &types_file,
        ours.replace("readonly hasMore: boolean;", "hasMore: string;"),
    )
    .unwrap();
    let out = run(&project, &["pull", "types", "--check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("stale: server/src/__generated__/server-types.d.ts")
    );
    assert_eq!(
        run(&project, &["pull", "schema", "--check"]).status.code(),
        Some(0)
    );
    assert!(run(&project, &["pull", "types"]).status.success());
    assert_eq!(std::fs::read_to_string(&types_file).unwrap(), ours);

    // The platform's own copy, marked in .checksums.json as the templates ship it, is kept:
    // neither stale nor rewritten (no churn in users' repositories).
    let platform_copy = format!("{ours}// the platform's own wording\n");
    std::fs::write(&types_file, &platform_copy).unwrap();
    std::fs::write(
        project.join("server/src/__generated__/.checksums.json"),
        "{\"server_types\": \"sha256-712d78141c948d0f44934a725d9a04246677eded79353bfd986c74764d418c31\"}\n",
    )
    .unwrap();
    assert_eq!(run(&project, &["pull", "--check"]).status.code(), Some(0));
    deploy_json(&project, &["--dry-run"]);
    assert_eq!(std::fs::read_to_string(&types_file).unwrap(), platform_copy);

    std::fs::remove_file(project.join("server/src/__generated__/sys_schema.ts")).unwrap();
    assert_eq!(run(&project, &["pull", "--check"]).status.code(), Some(1));
    // deploy's schema sync writes it back.
    deploy_json(&project, &["--dry-run"]);
    assert_eq!(run(&project, &["pull", "--check"]).status.code(), Some(0));
}

#[test]
fn deploy_json_is_one_document_whatever_fails_with_places_and_codes() {
    let dir = tempfile::tempdir().unwrap();
    let project = ready_project(dir.path());
    let every_problem_is_coded = |r: &Value| {
        for d in r["errors"]
            .as_array()
            .unwrap()
            .iter()
            .chain(r["warnings"].as_array().unwrap())
        {
            assert!(d["code"].is_string(), "{d:#}");
            assert!(d["severity"].is_string() && d["text"].is_string(), "{d:#}");
        }
    };
    // A syntax error in a route file: the bundle step fails, and says where.
    std::fs::write(
        project.join("server/src/routes/me.ts"),
        "export default {\n  broken: (\n};\n",
    )
    .unwrap();
    let (code, r) = deploy_json(&project, &["--dry-run", "--typecheck", "off"]);
    assert_eq!(code, 1);
    every_problem_is_coded(&r);
    let located = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("routes/me.ts"))
        })
        .unwrap_or_else(|| panic!("{r:#}"));
    assert_eq!(located["line"], 3, "{located:#}");
    assert!(located["column"].as_u64().is_some());
    // Not a project at all: still one JSON document.
    let out = bin()
        .args(["deploy", "--dry-run", "--json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["ok"], false);
    assert_eq!(r["errors"][0]["code"], "deploy/stopped");
    // Check findings and warnings carry codes too.
    std::fs::write(
        project.join("server/src/routes/me.ts"),
        "import { Hono } from \"hono\";\nexport default new Hono();\n",
    )
    .unwrap();
    let index = project.join("server/src/defs/index.ts");
    let text = std::fs::read_to_string(&index)
        .unwrap()
        .replace("export { buckets };\n", "");
    std::fs::write(&index, text).unwrap();
    let (code, r) = deploy_json(&project, &["--dry-run", "--typecheck", "off"]);
    assert_eq!(code, 1);
    every_problem_is_coded(&r);
}
