//! Bad input and faults, as an adversarial user brings them: nothing outside the project is
//! touched, nothing is lost, nothing panics or aborts. One test per defect found (issue 1/6),
//! each failing before its fix.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::*;

/// A small project with every file the commands read; `files` replace or add files.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let base: &[(&str, &str)] = &[
        (
            "edgespark.toml",
            "project_id = \"00000000-0000-4000-8000-000000000009\"\n\n[server]\npath = \"server\"\n",
        ),
        (
            "server/src/index.ts",
            "import { Hono } from \"hono\";\nconst app = new Hono();\napp.get(\"/api/public/hi\", (c) => c.text(\"hi\"));\nexport default app;\n",
        ),
        (
            "server/src/defs/db_schema.ts",
            "import { sqliteTable, text, integer } from \"drizzle-orm/sqlite-core\";\nexport const notes = sqliteTable(\"notes\", { id: integer(\"id\").primaryKey(), body: text(\"body\").notNull() });\n",
        ),
        (
            "server/src/defs/runtime.ts",
            "export type VarKey = \"SITE_NAME\";\nexport type SecretKey = \"API_KEY\";\n",
        ),
        (
            "server/src/defs/storage_schema.ts",
            "export const files = { bucket_name: \"files\", description: \"Files\" };\n",
        ),
        ("configs/auth-config.yaml", "disableSignUp: false\n"),
        // A stand-in for hono, so the server bundles without npm.
        (
            "server/node_modules/hono/package.json",
            "{\"name\": \"hono\", \"version\": \"4.0.0\", \"type\": \"module\", \"main\": \"index.js\"}\n",
        ),
        (
            "server/node_modules/hono/index.js",
            "export class Hono { get() { return this; } post() { return this; } route() { return this; } }\n",
        ),
    ];
    for (path, text) in base.iter().chain(files) {
        write(dir.path(), path, text);
    }
    dir
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(dir: &Path, args: &[&str]) -> Output {
    let out = run(dir, args);
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    out
}

fn fails(dir: &Path, args: &[&str], code: i32, message: &str) -> String {
    let out = run(dir, args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        err.contains(message),
        "{args:?}: expected {message:?} in:\n{err}"
    );
    err
}

/// Neither a panic (101) nor an abort (134, or killed by a signal).
fn assert_no_crash(out: &Output, what: &str) {
    let code = out.status.code();
    assert!(
        code.is_some() && code != Some(101) && code != Some(134) && code != Some(70),
        "{what}: {:?}\n{}",
        out.status,
        stderr(out)
    );
}

// 1. Bucket names are names, never paths.

#[test]
fn bucket_names_that_are_paths_are_refused_and_nothing_outside_is_touched() {
    for bad in [
        "..",
        ".",
        "",
        "../../../../x",
        "/tmp/edgespark-abs-bucket",
        "UPPER",
        "ab",
        "a_b",
    ] {
        let p = project(&[(
            "server/src/defs/storage_schema.ts",
            &format!("export const b = {{ bucket_name: {bad:?}, description: \"x\" }};\n"),
        )]);
        let err = fails(p.path(), &["storage", "apply"], 1, "invalid bucket_name");
        assert!(err.contains("storage_schema.ts:1:"), "{err}");
        assert!(
            !p.path().join(".edgespark/local/buckets").exists(),
            "{bad:?}: no folder made"
        );
    }
    assert!(!Path::new("/tmp/edgespark-abs-bucket").exists());
    let p = project(&[(
        "server/src/defs/storage_schema.ts",
        "export const a = { bucket_name: \"same\" };\nexport const b = { bucket_name: \"same\" };\n",
    )]);
    fails(p.path(), &["storage", "apply"], 1, "declared twice");
}

#[test]
fn a_recorded_bucket_named_dot_dot_is_forgotten_without_deleting_anything() {
    // A platform state written before names were checked.
    let p = project(&[]);
    ok(p.path(), &["var", "set", "SITE_NAME=x"]);
    ok(p.path(), &["storage", "apply"]);
    let local = p.path().join(".edgespark/local");
    let outside = p.path().join("outside-keep");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(local.join("buckets/files/object"), "o").unwrap();
    let state = r#"{"..": {"description": "", "created_at": 1}, "../../outside-keep": {"description": "", "created_at": 1}, "files": {"description": "Files", "created_at": 1}}"#;
    std::fs::write(local.join("buckets.json"), state).unwrap();
    let out = ok(p.path(), &["storage", "apply", "--confirm-dangerous"]);
    assert!(
        stderr(&out).contains("no folder removed"),
        "{}",
        stderr(&out)
    );
    assert!(
        local.join("vars.json").is_file(),
        "the platform's state is intact"
    );
    assert!(
        local.join("buckets/files/object").is_file(),
        "a declared bucket keeps its objects"
    );
    assert!(outside.is_dir());
}

#[cfg(unix)]
#[test]
fn removing_a_bucket_whose_folder_is_a_symlink_leaves_the_target() {
    let p = project(&[]);
    ok(p.path(), &["storage", "apply"]);
    let buckets = p.path().join(".edgespark/local/buckets");
    let target = tempfile::tempdir().unwrap();
    std::fs::write(target.path().join("keep"), "k").unwrap();
    std::fs::remove_dir_all(buckets.join("files")).unwrap();
    std::os::unix::fs::symlink(target.path(), buckets.join("files")).unwrap();
    write(
        p.path(),
        "server/src/defs/storage_schema.ts",
        "export {};\n",
    );
    ok(p.path(), &["storage", "apply", "--confirm-dangerous"]);
    assert!(target.path().join("keep").is_file());
    assert!(!buckets.join("files").exists());
}

// 2. `bundle` never writes over its input, nor two outputs over each other.

#[test]
fn bundle_refuses_to_overwrite_its_inputs_and_keeps_same_named_entries_apart() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "a.ts",
        "export const a: number = 1;\nconsole.log(a);\n",
    );
    write(d.path(), "c.js", "console.log('c');\n");
    write(d.path(), "dep.js", "export default 2;\n");
    write(
        d.path(),
        "main.js",
        "import d from './dep.js';\nconsole.log(d);\n",
    );
    let before = tree(d.path());
    fails(
        d.path(),
        &["bundle", "a.ts", "--outfile", "a.ts"],
        1,
        "refusing to overwrite input file",
    );
    fails(
        d.path(),
        &["bundle", "c.js", "--outdir", "."],
        1,
        "refusing to overwrite input file",
    );
    fails(
        d.path(),
        &["bundle", "main.js", "--outfile", "dep.js"],
        1,
        "refusing to overwrite input file",
    );
    assert_eq!(tree(d.path()), before, "nothing was written");
    write(d.path(), "x/index.ts", "console.log('x');\n");
    write(d.path(), "y/index.ts", "console.log('y');\n");
    ok(
        d.path(),
        &["bundle", "x/index.ts", "y/index.ts", "--outdir", "out"],
    );
    assert!(
        std::fs::read_to_string(d.path().join("out/x/index.js"))
            .unwrap()
            .contains("'x'")
    );
    assert!(
        std::fs::read_to_string(d.path().join("out/y/index.js"))
            .unwrap()
            .contains("'y'")
    );
    write(d.path(), "x/index.js", "console.log('x2');\n");
    fails(
        d.path(),
        &["bundle", "x/index.ts", "x/index.js", "--outdir", "out2"],
        1,
        "would both be written to",
    );
    assert!(!d.path().join("out2").exists());
}

#[test]
fn bundle_with_a_missing_dash_c_directory_fails() {
    let out = bin()
        .args([
            "-C",
            "/nonexistent-edgespark",
            "bundle",
            "a.ts",
            "--outfile",
            "b.js",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("/nonexistent-edgespark"));
}

// 3. A migration SQLite would read only partly applies nothing.

fn custom_migration(p: &Path, sql: &[u8]) {
    ok(p, &["db", "generate", "--name", "init"]);
    ok(p, &["db", "generate", "--custom", "--name", "custom"]);
    std::fs::write(p.join("server/drizzle/0001_custom.sql"), sql).unwrap();
}

fn tables(db: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_nul_byte_in_a_migration_applies_nothing() {
    let p = project(&[]);
    custom_migration(p.path(), b"CREATE TABLE a(x);\0\nCREATE TABLE b(y);");
    let err = fails(
        p.path(),
        &["db", "migrate"],
        1,
        "0001_custom.sql:1:19: cannot read this migration: a NUL byte",
    );
    assert!(err.contains("nothing was applied"), "{err}");
    let db = p.path().join(".edgespark/local/d1.sqlite");
    assert!(
        !db.exists() || tables(&db).iter().all(|t| t != "a" && t != "notes"),
        "not even the first migration: {:?}",
        tables(&db)
    );
    custom_migration_text(p.path(), b"CREATE TABLE a(x);\nSELECT '\xff';");
    fails(
        p.path(),
        &["db", "migrate"],
        1,
        "0001_custom.sql:2:9: cannot read this migration: a byte that is not UTF-8",
    );
    let check = fails(p.path(), &["db", "check"], 1, "problem(s) found");
    assert!(
        String::from_utf8_lossy(&run(p.path(), &["db", "check"]).stdout)
            .contains("0001_custom.sql:2:9: cannot be read"),
        "{check}"
    );
}

fn custom_migration_text(p: &Path, sql: &[u8]) {
    std::fs::write(p.join("server/drizzle/0001_custom.sql"), sql).unwrap();
}

// 4. No nesting depth aborts the process.

fn nested(kind: &str, n: usize) -> String {
    match kind {
        "parens" => format!("{}1{}", "(".repeat(n), ")".repeat(n)),
        "arrays" => format!("{}1{}", "[".repeat(n), "]".repeat(n)),
        "objects" => format!("{}1{}", "{a:".repeat(n), "}".repeat(n)),
        "calls" => format!("{}1{}", "f(".repeat(n), ")".repeat(n)),
        "plus" => format!("1{}", "+x".repeat(n)),
        "ternary" => format!("{}0", "x?1:".repeat(n)),
        "unary" => format!("{}x", "!".repeat(n)),
        "members" => format!("x{}", ".y".repeat(n)),
        "arrows" => format!("{}0", "()=>".repeat(n)),
        "functions" => format!("{}0{}", "function(){return ".repeat(n), "}".repeat(n)),
        "keywords" => format!("{}x", "typeof ".repeat(n)),
        _ => unreachable!(),
    }
}

const SHAPES: &[&str] = &[
    "parens",
    "arrays",
    "objects",
    "calls",
    "plus",
    "ternary",
    "unary",
    "members",
    "arrows",
    "functions",
    "keywords",
];

#[test]
fn deeply_nested_code_is_bundled_or_refused_with_its_place_never_aborts() {
    let d = tempfile::tempdir().unwrap();
    for n in [3_900, 100_000] {
        for shape in SHAPES {
            write(
                d.path(),
                "deep.js",
                &format!(
                    "const f = (x) => x, x = 1;\nexport const v = {};\n",
                    nested(shape, n)
                ),
            );
            for extra in [&[][..], &["--minify"]] {
                let out = bin()
                    .args(["bundle", "deep.js", "--outfile", "out.js"])
                    .args(extra)
                    .current_dir(d.path())
                    .output()
                    .unwrap();
                assert_no_crash(&out, &format!("{shape} x{n} {extra:?}"));
                if !out.status.success() {
                    assert!(
                        stderr(&out).contains("deep.js:2:"),
                        "{shape} x{n}: {}",
                        stderr(&out)
                    );
                }
            }
        }
        write(
            d.path(),
            "blocks.js",
            &format!("{}x(){}", "{".repeat(n), "}".repeat(n)),
        );
        let out = bin()
            .args(["bundle", "blocks.js", "--outfile", "out.js"])
            .current_dir(d.path())
            .output()
            .unwrap();
        assert_no_crash(&out, &format!("blocks x{n}"));
    }
}

#[test]
fn deeply_nested_project_files_never_abort_any_command() {
    for shape in SHAPES {
        let deep = nested(shape, 100_000);
        let p = project(&[
            (
                "server/src/index.ts",
                &format!(
                    "import {{ Hono }} from \"hono\";\nconst f = (x: any) => x, x: any = 1;\nconst app = new Hono();\nconst v = {deep};\nexport default app;\n"
                ),
            ),
            (
                "server/src/defs/db_schema.ts",
                &format!(
                    "import {{ sqliteTable, integer }} from \"drizzle-orm/sqlite-core\";\nconst f = (x: any) => x, x: any = 1;\nexport const t = sqliteTable(\"t\", {{ id: integer(\"id\").default({deep}) }});\n"
                ),
            ),
            (
                "server/src/defs/runtime.ts",
                &format!(
                    "const v = {deep};\nexport type VarKey = \"SITE_NAME\";\nexport type SecretKey = never;\n"
                ),
            ),
            (
                "server/src/defs/storage_schema.ts",
                &format!(
                    "const f = (x: any) => x, x: any = 1;\nexport const b = {{ bucket_name: \"files\", description: String({deep}) }};\n"
                ),
            ),
        ]);
        for args in [
            &["db", "generate"][..],
            &["db", "check"],
            &["routes"],
            &["build"],
            &["var", "set", "SITE_NAME=x"],
            &["storage", "apply"],
            &["deploy", "--dry-run", "--typecheck", "off"],
            &["pull"],
        ] {
            let out = run(p.path(), args);
            assert_no_crash(&out, &format!("{shape}: {args:?}"));
        }
    }
}

#[test]
fn a_schema_helper_that_calls_itself_forever_is_an_error_at_its_call() {
    let p = project(&[(
        "server/src/defs/db_schema.ts",
        "import { sqliteTable, integer } from \"drizzle-orm/sqlite-core\";\nconst d = (n: number): number => d(n + 1);\nexport const t = sqliteTable(\"t\", { id: integer(\"id\").default(d(0)) });\n",
    )]);
    fails(p.path(), &["db", "generate"], 1, "db_schema.ts:2:");
}

// 5. A closed stdout ends a command quietly.

fn with_closed_stdout(dir: &Path, args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    std::process::Command::new(env!("CARGO_BIN_EXE_edgespark"))
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn every_command_ends_quietly_on_a_closed_stdout() {
    let p = project(&[]);
    ok(p.path(), &["db", "generate", "--name", "init"]);
    ok(p.path(), &["var", "set", "SITE_NAME=x"]);
    let commands: &[&[&str]] = &[
        &["--help"],
        &["routes"],
        &["routes", "--json"],
        &["auth", "get"],
        &["auth", "get", "--json"],
        &["auth", "apply"],
        &["var", "list"],
        &["var", "list", "--json"],
        &["secret", "list"],
        &["secret", "list", "--json"],
        &["log", "tail"],
        &["log", "tail", "--json"],
        &["storage", "apply"],
        &["storage", "bucket", "list"],
        &["storage", "bucket", "list", "--json"],
        &["db", "migrate", "--json"],
        &["db", "check"],
        &["db", "check", "--json"],
        &["db", "generate", "--json"],
        &[
            "db",
            "diff",
            "empty",
            "server/drizzle/meta/0000_snapshot.json",
        ],
        &["pull", "--check"],
        &["deploy", "--typecheck", "off"],
        &["deploy", "--json", "--typecheck", "off"],
        &["build"],
        &["var", "delete", "SITE_NAME"],
        &["var", "set", "SITE_NAME=y"],
        &["secret", "set", "--stdin", "API_KEY"],
        &["secret", "delete", "API_KEY"],
        &["auth", "pull"],
        &["pull"],
        &["pull", "types", "--check"],
        &["db", "generate", "--custom", "--name", "c"],
        &["bundle", "server/src/index.ts", "--outfile", "b.js"],
    ];
    for args in commands {
        let out = with_closed_stdout(p.path(), args);
        assert_no_crash(&out, &format!("{args:?}"));
        assert!(
            !stderr(&out).contains("panicked") && !stderr(&out).contains("Broken pipe"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // deploy went live despite its closed stdout, and said so with its exit code.
    let out = with_closed_stdout(p.path(), &["deploy", "--typecheck", "off"]);
    let live = p.path().join(".edgespark/local/live.json").is_file();
    assert_eq!(out.status.success(), live, "{}", stderr(&out));
    let init_dir = tempfile::tempdir().unwrap();
    assert_no_crash(
        &with_closed_stdout(init_dir.path(), &["init", "demo", "--agent", "claude"]),
        "init",
    );
}

// 6. `--name` is a file name, and the journal's tags too.

#[test]
fn a_migration_name_that_is_a_path_is_refused() {
    let p = project(&[]);
    for bad in ["../../../../../evil", "a/b", "line\nbreak", "", ".."] {
        fails(p.path(), &["db", "generate", "--name", bad], 2, "--name");
    }
    assert!(!p.path().join("server/drizzle").exists(), "nothing written");
    // A journal edited to point outside the folder.
    ok(p.path(), &["db", "generate", "--name", "init"]);
    let journal = p.path().join("server/drizzle/meta/_journal.json");
    let text = std::fs::read_to_string(&journal)
        .unwrap()
        .replace("\"0000_init\"", "\"../../evil\"");
    std::fs::write(&journal, text).unwrap();
    write(p.path(), "server/evil.sql", "CREATE TABLE evil(x);");
    fails(p.path(), &["db", "check"], 1, "problem");
    let check = String::from_utf8_lossy(&run(p.path(), &["db", "check"]).stdout).into_owned();
    assert!(check.contains("not a file name"), "{check}");
    fails(p.path(), &["db", "migrate"], 1, "not a file name");
    fails(p.path(), &["db", "generate"], 1, "not a file name");
    assert!(
        !p.path().join(".edgespark/local/d1.sqlite").exists()
            || !tables(&p.path().join(".edgespark/local/d1.sqlite")).contains(&"evil".to_string())
    );
}

// 7. Generate and migrate check the chain before they write or apply anything.

#[test]
fn a_missing_snapshot_or_a_duplicated_entry_stops_generate_and_migrate() {
    let p = project(&[]);
    ok(p.path(), &["db", "generate", "--name", "init"]);
    write(
        p.path(),
        "server/src/defs/db_schema.ts",
        "import { sqliteTable, text, integer } from \"drizzle-orm/sqlite-core\";\nexport const notes = sqliteTable(\"notes\", { id: integer(\"id\").primaryKey(), body: text(\"body\").notNull(), title: text(\"title\") });\n",
    );
    ok(p.path(), &["db", "generate", "--name", "title"]);
    write(
        p.path(),
        "server/src/defs/db_schema.ts",
        "import { sqliteTable, text, integer } from \"drizzle-orm/sqlite-core\";\nexport const notes = sqliteTable(\"notes\", { id: integer(\"id\").primaryKey(), body: text(\"body\").notNull(), title: text(\"title\"), tag: text(\"tag\") });\n",
    );
    let snapshot = p.path().join("server/drizzle/meta/0001_snapshot.json");
    let saved = std::fs::read(&snapshot).unwrap();
    std::fs::remove_file(&snapshot).unwrap();
    let before = tree(p.path());
    let err = fails(
        p.path(),
        &["db", "generate", "--name", "tag"],
        1,
        "has no snapshot meta/0001_snapshot.json",
    );
    assert!(
        err.contains("title"),
        "the replay shows what the missing snapshot had: {err}"
    );
    assert_eq!(tree(p.path()), before, "nothing written");
    std::fs::write(&snapshot, saved).unwrap();
    // The journal lists 0001 twice.
    let journal = p.path().join("server/drizzle/meta/_journal.json");
    let mut j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    let dup = j["entries"][1].clone();
    j["entries"].as_array_mut().unwrap().push(dup);
    std::fs::write(&journal, serde_json::to_string_pretty(&j).unwrap()).unwrap();
    fails(p.path(), &["db", "migrate"], 1, "is listed twice");
    fails(
        p.path(),
        &["db", "generate", "--name", "tag"],
        1,
        "is listed twice",
    );
    assert!(
        !p.path().join(".edgespark/local/d1.sqlite").exists(),
        "no database made"
    );
}

#[test]
fn a_hand_written_migration_without_a_snapshot_does_not_stop_generate() {
    // As in real histories: a custom migration added by hand, with no snapshot, that leaves the
    // schema as the last snapshot describes it.
    let p = project(&[]);
    ok(p.path(), &["db", "generate", "--name", "init"]);
    ok(
        p.path(),
        &["db", "generate", "--custom", "--name", "cleanup"],
    );
    std::fs::write(
        p.path().join("server/drizzle/0001_cleanup.sql"),
        "DELETE FROM notes WHERE body = '';\n",
    )
    .unwrap();
    std::fs::remove_file(p.path().join("server/drizzle/meta/0001_snapshot.json")).unwrap();
    write(
        p.path(),
        "server/src/defs/db_schema.ts",
        "import { sqliteTable, text, integer } from \"drizzle-orm/sqlite-core\";\nexport const notes = sqliteTable(\"notes\", { id: integer(\"id\").primaryKey(), body: text(\"body\").notNull(), title: text(\"title\") });\n",
    );
    ok(p.path(), &["db", "generate", "--name", "title"]);
    ok(p.path(), &["db", "migrate", "--confirm-dangerous"]);
}

// 8–9. Names that would break the SQL, and definitions that would be lost, are refused.

#[test]
fn schema_names_that_break_sql_and_lost_definitions_are_errors_with_places() {
    let cases: &[(&str, &str)] = &[
        ("sqliteTable(\"a`b\", { id: integer(\"id\") })", "holds '`'"),
        (
            "sqliteTable(\"t\", { id: integer(\"x`); DROP TABLE users; --\") })",
            "holds '`'",
        ),
        (
            "sqliteTable(\"t\", { id: integer(\"i\\\"d\") })",
            "holds '\"'",
        ),
        (
            "sqliteTable(\"t\", { id: integer(\"id\") }, (t) => [index(\"i`x\").on(t.id)])",
            "holds '`'",
        ),
        (
            "sqliteTable(\"t\", { id: integer(\"id\"), other: text(\"id\") })",
            "has two columns named `id`",
        ),
        (
            "sqliteTable(\"t\", { id: integer(\"id\", { mode: \"bogus\" }) })",
            "has no mode \"bogus\"",
        ),
        (
            "sqliteTable(\"t\", { id: text(\"id\", { mode: \"number\" }) })",
            "has no mode \"number\"",
        ),
    ];
    for (table, message) in cases {
        let p = project(&[(
            "server/src/defs/db_schema.ts",
            &format!(
                "import {{ sqliteTable, text, integer, index }} from \"drizzle-orm/sqlite-core\";\nexport const t = {table};\n"
            ),
        )]);
        let err = fails(p.path(), &["db", "generate"], 1, message);
        assert!(err.contains("db_schema.ts:2:"), "{table}: {err}");
        assert!(!p.path().join("server/drizzle").exists());
    }
    let p = project(&[(
        "server/src/defs/db_schema.ts",
        "import { sqliteTable, text } from \"drizzle-orm/sqlite-core\";\nexport const posts = sqliteTable(\"posts\", { a: text(\"a\") });\nexport const posts2 = sqliteTable(\"posts\", { b: text(\"b\") });\nexport { posts as again };\n",
    )]);
    let err = fails(
        p.path(),
        &["db", "generate"],
        1,
        "a second table named `posts`",
    );
    assert!(
        err.contains("db_schema.ts:3:") && err.contains("db_schema.ts:2:"),
        "{err}"
    );
}

// 10. runtime.ts is read as TypeScript.

#[test]
fn a_broken_runtime_ts_is_a_syntax_error_with_its_place() {
    for text in [
        "export type VarKey = \"SITE_NAME | \"OTHER\";\nexport type SecretKey = never;\n",
        "export type VarKey = \"SITE_NA",
    ] {
        let p = project(&[("server/src/defs/runtime.ts", text)]);
        let err = fails(p.path(), &["var", "set", "SITE_NAME=x"], 1, "runtime.ts:1:");
        assert!(err.contains("syntax error"), "{err}");
        fails(
            p.path(),
            &["deploy", "--dry-run", "--typecheck", "off"],
            1,
            "runtime.ts:1:",
        );
    }
}

// 11. An auth config that cannot be read is an error, not a missing file.

#[test]
fn an_unreadable_or_ambiguous_auth_config_is_refused() {
    let p = project(&[]);
    std::fs::write(
        p.path().join("configs/auth-config.yaml"),
        b"disableSignUp: false\nsession: \xff\xfe\n",
    )
    .unwrap();
    fails(
        p.path(),
        &["auth", "apply"],
        1,
        "auth-config.yaml:2:10: not UTF-8 text",
    );
    let out = run(
        p.path(),
        &["deploy", "--dry-run", "--json", "--typecheck", "off"],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not UTF-8 text"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1));
    std::fs::remove_file(p.path().join("configs/auth-config.yaml")).unwrap();
    std::fs::create_dir(p.path().join("configs/auth-config.yaml")).unwrap();
    fails(p.path(), &["auth", "apply"], 1, "auth-config.yaml");
    let out = run(
        p.path(),
        &["deploy", "--dry-run", "--json", "--typecheck", "off"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    std::fs::remove_dir(p.path().join("configs/auth-config.yaml")).unwrap();
    write(
        p.path(),
        "configs/auth-config.yaml",
        "disableSignUp: false\ndisableSignUp: true\n",
    );
    fails(
        p.path(),
        &["auth", "apply"],
        1,
        "auth-config.yaml:2:1: key `disableSignUp` is given twice",
    );
}

// 12. The smaller ones.

#[test]
fn migrate_names_each_refused_statement_by_its_own_line_and_reads_renames_right() {
    let p = project(&[]);
    custom_migration(
        p.path(),
        b"CREATE TABLE x(a);\nCREATE TABLE y(a);\n\nDROP TABLE x;\nALTER TABLE y RENAME TO y2;\n",
    );
    let err = fails(
        p.path(),
        &["db", "migrate"],
        1,
        "0001_custom.sql:4: DROP TABLE x",
    );
    assert!(
        err.contains("0001_custom.sql:5: RENAME TABLE y TO y2"),
        "{err}"
    );
    assert!(!err.contains("TO TO"), "{err}");
}

#[test]
fn temp_files_of_a_killed_write_are_removed_by_the_next_command() {
    let p = project(&[]);
    ok(p.path(), &["var", "set", "SITE_NAME=x"]);
    let local = p.path().join(".edgespark/local");
    let stale = [
        local.join(".edgespark-tmp-abc"),
        local.join("deployments/.edgespark-tmp-def"),
        p.path().join("server/dist/.edgespark-tmp-ghi"),
        local.join(".tmpAbC123"),
    ];
    for f in &stale {
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, "half").unwrap();
    }
    ok(p.path(), &["var", "list"]);
    for f in &stale {
        assert!(!f.exists(), "{} is left", f.display());
    }
}

#[test]
fn a_server_path_that_does_not_exist_is_an_error() {
    for (path, message) in [
        ("nope", "is not a folder"),
        ("../elsewhere", "must be a folder inside the project"),
    ] {
        let p = project(&[(
            "edgespark.toml",
            &format!("project_id = \"x\"\n[server]\npath = {path:?}\n"),
        )]);
        fails(p.path(), &["db", "check"], 1, message);
        fails(p.path(), &["routes"], 1, message);
    }
}

#[test]
fn a_garbage_database_file_is_named_in_the_error() {
    let p = project(&[]);
    ok(p.path(), &["db", "generate", "--name", "init"]);
    write(
        p.path(),
        ".edgespark/local/d1.sqlite",
        &"garbage ".repeat(200),
    );
    fails(
        p.path(),
        &["db", "migrate"],
        1,
        "d1.sqlite is not a usable SQLite database",
    );
}

#[test]
fn failing_commands_leave_no_lock_or_empty_folders_behind() {
    let p = project(&[(
        "server/src/defs/runtime.ts",
        "export type VarKey = \"A\";\nexport type SecretKey = never;\n",
    )]);
    fails(p.path(), &["var", "set", "UNDECLARED=1"], 1, "not declared");
    fails(p.path(), &["db", "generate", "--name", "a/b"], 2, "--name");
    fails(p.path(), &["storage", "bucket", "list", "--bogus"], 2, "");
    assert!(
        !p.path().join(".edgespark").exists(),
        "{:?}",
        tree(p.path())
            .iter()
            .map(|f| f.0.clone())
            .collect::<Vec<PathBuf>>()
    );
}

#[test]
fn a_snapshot_with_a_name_that_breaks_sql_is_refused_by_db_diff() {
    let p = project(&[]);
    ok(p.path(), &["db", "generate", "--name", "init"]);
    let snapshot = p.path().join("server/drizzle/meta/0000_snapshot.json");
    let text = std::fs::read_to_string(&snapshot)
        .unwrap()
        .replace("\"notes\"", "\"no`tes\"");
    let edited = p.path().join("edited.json");
    std::fs::write(&edited, text).unwrap();
    let out = run(p.path(), &["db", "diff", "empty", edited.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr(&out).contains("cannot be written as an SQL identifier"),
        "{}",
        stderr(&out)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("CREATE"));
}

#[test]
fn a_jsx_pragma_that_is_not_an_expression_is_an_error_not_a_panic() {
    // Found by fuzzing: swc's JSX pass panics on such a factory.
    let d = tempfile::tempdir().unwrap();
    for pragma in ["make..", "if"] {
        write(
            d.path(),
            "main.jsx",
            &format!("/** @jsx {pragma} */\nconsole.log(<a />);\n"),
        );
        fails(
            d.path(),
            &["bundle", "main.jsx", "--outfile", "out.js"],
            1,
            "main.jsx:1:1: the @jsx pragma",
        );
    }
}

#[test]
fn a_file_swc_panics_on_is_an_error_for_that_file() {
    // Found by fuzzing: swc's TypeScript pass unwraps an assignment to `[a, b] as T` that its
    // parser accepted inside JSX.
    let case = std::fs::read_to_string(
        repo().join("fixtures/fuzz-regressions/bundler/ts-assign-to-as-expression.case"),
    )
    .unwrap();
    let d = tempfile::tempdir().unwrap();
    for part in case.split("// @ ").skip(1) {
        let (name, body) = part.split_once('\n').unwrap();
        write(d.path(), name.trim(), body);
    }
    let err = fails(
        d.path(),
        &["bundle", "main.tsx", "--outfile", "out.js"],
        1,
        "main.tsx:1:1: swc could not compile this file",
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_buckets_folder_symlinked_outside_is_refused_before_anything_changes() {
    let p = project(&[]);
    ok(p.path(), &["storage", "apply"]);
    let local = p.path().join(".edgespark/local");
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(outside.path().join("files")).unwrap();
    std::fs::write(outside.path().join("files/keep"), "k").unwrap();
    std::fs::remove_dir_all(local.join("buckets")).unwrap();
    std::os::unix::fs::symlink(outside.path(), local.join("buckets")).unwrap();
    write(
        p.path(),
        "server/src/defs/storage_schema.ts",
        "export {};\n",
    );
    let state = std::fs::read(local.join("buckets.json")).unwrap();
    fails(
        p.path(),
        &["storage", "apply", "--confirm-dangerous"],
        1,
        "leads outside",
    );
    assert!(outside.path().join("files/keep").is_file());
    assert_eq!(
        std::fs::read(local.join("buckets.json")).unwrap(),
        state,
        "the platform still lists the bucket"
    );
}
