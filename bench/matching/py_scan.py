#!/usr/bin/env python3
"""The scanner an analyst would write: indicators in a set, each log's name and address fields
checked against it (names also by parent domain), Zeek TSV columns by `#fields`, EVE lines by
`json.loads`. No CIDR blocks, no normalisation beyond lower case. Prints the number of lines
with a hit.

Usage: py_scan.py INDICATORS LOG
"""
import json
import sys

NAME_FIELDS = {"query", "server_name", "host"}
ADDR_FIELDS = {"id.orig_h", "id.resp_h", "answers"}


def hit_name(name, indicators):
    name = name.lower().rstrip(".")
    parts = name.split(".")
    return any(".".join(parts[i:]) in indicators for i in range(len(parts)))


def scan_zeek(lines, indicators):
    names, addrs, hits = [], [], 0
    for line in lines:
        if line.startswith("#"):
            if line.startswith("#fields"):
                fields = line.rstrip("\n").split("\t")[1:]
                names = [i for i, f in enumerate(fields) if f in NAME_FIELDS]
                addrs = [i for i, f in enumerate(fields) if f in ADDR_FIELDS]
            continue
        values = line.rstrip("\n").split("\t")
        if any(values[i] in indicators for i in addrs) or any(hit_name(values[i], indicators) for i in names):
            hits += 1
    return hits


def scan_eve(lines, indicators):
    hits = 0
    for line in lines:
        event = json.loads(line)
        values = [event.get("src_ip"), event.get("dest_ip")]
        dns = event.get("dns") or {}
        names = [dns.get("rrname")] + [a.get("rrname") for a in dns.get("answers", [])]
        values += [a.get("rdata") for a in dns.get("answers", [])]
        if any(v in indicators for v in values if v) or any(hit_name(n, indicators) for n in names if n):
            hits += 1
    return hits


def main():
    with open(sys.argv[1]) as f:
        indicators = {line.strip().lower() for line in f if line.strip()}
    with open(sys.argv[2]) as lines:
        first = lines.readline()
        lines.seek(0)
        print(scan_eve(lines, indicators) if first.startswith("{") else scan_zeek(lines, indicators))


if __name__ == "__main__":
    main()
