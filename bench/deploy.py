#!/usr/bin/env python3
"""Benchmark: `edgespark deploy --dry-run` with its type check against that type check alone —
TypeScript 7's native tsc on the config edgespark derives for the project (the example app is
written for TypeScript 5, as every real EdgeSpark project is, so tsc cannot read its own
tsconfig) — in one run, same machine, on three sizes: the example app and generated apps of 100
and 200 route files (each with a zod-validated POST and a drizzle query on its own table).

    python3 bench/deploy.py [--runs 5]

Prints medians: the type check alone, the deploy with the type check cache cleared (cold) and
kept (warm: the second deploy of an unchanged project), and the ratios. Targets: cold deploy
≤ 1.05× the type check alone (bundle, routes and checks hide behind it), warm ≤ 50 ms.
"""
import json, os, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from build import EDGESPARK, REPO, copied_fixture, generated_app, prepare  # noqa: E402

TSC_DIR = os.path.join(HERE, "node_modules", "@typescript", "typescript-linux-x64", "lib")


def timed(cmd, env, cwd=None, stdin=None):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, input=stdin)
    return time.perf_counter() - t, p


def deploy_ready(root):
    """Defs a generated app lacks, then migrations generated and applied."""
    defs = os.path.join(root, "server", "src", "defs")
    for name, text in [("runtime.ts", "export type VarKey = never;\nexport type SecretKey = never;\n"),
                       ("storage_schema.ts", "export {};\n"), ("db_relations.ts", "export {};\n")]:
        if not os.path.exists(os.path.join(defs, name)):
            open(os.path.join(defs, name), "w").write(text)
            # The barrel the platform expects (fixtures/app's).
            shutil.copy(os.path.join(REPO, "fixtures", "app", "server", "src", "defs", "index.ts"), defs)
    for setup in (["db", "generate", "--name", "init"], ["db", "migrate"]):
        subprocess.run([EDGESPARK, "-C", root] + setup, check=True, capture_output=True)
    if os.path.exists(os.path.join(root, "server", "src", "defs", "runtime.ts")) and "ADMIN_EMAILS" in open(os.path.join(defs, "runtime.ts")).read():
        subprocess.run([EDGESPARK, "-C", root, "var", "set", "ADMIN_EMAILS=a@example.com", "SITE_NAME=Demo"], check=True, capture_output=True)
        subprocess.run([EDGESPARK, "-C", root, "secret", "set", "STRIPE_WEBHOOK_SECRET"], input=b"whsec\n", check=True, capture_output=True)


def main():
    args = prepare()
    tsc = os.path.join(TSC_DIR, "tsc")
    if not os.path.isfile(tsc):
        sys.exit(f"no native tsc in {TSC_DIR} (this benchmark expects linux-x64)")
    env = dict(os.environ, PATH=TSC_DIR + os.pathsep + os.environ["PATH"])
    apps = [("fixture app", copied_fixture()), ("100 routes", generated_app(100)), ("200 routes", generated_app(200))]
    print(f"{'app':<14}{'tsc alone':>11}{'deploy cold':>13}{'ratio':>8}{'deploy warm':>13}   type check step")
    for label, root in apps:
        deploy_ready(root)
        cache = os.path.join(root, ".edgespark", "cache")
        first = subprocess.run([EDGESPARK, "-C", root, "deploy", "--dry-run", "--json"], env=env, capture_output=True)
        report = json.loads(first.stdout)
        if not report["ok"]:
            sys.exit(f"{label}: the deploy fails: {report['errors'][:3]}")
        derived = os.path.join(root, ".edgespark", "tmp", "tsconfig.server.json")
        config = derived if os.path.exists(derived) else "tsconfig.json"
        alone, cold, warm = [], [], []
        for _ in range(args.runs):
            wall, p = timed([tsc, "--noEmit", "--pretty", "false", "-p", config], env, cwd=os.path.join(root, "server"))
            if p.returncode != 0:
                sys.exit(f"{label}: tsc alone failed: {p.stdout[:500]}")
            alone.append(wall)
            shutil.rmtree(cache, ignore_errors=True)
            wall, p = timed([EDGESPARK, "-C", root, "deploy", "--dry-run", "--json"], env)
            report = json.loads(p.stdout)
            cold.append(wall)
            wall, _ = timed([EDGESPARK, "-C", root, "deploy", "--dry-run", "--json"], env)
            warm.append(wall)
        a, c, w = (statistics.median(x) for x in (alone, cold, warm))
        tc = next(s for s in report["steps"] if s["name"] == "type check")
        print(f"{label:<14}{a * 1000:>8.0f} ms{c * 1000:>10.0f} ms{c / a:>7.2f}x{w * 1000:>10.0f} ms   {tc['status']}: {tc['detail'][:70]}")
    print("ratio: cold deploy / the type check alone (target <= 1.05x); warm target <= 50 ms")


if __name__ == "__main__":
    main()
