// Runs a bundle of fixtures/app under the stand-in platform and prints, for a fixed script of
// requests, each response's status and body (and what the app logged), one line each. The
// bundler tests compare this transcript between esbuild's bundle and ours.
//   node drive_app.mjs BUNDLE MIGRATIONS_DIR
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { applyMigration, state } from "edgespark/control";

const [bundle, migrations] = process.argv.slice(2);
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
const user = { id: "u1", email: "a@example.com" };
const script = [
  ["GET", "/api/public/health"],
  ["GET", "/api/me"],
  ["GET", "/api/me", null, user],
  ["PUT", "/api/me/profile", { handle: "No Spaces!" }, user],
  ["PUT", "/api/me/profile", { handle: "alice", bio: "hi" }, user],
  ["PATCH", "/api/me/profile", { handle: "alice_2" }, user],
  ["POST", "/api/posts", { title: "" }, user],
  ["POST", "/api/posts", { title: "Hello, World!" }, user],
  ["POST", "/api/posts", { title: "Second post", status: "published" }, user],
  ["POST", "/api/posts", { title: "Bad", status: "secret" }, user],
  ["GET", "/api/posts", null, user],
  ["GET", "/api/posts/1", null, user],
  ["GET", "/api/posts/99", null, user],
  ["GET", "/api/posts/abc", null, user],
  ["GET", "/api/public/feed"],
  ["GET", "/api/public/posts/second-post"],
  ["GET", "/api/public/posts/hello-world"],
  ["GET", "/api/public/pages/second-post"],
  ["GET", "/api/public/pages/nothing-here"],
  ["DELETE", "/api/posts/1", null, user],
  ["GET", "/api/posts", null, user],
  ["POST", "/api/webhooks/stripe", { type: "x" }],
  ["POST", "/api/webhooks/stripe", { type: "invoice.paid" }, null, { "stripe-signature": "s3cret" }],
  ["GET", "/api/nope"],
  ["GET", "/elsewhere"],
];
state.vars.SITE_NAME = "Fixture site";
state.secrets.STRIPE_WEBHOOK_SECRET = "s3cret";
for (const [method, path, body, who, headers] of script) {
  state.user = who ?? null;
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
