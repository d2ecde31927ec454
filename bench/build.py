#!/usr/bin/env python3
"""Benchmark: `edgespark build` against esbuild and rolldown bundling the same app with the same
options (Workers conditions, platform modules external, tsconfig paths), in one run, same machine.

    python3 bench/build.py [--runs 5]
    python3 bench/build.py --heavy 200,1000,2000,5000 [--runs 5]

Installs the anchors from npm into bench/node_modules (pinned in bench/package.json), the fixture
app's dependencies from its lockfile, and builds edgespark in release mode. Apps: fixtures/app,
and generated apps of 200 and 1000 route files (each a Hono sub-app with a zod-validated POST and
a drizzle query on its own table). Each tool is timed with and without minification; we print
the median wall time, CPU time (user+sys), peak memory, and the output's raw and gzip sizes, with
our ratio to each anchor (wall: theirs / ours, so >1 means we are faster; size: ours / theirs).

`--heavy SIZES`: instead, apps shaped like real ones at each size (see heavy_app), edgespark
against esbuild only (rolldown takes seconds there), and how the time grows: time(n) /
time(smallest) beside n / smallest.

rolldown 1.3.2 leaves out zod's `config(en())` (zod/v4/classic/external.js), so its bundles answer
"Invalid input" where Node, esbuild's bundle and ours give zod's English messages. To compare sizes
of the same program, the row `=rolldown` is our build of the app with that one statement removed
from a copy of zod; its ratio is against rolldown only.
"""
import argparse, gzip, os, re, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
APP = os.path.join(REPO, "fixtures", "app")
EDGESPARK = os.path.join(REPO, "target", "release", "edgespark")
BIN = os.path.join(HERE, "node_modules", ".bin")


def skeleton(name):
    """WORK/name: fixtures/app's project files (config, package.json, tsconfig, generated SDK
    types, its installed packages) without its code; returns (root, server folder)."""
    root = os.path.join(WORK, name)
    shutil.rmtree(root, ignore_errors=True)
    server = os.path.join(root, "server")
    os.makedirs(os.path.join(server, "src", "routes"))
    os.makedirs(os.path.join(server, "src", "defs"))
    shutil.copy(os.path.join(APP, "edgespark.toml"), root)
    for f in ["package.json", "tsconfig.json"]:
        shutil.copy(os.path.join(APP, "server", f), server)
    shutil.copytree(os.path.join(APP, "server", "src", "__generated__"), os.path.join(server, "src", "__generated__"))
    os.symlink(os.path.join(APP, "server", "node_modules"), os.path.join(server, "node_modules"))
    return root, server


def generated_app(n):
    """fixtures/app's project files with n route files and n tables instead of its own code."""
    root, server = skeleton(f"routes{n}")
    tables = ['import { sqliteTable, text, integer } from "drizzle-orm/sqlite-core";']
    for i in range(n):
        tables.append(f'''export const t{i} = sqliteTable("table_{i}", {{
  id: integer("id").primaryKey({{ autoIncrement: true }}),
  name: text("name").notNull(),
  score: integer("score").notNull().default(0),
}});''')
        with open(os.path.join(server, "src", "routes", f"r{i}.ts"), "w") as f:
            f.write(f'''import {{ Hono }} from "hono";
import {{ zValidator }} from "@hono/zod-validator";
import {{ z }} from "zod/v4";
import {{ eq }} from "drizzle-orm";
import {{ db }} from "edgespark";
import {{ t{i} }} from "@defs";

const input{i} = z.object({{ name: z.string().min(1).max(100), score: z.number().int().optional() }});

export const r{i} = new Hono()
  .get("/:id{{[0-9]+}}", async (c) => {{
    const [row] = await db.select().from(t{i}).where(eq(t{i}.id, Number(c.req.param("id"))));
    return row ? c.json(row) : c.notFound();
  }})
  .post("/", zValidator("json", input{i}), async (c) => {{
    const [row] = await db.insert(t{i}).values(c.req.valid("json")).returning();
    return c.json(row, 201);
  }});
''')
    write_entry_and_defs(server, n, tables)
    return root


VALIDATORS = '''import { z } from "zod/v4";

export const idParam = z.object({ id: z.coerce.number().int().positive() });
export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  q: z.string().max(200).optional(),
});
export const itemInput = z.object({
  name: z.string().min(1).max(100),
  score: z.number().int().min(0).optional(),
  tags: z.array(z.string().max(30)).max(10).default([]),
});
export const itemPatch = itemInput.partial();
'''

HEAVY_TABLE = '''export const t{i} = sqliteTable("table_{i}", {{
  id: integer("id").primaryKey({{ autoIncrement: true }}),
  owner: text("owner").notNull(),
  name: text("name").notNull(),
  score: integer("score").notNull().default(0),
  tags: text("tags", {{ mode: "json" }}).$type<string[]>().notNull().default([]),
  createdAt: integer("created_at", {{ mode: "timestamp" }}).notNull(),
}});'''

HEAVY_ROUTE = '''import {{ Hono }} from "hono";
import {{ zValidator }} from "@hono/zod-validator";
import {{ and, eq, like, desc }} from "drizzle-orm";
import {{ db }} from "edgespark";
import {{ auth }} from "edgespark/http";
import {{ t{i} }} from "@defs";
import {{ idParam, listQuery, itemInput, itemPatch }} from "../validators";

const mine{i} = (id: number) => and(eq(t{i}.id, id), eq(t{i}.owner, auth.user!.id));

export const r{i} = new Hono()
  .get("/", zValidator("query", listQuery), async (c) => {{
    const {{ limit, offset, q }} = c.req.valid("query");
    const where = q ? and(eq(t{i}.owner, auth.user!.id), like(t{i}.name, `%${{q}}%`)) : eq(t{i}.owner, auth.user!.id);
    const rows = await db.select().from(t{i}).where(where).orderBy(desc(t{i}.createdAt)).limit(limit).offset(offset);
    return c.json({{ items: rows, limit, offset }});
  }})
  .post("/", zValidator("json", itemInput), async (c) => {{
    const body = c.req.valid("json");
    const [row] = await db.insert(t{i}).values({{ ...body, owner: auth.user!.id, createdAt: new Date() }}).returning();
    return c.json(row, 201);
  }})
  .get("/:id", zValidator("param", idParam), async (c) => {{
    const [row] = await db.select().from(t{i}).where(mine{i}(c.req.valid("param").id));
    return row ? c.json(row) : c.json({{ error: "not found" }}, 404);
  }})
  .patch("/:id", zValidator("param", idParam), zValidator("json", itemPatch), async (c) => {{
    const [row] = await db.update(t{i}).set(c.req.valid("json")).where(mine{i}(c.req.valid("param").id)).returning();
    return row ? c.json(row) : c.json({{ error: "not found" }}, 404);
  }})
  .delete("/:id", zValidator("param", idParam), async (c) => {{
    const [row] = await db.delete(t{i}).where(mine{i}(c.req.valid("param").id)).returning();
    return row ? c.body(null, 204) : c.json({{ error: "not found" }}, 404);
  }});
'''


def heavy_app(n):
    """fixtures/app's project files with n heavier route files (five handlers each on its own
    table, validators from a shared module, `auth` from edgespark/http) and n tables."""
    root, server = skeleton(f"heavy{n}")
    with open(os.path.join(server, "src", "validators.ts"), "w") as f:
        f.write(VALIDATORS)
    tables = ['import { sqliteTable, text, integer } from "drizzle-orm/sqlite-core";']
    for i in range(n):
        tables.append(HEAVY_TABLE.format(i=i))
        with open(os.path.join(server, "src", "routes", f"r{i}.ts"), "w") as f:
            f.write(HEAVY_ROUTE.format(i=i))
    write_entry_and_defs(server, n, tables)
    return root


def write_entry_and_defs(server, n, tables):
    """db_schema.ts with `tables`, the defs barrel, and an index.ts mounting r0..r{n-1}."""
    with open(os.path.join(server, "src", "defs", "db_schema.ts"), "w") as f:
        f.write("\n".join(tables) + "\n")
    with open(os.path.join(server, "src", "defs", "index.ts"), "w") as f:
        f.write('import * as dbSchema from "./db_schema";\nexport const drizzleSchema = { ...dbSchema };\nexport * from "./db_schema";\n')
    with open(os.path.join(server, "src", "index.ts"), "w") as f:
        f.write('import { Hono } from "hono";\n')
        f.write("".join(f'import {{ r{i} }} from "./routes/r{i}";\n' for i in range(n)))
        f.write('const app = new Hono().basePath("/api");\n')
        f.write("".join(f'app.route("/r{i}", r{i});\n' for i in range(n)))
        f.write("export default app;\n")


def copied_fixture():
    root = os.path.join(WORK, "fixture")
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(APP, root, ignore=shutil.ignore_patterns("node_modules", "dist", ".edgespark"))
    os.symlink(os.path.join(APP, "server", "node_modules"), os.path.join(root, "server", "node_modules"))
    return root


def without_zod_locale_setup(root):
    """A copy of the app whose node_modules is the fixture's with zod's `config(en());` removed:
    the program rolldown's bundle runs."""
    overlay = os.path.join(WORK, "node_modules-without-zod-config-en")
    if not os.path.isdir(overlay):
        source = os.path.join(APP, "server", "node_modules")
        os.makedirs(overlay)
        for name in os.listdir(source):
            if name != "zod":
                os.symlink(os.path.join(source, name), os.path.join(overlay, name))
        shutil.copytree(os.path.join(source, "zod"), os.path.join(overlay, "zod"))
        external = os.path.join(overlay, "zod", "v4", "classic", "external.js")
        text = open(external).read()
        assert "\nconfig(en());\n" in text, "zod's locale setup moved; update bench/build.py"
        open(external, "w").write(text.replace("\nconfig(en());\n", "\n"))
    copy = root + "-as-rolldown"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns("node_modules", "dist", "out-*"))
    os.symlink(overlay, os.path.join(copy, "server", "node_modules"))
    return copy


def tools(root, minify):
    """(name, command, environment, output file) for each tool on this app."""
    server = os.path.join(root, "server")
    entry, tsconfig = os.path.join(server, "src", "index.ts"), os.path.join(server, "tsconfig.json")
    m = ["--minify"] if minify else []
    out = lambda t: os.path.join(root, f"out-{t}{'-min' if minify else ''}.js")
    esbuild = [os.path.join(BIN, "esbuild"), entry, "--bundle", "--format=esm", "--conditions=workerd,worker",
               "--main-fields=browser,module,main", f"--tsconfig={tsconfig}", "--external:edgespark",
               "--external:edgespark/*", "--external:cloudflare:*", "--external:node:*", f"--outfile={out('esbuild')}",
               "--log-level=warning"] + m
    rolldown_env = dict(os.environ, BENCH_INPUT=entry, BENCH_TSCONFIG=tsconfig, BENCH_OUTPUT=out("rolldown"),
                        BENCH_MINIFY="1" if minify else "0")
    rolldown = [os.path.join(BIN, "rolldown"), "-c", os.path.join(HERE, "rolldown.config.mjs")]
    # Cold builds: the build cache would make every run after the first a cached one.
    return [("edgespark", [EDGESPARK, "-C", root, "build", "--no-cache"] + m, None, os.path.join(server, "dist", "bundle.js")),
            ("esbuild", esbuild, None, out("esbuild")),
            ("rolldown", rolldown, rolldown_env, out("rolldown")),
            ("=rolldown", [EDGESPARK, "-C", root + "-as-rolldown", "build", "--no-cache"] + m, None, os.path.join(root + "-as-rolldown", "server", "dist", "bundle.js"))]


def measure(cmd, env):
    """Wall seconds, CPU seconds (user+sys) and peak RSS (MB) of one run."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read().decode()
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def prepare():
    """--runs from the command line; the anchors, the fixture's packages and our release build
    installed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--heavy", help="comma-separated sizes of the heavier app shape")
    args = ap.parse_args()
    quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
    # `npm install` (not ci): the lockfile names only the platform binaries npm saw here, and
    # `npm ci` refuses that; install still takes the pinned versions from it.
    subprocess.run(["npm", "install"] + quiet, cwd=HERE, check=True)
    subprocess.run(["npm", "ci"] + quiet, cwd=os.path.join(APP, "server"), check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    os.makedirs(WORK, exist_ok=True)
    return args


def main():
    args = prepare()
    if args.heavy:
        return heavy(args)
    apps = [("fixture app", copied_fixture()), ("200 routes", generated_app(200)), ("1000 routes", generated_app(1000))]
    print(f"{'app':<17}{'tool':<11}{'wall':>9}{'cpu':>9}{'peak':>9}{'raw':>10}{'gzip':>9}   wall ratio / gzip ratio (edgespark vs)")
    for label, root in apps:
        without_zod_locale_setup(root)
        for minify in (False, True):
            rows = {}
            # Round robin (each run times every tool once): load from elsewhere on the machine
            # then falls on all tools alike instead of on whichever ran during it.
            runs = {name: [] for name, *_ in tools(root, minify)}
            for _ in range(args.runs):
                for name, cmd, env, _ in tools(root, minify):
                    runs[name].append(measure(cmd, env))
            for name, _, _, out in tools(root, minify):
                data, r = open(out, "rb").read(), runs[name]
                rows[name] = (statistics.median(x[0] for x in r), statistics.median(x[1] for x in r),
                              max(x[2] for x in r), len(data), len(gzip.compress(data, compresslevel=6)))
            tag = f"{label}{' min' if minify else ''}"
            ours = rows["edgespark"]
            for name, (wall, cpu, peak, raw, gz) in rows.items():
                if name == "edgespark":
                    ratio = ""
                elif name == "=rolldown":
                    ratio = f"   same program as rolldown's: {gz / rows['rolldown'][4]:.3f}x size"
                else:
                    ratio = f"   {wall / ours[0]:.2f}x faster / {ours[4] / gz:.2f}x size"
                print(f"{tag:<17}{name:<11}{wall * 1000:>7.0f}ms{cpu * 1000:>7.0f}ms{peak:>7.0f}MB{raw / 1000:>8.1f}kB{gz / 1000:>7.1f}kB{ratio}")
                tag = ""


def heavy(args):
    """Each heavy app size, edgespark and esbuild in round robin, then the growth of each."""
    sizes = [int(n) for n in args.heavy.split(",")]
    walls = {}
    print(f"{'app':<17}{'tool':<11}{'wall':>9}{'cpu':>9}{'peak':>9}{'raw':>10}   wall ratio (esbuild / edgespark)")
    for n in sizes:
        root = heavy_app(n)
        for minify in (False, True):
            chosen = [t for t in tools(root, minify) if t[0] in ("edgespark", "esbuild")]
            runs = {name: [] for name, *_ in chosen}
            for _ in range(args.runs):
                for name, cmd, env, _ in chosen:
                    runs[name].append(measure(cmd, env))
            tag = f"{n} heavy{' min' if minify else ''}"
            for name, _, _, out in chosen:
                r = runs[name]
                wall, cpu = statistics.median(x[0] for x in r), statistics.median(x[1] for x in r)
                walls[(n, minify, name)] = wall
                ratio = f"   {wall / walls[(n, minify, 'edgespark')]:.2f}x" if name != "edgespark" else ""
                print(f"{tag:<17}{name:<11}{wall * 1000:>7.0f}ms{cpu * 1000:>7.0f}ms{max(x[2] for x in r):>7.0f}MB{os.path.getsize(out) / 1000:>8.1f}kB{ratio}")
                tag = ""
        warm(root, args.runs, walls[(n, False, "esbuild")])
    base = sizes[0]
    for minify in (False, True):
        for name in ("edgespark", "esbuild"):
            growth = ", ".join(f"{n}: {walls[(n, minify, name)] / walls[(base, minify, name)]:.2f} (input {n / base:.1f})" for n in sizes[1:])
            print(f"growth {name}{' min' if minify else ''} over {base}: {growth}")


def warm(root, runs, esbuild_cold):
    """edgespark build again with the build cache: nothing changed, and one route file changed
    (a handler's answer, differently each run), against esbuild's cold time."""
    cmd = [EDGESPARK, "-C", root, "build"]
    measure(cmd, None)
    unchanged = [measure(cmd, None)[0] for _ in range(runs)]
    route = os.path.join(root, "server", "src", "routes", "r0.ts")
    original = open(route).read()
    changed = []
    try:
        for i in range(runs):
            with open(route, "w") as f:
                f.write(edited(original, f"edited {i}"))
            changed.append(measure(cmd, None)[0])
    finally:
        with open(route, "w") as f:
            f.write(original)
    watched = watched_rebuilds(root, route, original, runs)
    for label, r in (("nothing changed", unchanged), ("one route changed", changed),
                     ("one route changed, --watch", watched)):
        wall = statistics.median(r)
        print(f"{'':<17}{'rebuild':<11}{wall * 1000:>7.0f}ms   {label}: {wall / esbuild_cold:.2f}x esbuild's cold time")


def edited(route_text, mark):
    """A route file with one handler's answer changed: an edit the bundle shows (an unused new
    export would be shaken out, leaving the bundle's bytes as they were)."""
    changed = route_text.replace('"not found"', f'"not found ({mark})"', 1)
    assert changed != route_text, "the route file has a not-found answer to edit"
    return changed


def watched_rebuilds(root, route, original, runs):
    """`edgespark build --watch`, a route file changed each run: seconds each rebuild took as
    the build prints it (from the change seen, after the watcher's settling, to the bundle
    written), the modules that did not change kept parsed from the build before."""
    p = subprocess.Popen([EDGESPARK, "-C", root, "build", "--watch"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)

    def built():
        while True:
            line = p.stderr.readline()
            if not line:
                sys.exit("build --watch stopped")
            m = re.search(r"Built in (\d+) ms", line)
            if m:
                return int(m.group(1)) / 1000

    try:
        built()
        times = []
        for i in range(runs + 1):
            time.sleep(0.3)
            with open(route, "w") as f:
                f.write(edited(original, f"watched {i}"))
            # The first rebuild parses what the cached first build did not keep: not counted.
            t = built()
            if i > 0:
                times.append(t)
        return times
    finally:
        p.terminate()
        p.wait()
        with open(route, "w") as f:
            f.write(original)


if __name__ == "__main__":
    main()
