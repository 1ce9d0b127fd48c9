#!/usr/bin/env bash
# Imports and exports: time and peak memory of `meridian import` (MISP and STIX, N objects) and
# `meridian export --format rpz` (N domains), and misp-stix converting the same MISP event to
# STIX 2.1 and the same STIX bundle to MISP on a smaller size (it is much slower), with Meridian on
# that size too for the ratio.
# Usage: bench/formats/run.sh [N] [N_REFERENCE]      (defaults: 1000000 and 100000)
# MERIDIAN_BIN=path skips the release build and uses that binary; SKIP_REFERENCE=1 skips misp-stix.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-1000000}
small=${2:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${MERIDIAN_BIN:-}" ]; then
    cargo build --release -q -p meridian
fi
bin=${MERIDIAN_BIN:-$PWD/target/release/meridian}
measure() { # measure LABEL COMMAND...
    /usr/bin/time -f "%e %M" -o "$work/time" "${@:2}" > /dev/null 2> "$work/stderr" || { cat "$work/stderr"; return 1; }
    read -r secs kib < "$work/time"
    printf '%-58s %8.2f s %8.0f MiB\n' "$1" "$secs" "$((kib / 1024))"
}
gen() { python3 bench/formats/gen.py "$1" "$2" > "$work/$1-$2.json"; }
for size in "$small" "$n"; do
    gen misp "$size"; gen stix "$size"
done
gen domains "$n"
echo "input sizes: $(du -h "$work"/*.json | awk '{print $2": "$1}' | sed "s|$work/||" | tr '\n' ' ')"
for size in "$small" "$n"; do
    measure "meridian import --format misp ($size attributes)" "$bin" import --format misp "$work/misp-$size.json" -o "$work/out.json"
    measure "meridian import --format stix ($size indicators)" "$bin" import --format stix "$work/stix-$size.json" -o "$work/out.json"
done
measure "meridian export --format rpz ($n domains)" "$bin" export --format rpz --input "$work/domains-$n.json" -o "$work/zone.rpz"
echo "zone: $(wc -l < "$work/zone.rpz") lines; named-checkzone: $(named-checkzone -q rpz.bench "$work/zone.rpz" && echo ok)"
if [ -n "${SKIP_REFERENCE:-}" ]; then exit 0; fi
mkdir -p "$work/ms"
measure "misp-stix export -v 2.1 ($small attributes)" misp_stix_converter export -v 2.1 -f "$work/misp-$small.json" --output-dir "$work/ms" --overwrite
measure "misp-stix import ($small indicators)" misp_stix_converter import -f "$work/stix-$small.json" --output-dir "$work/ms" --overwrite
