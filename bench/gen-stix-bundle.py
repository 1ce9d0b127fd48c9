#!/usr/bin/env python3
"""Writes a large, valid STIX 2.1 bundle for benchmarks, streaming (constant memory).

    bench/gen-stix-bundle.py --objects 5000 > bundle.json
    bench/gen-stix-bundle.py --bytes 1000000000 > big.json

Objects cycle through realistic shapes (indicators with patterns, observed-data with SCOs,
sightings, relationships, malware, identities), each with a fresh id. Deterministic per --seed.
"""
import argparse
import json
import random
import sys
import uuid

NS = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")


def uid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ts(rng):
    return "2024-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999))


def sco_id(kind, value):
    return "%s--%s" % (kind, uuid.uuid5(NS, json.dumps({"value": value}, separators=(",", ":"))))


def objects(rng, identity):
    n = 0
    while True:
        n += 1
        created = ts(rng)
        common = {"spec_version": "2.1", "created": created, "modified": created, "created_by_ref": identity,
                  "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
        domain = "c2-%d-%x.example" % (n, rng.getrandbits(32))
        ip = "198.51.%d.%d" % (rng.randint(0, 255), rng.randint(1, 254))
        kind = n % 5
        if kind in (0, 1):
            yield dict(type="indicator", id="indicator--" + uid(rng), name="Botnet C2 %s" % domain,
                       description="Command-and-control host seen in sinkhole data.",
                       indicator_types=["malicious-activity"], pattern="[domain-name:value = '%s'] OR [ipv4-addr:value = '%s']" % (domain, ip),
                       pattern_type="stix", pattern_version="2.1", valid_from=created, confidence=rng.randint(10, 100),
                       labels=["botnet", "c2"], kill_chain_phases=[{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "command-and-control"}],
                       external_references=[{"source_name": "sinkhole", "url": "https://cert.example/sinkhole/%d" % n}], **common)
        elif kind == 2:
            d = {"type": "domain-name", "id": sco_id("domain-name", domain), "value": domain, "spec_version": "2.1"}
            yield d
            yield dict(type="observed-data", id="observed-data--" + uid(rng), first_observed=created, last_observed=created,
                       number_observed=rng.randint(1, 500), object_refs=[d["id"]], **common)
        elif kind == 3:
            yield dict(type="malware", id="malware--" + uid(rng), name="KestrelNet variant %d" % n, is_family=False,
                       malware_types=["bot"], capabilities=["communicates-with-c2"], **common)
        else:
            yield dict(type="sighting", id="sighting--" + uid(rng), sighting_of_ref="indicator--" + uid(rng),
                       first_seen=created, last_seen=created, count=rng.randint(1, 99), where_sighted_refs=[identity], **common)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=0)
    ap.add_argument("--bytes", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    identity = "identity--" + uid(rng)
    out = sys.stdout
    out.write('{"type": "bundle", "id": "bundle--%s", "objects": [\n' % uid(rng))
    out.write(json.dumps({"type": "identity", "spec_version": "2.1", "id": identity, "created": "2024-01-01T00:00:00.000Z",
                          "modified": "2024-01-01T00:00:00.000Z", "name": "Example National CERT", "identity_class": "organization"}))
    written, count = 0, 1
    for obj in objects(rng, identity):
        if (args.objects and count >= args.objects) or (args.bytes and written >= args.bytes):
            break
        line = ",\n" + json.dumps(obj)
        out.write(line)
        written += len(line)
        count += 1
    out.write("\n]}\n")


if __name__ == "__main__":
    main()
