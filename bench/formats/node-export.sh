#!/usr/bin/env bash
# Exports from the node: time and peak memory of `meridian export --data D --user U --format rpz`
# over a collection of N domain indicators stored in the node, for each binary given (e.g. the
# build before and after a change), RUNS runs each, interleaved. The node is built once with the
# first binary (10 imports of N/10 indicators) and kept in $WORK when it is set. Every run
# starts with an empty disclosure ledger (it then records N disclosures, inside the time).
# With FEED_BIN=path, that binary then serves the node and the feed /feeds/blocklist/rpz is
# fetched (200) and revalidated (304) with curl; the server's peak RSS is reported.
# Usage: bench/formats/node-export.sh N BIN [BIN...]      (env: RUNS=3, WORK=dir, FEED_BIN=path)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=$1
shift
bins=("$@")
runs=${RUNS:-3}
if [ -n "${WORK:-}" ]; then
    work=$WORK
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
data=$work/data
if [ ! -f "$data/meridian.db" ]; then
    python3 bench/formats/gen.py domains "$n" > "$work/domains.json"
    python3 - "$work/domains.json" "$work" <<'PY'
import json, sys
bundle = json.load(open(sys.argv[1]))
objects = bundle["objects"]
size = max(1, len(objects) // 10)
for k in range(0, len(objects), size):
    part = dict(bundle, objects=objects[k:k + size])
    json.dump(part, open(f"{sys.argv[2]}/part-{k // size:02d}.json", "w"))
PY
    rm "$work/domains.json"
    m=${bins[0]}
    "$m" org add bench --jurisdiction EU --data "$data" > /dev/null
    "$m" user add bench-analyst --org bench --data "$data" > /dev/null
    "$m" collection add blocklist --title "Benchmark blocklist" --data "$data" > /dev/null
    "$m" collection grant blocklist org:bench --read --write --data "$data" > /dev/null
    for part in "$work"/part-*.json; do
        "$m" import --data "$data" --user bench-analyst --collection blocklist "$part" 2>&1 | tail -1
    done
fi
echo "node: $n indicators; data directory $(du -sh "$data" | cut -f1)"
for run in $(seq "$runs"); do
    for i in "${!bins[@]}"; do
        bin=${bins[$i]}
        rm -f "$data"/ledger.db*
        /usr/bin/time -f "%e %M" -o "$work/time" "$bin" export --format rpz --data "$data" \
            --user bench-analyst -o "$work/zone-$i.rpz" 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
        read -r secs kib < "$work/time"
        printf 'run %s  %-48s %8.2f s %8.0f MiB  %s lines\n' "$run" "$bin" "$secs" "$((kib / 1024))" \
            "$(wc -l < "$work/zone-$i.rpz")"
    done
done
for i in "${!bins[@]}"; do
    # The same zone from every binary, but for the SOA serial (the current time).
    if ! diff -q <(grep -v ' SOA ' "$work/zone-0.rpz") <(grep -v ' SOA ' "$work/zone-$i.rpz") > /dev/null; then
        echo "the zones of ${bins[0]} and ${bins[$i]} differ"; exit 1
    fi
done
echo "zones identical but for the serial; named-checkzone: $(named-checkzone -q rpz.bench "$work/zone-0.rpz" && echo ok)"
if [ -n "${FEED_BIN:-}" ]; then
    token=$("$FEED_BIN" token create bench-analyst --scope read --data "$data" | tail -1 | tr -d ' ')
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    rm -f "$data"/ledger.db*
    MERIDIAN_ADMIN_TOKEN=mrd_bench-admin-token-0123456789abcdef /usr/bin/time -f "%M" -o "$work/serve-time" \
        "$FEED_BIN" serve --data "$data" --listen "127.0.0.1:$port" --sync-interval 0 > /dev/null 2>&1 &
    timer=$!
    until curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; do sleep 0.2; done
    url="http://127.0.0.1:$port/feeds/blocklist/rpz"
    full=$(curl -s -o "$work/feed.rpz" -D "$work/headers" -w '%{http_code} in %{time_total} s' \
        -H "Authorization: Bearer $token" "$url")
    etag=$(grep -i '^etag:' "$work/headers" | cut -d' ' -f2 | tr -d '\r')
    again=$(curl -s -o /dev/null -w '%{http_code} in %{time_total} s' -H "Authorization: Bearer $token" \
        -H "If-None-Match: $etag" "$url")
    kill -INT "$(pgrep -P "$timer")"
    wait "$timer" || true
    echo "feed $url: $full ($(wc -l < "$work/feed.rpz") lines), revalidated: $again;" \
        "server peak RSS $(( $(tail -1 "$work/serve-time") / 1024 )) MiB"
fi
