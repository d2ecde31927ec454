#!/usr/bin/env python3
"""Benchmark: esbuild's own published benchmark. three.js r160 (`src/`, pinned in
bench/package.json) copied 10 times, one entry importing each copy as a namespace and exporting
it; edgespark and esbuild bundle it with the same options, plain and with `--minify
--sourcemap`, round robin in one run. Prints the median wall time, CPU time, peak memory and
output size of each, and esbuild's time over ours (>1: we are faster).

    python3 bench/threejs.py [--runs 5]
"""
import argparse, os, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work", "three10")
EDGESPARK = os.path.join(REPO, "target", "release", "edgespark")
ESBUILD = os.path.join(HERE, "node_modules", ".bin", "esbuild")


def app():
    """WORK/copyN/ (N = 1..10) holding three's src, and WORK/entry.js."""
    source = os.path.join(HERE, "node_modules", "three", "src")
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    lines = []
    for i in range(1, 11):
        shutil.copytree(source, os.path.join(WORK, f"copy{i}"))
        lines.append(f"import * as copy{i} from './copy{i}/Three.js'; export {{ copy{i} }};")
    with open(os.path.join(WORK, "entry.js"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return os.path.join(WORK, "entry.js")


def measure(cmd):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(["npm", "install"] + quiet, cwd=HERE, check=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    entry = app()
    print(f"{'three.js x10':<24}{'tool':<11}{'wall':>9}{'cpu':>9}{'peak':>9}{'out':>11}   esbuild / edgespark")
    for label, extra in (("bundle", []), ("--minify --sourcemap", ["--minify", "--sourcemap"])):
        out = lambda t: os.path.join(WORK, f"out-{t}{'-min' if extra else ''}.js")
        tools = [
            ("edgespark", [EDGESPARK, "bundle", entry, "--format", "esm", "--outfile", out("edgespark")] + extra),
            ("esbuild", [ESBUILD, entry, "--bundle", "--format=esm", f"--outfile={out('esbuild')}", "--log-level=warning"] + extra),
        ]
        runs = {name: [] for name, _ in tools}
        for _ in range(args.runs):
            for name, cmd in tools:
                runs[name].append(measure(cmd))
        walls = {}
        tag = label
        for name, _ in tools:
            r = runs[name]
            wall, cpu, peak = statistics.median(x[0] for x in r), statistics.median(x[1] for x in r), max(x[2] for x in r)
            walls[name] = wall
            ratio = f"   {wall / walls['edgespark']:.2f}x" if name != "edgespark" else ""
            size = os.path.getsize(out(name)) / 1e6
            print(f"{tag:<24}{name:<11}{wall * 1000:>7.0f}ms{cpu * 1000:>7.0f}ms{peak:>7.0f}MB{size:>9.2f}MB{ratio}")
            tag = ""


if __name__ == "__main__":
    main()
