#!/usr/bin/env python3
"""Meridian's TAXII server against medallion (the OASIS reference server, memory backend), same
machine, same run. Driven by bench/taxii-vs-medallion.sh, which installs the tools first.

Measures, with wrk on 127.0.0.1:
  * GET of a 100-object page (`limit=100`) from a collection of `--get-size` objects (100 by
    default: medallion's GET cost grows faster than linearly with the collection, about 10 s per
    request at 1,000 objects on the reference machine), 16 and 64 connections;
  * POST of 1,000-object envelopes of new indicators (every request carries new ids), 16 and 64
    connections; a request counts only when it answered 202 with `success_count` 1000;
and, for Meridian only:
  * durable ingest: objects/s while filling a collection through POSTs (4 client connections);
  * paging a large collection against a 10k one: a full walk with `limit`/`next` (per-page
    latency) and wrk on the first page and on a page in the middle (the wrk runs alternate
    between the two collections once both are filled and walked).

With `--before BIN`, an older Meridian build is measured too, in the same run: every GET/POST
cell alternates between the two builds (and medallion), so machine noise falls on both alike.
Each Meridian cell also reports the server's CPU time per request (user + system, from
/proc/PID/stat), which the load of other processes on the machine disturbs less than req/s.

Prints progress to stderr and a Markdown report to stdout. Standard library only (plus the
medallion and wrk executables).
"""

import argparse
import base64
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

TAXII = "application/taxii+json;version=2.1"
TOKEN = "bench-admin-token-" + "b" * 24
MEDALLION_AUTH = "Basic " + base64.b64encode(b"bench:bench-password").decode()
MEDALLION_ROOT = "api1"
BUNDLE = 1000


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stamp(i):
    """A millisecond-precision timestamp, distinct per `i` (up to ~11 days of milliseconds)."""
    t = 1735689600000 + i  # 2025-01-01T00:00:00.000Z
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t // 1000)) + ".%03dZ" % (t % 1000)


def indicator(object_id, i):
    s = stamp(i)
    return {
        "type": "indicator", "spec_version": "2.1", "id": object_id, "created": s, "modified": s,
        "name": f"bench indicator {i}", "indicator_types": ["malicious-activity"],
        "pattern": f"[domain-name:value = 'h{i:08x}.bench.example']", "pattern_type": "stix",
        "valid_from": s,
    }


def envelope(rng, n, offset=0):
    return {"objects": [indicator(f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}", offset + i)
                        for i in range(n)]}


def post_template():
    """A 1,000-object envelope whose ids start with PFXPFXPF; wrk's Lua puts a fresh 8-hex-digit
    prefix there for every request, so every request adds new objects."""
    objs = [indicator(f"indicator--PFXPFXPF-{i:04x}-4{i:03x}-8{i:03x}-{i:012x}", i) for i in range(BUNDLE)]
    return json.dumps({"objects": objs})


class Http:
    """A keep-alive client for one server."""

    def __init__(self, port, auth):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.auth = auth

    def call(self, method, path, body=None):
        headers = {"Accept": TAXII, "Authorization": self.auth}
        if body is not None:
            headers["Content-Type"] = TAXII
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()


def wait_up(proc, port, path, auth, what):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            status, _ = Http(port, auth).call("GET", path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"{what} did not start")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Meridian:
    def __init__(self, binary, work, name="meridian"):
        self.binary, self.data = binary, os.path.join(work, f"{name}-data")
        self.port = free_port()
        self.auth = f"Bearer {TOKEN}"
        for alias in ("bench-get", "bench-post", "page-small", "page-large"):
            subprocess.run([binary, "collection", "add", alias, "--data", self.data],
                           check=True, capture_output=True)
        env = dict(os.environ, MERIDIAN_ADMIN_TOKEN=TOKEN, RUST_LOG="warn")
        self.log = open(os.path.join(work, f"{name}.log"), "ab")
        self.proc = subprocess.Popen(
            [binary, "serve", "--data", self.data, "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=self.log, env=env, stdin=subprocess.DEVNULL)
        wait_up(self.proc, self.port, "/healthz", self.auth, "meridian")

    def objects_path(self, collection):
        return f"/meridian/collections/{collection}/objects/"

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"


class Medallion:
    """medallion with its memory backend, started fresh with one pre-filled GET collection and
    an empty POST collection."""

    GET_ID = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
    POST_ID = "52892447-4d7e-4f70-b94d-d7f22742ff63"

    def __init__(self, work, get_objects):
        self.port = free_port()
        self.auth = MEDALLION_AUTH
        base = f"http://127.0.0.1:{self.port}"
        manifest = [{"id": o["id"], "date_added": stamp(i), "version": o["modified"],
                     "media_type": "application/stix+json;version=2.1"}
                    for i, o in enumerate(get_objects)]
        collection = {"can_read": True, "can_write": True,
                      "media_types": ["application/stix+json;version=2.1"]}
        data = {
            "/discovery": {"title": "bench", "description": "bench", "default": f"{base}/{MEDALLION_ROOT}/",
                           "api_roots": [f"{base}/{MEDALLION_ROOT}/"]},
            MEDALLION_ROOT: {
                "information": {"title": "bench", "description": "bench", "versions": [TAXII],
                                "max_content_length": 100 * 1024 * 1024},
                "status": [],
                "collections": [
                    dict(collection, id=self.GET_ID, title="get", objects=get_objects, manifest=manifest),
                    dict(collection, id=self.POST_ID, title="post", objects=[], manifest=[]),
                ],
            },
        }
        data_path = os.path.join(work, "medallion-data.json")
        config_path = os.path.join(work, "medallion-config.json")
        with open(data_path, "w") as f:
            json.dump(data, f)
        with open(config_path, "w") as f:
            json.dump({"backend": {"module": "medallion.backends.memory_backend",
                                   "module_class": "MemoryBackend", "filename": data_path},
                       "users": {"bench": "bench-password"},
                       "taxii": {"max_page_size": 1000}}, f)
        self.log = open(os.path.join(work, "medallion.log"), "ab")
        self.proc = subprocess.Popen(
            ["medallion", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "WARN", config_path],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        wait_up(self.proc, self.port, "/taxii2/", self.auth, "medallion")

    def objects_path(self, collection):
        cid = self.GET_ID if collection == "bench-get" else self.POST_ID
        return f"/{MEDALLION_ROOT}/collections/{cid}/objects/"

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"


LUA_COMMON = r"""
local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local good = 0
  for _, t in ipairs(threads) do good = good + t:get("good") end
  local e = summary.errors
  io.write(string.format(
    '\nWRKJSON {"requests":%d,"good":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.0f,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, good, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

LUA_GET = LUA_COMMON + r"""
good = 0
wrk.method = "GET"
wrk.headers["Accept"] = "application/taxii+json;version=2.1"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
function response(status, headers, body)
  if status == 200 then good = good + 1 end
end
"""

LUA_POST = LUA_COMMON + r"""
good = 0
local template
local run = tonumber(os.getenv("BENCH_RUN"))
wrk.method = "POST"
wrk.headers["Accept"] = "application/taxii+json;version=2.1"
wrk.headers["Content-Type"] = "application/taxii+json;version=2.1"
wrk.headers["Authorization"] = os.getenv("BENCH_AUTH")
function init(args)
  local f = assert(io.open(os.getenv("BENCH_TEMPLATE"), "r"))
  template = f:read("*a")
  f:close()
end
function request()
  counter = counter + 1
  local prefix = string.format("%02x%02x%04x", run, tid, counter % 65536)
  local body = template:gsub("PFXPFXPF", prefix)
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  if status == 202 and body:find('"success_count":%s*1000[,}]') then good = good + 1 end
end
"""


def cpu_seconds(pid):
    """User + system CPU time of a process so far, in seconds (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def wrk(url, connections, seconds, lua, env):
    threads = 2
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "120s",
           "-s", lua, url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, **env))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    for line in out.stdout.splitlines():
        if line.startswith("WRKJSON "):
            r = json.loads(line[len("WRKJSON "):])
            r["rps"] = r["good"] / (r["duration_us"] / 1e6)
            # The load generator shares the machine's cores with the server.
            r["wrk_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            return r
    sys.exit(f"wrk failed: {out.stdout}\n{out.stderr}")


def fill(server, collection, total, connections, seed, progress_every=100_000):
    """POSTs `total` new indicators in 1,000-object envelopes over `connections` connections;
    returns objects/s (acknowledged successes only). Bodies come from the wrk template with a
    fresh id prefix each (`seed` keeps prefixes apart between collections), so the client
    spends little CPU."""
    lock = threading.Lock()
    state = {"next": 0, "acked": 0, "reported": 0}
    started = time.monotonic()
    template = post_template()
    assert total % BUNDLE == 0, "fill sizes are multiples of 1,000"

    def worker(k):
        client = Http(server.port, server.auth)
        while True:
            with lock:
                offset = state["next"]
                if offset >= total:
                    return
                state["next"] += BUNDLE
            prefix = "%02x%06x" % (seed % 256, offset // BUNDLE)
            body = template.replace("PFXPFXPF", prefix).encode()
            status, raw = client.call("POST", server.objects_path(collection), body)
            if status != 202:
                sys.exit(f"fill: POST answered {status}: {raw[:200]!r}")
            ok = json.loads(raw)["success_count"]
            with lock:
                state["acked"] += ok
                if state["acked"] - state["reported"] >= progress_every:
                    state["reported"] = state["acked"]
                    rate = state["acked"] / (time.monotonic() - started)
                    log(f"  {collection}: {state['acked']:,} objects, {rate:,.0f}/s so far")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    if state["acked"] != total:
        sys.exit(f"fill: {state['acked']} of {total} acknowledged")
    return total / elapsed, elapsed


def walk(server, collection):
    """Pages through the whole collection (limit=100); returns per-page latencies (ms), the
    number of objects seen, and a `next` token from the middle."""
    client = Http(server.port, server.auth)
    latencies, seen, cursor, tokens = [], 0, None, []
    while True:
        query = {"limit": "100"}
        if cursor:
            query["next"] = cursor
        t0 = time.perf_counter()
        status, raw = client.call("GET", f"{server.objects_path(collection)}?{urllib.parse.urlencode(query)}")
        latencies.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            sys.exit(f"walk: GET answered {status}")
        env = json.loads(raw)
        seen += len(env.get("objects", []))
        if not env.get("more"):
            return latencies, seen, tokens[len(tokens) // 2] if tokens else None
        cursor = env["next"]
        tokens.append(cursor)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meridian", required=True)
    parser.add_argument("--before", help="an older meridian binary to measure in the same run")
    parser.add_argument("--seconds", type=int, default=8, help="length of each wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="wrk runs per cell (the median is quoted)")
    parser.add_argument("--large", type=int, default=1_000_000, help="objects in the large paging collection")
    parser.add_argument("--small", type=int, default=10_000, help="objects in the small paging collection")
    parser.add_argument("--get-size", type=int, default=100, help="objects in the GET collection")
    parser.add_argument("--skip-medallion", action="store_true")
    parser.add_argument("--skip-paging", action="store_true")
    parser.add_argument("--skip-cells", action="store_true", help="only the paging check")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (data of every server)")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="meridian-bench-")
    log(f"work directory {work}")
    rng = random.Random(7)
    get_objects = envelope(rng, args.get_size)["objects"]
    template = os.path.join(work, "post-template.json")
    with open(template, "w") as f:
        f.write(post_template())
    lua_get, lua_post = os.path.join(work, "get.lua"), os.path.join(work, "post.lua")
    with open(lua_get, "w") as f:
        f.write(LUA_GET)
    with open(lua_post, "w") as f:
        f.write(LUA_POST)

    meridian = Meridian(args.meridian, work)
    builds = [("meridian", meridian)]
    if args.before:
        builds.append(("before", Meridian(args.before, work, name="before")))
    for _, server in builds:
        status, raw = Http(server.port, server.auth).call(
            "POST", server.objects_path("bench-get"), json.dumps({"objects": get_objects}).encode())
        assert status == 202 and json.loads(raw)["success_count"] == args.get_size, raw[:300]

    results = {}  # (server, op, conns) -> list of runs
    run_no = [0]

    def measure_once(name, server, op, conns, make=None):
        if make:
            server = make()
        run_no[0] += 1
        env = {"BENCH_AUTH": server.auth, "BENCH_RUN": str(run_no[0] % 256), "BENCH_TEMPLATE": template}
        cpu_before = cpu_seconds(server.proc.pid)
        if op == "GET":
            url = server.url(server.objects_path("bench-get") + "?limit=100")
            r = wrk(url, conns, args.seconds, lua_get, env)
        else:
            url = server.url(server.objects_path("bench-post"))
            r = wrk(url, conns, args.seconds, lua_post, env)
        cpu_after = cpu_seconds(server.proc.pid)
        if cpu_before is not None and cpu_after is not None and r["requests"]:
            r["cpu_ms_per_req"] = (cpu_after - cpu_before) * 1000 / r["requests"]
        if make:
            stop(server.proc)
        results.setdefault((name, op, conns), []).append(r)
        cpu = f", server CPU {r['cpu_ms_per_req']:.2f} ms/request" if "cpu_ms_per_req" in r else ""
        cpu += f", wrk CPU {r['wrk_cpu_s']:.1f} s"
        log(f"{name} {op} c={conns}: {r['rps']:.1f} req/s (good {r['good']} of {r['requests']}), "
            f"p50 {r['p50_us'] / 1000:.1f} ms, p99 {r['p99_us'] / 1000:.1f} ms{cpu}")

    for op in () if args.skip_cells else ("GET", "POST"):
        for conns in (16, 64):
            # Runs alternate between the servers, so that noise falls on all of them alike.
            for _ in range(args.repeat):
                for name, server in builds:
                    measure_once(name, server, op, conns)
                if not args.skip_medallion:
                    # A fresh medallion per run: its POST cost grows with the collection's size.
                    measure_once("medallion", None, op, conns, make=lambda: Medallion(work, get_objects))
    if args.before:
        stop(builds[1][1].proc)

    paging = None
    if not args.skip_paging:
        paging = {}
        middles = {}
        for k, (collection, size) in enumerate((("page-small", args.small), ("page-large", args.large))):
            log(f"filling {collection} with {size:,} objects")
            rate, elapsed = fill(meridian, collection, size, 4, seed=0xf0 + k)
            log(f"  {rate:,.0f} objects/s ({elapsed:.0f} s)")
            latencies, seen, middles[collection] = walk(meridian, collection)
            paging[collection] = {"size": size, "fill_rate": rate, "fill_seconds": elapsed, "seen": seen,
                                  "pages": len(latencies), "walk_p50": pct(latencies, 50),
                                  "walk_p99": pct(latencies, 99), "walk_seconds": sum(latencies) / 1000,
                                  "first_runs": [], "middle_runs": []}
            log(f"  walk: {len(latencies)} pages, p50 {pct(latencies, 50):.2f} ms, p99 {pct(latencies, 99):.2f} ms")
        # The wrk runs alternate between the collections, after both were filled and walked, so
        # that what the machine or the server does meanwhile falls on both alike.
        env = {"BENCH_AUTH": meridian.auth}
        for _ in range(args.repeat):
            for collection in ("page-small", "page-large"):
                path = meridian.objects_path(collection)
                first = wrk(meridian.url(path + "?limit=100"), 16, args.seconds, lua_get, env)
                query = urllib.parse.urlencode({"limit": "100", "next": middles[collection]})
                mid = wrk(meridian.url(path + "?" + query), 16, args.seconds, lua_get, env)
                paging[collection]["first_runs"].append(first)
                paging[collection]["middle_runs"].append(mid)
                log(f"  {collection}: first page {first['rps']:.0f} req/s, middle page {mid['rps']:.0f} req/s")
        for p in paging.values():
            p["first"] = {"rps": median_of(p["first_runs"], "rps")}
            p["middle"] = {"rps": median_of(p["middle_runs"], "rps")}
    stop(meridian.proc)
    db = os.path.join(meridian.data, "meridian.db")
    db_size = os.path.getsize(db) if os.path.exists(db) else 0
    report(results, paging, args, db_size)
    if args.keep:
        log(f"kept {work}")
    else:
        # Each run leaves gigabytes of server data behind otherwise.
        shutil.rmtree(work, ignore_errors=True)


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def report(results, paging, args, db_size):
    out = []
    out.append(f"wrk, 2 threads, {args.seconds} s per run, median of {args.repeat} runs per cell; "
               f"GET from a {args.get_size}-object collection.\n")
    if args.before and results:
        out.append("| request | conns | before req/s | p50 | p99 | CPU ms/req | after req/s | p50 | p99 "
                   "| CPU ms/req | after/before req/s | CPU per request |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for op, label in (("GET", "GET 100-object page"), ("POST", "POST 1,000-object envelope")):
            for conns in (16, 64):
                cells = [label, str(conns)]
                for name in ("before", "meridian"):
                    m = results.get((name, op, conns), [])
                    cpu = [r["cpu_ms_per_req"] for r in m if "cpu_ms_per_req" in r]
                    cells += [f"{median_of(m, 'rps'):,.1f}", f"{median_of(m, 'p50_us') / 1000:.1f} ms",
                              f"{median_of(m, 'p99_us') / 1000:.1f} ms",
                              f"{statistics.median(cpu):.2f}" if cpu else "–"]
                b, a = results.get(("before", op, conns), []), results.get(("meridian", op, conns), [])
                cells.append(f"**{median_of(a, 'rps') / median_of(b, 'rps'):.2f}×**")
                cb = [r["cpu_ms_per_req"] for r in b if "cpu_ms_per_req" in r]
                ca = [r["cpu_ms_per_req"] for r in a if "cpu_ms_per_req" in r]
                cells.append(f"{statistics.median(ca) / statistics.median(cb):.2f}×" if ca and cb else "–")
                out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if results:
        out.append("| request | conns | Meridian req/s | p50 | p99 | medallion req/s | p50 | p99 | ratio |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for op, label in (("GET", "GET 100-object page"), ("POST", "POST 1,000-object envelope")):
            for conns in (16, 64):
                m = results.get(("meridian", op, conns), [])
                d = results.get(("medallion", op, conns), [])
                mr = median_of(m, "rps")
                cells = [label, str(conns), f"{mr:,.1f}", f"{median_of(m, 'p50_us') / 1000:.1f} ms",
                         f"{median_of(m, 'p99_us') / 1000:.1f} ms"]
                if d:
                    dr = median_of(d, "rps")
                    cells += [f"{dr:,.2f}", f"{median_of(d, 'p50_us') / 1000:.0f} ms",
                              f"{median_of(d, 'p99_us') / 1000:.0f} ms",
                              f"**{mr / dr:,.0f}×**" if dr > 0 else "∞ (medallion completed none)"]
                else:
                    cells += ["–", "–", "–", "–"]
                out.append("| " + " | ".join(cells) + " |")
        out.append("")
        for conns in (16, 64):
            m = results.get(("meridian", "POST", conns), [])
            b = results.get(("before", "POST", conns), [])
            if m:
                before = f" (before: {median_of(b, 'rps') * BUNDLE:,.0f})" if b else ""
                out.append(f"Durable ingest through POST at {conns} connections: "
                           f"**{median_of(m, 'rps') * BUNDLE:,.0f} objects/s** (median){before}.")
    if paging:
        out.append("")
        out.append("| collection | fill (4 conns, objects/s) | full walk: pages | p50 | p99 "
                   f"| wrk first page req/s (median of {args.repeat}) | wrk middle page req/s |")
        out.append("|---|---|---|---|---|---|---|")
        for name in ("page-small", "page-large"):
            p = paging[name]
            out.append(f"| {p['size']:,} objects | {p['fill_rate']:,.0f} ({p['fill_seconds']:.0f} s) | "
                       f"{p['pages']:,} | {p['walk_p50']:.2f} ms | {p['walk_p99']:.2f} ms | "
                       f"{p['first']['rps']:,.0f} | {p['middle']['rps']:,.0f} |")
        small, large = paging["page-small"], paging["page-large"]
        out.append("")
        out.append(f"Large/small: walk p50 {large['walk_p50'] / small['walk_p50']:.2f}×, "
                   f"first page req/s {large['first']['rps'] / small['first']['rps']:.2f}×, "
                   f"middle page req/s {large['middle']['rps'] / small['middle']['rps']:.2f}×. "
                   f"Database size at the end: {db_size / 2**20:,.0f} MiB.")
    print("\n".join(out))
    raw = {f"{k[0]} {k[1]} {k[2]}": v for k, v in results.items()}
    print("\n<!-- raw: " + json.dumps({"wrk": raw, "paging": paging}) + " -->", file=sys.stderr)


if __name__ == "__main__":
    main()
