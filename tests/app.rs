//! The fixture app, built by `edgespark build` with its real dependencies (hono, drizzle-orm,
//! zod, @hono/zod-validator from its committed lockfile), run under Node against a stand-in for
//! the platform's `edgespark` module: a script of requests must get the same statuses, bodies
//! and logs as esbuild's bundle of the same app.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

struct Built {
    _dir: tempfile::TempDir,
    project: PathBuf,
    run: PathBuf,
}

/// A copy of fixtures/app with its migrations generated, and a directory to run bundles in
/// whose node_modules holds the stand-in platform.
fn prepare() -> Built {
    let oracle = repo().join("tests/oracle");
    npm_ci(&oracle);
    npm_ci(&repo().join("fixtures/app/server"));
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("app");
    copy_project(&repo().join("fixtures/app"), &project);
    let generated = run(&project, &["db", "generate", "--name", "init"]);
    assert_success(&generated);
    let run_dir = dir.path().join("run");
    std::fs::create_dir_all(&run_dir).unwrap();
    std::os::unix::fs::symlink(oracle.join("node_modules"), run_dir.join("node_modules")).unwrap();
    Built {
        _dir: dir,
        project,
        run: run_dir,
    }
}

/// esbuild's bundle of the app with the options `edgespark build` uses.
fn esbuild(project: &Path, out: &Path, minify: bool) {
    let server = project.join("server");
    let mut cmd = Command::new(repo().join("tests/oracle/node_modules/.bin/esbuild"));
    cmd.arg("src/index.ts").args([
        "--bundle",
        "--format=esm",
        "--conditions=workerd,worker",
        "--main-fields=browser,module,main",
        "--tsconfig=tsconfig.json",
    ]);
    cmd.args([
        "--external:edgespark",
        "--external:edgespark/*",
        "--external:cloudflare:*",
        "--external:node:*",
    ])
    .arg(format!("--outfile={}", out.display()));
    if minify {
        cmd.arg("--minify");
    }
    let r = cmd.current_dir(&server).output().unwrap();
    assert!(
        r.status.success(),
        "esbuild: {}",
        String::from_utf8_lossy(&r.stderr)
    );
}

fn drive(b: &Built, bundle: &Path) -> String {
    node(
        &b.run,
        &repo().join("tests/oracle/drive_app.mjs"),
        &[
            bundle,
            &b.project.join("server/drizzle"),
            &repo().join("tests/oracle/requests/fixture_app.json"),
        ],
    )
}

/// `edgespark build ARGS` on the copy; the bundle is copied to the run directory as `file`.
/// Returns its path and what the command reported.
fn build(b: &Built, args: &[&str], file: &str) -> (PathBuf, String) {
    let built = run(&b.project, &[&["build"], args].concat());
    assert_success(&built);
    let ours = b.run.join(file);
    std::fs::copy(b.project.join("server/dist/bundle.js"), &ours).unwrap();
    (ours, String::from_utf8_lossy(&built.stderr).into_owned())
}

#[test]
fn the_built_app_answers_requests_like_esbuilds_bundle() {
    let b = prepare();
    let esbuilt = b.run.join("esbuild.js");
    esbuild(&b.project, &esbuilt, false);
    let want = drive(&b, &esbuilt);
    // The transcript must show the app working (a failure in the harness would also "match").
    for needle in [
        "POST /api/posts -> 201",
        "PUT /api/me/profile -> 400",
        "GET /api/public/feed -> 200",
        "\"received\":\"invoice.paid\"",
        "<title>Second post</title>",
        "404 <html><head><title>Not found</title>",
        // Storage per the platform's contract (the stand-in implements it).
        "PUT /api/files/c.txt -> 201 {\"uri\":\"s3://post-attachments/u1/c.txt\",\"size\":4}",
        "\"hasMore\":true,\"cursor\":\"dTEvYS8yLnR4dA\"",
        "GET /api/files?delimiter=/ -> 200 {\"files\":[{\"path\":\"u1/c.txt\",\"size\":4}],\"hasMore\":false,\"cursor\":null,\"folders\":[\"u1/a/\",\"u1/b/\"]}",
        "GET /api/files/read/b/3.txt -> 200 three",
        "GET /api/files -> 200 {\"files\":[{\"path\":\"u1/b/3.txt\",\"size\":5}]",
        "POST /api/files/avatar -> 401",
        "DELETE /api/posts/1 -> 200 {\"deleted\":1,\"left\":1}",
        "DELETE /api/posts/99 -> 404",
        "POST /api/files/avatar -> 201 {\"uri\":\"s3://avatars/u1/avatar.png\"",
    ] {
        assert!(
            want.contains(needle),
            "esbuild's bundle did not run as expected ({needle}):\n{want}"
        );
    }

    let (ours, report) = build(&b, &[], "ours.js");
    assert!(
        report.contains("server/dist/bundle.js") && report.contains("gzip"),
        "{report}"
    );
    let got = drive(&b, &ours);
    assert_eq!(got, want, "our bundle's transcript differs from esbuild's");
}

#[test]
fn the_minified_app_answers_requests_like_esbuilds_minified_bundle() {
    let b = prepare();
    let esbuilt = b.run.join("esbuild.min.js");
    esbuild(&b.project, &esbuilt, true);
    let want = drive(&b, &esbuilt);
    assert!(
        want.contains("POST /api/posts -> 201"),
        "esbuild's bundle did not run as expected:\n{want}"
    );

    let (ours, _) = build(&b, &["--minify"], "ours.min.js");
    // Minified code is one line, but for the newlines inside template literals (esbuild keeps
    // them too).
    let lines = |p: &Path| std::fs::read_to_string(p).unwrap().lines().count();
    assert!(
        lines(&ours) <= lines(&esbuilt) + 2,
        "--minify printed {} lines, esbuild {}",
        lines(&ours),
        lines(&esbuilt)
    );
    assert_eq!(
        drive(&b, &ours),
        want,
        "our minified bundle's transcript differs from esbuild's"
    );

    // The same bytes on one thread.
    let one = bin()
        .arg("-C")
        .arg(&b.project)
        .args(["build", "--minify"])
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    assert!(one.status.success());
    assert!(
        std::fs::read(b.project.join("server/dist/bundle.js")).unwrap()
            == std::fs::read(&ours).unwrap(),
        "--minify on one thread printed other bytes"
    );
}
