// The platform's storage client (server-types.d.ts: StorageClient, BucketClient), in memory:
// buckets passed as their definitions, list pages of at most 1000 with an opaque cursor and a
// delimiter, delete of one or many paths, presigned URLs with an expiry in seconds. Its clock
// is fixed so transcripts compare.
const buckets = new Map(); // bucket_name -> Map(path -> { body, metadata, uploadedAt })
let tick = 0;
const now = () => new Date(Date.UTC(2026, 0, 1) + 1000 * tick++);
export const clock = { reset: () => { tick = 0; } };

function files(def) {
  if (!def || typeof def !== "object" || typeof def.bucket_name !== "string") {
    throw new TypeError("storage.from() takes a bucket definition ({ bucket_name, description }) from storage_schema.ts");
  }
  if (!buckets.has(def.bucket_name)) buckets.set(def.bucket_name, new Map());
  return buckets.get(def.bucket_name);
}

function bytesOf(body) {
  if (body instanceof ArrayBuffer) return body.slice(0);
  if (ArrayBuffer.isView(body)) return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  throw new TypeError("put() takes an ArrayBuffer or an ArrayBufferView");
}

const encodeCursor = (path) => Buffer.from(path, "utf8").toString("base64url");
const decodeCursor = (cursor) => Buffer.from(cursor, "base64url").toString("utf8");

function bucketClient(def) {
  const store = files(def);
  const name = def.bucket_name;
  return {
    async put(path, body, options = {}) {
      const bytes = bytesOf(body);
      store.set(path, { body: bytes, metadata: { ...options, size: bytes.byteLength }, uploadedAt: now() });
    },
    async get(path) {
      const o = store.get(path);
      return o ? { body: o.body.slice(0), metadata: { ...o.metadata } } : null;
    },
    async head(path) {
      const o = store.get(path);
      return o ? { ...o.metadata } : null;
    },
    async list(options = {}) {
      const { prefix = "", delimiter, cursor } = options;
      const limit = Math.min(options.limit ?? 1000, 1000);
      if (!(limit >= 1)) throw new RangeError("list() limit must be between 1 and 1000");
      const after = cursor ? decodeCursor(cursor) : null;
      const keys = [...store.keys()].filter((k) => k.startsWith(prefix)).sort();
      const out = [];
      const prefixes = new Set();
      let last = null;
      let hasMore = false;
      for (const k of keys) {
        if (after !== null && k <= after) continue;
        const rest = k.slice(prefix.length);
        const cut = delimiter ? rest.indexOf(delimiter) : -1;
        if (cut >= 0) {
          const folder = prefix + rest.slice(0, cut + delimiter.length);
          if (prefixes.has(folder)) { last = k; continue; }
          if (out.length + prefixes.size >= limit) { hasMore = true; break; }
          prefixes.add(folder);
        } else {
          if (out.length + prefixes.size >= limit) { hasMore = true; break; }
          const o = store.get(k);
          out.push({ path: k, size: o.metadata.size, uploadedAt: o.uploadedAt });
        }
        last = k;
      }
      return { files: out, hasMore, ...(hasMore ? { cursor: encodeCursor(last) } : {}), delimitedPrefixes: [...prefixes] };
    },
    async delete(paths) {
      for (const p of typeof paths === "string" ? [paths] : paths) store.delete(p);
    },
    async createPresignedGetUrl(path, expiresInSecs = 3600) {
      const expiresAt = new Date(now().getTime() + expiresInSecs * 1000);
      return { downloadUrl: `https://storage.local/${name}/${encodeURI(path)}?expires=${expiresAt.getTime() / 1000}`, expiresAt };
    },
    async createPresignedPutUrl(path, expiresInSecs = 3600, options = {}) {
      const expiresAt = new Date(now().getTime() + expiresInSecs * 1000);
      const requiredHeaders = options.contentType ? { "content-type": options.contentType } : {};
      return { uploadUrl: `https://storage.local/${name}/${encodeURI(path)}?upload&expires=${expiresAt.getTime() / 1000}`, expiresAt, requiredHeaders };
    },
  };
}

function parse(uri) {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(String(uri));
  return m ? { bucket: { bucket_name: m[1], description: "" }, path: m[2] } : null;
}

export const storage = {
  from: bucketClient,
  createS3Uri: (def, path) => `s3://${def.bucket_name}/${path}`,
  isS3Uri: (value) => parse(value) !== null,
  parseS3Uri(uri) {
    const parsed = parse(uri);
    if (!parsed) throw new Error(`not an s3:// URI: ${uri}`);
    return parsed;
  },
  tryParseS3Uri: parse,
};
