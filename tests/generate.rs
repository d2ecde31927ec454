//! `db generate` / `db migrate` on projects: the fixture, rebuilds that keep data under
//! enforced foreign keys, open rename decisions, and bad input that changes nothing.

mod common;

use common::*;

fn project(schema: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("edgespark.toml"),
        "project_id = \"t\"\n[server]\npath = \"server\"\n",
    )
    .unwrap();
    set_schema(dir.path(), schema);
    dir
}

fn set_schema(root: &std::path::Path, schema: &str) {
    let defs = root.join("server/src/defs");
    std::fs::create_dir_all(&defs).unwrap();
    std::fs::write(defs.join("db_schema.ts"), schema).unwrap();
}

const IMPORTS: &str = "import { sqliteTable, text, integer } from \"drizzle-orm/sqlite-core\";\n";

#[test]
fn fixture_generates_checks_and_migrates() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(&repo().join("fixtures/app"), dir.path());
    let out = run(dir.path(), &["db", "generate", "--name", "init"]);
    assert_success(&out);
    let sql = std::fs::read_to_string(dir.path().join("server/drizzle/0000_init.sql")).unwrap();
    insta::with_settings!({snapshot_path => "../snapshots"}, { insta::assert_snapshot!("fixture_init_sql", sql) });
    let again = run(dir.path(), &["db", "generate"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("No schema changes"));
    assert!(run(dir.path(), &["db", "check"]).status.success());
    assert!(run(dir.path(), &["db", "migrate"]).status.success());
}

#[test]
fn rebuilding_a_parent_keeps_cascading_children_rows() {
    let v1 = format!(
        "{IMPORTS}export const parent = sqliteTable(\"parent\", {{ id: integer(\"id\").primaryKey(), name: text(\"name\") }});\n\
        export const child = sqliteTable(\"child\", {{ id: integer(\"id\").primaryKey(), parentId: integer(\"parent_id\").references(() => parent.id, {{ onDelete: \"cascade\" }}) }});\n\
        export const other = sqliteTable(\"other\", {{ id: integer(\"id\").primaryKey(), parentId: integer(\"parent_id\").references(() => parent.id, {{ onDelete: \"set null\" }}) }});\n"
    );
    let dir = project(&v1);
    assert!(
        run(dir.path(), &["db", "generate", "--name", "one"])
            .status
            .success()
    );
    assert!(run(dir.path(), &["db", "migrate"]).status.success());
    let db_path = dir.path().join(".edgespark/local/d1.sqlite");
    let db = rusqlite::Connection::open(&db_path).unwrap();
    db.execute_batch("PRAGMA foreign_keys=ON; INSERT INTO parent VALUES (1,'a'),(2,'b'); INSERT INTO child VALUES (10,1),(11,2); INSERT INTO other VALUES (20,1);").unwrap();
    drop(db);
    // NOT NULL on parent.name forces a rebuild of the parent table.
    set_schema(
        dir.path(),
        &v1.replace(
            "name: text(\"name\")",
            "name: text(\"name\").notNull().default(\"x\")",
        ),
    );
    let generated = run(dir.path(), &["db", "generate", "--name", "two"]);
    assert_success(&generated);
    assert!(String::from_utf8_lossy(&generated.stderr).contains("referenced by foreign keys"));
    let m = run(dir.path(), &["db", "migrate", "--confirm-dangerous"]);
    assert_success(&m);
    let db = rusqlite::Connection::open(&db_path).unwrap();
    let children: i64 = db
        .query_row("SELECT count(*) FROM child", [], |r| r.get(0))
        .unwrap();
    let kept_ref: Option<i64> = db
        .query_row("SELECT parent_id FROM other WHERE id = 20", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(children, 2, "child rows must survive the parent's rebuild");
    assert_eq!(
        kept_ref,
        Some(1),
        "SET NULL children must keep their reference"
    );
    let fk_errors: i64 = db
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk_errors, 0);
}

#[test]
fn an_open_rename_exits_2_and_writes_nothing_until_answered() {
    let v1 = format!(
        "{IMPORTS}export const users = sqliteTable(\"users\", {{ id: integer(\"id\").primaryKey(), role: text(\"role\") }});\n"
    );
    let dir = project(&v1);
    assert!(
        run(dir.path(), &["db", "generate", "--name", "one"])
            .status
            .success()
    );
    set_schema(
        dir.path(),
        &v1.replace("role: text(\"role\")", "kind: text(\"kind\")"),
    );
    let before = tree(dir.path());
    let out = run(dir.path(), &["db", "generate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`users`.`kind`"));
    assert_eq!(tree(dir.path()), before);
    let ok = run(
        dir.path(),
        &[
            "db",
            "generate",
            "--name",
            "two",
            "--rename",
            "users.role=users.kind",
        ],
    );
    assert_success(&ok);
    let sql = std::fs::read_to_string(dir.path().join("server/drizzle/0001_two.sql")).unwrap();
    assert_eq!(
        sql,
        "ALTER TABLE `users` RENAME COLUMN \"role\" TO \"kind\";"
    );
}

#[test]
fn a_malformed_schema_is_reported_with_its_location_and_changes_nothing() {
    let dir = project(&format!(
        "{IMPORTS}export const users = sqliteTable(\"users\", {{ id: integer(\"id\").primaryKey( }});\n"
    ));
    let before = tree(dir.path());
    let out = run(dir.path(), &["db", "generate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("db_schema.ts:2:"), "{err}");
    assert_eq!(tree(dir.path()), before);

    set_schema(
        dir.path(),
        &format!(
            "{IMPORTS}const n = process.env.X;\nexport const t = sqliteTable(\"t\", {{ id: integer(\"id\").default(n) }});\n"
        ),
    );
    let out = run(dir.path(), &["db", "generate"]);
    assert_eq!(out.status.code(), Some(1));
    // At the column whose default needs it, naming what cannot be read.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("db_schema.ts:3:") && err.contains("the global `process`.env.X"),
        "{err}"
    );
}

#[test]
fn a_broken_journal_is_an_error_that_changes_nothing() {
    let dir = project(&format!(
        "{IMPORTS}export const t = sqliteTable(\"t\", {{ id: integer(\"id\") }});\n"
    ));
    assert!(
        run(dir.path(), &["db", "generate", "--name", "one"])
            .status
            .success()
    );
    std::fs::write(
        dir.path().join("server/drizzle/meta/_journal.json"),
        "{ \"version\": \"7\", ",
    )
    .unwrap();
    let before = tree(dir.path());
    for args in [&["db", "generate"][..], &["db", "migrate"][..]] {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("_journal.json"));
        assert_eq!(tree(dir.path()), before);
    }
    assert_eq!(run(dir.path(), &["db", "check"]).status.code(), Some(1));
}

#[test]
fn migrate_refuses_off_the_default_branch() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(&repo().join("fixtures/app"), dir.path());
    assert!(
        run(dir.path(), &["db", "generate", "--name", "init"])
            .status
            .success()
    );
    let git = dir.path().join(".git");
    std::fs::create_dir_all(git.join("refs/remotes/origin")).unwrap();
    std::fs::write(git.join("HEAD"), "ref: refs/heads/feature\n").unwrap();
    std::fs::write(
        git.join("refs/remotes/origin/HEAD"),
        "ref: refs/remotes/origin/main\n",
    )
    .unwrap();
    let out = run(dir.path(), &["db", "migrate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`feature` is checked out"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !dir.path().join(".edgespark/local/d1.sqlite").exists(),
        "a refused migrate must not create the database"
    );
    // The configured branch overrides detection.
    let toml = std::fs::read_to_string(dir.path().join("edgespark.toml")).unwrap();
    std::fs::write(
        dir.path().join("edgespark.toml"),
        format!("{toml}\n[db]\nmigration_branch = \"feature\"\n"),
    )
    .unwrap();
    assert!(run(dir.path(), &["db", "migrate"]).status.success());
}

#[test]
fn check_reports_drift_in_foreign_keys_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    copy_project(&repo().join("fixtures/app"), dir.path());
    assert!(
        run(dir.path(), &["db", "generate", "--name", "init"])
            .status
            .success()
    );
    let sql_path = dir.path().join("server/drizzle/0000_init.sql");
    let sql = std::fs::read_to_string(&sql_path).unwrap();
    // Hand-edit the SQL so it no longer matches the snapshot.
    let edited = sql
        .replacen(
            "REFERENCES `profiles`(`id`) ON UPDATE no action ON DELETE cascade",
            "REFERENCES `profiles`(`id`) ON UPDATE no action ON DELETE no action",
            1,
        )
        .replacen("DEFAULT 'draft'", "DEFAULT 'live'", 1);
    assert_ne!(
        sql, edited,
        "the fixture SQL changed shape; update this test"
    );
    std::fs::write(&sql_path, edited).unwrap();
    let out = run(dir.path(), &["db", "check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("drift: the foreign keys of `posts`") && text.contains("on delete cascade"),
        "{text}"
    );
    assert!(
        text.contains("drift: the columns of `posts`") && text.contains("default 'live'"),
        "{text}"
    );
}

#[test]
fn a_corrupted_snapshot_is_an_error_that_changes_nothing() {
    let dir = project(&format!(
        "{IMPORTS}export const t = sqliteTable(\"t\", {{ id: integer(\"id\") }});\n"
    ));
    assert!(
        run(dir.path(), &["db", "generate", "--name", "one"])
            .status
            .success()
    );
    set_schema(
        dir.path(),
        &format!(
            "{IMPORTS}export const t = sqliteTable(\"t\", {{ id: integer(\"id\"), name: text(\"name\") }});\n"
        ),
    );
    let snapshot = dir.path().join("server/drizzle/meta/0000_snapshot.json");
    let text = std::fs::read_to_string(&snapshot).unwrap();
    std::fs::write(&snapshot, text.replace("\"tables\": {", "\"tables\": [")).unwrap();
    let before = tree(dir.path());
    let out = run(dir.path(), &["db", "generate"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0000_snapshot.json"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tree(dir.path()), before);
    let check = run(dir.path(), &["db", "check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("0000_snapshot.json")
            || String::from_utf8_lossy(&check.stderr).contains("0000_snapshot.json")
    );
}

#[test]
fn a_migration_that_does_not_parse_fails_with_its_line_and_leaves_the_database_as_it_was() {
    let dir = project(&format!(
        "{IMPORTS}export const t = sqliteTable(\"t\", {{ id: integer(\"id\") }});\n"
    ));
    assert!(
        run(dir.path(), &["db", "generate", "--name", "one"])
            .status
            .success()
    );
    assert!(run(dir.path(), &["db", "migrate"]).status.success());
    assert!(
        run(dir.path(), &["db", "generate", "--custom", "--name", "two"])
            .status
            .success()
    );
    let custom = dir.path().join("server/drizzle/0001_two.sql");
    std::fs::write(
        &custom,
        "CREATE TABLE `fine` (`id` integer);\n--> statement-breakpoint\nCREATE TABLE oops (\n",
    )
    .unwrap();
    let db_path = dir.path().join(".edgespark/local/d1.sqlite");
    let db_before = std::fs::read(&db_path).unwrap();
    let out = run(dir.path(), &["db", "migrate"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("0001_two.sql:3"), "{err}");
    assert_eq!(
        std::fs::read(&db_path).unwrap(),
        db_before,
        "a failed file must leave the database as it was"
    );
}

#[test]
fn generates_at_the_same_time_write_one_migration() {
    let dir = project(&format!(
        "{IMPORTS}export const t = sqliteTable(\"t\", {{ id: integer(\"id\").primaryKey() }});\n"
    ));
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(env!("CARGO_BIN_EXE_edgespark"))
                .args(["db", "generate"])
                .current_dir(dir.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|c| String::from_utf8_lossy(&c.wait_with_output().unwrap().stdout).into_owned())
        .collect();
    assert_eq!(
        outputs.iter().filter(|o| o.contains("Wrote")).count(),
        1,
        "{outputs:?}"
    );
    assert_eq!(
        outputs
            .iter()
            .filter(|o| o.contains("No schema changes"))
            .count(),
        3,
        "{outputs:?}"
    );
    let sql_files = std::fs::read_dir(dir.path().join("server/drizzle"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count();
    assert_eq!(sql_files, 1);
    assert!(run(dir.path(), &["db", "check"]).status.success());
}
