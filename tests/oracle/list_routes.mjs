// Hono's own route list for a bundle: imports it (under the stand-in platform), runs
// `inspectRoutes` from hono/dev on its default export, and prints each route that is not
// middleware as `METHOD path`, in registration order. Test oracle only.
//   node list_routes.mjs BUNDLE HONO_PACKAGE_DIR
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [bundle, hono] = process.argv.slice(2);
const { inspectRoutes } = await import(pathToFileURL(join(hono, "dist/helper/dev/index.js")).href);
const { default: app } = await import(pathToFileURL(bundle).href);
for (const r of inspectRoutes(app)) if (!r.isMiddleware) console.log(`${r.method} ${r.path}`);
