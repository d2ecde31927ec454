#!/usr/bin/env python3
"""Benchmark: `edgespark db generate` against `drizzle-kit generate` on the same schemas, in one
run, same machine. Prints wall time (median of N runs) and the ratio.

    python3 bench/run.py [--runs 5]

Installs the anchors from npm into bench/node_modules (pinned in bench/package.json) and builds
edgespark in release mode. Schemas: the fixture app, and generated schemas of 200 and 1000
tables (10 columns, an index and a foreign key each). Each run starts from an empty migrations
folder (the initial migration) — the work both tools do on every `generate` of a new project.
"""
import argparse, os, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
EDGESPARK = os.path.join(REPO, "target", "release", "edgespark")
KIT = ["node", os.path.join(HERE, "node_modules", "drizzle-kit", "bin.cjs")]


def generated_schema(n):
    out = ['import { sql } from "drizzle-orm";',
           'import { sqliteTable, text, integer, real, index } from "drizzle-orm/sqlite-core";']
    for i in range(n):
        ref = f'.references(() => t{i - 1}.id, {{ onDelete: "cascade" }})' if i else ""
        out.append(f'''export const t{i} = sqliteTable("table_{i}", {{
  id: integer("id").primaryKey({{ autoIncrement: true }}),
  parentId: integer("parent_id"){ref},
  name: text("name").notNull(),
  slug: text("slug").notNull().unique(),
  body: text("body"),
  score: real("score").default(0),
  views: integer("views").notNull().default(0),
  published: integer("published", {{ mode: "boolean" }}).default(false),
  createdAt: text("created_at").notNull().default(sql`(current_timestamp)`),
  meta: text("meta", {{ mode: "json" }}),
}}, (t) => [index("table_{i}_name_idx").on(t.name)]);''')
    return "\n".join(out) + "\n"


def project(name, schema_text=None, copy_from=None):
    root = os.path.join(WORK, name)
    shutil.rmtree(root, ignore_errors=True)
    if copy_from:
        shutil.copytree(copy_from, root)
    else:
        os.makedirs(os.path.join(root, "server/src/defs"))
        with open(os.path.join(root, "edgespark.toml"), "w") as f:
            f.write('project_id = "bench"\n[server]\npath = "server"\n')
        with open(os.path.join(root, "server/src/defs/db_schema.ts"), "w") as f:
            f.write(schema_text)
    return root


def timed(cmd, reset):
    reset()
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{r.stderr.decode()}")
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    os.makedirs(WORK, exist_ok=True)
    cases = [("fixture app", project("app", copy_from=os.path.join(REPO, "fixtures/app"))),
             ("200 tables", project("t200", generated_schema(200))),
             ("1000 tables", project("t1000", generated_schema(1000)))]
    print(f"{'schema':<14}{'edgespark':>12}{'drizzle-kit':>14}{'ratio':>10}   same SQL")
    for label, root in cases:
        out = os.path.join(root, "server/drizzle")
        kit_out = os.path.join(root, "kit-out")
        schema = os.path.join(root, "server/src/defs/db_schema.ts")
        ours = [timed([EDGESPARK, "-C", root, "db", "generate", "--name", "init"],
                      lambda: shutil.rmtree(out, ignore_errors=True)) for _ in range(args.runs)]
        theirs = [timed(KIT + ["generate", "--dialect", "sqlite", "--schema", schema, "--out", kit_out, "--name", "init"],
                        lambda: shutil.rmtree(kit_out, ignore_errors=True)) for _ in range(args.runs)]
        same = open(os.path.join(out, "0000_init.sql")).read() == open(os.path.join(kit_out, "0000_init.sql")).read()
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"{label:<14}{a * 1000:>10.1f}ms{b * 1000:>12.1f}ms{b / a:>9.0f}x   {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
