//! Reference hygiene: a withheld id never appears in what is shared.

use std::collections::{BTreeMap, BTreeSet};

use policy::{clean_references, victim_observables};
use serde_json::{Value, json};
use stix::Identifier;

use crate::world;

const IND_A: &str = "indicator--aaaaaaaa-17d4-4cbf-938f-98ee46b3cd3f";
const IND_B: &str = "indicator--bbbbbbbb-17d4-4cbf-938f-98ee46b3cd3f";
const T: &str = "2026-01-01T00:00:00.000Z";

fn id(s: &str) -> Identifier {
    s.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn objects() -> Vec<stix::Object> {
    let ind = |i: &str| {
        json!({"type": "indicator", "spec_version": "2.1", "id": i, "created": T, "modified": T,
        "pattern": "[domain-name:value = 'a.example']", "pattern_type": "stix", "valid_from": T})
    };
    [
        ind(IND_A),
        ind(IND_B),
        json!({"type": "report", "spec_version": "2.1", "id": "report--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": T, "modified": T, "name": "r", "published": T,
            "description": format!("see {IND_B}"), "object_refs": [IND_A, IND_B]}),
        json!({"type": "report", "spec_version": "2.1", "id": "report--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": T, "modified": T, "name": "only b", "published": T, "object_refs": [IND_B]}),
        json!({"type": "relationship", "spec_version": "2.1", "id": "relationship--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": T, "modified": T, "relationship_type": "related-to", "source_ref": IND_A, "target_ref": IND_B}),
        json!({"type": "sighting", "spec_version": "2.1", "id": "sighting--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": T, "modified": T, "sighting_of_ref": IND_B}),
        json!({"type": "note", "spec_version": "2.1", "id": "note--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": T, "modified": T, "content": "n",
            "object_refs": ["report--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", IND_A]}),
    ]
    .into_iter()
    .map(world::object)
    .collect()
}

#[test]
fn references_to_withheld_objects_disappear() {
    let withheld = BTreeSet::from([id(IND_B)]);
    let cleaned = clean_references(objects(), &withheld, &BTreeMap::new());
    let text = serde_json::to_string(&cleaned.objects).unwrap_or_default();
    assert!(!text.contains(IND_B), "{text}");
    let kept: Vec<&str> = cleaned.objects.iter().map(|o| o.object_type()).collect();
    // The report left without refs, the relationship and the sighting go; the note survives
    // without its reference to the dropped report.
    assert_eq!(kept, ["indicator", "report", "note"]);
    assert!(!text.contains("report--9e2e2d2b"));
    assert_eq!(cleaned.dropped.len(), 4);
    let report: Value = serde_json::to_value(&cleaned.objects[1]).unwrap_or_default();
    assert_eq!(report["object_refs"], json!([IND_A]));
    assert_eq!(report["description"], json!("see [withheld]"));
}

#[test]
fn renamed_ids_are_followed() {
    let renamed =
        BTreeMap::from([(id(IND_A), id("indicator--cccccccc-17d4-4cbf-938f-98ee46b3cd3f"))]);
    let cleaned = clean_references(objects(), &BTreeSet::new(), &renamed);
    let text = serde_json::to_string(&cleaned.objects).unwrap_or_default();
    // Only the renamed object's own id keeps the old value (its redaction renames it).
    assert_eq!(text.matches("aaaaaaaa").count(), 1, "{text}");
    assert_eq!(text.matches("cccccccc").count(), 3);
}

#[test]
fn victims_are_the_sources_of_traffic_sighted_at_the_holder() {
    let me = "identity--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    let src = "ipv4-addr--11111111-1111-5111-8111-111111111111";
    let dst = "ipv4-addr--22222222-2222-5222-8222-222222222222";
    let objects: Vec<stix::Object> = [
        json!({"type": "ipv4-addr", "id": src, "value": "198.51.100.1"}),
        json!({"type": "ipv4-addr", "id": dst, "value": "192.0.2.1"}),
        json!({"type": "network-traffic", "id": "network-traffic--33333333-3333-5333-8333-333333333333",
            "src_ref": src, "dst_ref": dst, "protocols": ["tcp"]}),
        json!({"type": "observed-data", "spec_version": "2.1", "id": "observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": T, "modified": T, "first_observed": T, "last_observed": T, "number_observed": 1,
            "object_refs": [src, dst, "network-traffic--33333333-3333-5333-8333-333333333333"]}),
        json!({"type": "sighting", "spec_version": "2.1", "id": "sighting--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
            "created": T, "modified": T, "sighting_of_ref": IND_A, "where_sighted_refs": [me],
            "observed_data_refs": ["observed-data--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"]}),
    ]
    .into_iter()
    .map(world::object)
    .collect();
    let victims = victim_observables(&objects, &BTreeSet::from([id(me)]));
    assert_eq!(victims, BTreeSet::from([id(src)]));
    assert!(victim_observables(&objects, &BTreeSet::new()).is_empty());
}
