// Runs an app's bundle under the stand-in platform and prints, for a fixed list of requests,
// each response's status and body (and what the app logged), one line each. The bundler tests
// compare this transcript between esbuild's bundle and ours.
//   node drive_app.mjs BUNDLE MIGRATIONS_DIR REQUESTS_JSON (requests/*.json)
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { applyMigration, state } from "edgespark/control";

const [bundle, migrations, requestsFile] = process.argv.slice(2);
// The platform's own tables (sys_schema.ts) exist before the app's migrations run.
state.sqlite.exec("create table es_system__auth_user (id text primary key, email text not null, name text, created_at integer not null)");
for (const f of readdirSync(migrations).filter((f) => f.endsWith(".sql")).sort()) {
  applyMigration(readFileSync(join(migrations, f), "utf8"));
}
state.sqlite.exec("insert into es_system__auth_user (id, email, name, created_at) values ('u1', 'a@example.com', 'A', 0)");

const transcript = [];
// Timings and clock values differ between runs; everything else must not.
const stable = (s) => String(s).replace(/\d+(\.\d+)?m?s\b/g, "<time>").replace(/"(createdAt|updatedAt|created_at|updated_at)":("[^"]*"|\d+|null)/g, '"$1":"<time>"');
console.log = (...args) => transcript.push("log " + stable(args.join(" ")));

const { default: app } = await import(pathToFileURL(bundle).href);
// A request: [method, path, body?, "user" to be logged in?, headers?].
const requests = JSON.parse(readFileSync(requestsFile, "utf8"));
// The platform's User (server-types.d.ts).
const user = { id: "u1", email: "a@example.com", name: "A", image: null, emailVerified: true, isAnonymous: false, createdAt: new Date(0) };
// What the example app reads (the others read nothing of it).
state.vars.SITE_NAME = "Fixture site";
state.secrets.STRIPE_WEBHOOK_SECRET = "s3cret";
for (const [method, path, body, who, headers] of requests) {
  state.user = who === "user" ? user : null;
  const init = { method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...headers } };
  if (body) init.body = JSON.stringify(body);
  let line;
  try {
    const res = await app.fetch(new Request("http://app.test" + path, init));
    line = `${res.status} ${stable(await res.text())}`;
  } catch (e) {
    line = `threw ${e && e.message}`;
  }
  transcript.push(`${method} ${path} -> ${line}`);
}
process.stdout.write(transcript.join("\n") + "\n");
