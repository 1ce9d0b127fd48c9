#!/usr/bin/env python3
"""Crash loop for `meridian serve`: concurrent TAXII POSTs while the server is killed with
SIGKILL at random moments, many times.

After every kill the database (`meridian.db` in the data directory) is opened read-only and
`PRAGMA integrity_check` must say `ok` (and `PRAGMA foreign_key_check` find nothing). After
every restart, every object whose TAXII status listed it as a success must be served again
(fetched by `match[id]`); at the end the whole collection is paged through with `limit`/`next`
and must hold every acknowledged object exactly once.

Standard library only. Usage:

    scripts/taxii-crash.py --meridian target/debug/meridian [--cycles 20] [--threads 4] [--seed N]

Prints progress to stderr and one JSON summary line to stdout. Exit status: 0 when every check
held, 1 when an acknowledged object was lost or a check failed, 2 when the test could not run
(the server did not start, for example).
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

TAXII = "application/taxii+json;version=2.1"
ADMIN_TOKEN = "crash-loop-admin-token-" + "x" * 16
COLLECTION = "crash-loop"


class SetupError(Exception):
    """The test could not run (as opposed to: it ran and found a violation)."""


def log(message):
    print(f"taxii-crash: {message}", file=sys.stderr, flush=True)


def free_port():
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(url, method="GET", body=None, timeout=30):
    headers = {"Accept": TAXII, "Authorization": f"Bearer {ADMIN_TOKEN}"}
    if body is not None:
        headers["Content-Type"] = TAXII
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def indicator(rng):
    """A unique, valid STIX 2.1 indicator."""
    stamp = "2025-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
        rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999),
    )
    host = "h%08x.crash.example" % rng.getrandbits(32)
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
        "created": stamp,
        "modified": stamp,
        "name": f"crash loop {host}",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[domain-name:value = '{host}']",
        "pattern_type": "stix",
        "valid_from": stamp,
    }


class Server:
    """One run of `meridian serve` on a fresh port."""

    def __init__(self, binary, data, log_path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, MERIDIAN_ADMIN_TOKEN=ADMIN_TOKEN, RUST_LOG="warn")
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [binary, "serve", "--data", data, "--listen", f"127.0.0.1:{self.port}"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=env,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise SetupError(f"meridian serve exited with {self.proc.returncode}; see {log_path}")
            try:
                if request(f"{self.base}/healthz", timeout=2)[0] == 200:
                    return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise SetupError(f"meridian serve did not answer /healthz within 60 s; see {log_path}")
            time.sleep(0.05)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.log.close()


def poster(base, rng, stop, acked, stats, lock):
    """Posts envelopes of 50-200 new indicators until `stop` or the server dies."""
    url = f"{base}/meridian/collections/{COLLECTION}/objects/"
    while not stop.is_set():
        objects = [indicator(rng) for _ in range(rng.randint(50, 200))]
        body = json.dumps({"objects": objects}).encode()
        try:
            status, raw = request(url, "POST", body)
        except urllib.error.HTTPError as e:
            with lock:
                stats["http_errors"] += 1
                stats["last_http_error"] = f"{e.code}: {e.read()[:300]!r}"
            continue
        except (OSError, urllib.error.URLError):
            # The server died with the request in flight: nothing was acknowledged.
            with lock:
                stats["interrupted"] += 1
            return
        if status != 202:
            with lock:
                stats["http_errors"] += 1
            continue
        reply = json.loads(raw)
        ids = [s["id"] for s in reply.get("successes", [])]
        with lock:
            stats["posts_acked"] += 1
            stats["failures"] += len(reply.get("failures", []))
            acked.extend(ids)


def check_db(data):
    """Integrity of the database of a dead server. It is opened as the restarted server would
    open it (read-write, so SQLite can recover the write-ahead log left by the SIGKILL: a
    read-only connection cannot create the shared-memory index and fails to open); the checks
    themselves write nothing."""
    path = os.path.join(data, "meridian.db")
    con = sqlite3.connect(path, timeout=30)
    try:
        integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
        foreign = con.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        con.close()
    problems = []
    if integrity != ["ok"]:
        problems.append(f"integrity_check: {integrity[:10]}")
    if foreign:
        problems.append(f"foreign_key_check: {foreign[:10]}")
    return problems


def missing_by_id(base, ids):
    """The ids among `ids` that the server does not serve from the collection."""
    missing = []
    for i in range(0, len(ids), 100):
        chunk = ids[i:i + 100]
        query = urllib.parse.urlencode({"match[id]": ",".join(chunk), "limit": "1000"})
        url = f"{base}/meridian/collections/{COLLECTION}/objects/?{query}"
        status, raw = request(url)
        seen = {o["id"] for o in json.loads(raw).get("objects", [])} if status == 200 else set()
        missing.extend(x for x in chunk if x not in seen)
    return missing


def page_all(base):
    """Every object id in the collection, paging with limit/next; also counts repeats."""
    ids, repeats, cursor = set(), 0, None
    while True:
        params = {"limit": "1000"}
        if cursor:
            params["next"] = cursor
        url = f"{base}/meridian/collections/{COLLECTION}/objects/?{urllib.parse.urlencode(params)}"
        status, raw = request(url)
        if status != 200:
            raise SetupError(f"paging answered {status}")
        envelope = json.loads(raw)
        for o in envelope.get("objects", []):
            repeats += o["id"] in ids
            ids.add(o["id"])
        if not envelope.get("more"):
            return ids, repeats
        cursor = envelope.get("next")


def run(args):
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="meridian-crash-")
    data = os.path.join(work, "data")
    server_log = os.path.join(work, "server.log")
    log(f"seed {args.seed}, data {data}, server log {server_log}")
    setup = subprocess.run(
        [args.meridian, "collection", "add", COLLECTION, "--data", data, "--title", "Crash loop"],
        capture_output=True, text=True,
    )
    if setup.returncode != 0:
        raise SetupError(f"meridian collection add failed: {setup.stderr.strip()}")

    summary = {
        "seed": args.seed, "cycles": 0, "posts_acked": 0, "objects_acked": 0, "interrupted": 0,
        "http_errors": 0, "failures": 0, "integrity_checks": 0, "lost": 0, "problems": [],
        "paged_objects": 0, "paged_repeats": 0,
    }
    every_acked = []
    unverified = []
    started = time.monotonic()
    for cycle in range(args.cycles + 1):
        server = Server(args.meridian, data, server_log)
        try:
            # First: everything acknowledged before the last kill is still served.
            lost = missing_by_id(server.base, unverified)
            if lost:
                summary["lost"] += len(lost)
                summary["problems"].append(f"cycle {cycle}: {len(lost)} acknowledged objects lost, e.g. {lost[:3]}")
            unverified = []
            if cycle == args.cycles:
                paged, repeats = page_all(server.base)
                summary["paged_objects"] = len(paged)
                summary["paged_repeats"] = repeats
                absent = [x for x in every_acked if x not in paged]
                if absent or repeats:
                    summary["problems"].append(
                        f"final paging: {len(absent)} acknowledged objects absent, {repeats} repeated")
                    summary["lost"] += len(absent)
                break
            stop, lock, acked = threading.Event(), threading.Lock(), []
            stats = {"posts_acked": 0, "interrupted": 0, "http_errors": 0, "failures": 0}
            threads = [
                threading.Thread(
                    target=poster,
                    args=(server.base, random.Random(rng.getrandbits(64)), stop, acked, stats, lock),
                    daemon=True,
                )
                for _ in range(args.threads)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(args.min_delay, args.max_delay))
        finally:
            server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=60)
        problems = check_db(data)
        summary["integrity_checks"] += 1
        summary["problems"].extend(f"cycle {cycle}: {p}" for p in problems)
        for key in stats:
            if key in summary:
                summary[key] += stats[key]
        if "last_http_error" in stats:
            summary["problems"].append(f"cycle {cycle}: HTTP error {stats['last_http_error']}")
        summary["objects_acked"] += len(acked)
        summary["cycles"] += 1
        every_acked.extend(acked)
        unverified = list(acked)
        log(f"cycle {cycle + 1}/{args.cycles}: {stats['posts_acked']} posts acknowledged "
            f"({len(acked)} objects), {stats['interrupted']} interrupted, "
            f"integrity {'ok' if not problems else problems}")
    summary["seconds"] = round(time.monotonic() - started, 1)
    if not summary["problems"] and not summary["lost"] and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meridian", required=True, help="path to the meridian binary")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--min-delay", type=float, default=0.2, help="shortest run before a kill (s)")
    parser.add_argument("--max-delay", type=float, default=1.5, help="longest run before a kill (s)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory even on success")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().getrandbits(32)
    try:
        summary = run(args)
    except (SetupError, OSError, ValueError) as e:
        # OSError covers HTTP errors while verifying, ValueError a body that is not JSON.
        print(json.dumps({"seed": args.seed, "setup_error": f"{type(e).__name__}: {e}"}))
        return 2
    print(json.dumps(summary))
    return 1 if summary["problems"] or summary["lost"] else 0


if __name__ == "__main__":
    sys.exit(main())
