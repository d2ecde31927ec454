//! The local runtime: the app's bundle run in workerd (Cloudflare's own Workers runtime) beside
//! the platform module (JavaScript shipped in the binary, `js/`), behind edgespark's front
//! server, which owns auth, storage URLs and the database. `workerd` finds the binary,
//! `config` writes its configuration, `worker` runs one build of the app, `server` is the
//! front server and the platform service, `d1`, `auth` and `storage` are what they answer with.

pub mod auth;
pub mod config;
pub mod d1;
pub mod server;
pub mod storage;
pub mod worker;
pub mod workerd;

/// The platform module's source: bundled by the caller with the project's drizzle-orm and
/// schema (see `platform_entry`).
pub const PLATFORM_JS: &str = include_str!("js/platform.js");

/// The worker's entry: the app's default export, called with the request's platform state.
pub const MAIN_JS: &str = r#"import app from "./app.js";
import { handle } from "./platform.js";
export default {
  fetch(request, env, ctx) {
    return handle(request, env, ctx, (r) => app.fetch(r, env, ctx));
  },
};
"#;

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
