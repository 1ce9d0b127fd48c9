//! MISP round trips: MISP → STIX → MISP keeps every attribute (value, type, category, tags,
//! hence TLP) and the event's tags; STIX → MISP → STIX keeps every indicator (id and pattern).
//! The events are the samples in `test-data/misp/` and, in `oracle.rs`, those of the pymisp
//! source package.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

type AttributeKey = (String, String, String, String, Vec<String>);

/// Every non-deleted attribute (also inside objects) as (uuid, type, value, category, tags),
/// and the event tags, per event uuid.
pub(crate) fn summary(document: &Value) -> BTreeSet<(String, BTreeSet<AttributeKey>, Vec<String>)> {
    let mut events = Vec::new();
    collect(document, &mut events);
    events
        .into_iter()
        .filter(|e| {
            e.get("Attribute").is_some_and(|a| a.as_array().is_some_and(|a| !a.is_empty()))
                || e.get("Object").is_some()
        })
        .map(|event| {
            let mut attributes = BTreeSet::new();
            let objects =
                event.get("Object").and_then(Value::as_array).cloned().unwrap_or_default();
            let nested: Vec<Value> = objects
                .iter()
                .filter(|o| !o.get("deleted").is_some_and(|d| d == true))
                .flat_map(|o| {
                    o.get("Attribute").and_then(Value::as_array).cloned().unwrap_or_default()
                })
                .collect();
            let own = event.get("Attribute").and_then(Value::as_array).cloned().unwrap_or_default();
            for a in own.iter().chain(nested.iter()) {
                if a.get("deleted").is_some_and(|d| d == true) {
                    continue;
                }
                let text = |k: &str| {
                    a.get(k)
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .unwrap_or_default()
                };
                attributes.insert((
                    text("uuid"),
                    text("type"),
                    text("value"),
                    text("category"),
                    tags(a),
                ));
            }
            let uuid = event.get("uuid").and_then(Value::as_str).unwrap_or("").to_owned();
            (uuid, attributes, tags(&event))
        })
        .filter(|(_, attributes, _)| !attributes.is_empty())
        .collect()
}

/// [`summary`] with every UUID blanked, for samples whose records have none (Meridian derives
/// them from content).
pub(crate) fn summary_without_uuids(
    document: &Value,
) -> BTreeSet<(String, BTreeSet<AttributeKey>, Vec<String>)> {
    summary(document)
        .into_iter()
        .map(|(_, attributes, tags)| {
            let attributes =
                attributes.into_iter().map(|(_, t, v, c, g)| (String::new(), t, v, c, g)).collect();
            (String::new(), attributes, tags)
        })
        .collect()
}

fn collect(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
        Value::Object(map) if map.contains_key("Event") => out.push(map["Event"].clone()),
        Value::Object(map) if map.contains_key("response") => collect(&map["response"], out),
        other => out.push(other.clone()),
    }
}

fn tags(record: &Value) -> Vec<String> {
    let mut names: Vec<String> = record
        .get("Tag")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name")?.as_str().map(str::to_owned))
        .collect();
    for galaxy in record.get("Galaxy").and_then(Value::as_array).into_iter().flatten() {
        for cluster in galaxy.get("GalaxyCluster").and_then(Value::as_array).into_iter().flatten() {
            names.extend(cluster.get("tag_name").and_then(Value::as_str).map(str::to_owned));
        }
    }
    names.sort();
    names.dedup();
    names
}

/// MISP → STIX → MISP for one document; returns the MISP written back.
pub(crate) fn round_trip(document: &Value) -> (formats::Import, Value) {
    let options = formats::misp::MispImportOptions { now: crate::now() };
    let import = formats::misp::import_misp(document.clone(), &options).expect("import");
    let selection = formats::select(
        import.objects.clone(),
        &formats::BuiltInRulesOnly,
        &formats::SelectOptions::new(formats::Purpose::Sharing, crate::now()),
    );
    let export = formats::misp::export_misp(&selection);
    assert!(export.skipped.is_empty(), "skipped: {:?}", export.skipped);
    let mut out = Vec::new();
    formats::misp::write_misp_events(&export, &mut out).expect("write");
    (import, serde_json::from_slice(&out).expect("json"))
}

#[track_caller]
pub(crate) fn check_round_trip(path: &Path) -> formats::Import {
    let document = test_support::read_json(path);
    let (import, back) = round_trip(&document);
    // Events with no RED or expiring content come back whole.
    assert_eq!(summary(&back), summary(&document), "{}", path.display());
    import
}

#[test]
fn misp_to_stix_to_misp_keeps_every_attribute_tag_and_tlp() {
    for path in test_support::corpus_files("misp") {
        let import = check_round_trip(&path);
        assert!(
            import.report.rejected.is_empty(),
            "{}: {:?}",
            path.display(),
            import.report.rejected
        );
    }
}

#[test]
fn misp_import_maps_tlp_labels_provenance_and_ids() {
    let document =
        test_support::read_json(&test_support::test_data().join("misp/mapping/event-mapping.json"));
    let import = formats::misp::import_misp(
        document.clone(),
        &formats::misp::MispImportOptions { now: crate::now() },
    )
    .expect("import");
    let by_id = |id: &str| {
        import
            .objects
            .iter()
            .find(|o| o.id().as_str() == id)
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    let report = by_id("report--6a4f6bd6-2a0c-4b3f-9c62-2d4f8a1c0001");
    assert_eq!(
        report.get("external_references").unwrap()[0]["external_id"],
        "6a4f6bd6-2a0c-4b3f-9c62-2d4f8a1c0001"
    );
    assert_eq!(report.get("x_misp_distribution").unwrap(), "4");
    assert_eq!(report.get("x_misp_sharing_group").unwrap()["name"], "Energy ISAC");
    let indicator = by_id("indicator--6a4f6bd6-2a0c-4b3f-9c62-2d4f8a1c0002");
    assert_eq!(indicator.get("pattern").unwrap(), "[domain-name:value = 'evil.example']");
    // The attribute's tlp:amber is stricter than the event's tlp:green.
    assert_eq!(indicator.object_marking_refs()[0].as_str(), stix::Tlp::Amber.marking_id());
    let labels = indicator.get("labels").unwrap().as_array().unwrap();
    assert!(
        labels.contains(&"kill-chain:delivery".into())
            && labels.contains(&"misp-galaxy:threat-actor=\"Example Bear\"".into())
    );
    let observed = by_id("observed-data--6a4f6bd6-2a0c-4b3f-9c62-2d4f8a1c0003");
    assert_eq!(observed.object_marking_refs()[0].as_str(), stix::Tlp::Green.marking_id());
    let file = by_id("indicator--6a4f6bd6-2a0c-4b3f-9c62-2d4f8a1c0010");
    assert_eq!(
        file.get("pattern").unwrap(),
        "[file:hashes.'MD5' = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'dropper.exe']"
    );
    assert_eq!(import.report.rejected.len(), 1, "{:?}", import.report.rejected);
    assert_eq!(import.report.rejected[0].location, "$.Event.Attribute[3]");
    // Importing again gives the same ids (an update, not a duplicate).
    let again = formats::misp::import_misp(
        document,
        &formats::misp::MispImportOptions { now: "2030-01-01T00:00:00Z".parse().unwrap() },
    )
    .unwrap();
    let ids =
        |i: &formats::Import| i.objects.iter().map(|o| o.id().to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&import));
}

#[test]
fn stix_to_misp_to_stix_keeps_every_indicator() {
    let selection = crate::selection(formats::Purpose::Sharing);
    let export = formats::misp::export_misp(&selection);
    let back = formats::misp::import_misp(
        Value::Array(export.events.clone()),
        &formats::misp::MispImportOptions { now: crate::now() },
    )
    .expect("import");
    assert!(back.report.rejected.is_empty(), "{:?}", back.report.rejected);
    let mut count = 0;
    for original in
        selection.objects().iter().map(|s| s.object()).filter(|o| o.object_type() == "indicator")
    {
        count += 1;
        let again = back
            .objects
            .iter()
            .find(|o| o.id() == original.id())
            .unwrap_or_else(|| panic!("{} lost", original.id()));
        let pattern = |o: &stix::Object| {
            pattern::parse(o.get("pattern").and_then(Value::as_str).unwrap_or("")).expect("pattern")
        };
        assert_eq!(pattern(again), pattern(original), "{}", original.id());
        assert_eq!(
            again.object_marking_refs(),
            original.object_marking_refs(),
            "{}",
            original.id()
        );
    }
    assert!(count >= 10, "only {count} indicators");
}

#[test]
fn feed_lists_every_event_and_value() {
    let selection = crate::selection(formats::Purpose::Sharing);
    let export = formats::misp::export_misp(&selection);
    let files = formats::misp::write_feed(&export).expect("feed");
    let manifest: Value = serde_json::from_slice(&files[0].contents).expect("manifest");
    let uuids = formats::misp::manifest_events(&manifest).expect("uuids");
    assert_eq!(uuids.len(), export.events.len());
    for uuid in &uuids {
        assert!(files.iter().any(|f| f.name == format!("{uuid}.json")));
    }
    let hashes =
        String::from_utf8(files.last().expect("hashes.csv").contents.clone()).expect("utf-8");
    // md5("evil.example"), as MISP's feed generator hashes attribute values.
    assert!(hashes.lines().any(|l| l.starts_with("96119eb3210daa472225fbad69fa9770,")), "{hashes}");
    let bad = serde_json::json!({"../../etc/passwd": {}});
    assert!(formats::misp::manifest_events(&bad).is_err());
}
