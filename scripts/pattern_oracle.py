#!/usr/bin/env python3
"""Differential oracle for meridian-pattern: generates patterns and observations
deterministically, and records what the OASIS tools (stix2-patterns for validity,
stix2-matcher for matching) say about each. Prints one JSON object per line:

  {"pattern": ..., "stix_version": "2.0"|"2.1", "observed_data": [...],
   "valid": bool, "outcome": "match"|"no match"|"error"|null}

Usage: pattern_oracle.py [COUNT] [SEED]. Exits 3 if the OASIS modules are missing.
"""
import json
import random
import sys

try:
    from stix2patterns.validator import validate
    from stix2matcher.matcher import match
except ImportError as error:  # The caller decides whether that is fatal.
    print(f"pattern_oracle: {error}", file=sys.stderr)
    sys.exit(3)

COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 20240101)

NAMES = ["a.exe", "b.dll", "report.pdf", "x", "évil.exe", "it's"]
DOMAINS = ["evil.example", "good.example", "a.b.example"]
IPS = ["198.51.100.7", "198.51.100.200", "203.0.113.9", "10.0.0.1"]
CIDRS = ["198.51.100.0/24", "198.51.100.0/25", "203.0.113.0/24", "10.0.0.0/8", "0.0.0.0/1"]


def quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def comparison():
    kind = rng.randrange(14)
    neg = "NOT " if rng.random() < 0.15 else ""
    if kind == 0:
        return f"file:name {neg}= {quote(rng.choice(NAMES))}"
    if kind == 1:
        return f"file:name {neg}!= {quote(rng.choice(NAMES))}"
    if kind == 2:
        op = rng.choice(["<", "<=", ">", ">="])
        return f"file:size {neg}{op} {rng.choice([0, 100, 1024, 5000, -1])}"
    if kind == 3:
        op = rng.choice(["<", ">", "="])
        return f"file:size {neg}{op} {rng.choice(['1024.0', '99.5', '0.5'])}"
    if kind == 4:
        items = ", ".join(quote(rng.choice(NAMES)) for _ in range(rng.randrange(0, 3)))
        return f"file:name {neg}IN ({items})"
    if kind == 5:
        like = rng.choice(["%.exe", "a%", "_.exe", "%", "report.___", "%x%"])
        return f"file:name {neg}LIKE {quote(like)}"
    if kind == 6:
        regex = rng.choice(["^a", "exe$", "[a-c]\\\\.", "r.*t", "^x$", "(dll|pdf)"])
        return f"file:name {neg}MATCHES '{regex}'"
    if kind == 7:
        return f"ipv4-addr:value {neg}ISSUBSET {quote(rng.choice(CIDRS))}"
    if kind == 8:
        return f"network-traffic:dst_ref.value {neg}ISSUBSET {quote(rng.choice(CIDRS))}"
    if kind == 9:
        return f"domain-name:value {neg}= {quote(rng.choice(DOMAINS))}"
    if kind == 10:
        return f"network-traffic:protocols[{rng.choice(['*', '0', '1', '5'])}] {neg}= {quote(rng.choice(['tcp', 'http', 'dns']))}"
    if kind == 11:
        return f"file:flag {neg}= {rng.choice(['true', 'false'])}"
    if kind == 12:
        return f"network-traffic:dst_port {neg}IN ({rng.choice(['80, 443', '53', '8080, 8443'])})"
    return f"file:ctime {neg}{rng.choice(['<', '>', '='])} t'2024-01-01T00:0{rng.randrange(5)}:00Z'"


def comparison_expr(depth=0):
    r = rng.random()
    if depth < 2 and r < 0.2:
        return f"{comparison_expr(depth + 1)} AND {comparison_expr(depth + 1)}"
    if depth < 2 and r < 0.4:
        return f"{comparison_expr(depth + 1)} OR {comparison_expr(depth + 1)}"
    if depth < 2 and r < 0.45:
        return f"({comparison_expr(depth + 1)})"
    return comparison()


def qualifier():
    k = rng.randrange(3)
    if k == 0:
        return f"WITHIN {rng.choice(['1', '60', '300', '0.5', '3600'])} SECONDS"
    if k == 1:
        return f"REPEATS {rng.choice([1, 2, 3])} TIMES"
    a, b = sorted(rng.sample(range(10), 2))
    return f"START t'2024-01-01T00:0{a}:00Z' STOP t'2024-01-01T00:0{b}:00Z'"


def observation_expr(depth=0):
    r = rng.random()
    if depth < 2 and r < 0.15:
        return f"{observation_expr(depth + 1)} AND {observation_expr(depth + 1)}"
    if depth < 2 and r < 0.3:
        return f"{observation_expr(depth + 1)} OR {observation_expr(depth + 1)}"
    if depth < 2 and r < 0.4:
        return f"{observation_expr(depth + 1)} FOLLOWEDBY {observation_expr(depth + 1)}"
    if depth < 2 and r < 0.5:
        return f"({observation_expr(depth + 1)}) {qualifier()}"
    text = f"[{comparison_expr()}]"
    if rng.random() < 0.2:
        text += " " + qualifier()
    return text


def mutate(text):
    """Breaks a pattern in one of a few ways, for validity cases."""
    i = rng.randrange(len(text))
    return rng.choice([
        text[:i] + text[i + 1:],
        text[:i] + rng.choice(["]", "[", "(", ")", "'", " AND ", " = ", ":", "x"]) + text[i:],
        text.replace("=", "==", 1),
        text.replace("AND", "and", 1),
    ])


def scos():
    objects = {}
    objects["0"] = {"type": "file", "name": rng.choice(NAMES),
                    "size": rng.choice([0, 100, 1024, 5000]), "flag": rng.choice([True, False]),
                    "ctime": f"2024-01-01T00:0{rng.randrange(5)}:00Z"}
    objects["1"] = {"type": "ipv4-addr", "value": rng.choice(IPS)}
    objects["2"] = {"type": "network-traffic", "dst_ref": "1", "dst_port": rng.choice([53, 80, 443, 8080]),
                    "protocols": rng.sample(["tcp", "http", "dns"], rng.randrange(1, 3))}
    objects["3"] = {"type": "domain-name", "value": rng.choice(DOMAINS)}
    keep = [k for k in objects if rng.random() < 0.8] or ["0"]
    return {k: objects[k] for k in keep}


def observations(version):
    sdos = []
    for n in range(rng.randrange(1, 4)):
        first = rng.randrange(8)
        last = first + rng.randrange(3)
        sdos.append({"type": "observed-data", "id": f"observed-data--{n}",
                     "first_observed": f"2024-01-01T00:0{first}:00Z",
                     "last_observed": f"2024-01-01T00:{last:02d}:00Z",
                     "number_observed": rng.choice([1, 1, 2]), "objects": scos()})
    if version == "2.0":
        return sdos
    bundle = []
    for sdo in sdos:
        refs = []
        for key, sco in sdo.pop("objects").items():
            sco = dict(sco)
            sco["id"] = f"{sco['type']}--{sdo['id'][-1]}-{key}"
            if "dst_ref" in sco:
                sco["dst_ref"] = f"ipv4-addr--{sdo['id'][-1]}-1"
            refs.append(sco["id"])
            bundle.append(sco)
        sdo["object_refs"] = refs
        bundle.append(sdo)
    return [{"type": "bundle", "id": "bundle--1", "objects": bundle}]


for _ in range(COUNT):
    version = rng.choice(["2.0", "2.1"])
    pattern = observation_expr()
    if rng.random() < 0.15:
        pattern = mutate(pattern)
    data = observations(version)
    try:
        valid = validate(pattern, version)
    except Exception:  # The validator crashes on a few inputs; those are not cases.
        continue
    outcome = None
    if valid:
        try:
            outcome = "match" if match(pattern, json.loads(json.dumps(data)), stix_version=version) else "no match"
        except Exception:
            outcome = "error"
    print(json.dumps({"pattern": pattern, "stix_version": version, "observed_data": data,
                      "valid": valid, "outcome": outcome}))
