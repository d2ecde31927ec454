// A stand-in for the platform's `edgespark` module (server-types.d.ts): what a deployed
// Worker imports.
import { drizzle } from "drizzle-orm/sqlite-proxy";
import { run, state } from "./control.js";
export { storage } from "./storage.js";

// Statements one at a time, and `db.batch` (D1 runs a batch in one transaction).
export const db = drizzle(
  async (sql, params, method) => ({ rows: run(sql, params, method) }),
  async (queries) => queries.map(({ sql, params, method }) => ({ rows: run(sql, params, method) })),
);
export const vars = { get: (key) => state.vars[key] ?? null };
export const secret = { get: (key) => state.secrets[key] ?? null };
export const ctx = {
  environment: "production",
  runInBackground(promise) {
    Promise.resolve(promise).catch(() => {});
  },
};
