#!/usr/bin/env bash
# Meridian's TAXII 2.1 server against medallion (the OASIS reference server, memory backend) on
# this machine, in the same run: GET of a 100-object page and POST of 1,000-object envelopes at
# 16 and 64 connections (wrk), durable ingest, and paging a large collection against a 10k one.
# The results are printed as Markdown for BENCHMARKS.md (section "TAXII server").
#
# Usage: bench/taxii-vs-medallion.sh [--before OLD-MERIDIAN] [--large N] [--seconds S] [--repeat R]
#        [--skip-paging] [--skip-cells] [--skip-medallion]
# (arguments go to bench/taxii_bench.py; see its --help). Traffic goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk
fi
if ! command -v medallion >/dev/null; then
    python3 -m pip install --quiet medallion
fi
cargo build --release -p meridian

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, medallion $(python3 -m pip show medallion | awk '/^Version/ {print $2}'), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)" >&2
exec python3 bench/taxii_bench.py --meridian target/release/meridian "$@"
