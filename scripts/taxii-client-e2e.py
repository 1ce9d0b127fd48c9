#!/usr/bin/env python3
"""End-to-end check of a Meridian node with the OASIS `taxii2-client` library, used unchanged.

    scripts/taxii-client-e2e.py http://127.0.0.1:8080/taxii2/ USER TOKEN

Walks discovery, the API root, collections, posts a bundle and polls its status, pages through
objects with limit/next, tries each filter, reads the manifest and versions, and deletes an
object. Prints one line per step; exits 1 on the first failed expectation.
"""
import json
import sys
import uuid

from taxii2client.v21 import Server, as_pages

TAXII = "application/taxii+json;version=2.1"


def check(condition, what):
    if not condition:
        print(f"FAIL: {what}")
        sys.exit(1)
    print(f"ok: {what}")


def indicator(n, modified, creator):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(int=0x4e2d_0000_0000_4000_8000_0000_0000_0000 + n)}",
        "created": "2026-06-01T00:00:00.000Z", "modified": modified, "created_by_ref": creator,
        "name": f"e2e indicator {n}", "indicator_types": ["malicious-activity"],
        "pattern": f"[domain-name:value = 'e2e-{n}.kestrel.example']", "pattern_type": "stix",
        "valid_from": "2026-06-01T00:00:00Z",
    }


def main():
    url, user, token = sys.argv[1:4]
    server = Server(url, user=user, password=token)
    check(server.title == "Meridian", "discovery title")
    check(len(server.api_roots) == 1, "one API root")
    root = server.api_roots[0]
    check(root.max_content_length > 0 and TAXII in root.versions, "API root information")
    collections = {c.alias: c for c in root.collections}
    check("shared-indicators" in collections, "collections list the demo collection")
    collection = collections["shared-indicators"]
    check(collection.can_read and collection.can_write, "can_read and can_write tell the truth")

    creator = "identity--" + str(uuid.UUID(int=0xe2e0_0000_0000_4000_8000_0000_0000_0001))
    objects = [indicator(n, "2026-06-01T00:00:00.000Z", creator) for n in range(25)]
    objects.append(indicator(0, "2026-06-02T00:00:00.000Z", creator))
    bundle = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}
    status = collection.add_objects(json.dumps(bundle), wait_for_completion=True, poll_interval=0.2, timeout=30)
    check(status.status == "complete" and status.success_count == 26 and status.failure_count == 0, "POST stored 26 objects")
    status.refresh()
    check(status.total_count == 26, "status can be polled")

    ids = [o["id"] for o in objects[:25]]
    seen = []
    for page in as_pages(collection.get_objects, per_request=7, type="indicator", id=",".join(ids)):
        seen.extend(o["id"] for o in page.get("objects", []))
    check(sorted(seen) == sorted(ids), "paging with limit/next returns each object once")

    latest = collection.get_object(ids[0])
    check(latest["objects"][0]["modified"] == "2026-06-02T00:00:00.000Z", "an object is served at its latest version")
    every = collection.get_object(ids[0], version="all")
    check(len(every["objects"]) == 2, "match[version]=all returns both versions")
    first = collection.get_objects(id=ids[0], version="first")
    check(first["objects"][0]["modified"] == "2026-06-01T00:00:00.000Z", "match[version]=first")
    typed = collection.get_objects(type="report", limit=5)
    check(all(o["type"] == "report" for o in typed.get("objects", [])), "match[type]")
    spec = collection.get_objects(spec_version="2.1", id=ids[1])
    check(len(spec["objects"]) == 1, "match[spec_version]")
    recent = collection.get_manifest(id=ids[2])
    record = recent["objects"][0]
    later = collection.get_objects(added_after=record["date_added"], id=ids[2])
    check("objects" not in later, "added_after is exclusive")
    check(record["version"] == "2026-06-01T00:00:00.000Z" and record["media_type"].startswith("application/stix+json"), "manifest records")
    versions = collection.object_versions(ids[0])
    check(versions["versions"] == ["2026-06-01T00:00:00.000Z", "2026-06-02T00:00:00.000Z"], "versions")
    collection.delete_object(ids[3])
    try:
        collection.get_object(ids[3])
        check(False, "a deleted object is gone")
    except Exception as error:  # taxii2client raises on 404
        check("404" in str(error), "a deleted object is gone")
    print("all steps passed")


if __name__ == "__main__":
    main()
