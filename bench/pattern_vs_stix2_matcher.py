#!/usr/bin/env python3
"""Evaluation speed of `meridian pattern eval --jsonl` against stix2-matcher on the same cases.

Usage: bench/pattern_vs_stix2_matcher.py MERIDIAN_BINARY [COUNT] [RUNS]
Cases come from scripts/pattern_oracle.py (valid patterns that stix2-matcher evaluates without
an error). The two sides run alternately, RUNS rounds (default 5) of one Python run and five
Rust runs, so that a change in the machine's load affects both; medians are reported. The Rust side is the whole process: start,
reading the JSON lines from a file, parsing them, parsing and compiling each pattern,
evaluating, writing the answers. The Python side is only `match()` on already-parsed data.
Before timing, the script checks that both sides give the same answer on every case.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from stix2matcher.matcher import match

binary = sys.argv[1]
count = sys.argv[2] if len(sys.argv) > 2 else "3000"
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
here = os.path.dirname(os.path.abspath(__file__))
oracle = os.path.join(here, "..", "scripts", "pattern_oracle.py")
cases = [json.loads(l) for l in subprocess.run([sys.executable, oracle, count], check=True,
                                                capture_output=True, text=True).stdout.splitlines()]
cases = [c for c in cases if c["valid"] and c["outcome"] != "error"]
lines = "".join(json.dumps({"pattern": c["pattern"], "stix_version": c["stix_version"],
                            "observed_data": c["observed_data"]}) + "\n" for c in cases)
with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    f.write(lines)
    path = f.name


def python_run():
    start = time.perf_counter()
    for c in cases:
        match(c["pattern"], c["observed_data"], stix_version=c["stix_version"])
    return time.perf_counter() - start


def rust_run(stdout=subprocess.DEVNULL):
    with open(path) as stdin:
        start = time.perf_counter()
        subprocess.run([binary, "pattern", "eval", "--jsonl"], stdin=stdin, stdout=stdout,
                       check=True)
        return time.perf_counter() - start


answers = subprocess.run([binary, "pattern", "eval", "--jsonl"], stdin=open(path),
                         capture_output=True, text=True, check=True).stdout.splitlines()
disagree = sum(json.loads(a) != {"match": c["outcome"] == "match"} for a, c in zip(answers, cases))
if len(answers) != len(cases) or disagree:
    sys.exit(f"the answers differ on {disagree} of {len(cases)} cases")

py, rs = [], []
for _ in range(runs):
    py.append(python_run())
    # The Rust side takes ~1 % as long, so a moment's load on the shared machine moves it
    # more: five runs per round.
    rs.extend(rust_run() for _ in range(5))
os.unlink(path)
py, rs = statistics.median(py), statistics.median(rs)
print(f"cases: {len(cases)} (same answers on all)")
print(f"stix2-matcher: {py:.3f} s ({len(cases) / py:.0f} cases/s)")
print(f"meridian:      {rs:.3f} s ({len(cases) / rs:.0f} cases/s)")
print(f"ratio:         {py / rs:.1f}x")
