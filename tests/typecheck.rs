//! The type check on projects shaped like the official templates (TypeScript ^5.9 pinned,
//! `"baseUrl": "."`, web globals from @types/node): the native TypeScript 7 checks them through
//! a derived config without a byte of the user's files changing, reports errors on the user's
//! lines, and when neither the project nor PATH has a compiler, edgespark fetches one from the
//! registry (a stand-in here, serving a real package tarball), checks its integrity and caches
//! it.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// A copy of a fixture project whose server/node_modules is fixtures/app's (TypeScript 5, no
/// native compiler), migrated when it has tables.
fn project(dir: &Path, fixture: &str) -> PathBuf {
    let app_server = repo().join("fixtures/app/server");
    npm_ci(&app_server);
    let project = dir.join(fixture);
    copy_project(&repo().join("fixtures").join(fixture), &project);
    let modules = project.join("server/node_modules");
    if !modules.exists() {
        std::os::unix::fs::symlink(app_server.join("node_modules"), &modules).unwrap();
    }
    for args in [
        &["db", "generate", "--name", "init"][..],
        &["db", "migrate"],
    ] {
        let out = run(&project, args);
        assert_success(&out);
    }
    project
}

fn deploy(project: &Path, env: &[(&str, &Path)]) -> (i32, Value) {
    let mut cmd = bin();
    cmd.args(["deploy", "--dry-run", "--json"])
        .current_dir(project);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

fn typecheck_step(r: &Value) -> (String, String) {
    let step = &r["steps"][2];
    assert_eq!(step["name"], "type check");
    (
        step["status"].as_str().unwrap().into(),
        step["detail"].as_str().unwrap().into(),
    )
}

fn errors(r: &Value) -> String {
    r["errors"]
        .as_array()
        .unwrap()
        .iter()
        // Each error is a diagnostic; `text` is what a person reads.
        .map(|e| e["text"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The user's own files (not installed packages, build output or local state).
fn user_files(project: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    tree(project)
        .into_iter()
        .filter(|(p, _)| {
            let p = p.strip_prefix(project).unwrap();
            !p.starts_with(".edgespark") && !p.starts_with("server/dist")
        })
        .collect()
}

#[test]
fn a_typescript_5_project_is_checked_by_typescript_7_without_editing_it() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), "app");
    let tsc_dir = native_tsc_dir();
    let tsc = tsc_dir.join("tsc");

    // As it is, TypeScript 7 refuses the project's config: the check below is not vacuous.
    let direct = std::process::Command::new(&tsc)
        .args(["--noEmit", "-p", "."])
        .current_dir(project.join("server"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&direct.stdout).contains("error TS5102"));

    let before = user_files(&project);
    let (code, r) = deploy(&project, &[("PATH", &tsc_dir)]);
    assert_eq!(code, 0, "{r:#}");
    let (status, detail) = typecheck_step(&r);
    assert_eq!(status, "ok", "{detail}");
    assert!(detail.contains("TypeScript 7.0.2"), "{detail}");
    let notes = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect::<Vec<_>>();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("server/tsconfig.json:13:5: note: \"baseUrl\" is removed")),
        "{notes:#?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("\"types\" is not set") && n.contains("listed: node")),
        "{notes:#?}"
    );
    assert_eq!(notes.len(), 3, "one note per change: {notes:#?}");
    assert_eq!(
        user_files(&project),
        before,
        "the user's files are byte-identical"
    );

    // Twice on an unchanged project: the same bytes, nothing to pull.
    let (code, again) = deploy(&project, &[("PATH", &tsc_dir)]);
    assert_eq!((code, typecheck_step(&again).0.as_str()), (0, "cached"));
    assert_eq!(user_files(&project), before);
    assert_eq!(
        run(&project, &["pull", "types", "--check"]).status.code(),
        Some(0)
    );

    // A type error in a route file fails the deploy at that file's line.
    let route = project.join("server/src/routes/posts.ts");
    let mut text = std::fs::read_to_string(&route).unwrap();
    let line = text.lines().count() + 1;
    text.push_str("export const wrong: number = \"not a number\";\n");
    std::fs::write(&route, text).unwrap();
    let (code, r) = deploy(&project, &[("PATH", &tsc_dir)]);
    assert_eq!(code, 1);
    assert!(
        errors(&r).contains(&format!("server/src/routes/posts.ts:{line}:14: TS2322")),
        "{}",
        errors(&r)
    );

    // Code against the SDK contract type-checks; a use the contract does not allow does not.
    std::fs::write(
        &route,
        before.iter().find(|(p, _)| *p == route).unwrap().1.clone(),
    )
    .unwrap();
    std::fs::write(
        project.join("server/src/lib/wrong.ts"),
        "import { storage } from \"edgespark\";\nexport const u: string = storage.from({ bucket_name: \"x\", description: \"\" }).createPresignedGetUrl(\"p\");\n",
    )
    .unwrap();
    let (code, r) = deploy(&project, &[("PATH", &tsc_dir)]);
    assert_eq!(code, 1);
    assert!(
        errors(&r).contains("server/src/lib/wrong.ts:2:"),
        "{}",
        errors(&r)
    );
}

#[test]
fn a_config_extending_a_base_with_removed_options_is_mapped_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), "starter");
    write(
        &project,
        "tsconfig.base.json",
        r#"{
  // Shared by server and web, written for TypeScript 5.
  "compilerOptions": {
    "target": "es5",
    "lib": ["ESNext"],
    "moduleResolution": "node",
    "esModuleInterop": false,
    "downlevelIteration": true,
    "skipLibCheck": true,
    "strict": true,
    "baseUrl": "./server",
    "paths": {
      "@defs": ["src/defs/index.ts"],
      "@sdk/server-types": ["src/__generated__/server-types.d.ts"],
      "edgespark": ["src/__generated__/edgespark.d.ts"],
      "edgespark/*": ["src/__generated__/edgespark.d.ts"],
    },
  },
}
"#,
    );
    write(
        &project,
        "server/tsconfig.json",
        "{\n  \"extends\": \"../tsconfig.base.json\",\n  \"compilerOptions\": { \"module\": \"ESNext\", \"noEmit\": true },\n  \"include\": [\"${configDir}/src/**/*\"]\n}\n",
    );
    let before = user_files(&project);
    let tsc_dir = native_tsc_dir();
    let (code, r) = deploy(&project, &[("PATH", &tsc_dir)]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(typecheck_step(&r).0, "ok");
    let notes = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for expected in [
        "tsconfig.base.json:4:5: note: \"target\": \"es5\" is removed in TypeScript 7; checked as es2015",
        "tsconfig.base.json:6:5: note: \"moduleResolution\": \"node\" is removed in TypeScript 7; checked as bundler",
        "tsconfig.base.json:7:5: note: \"esModuleInterop\": false is removed",
        "tsconfig.base.json:8:5: note: \"downlevelIteration\" is removed",
        "tsconfig.base.json:11:5: note: \"baseUrl\" is removed in TypeScript 7 (TS5102): \"paths\" are resolved from it, and \"*\": [\"./*\"]",
    ] {
        assert!(notes.contains(expected), "{expected}\n{notes}");
    }
    assert_eq!(user_files(&project), before);

    // Errors still land on the user's file and line.
    write(
        &project,
        "server/src/routes/bad.ts",
        "export const n: number = \"x\";\n",
    );
    let (code, r) = deploy(&project, &[("PATH", &tsc_dir)]);
    assert_eq!(code, 1);
    assert!(
        errors(&r).contains("server/src/routes/bad.ts:1:14: TS2322"),
        "{}",
        errors(&r)
    );
}

/// A registry stand-in: the package document of the native compiler (with the given
/// integrity value) and its tarball.
fn serve_registry(tarball: Vec<u8>, integrity: String) -> StandIn {
    let stand_in = StandIn::bind();
    let doc = serde_json::json!({
        "name": "@typescript/typescript-linux-x64",
        "versions": { "7.0.2": { "version": "7.0.2", "dist": {
            "tarball": format!("{}tarballs/typescript-linux-x64-7.0.2.tgz", stand_in.url),
            "integrity": integrity,
        } } }
    });
    stand_in.serve(
        [
            (
                "/@typescript%2ftypescript-linux-x64".to_string(),
                (200, vec![], doc.to_string().into_bytes()),
            ),
            (
                "/tarballs/typescript-linux-x64-7.0.2.tgz".to_string(),
                (200, vec![], tarball),
            ),
        ]
        .into_iter()
        .collect(),
    )
}

/// The installed native compiler package packed as npm packs it (everything under `package/`).
fn compiler_tarball() -> Vec<u8> {
    native_tsc_dir();
    tar_gz(
        &repo().join("tests/scaffold/node_modules/@typescript/typescript-linux-x64"),
        "package",
    )
}

fn sri(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes))
    )
}

#[test]
fn the_compiler_is_fetched_from_the_registry_checked_and_cached() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), "starter");
    let cache = dir.path().join("cache");
    let no_path = Path::new("/nonexistent");
    let tarball = compiler_tarball();
    let package_dir = cache.join("edgespark/npm/@typescript/typescript-linux-x64");

    // A tarball that does not match the registry's integrity hash is refused; nothing is kept.
    let wrong = serve_registry(tarball.clone(), sri(b"something else"));
    let (code, r) = deploy(
        &project,
        &[
            ("PATH", no_path),
            ("XDG_CACHE_HOME", &cache),
            ("NPM_CONFIG_REGISTRY", Path::new(&wrong.url)),
        ],
    );
    assert_eq!(code, 1);
    assert!(
        errors(&r).contains("does not match its integrity hash"),
        "{}",
        errors(&r)
    );
    assert!(errors(&r).contains("--typecheck off"), "{}", errors(&r));
    let left: Vec<_> = std::fs::read_dir(&package_dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "nothing is left in the cache: {left:?}");

    // The right one is fetched, unpacked and used; the registry comes from the project's .npmrc.
    let integrity = sri(&tarball);
    let good = serve_registry(tarball, integrity);
    write(
        &project,
        "server/.npmrc",
        &format!("registry={}\n", good.url),
    );
    let mut cmd = bin();
    let out = cmd
        .args(["deploy", "--dry-run", "--json"])
        .current_dir(&project)
        .env_remove("NPM_CONFIG_REGISTRY")
        .env("PATH", no_path)
        .env("XDG_CACHE_HOME", &cache)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{r:#}");
    assert_eq!(typecheck_step(&r).0, "ok");
    assert_eq!(
        r["compiler"],
        format!("TypeScript 7.0.2 (fetched from {})", good.url)
    );
    assert!(package_dir.join("7.0.2/lib/tsc").is_file());
    assert_eq!(
        good.requests.lock().unwrap().len(),
        2,
        "the document and the tarball"
    );

    // Later runs use the cache, even offline.
    write(
        &project,
        "server/src/routes/extra.ts",
        "export const x = 1;\n",
    );
    let (code, r) = deploy(&project, &[("PATH", no_path), ("XDG_CACHE_HOME", &cache)]);
    assert_eq!((code, typecheck_step(&r).0.as_str()), (0, "ok"), "{r:#}");
    assert!(
        r["compiler"].as_str().unwrap().contains("cached in"),
        "{r:#}"
    );
    assert_eq!(good.requests.lock().unwrap().len(), 2);
}

fn tsc_passes(tsc: &Path, server: &Path) {
    let out = std::process::Command::new(tsc)
        .args(["--noEmit", "-p", "."])
        .current_dir(server)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} -p {}:\n{}",
        tsc.display(),
        server.display(),
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn doctor_shows_the_tsconfig_for_typescript_7_and_writes_it_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), "app");
    let server = project.join("server");
    let tsconfig = server.join("tsconfig.json");
    let original = std::fs::read_to_string(&tsconfig).unwrap();
    let tsc_dir = native_tsc_dir();

    let out = bin()
        .args(["doctor"])
        .current_dir(&project)
        .env("PATH", &tsc_dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for line in [
        "written for: TypeScript 5",
        "type check:  TypeScript 7.0.2",
        "-    \"baseUrl\": \".\",",
        "+      \"@defs\": [\"./src/defs/index.ts\"],",
        "+      \"*\": [\"./*\"]",
        "+    \"types\": [\"node\"],",
        "Nothing written",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert_eq!(std::fs::read_to_string(&tsconfig).unwrap(), original);

    let out = bin()
        .args(["doctor", "--write"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_ne!(std::fs::read_to_string(&tsconfig).unwrap(), original);
    // Both compilers take the written config as it is.
    tsc_passes(&tsc_dir.join("tsc"), &server);
    let ts5 = std::process::Command::new("node")
        .args(["node_modules/typescript/bin/tsc", "--noEmit", "-p", "."])
        .current_dir(&server)
        .output()
        .unwrap();
    assert!(
        ts5.status.success(),
        "{}",
        String::from_utf8_lossy(&ts5.stdout)
    );
    // Nothing left to derive: the check reads the user's config itself.
    let (code, r) = deploy(&project, &[("PATH", &tsc_dir)]);
    assert_eq!((code, typecheck_step(&r).0.as_str()), (0, "ok"), "{r:#}");
    assert_eq!(r["notes"].as_array().unwrap().len(), 0, "{r:#}");
    let out = bin()
        .args(["doctor"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("ready for TypeScript 7 as it is"));
}

#[test]
fn doctor_edits_each_file_of_an_extends_chain_keeping_comments() {
    let dir = tempfile::tempdir().unwrap();
    let project = project(dir.path(), "starter");
    write(
        &project,
        "tsconfig.base.json",
        "{\n  // shared settings\n  \"compilerOptions\": {\n    \"target\": \"es5\", // old browsers\n    \"lib\": [\"ESNext\"],\n    \"moduleResolution\": \"node\",\n    \"downlevelIteration\": true,\n    \"skipLibCheck\": true,\n    \"baseUrl\": \"./server\",\n    \"paths\": { \"@defs\": [\"src/defs/index.ts\"], \"@sdk/server-types\": [\"src/__generated__/server-types.d.ts\"], \"edgespark\": [\"src/__generated__/edgespark.d.ts\"], \"edgespark/*\": [\"src/__generated__/edgespark.d.ts\"] }\n  }\n}\n",
    );
    write(
        &project,
        "server/tsconfig.json",
        "{\n  \"extends\": \"../tsconfig.base.json\",\n  \"include\": [\"src/**/*\"]\n}\n",
    );
    let out = bin()
        .args(["doctor", "--write"])
        .current_dir(&project)
        .output()
        .unwrap();
    assert_success(&out);
    let base = std::fs::read_to_string(project.join("tsconfig.base.json")).unwrap();
    assert!(
        base.contains("// shared settings")
            && base.contains("\"target\": \"es2015\", // old browsers"),
        "{base}"
    );
    assert!(
        !base.contains("baseUrl") && !base.contains("downlevelIteration"),
        "{base}"
    );
    assert!(
        base.contains("\"@defs\": [\"./server/src/defs/index.ts\"]"),
        "{base}"
    );
    tsc_passes(&native_tsc_dir().join("tsc"), &project.join("server"));
}
