//! The library used in-process, as another Rust program would: the schema reader, the
//! migration diff, the bundler and the route analysis called directly (no binary started),
//! on the example app.

mod common;

use common::*;

#[test]
fn the_schema_reads_and_diffs_into_sql_in_process() {
    let app = repo().join("fixtures/app");
    let read = edgespark::schema::read(
        &app.join("server/src/defs/db_schema.ts"),
        Some(&app.join("server")),
    )
    .unwrap();
    assert!(read.schema.tables.contains_key("posts"));
    let empty = edgespark::schema::model::Schema::default();
    let out = edgespark::migrate::diff::diff(
        &empty,
        &read.schema,
        &Default::default(),
        edgespark::migrate::diff::Mode::Fixed,
    )
    .unwrap_or_else(|open| panic!("unexpected questions: {open:?}"));
    assert!(out.sql.iter().any(|s| s.contains("CREATE TABLE `posts`")));
    // The SQL applies to SQLite.
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch("CREATE TABLE es_system__auth_user (id text primary key)")
        .unwrap();
    for statement in &out.sql {
        db.execute_batch(statement).unwrap();
    }
}

#[test]
fn the_bundler_and_the_route_analysis_run_in_process() {
    npm_ci(&repo().join("fixtures/app/server"));
    let dir = tempfile::tempdir().unwrap();
    let project_dir = dir.path().join("app");
    copy_project(&repo().join("fixtures/app"), &project_dir);
    let project = edgespark::project::Project::find(Some(&project_dir)).unwrap();
    let (out, emitted) = edgespark::ops::build::bundle_server(
        &project,
        edgespark::bundler::emit::EmitOptions::default(),
    )
    .unwrap();
    assert!(out.ends_with("server/dist/bundle.js"));
    assert!(emitted[0].code.contains("export {"), "an ES module");
    let routes = edgespark::ops::routes::analyze(&project).unwrap();
    assert!(
        routes
            .routes
            .iter()
            .any(|r| r.method == "POST" && r.path == "/api/webhooks/stripe")
    );
}

/// Deploy reads the routes from the bundle's own module graph (packages included); `routes`
/// scans with packages external. Both must find the same list, warnings included.
#[test]
fn the_bundle_graph_gives_the_same_routes_as_the_routes_command() {
    npm_ci(&repo().join("fixtures/app/server"));
    let dir = tempfile::tempdir().unwrap();
    let project_dir = dir.path().join("app");
    copy_project(&repo().join("fixtures/app"), &project_dir);
    let project = edgespark::project::Project::find(Some(&project_dir)).unwrap();
    let server = project.server_dir();
    let (_, bundled) = edgespark::ops::build::bundle_server_inspecting(
        &project,
        edgespark::bundler::emit::EmitOptions::default(),
        |graph| {
            assert!(
                graph
                    .files
                    .iter()
                    .any(|f| edgespark::resolve::in_package(&f.path)),
                "the bundle's graph holds the packages"
            );
            edgespark::routes::of_graph(graph, &server).unwrap()
        },
    )
    .unwrap();
    bundled.emitted.unwrap();
    let from_bundle = bundled.inspected.unwrap();
    let alone = edgespark::ops::routes::analyze(&project).unwrap();
    let list = |a: &edgespark::routes::Analysis| serde_json::to_string(&a.routes).unwrap();
    assert_eq!(list(&from_bundle), list(&alone));
    assert_eq!(from_bundle.routes.len(), 18);
    assert_eq!(from_bundle.warnings.len(), alone.warnings.len());
}

/// A `--watch` session parses only what changed and prints again only the statements that
/// changed, and its bundle is the bytes a build from scratch gives, plain, with a source map
/// and minified, whether it takes the copies `prepare_next` made or copies the modules itself,
/// and whether it is told what changed (as a watch tells it: only the files reported are read
/// again) or not.
#[test]
fn a_watch_rebuild_parses_only_what_changed_and_gives_the_same_bytes() {
    use edgespark::bundler::emit::{EmitOptions, SourceMapKind};
    use edgespark::bundler::graph::Session;
    use edgespark::ops::build::{bundle_server, bundle_server_in};
    npm_ci(&repo().join("fixtures/app/server"));
    let dir = tempfile::tempdir().unwrap();
    let project_dir = dir.path().join("app");
    copy_project(&repo().join("fixtures/app"), &project_dir);
    let project = edgespark::project::Project::find(Some(&project_dir)).unwrap();
    let route = project_dir.join("server/src/routes/posts.ts");
    let other = project_dir.join("server/src/routes/public.ts");
    let (route_text, other_text) = (
        std::fs::read_to_string(&route).unwrap(),
        std::fs::read_to_string(&other).unwrap(),
    );
    for (minify, sourcemap, told) in [
        (false, None, false),
        (false, None, true),
        (false, Some(SourceMapKind::Inline), true),
        (true, None, false),
    ] {
        let emit = EmitOptions {
            minify,
            sourcemap,
            ..EmitOptions::default()
        };
        let name = format!("{minify} {sourcemap:?} {told}");
        // What a watch tells the session before a build: only these files' contents changed
        // (None: files appeared or went).
        let tell = |session: &mut Session, files: Option<&[&std::path::Path]>| {
            if told {
                let files: Option<std::collections::BTreeSet<std::path::PathBuf>> =
                    files.map(|f| f.iter().map(|p| p.canonicalize().unwrap()).collect());
                session.changed_since_last(files.as_ref());
            }
        };
        std::fs::write(&route, &route_text).unwrap();
        std::fs::write(&other, &other_text).unwrap();
        let mut session = Session::watching();
        let build = |session: &mut Session| {
            let (_, bundled) = bundle_server_in(&project, session, emit, |_| ()).unwrap();
            bundled.emitted.unwrap().remove(0).code
        };
        tell(&mut session, None);
        let first = build(&mut session);
        let modules = session.last_parsed();
        assert!(modules > 50, "{modules} modules");
        // Compared without printing two whole bundles when they differ.
        let cold = |project| bundle_server(project, emit).unwrap().1.remove(0).code;
        assert!(
            first == cold(&project),
            "{name}: the first build differs from a cold one"
        );
        // The copies the rebuild takes, made as a watch makes them while it waits (the build
        // after the rebuild copies for itself).
        session.prepare_next();
        // One route changed: one module parsed again, and (unminified) only its statements
        // and the linker's printed again.
        std::fs::write(
            &route,
            format!("{route_text}\nconsole.log(\"changed, {name}\");\n"),
        )
        .unwrap();
        tell(&mut session, Some(&[&route]));
        let again = build(&mut session);
        assert_eq!(session.last_parsed(), 1);
        assert!(again.contains(&format!("changed, {name}")));
        assert!(
            again == cold(&project),
            "{name}: the rebuild differs from a cold build"
        );
        let (printed, statements) = session.last_printed();
        if !minify {
            assert!(
                statements > 500 && printed * 10 < statements,
                "{name}: {printed} of {statements} statements printed again"
            );
        }
        // A top-level name that another module has too: one of the two is renamed, and the
        // statements that use it are printed with the new name.
        std::fs::write(
            &other,
            format!("{other_text}\nconst ownProfile = \"{name}\";\nconsole.log(ownProfile);\n"),
        )
        .unwrap();
        tell(&mut session, Some(&[&other]));
        let renamed = build(&mut session);
        assert!(
            renamed == cold(&project),
            "{name}: the rebuild with a name taken differs from a cold build"
        );
        // A name used freely (a global) that a top-level binding of a module not parsed again
        // has (zod's `isObject`): that binding is renamed, and the statements that use it,
        // unchanged themselves, are printed with its new name.
        std::fs::write(
            &other,
            format!("{other_text}\nconsole.log(typeof isObject, \"{name}\");\n"),
        )
        .unwrap();
        tell(&mut session, Some(&[&other]));
        let global = build(&mut session);
        assert!(
            minify || global.contains("isObject$1("),
            "{name}: isObject not renamed"
        );
        assert!(
            global == cold(&project),
            "{name}: the rebuild with a global named like a binding differs from a cold build"
        );
        // And back: the binding has its name again.
        std::fs::write(
            &other,
            format!("{other_text}\nconst ownProfile = \"{name}\";\nconsole.log(ownProfile);\n"),
        )
        .unwrap();
        tell(&mut session, Some(&[&other]));
        assert!(build(&mut session) == renamed);
        // Nothing changed: nothing parsed.
        tell(&mut session, Some(&[]));
        assert!(build(&mut session) == renamed);
        assert_eq!(session.last_parsed(), 0);
        // Both changed back, one reported as its contents, the other as files moved.
        std::fs::write(&route, &route_text).unwrap();
        tell(&mut session, Some(&[&route]));
        std::fs::write(&other, &other_text).unwrap();
        tell(&mut session, None);
        assert!(
            build(&mut session) == cold(&project),
            "{name}: the rebuild after files moved differs from a cold build"
        );
        assert_eq!(session.last_parsed(), 2);
    }
    std::fs::write(&route, &route_text).unwrap();
    std::fs::write(&other, &other_text).unwrap();
}

/// The example app copied into a temporary folder (kept while the result lives), its packages
/// installed: the folder, the app's root and the project.
fn example_app() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    edgespark::project::Project,
) {
    npm_ci(&repo().join("fixtures/app/server"));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    copy_project(&repo().join("fixtures/app"), &root);
    let project = edgespark::project::Project::find(Some(&root)).unwrap();
    (dir, root, project)
}

/// `build` of the project, with the build cache or without: what it reported, and the bytes
/// of the bundle it wrote.
fn built(
    project: &edgespark::project::Project,
    use_cache: bool,
) -> anyhow::Result<(edgespark::ops::build::Written, Vec<u8>)> {
    let built = edgespark::ops::build::build(
        project,
        edgespark::bundler::emit::EmitOptions::default(),
        &mut edgespark::bundler::graph::Session::default(),
        use_cache,
    );
    let written = built.outcome?;
    let bytes = std::fs::read(&written.bundle)?;
    Ok((written, bytes))
}

#[test]
fn the_build_cache_gives_the_bytes_a_build_would_and_trusts_nothing_that_changed() {
    let (_dir, root, project) = example_app();
    let bundle = root.join("server/dist/bundle.js");
    // Built, with the cache or without: whether it came from the cache, and the bytes written.
    let build = |use_cache: bool| {
        let (written, bytes) = built(&project, use_cache).unwrap();
        (written.cached, bytes)
    };
    let (cached, fresh) = build(true);
    assert!(!cached);
    let (cached, again) = build(true);
    assert!(cached, "nothing changed, yet built again");
    assert!(again == fresh);
    let (cached, uncached) = build(false);
    assert!(
        !cached && uncached == fresh,
        "a cached and an uncached build differ"
    );

    // A lost output is written again from the cache.
    std::fs::remove_file(&bundle).unwrap();
    assert!(build(true) == (true, fresh.clone()));

    // A source changed: built again (and kept in place of the first); changed back: the same
    // bytes as the first.
    let route = root.join("server/src/routes/posts.ts");
    let text = std::fs::read_to_string(&route).unwrap();
    write(
        &root,
        "server/src/routes/posts.ts",
        &format!("{text}\nconsole.log(\"edited\");\n"),
    );
    let (cached, edited) = build(true);
    assert!(!cached && edited != fresh);
    write(&root, "server/src/routes/posts.ts", &text);
    assert!(build(true) == (false, fresh.clone()));
    assert!(build(true) == (true, fresh.clone()));

    // A file where an import would look first (`./routes/posts` is posts.tsx before posts.ts).
    write(
        &root,
        "server/src/routes/posts.tsx",
        &format!("{text}\nconsole.log(\"shadowing\");\n"),
    );
    let (cached, shadowed) = build(true);
    assert!(!cached && String::from_utf8_lossy(&shadowed).contains("shadowing"));
    std::fs::remove_file(root.join("server/src/routes/posts.tsx")).unwrap();
    assert!(build(true) == (false, fresh.clone()));

    // A package.json the resolver read (the server's own: node_modules is shared).
    let pkg = root.join("server/package.json");
    let manifest = std::fs::read_to_string(&pkg).unwrap();
    std::fs::write(&pkg, format!("{manifest}\n")).unwrap();
    assert!(
        !build(true).0,
        "a package.json changed, yet the cache was trusted"
    );

    // A corrupt memo and a corrupt copy are ignored, never trusted.
    let cache = root.join(".edgespark/cache/build");
    for entry in std::fs::read_dir(&cache).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::write(entry.path(), "{not json").unwrap();
        }
    }
    assert!(build(true) == (false, fresh.clone()));
    for entry in std::fs::read_dir(cache.join("blobs")).unwrap().flatten() {
        std::fs::write(entry.path(), "garbage").unwrap();
    }
    std::fs::remove_file(&bundle).unwrap();
    assert!(build(true) == (false, fresh.clone()));
    assert!(build(true) == (true, fresh.clone()));
    // The damaged copy was made again: a lost output comes back from it.
    std::fs::remove_file(&bundle).unwrap();
    assert!(build(true) == (true, fresh.clone()));

    // Each edit leaves the copy of the build before; they are pruned before they pile up.
    for i in 0..12 {
        write(
            &root,
            "server/src/routes/posts.ts",
            &format!("{text}\nconsole.log(\"edit {i}\");\n"),
        );
        assert!(!build(true).0);
        let count = |dir: &std::path::Path| {
            let files = std::fs::read_dir(dir).unwrap().flatten();
            files.filter(|e| e.path().is_file()).count()
        };
        let (memos, copies) = (count(&cache), count(&cache.join("blobs")));
        assert!(copies <= 4 * memos, "{copies} copies for {memos} memos");
    }
    write(&root, "server/src/routes/posts.ts", &text);
    assert!(build(true) == (false, fresh.clone()));
    assert!(build(true) == (true, fresh));
}

/// One module edited since the last build: the build puts its new code in place of its old in
/// the last bundle (`bundler::splice`) where that gives what a whole build gives, and builds
/// afresh where it would not. Each edit in turn, on the example app's own modules: the cached
/// build's bytes are those of a build without the cache, spliced or not.
#[test]
fn an_edit_of_one_module_is_spliced_into_the_last_build_with_the_bytes_of_a_whole_build() {
    let (_dir, root, project) = example_app();
    // Built with the cache or without: whether it was spliced, and the bytes.
    let build = |use_cache: bool| {
        built(&project, use_cache).map(|(written, bytes)| (written.spliced, bytes))
    };
    let (spliced, first) = build(true).unwrap();
    assert!(!spliced);
    let posts = "server/src/routes/posts.ts";
    let original = std::fs::read_to_string(root.join(posts)).unwrap();
    let mut text = original.clone();
    // (what the edit does, the text it replaces, its replacement, whether it is spliced)
    let edits: &[(&str, &str, &str, bool)] = &[
        ("a string", "\"not found\"", "\"no such post\"", true),
        (
            "a handler more, of the bindings and globals the module uses already",
            "  .delete(",
            "  .get(\"/count\", async (c) => c.json({ n: (await db.select().from(posts)).length }))\n  .delete(",
            true,
        ),
        (
            "a local renamed",
            "const rows = await db.select().from(posts).where(eq(posts.authorId, profile.id)).orderBy(desc(posts.id));\n    return c.json({ posts: rows });",
            "const found = await db.select().from(posts).where(eq(posts.authorId, profile.id)).orderBy(desc(posts.id));\n    return c.json({ posts: found });",
            true,
        ),
        (
            "a function nothing calls (the bundle drops it, as before)",
            "async function ownProfile",
            "function unused(n: number) { return n * 2; }\nasync function ownProfile",
            true,
        ),
        (
            "a local named as the bundle names an import the statement uses",
            "const body = c.req.valid(\"json\");",
            "const body = c.req.valid(\"json\"); const Hono$1 = body.title;",
            true,
        ),
        (
            "a global the module did not use",
            "return profile;",
            "console.log(profile); return profile;",
            false,
        ),
        (
            "an import more, used",
            "import { Hono } from \"hono\";",
            "import { Hono } from \"hono\";\nimport { sql } from \"drizzle-orm\";\nconsole.log(sql);",
            false,
        ),
        (
            "a string again, after builds made afresh",
            "\"no such post\"",
            "\"no post\"",
            true,
        ),
        (
            "an export more",
            "async function ownProfile",
            "export const limit = 10;\nasync function ownProfile",
            false,
        ),
        (
            "an export's statement changed, which the bundle drops (no module imports it)",
            "export const limit = 10;",
            "export const limit = 20;",
            true,
        ),
    ];
    for (what, from, to, splices) in edits {
        assert!(text.contains(from), "{what}: {from} is in the text");
        text = text.replacen(from, to, 1);
        write(&root, posts, &text);
        let (spliced, cached) = build(true).unwrap();
        let (_, whole) = build(false).unwrap();
        assert!(
            cached == whole,
            "{what}: the cached build differs from a whole build"
        );
        assert_eq!(spliced, *splices, "{what}: spliced or not");
    }
    // A module elsewhere in the bundle, whose place moved with the edits before.
    let webhooks = "server/src/routes/webhooks.ts";
    let hooks = std::fs::read_to_string(root.join(webhooks)).unwrap();
    let edited = hooks.replacen("\"bad signature\"", "\"the signature does not match\"", 1);
    assert!(edited != hooks);
    write(&root, webhooks, &edited);
    let (spliced, cached) = build(true).unwrap();
    assert!(
        spliced && cached == build(false).unwrap().1,
        "another module"
    );
    // A module of functions other modules use (and an enum), and one whose default export is
    // a binding.
    for (module, from, to) in [
        (
            "server/src/lib/slug.ts",
            ".replace(/^-+|-+$/g, \"\")",
            ".replace(/^-+|-+$/g, \"\").slice(0, 80)",
        ),
        (
            "server/src/routes/me.ts",
            "export default me;",
            "export default me;\nconst unused = 1;",
        ),
    ] {
        let source = std::fs::read_to_string(root.join(module)).unwrap();
        assert!(source.contains(from), "{module}: {from}");
        write(&root, module, &source.replacen(from, to, 1));
        let (spliced, cached) = build(true).unwrap();
        assert!(spliced && cached == build(false).unwrap().1, "{module}");
        write(&root, module, &source);
        assert!(build(true).unwrap().0, "{module}, back");
    }
    // The entry, whose exports are the bundle's.
    let index = "server/src/index.ts";
    let entry = std::fs::read_to_string(root.join(index)).unwrap();
    write(&root, index, &entry.replacen("\"/api\"", "\"/api/v1\"", 1));
    let (spliced, cached) = build(true).unwrap();
    assert!(spliced && cached == build(false).unwrap().1, "the entry");
    write(&root, index, &entry);
    assert!(build(true).unwrap().0);
    // A syntax error fails as a whole build does; mended, the bytes are a whole build's.
    write(&root, posts, &format!("{text}\nconst = ;\n"));
    assert!(build(true).is_err() && build(false).is_err());
    write(&root, posts, &text);
    let (_, mended) = build(true).unwrap();
    assert!(mended == build(false).unwrap().1);
    // Two modules changed at once: built afresh, back to the first bytes.
    write(&root, posts, &original);
    write(&root, webhooks, &hooks);
    let (spliced, cached) = build(true).unwrap();
    assert!(!spliced && cached == first, "two modules changed");
    // One edit, and back: spliced both ways, the first bytes again.
    write(
        &root,
        posts,
        &original.replacen("\"not found\"", "\"gone\"", 1),
    );
    let (spliced, cached) = build(true).unwrap();
    assert!(spliced && cached == build(false).unwrap().1);
    write(&root, posts, &original);
    let (spliced, back) = build(true).unwrap();
    assert!(
        spliced && back == first,
        "the first sources give the first bytes"
    );
}
