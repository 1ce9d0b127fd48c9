#!/usr/bin/env python3
"""Validate every element of a JSON array with the OASIS reference validator.

Reads a file holding one JSON array (e.g. the output of scripts/stix-corpus.py), validates each
element in-process with stix2validator.validate_instance and one default ValidationOptions
(STIX 2.1, strict=False), and writes one JSON line per element to stdout:

    {"index": i, "valid": true|false, "errors": ["..."]}

Only errors count; warnings (SHOULD checks) are not reported. When the reference raises instead
of returning a result (it does on some malformed input, see
docs/design/stix-reference-validator.md section 1) the element is reported invalid with the
exception as its single error.

Usage: scripts/stix-oracle.py FILE   (FILE may be - for stdin)
"""

import json
import logging
import sys


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    logging.disable(logging.CRITICAL)  # the validator logs via the root logger
    from stix2validator import ValidationOptions, validate_instance

    options = ValidationOptions(silent=True)
    src = sys.stdin if argv[0] == "-" else open(argv[0], encoding="utf-8")
    with src:
        items = json.load(src)
    if not isinstance(items, list):
        sys.stderr.write("stix-oracle: input must be a JSON array\n")
        return 2
    out = sys.stdout
    for i, item in enumerate(items):
        try:
            result = validate_instance(item, options)
            errors = [str(e) for e in result.errors]
            valid = bool(result.is_valid)
        except Exception as exc:  # noqa: BLE001 - any exception means "not valid STIX"
            errors = [f"exception {type(exc).__name__}: {exc}"]
            valid = False
        out.write(json.dumps({"index": i, "valid": valid, "errors": errors}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
