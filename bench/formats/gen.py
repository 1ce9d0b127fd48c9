#!/usr/bin/env python3
"""Generates benchmark inputs for imports and exports (deterministic, no randomness):

  gen.py misp N     a MISP event ({"Event": ...}) with N to_ids attributes
  gen.py stix N     a STIX 2.1 bundle with N indicators (domains, IPs, hashes, URLs)
  gen.py domains N  a STIX 2.1 bundle with N domain-name indicators (for the RPZ export)
"""
import json
import sys
import uuid

NS = uuid.UUID("6f1b6a4e-3c55-4f0e-9d1a-5b2c7e8f9a01")
T = "2024-01-01T00:00:00.000Z"


def value(i):
    kind = i % 10
    if kind < 4:
        return "domain", f"host{i}.bad{i % 997}.example", f"[domain-name:value = 'host{i}.bad{i % 997}.example']"
    if kind < 7:
        ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        return "ip-dst", ip, f"[ipv4-addr:value = '{ip}']"
    if kind < 9:
        h = uuid.uuid5(NS, str(i)).hex * 2
        return "sha256", h, f"[file:hashes.'SHA-256' = '{h}']"
    url = f"http://bad{i % 997}.example/p/{i}"
    return "url", url, f"[url:value = '{url}']"


def write_list(out, items):
    out.write("[")
    for n, item in enumerate(items):
        if n:
            out.write(",\n")
        out.write(json.dumps(item))
    out.write("]")


def misp(n, out):
    def attributes():
        for i in range(n):
            t, v, _ = value(i)
            yield {"uuid": str(uuid.uuid5(NS, f"a{i}")), "type": t, "category": "Network activity" if t != "sha256" else "Payload delivery",
                   "value": v, "to_ids": True, "timestamp": "1704067200", "distribution": "5", "comment": ""}
    out.write('{"Event": {"uuid": "%s", "info": "Benchmark event", "date": "2024-01-01", "timestamp": "1704067200", '
              '"analysis": "2", "threat_level_id": "2", "distribution": "1", "published": false, '
              '"Orgc": {"name": "Bench CERT", "uuid": "%s"}, "Tag": [{"name": "tlp:green"}], "Attribute": '
              % (uuid.uuid5(NS, "event"), uuid.uuid5(NS, "org")))
    write_list(out, attributes())
    out.write("}}\n")


def stix(n, out, only_domains=False):
    def objects():
        for i in range(n):
            if only_domains:
                pattern = f"[domain-name:value = 'host{i}.bad{i % 997}.example']"
            else:
                pattern = value(i)[2]
            yield {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid5(NS, f'i{i}')}", "created": T, "modified": T,
                   "name": f"Benchmark indicator {i}", "indicator_types": ["malicious-activity"], "pattern": pattern,
                   "pattern_type": "stix", "pattern_version": "2.1", "valid_from": T,
                   "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}
    out.write('{"type": "bundle", "id": "bundle--%s", "objects": ' % uuid.uuid5(NS, "bundle"))
    write_list(out, objects())
    out.write("}\n")


if __name__ == "__main__":
    what, n = sys.argv[1], int(sys.argv[2])
    {"misp": misp, "stix": stix, "domains": lambda n, out: stix(n, out, True)}[what](n, sys.stdout)
