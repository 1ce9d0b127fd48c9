#!/usr/bin/env python3
"""Compare Meridian's valid/invalid verdicts with the reference validator's, element by element.

    scripts/stix-corpus.py --seed 1 --count 3000 --explain /tmp/explain.jsonl > /tmp/corpus.json
    scripts/stix-oracle.py /tmp/corpus.json > /tmp/oracle.jsonl
    scripts/stix-diff.py --meridian target/release/meridian \\
        --corpus /tmp/corpus.json --oracle /tmp/oracle.jsonl --explain /tmp/explain.jsonl

Each corpus element is written to its own file and checked with `MERIDIAN stix validate FILE`;
only the exit status is used (0 = no errors, 1 = errors, anything else = failure), so this
works whatever the finding format is. Meridian must agree with the reference on every element,
except those the explain file marks with a `reference_bug` (invalid per the spec but wrongly
accepted by the reference, see docs/design/stix-reference-validator.md section 9): on those
Meridian must say invalid.

Exit status: 0 when every verdict agrees (modulo documented reference bugs), 1 otherwise.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meridian", default="meridian", help="path of the meridian binary")
    ap.add_argument("--corpus", required=True, help="JSON array from stix-corpus.py")
    ap.add_argument("--oracle", required=True, help="JSON lines from stix-oracle.py")
    ap.add_argument("--explain", help="explain file from stix-corpus.py --explain")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--show", type=int, default=20, help="print at most this many disagreements")
    args = ap.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        corpus = json.load(f)
    with open(args.oracle, encoding="utf-8") as f:
        oracle = [json.loads(line) for line in f if line.strip()]
    explain = [{} for _ in corpus]
    if args.explain:
        with open(args.explain, encoding="utf-8") as f:
            explain = [json.loads(line) for line in f if line.strip()]
    if not (len(corpus) == len(oracle) == len(explain)):
        sys.exit("stix-diff: corpus, oracle and explain lengths differ")

    with tempfile.TemporaryDirectory(prefix="stix-diff-") as tmp:
        paths = []
        for i, obj in enumerate(corpus):
            p = os.path.join(tmp, f"{i:06d}.json")
            with open(p, "w", encoding="utf-8") as f:
                json.dump(obj, f, ensure_ascii=False)
            paths.append(p)

        def run(p):
            r = subprocess.run([args.meridian, "stix", "validate", p], capture_output=True, text=True)
            return r.returncode, r.stdout + r.stderr

        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(run, paths))

    unexpected, allowed, failures = [], 0, []
    for i, ((rc, output), ref) in enumerate(zip(results, oracle)):
        if rc not in (0, 1):
            failures.append((i, rc, output))
            continue
        ours = rc == 0
        bug = explain[i].get("reference_bug")
        if bug:
            # Invalid per the spec, wrongly accepted by the reference: Meridian must reject it.
            if not ours:
                allowed += 1
            else:
                unexpected.append((i, ours, ref, explain[i], output))
            continue
        if ours != ref["valid"]:
            unexpected.append((i, ours, ref, explain[i], output))

    for i, ours, ref, ex, output in unexpected[: args.show]:
        print(f"[{i}] meridian={'valid' if ours else 'invalid'} reference={'valid' if ref['valid'] else 'invalid'}"
              f" mutation={ex.get('mutation')} reference_bug={ex.get('reference_bug')}")
        for e in ref["errors"][:3]:
            print("    reference: " + e[:200])
        for line in output.splitlines()[:3]:
            print("    meridian:  " + line[:200])
    for i, rc, output in failures[: args.show]:
        print(f"[{i}] meridian exited {rc}: {output.strip()[:200]}")
    print(f"{len(corpus)} objects, {len(unexpected)} unexpected disagreement(s), "
          f"{allowed} documented reference bug(s) correctly rejected, {len(failures)} meridian failure(s)")
    return 1 if unexpected or failures else 0


if __name__ == "__main__":
    sys.exit(main())
