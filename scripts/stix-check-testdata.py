#!/usr/bin/env python3
"""Check test-data/stix against the OASIS reference validator (stix2-validator).

Every file under valid/ must produce no errors. Every file under reference-rejects/ (valid per
the spec, wrongly rejected by the reference) must still be rejected. Every file under invalid/ must be
rejected, unless its name is listed in invalid/REFERENCE-ACCEPTS (one file name a line,
`#` comments) -- the cases where the reference validator is wrong, documented in
docs/design/stix-reference-validator.md. A listed file that the reference *does* reject is
also reported, so the list cannot go stale. Every invalid/X.json needs an X.expect file
holding one JSON path.

Usage: scripts/stix-check-testdata.py [-v] [TEST_DATA_DIR]   (default: test-data/stix)
Exit status 0 when everything agrees, 1 otherwise.
"""

import json
import logging
import os
import re
import sys

logging.disable(logging.CRITICAL)

from stix2validator import ValidationOptions, validate_instance  # noqa: E402

PATH_RE = re.compile(r"^\$((\.[A-Za-z0-9_-]+)|(\[\d+\]))*$")


def validate(obj, options):
    """Return (valid, messages) for a bundle, an object or an array of objects."""
    items = obj if isinstance(obj, list) else [obj]
    messages = []
    for i, item in enumerate(items):
        try:
            result = validate_instance(item, options)
        except Exception as exc:  # the reference raises on some malformed input
            messages.append(f"[{i}] exception {type(exc).__name__}: {exc}")
            continue
        messages.extend(f"[{i}] {e}" for e in result.errors)
    return not messages, messages


def main(argv):
    verbose = "-v" in argv
    args = [a for a in argv if a != "-v"]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "test-data", "stix")
    options = ValidationOptions(silent=True)
    failures = 0

    valid_dir = os.path.join(root, "valid")
    for name in sorted(os.listdir(valid_dir)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(valid_dir, name)) as f:
            ok, messages = validate(json.load(f), options)
        if not ok:
            failures += 1
            print(f"FAIL valid/{name}: reference reports errors")
            for m in messages:
                print("    " + m[:300])
        elif verbose:
            print(f"ok   valid/{name}")

    invalid_dir = os.path.join(root, "invalid")
    accepts = set()
    accepts_file = os.path.join(invalid_dir, "REFERENCE-ACCEPTS")
    if os.path.exists(accepts_file):
        with open(accepts_file) as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    accepts.add(line)
    invalid_names = sorted(os.listdir(invalid_dir)) if os.path.isdir(invalid_dir) else []
    for name in invalid_names:
        if not name.endswith(".json"):
            continue
        expect = os.path.join(invalid_dir, name[:-5] + ".expect")
        if not os.path.exists(expect):
            failures += 1
            print(f"FAIL invalid/{name}: missing .expect file")
        else:
            with open(expect) as f:
                lines = [ln for ln in f.read().splitlines() if ln.strip()]
            if len(lines) != 1 or not PATH_RE.match(lines[0]):
                failures += 1
                print(f"FAIL invalid/{name[:-5]}.expect: want one JSON path line like $.objects[2].modified")
        with open(os.path.join(invalid_dir, name)) as f:
            ok, messages = validate(json.load(f), options)
        if name in accepts:
            if not ok:
                failures += 1
                print(f"FAIL invalid/{name}: listed in REFERENCE-ACCEPTS but the reference rejects it")
            elif verbose:
                print(f"ok   invalid/{name} (reference wrongly accepts; documented)")
        elif ok:
            failures += 1
            print(f"FAIL invalid/{name}: reference accepts it")
        elif verbose:
            print(f"ok   invalid/{name}: {messages[0][:160]}")
    rejects_dir = os.path.join(root, "reference-rejects")
    rejects_names = sorted(os.listdir(rejects_dir)) if os.path.isdir(rejects_dir) else []
    for name in rejects_names:
        if not name.endswith(".json"):
            continue
        with open(os.path.join(rejects_dir, name)) as f:
            ok, messages = validate(json.load(f), options)
        if ok:
            failures += 1
            print(f"FAIL reference-rejects/{name}: the reference accepts it now; move it to valid/")
        elif verbose:
            print(f"ok   reference-rejects/{name}: {messages[0][:160]}")
    for name in sorted(accepts):
        if not os.path.exists(os.path.join(invalid_dir, name)):
            failures += 1
            print(f"FAIL REFERENCE-ACCEPTS lists missing file {name}")

    print(f"{failures} disagreement(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
