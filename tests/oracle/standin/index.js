// A stand-in for the platform's `edgespark` module: what a deployed Worker imports.
import { drizzle } from "drizzle-orm/sqlite-proxy";
import { run, state } from "./control.js";

export const db = drizzle(async (sql, params, method) => ({ rows: run(sql, params, method) }));
export const vars = { get: (key) => state.vars[key] ?? null };
export const secret = { get: (key) => state.secrets[key] ?? null };
export const storage = {};
export const ctx = { waitUntil() {} };
