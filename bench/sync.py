#!/usr/bin/env python3
"""Time to sync N objects between two Meridian nodes on loopback (BENCHMARKS.md, "Federation").

    bench/sync.py --meridian target/release/meridian --objects 100000 [--keep DIR]

Node `a` (organisation a-cert) holds N TLP:GREEN indicators in one collection, imported with
`meridian import` in files of 50,000 objects (one durable transaction each). Node `b`
(organisation b-cert, in a-cert's community) pulls them with `meridian sync a`: manifest pages,
objects, the sharing decision for every object at `a` and its ledger entry, validation and a
durable import at `b`. Printed: the import time at `a`, the first sync (everything new) and a
second sync (nothing new), with objects per second and the peak RSS of each process.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
ADMIN = "mrd_bench-admin-token-for-the-sync-benchmark"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(meridian, *args, data):
    """Runs a command; returns (seconds, peak RSS of the child in MiB, stdout)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen([meridian, *args, "--data", data], stdout=subprocess.PIPE, stderr=err)
        stdout = child.stdout.read().decode()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            sys.exit(f"meridian {' '.join(args)} failed: {err.read().decode().strip()}")
    return seconds, usage.ru_maxrss / 1024, stdout.strip()


def write_indicators(path, start, count):
    ns = uuid.UUID("5b1e2a3c-4d5e-4f60-8a71-9b8c7d6e5f40")
    with open(path, "w") as f:
        f.write('{"type": "bundle", "id": "bundle--%s", "objects": [' % uuid.uuid5(ns, f"bundle-{start}"))
        for i in range(start, start + count):
            if i > start:
                f.write(",")
            f.write(json.dumps({
                "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid5(ns, str(i))}",
                "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                "name": f"C2 domain {i}", "indicator_types": ["malicious-activity"],
                "pattern": f"[domain-name:value = 'c2-{i}.bench.example']", "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z", "object_marking_refs": [GREEN],
            }, separators=(",", ":")))
        f.write("]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meridian", default="target/release/meridian")
    ap.add_argument("--objects", type=int, default=100_000)
    ap.add_argument("--keep", help="keep the nodes' data here")
    args = ap.parse_args()
    meridian = os.path.abspath(args.meridian)
    root = args.keep or tempfile.mkdtemp(prefix="meridian-sync-bench-")
    a, b = os.path.join(root, "a"), os.path.join(root, "b")
    port = free_port()
    for data, holder in ((a, "a-cert"), (b, "b-cert")):
        os.makedirs(data, exist_ok=True)
        with open(os.path.join(data, "policy.toml"), "w") as f:
            f.write(f'holder = "{holder}"\n[orgs.a-cert]\ncommunities = ["bench"]\n[orgs.b-cert]\ncommunities = ["bench"]\n')
    server = None
    try:
        run(meridian, "org", "add", "a-cert", "--jurisdiction", "FR", data=a)
        run(meridian, "org", "add", "b-cert", "--jurisdiction", "DE", data=a)
        run(meridian, "user", "add", "a-analyst", "--org", "a-cert", data=a)
        run(meridian, "user", "add", "b-node", "--org", "b-cert", data=a)
        run(meridian, "collection", "add", "feed", "--title", "Bench feed", data=a)
        run(meridian, "collection", "grant", "feed", "org:a-cert", "--read", "--write", data=a)
        run(meridian, "collection", "grant", "feed", "org:b-cert", "--read", data=a)
        _, _, token = run(meridian, "token", "create", "b-node", data=a)
        token_file = os.path.join(root, "b.token")
        with open(token_file, "w") as f:
            f.write(token.splitlines()[-1].strip())
        agreement = os.path.join(root, "agreement.toml")
        with open(agreement, "w") as f:
            f.write('name = "bench"\npartner = "a-cert"\nhighest_tlp = "amber"\n')

        chunk = 50_000
        import_seconds, import_peak = 0.0, 0.0
        for start in range(0, args.objects, chunk):
            path = os.path.join(root, "chunk.json")
            write_indicators(path, start, min(chunk, args.objects - start))
            s, peak, _ = run(meridian, "import", "--collection", "feed", "--user", "a-analyst", path, data=a)
            import_seconds += s
            import_peak = max(import_peak, peak)
            os.remove(path)

        env = dict(os.environ, MERIDIAN_ADMIN_TOKEN=ADMIN)
        server = subprocess.Popen([meridian, "serve", "--data", a, "--listen", f"127.0.0.1:{port}", "--sync-interval", "0"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        run(meridian, "org", "add", "a-cert", "--jurisdiction", "FR", data=b)
        run(meridian, "peer", "add", "a", "--url", f"http://127.0.0.1:{port}/meridian/", "--org", "a-cert",
            "--token-file", token_file, "--agreement", agreement, "--allow-http", "--allow-private", data=b)
        first, first_peak, report = run(meridian, "sync", "a", data=b)
        second, _, again = run(meridian, "sync", "a", data=b)
        server_peak = 0.0
        try:
            with open(f"/proc/{server.pid}/status") as f:
                server_peak = next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024
        except (OSError, StopIteration):
            pass
        pulled = int(report.split("pulled ")[1].split(",")[0])
        if pulled != args.objects:
            sys.exit(f"b pulled {pulled} of {args.objects}: {report}")
        n = args.objects
        print(f"| objects | import at a | first sync (pull) | objects/s | second sync | peak RSS: import, sync (b), server (a) |")
        print(f"|---|---|---|---|---|---|")
        print(f"| {n:,} | {import_seconds:.1f} s | {first:.1f} s | {n / first:,.0f} | {second:.2f} s | "
              f"{import_peak:.0f} MiB, {first_peak:.0f} MiB, {server_peak:.0f} MiB |")
        print(f"second sync: {again}", file=sys.stderr)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=60)
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
