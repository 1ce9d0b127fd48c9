#!/usr/bin/env bash
# Benchmarks `meridian stix validate` against the OASIS reference validator (stix2_validator) on
# the same bundle, whole process, same run; then peak memory of Meridian on a 1 GB bundle.
# Usage: bench/stix-validate.sh [OBJECTS] [BIG_BYTES]     (defaults: 5000 objects, 1 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${1:-5000}
big=${2:-1000000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release -q -p meridian
bin=target/release/meridian
python3 bench/gen-stix-bundle.py --objects "$objects" > "$work/bundle.json"
echo "bundle: $objects objects, $(du -h "$work/bundle.json" | cut -f1)"
hyperfine --warmup 1 --runs 5 --export-json "$work/meridian.json" "$bin stix validate -q $work/bundle.json"
hyperfine --runs 3 --export-json "$work/reference.json" "stix2_validator --silent $work/bundle.json || true"
python3 - "$work" "$objects" <<'PY'
import json, statistics, sys
work, n = sys.argv[1], int(sys.argv[2])
m = statistics.median(json.load(open(f"{work}/meridian.json"))["results"][0]["times"])
r = statistics.median(json.load(open(f"{work}/reference.json"))["results"][0]["times"])
print(f"median: meridian {m:.3f} s ({n/m:,.0f} objects/s), stix2_validator {r:.3f} s ({n/r:,.0f} objects/s), ratio {r/m:.0f}x")
PY
python3 bench/gen-stix-bundle.py --bytes "$big" > "$work/big.json"
size=$(stat -c %s "$work/big.json")
/usr/bin/time -f "%e s elapsed, %M KiB peak RSS" "$bin" stix validate -q "$work/big.json" 2> "$work/time.txt" || true
echo "big bundle: $size bytes: $(tail -n 1 "$work/time.txt")"
