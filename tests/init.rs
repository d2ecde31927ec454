//! `edgespark init`: the new project is complete — its generated files fresh, its first
//! migration applied, its config valid — so once its npm packages are installed (the same ones,
//! from tests/scaffold's lockfile) it passes `deploy --dry-run` with TypeScript 7's tsc, its
//! bundle serves its routes under Node, and it deploys. Bad names and existing directories
//! are refused with nothing written.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn init(parent: &Path, args: &[&str]) -> std::process::Output {
    bin()
        .arg("-C")
        .arg(parent)
        .arg("init")
        .args(args)
        .output()
        .unwrap()
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

#[test]
fn a_new_project_type_checks_deploys_and_serves_its_routes() {
    let deps = repo().join("tests/scaffold");
    npm_ci(&deps);
    npm_ci(&repo().join("tests/oracle"));
    let dir = tempfile::tempdir().unwrap();
    let out = init(dir.path(), &["demo", "--agent", "codex"]);
    assert_success(&out);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["demo"], "the staging directory is gone");
    let project = dir.path().join("demo");
    assert!(project.join("AGENTS.md").is_file());

    // The packages tests/scaffold installs are the ones the project asks for.
    let wanted = json_file(&project.join("server/package.json"));
    let installed = json_file(&deps.join("package.json"));
    for key in ["dependencies", "devDependencies"] {
        assert_eq!(
            wanted[key], installed[key],
            "{key}: keep tests/scaffold/package.json equal to the scaffold's"
        );
    }
    // A project id of its own.
    let toml = std::fs::read_to_string(project.join("edgespark.toml")).unwrap();
    assert!(
        init(dir.path(), &["other", "--agent", "claude"])
            .status
            .success()
    );
    assert!(dir.path().join("other/CLAUDE.md").is_file());
    assert_ne!(
        toml,
        std::fs::read_to_string(dir.path().join("other/edgespark.toml")).unwrap()
    );

    // Nothing left to pull, generate or migrate.
    for (args, said) in [
        (&["pull", "--check"][..], "up to date"),
        (&["db", "generate"], "No schema changes"),
        (&["db", "check"], ""),
    ] {
        let out = run(&project, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(text.contains(said), "{args:?}: {text}");
    }

    std::os::unix::fs::symlink(
        deps.join("node_modules"),
        project.join("server/node_modules"),
    )
    .unwrap();
    let (code, dry) = deploy_json(&project, &["--dry-run", "--typecheck", "auto"]);
    assert_eq!(code, 0, "{dry:#}");
    let routes: Vec<String> = dry["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["method"].as_str().unwrap(),
                r["path"].as_str().unwrap(),
                r["auth"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            "GET /api/public/health public",
            "GET /api/notes protected",
            "POST /api/notes protected",
            "DELETE /api/notes/:id protected"
        ]
    );

    // The bundle serves the routes against the stand-in platform.
    let run_dir = dir.path().join("run");
    std::fs::create_dir_all(&run_dir).unwrap();
    std::os::unix::fs::symlink(
        repo().join("tests/oracle/node_modules"),
        run_dir.join("node_modules"),
    )
    .unwrap();
    let bundle = run_dir.join("bundle.js");
    std::fs::copy(project.join("server/dist/bundle.js"), &bundle).unwrap();
    let transcript = node(
        &run_dir,
        &repo().join("tests/oracle/drive_app.mjs"),
        &[
            &bundle,
            &project.join("server/drizzle"),
            &repo().join("tests/oracle/requests/scaffold.json"),
        ],
    );
    let note = |id: u32, text: &str| {
        format!(r#"{{"id":{id},"owner":"u1","text":"{text}","createdAt":"<time>"}}"#)
    };
    let expected = [
        r#"GET /api/public/health -> 200 {"ok":true,"user":null}"#.to_string(),
        r#"GET /api/public/health -> 200 {"ok":true,"user":"u1"}"#.into(),
        r#"POST /api/notes -> 400 {"error":"text is required"}"#.into(),
        format!(r#"POST /api/notes -> 201 {{"note":{}}}"#, note(1, "first")),
        format!(r#"POST /api/notes -> 201 {{"note":{}}}"#, note(2, "second")),
        format!(
            r#"GET /api/notes -> 200 {{"notes":[{},{}]}}"#,
            note(2, "second"),
            note(1, "first")
        ),
        "DELETE /api/notes/1 -> 204 ".into(),
        r#"DELETE /api/notes/1 -> 404 {"error":"not found"}"#.into(),
        format!(
            r#"GET /api/notes -> 200 {{"notes":[{}]}}"#,
            note(2, "second")
        ),
    ];
    assert_eq!(
        transcript.lines().collect::<Vec<_>>(),
        expected,
        "{transcript}"
    );

    // tsc really checks it: a type error fails the deploy.
    let index = project.join("server/src/index.ts");
    let source = std::fs::read_to_string(&index).unwrap();
    std::fs::write(
        &index,
        format!("{source}\nexport const count: number = \"three\";\n"),
    )
    .unwrap();
    let (code, failed) = deploy_json(&project, &["--dry-run", "--typecheck", "auto"]);
    assert_eq!(code, 1, "{failed:#}");
    assert!(failed.to_string().contains("src/index.ts"), "{failed:#}");
    std::fs::write(&index, source).unwrap();

    let (code, live) = deploy_json(&project, &[]);
    assert_eq!(code, 0, "{live:#}");
    assert!(project.join(".edgespark/local/live.json").is_file());
    let log = run(&project, &["log", "tail"]);
    let log = String::from_utf8_lossy(&log.stdout);
    for event in ["init", "db.migrate", "deploy"] {
        assert!(log.contains(event), "{event} in the log:\n{log}");
    }
    let auth = run(&project, &["auth", "get"]);
    assert_eq!(
        String::from_utf8_lossy(&auth.stdout),
        std::fs::read_to_string(project.join("configs/auth-config.yaml")).unwrap()
    );
}

#[test]
fn bad_names_and_existing_directories_are_refused_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["-x", "_x", "my app", "a/b", "a.b", "ü"] {
        let out = init(dir.path(), &["--agent", "codex", "--", name]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("project name"),
            "{name:?}"
        );
    }
    assert_eq!(
        init(dir.path(), &["app"]).status.code(),
        Some(2),
        "--agent is required"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let existing = dir.path().join("taken");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("keep.txt"), "mine").unwrap();
    let out = init(dir.path(), &["taken", "--agent", "codex"]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read_dir(&existing).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(existing.join("keep.txt")).unwrap(),
        "mine"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// The example app as a template would ship it: `REPLACED_ON_INIT`, its migrations, a local
/// database and installed packages that init must leave out.
fn template_dir(dir: &Path) -> std::path::PathBuf {
    let t = dir.join("tpl");
    copy_project(&repo().join("fixtures/app"), &t);
    let out = bin()
        .args(["db", "generate", "--name", "init"])
        .current_dir(&t)
        .output()
        .unwrap();
    assert_success(&out);
    let toml = std::fs::read_to_string(t.join("edgespark.toml")).unwrap();
    let id_line = toml
        .lines()
        .find(|l| l.starts_with("project_id"))
        .unwrap()
        .to_string();
    std::fs::write(
        t.join("edgespark.toml"),
        toml.replace(&id_line, "project_id = \"REPLACED_ON_INIT\""),
    )
    .unwrap();
    std::fs::create_dir_all(t.join(".edgespark/local")).unwrap();
    std::fs::write(
        t.join(".edgespark/local/d1.sqlite"),
        "the template author's database",
    )
    .unwrap();
    // A real folder of installed packages (copy_project made a link to the fixture's).
    let _ = std::fs::remove_file(t.join("server/node_modules"));
    std::fs::create_dir_all(t.join("server/node_modules/left-out")).unwrap();
    std::fs::create_dir_all(t.join(".git")).unwrap();
    t
}

fn check_made_from_template(project: &Path, source_toml: &str) {
    let toml = std::fs::read_to_string(project.join("edgespark.toml")).unwrap();
    assert!(
        !toml.contains("REPLACED_ON_INIT") && toml.contains("project_id = \""),
        "{toml}"
    );
    assert_eq!(
        toml.lines().skip(1).collect::<Vec<_>>(),
        source_toml.lines().skip(1).collect::<Vec<_>>(),
        "the rest of edgespark.toml kept"
    );
    assert!(project.join("CLAUDE.md").is_file());
    assert!(
        project.join("server/drizzle/0000_init.sql").is_file(),
        "migrations kept"
    );
    assert!(!project.join("server/node_modules").exists() && !project.join(".git").exists());
    let db = std::fs::read(project.join(".edgespark/local/d1.sqlite")).unwrap();
    assert!(
        db.starts_with(b"SQLite format 3"),
        "a fresh database, the template's own left out"
    );
    for args in [&["db", "check"][..], &["pull", "types", "--check"]] {
        let out = bin().args(args).current_dir(project).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // With its packages installed, it passes the pipeline.
    npm_ci(&repo().join("fixtures/app/server"));
    std::os::unix::fs::symlink(
        repo().join("fixtures/app/server/node_modules"),
        project.join("server/node_modules"),
    )
    .unwrap();
    let out = bin()
        .args(["deploy", "--dry-run"])
        .current_dir(project)
        .env("PATH", native_tsc_dir())
        .output()
        .unwrap();
    assert_success(&out);
}

#[test]
fn init_from_a_template_folder_or_tarball_makes_a_project_that_passes_the_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let template = template_dir(dir.path());
    let toml = std::fs::read_to_string(template.join("edgespark.toml")).unwrap();
    let out = init(
        dir.path(),
        &[
            "from-dir",
            "--agent",
            "claude",
            "--template",
            template.to_str().unwrap(),
        ],
    );
    assert_success(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("edgespark var set ADMIN_EMAILS=...")
            && said.contains("edgespark secret set STRIPE_WEBHOOK_SECRET"),
        "{said}"
    );
    check_made_from_template(&dir.path().join("from-dir"), &toml);
    // The same as GitHub serves it: one top folder in a .tar.gz.
    let tarball = dir.path().join("tpl.tar.gz");
    let tar = std::process::Command::new("tar")
        .args(["czf"])
        .arg(&tarball)
        .arg("-C")
        .arg(dir.path())
        .arg("tpl")
        .status()
        .unwrap();
    assert!(tar.success());
    let out = init(
        dir.path(),
        &[
            "from-tar",
            "--agent",
            "claude",
            "--template",
            tarball.to_str().unwrap(),
        ],
    );
    assert_success(&out);
    check_made_from_template(&dir.path().join("from-tar"), &toml);
}

#[test]
fn init_from_github_or_a_tarball_url_downloads_the_template() {
    let dir = tempfile::tempdir().unwrap();
    let template = template_dir(dir.path());
    let toml = std::fs::read_to_string(template.join("edgespark.toml")).unwrap();
    // GitHub's layout: the repository in one top folder, templates in folders of it.
    let repo_dir = dir.path().join("repo");
    copy_dir(&template, &repo_dir.join("blog"));
    std::fs::create_dir_all(repo_dir.join("other")).unwrap();
    let stand_in = StandIn::bind();
    let github_tarball = format!("{}codeload/acme-templates-1a2b3c.tar.gz", stand_in.url);
    let stand_in = stand_in.serve(
        [
            (
                "/repos/acme/templates/tarball/v1".to_string(),
                (302, vec![("Location".to_string(), github_tarball)], vec![]),
            ),
            (
                "/codeload/acme-templates-1a2b3c.tar.gz".to_string(),
                (200, vec![], tar_gz(&repo_dir, "acme-templates-1a2b3c")),
            ),
            (
                "/tpl.tar.gz".to_string(),
                (200, vec![], tar_gz(&template, "tpl")),
            ),
        ]
        .into_iter()
        .collect(),
    );
    let api = stand_in.url.trim_end_matches('/').to_string();
    let init_from = |name: &str, spec: &str| {
        bin()
            .args(["init", name, "--agent", "claude", "--template", spec])
            .current_dir(dir.path())
            .env("EDGESPARK_GITHUB_API", &api)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = init_from("from-github", "github:acme/templates/blog#v1");
    assert_success(&out);
    check_made_from_template(&dir.path().join("from-github"), &toml);
    let out = init_from("from-url", &format!("{}tpl.tar.gz", stand_in.url));
    assert_success(&out);
    check_made_from_template(&dir.path().join("from-url"), &toml);

    // A folder the repository lacks, and a URL that is not there: errors, nothing made.
    for (name, spec) in [
        ("no-dir", "github:acme/templates/missing#v1".to_string()),
        ("no-url", format!("{}gone.tar.gz", stand_in.url)),
    ] {
        let out = init_from(name, &spec);
        assert_eq!(out.status.code(), Some(1));
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("missing/") || said.contains("404"), "{said}");
        assert!(!dir.path().join(name).exists());
    }
    assert_eq!(
        stand_in
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.contains("tarball"))
            .count(),
        2
    );
}

#[test]
fn a_template_that_escapes_or_is_missing_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("evil");
    std::fs::create_dir_all(&evil).unwrap();
    std::fs::write(evil.join("edgespark.toml"), "project_id = \"x\"\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", evil.join("leak")).unwrap();
    let out = init(
        dir.path(),
        &[
            "a",
            "--agent",
            "claude",
            "--template",
            evil.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("link"));
    let out = init(
        dir.path(),
        &["b", "--agent", "claude", "--template", "/nonexistent/tpl"],
    );
    assert_eq!(out.status.code(), Some(1));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("evil")], "nothing made");
}
