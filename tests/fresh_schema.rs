//! A project whose `db_schema.ts` declares no tables yet (several official templates start so):
//! no migration is needed, so `db generate` writes none and says why, `db check` and `deploy`
//! pass with no `server/drizzle/`, and adding the first table then works as before.

mod common;

use std::path::Path;

use common::*;

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = run(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_empty_schema_needs_no_migration_until_its_first_table() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(
        p,
        "edgespark.toml",
        "project_id = \"00000000-0000-4000-8000-000000000010\"\n\n[server]\npath = \"server\"\n",
    );
    write(
        p,
        "server/src/index.ts",
        "import { Hono } from \"hono\";\nconst app = new Hono();\napp.get(\"/api/public/hi\", (c) => c.text(\"hi\"));\nexport default app;\n",
    );
    write(
        p,
        "server/node_modules/hono/package.json",
        "{\"name\": \"hono\", \"version\": \"4.0.0\", \"type\": \"module\", \"main\": \"index.js\"}\n",
    );
    write(
        p,
        "server/node_modules/hono/index.js",
        "export class Hono { get() { return this; } }\n",
    );
    write(
        p,
        "server/src/defs/db_schema.ts",
        "// No tables yet.\nexport {};\n",
    );
    write(
        p,
        "server/src/defs/runtime.ts",
        "export type VarKey = never;\nexport type SecretKey = never;\n",
    );
    write(p, "server/src/defs/db_relations.ts", "export {};\n");
    write(p, "server/src/defs/storage_schema.ts", "export {};\n");
    let barrel =
        std::fs::read_to_string(repo().join("fixtures/app/server/src/defs/index.ts")).unwrap();
    write(p, "server/src/defs/index.ts", &barrel);
    let generated = ok(p, &["db", "generate"]);
    assert!(generated.contains("declares no tables yet"), "{generated}");
    assert!(!p.join("server/drizzle").exists(), "no migration written");
    ok(p, &["db", "check"]);
    ok(p, &["deploy", "--dry-run", "--typecheck", "off"]);
    // The first table: a migration is needed, then made and applied as before.
    write(
        p,
        "server/src/defs/db_schema.ts",
        "import { sqliteTable, integer } from \"drizzle-orm/sqlite-core\";\nexport const t = sqliteTable(\"t\", { id: integer(\"id\").primaryKey() });\n",
    );
    let refused = run(p, &["deploy", "--dry-run", "--typecheck", "off"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("has no migrations yet"),
        "{}",
        String::from_utf8_lossy(&refused.stdout)
    );
    ok(p, &["db", "generate", "--name", "first"]);
    ok(p, &["db", "migrate"]);
    ok(p, &["db", "check"]);
    ok(p, &["deploy", "--dry-run", "--typecheck", "off"]);
}
