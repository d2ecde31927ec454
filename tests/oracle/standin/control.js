// The test driver's handle on the stand-in platform: the signed-in user, vars, secrets and the
// database (sql.js, an in-memory SQLite).
import initSqlJs from "sql.js";

const SQL = await initSqlJs();

export const state = {
  user: null,
  vars: {},
  secrets: {},
  sqlite: new SQL.Database(),
};

// Drizzle's migration files: statements separated by `--> statement-breakpoint`.
export function applyMigration(text) {
  for (const statement of text.split("--> statement-breakpoint")) {
    if (statement.trim()) state.sqlite.exec(statement);
  }
}

// One statement for drizzle's sqlite-proxy driver: rows as arrays of values.
export function run(sql, params, method) {
  const stmt = state.sqlite.prepare(sql);
  try {
    stmt.bind(params.map((p) => (typeof p === "boolean" ? Number(p) : p)));
    const rows = [];
    while (stmt.step()) rows.push(stmt.get());
    return method === "get" ? rows[0] : rows;
  } finally {
    stmt.free();
  }
}
