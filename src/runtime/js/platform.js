// The EdgeSpark platform as a Worker sees it (server-types.d.ts): `db`, `storage`, `vars`,
// `secret`, `ctx` from "edgespark" and `auth` from "edgespark/http". Bundled by edgespark with
// the project's own drizzle-orm and schema, run in workerd beside the app's bundle. What it
// cannot do inside the Worker (SQL on the SQLite file, files of buckets) it asks edgespark's
// platform service for, through the PLATFORM binding.
import { AsyncLocalStorage } from "node:async_hooks";

const perRequest = new AsyncLocalStorage();
// The Worker's bindings: the same object for every request, set before the first is handled.
let bindings = null;

function platformEnv() {
  if (!bindings) {
    throw new Error("edgespark: the platform is used before the first request reached the worker");
  }
  return bindings;
}

async function ask(path, init) {
  const response = await platformEnv().PLATFORM.fetch(`http://platform${path}`, init);
  if (response.status >= 400) {
    let message = await response.text();
    try {
      message = JSON.parse(message).error ?? message;
    } catch {}
    throw new Error(message);
  }
  return response;
}

async function askJson(path, body) {
  const response = await ask(path, { method: "POST", body: JSON.stringify(body) });
  return response.json();
}

// ---- D1: the binding drizzle-orm/d1 drives ----------------------------------------------

function encodeParam(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" || typeof value === "string") return value;
  if (typeof value === "bigint") return { $int: value.toString() };
  if (value instanceof ArrayBuffer) return { $blob: Buffer.from(value).toString("base64") };
  if (ArrayBuffer.isView(value)) {
    return { $blob: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  }
  if (value instanceof Date) return value.toISOString();
  throw new Error(`D1_TYPE_ERROR: Type '${typeof value}' not supported for value '${value}'`);
}

function asObjects({ columns, rows }) {
  return rows.map((row) => {
    const object = {};
    columns.forEach((c, i) => {
      object[c] = row[i];
    });
    return object;
  });
}

function meta(r) {
  return {
    duration: r.duration,
    changes: r.changes,
    last_row_id: r.last_row_id,
    changed_db: r.changes > 0,
    rows_read: r.rows.length,
    rows_written: r.changes,
    size_after: 0,
  };
}

function d1Result(r) {
  return { success: true, results: asObjects(r), meta: meta(r) };
}

class D1PreparedStatement {
  constructor(sql, params = []) {
    this.sql = sql;
    this.params = params;
  }
  bind(...values) {
    return new D1PreparedStatement(this.sql, values.map(encodeParam));
  }
  async #one() {
    const { results } = await askJson("/d1", { statements: [{ sql: this.sql, params: this.params }], batch: false });
    return results[0];
  }
  async all() {
    return d1Result(await this.#one());
  }
  async run() {
    return d1Result(await this.#one());
  }
  async first(column) {
    const [row] = asObjects(await this.#one());
    if (row === undefined) return null;
    if (column === undefined) return row;
    if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
    return row[column];
  }
  async raw(options) {
    const r = await this.#one();
    return options?.columnNames ? [r.columns, ...r.rows] : r.rows;
  }
}

export const d1 = {
  prepare(sql) {
    return new D1PreparedStatement(sql);
  },
  // All or nothing, in one transaction, as D1's batch.
  async batch(statements) {
    const { results } = await askJson("/d1", {
      statements: statements.map((s) => ({ sql: s.sql, params: s.params })),
      batch: true,
    });
    return results.map(d1Result);
  },
  async exec(sql) {
    const { count, duration } = await askJson("/d1/exec", { sql });
    return { count, duration };
  },
  async dump() {
    throw new Error("D1's dump() is not available on the local platform");
  },
};

// ---- storage ------------------------------------------------------------------------------

function bucketName(bucket) {
  if (!bucket || typeof bucket !== "object" || typeof bucket.bucket_name !== "string") {
    throw new TypeError("storage: a bucket is passed as its definition (BucketDef), e.g. buckets.uploads");
  }
  return bucket.bucket_name;
}

function checkPath(path) {
  if (typeof path !== "string" || path === "") throw new TypeError("storage: a path is a non-empty string");
  return path;
}

function bodyBytes(file) {
  if (file instanceof ArrayBuffer) return new Uint8Array(file);
  if (ArrayBuffer.isView(file)) return new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
  throw new TypeError("storage: put() takes an ArrayBuffer or an ArrayBufferView");
}

function objectMetadata(m) {
  const out = { size: m.size };
  for (const k of ["contentType", "contentDisposition", "contentEncoding", "cacheControl"]) {
    if (m[k] !== undefined && m[k] !== null) out[k] = m[k];
  }
  return out;
}

function bucketClient(name) {
  const q = (path) => `bucket=${encodeURIComponent(name)}&path=${encodeURIComponent(checkPath(path))}`;
  return {
    async put(path, file, options = {}) {
      await ask(`/storage/put?${q(path)}`, {
        method: "POST",
        headers: { "x-edgespark-metadata": JSON.stringify(options ?? {}) },
        body: bodyBytes(file),
      });
    },
    async get(path) {
      const response = await ask(`/storage/get?${q(path)}`, { method: "POST" });
      if (response.status === 204) return null;
      const metadata = objectMetadata(JSON.parse(response.headers.get("x-edgespark-metadata")));
      return { body: await response.arrayBuffer(), metadata };
    },
    async head(path) {
      const { metadata } = await askJson(`/storage/head?${q(path)}`, {});
      return metadata ? objectMetadata(metadata) : null;
    },
    async list(options = {}) {
      const r = await askJson(`/storage/list?bucket=${encodeURIComponent(name)}`, options ?? {});
      return {
        files: r.files.map((f) => ({ path: f.path, size: f.size, uploadedAt: new Date(f.uploadedAt) })),
        hasMore: r.hasMore,
        ...(r.cursor ? { cursor: r.cursor } : {}),
        delimitedPrefixes: r.delimitedPrefixes,
      };
    },
    async delete(paths) {
      const list = typeof paths === "string" ? [paths] : [...paths];
      list.forEach(checkPath);
      await askJson(`/storage/delete?bucket=${encodeURIComponent(name)}`, { paths: list });
    },
    async createPresignedPutUrl(path, expiresInSecs = 3600, options = {}) {
      const r = await askJson(`/storage/presign?${q(path)}`, { method: "PUT", expiresInSecs, options: options ?? {} });
      return { uploadUrl: r.url, expiresAt: new Date(r.expiresAt), requiredHeaders: r.requiredHeaders };
    },
    async createPresignedGetUrl(path, expiresInSecs = 3600) {
      const r = await askJson(`/storage/presign?${q(path)}`, { method: "GET", expiresInSecs });
      return { downloadUrl: r.url, expiresAt: new Date(r.expiresAt) };
    },
  };
}

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

export const storage = {
  from(bucket) {
    return bucketClient(bucketName(bucket));
  },
  createS3Uri(bucket, path) {
    return `s3://${bucketName(bucket)}/${checkPath(path)}`;
  },
  isS3Uri(value) {
    return typeof value === "string" && S3_URI.test(value);
  },
  parseS3Uri(s3Uri) {
    const parsed = storage.tryParseS3Uri(s3Uri);
    if (!parsed) throw new Error(`not an s3:// URI of a bucket and a path: ${s3Uri}`);
    return parsed;
  },
  tryParseS3Uri(s3Uri) {
    const m = typeof s3Uri === "string" ? S3_URI.exec(s3Uri) : null;
    if (!m) return null;
    return { bucket: { bucket_name: m[1], description: "" }, path: m[2] };
  },
};

// ---- vars, secrets, ctx, auth ---------------------------------------------------------------

export const vars = {
  get(name) {
    return platformEnv().VARS[name] ?? null;
  },
};

export const secret = {
  get(name) {
    return platformEnv().SECRETS[name] ?? null;
  },
};

export const ctx = {
  get environment() {
    return platformEnv().ENVIRONMENT;
  },
  runInBackground(promise) {
    const done = Promise.resolve(promise).catch((e) => console.error("runInBackground:", e));
    const request = perRequest.getStore();
    if (request) request.executionCtx.waitUntil(done);
  },
};

// The front server's header: base64 of the user as JSON (UTF-8).
function userOf(header) {
  if (!header) return null;
  const u = JSON.parse(Buffer.from(header, "base64").toString("utf8"));
  return Object.freeze({
    id: u.id,
    email: u.email ?? null,
    name: u.name ?? null,
    image: u.image ?? null,
    emailVerified: !!u.emailVerified,
    isAnonymous: !!u.isAnonymous,
    createdAt: new Date(u.createdAt),
  });
}

export const auth = {
  get user() {
    return perRequest.getStore()?.user ?? null;
  },
  isAuthenticated() {
    return this.user !== null;
  },
};

// ---- the Worker's fetch, as main.js calls it ------------------------------------------------

// A request with its user (the front server's header, which it removes from what clients
// send) in the per-request store while the app handles it.
export function handle(request, env, executionCtx, app) {
  bindings = env;
  const user = userOf(request.headers.get("x-edgespark-user"));
  const headers = new Headers(request.headers);
  headers.delete("x-edgespark-user");
  const forwarded = new Request(request, { headers });
  return perRequest.run({ user, executionCtx }, () => app(forwarded));
}

// The seed script's context (server/dev/seed.ts): the database, the origin, a fetch to the
// running app, and a way to make users.
export function seedContext(env, origin, db) {
  bindings = env;
  return {
    db,
    origin,
    fetch: (path, init) => fetch(new URL(path, origin), init),
    auth: {
      async createUser({ email, password, name }) {
        const r = await askJson("/auth/create-user", { email, password, name: name ?? "" });
        return r.user;
      },
    },
  };
}
