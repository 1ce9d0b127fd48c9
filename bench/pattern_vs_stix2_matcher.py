#!/usr/bin/env python3
"""Evaluation speed of `meridian pattern eval --jsonl` against stix2-matcher on the same cases.

Usage: bench/pattern_vs_stix2_matcher.py MERIDIAN_BINARY [COUNT]
Cases come from scripts/pattern_oracle.py (valid patterns only). Each side is timed over the
whole case list, three runs, and the median is reported; the Rust side includes process start
and JSON parsing, the Python side only `match()` on already-parsed data.
"""
import json
import os
import statistics
import subprocess
import sys
import time

from stix2matcher.matcher import match

binary = sys.argv[1]
count = sys.argv[2] if len(sys.argv) > 2 else "3000"
here = os.path.dirname(os.path.abspath(__file__))
oracle = os.path.join(here, "..", "scripts", "pattern_oracle.py")
cases = [json.loads(l) for l in subprocess.run([sys.executable, oracle, count], check=True,
                                                capture_output=True, text=True).stdout.splitlines()]
cases = [c for c in cases if c["valid"] and c["outcome"] != "error"]
lines = "".join(json.dumps({"pattern": c["pattern"], "stix_version": c["stix_version"],
                            "observed_data": c["observed_data"]}) + "\n" for c in cases)


def python_run():
    start = time.perf_counter()
    for c in cases:
        match(c["pattern"], c["observed_data"], stix_version=c["stix_version"])
    return time.perf_counter() - start


def rust_run():
    start = time.perf_counter()
    subprocess.run([binary, "pattern", "eval", "--jsonl"], input=lines, text=True, check=True,
                   capture_output=True)
    return time.perf_counter() - start


py = statistics.median(python_run() for _ in range(3))
rs = statistics.median(rust_run() for _ in range(3))
print(f"cases: {len(cases)}")
print(f"stix2-matcher: {py:.3f} s ({len(cases) / py:.0f} cases/s)")
print(f"meridian:      {rs:.3f} s ({len(cases) / rs:.0f} cases/s)")
print(f"ratio:         {py / rs:.1f}x")
