#!/usr/bin/env python3
"""Runs the matching benchmark: Meridian against the memchr newline-count limit, `rg -F -f`,
`grep -F -f` and a Python set-based scanner, on the same generated files in the same run.
Prints Markdown tables: for each tool and log, the median wall time and the median CPU time
(user + system) of RUNS runs, throughput per CPU-second (per core), the CPU-time ratio to
Meridian on one thread, peak RSS, and the count each tool reports next to the exact expected
count. CPU time is the fairer measure on a shared machine; the load average is printed too.

Usage: run.py DIR [--runs N] [--timeout S] [--skip rg|grep|python]...   (DIR from generate.py)

rg, grep and the Python scanner run once per file (they are slow); every command runs with
a 12 GiB address-space limit, because `rg -F -f` with millions of patterns can take more
memory than the machine can spare (a failure is reported as such).
Needs target/release/meridian and target/release/examples/linecount:
    cargo build --release -p meridian
    cargo build --release -p meridian-matcher --example linecount
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import resource
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MERIDIAN = os.path.join(ROOT, "target", "release", "meridian")
LINECOUNT = os.path.join(ROOT, "target", "release", "examples", "linecount")
PY_SCAN = os.path.join(ROOT, "bench", "matching", "py_scan.py")


MEMORY_LIMIT = 12 << 30


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def measure(command, runs, timeout):
    """Median wall seconds, median CPU seconds, max peak RSS (KiB) and stdout of `command`."""
    times, cpus, rss, out = [], [], 0, ""
    for _ in range(runs):
        with tempfile.NamedTemporaryFile("r") as stats:
            try:
                done = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", stats.name] + command,
                                      capture_output=True, text=True, timeout=timeout, preexec_fn=limit_memory)
            except subprocess.TimeoutExpired:
                return None, None, None, f"timeout {timeout}s"
            seconds, user, system, kib = stats.read().split()[-4:]
        times.append(float(seconds))
        cpus.append(float(user) + float(system))
        rss = max(rss, int(kib))
        out = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else f"exit {done.returncode}"
    return statistics.median(times), statistics.median(cpus), rss, out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--skip", action="append", default=[], help="tools to leave out (grep, rg, python)")
    args = parser.parse_args()
    with open(os.path.join(args.dir, "expected.json")) as f:
        expected = json.load(f)
    indicators = os.path.join(args.dir, "indicators", "all.txt")
    index = os.path.join(args.dir, "indicators", "all.idx")

    print(f"Workload: {expected['indicators']:,} indicators; {expected['lines']:,} lines per log; seed {expected['seed']}.")
    print(f"Load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.\n")
    # Index build (compile from the plain list, save) and load.
    build, build_cpu, build_rss, _ = measure([MERIDIAN, "match", "-i", indicators, "--save-index", index], args.runs, args.timeout)
    size = os.path.getsize(index)
    print("| index | wall s | CPU s | peak RSS MiB | notes |")
    print("|---|---:|---:|---:|---|")
    print(f"| read {expected['indicators']:,} indicators from text, compile, save | {build:.2f} | {build_cpu:.2f} | {build_rss / 1024:.0f} | index file {size / 2**20:.1f} MiB = {size / expected['indicators']:.1f} bytes/indicator |")
    load, load_cpu, load_rss, _ = measure([MERIDIAN, "match", "--count", "-i", index, "-"], args.runs, args.timeout)
    print(f"| load the saved index (and scan empty stdin) | {load:.2f} | {load_cpu:.2f} | {load_rss / 1024:.0f} | included in every Meridian run below |")
    print()

    tools = [
        ("meridian --threads 1", lambda log: [MERIDIAN, "match", "--count", "--threads", "1", "-i", index, log]),
        ("memchr newline count (limit, 1 thread)", lambda log: [LINECOUNT, log]),
        ("meridian --threads 2", lambda log: [MERIDIAN, "match", "--count", "--threads", "2", "-i", index, log]),
        ("rg -F -c -f", lambda log: ["rg", "--no-config", "-F", "-c", "-f", indicators, log]),
        ("grep -F -c -f", lambda log: ["grep", "-F", "-c", "-f", indicators, log]),
        ("python set scanner", lambda log: [sys.executable, PY_SCAN, indicators, log]),
    ]
    skip = {"rg": "rg -F -c -f", "grep": "grep -F -c -f", "python": "python set scanner"}
    print("| log | tool | wall s | CPU s | MB per CPU-s | CPU × meridian 1 thread | peak RSS MiB | hit lines reported (exact) |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for log in ["dns.log", "conn.log", "eve.json"]:
        path = os.path.join(args.dir, "logs", log)
        mb = os.path.getsize(path) / 1e6
        base = None
        for name, command in tools:
            if any(skip[s] == name for s in args.skip):
                continue
            runs = 1 if name in ("rg -F -c -f", "grep -F -c -f", "python set scanner") else args.runs
            seconds, cpu, rss, out = measure(command(path), runs, args.timeout)
            if seconds is None:
                print(f"| {log} ({mb:.0f} MB) | {name} | – | – | – | – | – | {out} |", flush=True)
                continue
            if name == "meridian --threads 1":
                base = cpu
            ratio = f"{cpu / base:.2f}" if base else "–"
            exact = expected["hit_lines"][log]
            reported = out if name != "memchr newline count (limit, 1 thread)" else f"{out} lines"
            print(f"| {log} ({mb:.0f} MB) | {name} | {seconds:.2f} | {cpu:.2f} | {mb / max(cpu, 0.005):.0f} | {ratio} | {rss / 1024:.0f} | {reported} ({exact}) |", flush=True)
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
