//! The local runtime: the app's bundle run in workerd (Cloudflare's own Workers runtime) beside
//! the platform module (JavaScript shipped in the binary, `js/`), behind edgespark's front
//! server, which owns auth, storage URLs and the database. `workerd` finds the binary,
//! `config` writes its configuration, `worker` runs one build of the app, `server` is the
//! front server and the platform service, `d1`, `auth` and `storage` are what they answer with.

pub mod auth;
pub mod config;
pub mod d1;
pub mod server;
pub mod stack;
pub mod storage;
pub mod worker;
pub mod workerd;

/// The platform module's source: bundled by the caller with the project's drizzle-orm and
/// schema (see `platform_entry`).
pub const PLATFORM_JS: &str = include_str!("js/platform.js");

/// The worker's entry: the app's default export, called with the request's platform state;
/// an exception the app lets through is logged (its stack mapped) and answered with a 500.
/// With a seed module (dev), a request carrying the seed token runs its default export with the
/// seed context (the database, the origin, a fetch to the app, users) instead. The readiness
/// request (`worker::READY_HEADER`) is answered before either.
pub fn main_js(with_seed: bool) -> String {
    let (imports, seed) = if with_seed {
        (
            "import { handle, seedContext, db } from \"./platform.js\";\nimport * as seeding from \"./seed.js\";",
            r#"    if (env.SEED_TOKEN && request.headers.get("x-edgespark-seed") === env.SEED_TOKEN) {
      try {
        const context = seedContext(env, request.headers.get("x-edgespark-origin"), db);
        const seed = seeding.default ?? seeding.seed;
        if (typeof seed !== "function") throw new Error("server/dev/seed.ts has no default export seed(ctx)");
        await seed(context);
        return new Response("seeded");
      } catch (e) {
        return new Response(String(e?.stack ?? e), { status: 500 });
      }
    }
"#,
        )
    } else {
        ("import { handle } from \"./platform.js\";", "")
    };
    format!(
        r#"import app from "./app.js";
{imports}
export default {{
  async fetch(request, env, ctx) {{
    if (request.headers.has("{ready}")) return new Response(null, {{ status: 204 }});
{seed}    try {{
      return await handle(request, env, ctx, (r) => app.fetch(r, env, ctx));
    }} catch (e) {{
      console.error(e);
      return new Response("Internal Server Error", {{ status: 500 }});
    }}
  }},
}};
"#,
        ready = worker::READY_HEADER
    )
}

/// The two names the app imports the platform by, as modules re-exporting it.
pub const EDGESPARK_MODULE: &str =
    "export { db, storage, vars, secret, ctx } from \"./platform.js\";\n";
pub const EDGESPARK_HTTP_MODULE: &str = "export { auth } from \"/platform.js\";\n";

/// The entry the platform module is bundled from: `platform.js` at `platform`, drizzle's D1
/// driver at `drizzle` (None: the project has no drizzle-orm, and `db` says so when used), the
/// project's defs at `defs` (their `drizzleSchema` gives `db.query`).
pub fn platform_entry(platform: &str, drizzle: Option<&str>, defs: Option<&str>) -> String {
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let mut out = format!(
        "export * from {};\nimport {{ d1 }} from {};\n",
        q(platform),
        q(platform)
    );
    match drizzle {
        Some(d) => {
            out.push_str(&format!("import {{ drizzle }} from {};\n", q(d)));
            match defs {
                Some(defs) => out.push_str(&format!(
                    "import * as defs from {};\nexport const db = drizzle(d1, defs.drizzleSchema ? {{ schema: defs.drizzleSchema }} : {{}});\n",
                    q(defs)
                )),
                None => out.push_str("export const db = drizzle(d1);\n"),
            }
        }
        None => out.push_str(
            "export const db = new Proxy({}, { get() { throw new Error(\"edgespark: db needs drizzle-orm in the server's dependencies\"); } });\n",
        ),
    }
    out
}
