#!/usr/bin/env python3
"""Benchmark: `edgespark routes` against the Node route listing the EdgeSpark CLI does (bundle
the server with esbuild, import the bundle in Node, `inspectRoutes` from hono/dev), on the
generated app of 1000 route files (bench/build.py's), in one run.

    python3 bench/routes.py [--runs 5]

Prints the median wall time of: ours; esbuild's bundle step; Node importing the bundle and
listing; and the two Node-side steps together, with our ratio. Both lists are compared too.
"""
import json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from build import APP, BIN, EDGESPARK, WORK, generated_app, measure, prepare  # noqa: E402

LIST = """
import { pathToFileURL } from "node:url";
const [bundle, devHelper] = process.argv.slice(2);
const { inspectRoutes } = await import(pathToFileURL(devHelper).href);
const { default: app } = await import(pathToFileURL(bundle).href);
for (const r of inspectRoutes(app)) if (!r.isMiddleware) console.log(`${r.method} ${r.path}`);
"""


def main():
    args = prepare()
    root = generated_app(1000)
    server = os.path.join(root, "server")
    run_dir = os.path.join(WORK, "routes-run")
    # The platform's module is only imported by the bundle, never called while listing.
    stub = os.path.join(run_dir, "node_modules", "edgespark")
    os.makedirs(stub, exist_ok=True)
    open(os.path.join(stub, "package.json"), "w").write('{"name":"edgespark","type":"module","main":"index.js"}')
    open(os.path.join(stub, "index.js"), "w").write("export const db = {};\n")
    script = os.path.join(run_dir, "list.mjs")
    open(script, "w").write(LIST)
    bundle = os.path.join(run_dir, "bundle.mjs")
    dev = os.path.join(APP, "server", "node_modules", "hono", "dist", "helper", "dev", "index.js")
    ours = [EDGESPARK, "-C", root, "routes", "--json"]
    esbuild = [os.path.join(BIN, "esbuild"), os.path.join(server, "src", "index.ts"), "--bundle", "--format=esm",
               "--conditions=workerd,worker", "--main-fields=browser,module,main", f"--tsconfig={os.path.join(server, 'tsconfig.json')}",
               "--external:edgespark", "--external:edgespark/*", "--external:cloudflare:*", "--external:node:*",
               f"--outfile={bundle}", "--log-level=warning"]
    listing = ["node", script, bundle, dev]
    times = {}
    for name, cmd in [("edgespark routes", ours), ("esbuild bundle", esbuild), ("node import + list", listing)]:
        times[name] = statistics.median(measure(cmd, None)[0] for _ in range(args.runs))
    got = [f"{r['method']} {r['path']}" for r in json.loads(subprocess.run(ours, capture_output=True, check=True).stdout)["routes"]]
    want = subprocess.run(listing, capture_output=True, check=True, text=True).stdout.split("\n")[:-1]
    node_total = times["esbuild bundle"] + times["node import + list"]
    print(f"1000 route files, {len(got)} routes; lists equal: {'yes' if got == want else 'NO'}")
    for name, t in times.items():
        print(f"  {name:<22}{t * 1000:>8.0f} ms")
    print(f"  {'node pipeline (sum)':<22}{node_total * 1000:>8.0f} ms   ours: {node_total / times['edgespark routes']:.1f}x faster")


if __name__ == "__main__":
    main()
