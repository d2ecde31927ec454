#!/usr/bin/env python3
"""Benchmark: `edgespark deploy --dry-run` against its steps run one after another, on the
example app made ready to deploy (migrations generated and applied, vars and secret set), in
one run, with TypeScript 7's native tsc (from npm, into bench/node_modules) as the type check.

    python3 bench/deploy.py [--runs 5]

The steps alone: `edgespark pull` (schema sync), `tsc --noEmit` (the type check),
`edgespark build` (the bundle) and `edgespark routes`; the checks have no command of their own,
so the deploy's own figure for them is added. Prints medians: the steps and their sum, the
deploy with the type check cache cleared before each run (cold) and kept (warm, the second
deploy of an unchanged project), and the ratios.
"""
import json, os, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from build import EDGESPARK, copied_fixture, prepare  # noqa: E402

TSC_DIR = os.path.join(HERE, "node_modules", "@typescript", "typescript-linux-x64", "lib")


def timed(cmd, env, cwd=None):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True)
    return time.perf_counter() - t, p


def main():
    args = prepare()
    if not os.path.isfile(os.path.join(TSC_DIR, "tsc")):
        sys.exit(f"no native tsc in {TSC_DIR} (this benchmark expects linux-x64)")
    env = dict(os.environ, PATH=TSC_DIR + os.pathsep + os.environ["PATH"])
    root = copied_fixture()
    server = os.path.join(root, "server")
    for setup in (["db", "generate", "--name", "init"], ["db", "migrate"], ["var", "set", "ADMIN_EMAILS=a@example.com", "SITE_NAME=Demo"]):
        subprocess.run([EDGESPARK, "-C", root] + setup, check=True, capture_output=True)
    subprocess.run([EDGESPARK, "-C", root, "secret", "set", "STRIPE_WEBHOOK_SECRET"], input=b"whsec\n", check=True, capture_output=True)
    cache = os.path.join(root, ".edgespark", "cache")

    steps = {"schema sync (pull)": [EDGESPARK, "-C", root, "pull"], "type check (tsc --noEmit)": [os.path.join(TSC_DIR, "tsc"), "--noEmit", "-p", "tsconfig.json"],
             "bundle (build)": [EDGESPARK, "-C", root, "build"], "routes": [EDGESPARK, "-C", root, "routes"]}
    times = {name: [] for name in steps}
    checks, cold, warm, report = [], [], [], None
    for _ in range(args.runs):
        for name, cmd in steps.items():
            wall, _ = timed(cmd, env, cwd=server)
            times[name].append(wall)
        shutil.rmtree(cache, ignore_errors=True)
        wall, p = timed([EDGESPARK, "-C", root, "deploy", "--dry-run", "--json"], env)
        report = json.loads(p.stdout)
        cold.append(wall)
        checks.append(next(s["ms"] for s in report["steps"] if s["name"] == "checks") / 1000)
        wall, _ = timed([EDGESPARK, "-C", root, "deploy", "--dry-run", "--json"], env)
        warm.append(wall)
    med = {name: statistics.median(t) for name, t in times.items()}
    med["checks (deploy's own figure)"] = statistics.median(checks)
    total = sum(med.values())
    for name, t in med.items():
        print(f"  {name:<32}{t * 1000:>8.0f} ms")
    print(f"  {'sum of the steps':<32}{total * 1000:>8.0f} ms")
    c, w = statistics.median(cold), statistics.median(warm)
    print(f"deploy --dry-run, cold type check {c * 1000:>6.0f} ms   {total / c:.2f}x faster than the steps one after another")
    print(f"deploy --dry-run, warm (cached)   {w * 1000:>6.0f} ms   {total / w:.2f}x faster")
    tc = next(s for s in report["steps"] if s["name"] == "type check")
    print(f"(the deploy's type check: {tc['status']}, {tc['detail'][:100]}; deploy ok: {report['ok']})")


if __name__ == "__main__":
    main()
